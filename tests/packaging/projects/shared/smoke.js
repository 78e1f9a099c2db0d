// The browser smoke test every bundler project runs, written as the integration guide's code:
// registers against the test Kamailio named in the query (?port=&user=&pass=) and records what
// happened in window.result for the packaging tests.
export function smoke(ExotelWebClient, how) {
  const q = new URLSearchParams(location.search);
  const r = { how, initOk: null, events: [], logs: [], members: {} };
  window.result = r;
  ExotelWebClient.registerLoggerCallback((type, message) => r.logs.push(`${type}: ${message}`));
  const exWebClient = new ExotelWebClient();
  window.exWebClient = exWebClient;
  // The default entry keeps the whole 3.0.10 surface, features included.
  for (const m of ['initDiagnostics', 'changeAudioInputDevice', 'SessionListener', 'initialize', 'downloadLogs']) r.members[m] = typeof exWebClient[m];
  const sipAccountInfo = {
    userName: q.get('user'),
    authUser: q.get('user'),
    sipdomain: '127.0.0.1',
    domain: `127.0.0.1:${q.get('port')}`,
    displayname: `Agent ${q.get('user')}`,
    secret: q.get('pass'),
    port: q.get('port'),
    security: 'ws',
    endpoint: 'ws',
  };
  exWebClient
    .initWebrtc(sipAccountInfo, (state) => r.events.push(state), () => {}, () => {})
    .then((ok) => {
      r.initOk = ok;
    });
  exWebClient.DoRegister();
}
