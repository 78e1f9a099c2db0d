// (g) Recovery after the network returns, BENCH_RECOVERY_RUNS (default 3) calls each:
//   signalling: a call up, the agent's WebSocket cut by a relay (tests/net/relay.mjs) that
//     refuses connections for 5 s, then lets them through: time from that return to the first
//     REGISTER answered 200 on the new flow, and to SessionCallback 'reconnected';
//   path change: a call up, the agent's browser in a network namespace moves to a new address
//     (tests/net/roaming.mjs; 1 s without any): time from the new address being up to inbound
//     audio packets arriving again at the agent and at the far end.
// A run that does not recover within 60 s is reported as such, with its reason.
import * as S from '../e2e/support.mjs';
import { openAgentPage } from '../e2e/agent.mjs';
import { bundleFarEnd, openFarEnd } from '../e2e/farend/driver.mjs';
import { connect, instrument, agentStats } from '../e2e/rig.mjs';
import { startRelay } from '../net/relay.mjs';
import { startRoaming } from '../net/roaming.mjs';
import { netnsUnavailable } from '../net/netns.mjs';

const RUNS = Math.max(1, Number(process.env.BENCH_RECOVERY_RUNS || 3));
const LIMIT = 60000;

/** ms from `since` until `sample()` (packetsReceived) rose by 5 over its value at `since`, or null. */
async function packetsBack(sample, since) {
  const start = (await sample()).packetsReceived;
  for (;;) {
    const s = await sample();
    if (s.packetsReceived >= start + 5) return Date.now() - since;
    if (Date.now() - since > LIMIT) return null;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function hangupQuietly(agent, far, id) {
  await far.hangup(id).catch(() => {});
  await far.waitEnded(id, 10000).catch(() => {});
  await agent.page.evaluate(() => window.exWebClient.getCall().Hangup()).catch(() => {});
}

async function signallingRuns(stack, http, kam, ours, theirs) {
  const runs = [];
  const opened = [];
  const relay = await startRelay(stack, { target: { host: '127.0.0.1', port: kam.port }, name: 'bench relay' });
  const agent = await openAgentPage({ ctx: ours, http, kam: { ...kam, port: relay.port }, user: '1001', opened, init: instrument, query: '&quiet=1' });
  const far = await openFarEnd(theirs, http, kam, 1002);
  try {
    for (let i = 0; i < RUNS; i++) {
      const id = await connect(agent, far);
      const states = await agent.page.evaluate(() => window.sessionEvents.length);
      relay.refuse();
      await new Promise((r) => setTimeout(r, 5000));
      const back = Date.now();
      relay.pass();
      const reg = await S.waitFor(() => relay.sip('down', back).find((f) => /^SIP\/2\.0 200 /.test(f.text) && /^CSeq:\s*\d+ REGISTER/im.test(f.text)), { timeout: LIMIT })
        .then((f) => f.t - back)
        .catch(() => null);
      const rec = await S.waitFor(async () => {
        const ev = await agent.page.evaluate((n) => window.sessionEvents.slice(n).find((e) => e[0] === 'reconnected'), states);
        return ev ? { t: ev[2] } : null;
      }, { timeout: reg === null ? 1 : 15000 })
        .then((x) => x.t - back)
        .catch(() => null);
      runs.push({ reg, reconnected: rec });
      await hangupQuietly(agent, far, id);
    }
  } finally {
    await far.stop();
    await far.page.close().catch(() => {});
    for (const o of opened) await o.page.close().catch(() => {});
    await relay.close();
    await kam.clear().catch(() => {});
  }
  return runs;
}

async function pathRuns(stack, http, kam, theirs) {
  const why = await netnsUnavailable();
  if (why) return { error: `network namespaces unavailable: ${why}` };
  const roam = await startRoaming(stack, { kam, http, fakeAudioFile: S.toneWav(440) });
  const runs = [];
  const opened = [];
  const far = await openFarEnd(theirs, http, kam, 1002);
  try {
    for (let i = 0; i < RUNS; i++) {
      // A fresh page per run: a run that failed must not leave its call behind.
      const agent = await openAgentPage({ ctx: roam.ctx, http: roam.http, kam: roam.kam, user: '1001', opened, init: instrument, query: `${roam.query}&quiet=1` });
      const id = await connect(agent, far);
      await roam.ns.move({ downMs: 1000 });
      const back = Date.now();
      const [ours, theirsMs] = await Promise.all([packetsBack(() => agentStats(agent), back), packetsBack(() => far.stats(id), back)]);
      const ended = (await far.info(id)).ended;
      runs.push({ ours, theirs: theirsMs, ended });
      await hangupQuietly(agent, far, id);
      await agent.page.close().catch(() => {});
      await kam.clear().catch(() => {});
    }
  } finally {
    await far.stop();
    await far.page.close().catch(() => {});
  }
  return { runs };
}

export async function recovery(stack, http, kam) {
  await bundleFarEnd();
  const ours = await S.launchChromium(stack, { fakeAudioFile: S.toneWav(440) });
  const theirs = await S.launchChromium(stack, { fakeAudioFile: S.toneWav(1000) });
  const signalling = await signallingRuns(stack, http, kam, ours, theirs);
  const path = await pathRuns(stack, http, kam, theirs);
  return { signalling, path };
}

export function printRecovery({ signalling, path }) {
  const ms = (x) => (x === null ? `none within ${LIMIT / 1000} s` : `${Math.round(x)} ms`);
  console.log(`\n(g) recovery once the network is back, ${RUNS} calls each`);
  console.log('    signalling: WebSocket cut mid-call, connections refused 5 s, then let through (media never crosses the relay)');
  const rec = (x) => (x === null ? 'not emitted within 15 s of the REGISTER 200' : `${Math.round(x)} ms`);
  signalling.forEach((r, i) => console.log(`      run ${i + 1}: → REGISTER 200 on the new flow ${ms(r.reg)}; → 'reconnected' ${rec(r.reconnected)}`));
  console.log('    path change: the agent browser\'s address moves mid-call (1 s with none); from the new address up to inbound audio again');
  if (path.error) console.log(`      n/a: ${path.error}`);
  else path.runs.forEach((r, i) => console.log(`      run ${i + 1}: agent hears ${ms(r.ours)}; far end hears ${ms(r.theirs)}${r.ended ? ' (the far end had the call ended meanwhile)' : ''}`));
}
