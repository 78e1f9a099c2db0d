// The roaming agent: an SDK browser inside a network namespace (tests/net/netns.mjs) whose
// address can change mid-call, everything else on the host. The page and the SIP server are
// reached through relays on the host's end of the veth, since the namespace has its own
// loopback:
//
//   namespace: Chromium (agent) ── http ──▶ host 10.n.0.1:<a> relay ──▶ 127.0.0.1 static server
//                               ── ws ────▶ host 10.n.0.1:<b> relay ──▶ 127.0.0.1 Kamailio
//                               ── ICE ───▶ host 10.n.0.1 (the far end's host candidate)
//
// The page is served from http://10.n.0.1, which is not a secure context: Chromium is told to
// treat that one origin as secure, or getUserMedia would be missing.
import * as S from '../e2e/support.mjs';
import { createNetns } from './netns.mjs';
import { startRelay } from './relay.mjs';

/**
 * Starts the namespace, both relays and the agent's Chromium. `kam` and `http` are the host's.
 * Returns { ns, ctx, wsRelay, http (url() for the namespace), kam (port = the ws relay's),
 * query ('&host=…' for agent.html) }.
 */
export async function startRoaming(stack, { kam, http, fakeAudioFile }) {
  const ns = await createNetns(stack);
  const listen = { host: ns.hostIp, port: 0 };
  const httpRelay = await startRelay(stack, { target: { host: '127.0.0.1', port: http.port }, listen, name: 'http relay', decode: false });
  const wsRelay = await startRelay(stack, { target: { host: '127.0.0.1', port: kam.port }, listen, name: 'ws relay' });
  const origin = `http://${ns.hostIp}:${httpRelay.port}`;
  const chromium = process.env.CHROMIUM || '/usr/bin/chromium';
  const ctx = await S.launchChromium(stack, {
    executablePath: ns.wrap(chromium, S.RUN_BASE),
    fakeAudioFile,
    args: [`--unsafely-treat-insecure-origin-as-secure=${origin}`],
  });
  return {
    ns,
    ctx,
    wsRelay,
    http: { url: (p) => origin + p },
    kam: { ...kam, port: wsRelay.port },
    query: `&host=${ns.hostIp}`,
  };
}

/** The local address of the agent's nominated ICE pair on its newest RTCPeerConnection, or null. */
export function selectedLocalAddress(page) {
  return page.evaluate(async () => {
    const pc = window.__pcs[window.__pcs.length - 1];
    if (!pc || pc.connectionState === 'closed') return null;
    const r = await pc.getStats();
    let pair = null;
    r.forEach((s) => {
      if (s.type === 'transport' && s.selectedCandidatePairId) pair = r.get(s.selectedCandidatePairId);
    });
    const local = pair && r.get(pair.localCandidateId);
    return local ? local.address || local.ip : null;
  });
}
