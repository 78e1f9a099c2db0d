// "Connected but silent": the SDK page (agent.html, Chromium) is in a call with a JsSIP far
// end; the far end stops sending RTP (its sender's encoding deactivated, as a dead media path
// would look from here), and the SDK must say so through SessionCallback, then say when audio
// is back; a held call, silent on purpose, must not raise it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as S from './support.mjs';
import { openAgentPage, callEvents } from './agent.mjs';
import { bundleFarEnd, openFarEnd, waitRtpGrowing } from './farend/driver.mjs';

const T = { timeout: 120000 };
const stack = new S.Stack();
let http;
let kam;
let ours;
let theirs;
const opened = [];

describe('inbound audio watchdog (Chromium, dist/exotelsdk.js, JsSIP far end)', () => {
  before(async () => {
    await bundleFarEnd();
    http = await S.startHttp(stack);
    kam = await S.startKamailio(stack, 'watchdog');
    ours = await S.launchChromium(stack, { fakeAudioFile: S.toneWav(440) });
    theirs = await S.launchChromium(stack, { fakeAudioFile: S.toneWav(1000) });
  });

  after(async () => {
    for (const o of opened) if (o.far) await o.far.stop();
    await stack.close();
  });

  it("far end stops sending → 'media_inbound_stalled', resumes → 'media_inbound_resumed'; a held call raises nothing", T, async () => {
    const agent = await openAgentPage({ ctx: ours, http, kam, user: '1001', opened });
    const far = await openFarEnd(theirs, http, kam, 1002);
    opened.push({ w: far.w, far });
    const id = await far.call('sip:1001@127.0.0.1');
    await S.waitFor(async () => (await callEvents(agent)).some((e) => e.type === 'ringing'), { message: 'ringing' });
    await agent.page.evaluate(() => window.exWebClient.getCall().Answer());
    await S.waitFor(async () => (await callEvents(agent)).some((e) => e.type === 'connected'), { message: 'connected' });
    await waitRtpGrowing(() => agent.page.evaluate(() => window.rtpStats()), 'the agent receives audio');

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
    const a = await agent.page.evaluate(() => window.rtpStats());
    await agent.page.evaluate(() => new Promise((r) => setTimeout(r, 5000))); // longer than the 3 s stall threshold
    const b = await agent.page.evaluate(() => window.rtpStats());
    assert.ok(b.packetsReceived - a.packetsReceived < 10, `the held call is silent (${a.packetsReceived} → ${b.packetsReceived} packets)`);
    assert.deepEqual(await states(), ['media_inbound_stalled', 'media_inbound_resumed'], 'no stall reported while held');

    await far.hangup(id);
    await S.waitFor(async () => (await callEvents(agent)).some((e) => e.type === 'callEnded'), { message: 'callEnded' });
    for (const o of opened) assert.deepEqual(o.w.pageErrors, [], `page errors on ${o.w.page.url()}`);
  });
});
