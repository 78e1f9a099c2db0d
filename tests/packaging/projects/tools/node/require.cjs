// Node, CommonJS: the guide's require(); the wasm is read from disk.
const exotelSDK = require('exotel-voice-sdk');
const { version } = require('exotel-voice-sdk/package.json');

(async () => {
  exotelSDK.ExotelWebClient.setEnableConsoleLogging(false);
  const client = new exotelSDK.ExotelWebClient();
  const initOk = await client.initWebrtc({ userName: 'n1', sipdomain: 'example.invalid', domain: '127.0.0.1:1', secret: 'pw', security: 'ws' }, () => {});
  console.log(JSON.stringify({ initOk, version: exotelSDK.version, packageVersion: version, diagnostics: typeof client.initDiagnostics }));
  process.exit(0);
})();
