// Far-end request shapes a softphone cannot be told to make, through the same SBC topology as
// sbc-calls.test.mjs (Kamailio edge + rtpengine, tests/sbc/): SIPp (tests/sbc/sipp/*.xml) calls
// the agent page (dist/exotelsdk.js in Chromium) with a late offer, with Require: 100rel, and
// mid-call refreshes the session by UPDATE or re-INVITEs it without SDP. SIPp streams a 1 kHz
// PCMU tone; the browser's getStats and rtpengine's per-leg counters measure both directions.
// Each test asserts what the RFCs require of the SDK as UAS (RFC 3261, 3262, 3264, 3311, 4028);
// failures quote SIPp's view of the dialog.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as S from './support.mjs';
import { callEvents, types } from './agent.mjs';
import { waitRtpGrowing } from './farend/driver.mjs';
import { agentStats, answer, details, waitAudible, checkMediaReleased, checkPageErrors, waitCallEventFrom } from './rig.mjs';
import { sbcRig } from '../sbc/topology.mjs';
import { waitLegFlowing, waitMediaReleased } from '../sbc/media.mjs';
import { header, tags, body, describe as what } from '../sbc/sipmsg.mjs';

const T = { timeout: 120000 };
const rig = sbcRig('sipp');

describe('SBC edge + rtpengine + SIPp far end: late offer, 100rel, UPDATE refresh, offerless re-INVITE, on incoming and outgoing calls (dist/exotelsdk.js in Chromium)', () => {
  it('late offer: an INVITE without SDP is answered 200 with our offer, the ACK carries the answer; audio both ways; SIPp hangs up', T, async () => {
    const agent = await rig.openAgent('&dtmfMode=info');
    const sp = await rig.sipp('late-offer', { mediaMs: 6000 });
    await waitCallEventFrom(agent, 'ringing');
    await answer(agent);
    const ok = await final200(sp, '1 INVITE', 'RFC 3264 §4: an offerless INVITE is answered with an offer in the 200, not refused', agent);
    assert.match(body(ok.text), /^m=audio \d+ RTP\/AVP .*\b0\b/m, `the 200 carries an offer with PCMU (through rtpengine: RTP/AVP): ${body(ok.text)}`);
    await sp.waitMessage((m) => m.dir === 'sent' && /^ACK /.test(m.first) && /m=audio/.test(body(m.text)), 'the ACK with the answer');
    await waitCallEventFrom(agent, 'connected');
    await waitDescriptions(agent, weOffered, "late offer: our offer is the local description, the ACK's answer the remote one");
    await audioBothWays(agent, 'late offer');
    await endedBySipp(agent, sp);
  });

  it('100rel required: the 180 is sent reliably (Require: 100rel, RSeq), PRACK gets 200, the 200 to the INVITE comes after it; audio both ways; SIPp hangs up', T, async () => {
    const agent = await rig.openAgent('&dtmfMode=info');
    const sp = await rig.sipp('prack', { mediaMs: 5000 });
    await waitCallEventFrom(agent, 'ringing');
    const ringing = await sp.waitMessage((m) => m.dir === 'received' && /^SIP\/2\.0 18\d/.test(m.first), 'a 18x to the INVITE');
    assert.ok(tags(ringing.text, 'Require').includes('100rel'), `RFC 3262 §3: with Require: 100rel the 18x must carry Require: 100rel: ${ringing.first}\n${ringing.text}`);
    const rseq = Number(header(ringing.text, 'RSeq'));
    assert.ok(Number.isInteger(rseq) && rseq >= 1 && rseq < 2 ** 31, `RFC 3262 §3: a reliable 18x carries RSeq in 1..2^31-1: ${header(ringing.text, 'RSeq')}`);
    await final200(sp, '2 PRACK', 'RFC 3262 §4: the PRACK is answered 200');

    await answer(agent);
    await final200(sp, '1 INVITE', 'the INVITE is answered 200 once the PRACK is', agent);
    const at = (cseq) => sp.messages().findIndex((m) => m.dir === 'received' && /^SIP\/2\.0 200/.test(m.first) && header(m.text, 'CSeq') === cseq);
    assert.ok(at('2 PRACK') < at('1 INVITE'), `RFC 3262 §3: the PRACK's 200 came before the INVITE's 200:\n${dialog(sp)}`);
    await waitCallEventFrom(agent, 'connected');
    await audioBothWays(agent, '100rel call');
    await endedBySipp(agent, sp);
  });

  it("UPDATE refresh (RFC 4028): the 200s to the INVITE and to an offerless UPDATE carry Session-Expires (refresher=uac) and Require: timer; audio goes on; SIPp hangs up", T, async () => {
    const { agent, sp, ok } = await sippCallAnswered('update-refresh');
    const upd = await final200(sp, '2 UPDATE', 'RFC 3311 §5.2 / RFC 4028 §9: the offerless UPDATE refresh is accepted');
    await audioBothWays(agent, 'after the UPDATE');
    // Header checks last, together, so one run names every gap.
    const gaps = [...sessionTimerGaps(ok, '200 to the INVITE'), ...sessionTimerGaps(upd, '200 to the UPDATE')];
    await endedBySipp(agent, sp);
    assert.deepEqual(gaps, [], `session timer headers (RFC 4028 §9: the UAS copies Session-Expires into its 2xx, and with refresher=uac adds Require: timer):\n${dialog(sp)}`);
  });

  it('re-INVITE without SDP: our 200 carries a fresh offer, the answer comes in the ACK and is applied; audio both ways after it; SIPp hangs up', T, async () => {
    const { agent, sp } = await sippCallAnswered('reinvite-no-sdp');
    const before = await descriptions(agent);
    const ok = await final200(sp, '2 INVITE', 'RFC 3261 §14.2: the offerless re-INVITE is accepted');
    assert.match(body(ok.text), /^m=audio \d+ RTP\/AVP .*\b0\b/m, `RFC 3264 §4: its 200 carries an offer: ${body(ok.text) || '(no body)'}`);
    await sp.waitMessage((m) => m.dir === 'sent' && /^ACK /.test(m.first) && header(m.text, 'CSeq') === '2 ACK', 'the ACK with the answer');
    await waitRenegotiated(agent, before, 'after the offerless re-INVITE');
    await audioBothWays(agent, 'after the re-INVITE');
    await endedBySipp(agent, sp);
  });

  it('outgoing call (makeCall 3001): the far end refreshes by UPDATE without SDP → 200 with Session-Expires (refresher=uac) and Require: timer; audio goes on; the far end hangs up', T, async () => {
    const agent = await rig.openAgent('&dtmfMode=info');
    const sp = await rig.sipp('uas-update', { uas: true, mediaMs: 5000 });
    await dialFarEnd(agent, sp);
    const upd = await final200(sp, '1 UPDATE', "RFC 3311 §5.2: the far end's offerless UPDATE on a call we placed is accepted");
    await audioBothWays(agent, 'after the UPDATE');
    const gaps = sessionTimerGaps(upd, '200 to the UPDATE');
    await endedBySipp(agent, sp, 'outgoing');
    assert.deepEqual(gaps, [], `session timer headers (RFC 4028 §9):\n${dialog(sp)}`);
  });

  it('outgoing call (makeCall 3001): the far end re-INVITEs without SDP → our 200 carries a fresh offer, the ACK\'s answer is applied; audio both ways; the far end hangs up', T, async () => {
    const agent = await rig.openAgent('&dtmfMode=info');
    const sp = await rig.sipp('uas-reinvite-no-sdp', { uas: true, mediaMs: 5000 });
    await dialFarEnd(agent, sp);
    const before = await descriptions(agent);
    const ok = await final200(sp, '1 INVITE', "RFC 3261 §14.2: the far end's offerless re-INVITE on a call we placed is accepted");
    assert.match(body(ok.text), /^m=audio \d+ RTP\/AVP .*\b0\b/m, `RFC 3264 §4: its 200 carries an offer: ${body(ok.text) || '(no body)'}`);
    await sp.waitMessage((m) => m.dir === 'sent' && /^ACK /.test(m.first) && /m=audio/.test(body(m.text)), 'the ACK with the answer');
    await waitRenegotiated(agent, before, 'after the offerless re-INVITE');
    await audioBothWays(agent, 'after the re-INVITE');
    await endedBySipp(agent, sp, 'outgoing');
  });
});

// ---------------------------------------------------------------------------------------------
// helpers

/** SIPp's view of the dialog, one line per message, for failure messages. */
const dialog = (sp) => sp.messages().map((m) => `  ${m.dir === 'sent' ? 'SIPp →' : 'SIPp ←'} ${what(m.text)}  (${m.first})`).join('\n');

/** The final response SIPp received for CSeq `cseq` (e.g. '1 INVITE'); a timeout quotes the SDK's warnings. */
function finalResponse(sp, cseq, agent) {
  return sp.waitMessage((m) => m.dir === 'received' && /^SIP\/2\.0 [2-6]\d\d/.test(m.first) && header(m.text, 'CSeq') === cseq, `a final response to ${cseq}`).catch(async (e) => {
    const logs = agent ? await agent.page.evaluate(() => window.logs.filter((l) => l[0] === 'warn' || l[0] === 'error').map((l) => l.join(': '))) : [];
    throw new Error(`${e.message}\n${dialog(sp)}${logs.length ? `\nSDK warnings: ${logs.join(' | ')}` : ''}`);
  });
}

/** finalResponse that must be a 200; `rule` names the requirement in the failure. */
async function final200(sp, cseq, rule, agent) {
  const res = await finalResponse(sp, cseq, agent);
  assert.match(res.first, /^SIP\/2\.0 200/, `${rule}: ${res.first}\n${dialog(sp)}`);
  return res;
}

/** SIPp places `scenario`'s call to the agent, which answers: 200, connected, audio both ways. */
async function sippCallAnswered(scenario) {
  const agent = await rig.openAgent('&dtmfMode=info');
  const sp = await rig.sipp(scenario, { mediaMs: 5000 });
  await waitCallEventFrom(agent, 'ringing');
  await answer(agent);
  const ok = await final200(sp, '1 INVITE', 'the INVITE is answered 200', agent);
  await waitCallEventFrom(agent, 'connected');
  await audioBothWays(agent, `${scenario}: before the mid-call request`);
  return { agent, sp, ok };
}

/** What a 2xx to a request with Session-Expires: 90;refresher=uac, Supported: timer lacks. */
function sessionTimerGaps(res, label) {
  const gaps = [];
  const se = header(res.text, 'Session-Expires', 'x');
  if (!se) return [`${label}: no Session-Expires`];
  const m = /^(\d+)\s*(?:;(.*))?$/.exec(se);
  if (!m || Number(m[1]) < 90) gaps.push(`${label}: Session-Expires '${se}' is not a delta >= Min-SE 90`);
  if (!/refresher=uac/i.test(se)) gaps.push(`${label}: Session-Expires '${se}' lacks refresher=uac (the UAC asked to refresh)`);
  if (!tags(res.text, 'Require').includes('timer')) gaps.push(`${label}: no Require: timer (mandatory with refresher=uac)`);
  return gaps;
}

/** The newest RTCPeerConnection: signaling state and its descriptions' types and o= versions. */
const descriptions = (agent) =>
  agent.page.evaluate(() => {
    const pc = window.__pcs[window.__pcs.length - 1];
    const d = (x) => x && { type: x.type, version: Number((/^o=\S+ \S+ (\d+)/m.exec(x.sdp) || [])[1]) };
    return { state: pc.signalingState, local: d(pc.localDescription), remote: d(pc.remoteDescription) };
  });

/** Waits until descriptions(agent) satisfy `ok`; fails with the last state seen while the call was up. */
function waitDescriptions(agent, ok, what) {
  let seen = null; // a timeout may come after the BYE closed the connection
  return S.waitFor(async () => {
    const d = await descriptions(agent);
    if (d.state !== 'closed') seen = d;
    return ok(d) ? d : null;
  }, { timeout: 4000, message: () => `${what} (had ${JSON.stringify(seen)})` });
}

/** Stable with our offer as the local description and the far end's answer as the remote one. */
const weOffered = (d) => d.state === 'stable' && d.local?.type === 'offer' && d.remote?.type === 'answer';

/**
 * Waits until the browser renegotiated after `before`: stable, a new local offer (its o= version
 * went up: not our old SDP sent again) and a new remote answer (the ACK's, applied).
 */
const waitRenegotiated = (agent, before, what) =>
  waitDescriptions(
    agent,
    (d) => weOffered(d) && d.local.version > before.local.version && d.remote.version !== before.remote.version,
    `${what}: a fresh local offer and the ACK's answer applied (before ${JSON.stringify(before)})`,
  );

/** makeCall(3001) reaches SIPp (as UAS) through the edge, which answers; audio both ways. */
async function dialFarEnd(agent, sp) {
  assert.equal(await agent.page.evaluate(() => window.exWebClient.makeCall('3001')), true, 'makeCall(3001) resolves true');
  await sp.waitMessage((m) => m.dir === 'received' && /^ACK /.test(m.first), "SIPp to get our ACK");
  await waitCallEventFrom(agent, 'connected');
  await audioBothWays(agent, 'outgoing call');
}

/** SIPp's tone reaches the agent and the agent's audio reaches rtpengine's far-side leg. */
async function audioBothWays(agent, label) {
  const { callId } = await details(agent);
  await waitRtpGrowing(() => agentStats(agent), `${label}: SDK page inbound RTP from SIPp`);
  await waitAudible(() => agentStats(agent), `${label}: SDK page hears SIPp's tone`);
  await waitLegFlowing(rig.rtpe, callId, 'browser', `${label}: the agent's RTP reaches rtpengine (relayed to SIPp)`);
  await waitLegFlowing(rig.rtpe, callId, 'far', `${label}: SIPp's RTP reaches rtpengine`);
}

/** SIPp's BYE ends the call on the page; SIPp's scenario completed (exit 0). */
async function endedBySipp(agent, sp, direction = 'incoming') {
  await waitCallEventFrom(agent, 'terminated', 0, 30000);
  const code = await Promise.race([sp.exited, new Promise((r) => setTimeout(() => r('still running'), 15000).unref())]);
  assert.equal(code, 0, `SIPp's scenario completed as scripted (exit ${code}):\n${dialog(sp)}`);
  await checkMediaReleased(agent, { answered: true });
  await waitMediaReleased(rig.rtpe, (await details(agent)).callId, "after SIPp's BYE");
  const evs = types(await callEvents(agent));
  const want = direction === 'incoming' ? ['incoming', 'ringing', 'connected', 'callEnded', 'terminated'] : ['ringing', 'connected', 'callEnded', 'terminated'];
  assert.deepEqual(evs, want, 'call events');
  await checkPageErrors(rig.opened);
}
