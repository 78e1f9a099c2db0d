// Hold end to end: Call.Hold/UnHold/HoldToggle, and the far end holding us. dist/exotelsdk.js
// runs on the guide-style agent page (tests/e2e/pages/agent.html, 1001, Chromium with a 440 Hz
// microphone); a JsSIP far end (tests/e2e/farend/, 1002, its own Chromium with a 1 kHz
// microphone) calls it, or is called by it, through a private Kamailio.
// What is checked where:
//   - the SDP direction of every re-INVITE, at the far end's SIP stack (JsSIP 'sdp' events) and
//     in its RTCPeerConnection's remoteDescription;
//   - 'holdunhold_success' / 'holdunhold_failed' on our SessionCallback;
//   - media: RTP that stops or flows (getStats packet counters on both pages) and, for privacy,
//     the far end's inbound audioLevel from us: the agent's microphone must not be heard while
//     the far end is on hold (3.0.10 kept sending it).
// The agent page records every RTCPeerConnection and microphone track before the SDK loads; the
// rig's init script (rig.mjs instrument) adds unhandled rejections and played media elements.
// Every wait is a bounded poll; no assertion depends on how long something took.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as S from './support.mjs';
import { callEvents } from './agent.mjs';
import { waitRtpGrowing } from './farend/driver.mjs';
import * as R from './rig.mjs';
import { SILENT, agentStats, callMethod, details, hasLog, logsOf, muteEvents, sendTracksEnabled, sessionStates, countOf, farIncoming, checkMediaReleased, waitCallEventCount as waitCallEvent, waitLevel, waitAudible } from './rig.mjs';

const T = { timeout: 120000 };
const AGENT = '1001';
const FAR = '1002';
const TARGET = `sip:${AGENT}@127.0.0.1`;
const rig = R.callRig('hold');
const { far, waitBinding, checkPageErrors } = rig;

describe('hold (Chromium, dist/exotelsdk.js by script tag, JsSIP far end)', () => {
  for (const direction of ['incoming', 'outgoing']) {
    it(`Hold()/UnHold() on an ${direction} call: sendonly re-INVITE, far end's media stops, the agent is not heard; UnHold() restores sendrecv and audio both ways`, T, async () => {
      const agent = await openAgent();
      const f = await far(FAR);
      const id = direction === 'incoming' ? await connect(agent, f) : await connectOutgoing(agent, f);
      await watchFar(f, id);
      await waitLevel(f, id, true, 'far end hears the agent before Hold()');
      await waitAudible(() => agentStats(agent), 'the SDK page hears the far end before Hold()');
      assert.deepEqual(await holdEvents(agent), [], 'no hold session events yet');

      // UnHold() / UnMute() of a call that is neither held nor muted: logged no-ops.
      await callMethod(agent, 'UnHold');
      await callMethod(agent, 'UnMute');
      assert.deepEqual(await holdEvents(agent), [], 'UnHold() of an unheld call: no session event');
      assert.deepEqual(await muteEvents(agent), [], 'UnMute() of an unmuted call: no session event');

      // Hold
      await callMethod(agent, 'Hold');
      await waitSession(agent, 'holdunhold_success', 1, 'Hold()');
      assert.deepEqual(await farOffers(f, id), ['sendonly'], "far end: one re-INVITE, offering 'sendonly'");
      assert.equal(await farRemoteDir(f, id), 'sendonly', "far end's PC remoteDescription: sendonly");
      assert.equal(await ourLocalDir(agent), 'sendonly', 'our localDescription: sendonly');
      await waitFarHold(f, id, ['hold', 'remote'], "far end: JsSIP 'hold' (originator remote)");
      await waitRtpStopped(() => agentStats(agent), 'SDK page: RTP from the far end stops while it is on hold');
      await waitLevel(f, id, false, 'far end: the agent is not heard while the far end is on hold (privacy)');
      await assertStaysSilent(f, id, 'far end while on hold');
      assert.deepEqual(await holdEvents(agent), ['holdunhold_success'], "Hold(): 'holdunhold_success' once");
      assert.ok(await hasLog(agent, 'info', /on hold/), 'the hold is logged');
      assert.equal((await details(agent)).callState, 'connected', 'callDetails().callState stays connected while held');
      assert.equal((await f.info(id)).ended, false, 'the far end still has the call');

      // Resume
      await callMethod(agent, 'UnHold');
      await waitSession(agent, 'holdunhold_success', 2, 'UnHold()');
      assert.deepEqual(await farOffers(f, id), ['sendonly', 'sendrecv'], "far end: a second re-INVITE, offering 'sendrecv'");
      assert.equal(await farRemoteDir(f, id), 'sendrecv', "far end's PC remoteDescription: sendrecv");
      assert.equal(await ourLocalDir(agent), 'sendrecv', 'our localDescription: sendrecv');
      await waitFarHold(f, id, ['unhold', 'remote'], "far end: JsSIP 'unhold' (originator remote)");
      await waitRtpGrowing(() => agentStats(agent), 'SDK page: RTP from the far end again after UnHold()');
      await waitRtpGrowing(() => f.stats(id), 'far end: RTP from the agent after UnHold()');
      await waitLevel(f, id, true, 'far end hears the agent again after UnHold()');
      await waitAudible(() => agentStats(agent), 'the SDK page plays the far end again after UnHold()');
      assert.deepEqual(await holdEvents(agent), ['holdunhold_success', 'holdunhold_success'], "UnHold(): 'holdunhold_success' once more");
      assert.ok(await hasLog(agent, 'info', /resumed/), 'the resume is logged');

      await hangupAndCheck(agent, f, id);
    });
  }

  it('mute survives hold: Mute(), Hold(), UnHold() → still silent, UnMute() → heard; UnMute() while held stays silent until UnHold()', T, async () => {
    const agent = await openAgent();
    const f = await far(FAR);
    const id = await connect(agent, f);
    await watchFar(f, id);
    await waitLevel(f, id, true, 'far end hears the agent at first');

    await callMethod(agent, 'Mute');
    await waitLevel(f, id, false, 'far end: silence after Mute()');
    await callMethod(agent, 'Hold');
    await waitSession(agent, 'holdunhold_success', 1, 'Hold() of a muted call');
    await callMethod(agent, 'UnHold');
    await waitSession(agent, 'holdunhold_success', 2, 'UnHold() of a muted call');
    assert.equal(await farRemoteDir(f, id), 'sendrecv', 'resumed: the far end has sendrecv again');
    await waitRtpGrowing(() => f.stats(id), 'far end: RTP from the agent after UnHold() (muted)');
    await waitLevel(f, id, false, 'far end: still silent after UnHold() of a muted call');
    await assertStaysSilent(f, id, 'far end after UnHold() of a muted call');
    assert.deepEqual(await sendTracksEnabled(agent), [false], 'the sender track stays disabled: the call is still muted');
    await callMethod(agent, 'UnMute');
    await waitLevel(f, id, true, 'far end hears the agent after UnMute()');
    assert.deepEqual(await muteEvents(agent), ['muted', 'unmuted'], 'one mute event per change, none from hold');

    // The other order: held, then muted and unmuted; the hold keeps the microphone silent.
    await callMethod(agent, 'Hold');
    await waitSession(agent, 'holdunhold_success', 3, 'Hold() again');
    await waitLevel(f, id, false, 'far end: silence while held');
    await callMethod(agent, 'Mute');
    await callMethod(agent, 'UnMute');
    assert.deepEqual(await muteEvents(agent), ['muted', 'unmuted', 'muted', 'unmuted'], 'Mute()/UnMute() while held fire their events');
    await assertStaysSilent(f, id, 'far end: UnMute() while held does not un-silence the microphone');
    assert.deepEqual(await sendTracksEnabled(agent), [false], 'the sender track stays disabled while held');
    await callMethod(agent, 'UnHold');
    await waitSession(agent, 'holdunhold_success', 4, 'UnHold() again');
    await waitLevel(f, id, true, 'far end hears the agent after UnHold() (unmuted)');
    assert.deepEqual(await sendTracksEnabled(agent), [true], 'the sender track is enabled again');
    assert.deepEqual(await farOffers(f, id), ['sendonly', 'sendrecv', 'sendonly', 'sendrecv'], 'one re-INVITE per hold change');

    await hangupAndCheck(agent, f, id);
  });

  it('HoldToggle() twice returns to unheld; a second Hold()/toggle while the re-INVITE is in flight fails or is a logged no-op, and the call stays usable', T, async () => {
    const agent = await openAgent();
    const f = await far(FAR);
    const id = await connect(agent, f);
    await watchFar(f, id);

    await callMethod(agent, 'HoldToggle');
    await waitSession(agent, 'holdunhold_success', 1, 'HoldToggle() #1');
    assert.equal(await farRemoteDir(f, id), 'sendonly', 'HoldToggle() #1 holds: sendonly');
    await waitLevel(f, id, false, 'far end: silence after HoldToggle() #1');
    await callMethod(agent, 'HoldToggle');
    await waitSession(agent, 'holdunhold_success', 2, 'HoldToggle() #2');
    assert.equal(await farRemoteDir(f, id), 'sendrecv', 'HoldToggle() #2 resumes: sendrecv');
    assert.deepEqual(await farOffers(f, id), ['sendonly', 'sendrecv'], 'two toggles, two re-INVITEs');
    await waitRtpGrowing(() => agentStats(agent), 'SDK page: RTP again after two toggles');
    await waitLevel(f, id, true, 'far end hears the agent after two toggles');

    // Hold() twice in one task: the second finds the first re-INVITE in flight.
    let logsBefore = (await logsOf(agent)).length;
    agent.failedOk = true; // from here on 'holdunhold_failed' is an allowed outcome
    await agent.page.evaluate(() => {
      const c = window.exWebClient.getCall();
      c.Hold();
      c.Hold();
    });
    await waitSession(agent, 'holdunhold_success', 3, 'the first of two quick Hold()');
    await checkSecondRefused(agent, logsBefore, 'Hold', 0, 'the second quick Hold()');
    assert.equal(await farRemoteDir(f, id), 'sendonly', 'the call is held: sendonly');
    await waitLevel(f, id, false, 'far end: silence while held');

    // Hold() of a held call: logged, nothing sent, no event.
    const before = await holdEvents(agent);
    await callMethod(agent, 'Hold');
    assert.ok(await hasLog(agent, 'info', /Call\.Hold: the call is already on hold/), 'Hold() of a held call is logged');
    assert.deepEqual(await holdEvents(agent), before, 'Hold() of a held call: no session event');

    // HoldToggle() twice in one task while held: the first resumes, the second meets it in flight.
    logsBefore = (await logsOf(agent)).length;
    const failedBefore = (await holdEvents(agent)).filter((e) => e === 'holdunhold_failed').length;
    await agent.page.evaluate(() => {
      const c = window.exWebClient.getCall();
      c.HoldToggle();
      c.HoldToggle();
    });
    await waitSession(agent, 'holdunhold_success', 4, 'the first of two quick HoldToggle()');
    await checkSecondRefused(agent, logsBefore, 'HoldToggle', failedBefore, 'the second quick HoldToggle()');
    assert.equal(await farRemoteDir(f, id), 'sendrecv', 'the call is resumed: sendrecv');
    assert.deepEqual(await farOffers(f, id), ['sendonly', 'sendrecv', 'sendonly', 'sendrecv'], 'one re-INVITE per change, none for the refused requests');

    // Still usable: audio both ways, and hold works again.
    await waitRtpGrowing(() => agentStats(agent), 'SDK page: RTP after the quick requests');
    await waitRtpGrowing(() => f.stats(id), 'far end: RTP after the quick requests');
    await waitLevel(f, id, true, 'far end hears the agent after the quick requests');
    await waitAudible(() => agentStats(agent), 'the SDK page plays the far end after the quick requests');
    await callMethod(agent, 'Hold');
    await waitSession(agent, 'holdunhold_success', 5, 'Hold() after the quick requests');
    await callMethod(agent, 'UnHold');
    await waitSession(agent, 'holdunhold_success', 6, 'UnHold() after the quick requests');
    await waitLevel(f, id, true, 'far end hears the agent at the end');
    assert.equal((await f.info(id)).ended, false, 'the far end still has the call');

    await hangupAndCheck(agent, f, id);
  });

  it("the far end holds us: we answer recvonly and the call stays up; unhold → RTP both ways; our Hold() while held offers 'inactive'", T, async () => {
    const agent = await openAgent();
    const f = await far(FAR);
    const id = await connect(agent, f);
    await watchFar(f, id);
    await waitLevel(f, id, true, 'far end hears the agent at first');

    // JsSIP hold(): sendonly re-INVITE to us.
    await farHold(f, id, 'hold');
    await waitFarHold(f, id, ['hold', 'local'], "far end: JsSIP 'hold' (originator local)");
    assert.equal(await farRemoteDir(f, id), 'recvonly', "our answer (far end's remoteDescription): recvonly");
    assert.equal(await ourLocalDir(agent), 'recvonly', 'our localDescription: recvonly');
    await waitRtpStopped(() => f.stats(id), 'far end: we send no RTP while it holds us (recvonly)');
    assert.equal((await f.info(id)).ended, false, 'the far end still has the call');
    assert.ok(!(await callTypes(agent)).includes('callEnded'), 'our call goes on');
    assert.ok(await hasLog(agent, 'info', /the far end put the call on hold/), "the far end's hold is logged");
    assert.deepEqual(await holdEvents(agent), [], 'the far end holding us fires no holdunhold_* session event');

    // JsSIP unhold(): sendrecv again.
    await farHold(f, id, 'unhold');
    await waitFarHold(f, id, ['unhold', 'local'], "far end: JsSIP 'unhold' (originator local)");
    assert.equal(await farRemoteDir(f, id), 'sendrecv', 'our answer to the resume: sendrecv');
    await waitRtpGrowing(() => f.stats(id), 'far end: RTP from the agent after its unhold()');
    await waitRtpGrowing(() => agentStats(agent), 'SDK page: RTP from the far end after its unhold()');
    await waitLevel(f, id, true, 'far end hears the agent after its unhold()');
    await waitAudible(() => agentStats(agent), 'the SDK page plays the far end after its unhold()');
    assert.ok(await hasLog(agent, 'info', /the far end resumed the call/), "the far end's resume is logged");

    // Both holding: the far end holds us, then we hold it → our offer is 'inactive'.
    await farHold(f, id, 'hold');
    assert.equal(await farRemoteDir(f, id), 'recvonly', 'held by the far end again: recvonly');
    await callMethod(agent, 'Hold');
    await waitSession(agent, 'holdunhold_success', 1, 'Hold() while the far end holds us');
    assert.deepEqual(await farOffers(f, id), ['inactive'], "our re-INVITE offers 'inactive'");
    assert.equal(await farRemoteDir(f, id), 'inactive', "far end's remoteDescription: inactive");
    assert.equal(await ourLocalDir(agent), 'inactive', 'our localDescription: inactive');
    await waitFarHold(f, id, ['hold', 'remote'], "far end: JsSIP 'hold' (originator remote)");

    // We resume while the far end still holds us: recvonly; then it resumes: sendrecv.
    await callMethod(agent, 'UnHold');
    await waitSession(agent, 'holdunhold_success', 2, 'UnHold() while the far end holds us');
    assert.deepEqual(await farOffers(f, id), ['inactive', 'recvonly'], "our resume offers 'recvonly' while the far end holds us");
    await waitFarHold(f, id, ['unhold', 'remote'], "far end: JsSIP 'unhold' (originator remote)");
    await farHold(f, id, 'unhold');
    assert.equal(await farRemoteDir(f, id), 'sendrecv', 'both resumed: sendrecv');
    await waitRtpGrowing(() => f.stats(id), 'far end: RTP from the agent once both resumed');
    await waitRtpGrowing(() => agentStats(agent), 'SDK page: RTP from the far end once both resumed');
    await waitLevel(f, id, true, 'far end hears the agent once both resumed');
    await waitAudible(() => agentStats(agent), 'the SDK page plays the far end once both resumed');
    assert.deepEqual(await holdEvents(agent), ['holdunhold_success', 'holdunhold_success'], 'only our own hold changes fire session events');

    await hangupAndCheck(agent, f, id);
  });

  it('Hold()/UnHold()/HoldToggle() with no call, while ringing (both directions) and after the call: logged warnings, nothing thrown or sent', T, async () => {
    const agent = await openAgent();
    const f = await far(FAR);
    const tryAll = () =>
      agent.page.evaluate(() => {
        const out = [];
        for (const m of ['Hold', 'UnHold', 'HoldToggle']) {
          try {
            window.exWebClient.getCall()[m]();
          } catch (e) {
            out.push(`${m}: ${e}`);
          }
        }
        return out;
      });
    const warnings = async () => (await logsOf(agent)).filter(([t, m]) => t === 'warn' && /^Call\.(Hold|UnHold|HoldToggle): no connected call/.test(m)).length;

    // No call at all, and a client that never called initWebrtc.
    assert.deepEqual(await tryAll(), [], 'nothing throws without a call');
    assert.equal(await warnings(), 3, 'one warning each without a call');
    assert.ok(await hasLog(agent, 'warn', /Call\.Hold: no connected call/), 'Hold() without a call: warning');
    const fresh = await agent.page.evaluate(() => {
      const c = new window.exotelSDK.ExotelWebClient();
      const out = [];
      for (const m of ['Hold', 'UnHold', 'HoldToggle']) {
        try {
          c.getCall()[m]();
        } catch (e) {
          out.push(`${m}: ${e}`);
        }
      }
      return out;
    });
    assert.deepEqual(fresh, [], 'nothing throws before initWebrtc');

    // Incoming, ringing.
    const ringing = await countOf(agent, 'ringing');
    const id = await f.call(TARGET, { callSid: 'CA-hold-ringing' });
    await waitCallEvent(agent, 'ringing', ringing + 1);
    assert.deepEqual(await tryAll(), [], 'nothing throws while an incoming call rings');
    assert.equal(await warnings(), 9, 'one warning each while ringing (incoming)');
    await f.cancel(id);
    await waitCallEvent(agent, 'callEnded', 1);

    // Outgoing, ringing at the far end.
    const n = (await f.incoming()).length;
    assert.equal(await agent.page.evaluate(() => window.exWebClient.makeCall('1002')), true, 'makeCall placed');
    const fid = await farIncoming(f, n);
    await f.waitEvent(fid, 'progress');
    await waitCallEvent(agent, 'ringing', ringing + 2);
    assert.deepEqual(await tryAll(), [], 'nothing throws while an outgoing call rings');
    assert.equal(await warnings(), 12, 'one warning each while ringing (outgoing)');
    await agent.page.evaluate(() => window.exWebClient.getCall().Hangup());
    await waitCallEvent(agent, 'callEnded', 2);
    await f.waitEnded(fid);

    // After a connected call.
    const id2 = await connect(agent, f, 1);
    await f.hangup(id2);
    await waitCallEvent(agent, 'callEnded', 3);
    assert.deepEqual(await tryAll(), [], 'nothing throws after the call');
    assert.equal(await warnings(), 15, 'one warning each after the call');
    assert.deepEqual(await holdEvents(agent), [], 'no holdunhold_* session event without a connected call');
    await checkMediaReleased(agent);
    await checkPageErrors();
  });
});

// ---------------------------------------------------------------------------------------------
// helpers

function openAgent(user = AGENT) {
  return rig.openAgent({ user, init: R.instrument });
}

/** The far end calls the agent (call number `round`, from 0), which answers; returns the far call id once audio flows. */
const connect = (agent, f, round = 0) => R.connect(agent, f, { callSid: `CA-hold-${round}`, label: `call ${round}` });

const connectOutgoing = (agent, f) => R.connectOutgoing(agent, f, { label: 'outgoing call' });

const callTypes = async (o) => (await callEvents(o)).map((e) => e.type);
const holdEvents = async (o) => (await sessionStates(o)).filter((s) => /^holdunhold_/.test(s));

/** Waits for the `n`th SessionCallback `state`; fails at once on an unexpected 'holdunhold_failed'. */
async function waitSession(o, state, n, what, timeout = 15000) {
  const r = await S.waitFor(async () => {
    const st = await sessionStates(o);
    if (state === 'holdunhold_success' && st.includes('holdunhold_failed') && !o.failedOk) return { failed: st };
    return st.filter((s) => s === state).length >= n ? { st } : null;
  }, { timeout, message: (last) => `${what}: SessionCallback '${state}' #${n}; session events ${JSON.stringify(last)}` });
  if (r.failed) assert.fail(`${what}: unexpected 'holdunhold_failed'; session events ${JSON.stringify(r.failed)}`);
  return r.st;
}

/**
 * After two requests in one task (`name` twice): the second met the first in flight, so it
 * either fired 'holdunhold_failed' (one more than `failedBefore`) or was logged as a no-op; it
 * never threw, never fired a second 'holdunhold_success' and never sent a second re-INVITE.
 */
async function checkSecondRefused(o, logsBefore, name, failedBefore, what) {
  const failed = (await holdEvents(o)).filter((e) => e === 'holdunhold_failed').length;
  const newLogs = (await logsOf(o)).slice(logsBefore);
  const logged = newLogs.some(([t, m]) => (t === 'warn' || t === 'info') && new RegExp(`^Call\\.${name}: `).test(m));
  assert.ok(failed === failedBefore + 1 || (failed === failedBefore && logged), `${what}: 'holdunhold_failed' or a logged no-op; failed ${failedBefore} → ${failed}, logs ${JSON.stringify(newLogs)}`);
  assert.ok(logged, `${what}: logged (Call.${name}: ...); logs ${JSON.stringify(newLogs)}`);
  assert.equal(failed - failedBefore <= 1, true, `${what}: at most one 'holdunhold_failed'`);
}

/** Records, on the far end, the SDP offers it receives from now on and JsSIP's hold/unhold events. */
function watchFar(f, id) {
  return f.page.evaluate((i) => {
    window.__offers = window.__offers || {};
    window.__holdEv = window.__holdEv || {};
    window.__offers[i] = [];
    window.__holdEv[i] = [];
    const s = window.far.calls[i].session;
    s.on('sdp', (e) => {
      if (e.originator === 'remote' && e.type === 'offer') window.__offers[i].push(e.sdp);
    });
    s.on('hold', (e) => window.__holdEv[i].push(['hold', e.originator]));
    s.on('unhold', (e) => window.__holdEv[i].push(['unhold', e.originator]));
  }, id);
}

/** Audio direction of an SDP: the audio m-section's attribute, else the session's, else sendrecv. */
function audioDirection(sdp) {
  const lines = String(sdp || '').split(/\r?\n/);
  const dirRe = /^a=(sendrecv|sendonly|recvonly|inactive)\s*$/;
  let section = 'session';
  let session = null;
  let audio = null;
  for (const l of lines) {
    if (l.startsWith('m=')) section = l.startsWith('m=audio') ? 'audio' : 'other';
    const m = dirRe.exec(l);
    if (!m) continue;
    if (section === 'session') session = m[1];
    else if (section === 'audio' && audio === null) audio = m[1];
  }
  return audio || session || 'sendrecv';
}

/** Directions of the re-INVITE offers the far end received since watchFar. */
const farOffers = async (f, id) => (await f.page.evaluate((i) => window.__offers[i].slice(), id)).map(audioDirection);
const farRemoteDir = async (f, id) => audioDirection(await f.page.evaluate((i) => window.far.calls[i].pc.remoteDescription.sdp, id));
const ourLocalDir = async (o) => audioDirection(await o.page.evaluate(() => window.__pcs[window.__pcs.length - 1].localDescription.sdp));

function waitFarHold(f, id, want, what) {
  return S.waitFor(async () => {
    const evs = await f.page.evaluate((i) => window.__holdEv[i].slice(), id);
    return evs.some((e) => e[0] === want[0] && e[1] === want[1]) ? evs : null;
  }, { message: (last) => `${what}; far end hold events ${JSON.stringify(last)}` });
}

/** JsSIP session.hold() / unhold() on the far end; resolves once its re-INVITE succeeded. */
async function farHold(f, id, method) {
  const started = await f.page.evaluate(([i, m]) => {
    window.__farDone = window.__farDone || {};
    window.__farDone[m] = false;
    return window.far.calls[i].session[m]({}, () => (window.__farDone[m] = true));
  }, [id, method]);
  assert.equal(started, true, `far end: JsSIP ${method}() started a re-INVITE`);
  await S.waitFor(() => f.page.evaluate((m) => window.__farDone[m], method), { message: `far end: JsSIP ${method}() re-INVITE answered 2xx` });
  assert.equal((await f.info(id)).ended, false, `far end: the call survives its ${method}()`);
}

/** Once silent, the far end's inbound level stays below SILENT over a dozen samples (~1.2 s). */
async function assertStaysSilent(f, id, what) {
  await waitLevel(f, id, false, what);
  const seen = [];
  for (let i = 0; i < 12; i++) {
    const s = await f.stats(id);
    seen.push(s.audioLevel);
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(seen.every((l) => l === null || l < SILENT), `${what}: audioLevel stays < ${SILENT}: ${JSON.stringify(seen)}`);
}

/**
 * Bounded check that inbound RTP has stopped: two samples 600 ms apart with the same
 * packetsReceived (20 ms packets: ~30 would arrive in that window if it still flowed).
 */
async function waitRtpStopped(sample, what, timeout = 15000) {
  let last = null;
  return S.waitFor(async () => {
    const a = await sample();
    await new Promise((r) => setTimeout(r, 600));
    const b = await sample();
    last = [a.packetsReceived, b.packetsReceived];
    return b.packetsReceived === a.packetsReceived ? b : null;
  }, { timeout, interval: 0, message: () => `${what}: inbound packetsReceived stops growing (last pair ${JSON.stringify(last)})` });
}

/** Far end hangs up: callEnded here, media released, no page errors. */
async function hangupAndCheck(agent, f, id) {
  const ended = await countOf(agent, 'callEnded');
  await f.hangup(id);
  await waitCallEvent(agent, 'callEnded', ended + 1);
  await f.waitEnded(id);
  await checkMediaReleased(agent);
  await checkPageErrors();
}
