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
import { callRig, connect, waitCallEventFrom } from './rig.mjs';
import * as C from './cut.mjs';

const T = { timeout: 150000 };
const rig = callRig('reconnect');
const perTest = new S.Stack();
afterEach(() => perTest.close());

const agentViaRelay = (user, query) => C.agentViaRelay(rig, perTest, user, query);
const callThroughCut = (query = '') => C.callThroughCut(rig, perTest, { query });
const { wire, upOnNewFlow } = C;

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
