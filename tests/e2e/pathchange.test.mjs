// A path change mid-call (issue 11): the SDK's browser runs inside a network namespace
// (tests/net/roaming.mjs); mid-call its interface goes down, loses its address, takes another
// and comes back up, as a laptop moving from Wi-Fi to tethering. The old WebSocket and the old
// ICE path are dead (nothing answers the old address any more); the browser fires 'offline'
// then 'online'. ICE restart and signalling reconnect must bring audio back both ways, on the
// new address, and the call must stay usable: the far end's BYE reaches us afterwards.
// Needs root (ip netns, veth), as the rest of the suite does.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as S from './support.mjs';
import { openAgentPage } from './agent.mjs';
import { bundleFarEnd, openFarEnd, waitRtpGrowing } from './farend/driver.mjs';
import { connect, instrument, agentStats, waitAudible, waitCallEventFrom, checkPageErrors } from './rig.mjs';
import { startRoaming, selectedLocalAddress } from '../net/roaming.mjs';
import { netnsUnavailable } from '../net/netns.mjs';

const T = { timeout: 150000 };
const stack = new S.Stack();
const opened = [];
let kam;
let http;
let theirs;
let roam;

describe('path change mid-call: the browser moves to another address (network namespace, Chromium, Kamailio, JsSIP far end)', () => {
  before(async () => {
    const why = await netnsUnavailable();
    if (why) throw new Error(`network namespaces are unavailable here (${why}): this test needs root and veth`);
    await bundleFarEnd();
    http = await S.startHttp(stack);
    kam = await S.startKamailio(stack, 'pathchange');
    theirs = await S.launchChromium(stack, { fakeAudioFile: S.toneWav(1000) });
    roam = await startRoaming(stack, { kam, http, fakeAudioFile: S.toneWav(440) });
  });
  after(async () => {
    for (const o of opened) if (o.far) await o.far.stop();
    await stack.close();
  });

  it("Wi-Fi → tethering mid-call: audio comes back both ways on the new address (ICE restart + signalling reconnect); the far end's BYE reaches us after", T, async (t) => {
    const agent = await openAgentPage({ ctx: roam.ctx, http: roam.http, kam: roam.kam, user: '1001', opened, init: instrument, query: roam.query });
    const far = await openFarEnd(theirs, http, kam, 1002);
    opened.push({ w: far.w, far });
    const id = await connect(agent, far);
    const before = roam.ns.addr;
    assert.equal(await selectedLocalAddress(agent.page), before, `the call's media runs over the namespace's address ${before}`);
    const ufrag = () => far.page.evaluate((i) => (/a=ice-ufrag:(\S+)/.exec(window.far.calls[i].pc.remoteDescription.sdp) || [])[1], id);
    const oldUfrag = await ufrag();
    const relayConns = roam.wsRelay.attempts.length;

    const moved = await roam.ns.move({ downMs: 1000 });
    const back = Date.now(); // the network is back, on the new address
    const trace = () =>
      `relay attempts since: ${JSON.stringify(roam.wsRelay.attempts.slice(relayConns).map((a) => [a.t - back, a.from]))}; ` +
      `SIP up since: ${JSON.stringify(roam.wsRelay.sip('up', back).map((f) => [f.t - back, f.conn, f.text.split('\r\n')[0]]))}`;

    // Failure messages carry the wire, the SDK's last log lines and both ends' ICE state.
    const explain = async (e) => {
      const logs = await agent.page.evaluate(() => window.logs.slice(-20).map(([ty, m]) => `${ty}: ${m.split('\n')[0]}`)).catch(() => []);
      const ours = await agent.page.evaluate(() => window.__pcs.map((p) => [p.connectionState, p.iceConnectionState, p.signalingState])).catch(() => null);
      const theirsPc = await far.page.evaluate((i) => window.far.pcState(i), id).catch(() => null);
      const states = await agent.page.evaluate(() => window.sessionEvents.map((x) => x[0])).catch(() => null);
      return new Error(`${e.message}; ${trace()}; our PCs ${JSON.stringify(ours)}; far PC ${JSON.stringify(theirsPc)}; session states ${JSON.stringify(states)}; last SDK log lines:\n  ${logs.join('\n  ')}`);
    };
    const onNewPath = await S.waitFor(async () => (await selectedLocalAddress(agent.page)) === moved, {
      timeout: 60000,
      interval: 100,
      message: `the agent's media on the new address ${moved}`,
    }).then(() => Date.now()).catch(async (e) => {
      throw await explain(e);
    });
    try {
      await waitRtpGrowing(() => agentStats(agent), 'the agent receives audio after the move', 30000);
      await waitRtpGrowing(() => far.stats(id), 'the far end receives audio after the move', 30000);
      await waitAudible(() => agentStats(agent), 'the agent hears the far end after the move');
      await waitAudible(() => far.stats(id), 'the far end hears the agent after the move');
    } catch (e) {
      throw await explain(e);
    }
    const audio = Date.now();
    t.diagnostic(`network back → media on ${moved}: ${onNewPath - back} ms; → audible both ways: ${audio - back} ms`);
    assert.notEqual(await ufrag(), oldUfrag, 'the far end has our new ICE credentials (ICE restart)');
    const fromNew = roam.wsRelay.attempts.slice(relayConns).filter((a) => a.from.startsWith(`${moved}:`) && a.fate === 'passed');
    assert.ok(fromNew.length >= 1, `the SDK reconnected its WebSocket from the new address: ${trace()}`);
    assert.equal((await far.info(id)).ended, false, 'the far end still has the call');

    const n = await agent.page.evaluate(() => window.callEvents.length);
    await far.hangup(id);
    await waitCallEventFrom(agent, 'terminated', n, 15000).catch((e) => {
      throw new Error(`${e.message}; the far end's BYE did not reach us after the move; ${trace()}`);
    });
    await checkPageErrors(opened);
  });
});
