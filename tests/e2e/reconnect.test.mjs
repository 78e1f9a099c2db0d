// Signalling loss mid-call (issue 11): the SDK page (Chromium, 440 Hz) reaches the test
// Kamailio through a TCP relay of ours (tests/net/relay.mjs) that can cut the WebSocket, refuse
// new connections and let them through again; the JsSIP far end (1 kHz) talks to Kamailio
// directly. Media never crosses the relay, so a cut is signalling-only: audio must keep flowing,
// SessionCallback must say 'reconnecting' then 'reconnected', and after the reconnect in-dialog
// requests must find the call both ways (the SDK re-registers, then refreshes the dialog's target
// so the edge learns the new flow). The relay decodes every WebSocket frame: the wire trace in
// failure messages is what the SDK sent on which connection.
// Also: the relay refuses connections for 20 s and counts the attempts (backoff with jitter).
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as S from './support.mjs';
import { openAgentPage } from './agent.mjs';
import { waitRtpGrowing } from './farend/driver.mjs';
import { callRig, connect, instrument, agentStats, waitCallEventFrom } from './rig.mjs';
import { startRelay } from '../net/relay.mjs';

const T = { timeout: 150000 };
const rig = callRig('reconnect');
const perTest = new S.Stack();
afterEach(() => perTest.close());

/** A relay to this file's Kamailio and the agent page registered through it. */
async function agentViaRelay(user = '1001', query = '') {
  const relay = await startRelay(perTest, { target: { host: '127.0.0.1', port: rig.kam.port } });
  const kam = { ...rig.kam, port: relay.port };
  const agent = await openAgentPage({ ctx: rig.ours, http: rig.http, kam, user, opened: rig.opened, init: instrument, query });
  return { relay, agent };
}

const sessionStates = (o) => o.page.evaluate(() => window.sessionEvents.map((e) => e[0]));

/** One line per SIP message the relay saw: "+ms conn dir first-line [CSeq]". */
function wire(relay, since = 0) {
  return relay
    .sip('up', since)
    .concat(relay.sip('down', since))
    .sort((a, b) => a.t - b.t)
    .map((f) => `+${f.t - since}ms #${f.conn} ${f.dir === 'up' ? '→' : '←'} ${f.text.split('\r\n')[0]} [${(/^CSeq:\s*(.*)$/im.exec(f.text) || [])[1] || ''}]`)
    .join('\n    ');
}

/** Waits for SessionCallback `state` at or after index `from`. */
function waitSession(o, state, from, timeout, relay, t0) {
  return S.waitFor(async () => (await sessionStates(o)).slice(from).includes(state), { timeout, message: `SessionCallback('${state}')` }).catch(async (e) => {
    const st = await sessionStates(o).catch(() => []);
    throw new Error(`${e.message}; session states ${JSON.stringify(st.slice(from))}; wire since the cut:\n    ${wire(relay, t0)}`);
  });
}

/** The first up message on a connection newer than `oldConns` whose start line matches `re`. */
const upOnNewFlow = (relay, oldConns, re, since) => relay.sip('up', since).find((f) => !oldConns.includes(f.conn) && re.test(f.text.split('\r\n')[0]));
const callIdOf = (text) => (/^(?:Call-ID|i)\s*:\s*(\S+)/im.exec(text) || [])[1];

/**
 * A call up, the WebSocket cut; checks audio through the outage, the events, and that the new
 * flow carries REGISTER and then a target refresh of the call. Returns what the tests go on with.
 */
async function callThroughCut(query = '') {
  const { relay, agent } = await agentViaRelay('1001', query);
  const far = await rig.far(1002);
  const id = await connect(agent, far);
  const callId = (await far.info(id)).callId;
  const oldConns = relay.open();
  const states = (await sessionStates(agent)).length;
  const t0 = Date.now();
  relay.cut();

  // Media does not cross the relay: it must not notice the signalling outage.
  await waitRtpGrowing(() => agentStats(agent), 'the agent receives audio through the outage');
  await waitRtpGrowing(() => far.stats(id), 'the far end receives audio through the outage');
  await waitSession(agent, 'reconnecting', states, 10000, relay, t0);
  await waitSession(agent, 'reconnected', states, 40000, relay, t0);
  const st = (await sessionStates(agent)).slice(states).filter((s) => s === 'reconnecting' || s === 'reconnected');
  assert.deepEqual(st, ['reconnecting', 'reconnected'], 'reconnecting then reconnected, once each');

  const reg = await S.waitFor(() => upOnNewFlow(relay, oldConns, /^REGISTER /, t0), { timeout: 5000, message: 'a REGISTER on the new flow' }).catch((e) => {
    throw new Error(`${e.message}; wire:\n    ${wire(relay, t0)}`);
  });
  const refresh = await S.waitFor(
    () => relay.sip('up', t0).find((f) => !oldConns.includes(f.conn) && /^(INVITE|UPDATE) /.test(f.text) && callIdOf(f.text) === callId),
    { timeout: 10000, message: `a target refresh (re-INVITE or UPDATE) of call ${callId} on the new flow` },
  ).catch((e) => {
    throw new Error(`${e.message}; wire:\n    ${wire(relay, t0)}`);
  });
  assert.ok(reg.t <= refresh.t, `REGISTER before the target refresh:\n    ${wire(relay, t0)}`);
  // The refresh waits for the registrar's answer: the edge knows the new flow first.
  const regOk = relay.sip('down', t0).find((f) => !oldConns.includes(f.conn) && /^SIP\/2\.0 200 /.test(f.text) && /^CSeq:\s*\d+ REGISTER/im.test(f.text));
  assert.ok(regOk && regOk.t <= refresh.t, `the REGISTER's 200 before the target refresh:\n    ${wire(relay, t0)}`);
  assert.match(refresh.text.split('\r\n')[0], /^INVITE /, 'the target refresh is a re-INVITE (JsSIP moves its target only for INVITE)');
  await waitRtpGrowing(() => agentStats(agent), 'the agent receives audio after the reconnect');
  await waitRtpGrowing(() => far.stats(id), 'the far end receives audio after the reconnect');
  assert.equal((await far.info(id)).ended, false, 'the far end still has the call');
  return { relay, agent, far, id, t0, oldConns, reg, refresh };
}

describe('signalling loss mid-call through a relay (Chromium, dist/exotelsdk.js, Kamailio, JsSIP far end)', () => {
  it("the WebSocket is cut mid-call: audio keeps flowing, 'reconnecting' → 'reconnected', REGISTER then a target refresh on the new flow; the far end's BYE then reaches us", T, async () => {
    // With our `outbound: true`, so edges that support RFC 5626 route to the new flow at once.
    const { relay, agent, far, id, t0, oldConns, reg, refresh } = await callThroughCut('&outbound=1');
    const ends = (await agent.page.evaluate(() => window.callEvents.length));
    await far.hangup(id);
    await waitCallEventFrom(agent, 'terminated', ends, 10000).catch((e) => {
      throw new Error(`${e.message}; the far end's BYE did not reach us; wire:\n    ${wire(relay, t0)}`);
    });
    assert.ok(relay.sip('down', t0).some((f) => !oldConns.includes(f.conn) && /^BYE /.test(f.text)), `the BYE came down the new flow:\n    ${wire(relay, t0)}`);
    assert.match(reg.text, /^Contact:.*\+sip\.instance=.*/im, 'REGISTER Contact has +sip.instance');
    assert.match(reg.text, /^Contact:.*;reg-id=\d+/im, 'REGISTER Contact has reg-id');
    assert.match(reg.text, /^Supported:.*\boutbound\b/im, 'REGISTER says Supported: outbound');
    assert.match(refresh.text, /^(Contact|m)\s*:.*;ob\b/im, 'the target refresh Contact has ;ob');
    await rig.checkPageErrors();
  });

  it('after the reconnect, our Hangup() reaches the far end as a BYE on the new flow', T, async () => {
    const { relay, agent, far, id, t0, oldConns, reg, refresh } = await callThroughCut();
    // By default the wire is 3.0.10's: no RFC 5626 reg-id or ;ob (ours only with outbound: true).
    assert.doesNotMatch(reg.text, /;reg-id=/i, 'default REGISTER: no reg-id');
    assert.doesNotMatch(refresh.text, /^(Contact|m)\s*:.*;ob\b/im, 'default target refresh: no ;ob');
    await agent.page.evaluate(() => window.exWebClient.getCall().Hangup());
    const end = await far.waitEnded(id, 10000).catch((e) => {
      throw new Error(`${e.message}; wire:\n    ${wire(relay, t0)}`);
    });
    assert.equal(end.originator, 'remote', `the far end was hung up by our BYE: ${JSON.stringify(end.events)}`);
    assert.ok(upOnNewFlow(relay, oldConns, /^BYE /, t0), `our BYE went up the new flow:\n    ${wire(relay, t0)}`);
    await rig.checkPageErrors();
  });

  it('a Hangup() while the server is unreachable reaches the far end once it is back (the BYE is queued, never dropped)', T, async () => {
    const { relay, agent } = await agentViaRelay();
    const far = await rig.far(1002);
    const id = await connect(agent, far);
    const t0 = Date.now();
    relay.refuse(); // cut, and every reconnect attempt fails until pass()
    await S.waitFor(() => relay.attempts.some((a) => a.fate === 'refused'), { timeout: 15000, message: 'the SDK tries to reconnect (a refused attempt at the relay)' });
    await agent.page.evaluate(() => window.exWebClient.getCall().Hangup());
    // While the server is unreachable the far end cannot know yet.
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal((await far.info(id)).ended, false, 'no BYE can reach the far end during the outage');
    const back = Date.now();
    relay.pass();
    const end = await far.waitEnded(id, 45000).catch((e) => {
      throw new Error(`${e.message}; the BYE was lost; attempts ${JSON.stringify(relay.attempts.map((a) => [a.t - t0, a.fate]))}; wire:\n    ${wire(relay, t0)}`);
    });
    assert.equal(end.originator, 'remote', `ended by our BYE: ${JSON.stringify(end.events)}`);
    const bye = relay.sip('up', back).find((f) => /^BYE /.test(f.text));
    assert.ok(bye, `the BYE went out after the server came back:\n    ${wire(relay, t0)}`);
    await waitCallEventFrom(agent, 'callEnded');
    // No burst while a call waits for the link: backoff applies with a call up too (0.5 s
    // doubling with full jitter gives more than 5 attempts in 3 s about once in 800 runs).
    const early = relay.attempts.filter((a) => a.fate === 'refused' && a.t - t0 <= 3000).map((a) => a.t - t0);
    assert.ok(early.length <= 5, `at most 5 reconnect attempts in the first 3 s of the outage, got ${early.length}: [${early}] ms`);
    await rig.checkPageErrors();
  });

  it('the relay refuses connections for 20 s: each of two agents makes at most ~8 attempts (jittered backoff, not in step), then both register again', T, async (t) => {
    const a = await agentViaRelay('1001');
    const b = await agentViaRelay('1003');
    const t0 = Date.now();
    a.relay.refuse();
    b.relay.refuse();
    await new Promise((r) => setTimeout(r, 20000));
    const times = (x) => x.relay.attempts.filter((at) => at.fate === 'refused' && at.t - t0 <= 20000).map((at) => at.t - t0);
    const ta = times(a);
    const tb = times(b);
    t.diagnostic(`attempts (ms after the outage began): 1001 [${ta.join(', ')}], 1003 [${tb.join(', ')}]`);
    const back = Date.now();
    a.relay.pass();
    b.relay.pass();
    for (const [name, ts] of [['1001', ta], ['1003', tb]]) {
      // With 0.5 s doubling to 30 s and full jitter, 20 s hold 5-8 attempts (more than 9 in 1 of ~4,000 runs).
      assert.ok(ts.length >= 3, `${name} keeps trying during the outage: ${ts.length} attempts [${ts}]`);
      assert.ok(ts.length <= 9, `${name}: at most ~8 attempts in 20 s, got ${ts.length} [${ts}]`);
    }
    // Two clients that lost the server together must not come back together: without jitter their
    // attempts would be a few ms apart; with it, most pairs are hundreds of ms apart.
    const n = Math.min(ta.length, tb.length);
    const apart = Array.from({ length: n }, (_, i) => Math.abs(ta[i] - tb[i])).filter((d, i) => i > 0);
    const close = apart.filter((d) => d < 50).length;
    assert.ok(close <= apart.length / 2, `attempts spread by jitter: the two agents' k-th attempts are < 50 ms apart in ${close} of ${apart.length} cases [${ta}] vs [${tb}]`);
    for (const [u, x] of [['1001', a], ['1003', b]]) {
      await S.waitFor(() => x.relay.sip('down', back).some((f) => /^SIP\/2\.0 200 /.test(f.text) && /^CSeq:\s*\d+ REGISTER/im.test(f.text)), {
        timeout: 40000,
        message: `${u}: a REGISTER answered 200 through the relay once it lets connections through`,
      });
    }
  });
});
