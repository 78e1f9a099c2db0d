// Signalling loss mid-call (issue 11), shared by reconnect.test.mjs and outbound-edge.test.mjs:
// the agent page registered through a TCP relay of ours (tests/net/relay.mjs) that can cut its
// WebSocket, readers of the SIP the relay decoded (what the SDK sent and got on which
// connection), and a call carried through a cut. Media never crosses the relay, so a cut is
// signalling-only.
import assert from 'node:assert/strict';
import * as S from './support.mjs';
import { openAgentPage } from './agent.mjs';
import { waitRtpGrowing } from './farend/driver.mjs';
import { connect, connectOutgoing, instrument, agentStats, sessionStates } from './rig.mjs';
import { startRelay } from '../net/relay.mjs';

/** A relay (closed by `stack`) to the rig's Kamailio and the agent page registered through it. */
export async function agentViaRelay(rig, stack, user = '1001', query = '') {
  const relay = await startRelay(stack, { target: { host: '127.0.0.1', port: rig.kam.port } });
  const kam = { ...rig.kam, port: relay.port };
  const agent = await openAgentPage({ ctx: rig.ours, http: rig.http, kam, user, opened: rig.opened, init: instrument, query });
  return { relay, agent };
}

/** One line per SIP message the relay saw: "+ms #conn →/← first-line [CSeq]". */
export function wire(relay, since = 0) {
  return relay
    .sip('up', since)
    .concat(relay.sip('down', since))
    .sort((a, b) => a.t - b.t)
    .map((f) => `+${f.t - since}ms #${f.conn} ${f.dir === 'up' ? '→' : '←'} ${f.text.split('\r\n')[0]} [${header(f.text, 'CSeq') || ''}]`)
    .join('\n    ');
}

/** The first value of header `name` (or its compact form) in SIP text `text`. */
export function header(text, name, compact) {
  const re = new RegExp(`^(?:${name}${compact ? `|${compact}` : ''})\\s*:\\s*(.*)$`, 'im');
  return (re.exec(text) || [])[1];
}

export const callIdOf = (text) => (/^(?:Call-ID|i)\s*:\s*(\S+)/im.exec(text) || [])[1];

/** The first up message on a connection not in `oldConns` whose start line matches `re`. */
export const upOnNewFlow = (relay, oldConns, re, since) => relay.sip('up', since).find((f) => !oldConns.includes(f.conn) && re.test(f.text.split('\r\n')[0]));

/** The first 200 to a REGISTER that came down a connection not in `oldConns`. */
export const registerOkOnNewFlow = (relay, oldConns, since) =>
  relay.sip('down', since).find((f) => !oldConns.includes(f.conn) && /^SIP\/2\.0 200 /.test(f.text) && /^CSeq:\s*\d+ REGISTER/im.test(f.text));

/** Waits for SessionCallback `state` at or after index `from`; a failure prints the wire since `t0`. */
export function waitSession(o, state, from, timeout, relay, t0) {
  return S.waitFor(async () => (await sessionStates(o)).slice(from).includes(state), { timeout, message: `SessionCallback('${state}')` }).catch(async (e) => {
    const st = await sessionStates(o).catch(() => []);
    throw new Error(`${e.message}; session states ${JSON.stringify(st.slice(from))}; wire since the cut:\n    ${wire(relay, t0)}`);
  });
}

/** Runs `fn`; when it throws, the message gets the wire since `t0` appended. */
export async function withWire(relay, t0, fn) {
  try {
    return await fn();
  } catch (e) {
    throw new Error(`${e.message}; wire:\n    ${wire(relay, t0)}`);
  }
}

/**
 * A call up (`dial` 'in': far end 1002 calls the agent; 'out': the agent calls 1002), then the
 * WebSocket cut; checks audio through the outage, 'reconnecting' then 'reconnected' once each,
 * and that the new flow carries a REGISTER, its 200, and then a re-INVITE target refresh of the
 * call. Returns { relay, agent, far, id, callId, t0, oldConns, reg, regOk, refresh } to go on with.
 */
export async function callThroughCut(rig, stack, { query = '', dial = 'in', refused = false } = {}) {
  const { relay, agent } = await agentViaRelay(rig, stack, '1001', query);
  const far = await rig.far(1002);
  const id = dial === 'in' ? await connect(agent, far) : await connectOutgoing(agent, far);
  const callId = (await far.info(id)).callId;
  const oldConns = relay.open();
  const states = (await sessionStates(agent)).length;
  const t0 = Date.now();
  relay.cut();

  // Media does not cross the relay: it must not notice the signalling outage. (With a refused
  // refresh the call may already be over by the time we look: the edge answers within 0.5 s.)
  if (!refused) {
    await waitRtpGrowing(() => agentStats(agent), 'the agent receives audio through the outage');
    await waitRtpGrowing(() => far.stats(id), 'the far end receives audio through the outage');
  }
  await waitSession(agent, 'reconnecting', states, 10000, relay, t0);
  // `refused`: an edge that will refuse the target refresh; the caller checks what follows.
  if (!refused) {
    await waitSession(agent, 'reconnected', states, 40000, relay, t0);
    const st = (await sessionStates(agent)).slice(states).filter((s) => s === 'reconnecting' || s === 'reconnected');
    assert.deepEqual(st, ['reconnecting', 'reconnected'], 'reconnecting then reconnected, once each');
  }

  const reg = await withWire(relay, t0, () => S.waitFor(() => upOnNewFlow(relay, oldConns, /^REGISTER /, t0), { timeout: 5000, message: 'a REGISTER on the new flow' }));
  const refresh = await withWire(relay, t0, () =>
    S.waitFor(() => relay.sip('up', t0).find((f) => !oldConns.includes(f.conn) && /^(INVITE|UPDATE) /.test(f.text) && callIdOf(f.text) === callId), {
      timeout: 10000,
      message: `a target refresh (re-INVITE or UPDATE) of call ${callId} on the new flow`,
    }),
  );
  assert.ok(reg.t <= refresh.t, `REGISTER before the target refresh:\n    ${wire(relay, t0)}`);
  // The refresh waits for the registrar's answer: the edge knows the new flow first.
  const regOk = registerOkOnNewFlow(relay, oldConns, t0);
  assert.ok(regOk && regOk.t <= refresh.t, `the REGISTER's 200 before the target refresh:\n    ${wire(relay, t0)}`);
  assert.match(refresh.text.split('\r\n')[0], /^INVITE /, 'the target refresh is a re-INVITE (JsSIP moves its target only for INVITE)');
  if (refused) return { relay, agent, far, id, callId, t0, oldConns, reg, regOk, refresh, states };
  await waitRtpGrowing(() => agentStats(agent), 'the agent receives audio after the reconnect');
  await waitRtpGrowing(() => far.stats(id), 'the far end receives audio after the reconnect');
  assert.equal((await far.info(id)).ended, false, 'the far end still has the call');
  return { relay, agent, far, id, callId, t0, oldConns, reg, regOk, refresh };
}
