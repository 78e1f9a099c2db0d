// Incoming calls end to end: a JsSIP far end (tests/e2e/farend/, its own Chromium with a 1 kHz
// microphone) calls 1001, registered by dist/exotelsdk.js on the guide-style agent page
// (tests/e2e/pages/agent.html, another Chromium with a 440 Hz microphone), through a private
// Kamailio. The agent page records every RTCPeerConnection and getUserMedia track before the
// SDK loads, so media and cleanup are checked without SDK hooks.
// Every wait is a bounded poll; no assertion depends on how long something took.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as S from './support.mjs';
import { callEvents, types } from './agent.mjs';
import { waitRtpGrowing } from './farend/driver.mjs';
import * as R from './rig.mjs';
import { agentStats, answer, details, sessionStates, waitTone, waitAudible, checkMediaReleased, waitCallEventFrom as waitCallEvent } from './rig.mjs';

const T = { timeout: 90000 };
const AGENT = '1001';
const TARGET = `sip:${AGENT}@127.0.0.1`;

const rig = R.callRig('calls');
const { far, waitBinding, checkPageErrors } = rig;

describe('incoming calls (Chromium, dist/exotelsdk.js by script tag, JsSIP far end)', () => {
  it('harness: JsSIP 1002 calls JsSIP 1003 through Kamailio, audio flows both ways', T, async () => {
    const a = await far(1002);
    const b = await far(1003, rig.ours);
    await waitBinding(1003);
    const id = await a.call('sip:1003@127.0.0.1', { callSid: 'harness-sid' });
    const [inId] = await S.waitFor(async () => {
      const ids = await b.incoming();
      return ids.length ? ids : null;
    }, { message: '1003 to receive the INVITE' });
    await b.answer(inId);
    await a.waitEvent(id, 'confirmed');
    await waitRtpGrowing(() => a.stats(id), '1002 (caller)');
    await waitRtpGrowing(() => b.stats(inId), '1003 (callee)');
    await waitAudible(() => a.stats(id), '1002 (caller)');
    await waitAudible(() => b.stats(inId), '1003 (callee)');
    await a.hangup(id);
    const end = await b.waitEnded(inId);
    assert.equal(end.originator, 'remote', `callee: ended by the caller's BYE: ${JSON.stringify(end.events)}`);
    assert.ok(end.events.some((e) => e[0] === 'bye_received'), 'callee: BYE recorded');

    // far.cancel while the callee rings: the caller records Canceled, the callee a remote end.
    const id2 = await a.call('sip:1003@127.0.0.1');
    await a.waitEvent(id2, 'progress', { pred: (x) => x && x.status === 180 });
    const in2 = (await b.incoming())[1];
    assert.ok(in2 !== undefined, '1003 got the second INVITE');
    await a.cancel(id2);
    const c = await a.waitEnded(id2);
    assert.equal(c.cause, 'Canceled', `caller: canceled: ${JSON.stringify(c.events)}`);
    const c2 = await b.waitEnded(in2);
    assert.equal(c2.originator, 'remote', `callee: canceled by the caller: ${JSON.stringify(c2.events)}`);
    await checkPageErrors();
  });

  it('far end calls 1001: incoming → ringing with the INVITE in callDetails; far end cancels → callEnded + terminated', T, async () => {
    const agent = await openAgent();
    const f = await far(1002);
    const sid = 'CA-cancel-7f3e9a';
    const id = await f.call(TARGET, { callSid: sid });

    await waitCallEvent(agent, 'incoming');
    await waitCallEvent(agent, 'ringing');
    const farInfo = await f.waitEvent(id, 'progress', { pred: (x) => x && x.status === 180 });
    let evs = await callEvents(agent);
    assert.deepEqual(types(evs), ['incoming', 'ringing'], 'call events so far');
    for (const e of evs) {
      assert.equal(e.phone, AGENT, `phone argument of '${e.type}'`);
      assert.equal(e.same, true, `callObj of '${e.type}' must be exWebClient.getCall()`);
    }
    checkIncomingDetails(evs[0].details, { sid, callId: farInfo.callId, from: '1002' });
    checkIncomingDetails(await details(agent), { sid, callId: farInfo.callId, from: '1002' });
    assert.equal((await sessionStates(agent))[0], 'incoming', 'first SessionCallback state');
    await waitTone(agent, 'ringtone', true, 'ringtone while ringing');

    await f.cancel(id);
    const end = await f.waitEnded(id);
    assert.equal(end.cause, 'Canceled', `far end: call canceled: ${JSON.stringify(end.events)}`);
    await waitCallEvent(agent, 'terminated');
    await waitTone(agent, 'ringtone', false, 'ringtone stopped by the CANCEL');
    await checkMediaReleased(agent);
    evs = await callEvents(agent);
    assert.deepEqual(types(evs), ['incoming', 'ringing', 'callEnded', 'terminated'], 'call events: never connected');
    for (const e of evs) assert.equal(e.phone, AGENT, `phone argument of '${e.type}'`);
    const st = await sessionStates(agent);
    assert.ok(st.includes('terminated'), `SessionCallback 'terminated': ${JSON.stringify(st)}`);
    assert.ok(!st.includes('accepted'), `no SessionCallback 'accepted': ${JSON.stringify(st)}`);
    await checkPageErrors();
  });

  it('Answer(): connected here, confirmed there, RTP both ways, remote audio played; local Hangup() → BYE to the far end', T, async () => {
    const agent = await openAgent();
    const f = await far(1002);
    const sid = 'CA-answer-0c11d2';
    const id = await f.call(TARGET, { callSid: sid });
    await waitCallEvent(agent, 'ringing');
    await waitTone(agent, 'ringtone', true, 'ringtone while ringing');

    await answer(agent);
    await waitCallEvent(agent, 'connected');
    const farInfo = await f.waitEvent(id, 'confirmed');
    await waitTone(agent, 'ringtone', false, 'ringtone stopped by Answer()');
    assert.ok(!farInfo.ended, 'far end: call up');

    // Media: inbound RTP grows on both ends; audioLevel > 0 on ours means the SDK plays it.
    await waitRtpGrowing(() => agentStats(agent), 'SDK page (1001)');
    await waitRtpGrowing(() => f.stats(id), 'far end (1002)');
    await waitAudible(() => agentStats(agent), 'SDK page (1001): the SDK must play remote audio through an audio element');
    await waitAudible(() => f.stats(id), 'far end (1002)');

    const media = await agent.page.evaluate(() => window.mediaState());
    assert.ok(media.pcs.length >= 1, 'the SDK created an RTCPeerConnection');
    assert.ok(media.tracks.some((t) => t.kind === 'audio'), 'the SDK took a microphone track');
    const cfg = media.pcs[media.pcs.length - 1].config;
    assert.deepEqual(cfg && cfg.iceServers, [], `sipAccountInfo.iceServers [] reaches the RTCPeerConnection: ${JSON.stringify(cfg)}`);

    let evs = await callEvents(agent);
    assert.deepEqual(types(evs), ['incoming', 'ringing', 'connected'], 'call events so far');
    const d = evs[2].details;
    checkIncomingDetails(d, { sid, callId: farInfo.callId, from: '1002' });
    assert.ok(d.callStartedTime, `callDetails().callStartedTime once connected: ${JSON.stringify(d)}`);
    const st = await sessionStates(agent);
    assert.ok(st.indexOf('incoming') >= 0 && st.indexOf('incoming') < st.indexOf('accepted'), `SessionCallback incoming → accepted: ${JSON.stringify(st)}`);
    assert.ok(st.some((s) => s.startsWith('ice_gathering_state_')), `SessionCallback ice_gathering_state_*: ${JSON.stringify(st)}`);
    assert.ok(
      await S.waitFor(async () => (await sessionStates(agent)).some((s) => /^ice_connection_state_(connected|completed)$/.test(s)), {
        message: 'SessionCallback ice_connection_state_connected',
      }),
    );

    await agent.page.evaluate(() => window.exWebClient.getCall().Hangup());
    const end = await f.waitEvent(id, 'bye_received');
    assert.equal(end.originator, 'remote', 'far end: ended by our BYE');
    await waitCallEvent(agent, 'callEnded');
    await checkMediaReleased(agent, { answered: true });
    evs = await callEvents(agent);
    assert.deepEqual(types(evs), ['incoming', 'ringing', 'connected', 'callEnded'], 'call events: local hangup has no terminated');
    for (const e of evs) {
      assert.equal(e.phone, AGENT, `phone argument of '${e.type}'`);
      assert.equal(e.same, true, `callObj of '${e.type}' must be exWebClient.getCall()`);
    }
    assert.ok((await sessionStates(agent)).includes('terminated'), "SessionCallback 'terminated'");
    await checkPageErrors();
  });

  it('remote hangup (BYE) → callEnded then terminated; the next call on the same page connects with audio', T, async () => {
    const agent = await openAgent();
    const f = await far(1002);
    for (const [round, sid] of [[1, 'CA-remote-1'], [2, 'CA-remote-2']]) {
      const base = (await callEvents(agent)).length;
      const id = await f.call(TARGET, { callSid: sid });
      await waitCallEvent(agent, 'ringing', base);
      assert.equal((await details(agent)).callSid, sid, `call ${round}: callDetails().callSid`);
      await answer(agent);
      await waitCallEvent(agent, 'connected', base);
      await f.waitEvent(id, 'confirmed');
      await waitRtpGrowing(() => agentStats(agent), `call ${round}: SDK page`);
      await waitRtpGrowing(() => f.stats(id), `call ${round}: far end`);

      await f.hangup(id);
      await waitCallEvent(agent, 'terminated', base);
      const end = await f.waitEnded(id);
      assert.equal(end.originator, 'local', `call ${round}: far end hung up: ${JSON.stringify(end.events)}`);
      await checkMediaReleased(agent, { answered: true });
      const evs = (await callEvents(agent)).slice(base);
      assert.deepEqual(types(evs), ['incoming', 'ringing', 'connected', 'callEnded', 'terminated'], `call ${round}: call events`);
      for (const e of evs) {
        assert.equal(e.phone, AGENT, `call ${round}: phone argument of '${e.type}'`);
        assert.equal(e.same, true, `call ${round}: callObj of '${e.type}' must be exWebClient.getCall()`);
      }
    }
    const media = await agent.page.evaluate(() => window.mediaState());
    assert.ok(media.pcs.length >= 2, `a fresh RTCPeerConnection per call: ${media.pcs.length}`);
    await checkPageErrors();
  });

  it('Hangup() while ringing → 486 at the far end; callEnded without connected or terminated', T, async () => {
    const agent = await openAgent();
    const f = await far(1002);
    const id = await f.call(TARGET, { callSid: 'CA-reject' });
    await waitCallEvent(agent, 'ringing');
    await waitTone(agent, 'ringtone', true, 'ringtone while ringing');
    await agent.page.evaluate(() => window.exWebClient.getCall().Hangup());
    const end = await f.waitEnded(id);
    assert.equal(end.status, 486, `far end: final response 486: ${JSON.stringify(end.events)}`);
    assert.equal(end.originator, 'remote');
    await waitCallEvent(agent, 'callEnded');
    await waitTone(agent, 'ringtone', false, 'ringtone stopped by the rejection');
    await checkMediaReleased(agent);
    const evs = await callEvents(agent);
    assert.deepEqual(types(evs), ['incoming', 'ringing', 'callEnded'], 'call events: rejected locally');
    for (const e of evs) assert.equal(e.phone, AGENT, `phone argument of '${e.type}'`);
    assert.ok((await sessionStates(agent)).includes('terminated'), "SessionCallback 'terminated'");
    await checkPageErrors();
  });

  it('caller id: From as in 3.0.10; an anonymous From shows P-Asserted-Identity, else Remote-Party-ID; assertedIdentity in callDetails', T, async () => {
    const agent = await openAgent();
    const f = await far(1002);
    const PAI = 'P-Asserted-Identity: "Alice" <sip:+911234@127.0.0.1;user=phone>, <tel:+911234>';
    const RPID = 'Remote-Party-ID: "Bob" <sip:+915678@127.0.0.1>;party=calling;screen=yes;privacy=off';
    const cases = [
      { what: 'a named From with PAI', opts: { headers: [PAI] }, want: ['1002', 'Far 1002', '+911234'] },
      { what: 'From "Anonymous" with PAI and RPID', opts: { headers: [PAI, RPID], fromDisplayName: 'Anonymous' }, want: ['+911234', 'Alice', '+911234'] },
      { what: 'From "Anonymous" with RPID only', opts: { headers: [RPID], fromDisplayName: 'Anonymous' }, want: ['+915678', 'Bob', '+915678'] },
      { what: 'From "Anonymous" alone', opts: { fromDisplayName: 'Anonymous' }, want: ['1002', 'Anonymous', ''] },
    ];
    for (const [n, c] of cases.entries()) {
      const id = await f.call(TARGET, c.opts);
      const evs = await R.waitCallEventCount(agent, 'incoming', n + 1);
      const d = evs.filter((e) => e.type === 'incoming')[n].details;
      assert.deepEqual([d.remoteId, d.remoteDisplayName, d.assertedIdentity], c.want, `${c.what}: remoteId, remoteDisplayName, assertedIdentity: ${JSON.stringify(d)}`);
      assert.deepEqual((({ remoteId, remoteDisplayName, assertedIdentity }) => [remoteId, remoteDisplayName, assertedIdentity])(await details(agent)), c.want, `${c.what}: callDetails()`);
      await agent.page.evaluate(() => window.exWebClient.getCall().Hangup());
      await f.waitEnded(id);
      await R.waitCallEventCount(agent, 'callEnded', n + 1);
    }
    await checkPageErrors();
  });

  it('a second call while one is up → 486 to the second caller; the first call carries on', T, async () => {
    const agent = await openAgent();
    const f1 = await far(1002);
    const f2 = await far(1003);
    const id1 = await f1.call(TARGET, { callSid: 'CA-first' });
    await waitCallEvent(agent, 'ringing');
    await answer(agent);
    await waitCallEvent(agent, 'connected');
    await f1.waitEvent(id1, 'confirmed');
    await waitRtpGrowing(() => agentStats(agent), 'SDK page, first call');

    const id2 = await f2.call(TARGET, { callSid: 'CA-second' });
    const busy = await f2.waitEnded(id2);
    assert.equal(busy.status, 486, `second caller: 486 Busy Here: ${JSON.stringify(busy.events)}`);

    // The first call is untouched: still up at the far end, no new events here, media flowing.
    assert.equal((await f1.info(id1)).ended, false, 'first call still up at the far end');
    await waitRtpGrowing(() => agentStats(agent), 'SDK page, first call after the 486');
    let evs = await callEvents(agent);
    assert.deepEqual(types(evs), ['incoming', 'ringing', 'connected'], 'no events for the rejected second call');
    assert.equal((await details(agent)).callSid, 'CA-first', 'callDetails() still describe the first call');

    await f1.hangup(id1);
    await waitCallEvent(agent, 'terminated');
    await checkMediaReleased(agent, { answered: true });
    evs = await callEvents(agent);
    assert.deepEqual(types(evs), ['incoming', 'ringing', 'connected', 'callEnded', 'terminated'], 'call events');
    await checkPageErrors();
  });
});

// ---------------------------------------------------------------------------------------------
// helpers

function openAgent(user = AGENT) {
  return rig.openAgent({ user });
}

/** callDetails() of an incoming call from the INVITE of the far end. */
function checkIncomingDetails(d, { sid, callId, from }) {
  const j = JSON.stringify(d);
  assert.ok(d && typeof d === 'object', `callDetails() returns an object: ${j}`);
  for (const k of ['callId', 'callSid', 'legSid', 'callState', 'callDirection', 'callStartedTime', 'remoteDisplayName', 'remoteId', 'assertedIdentity', 'callEndReason', 'sipHeaders']) {
    assert.ok(k in d, `callDetails() has '${k}': ${j}`);
  }
  assert.equal(d.callSid, sid, `callDetails().callSid = the INVITE's X-Exotel-Callsid: ${j}`);
  assert.equal(d.callId, callId, `callDetails().callId = the INVITE's Call-ID: ${j}`);
  assert.equal(d.remoteId, from, `callDetails().remoteId = the caller's user part: ${j}`);
  assert.equal(d.remoteDisplayName, `Far ${from}`, `callDetails().remoteDisplayName = the From display name: ${j}`);
  assert.equal(d.callDirection, 'incoming', `callDetails().callDirection: ${j}`);
  assert.ok(typeof d.callState === 'string' && d.callState, `callDetails().callState non-empty: ${j}`);
  const h = d.sipHeaders || {};
  const key = Object.keys(h).find((k) => k.toLowerCase() === 'x-exotel-callsid');
  assert.ok(key, `sipHeaders carry X-Exotel-Callsid: ${j}`);
  assert.deepEqual([h[key]].flat(), [sid], `sipHeaders X-Exotel-Callsid value: ${j}`);
  const cid = Object.keys(h).find((k) => k.toLowerCase() === 'call-id');
  assert.ok(cid && [h[cid]].flat()[0] === callId, `sipHeaders Call-ID: ${j}`);
}
