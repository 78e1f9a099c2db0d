// Calls through an SBC topology like Exotel's edge, with a plain SIP phone as the far end:
// dist/exotelsdk.js on the agent page (Chromium, 440 Hz microphone) registers over WebSocket at a
// Kamailio edge (tests/sbc/edge.cfg: digest auth, double Record-Route with r2=on, uac From/To
// replacement restored from vsf/vst, nathelper for WS) whose rtpengine turns WebRTC (ICE,
// DTLS-SRTP, rtcp-mux) into plain RTP/AVP for baresip 2001 (G.711, 1 kHz tone, over UDP).
// Audio is measured at both ends: the browser's getStats audioLevel, baresip's recording of what
// it heard (the 440 Hz tone), and rtpengine's per-leg packet counters (after a hold, where
// baresip stops recording). Every wait is bounded; the edge's SIP trace is in failure messages.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as S from './support.mjs';
import { callEvents, types } from './agent.mjs';
import { waitRtpGrowing } from './farend/driver.mjs';
import { agentStats, answer, callMethod, details, hasLog, sendTracksEnabled, waitAudible, checkMediaReleased, checkPageErrors, waitCallEventFrom } from './rig.mjs';
import { sbcRig, PORTS, AGENT, BARESIP_USER } from '../sbc/topology.mjs';
import { waitLegFlowing, waitLegSilent, waitBaresipHears, waitMediaReleased } from '../sbc/media.mjs';
import { header, headers, body, sdpDirection, describe as what } from '../sbc/sipmsg.mjs';

const T = { timeout: 120000 };
const rig = sbcRig('calls', { baresip: true });

describe('SBC edge + rtpengine + baresip far end (dist/exotelsdk.js in Chromium)', () => {
  it('incoming call: ringing, Answer(), audio both ways at both ends through rtpengine; the edge shape reaches the SDK; Hangup() → BYE reaches baresip', T, async () => {
    const { agent, callId } = await callUp('incoming call');

    // What the edge did is what the SDK met: Exotel's shape, on the wire.
    const toAgent = await edgeSent(callId, 'ws', 'INVITE');
    const rr = headers(toAgent.text, 'Record-Route');
    assert.equal(rr.length, 2, `two Record-Route entries (ws <-> udp): ${rr}`);
    for (const r of rr) assert.match(r, /;r2=on.*;vsf=.*;vst=/, `each Record-Route has r2=on, vsf, vst: ${r}`);
    assert.match(rr[0], /transport=ws/, 'the browser-side Record-Route names the ws transport');
    assert.match(header(toAgent.text, 'From'), /sip:2001@pstn\.edge\.test/, 'the edge replaced the From URI');
    assert.match(header(toAgent.text, 'To'), /sip:1001@agents\.edge\.test/, 'the edge replaced the To URI');
    const offer = body(toAgent.text);
    assert.match(offer, /m=audio \d+ UDP\/TLS\/RTP\/SAVPF /, 'the browser is offered DTLS-SRTP');
    for (const a of ['a=fingerprint:', 'a=ice-ufrag:', 'a=rtcp-mux']) assert.ok(offer.includes(a), `offer to the browser has ${a}`);
    const toFar = await edgeSent(callId, 'udp', '200 INVITE');
    assert.match(body(toFar.text), /m=audio \d+ RTP\/AVP /, 'baresip gets a plain RTP/AVP answer');
    assert.doesNotMatch(body(toFar.text), /a=fingerprint|a=ice-/, 'no DTLS or ICE toward baresip');
    const d = await details(agent);
    assert.equal(d.remoteId, BARESIP_USER, `callDetails().remoteId from the replaced From: ${JSON.stringify(d)}`);

    await weHangUp(agent, callId);
    // uac restored the URIs on our in-dialog BYE: baresip sees its own From/To again.
    const bye = await edgeSent(callId, 'udp', 'BYE');
    assert.match(header(bye.text, 'To'), new RegExp(`sip:${BARESIP_USER}@127\\.0\\.0\\.1:${PORTS.baresip}`), `BYE To restored: ${header(bye.text, 'To')}`);
    assert.match(header(bye.text, 'From'), new RegExp(`sip:${AGENT}@127\\.0\\.0\\.1:${PORTS.udp}`), `BYE From restored: ${header(bye.text, 'From')}`);
    assert.deepEqual(types(await callEvents(agent)), ['incoming', 'ringing', 'connected', 'callEnded'], 'call events');
  });

  it('outgoing call: makeCall(2001) → 407 → baresip rings and answers; audio both ways at both ends; baresip hangs up → callEnded + terminated', T, async () => {
    const agent = await rig.openAgent('&dtmfMode=info');
    const from = rig.baresip.events.length;
    const before = rig.baresip.recordings();
    assert.equal(await agent.page.evaluate((t) => window.exWebClient.makeCall(t), BARESIP_USER), true, 'makeCall resolves true');
    const inc = await rig.baresip.waitEvent('CALL_INCOMING', { from });
    assert.match(inc.peeruri, /sip:1001@agents\.edge\.test/, `baresip sees the edge's From, not the browser's: ${inc.peeruri}`);
    await waitCallEventFrom(agent, 'ringing');
    await rig.baresip.cmd('accept');
    await waitCallEventFrom(agent, 'connected');
    await rig.baresip.waitEvent('CALL_ESTABLISHED', { from });
    const callId = (await details(agent)).callId;
    await edgeRcv(callId, 'ws', 'INVITE', (m) => header(m.text, 'Proxy-Authorization')); // challenged (407), re-sent with credentials
    await audioBothWays(agent, { before, callId }, 'outgoing call');

    await baresipHangsUp(agent, callId);
    assert.deepEqual(types(await callEvents(agent)), ['ringing', 'connected', 'callEnded', 'terminated'], 'call events');
  });

  for (const mode of ['info', 'rfc4733']) {
    it(`DTMF with dtmfMode '${mode}': 1, 5, # reach baresip ${mode === 'info' ? 'as SIP INFO application/dtmf-relay' : 'as RFC 4733 telephone-events (no INFO sent)'}`, T, async () => {
      const agent = await rig.openAgent(`&dtmfMode=${mode}`);
      const { callId } = await farCallsAgent(agent);
      await waitRtpGrowing(() => agentStats(agent), 'SDK page before DTMF');
      const from = rig.baresip.events.length;
      for (const key of ['1', '5', '#']) {
        const n = rig.baresip.events.length;
        await agent.page.evaluate((k) => window.exWebClient.getCall().sendDTMF(k), key);
        await rig.baresip.waitEvent('CALL_DTMF_START', { from: n, timeout: 10000 }).catch((e) => {
          throw new Error(`${e.message}; INFO at the edge: ${JSON.stringify(inDialog(callId).filter((m) => /INFO/.test(what(m.text))).map((m) => `${m.tag} ${m.proto} ${what(m.text)}`))}`);
        });
      }
      const keys = rig.baresip.events.slice(from).filter((e) => e.type === 'CALL_DTMF_START').map((e) => e.param);
      assert.deepEqual(keys, ['1', '5', '#'], 'baresip received the keys in order, once each');
      const infosTo = (proto, kind) => inDialog(callId).filter((m) => m.tag === 'snd' && m.proto === proto && what(m.text) === kind);
      if (mode === 'info') {
        // sipdump writes asynchronously: wait for the trace to catch up with baresip's events.
        const infos = await S.waitFor(() => (infosTo('udp', 'INFO').length >= 3 && infosTo('ws', '200 INFO').length >= 3 ? infosTo('udp', 'INFO') : null), {
          message: () => `3 INFOs to baresip and 3 200s back in the edge trace: ${traceOf(callId)}`,
        });
        assert.equal(infos.length, 3, 'one INFO per key');
        for (const m of infos) assert.match(header(m.text, 'Content-Type', 'c'), /application\/dtmf-relay/, 'INFO body type');
        assert.deepEqual(infos.map((m) => /Signal=\s*(\S)/.exec(body(m.text))?.[1]), ['1', '5', '#'], 'Signal= of each INFO');
      } else {
        assert.deepEqual(infosTo('udp', 'INFO').map((m) => m.first), [], 'RFC 4733 mode: no INFO on the wire');
        const answerSdp = body((await edgeSent(callId, 'udp', '200 INVITE')).text);
        assert.match(answerSdp, /a=rtpmap:\d+ telephone-event\/8000/, 'our answer kept telephone-event/8000');
      }
      await weHangUp(agent, callId);
    });
  }

  it('Hold()/UnHold() from the browser: sendonly re-INVITE through the edge, baresip answers recvonly and stops sending, our microphone is off; UnHold() → audio both ways', T, async () => {
    const { agent, callId } = await callUp('before Hold()');

    await callMethod(agent, 'Hold');
    await waitSession(agent, 'holdunhold_success', 1, 'Hold()');
    const hold = await reinviteAnswered(callId, 'udp', 'sendonly'); // our re-INVITE offers sendonly
    assert.equal(sdpDirection(body(hold.ok.text)), 'recvonly', "baresip's answer is recvonly");
    await waitLegSilent(rig.rtpe, callId, 'far', 'baresip stops sending while held');
    await waitRtpStopped(agent, 'SDK page: no RTP from the held far end');
    assert.deepEqual(await sendTracksEnabled(agent), [false], 'the microphone track is disabled while the far end is held');

    await callMethod(agent, 'UnHold');
    await waitSession(agent, 'holdunhold_success', 2, 'UnHold()');
    const resume = await reinviteAnswered(callId, 'udp', 'sendrecv'); // UnHold() offers sendrecv
    assert.equal(sdpDirection(body(resume.ok.text)), 'sendrecv', "baresip's answer is sendrecv");
    await waitLegFlowing(rig.rtpe, callId, 'far', 'baresip sends again after UnHold()');
    await waitLegFlowing(rig.rtpe, callId, 'browser', 'the agent sends again after UnHold()');
    await waitRtpGrowing(() => agentStats(agent), 'SDK page after UnHold()');
    await waitAudible(() => agentStats(agent), 'SDK page hears baresip after UnHold()');
    assert.deepEqual(await sendTracksEnabled(agent), [true], 'the microphone track is enabled again');

    await weHangUp(agent, callId);
  });

  it('baresip holds the agent: sendonly re-INVITE, we answer recvonly and stop sending, the call stays up; resume → audio both ways; baresip hangs up', T, async () => {
    const { agent, callId } = await callUp('before the far-end hold');

    await rig.baresip.cmd('hold');
    const hold = await reinviteAnswered(callId, 'ws', 'sendonly');
    assert.equal(sdpDirection(body(hold.ok.text)), 'recvonly', `our answer to a sendonly offer is recvonly (${hold.ok.first})`);
    await waitLegSilent(rig.rtpe, callId, 'browser', 'the agent stops sending while held (recvonly)');
    assert.ok(await hasLog(agent, 'info', /the far end put the call on hold/), "the SDK logs the far end's hold");
    assert.ok(!types(await callEvents(agent)).includes('callEnded'), 'the call goes on');

    await rig.baresip.cmd('resume');
    const resume = await reinviteAnswered(callId, 'ws', 'sendrecv');
    assert.equal(sdpDirection(body(resume.ok.text)), 'sendrecv', 'our answer to the resume is sendrecv');
    await waitLegFlowing(rig.rtpe, callId, 'browser', 'the agent sends again after the resume');
    await waitLegFlowing(rig.rtpe, callId, 'far', 'baresip sends again after the resume');
    await waitAudible(() => agentStats(agent), 'SDK page hears baresip after the resume');

    await baresipHangsUp(agent, callId);
  });
});

// ---------------------------------------------------------------------------------------------
// helpers

/**
 * baresip dials the agent, the agent answers; once both sides are up returns { callId, before
 * (baresip's recordings before this call) }.
 */
async function farCallsAgent(agent) {
  const from = rig.baresip.events.length;
  const before = rig.baresip.recordings();
  const base = (await callEvents(agent)).length;
  await rig.baresip.cmd('dial', `sip:${AGENT}@127.0.0.1:${PORTS.udp}`);
  await waitCallEventFrom(agent, 'ringing', base);
  await answer(agent);
  await waitCallEventFrom(agent, 'connected', base);
  await rig.baresip.waitEvent('CALL_ESTABLISHED', { from });
  return { callId: (await details(agent)).callId, before };
}

/** baresip calls a fresh agent page (DTMF by INFO), which answers; audio both ways. */
async function callUp(label) {
  const agent = await rig.openAgent('&dtmfMode=info');
  const call = await farCallsAgent(agent);
  await audioBothWays(agent, call, label);
  return { agent, callId: call.callId };
}

/** Our Hangup(): the BYE reaches baresip, rtpengine releases the call, no page errors. */
async function weHangUp(agent, callId) {
  const from = rig.baresip.events.length;
  await callMethod(agent, 'Hangup');
  await rig.baresip.waitEvent('CALL_CLOSED', { from });
  await waitCallEventFrom(agent, 'callEnded');
  await checkMediaReleased(agent, { answered: true });
  await waitMediaReleased(rig.rtpe, callId, 'after our BYE');
  await checkPageErrors(rig.opened);
}

/** baresip hangs up: the page ends the call, rtpengine releases it, no page errors. */
async function baresipHangsUp(agent, callId) {
  await rig.baresip.cmd('hangup');
  await waitCallEventFrom(agent, 'terminated');
  await checkMediaReleased(agent, { answered: true });
  await waitMediaReleased(rig.rtpe, callId, "after baresip's BYE");
  await checkPageErrors(rig.opened);
}

/** Audio both ways, measured at both ends and at rtpengine; `call` = { callId, before } as farCallsAgent returns. */
async function audioBothWays(agent, { before, callId }, label) {
  await waitRtpGrowing(() => agentStats(agent), `${label}: SDK page inbound RTP`);
  await waitAudible(() => agentStats(agent), `${label}: SDK page hears baresip's tone`);
  await waitLegFlowing(rig.rtpe, callId, 'browser', `${label}: the agent's RTP reaches rtpengine`);
  await waitLegFlowing(rig.rtpe, callId, 'far', `${label}: baresip's RTP reaches rtpengine`);
  await waitBaresipHears(rig.baresip, 440, `${label}: baresip hears the agent's 440 Hz`, { before });
}

/** The edge's messages of dialog `callId`, oldest first. */
const inDialog = (callId) => rig.edge.messages().filter((m) => header(m.text, 'Call-ID', 'i') === callId);

function traceOf(callId) {
  return inDialog(callId)
    .map((m) => `${m.tag} ${m.proto} ${what(m.text)}`)
    .join(', ');
}

/**
 * Polls the edge's trace for `find(messages of callId)` (sipdump writes from its own process, a
 * little after the message went out); fails with the dialog's trace.
 */
function fromTrace(callId, find, what) {
  return S.waitFor(() => find(inDialog(callId)), { timeout: 5000, message: () => `${what}; trace: ${traceOf(callId)}` });
}

/** The last message of kind `kind` ('INVITE', '200 INVITE', ...) the edge sent on `proto`. */
const edgeSent = (callId, proto, kind) =>
  fromTrace(callId, (msgs) => msgs.filter((m) => m.tag === 'snd' && m.proto === proto && what(m.text) === kind).pop(), `the edge sent ${kind} over ${proto}`);

/** The first message of kind `kind` the edge received on `proto` matching `pred`. */
const edgeRcv = (callId, proto, kind, pred) =>
  fromTrace(callId, (msgs) => msgs.find((m) => m.tag === 'rcv' && m.proto === proto && what(m.text) === kind && pred(m)), `the edge received ${kind} over ${proto}`);

/**
 * The re-INVITE offering `dir` the edge relayed on `proto` ('udp': to baresip, 'ws': to the SDK)
 * and the 200 that came back: { req, ok }. Any other final response fails.
 */
const reinviteAnswered = (callId, proto, dir) =>
  fromTrace(callId, (msgs) => {
    const isReinvite = (m) => m.tag === 'snd' && m.proto === proto && /^INVITE /.test(m.first) && header(m.text, 'To').includes('tag=');
    const req = msgs.filter((m) => isReinvite(m) && sdpDirection(body(m.text)) === dir).pop();
    const cseq = req && header(req.text, 'CSeq');
    const res = req && msgs.find((m) => m.tag === 'rcv' && m.proto === proto && header(m.text, 'CSeq') === cseq && /^SIP\/2\.0 [2-6]/.test(m.first));
    if (res && !/^SIP\/2\.0 200/.test(res.first)) throw new Error(`the ${dir} re-INVITE got ${res.first}`);
    return res ? { req, ok: res } : null;
  }, `a ${dir} re-INVITE over ${proto} answered 200`);

/** Waits for the `n`th SessionCallback `state`. */
function waitSession(agent, state, n, label) {
  return S.waitFor(async () => (await agent.page.evaluate(() => window.sessionEvents.map((e) => e[0]))).filter((s) => s === state).length >= n, {
    timeout: 15000,
    message: `${label}: SessionCallback '${state}' #${n}`,
  });
}

/** Inbound RTP on the SDK page stays still for 1.5 s. */
async function waitRtpStopped(agent, label) {
  let last = (await agentStats(agent)).packetsReceived;
  let since = Date.now();
  await S.waitFor(async () => {
    const now = (await agentStats(agent)).packetsReceived;
    if (now !== last) {
      last = now;
      since = Date.now();
      return false;
    }
    return Date.now() - since >= 1500;
  }, { timeout: 15000, interval: 100, message: `${label}: inbound packets to stop growing (at ${last})` });
}
