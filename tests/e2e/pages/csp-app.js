// The guide-style app of the strict-CSP pages (written by tests/e2e/csp.test.mjs): an external
// script, so their policies need no 'unsafe-inline'. Query: ?port=<ws port>&user=<user>&pass=<password>.
// Records window.regEvents [state, phone, failure, t] and window.logs [type, message].
(function () {
  const q = new URLSearchParams(location.search);
  const now = () => performance.timeOrigin + performance.now();
  window.regEvents = [];
  window.logs = [];
  window.violations = [];
  document.addEventListener('securitypolicyviolation', (e) => window.violations.push([e.effectiveDirective || e.violatedDirective, e.blockedURI]));
  exotelSDK.ExotelWebClient.registerLoggerCallback((type, message) => window.logs.push([type, message]));
  const client = new exotelSDK.ExotelWebClient();
  window.exWebClient = client;
  window.initAt = now();
  client.initWebrtc(
    {
      userName: q.get('user'),
      authUser: q.get('user'),
      sipdomain: '127.0.0.1',
      domain: `127.0.0.1:${q.get('port')}`,
      secret: q.get('pass'),
      security: 'ws',
      endpoint: 'ws',
      iceServers: [],
    },
    (state, phone, failure) => window.regEvents.push([state, phone, failure || null, now()]),
    () => {},
    () => {},
  );
  client.DoRegister();
  window.clientStatus = () => new Promise((resolve) => client.checkClientStatus((status, why) => resolve([status, why || null])));
})();
