// Node, CommonJS: the guide's require(); the wasm is read from disk. Node 20 has no WebSocket,
// so DoRegister fails as an unreachable server does: RegisterEventCallBack('terminated') gets
// the reason and the URL as its third argument.
const exotelSDK = require('exotel-voice-sdk');
const { version } = require('exotel-voice-sdk/package.json');

(async () => {
  const logs = [];
  exotelSDK.ExotelWebClient.setEnableConsoleLogging(false);
  exotelSDK.ExotelWebClient.registerLoggerCallback((type, message) => logs.push(`${type}: ${message}`));
  const client = new exotelSDK.ExotelWebClient();
  let failure = null;
  const account = { userName: 'n1', sipdomain: 'example.invalid', domain: '127.0.0.1:1', port: 443, secret: 'pw', security: 'ws', endpoint: 'ws' };
  const initOk = await client.initWebrtc(account, (state, phone, why) => {
    if (state === 'terminated' && !failure) failure = { phone, ...why };
  });
  client.DoRegister();
  for (let i = 0; i < 100 && !failure; i++) await new Promise((r) => setTimeout(r, 20));
  const portWarning = logs.some((l) => l.startsWith('warn: initWebrtc: sipAccountInfo.port 443 is not used') && l.includes('domain: "127.0.0.1:443"'));
  const urlLogged = logs.some((l) => l.includes('transport_failed') && l.includes('ws://127.0.0.1:1/ws'));
  console.log(JSON.stringify({ initOk, version: exotelSDK.version, packageVersion: version, diagnostics: typeof client.initDiagnostics, failure, portWarning, urlLogged }));
  process.exit(0);
})();
