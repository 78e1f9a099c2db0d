// The SDK with `outbound: true` (RFC 5626 reg-id, +sip.instance, ;ob) against Kamailio 5.6 as an
// RFC 5626 edge proxy and registrar in one box: the test Kamailio with its `outbound` module
// (tests/kamailio/kamailio.cfg, -A WITH_OUTBOUND; Debian package kamailio-outbound-modules),
// the agent page behind a TCP relay that can cut its WebSocket (tests/e2e/cut.mjs), a JsSIP far
// end talking to Kamailio directly.
//
// The edge's configuration is what an operator of WebRTC agents would run: RFC 5626 for
// REGISTER (Require: outbound, Flow-Timer, the binding keyed by instance and reg-id and routed
// to the registered flow), and no flow token in the Record-Route of dialogs, so a dialog follows
// the agent's Contact (nathelper ;alias), which the SDK's re-INVITE after a reconnect moves to
// the new flow. The last test turns flow tokens on (what the module does by default for a UA
// whose Contact has ;ob) and records the consequence: the route set of a call is pinned to the
// TCP connection it was set up on, and once that connection is gone no target refresh can move
// it: the edge answers 430 Flow Failed to both ends' requests.
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as S from './support.mjs';
import { callRig, waitCallEventFrom, sessionStates } from './rig.mjs';
import * as C from './cut.mjs';

const T = { timeout: 60000 };
const rig = callRig('outbound-edge', { kamailio: { outbound: true } });
const perTest = new S.Stack();
afterEach(() => perTest.close());

const OUTBOUND = '&outbound=1';
const firstLine = (f) => f.text.split('\r\n')[0];
/** The user part of the first Record-Route (or Route) URI: a flow token, or '' when none. */
const routeUser = (text, name = 'Record-Route') => {
  const v = C.header(text, name);
  assert.ok(v, `a ${name} header in:\n${text}`);
  return (/<sip:(?:([^@>]*)@)?/.exec(v) || [])[1] || '';
};
const is200To = (method) => (f) => /^SIP\/2\.0 200 /.test(f.text) && new RegExp(`^CSeq:\\s*\\d+ ${method}`, 'im').test(f.text);

/** Checks an outbound REGISTER and the edge's 200 to it; returns the port of the flow it bound. */
function checkOutboundRegistration(relay, conn, since = 0) {
  const reg = relay.sip('up', since).filter((f) => f.conn === conn && /^REGISTER /.test(firstLine(f))).pop();
  const ok = relay.sip('down', since).find((f) => f.conn === conn && is200To('REGISTER')(f));
  assert.ok(reg && ok, `a REGISTER answered 200 on connection #${conn}:\n    ${C.wire(relay, since)}`);
  const contact = C.header(reg.text, 'Contact', 'm');
  assert.match(contact, /;\+sip\.instance="<urn:uuid:[0-9a-f-]{36}>"/i, 'REGISTER Contact: +sip.instance');
  assert.match(contact, /;reg-id=1\b/, 'REGISTER Contact: reg-id=1');
  assert.match(C.header(reg.text, 'Supported', 'k'), /\boutbound\b/, 'REGISTER: Supported: outbound');
  // RFC 5626 §6: the registrar took it as an outbound registration.
  assert.match(C.header(ok.text, 'Require') || '', /\boutbound\b/, `200: Require: outbound\n${ok.text}`);
  assert.equal(C.header(ok.text, 'Flow-Timer'), '25', `200: Flow-Timer: 25 (registrar flow_timer)\n${ok.text}`);
  assert.match(C.header(ok.text, 'Contact', 'm'), /;reg-id=1\b/, '200: the binding echoed with its reg-id');
  return { reg, ok, port: Number(/;rport=(\d+)/.exec(C.header(ok.text, 'Via', 'v'))[1]) };
}

/** Kamailio's one binding of 1001: keyed by instance and reg-id, routed to the flow on `port`. */
async function checkBinding(reg, port) {
  const cs = await rig.kam.contacts(1001);
  assert.equal(cs.length, 1, `one binding for 1001 (the new flow replaced the old): ${JSON.stringify(cs)}`);
  const instance = /\+sip\.instance="([^"]+)"/.exec(C.header(reg.text, 'Contact', 'm'))[1];
  assert.equal(cs[0].instance, instance, 'the binding carries our +sip.instance');
  assert.equal(cs[0]['reg-id'], '1', 'the binding carries our reg-id');
  assert.equal(cs[0].received, `sip:127.0.0.1:${port};transport=ws`, 'the binding routes to the flow that registered it');
}

describe('RFC 5626 edge (Kamailio outbound module): outbound registration and a call through a WebSocket cut', () => {
  it("REGISTER with reg-id is an outbound registration (Require: outbound, Flow-Timer); a call reaches us on the registered flow; after a cut the new flow's REGISTER takes the binding, a re-INVITE moves the dialog, the far end's BYE reaches us, and so does a new call", T, async () => {
    const { relay, agent, far, id, t0, oldConns, reg, regOk } = await C.callThroughCut(rig, perTest, { query: OUTBOUND, dial: 'in' });
    const [first] = oldConns;
    checkOutboundRegistration(relay, first);
    const invite = relay.sip('down').find((f) => /^INVITE /.test(firstLine(f)));
    assert.equal(invite.conn, first, `the far end's INVITE came down the registered flow:\n    ${C.wire(relay)}`);
    assert.equal(routeUser(invite.text), '', 'no flow token in the dialog\'s Record-Route');

    const now = checkOutboundRegistration(relay, reg.conn, t0);
    assert.equal(now.ok, regOk);
    await checkBinding(reg, now.port);

    const ends = await agent.page.evaluate(() => window.callEvents.length);
    await far.hangup(id);
    await C.withWire(relay, t0, () => waitCallEventFrom(agent, 'terminated', ends, 10000));
    const bye = relay.sip('down', t0).find((f) => /^BYE /.test(firstLine(f)));
    assert.equal(bye && bye.conn, reg.conn, `the far end's BYE came down the new flow:\n    ${C.wire(relay, t0)}`);

    // A new call finds us on the new flow (the edge routes by the binding the reconnect made).
    const before = await agent.page.evaluate(() => window.callEvents.length);
    const id2 = await far.call('sip:1001@127.0.0.1');
    await waitCallEventFrom(agent, 'incoming', before);
    const inv2 = relay.sip('down', t0).find((f) => /^INVITE /.test(firstLine(f)) && C.callIdOf(f.text) !== C.callIdOf(invite.text));
    assert.equal(inv2 && inv2.conn, reg.conn, `the second call came down the new flow:\n    ${C.wire(relay, t0)}`);
    await far.cancel(id2);
    await waitCallEventFrom(agent, 'callEnded', before);
    await rig.checkPageErrors();
  });

  it('our call (makeCall): its INVITE has ;ob and Supported: outbound, the edge records no flow token; after a cut the re-INVITE is answered 200 and our Hangup() reaches the far end on the new flow', T, async () => {
    const { relay, agent, far, id, t0, oldConns, refresh } = await C.callThroughCut(rig, perTest, { query: OUTBOUND, dial: 'out' });
    const invite = relay.sip('up').filter((f) => /^INVITE /.test(firstLine(f)) && oldConns.includes(f.conn)).pop();
    assert.match(C.header(invite.text, 'Contact', 'm'), /;ob\b/, 'our INVITE Contact has ;ob');
    assert.match(C.header(invite.text, 'Supported', 'k'), /\boutbound\b/, 'our INVITE says Supported: outbound');
    const answer = relay.sip('down').find((f) => oldConns.includes(f.conn) && is200To('INVITE')(f));
    assert.equal(routeUser(answer.text), '', 'no flow token in the Record-Route of our call');
    assert.equal(routeUser(refresh.text, 'Route'), '', 'the re-INVITE routes without a flow token');
    const cseq = C.header(refresh.text, 'CSeq');
    await C.withWire(relay, t0, () =>
      S.waitFor(() => relay.sip('down', t0).find((f) => f.conn === refresh.conn && is200To('INVITE')(f) && C.header(f.text, 'CSeq') === cseq), {
        timeout: 5000,
        message: 'the 200 to the re-INVITE on the new flow',
      }),
    );

    await agent.page.evaluate(() => window.exWebClient.getCall().Hangup());
    const end = await C.withWire(relay, t0, () => far.waitEnded(id, 10000));
    assert.equal(end.originator, 'remote', `the far end was hung up by our BYE: ${JSON.stringify(end.events)}`);
    const bye = C.upOnNewFlow(relay, oldConns, /^BYE /, t0);
    assert.ok(bye, `our BYE went up the new flow:\n    ${C.wire(relay, t0)}`);
    assert.ok(relay.sip('down', t0).some((f) => f.conn === bye.conn && is200To('BYE')(f)), `the BYE answered 200:\n    ${C.wire(relay, t0)}`);
    await rig.checkPageErrors();
  });

  it("flow tokens on (the module default for a UA with ;ob): our call is pinned to its first connection; after a cut the edge answers 430 Flow Failed to our re-INVITE, so the SDK ends the call as connection_lost at once (never 'reconnected'), and the edge refuses the BYEs too", T, async () => {
    await rig.kam.rpc('htable.seti', 'edge', 'dialog_flow_tokens', 1);
    perTest.defer('flow tokens off', () => rig.kam.rpc('htable.seti', 'edge', 'dialog_flow_tokens', 0));
    const { relay, agent, far, id, t0, oldConns, refresh, states } = await C.callThroughCut(rig, perTest, { query: OUTBOUND, dial: 'out', refused: true });
    const answer = relay.sip('down').find((f) => oldConns.includes(f.conn) && is200To('INVITE')(f));
    const token = routeUser(answer.text);
    assert.ok(token.length >= 20, `a flow token in the Record-Route of our call: ${C.header(answer.text, 'Record-Route')}`);
    assert.equal(routeUser(refresh.text, 'Route'), token, 'the re-INVITE carries the route set with the old flow\'s token');

    // The edge routes the re-INVITE by the token toward the old (dead) flow: 430. No target
    // refresh can move a flow token, so the far end can never reach the call again: it ends.
    const cseq = C.header(refresh.text, 'CSeq');
    const refused = await C.withWire(relay, t0, () =>
      S.waitFor(() => relay.sip('down', t0).find((f) => f.conn === refresh.conn && C.header(f.text, 'CSeq') === cseq && /^SIP\/2\.0 [2-6]\d\d /.test(f.text)), {
        timeout: 5000,
        message: 'a final response to the re-INVITE',
      }),
    );
    assert.match(firstLine(refused), /^SIP\/2\.0 430 Flow Failed/, `the re-INVITE's answer:\n    ${C.wire(relay, t0)}`);
    await waitCallEventFrom(agent, 'callEnded');
    const ended = await agent.page.evaluate(() => window.callEvents.find((e) => e.type === 'callEnded'));
    assert.equal(ended.details && ended.details.callEndReason, 'connection_lost', `callEndReason: ${JSON.stringify(ended.details)}`);
    assert.ok(!(await sessionStates(agent)).slice(states).includes('reconnected'), 'never reconnected');
    // Our BYE goes out all the same (an edge that can route it would); this one answers 430.
    const bye = await S.waitFor(() => C.upOnNewFlow(relay, oldConns, /^BYE /, t0), { message: 'our BYE on the new flow' });
    await C.withWire(relay, t0, () =>
      S.waitFor(() => relay.sip('down', t0).some((f) => f.conn === bye.conn && /^SIP\/2\.0 430 /.test(f.text) && /^CSeq:\s*\d+ BYE/im.test(f.text)), {
        timeout: 5000,
        message: 'the 430 to our BYE',
      }),
    );

    // The far end hangs up: its BYE is routed by the same token and refused.
    const byeMark = rig.kam.log().length;
    await far.hangup(id);
    await far.waitEnded(id);
    await S.waitFor(() => /BYE from [\d.:]+: the flow of its Route is gone: 430/.test(rig.kam.log().slice(byeMark)), {
      timeout: 5000,
      message: "the edge's 430 to the far end's BYE (Kamailio log)",
    });
    await rig.checkPageErrors();
  });
});
