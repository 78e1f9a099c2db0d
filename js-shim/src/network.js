// Connection hints from the browser (standards-and-pitfalls §0.1, "registration survival"):
// when the network comes back ('online') or the page becomes visible after a while (a laptop
// waking up, a tab that was throttled in the background), the core checks its WebSocket at
// once: an open one is pinged (RFC 5626), or sent a REGISTER refresh when the server does not
// answer pings (a dead one is replaced within 10 s, or 5 s), a lost one
// reconnects without waiting out its backoff, and a call in progress restarts ICE. Without these, a flow that died during sleep
// would only show at the next re-REGISTER, and calls would be missed until then.

import { logger } from './logger.js';

// Shorter absences (switching tabs) cannot have lost the flow unnoticed: the core's own
// keep-alive runs every 30 s.
const HIDDEN_LONG_MS = 10_000;

/** Once per client: routes 'online', 'offline' and long-hidden-then-visible to the core. */
export function watchNetwork(client) {
  const g = globalThis;
  if (client._network || typeof g.addEventListener !== 'function') return;
  // `online` also tells the core that a call's ICE path may be gone (it restarts ICE itself).
  const check = (why, networkBack) => {
    const core = client._core;
    if (!core || typeof core.checkLink !== 'function') return;
    logger.info(`${why}: checking the connection to the SIP server`);
    core.checkLink(networkBack);
  };
  let hiddenAt = null;
  const doc = g.document;
  const n = {
    online: () => check('network online', true),
    offline: () => logger.warn('network offline: registration and calls resume when it is back'),
    visibility: () => {
      if (doc.visibilityState === 'hidden') {
        hiddenAt = Date.now();
      } else if (hiddenAt !== null) {
        const away = Date.now() - hiddenAt;
        hiddenAt = null;
        if (away >= HIDDEN_LONG_MS) check(`page visible again after ${Math.round(away / 1000)} s`, false);
      }
    },
  };
  g.addEventListener('online', n.online);
  g.addEventListener('offline', n.offline);
  if (doc && typeof doc.addEventListener === 'function') doc.addEventListener('visibilitychange', n.visibility);
  client._network = n;
  client._on('destroy', () => {
    g.removeEventListener('online', n.online);
    g.removeEventListener('offline', n.offline);
    if (doc && typeof doc.removeEventListener === 'function') doc.removeEventListener('visibilitychange', n.visibility);
  });
}
