// Outgoing calls end to end (makeCall, ours: 3.0.10 had none): dist/exotelsdk.js on the
// guide-style agent page (tests/e2e/pages/agent.html, 1001, Chromium with a 440 Hz microphone)
// calls a JsSIP far end (tests/e2e/farend/, 1002, its own Chromium with a 1 kHz microphone)
// through a private Kamailio; then two SDK pages call each other.
// The agent page records every RTCPeerConnection and getUserMedia track before the SDK loads,
// so media and cleanup are checked without SDK hooks; tones are read through exotelSDK.__tones.
// Every wait is a bounded poll; no assertion depends on how long something took.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as S from './support.mjs';
import { callEvents, types } from './agent.mjs';
import { waitRtpGrowing } from './farend/driver.mjs';
import * as R from './rig.mjs';
import { agentStats, answer, details, sessionStates, tonePlaying, farIncoming, waitTone, waitAudible, checkMediaReleased, waitCallEventFrom as waitCallEvent } from './rig.mjs';

const T = { timeout: 90000 };
const AGENT = '1001';
const FAR = '1002';

const rig = R.callRig('outbound');
const { far, waitBinding, checkPageErrors } = rig;

describe('outgoing calls (makeCall; Chromium, dist/exotelsdk.js by script tag, JsSIP far end)', () => {
  for (const who of ['local', 'remote']) {
    const title =
      who === 'local'
        ? 'makeCall(1002): far end rings, ringback here; far end answers → connected, ringback stops, RTP both ways; local Hangup() → BYE'
        : 'makeCall(1002) answered, RTP both ways; far end hangs up (BYE) → callEnded then terminated';
    it(title, T, async () => {
      const agent = await openAgent();
      const f = await far(FAR);

      assert.equal(await dial(agent, FAR), true, 'makeCall resolves true once the call is placed');
      const id = await farIncoming(f);
      const inv = await f.info(id);
      assert.equal(inv.direction, 'incoming');
      await waitCallEvent(agent, 'ringing');
      await f.waitEvent(id, 'progress'); // JsSIP sent 180 Ringing
      await waitTone(agent, 'ringbacktone', true, 'ringback while the far end rings');
      assert.equal(await tonePlaying(agent, 'ringtone'), false, 'no ringtone on an outgoing call');

      let evs = await callEvents(agent);
      assert.deepEqual(types(evs), ['ringing'], 'call events while ringing');
      checkOutgoingEvents(evs);
      const d = await details(agent);
      checkOutgoingDetails(d, { callId: inv.callId });
      assert.equal(await farFrom(f, id), AGENT, "far end: the INVITE's From user is ours");

      await f.answer(id);
      await waitCallEvent(agent, 'connected');
      await f.waitEvent(id, 'confirmed'); // our ACK arrived
      await waitTone(agent, 'ringbacktone', false, 'ringback stopped once connected');

      await waitRtpGrowing(() => agentStats(agent), 'SDK page (1001, caller)');
      await waitRtpGrowing(() => f.stats(id), 'far end (1002, callee)');
      await waitAudible(() => agentStats(agent), 'SDK page (1001): the SDK must play remote audio of an outgoing call');
      await waitAudible(() => f.stats(id), 'far end (1002)');

      const media = await agent.page.evaluate(() => window.mediaState());
      assert.ok(media.pcs.length >= 1, 'the SDK created an RTCPeerConnection');
      assert.ok(media.tracks.some((t) => t.kind === 'audio'), 'the SDK took a microphone track');
      const cfg = media.pcs[media.pcs.length - 1].config;
      assert.deepEqual(cfg && cfg.iceServers, [], `sipAccountInfo.iceServers [] reaches the RTCPeerConnection: ${JSON.stringify(cfg)}`);

      evs = await callEvents(agent);
      assert.deepEqual(types(evs), ['ringing', 'connected'], 'call events once connected');
      checkOutgoingEvents(evs);
      const dc = evs[1].details;
      checkOutgoingDetails(dc, { callId: inv.callId });
      assert.equal(dc.callState, 'connected', `callDetails().callState once connected: ${JSON.stringify(dc)}`);
      assert.ok(dc.callEstablishedTime, `callDetails().callEstablishedTime once connected: ${JSON.stringify(dc)}`);

      if (who === 'local') {
        await agent.page.evaluate(() => window.exWebClient.getCall().Hangup());
        const end = await f.waitEvent(id, 'bye_received');
        assert.equal(end.originator, 'remote', 'far end: ended by our BYE');
        await waitCallEvent(agent, 'callEnded');
      } else {
        await f.hangup(id);
        await waitCallEvent(agent, 'terminated');
        const end = await f.waitEnded(id);
        assert.equal(end.originator, 'local', `far end hung up: ${JSON.stringify(end.events)}`);
      }
      await checkMediaReleased(agent, { answered: true });
      evs = await callEvents(agent);
      const want = who === 'local' ? ['ringing', 'connected', 'callEnded'] : ['ringing', 'connected', 'callEnded', 'terminated'];
      assert.deepEqual(types(evs), want, `call events after the ${who} hangup`);
      checkOutgoingEvents(evs);
      const de = await details(agent);
      assert.equal(de.callState, 'ended', `callDetails().callState after the end: ${JSON.stringify(de)}`);
      assert.ok(de.callEndedTime, `callDetails().callEndedTime after the end: ${JSON.stringify(de)}`);
      if (who === 'remote') assert.match(de.callEndReason, /remote/i, 'callDetails().callEndReason of a far-end hangup');
      assert.equal(await tonePlaying(agent, 'ringbacktone'), false, 'no ringback after the call');
      assert.ok((await sessionStates(agent)).includes('terminated'), "SessionCallback 'terminated'");
      await checkPageErrors();
    });
  }

  it('Hangup() while the far end rings → CANCEL (far end: Canceled, by the remote side); callEnded without terminated', T, async () => {
    const agent = await openAgent();
    const f = await far(FAR);
    assert.equal(await dial(agent, FAR), true);
    const id = await farIncoming(f);
    await f.waitEvent(id, 'progress');
    await waitCallEvent(agent, 'ringing');
    await waitTone(agent, 'ringbacktone', true, 'ringback while the far end rings');

    await agent.page.evaluate(() => window.exWebClient.getCall().Hangup());
    const end = await f.waitEnded(id);
    assert.equal(end.cause, 'Canceled', `far end: the call was cancelled: ${JSON.stringify(end.events)}`);
    assert.equal(end.originator, 'remote', `far end: cancelled by the caller: ${JSON.stringify(end.events)}`);
    assert.ok(!end.events.some((e) => e[0] === 'confirmed'), 'far end: never confirmed');
    await waitCallEvent(agent, 'callEnded');
    await waitTone(agent, 'ringbacktone', false, 'ringback stopped by the CANCEL');
    await checkMediaReleased(agent, { answered: true }); // mic and offer came before the INVITE
    const evs = await callEvents(agent);
    assert.deepEqual(types(evs), ['ringing', 'callEnded'], 'call events: cancelled locally');
    checkOutgoingEvents(evs);
    assert.equal((await details(agent)).callState, 'ended');
    await checkPageErrors();
  });

  it('Hangup() right after makeCall resolves, before any answer: the call ends on both sides, nothing left over', T, async () => {
    const agent = await openAgent();
    const f = await far(FAR);
    // makeCall and Hangup in one task: the INVITE may or may not have gone out yet.
    const ok = await agent.page.evaluate(async (t) => {
      const r = await window.exWebClient.makeCall(t);
      window.exWebClient.getCall().Hangup();
      return r;
    }, FAR);
    assert.equal(ok, true, 'makeCall resolved true');
    await waitCallEvent(agent, 'callEnded');
    await checkMediaReleased(agent);
    await waitTone(agent, 'ringbacktone', false, 'no ringback after the early hangup');
    // Whatever reached the far end must end there too (CANCEL once the far end answered 1xx).
    await S.waitFor(async () => {
      for (const id of await f.incoming()) if (!(await f.info(id)).ended) return false;
      return true;
    }, { timeout: 20000, message: 'every INVITE that reached the far end to end' });
    const evs = await callEvents(agent);
    assert.deepEqual(types(evs).filter((t) => t !== 'ringing'), ['callEnded'], `call events: ${JSON.stringify(types(evs))}`);
    assert.ok(!types(evs).includes('connected'), 'never connected');
    // The page is ready for the next call.
    assert.equal(await dial(agent, FAR), true, 'a second makeCall after the early hangup');
    const id2 = await S.waitFor(async () => {
      for (const id of await f.incoming()) if (!(await f.info(id)).ended) return { id };
      return null;
    }, { message: 'far end to receive the second INVITE' }).then((x) => x.id);
    await f.waitEvent(id2, 'progress');
    await agent.page.evaluate(() => window.exWebClient.getCall().Hangup());
    await f.waitEnded(id2);
    await S.waitFor(async () => types(await callEvents(agent)).filter((t) => t === 'callEnded').length === 2, {
      message: 'callEnded of the second call',
    });
    await checkMediaReleased(agent);
    await checkPageErrors();
  });

  it('far end rejects with 486 → callEnded + terminated; callEndReason says rejected; ringback stops', T, async () => {
    const agent = await openAgent();
    const f = await far(FAR);
    assert.equal(await dial(agent, FAR), true);
    const id = await farIncoming(f);
    await f.waitEvent(id, 'progress');
    await waitCallEvent(agent, 'ringing');
    await waitTone(agent, 'ringbacktone', true, 'ringback while the far end rings');

    // farend.js has no reject: drive the JsSIP session directly.
    await f.page.evaluate((i) => window.far.calls[i].session.terminate({ status_code: 486, reason_phrase: 'Busy Here' }), id);
    const end = await f.waitEnded(id);
    assert.equal(end.originator, 'local', `far end: rejected locally: ${JSON.stringify(end.events)}`);
    await waitCallEvent(agent, 'terminated');
    await waitTone(agent, 'ringbacktone', false, 'ringback stopped by the 486');
    await checkMediaReleased(agent, { answered: true });
    const evs = await callEvents(agent);
    assert.deepEqual(types(evs), ['ringing', 'callEnded', 'terminated'], 'call events: refused by the far end');
    checkOutgoingEvents(evs);
    const d = await details(agent);
    assert.equal(d.callState, 'ended');
    assert.match(String(d.callEndReason), /reject/i, `callDetails().callEndReason names the rejection: ${JSON.stringify(d)}`);
    const logs = await agent.page.evaluate(() => window.logs.map((l) => l[1]).join('\n'));
    assert.match(logs, /486/, 'the 486 status appears in the SDK log');
    await checkPageErrors();
  });

  it('makeCall to a user with no binding → the proxy refuses (480): callEnded + terminated, rejected, nothing left over', T, async () => {
    const agent = await openAgent();
    assert.equal((await rig.kam.contacts(1003)).length, 0, '1003 is not registered');
    assert.equal(await dial(agent, '1003'), true, 'makeCall resolves true: the call is placed');
    await waitCallEvent(agent, 'terminated');
    await checkMediaReleased(agent, { answered: true });
    assert.equal(await tonePlaying(agent, 'ringbacktone'), false, 'no ringback after the refusal');
    const evs = await callEvents(agent);
    assert.deepEqual(types(evs), ['callEnded', 'terminated'], 'call events: refused before ringing');
    checkOutgoingEvents(evs);
    const d = await details(agent);
    checkOutgoingDetails(d, { to: '1003' });
    assert.match(String(d.callEndReason), /reject/i, `callDetails().callEndReason: ${JSON.stringify(d)}`);
    const logs = await agent.page.evaluate(() => window.logs.map((l) => l[1]).join('\n'));
    assert.match(logs, /480/, 'the 480 status appears in the SDK log');
    await checkPageErrors();
  });

  it("makeCall('not a number!') resolves false and logs an error; makeCall during a call resolves false; after the call makeCall works again", T, async () => {
    const agent = await openAgent();
    const f = await far(FAR);

    const bad = await agent.page.evaluate(() => window.exWebClient.makeCall('not a number!'));
    assert.equal(bad, false, 'an invalid target resolves false');
    const errs = await agent.page.evaluate(() => window.logs.filter((l) => l[0] === 'error').map((l) => l[1]));
    assert.ok(errs.some((m) => /makeCall/.test(m)), `an error names makeCall: ${JSON.stringify(errs)}`);
    assert.deepEqual(await callEvents(agent), [], 'no call events for an invalid target');
    assert.equal((await agent.page.evaluate(() => window.mediaState())).tracks.length, 0, 'no microphone taken for an invalid target');
    assert.equal(await tonePlaying(agent, 'ringbacktone'), false, 'no ringback for an invalid target');

    assert.equal(await dial(agent, FAR), true, 'a valid call');
    const id = await farIncoming(f);
    await waitCallEvent(agent, 'ringing');
    const errCount = async () => agent.page.evaluate(() => window.logs.filter((l) => l[0] === 'error').length);
    let n = await errCount();
    assert.equal(await dial(agent, '1003'), false, 'makeCall while ringing resolves false');
    assert.ok((await errCount()) > n, 'makeCall while ringing logs an error');

    await f.answer(id);
    await waitCallEvent(agent, 'connected');
    await f.waitEvent(id, 'confirmed');
    n = await errCount();
    assert.equal(await dial(agent, 'sip:1003@127.0.0.1'), false, 'makeCall while connected resolves false');
    assert.ok((await errCount()) > n, 'makeCall while connected logs an error');
    // The call in progress is untouched.
    await waitRtpGrowing(() => agentStats(agent), 'SDK page, after the refused makeCalls');
    assert.equal((await f.info(id)).ended, false, 'the far end is still in the call');
    assert.deepEqual(types(await callEvents(agent)), ['ringing', 'connected'], 'no events for the refused makeCalls');
    assert.equal((await details(agent)).remoteId, FAR, 'callDetails() still describe the call in progress');
    assert.equal((await f.incoming()).length, 1, 'the far end got one INVITE');

    await f.hangup(id);
    await waitCallEvent(agent, 'terminated');
    await checkMediaReleased(agent, { answered: true });

    // After the call: a sip: URI target works, and the new call has fresh details.
    assert.equal(await dial(agent, `sip:${FAR}@127.0.0.1`), true, 'makeCall with a sip: URI after the call');
    const id2 = await farIncoming(f, 1);
    await f.waitEvent(id2, 'progress');
    await waitCallEvent(agent, 'ringing', 4);
    const d = await details(agent);
    checkOutgoingDetails(d, { callId: (await f.info(id2)).callId });
    assert.equal(d.callState, 'ringing', `a fresh call record: ${JSON.stringify(d)}`);
    await agent.page.evaluate(() => window.exWebClient.getCall().Hangup());
    await f.waitEnded(id2);
    await waitCallEvent(agent, 'callEnded', 5);
    await checkMediaReleased(agent);
    assert.deepEqual(types(await callEvents(agent)), ['ringing', 'connected', 'callEnded', 'terminated', 'ringing', 'callEnded']);
    await checkPageErrors();
  });

  it('SDK to SDK: 1001 makeCall(1002) → 1002 incoming, Answer() → both connected, RTP both ways; 1001 hangs up → both end cleanly', T, async () => {
    const a = await openAgent(AGENT, rig.ours);
    const b = await openAgent(FAR, rig.theirs);

    assert.equal(await dial(a, FAR), true);
    await waitCallEvent(b, 'incoming');
    await waitCallEvent(b, 'ringing');
    await waitCallEvent(a, 'ringing');
    await waitTone(b, 'ringtone', true, 'ringtone on the callee');
    await waitTone(a, 'ringbacktone', true, 'ringback on the caller');
    const da = await details(a);
    const db = await details(b);
    checkOutgoingDetails(da, {});
    assert.equal(db.callDirection, 'incoming', `callee callDirection: ${JSON.stringify(db)}`);
    assert.equal(db.remoteId, AGENT, `callee remoteId: ${JSON.stringify(db)}`);
    assert.equal(db.remoteDisplayName, `Agent ${AGENT}`, `callee remoteDisplayName (our From display name): ${JSON.stringify(db)}`);
    assert.equal(db.callId, da.callId, 'one Call-ID on both sides');

    await answer(b);
    await waitCallEvent(b, 'connected');
    await waitCallEvent(a, 'connected');
    await waitTone(a, 'ringbacktone', false, 'caller ringback stopped');
    await waitTone(b, 'ringtone', false, 'callee ringtone stopped');
    await waitRtpGrowing(() => agentStats(a), 'caller (1001)');
    await waitRtpGrowing(() => agentStats(b), 'callee (1002)');
    await waitAudible(() => agentStats(a), 'caller (1001)');
    await waitAudible(() => agentStats(b), 'callee (1002)');

    await a.page.evaluate(() => window.exWebClient.getCall().Hangup());
    await waitCallEvent(a, 'callEnded');
    await waitCallEvent(b, 'terminated');
    await checkMediaReleased(a, { answered: true });
    await checkMediaReleased(b, { answered: true });
    const ea = await callEvents(a);
    const eb = await callEvents(b);
    assert.deepEqual(types(ea), ['ringing', 'connected', 'callEnded'], 'caller call events');
    assert.deepEqual(types(eb), ['incoming', 'ringing', 'connected', 'callEnded', 'terminated'], 'callee call events');
    checkOutgoingEvents(ea);
    for (const e of eb) {
      assert.equal(e.phone, FAR, `callee: phone argument of '${e.type}'`);
      assert.equal(e.same, true, `callee: callObj of '${e.type}' must be exWebClient.getCall()`);
      assert.equal(e.details && e.details.callDirection, 'incoming', `callee: direction in '${e.type}'`);
    }
    for (const o of [a, b]) {
      assert.equal(await tonePlaying(o, 'ringtone'), false);
      assert.equal(await tonePlaying(o, 'ringbacktone'), false);
      assert.equal(await o.page.textContent('#call'), 'idle', 'the page shows idle');
    }
    await checkPageErrors();
  });
});

// ---------------------------------------------------------------------------------------------
// helpers

function openAgent(user = AGENT, ctx = rig.ours) {
  return rig.openAgent({ user, ctx });
}

const farFrom = (f, id) => f.page.evaluate((i) => window.far.calls[i].from, id);
const dial = (o, target) => o.page.evaluate((t) => window.exWebClient.makeCall(t), target);

/** Every event of our outgoing call: phone = our user, callObj = getCall(), direction outgoing. */
function checkOutgoingEvents(evs, user = AGENT) {
  for (const e of evs) {
    assert.equal(e.phone, user, `phone argument of '${e.type}'`);
    assert.equal(e.same, true, `callObj of '${e.type}' must be exWebClient.getCall()`);
    assert.equal(e.details && e.details.callDirection, 'outgoing', `callDetails().callDirection in '${e.type}': ${JSON.stringify(e.details)}`);
  }
}

function checkOutgoingDetails(d, { callId, to = FAR }) {
  const j = JSON.stringify(d);
  assert.ok(d && typeof d === 'object', `callDetails() returns an object: ${j}`);
  for (const k of ['callId', 'callSid', 'legSid', 'callState', 'callDirection', 'callStartedTime', 'remoteDisplayName', 'remoteId', 'callEndReason', 'sipHeaders']) {
    assert.ok(k in d, `callDetails() has '${k}': ${j}`);
  }
  assert.equal(d.callDirection, 'outgoing', `callDetails().callDirection: ${j}`);
  assert.equal(d.remoteId, to, `callDetails().remoteId = the callee: ${j}`);
  assert.ok(typeof d.callId === 'string' && d.callId, `callDetails().callId non-empty: ${j}`);
  if (callId !== undefined) assert.equal(d.callId, callId, `callDetails().callId = the INVITE's Call-ID: ${j}`);
  assert.ok(d.callStartedTime, `callDetails().callStartedTime: ${j}`);
}
