// A trapped WebAssembly core (issue 10 item 3), end to end: the guide-style agent page
// (dist/exotelsdk.js, Chromium) in a call with a JsSIP far end through Kamailio, and a
// registered client in Firefox ESR whose trap comes in a timer callback. The core's test hook
// (__testTrap, which wants a key no app passes) arms a trap inside the core's borrow for the
// next input, as an allocation failure would strike. Then the SDK must release the call's
// media from JS (the far end stops hearing the agent within 1 s), tell the app (callEnded,
// terminated), start a new core and register again by itself; calls work afterwards.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as S from './support.mjs';
import { callEvents, types } from './agent.mjs';
import { callRig, connect, instrument, waitCallEventFrom } from './rig.mjs';

const T = { timeout: 120000 };
const KEY = 'exotel-voice: trap for a test';

/** Before the SDK loads: when a WebAssembly trap reaches the page, and the media state at callEnded. */
function watchTraps() {
  window.__traps = [];
  window.addEventListener('error', (e) => {
    if (e.error instanceof WebAssembly.RuntimeError) window.__traps.push({ t: performance.timeOrigin + performance.now(), message: e.error.message });
  });
  window.hooks = window.hooks || {};
}

const regStates = (o) => o.page.evaluate(() => window.regEvents.map((e) => e[0]));
const logsOf = (o) => o.page.evaluate(() => window.logs.slice());

describe('a trapped core is contained and recovered (Chromium, dist/exotelsdk.js, JsSIP far end)', () => {
  const rig = callRig('trap');

  it('a trap mid-call: media released within 1 s, callEnded then terminated, registered again by itself, the next call works', T, async (t) => {
    const agent = await rig.openAgent({ init: instrument });
    await agent.page.evaluate(watchTraps);
    // At callEnded, what the page's instrumentation sees of the call's media.
    await agent.page.evaluate(() => {
      window.hooks.onCall = (type, t) => {
        if (type === 'callEnded' && !window.__endedMedia) window.__endedMedia = { t, media: window.mediaState() };
      };
    });
    const far = await rig.far(1002);
    const id = await connect(agent, far);
    const before = await rig.kam.contacts(1001);
    assert.equal(before.length, 1, 'one binding before the trap');
    const regBefore = (await regStates(agent)).length;

    await agent.page.evaluate((key) => window.exWebClient._core.__testTrap(key), KEY);
    // The next input: a SIP INFO from the far end, which reaches the core in a socket callback.
    await far.page.evaluate((i) => window.far.calls[i].session.sendDTMF('5', { transportType: 'INFO' }), id);

    const trap = await S.waitFor(async () => (await agent.page.evaluate(() => window.__traps))[0], { message: 'the trap to reach the page' });
    assert.match(trap.message, /unreachable/, 'a real wasm trap');
    const evs = await waitCallEventFrom(agent, 'terminated');
    assert.deepEqual(types(evs).slice(-2), ['callEnded', 'terminated'], `callEnded, then terminated: ${JSON.stringify(types(evs))}`);
    const ended = await agent.page.evaluate(() => window.__endedMedia);
    assert.ok(ended.t - trap.t < 1000, `callEnded ${Math.round(ended.t - trap.t)} ms after the trap`);
    assert.ok(ended.media.pcs.length >= 1 && ended.media.pcs.every((p) => p.connectionState === 'closed'), `every peer connection closed at callEnded: ${JSON.stringify(ended.media.pcs)}`);
    assert.ok(ended.media.tracks.length >= 1 && ended.media.tracks.every((t) => t.readyState === 'ended'), `every microphone track ended at callEnded: ${JSON.stringify(ended.media.tracks)}`);
    const details = evs[evs.length - 1].details;
    assert.equal(details.callEndReason, 'sdk_failure', 'callDetails says why the call ended');

    // The far end: no more audio from the agent from 1 s after the trap on (a packet or two in
    // flight at most), whether or not a BYE came.
    const wait = trap.t + 1000 - (await far.now());
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const a = await far.stats(id);
    await new Promise((r) => setTimeout(r, 1000));
    const b = await far.stats(id);
    assert.ok(b.packetsReceived - a.packetsReceived <= 2, `the far end receives no more audio: ${a.packetsReceived} → ${b.packetsReceived} packets in 1 s`);
    t.diagnostic(`callEnded, media released: ${Math.round(ended.t - trap.t)} ms after the trap; far end from 1 s on: ${b.packetsReceived - a.packetsReceived} packets in 1 s`);

    // The app hears the registration end and come back, from a new core, by itself.
    await S.waitFor(async () => (await regStates(agent)).slice(regBefore).includes('registered'), { timeout: 15000, message: 'registered again' });
    assert.deepEqual((await regStates(agent)).slice(regBefore), ['terminated', 'sent_request', 'registered'], 'RegisterEventCallBack after the trap');
    const after = await S.waitFor(async () => {
      const c = await rig.kam.contacts(1001);
      return c.some((x) => !before.some((y) => y.address === x.address)) ? c : null;
    }, { message: 'a new binding in Kamailio' });
    assert.ok(after.length >= 1);
    const logs = await logsOf(agent);
    assert.ok(logs.some(([t, m]) => t === 'error' && /WebAssembly core stopped \(unreachable/.test(m)), 'an error names the trap');
    assert.ok(logs.some(([t, m]) => t === 'info' && /new SDK core; registering again/.test(m)), 'a log line names the restart');

    // Re-init with the same account keeps the new core, not the dead one; and a call works.
    const reinit = await agent.page.evaluate(() => window.exWebClient.initWebrtc(window.sipAccountInfo || sipAccountInfo, RegisterEventCallBack, CallListenerCallback, SessionCallback));
    assert.equal(reinit, true, 'initWebrtc with the same account resolves true');
    assert.equal(await agent.page.evaluate(() => window.exWebClient._core.alive()), true, 'the current core is a live one');
    const id2 = await connect(agent, far, { label: 'after the restart' }); // audio both ways
    const from = (await callEvents(agent)).length;
    await far.hangup(id2);
    await waitCallEventFrom(agent, 'callEnded', from);

    // The only uncaught error is the trap itself: the dead module's closures are refused quietly.
    assert.deepEqual(agent.w.pageErrors.filter((e) => !/RuntimeError: unreachable/.test(e)), [], 'no other page error');
    assert.deepEqual(await agent.page.evaluate(() => window.__rejections), [], 'no unhandled rejection');
  });

  it('a trap in an API call (DoRegister) is caught by the guard: nothing uncaught, registered again', T, async () => {
    const agent = await rig.openAgent({ init: instrument });
    const regBefore = (await regStates(agent)).length;
    await agent.page.evaluate((key) => {
      window.exWebClient._core.__testTrap(key);
      window.exWebClient.DoRegister(); // the core's next input, from the shim
    }, KEY);
    await S.waitFor(async () => (await regStates(agent)).slice(regBefore).includes('registered'), { timeout: 15000, message: 'registered again' });
    assert.deepEqual((await regStates(agent)).slice(regBefore), ['terminated', 'sent_request', 'registered']);
    const logs = await logsOf(agent);
    assert.ok(logs.some(([t, m]) => t === 'error' && /core stopped \(unreachable in register\(\)/.test(m)), `an error names the call: ${JSON.stringify(logs.filter(([t]) => t === 'error'))}`);
    assert.deepEqual(agent.w.pageErrors, [], 'no page error: the guard caught the trap');
    assert.deepEqual(await agent.page.evaluate(() => window.__rejections), [], 'no unhandled rejection');
    assert.equal((await callEvents(agent)).length, 0, 'no call events without a call');
  });
});

describe('a trapped core is recovered in Firefox ESR (harness page, a trap in a timer callback)', () => {
  const stack = new S.Stack();
  let http;
  let kam;
  let browser;
  before(async () => {
    http = await S.startHttp(stack);
    kam = await S.startKamailio(stack, 'trap-firefox');
    browser = await S.launchFirefox(stack);
  });
  after(() => stack.close());

  it('the keep-alive timer hits the armed trap: terminated, then registered again from a new core', T, async () => {
    const page = await browser.newPage();
    stack.defer('page', () => page.close().catch(() => {}));
    const w = S.watchPage(page);
    await page.goto(http.url('/tests/e2e/pages/harness.html'));
    const events = () => page.evaluate(() => window.eventsOf('f').map((e) => e[0]));
    await page.evaluate(([pass, port]) => {
      window.makeClient('f');
      // A 5 s keep-alive: the next input after arming is that timer (the page sends nothing else).
      window.init('f', { ...window.account('1002', pass, port), keepAliveInterval: 5 });
      window.clients.f.client.DoRegister();
    }, [S.USERS[1002], kam.port]);
    await S.waitFor(async () => (await events()).includes('registered'), { message: 'registered' });
    await page.evaluate((key) => window.clients.f.client._core.__testTrap(key), KEY);
    await S.waitFor(async () => (await events()).filter((e) => e === 'registered').length === 2, { timeout: 20000, message: 'registered again' });
    assert.deepEqual(await events(), ['sent_request', 'registered', 'terminated', 'sent_request', 'registered']);
    const logs = await page.evaluate(() => window.logs.map(([t, m]) => [t, m]));
    assert.ok(logs.some(([t, m]) => t === 'error' && /WebAssembly core stopped \(unreachable/.test(m)), 'an error names the trap');
    assert.equal(await page.evaluate(() => window.clients.f.client._core.alive()), true, 'a live core');
    assert.deepEqual(w.pageErrors.filter((e) => !/unreachable/.test(e)), [], 'no page error but the trap');
    await page.evaluate(() => window.clients.f.client.destroy());
    // The new core's binding goes; the dead core's stays until it expires (nothing could
    // unregister it, and this Kamailio keeps bindings of closed connections).
    await S.waitFor(async () => (await kam.contacts(1002)).length === 1, { message: "the new core's binding removed" });
  });
});
