// Media resilience. "Connected but silent": the SDK page (agent.html, Chromium) is in a call
// with a JsSIP far end; the far end stops sending RTP (its sender's encoding deactivated, as a
// dead media path would look from here), and the SDK must say so through SessionCallback, then
// say when audio is back; a held call, silent on purpose, must not raise it. Network change:
// the browser goes offline and back online mid-call (Playwright's emulation fires the events),
// and the call must restart ICE with a re-INVITE while audio keeps flowing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as S from './support.mjs';
import { callEvents } from './agent.mjs';
import { waitRtpGrowing } from './farend/driver.mjs';
import { callRig, connect, instrument, agentStats, checkPageErrors } from './rig.mjs';

const T = { timeout: 120000 };

describe('media resilience: inbound audio watchdog, ICE restart (Chromium, dist/exotelsdk.js, JsSIP far end)', () => {
  const rig = callRig('resilience');

  it("far end stops sending → 'media_inbound_stalled', resumes → 'media_inbound_resumed'; a held call raises nothing", T, async () => {
    const agent = await rig.openAgent({ init: instrument });
    const far = await rig.far(1002);
    const id = await far.call('sip:1001@127.0.0.1');
    await S.waitFor(async () => (await callEvents(agent)).some((e) => e.type === 'ringing'), { message: 'ringing' });
    await agent.page.evaluate(() => window.exWebClient.getCall().Answer());
    await S.waitFor(async () => (await callEvents(agent)).some((e) => e.type === 'connected'), { message: 'connected' });
    await waitRtpGrowing(() => agentStats(agent), 'the agent receives audio');

    const states = () => agent.page.evaluate(() => window.sessionEvents.map((e) => e[0]).filter((s) => s.startsWith('media_inbound')));
    const sending = (on) =>
      far.page.evaluate(
        async ([i, active]) => {
          const sender = window.far.calls[i].pc.getSenders().find((s) => s.track && s.track.kind === 'audio');
          const p = sender.getParameters();
          p.encodings[0].active = active;
          await sender.setParameters(p);
        },
        [id, on],
      );

    await sending(false);
    await S.waitFor(async () => (await states()).includes('media_inbound_stalled'), { timeout: 15000, message: "SessionCallback('media_inbound_stalled')" });
    const logs = await agent.page.evaluate(() => window.logs.slice());
    assert.ok(logs.some(([t, m]) => t === 'warn' && /no audio from the far end for \d+ s/.test(m)), 'a warning names the silence');
    await sending(true);
    await S.waitFor(async () => (await states()).includes('media_inbound_resumed'), { timeout: 15000, message: "SessionCallback('media_inbound_resumed')" });
    assert.deepEqual(await states(), ['media_inbound_stalled', 'media_inbound_resumed'], 'once each');

    // Hold: the far end answers recvonly and sends nothing, on purpose.
    await agent.page.evaluate(() => window.exWebClient.getCall().Hold());
    await S.waitFor(() => agent.page.evaluate(() => window.sessionEvents.some((e) => e[0] === 'holdunhold_success')), { message: 'held' });
    const a = await agentStats(agent);
    await agent.page.evaluate(() => new Promise((r) => setTimeout(r, 5000))); // longer than the 3 s stall threshold
    const b = await agentStats(agent);
    assert.ok(b.packetsReceived - a.packetsReceived < 10, `the held call is silent (${a.packetsReceived} → ${b.packetsReceived} packets)`);
    assert.deepEqual(await states(), ['media_inbound_stalled', 'media_inbound_resumed'], 'no stall reported while held');

    await far.hangup(id);
    await S.waitFor(async () => (await callEvents(agent)).some((e) => e.type === 'callEnded'), { message: 'callEnded' });
    await checkPageErrors(rig.opened);
  });

  it("the network comes back mid-call ('online'): ICE restarts with a re-INVITE, new credentials reach the far end, audio keeps flowing, no hold event", T, async () => {
    const agent = await rig.openAgent({ init: instrument });
    const far = await rig.far(1002);
    const id = await connect(agent, far);
    const ufrag = () => far.page.evaluate((i) => (/a=ice-ufrag:(\S+)/.exec(window.far.calls[i].pc.remoteDescription.sdp) || [])[1], id);
    const before = await ufrag();
    assert.ok(before, 'the far end knows our ICE ufrag');

    await rig.ours.setOffline(true);
    await rig.ours.setOffline(false);
    await S.waitFor(async () => (await ufrag()) !== before, { timeout: 15000, message: 'the far end receives our new ICE credentials' });
    await S.waitFor(() => agent.page.evaluate(() => window.logs.some(([, m]) => m.includes('ICE restart answered'))), { message: 'the restart is answered' });
    await waitRtpGrowing(() => agentStats(agent), 'the agent still receives audio');
    await waitRtpGrowing(() => far.stats(id), 'the far end still receives audio');
    const states = await agent.page.evaluate(() => window.sessionEvents.map((e) => e[0]));
    assert.deepEqual(states.filter((x) => x.startsWith('holdunhold')), [], 'an ICE restart is not a hold');
    assert.equal((await far.info(id)).ended, false);
    await far.hangup(id);
    await S.waitFor(async () => (await callEvents(agent)).some((e) => e.type === 'callEnded'), { message: 'callEnded' });
    await checkPageErrors(rig.opened);
  });
});
