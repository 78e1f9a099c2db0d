// Multi-tab sessions end to end (integration guide §5.12, js-shim/src/multitab.js): agent tabs
// are pages of ONE Chromium context (tests/e2e/pages/multitab.html), so BroadcastChannel and Web
// Locks are shared as between the tabs of one browser profile; a JsSIP far end (its own
// Chromium) calls 1001 through a private Kamailio, whose location table is the registration
// oracle. tests/e2e/pages/channel.html is a same-origin tab without the SDK: the app's side of
// the channel 'app-data'.
// Every wait is a bounded poll; no assertion depends on how long something took.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as S from './support.mjs';
import { bundleFarEnd, openFarEnd } from './farend/driver.mjs';

const T = { timeout: 120000 };
const AGENT = '1001';
const CALLER = '1002';
const TARGET = `sip:${AGENT}@127.0.0.1`;

const stack = new S.Stack();
let http;
let kam;
let ours; // the agent tabs: one context, shared BroadcastChannel and Web Locks
let theirs; // the far end
let opened = []; // { w, page, far? } of the running test

describe('multi-tab sessions (Chromium tabs of one context, dist/exotelsdk.js, JsSIP far end)', () => {
  before(async () => {
    await bundleFarEnd();
    http = await S.startHttp(stack);
    kam = await S.startKamailio(stack, 'multitab');
    ours = await S.launchChromium(stack, { fakeAudioFile: S.toneWav(440) });
    theirs = await S.launchChromium(stack, { fakeAudioFile: S.toneWav(1000) });
  });

  after(() => stack.close());

  afterEach(async () => {
    for (const o of opened) if (o.far) await o.far.stop();
    for (const o of opened) await o.page.close().catch(() => {});
    opened = [];
    await kam.clear(); // a failed test must not leave bindings (forks) for the next one
  });

  it('SessionListener: the registered tab owns the call; the other tab gets incoming, connected and callEnded', T, async () => {
    const app = await openChannelTab();
    const a = await openTab({ listen: 1, register: 1 });
    await waitRegistered(a);
    await waitBindings(1);
    const b = await openTab({ listen: 1 });

    const f = await far(CALLER);
    const id = await f.call(TARGET, { callSid: 'CA-multitab-a' });
    await waitCall(a, 'incoming');
    const inc = await waitSession(b, 'incoming');
    assert.deepEqual(inc, ['incoming', CALLER], "tab B: SessionCallback('incoming', caller's number)");
    assert.equal(await b.page.textContent('#notice'), `Incoming call from ${CALLER}`, 'tab B shows the guide-style notice');

    await a.page.evaluate(() => window.exWebClient.getCall().Answer());
    await waitCall(a, 'connected');
    await f.waitEvent(id, 'confirmed');
    assert.deepEqual(await waitSession(b, 'connected'), ['connected', CALLER], "tab B: SessionCallback('connected')");

    await a.page.evaluate(() => window.exWebClient.getCall().Hangup());
    await f.waitEvent(id, 'bye_received');
    await waitCall(a, 'callEnded');
    assert.deepEqual(await waitSession(b, 'callEnded'), ['callEnded', CALLER], "tab B: SessionCallback('callEnded')");

    // Tab B never owned anything; tab A saw only its own per-call states.
    assert.deepEqual(await sessionEvents(b), [['incoming', CALLER], ['connected', CALLER], ['callEnded', CALLER]], 'tab B: SessionCallback');
    assert.deepEqual(await callEvents(b), [], 'tab B: no CallListenerCallback');
    assert.deepEqual(await regEvents(b), [], 'tab B: no registration');
    const aStates = (await sessionEvents(a)).map((e) => e[0]);
    assert.equal(aStates.filter((s) => s === 'incoming').length, 1, `tab A: its own 'incoming' once: ${JSON.stringify(aStates)}`);
    assert.ok(!aStates.includes('connected') && !aStates.includes('callEnded'), `tab A: no other-tab states: ${JSON.stringify(aStates)}`);
    assert.deepEqual((await callEvents(a)).map((e) => e.type), ['incoming', 'ringing', 'connected', 'callEnded'], 'tab A: call events');
    assert.equal((await kam.contacts(AGENT)).length, 1, 'one binding: tab B did not register');

    // What tab A posted on 'app-data', as the app's own tab sees it.
    const posted = await app.page.evaluate(() => window.received.slice());
    assert.deepEqual(posted.map((m) => m.callState), ['incoming', 'connected', 'callEnded'], `posted states: ${JSON.stringify(posted)}`);
    for (const m of posted) {
      assert.equal(m.callNumber, CALLER, `callNumber: ${JSON.stringify(m)}`);
      assert.equal(m.userName, AGENT, `userName: ${JSON.stringify(m)}`);
      assert.ok(typeof m.tabId === 'string' && m.tabId, `tabId: ${JSON.stringify(m)}`);
    }
    assert.equal(new Set(posted.map((m) => m.tabId)).size, 1, 'one tab posted');
    await checkHygiene();
  });

  it('enableTabLeadership: one tab registers and rings; when it closes the next tab re-registers and takes the calls', T, async () => {
    const a = await openTab({ leader: 1, register: 1 });
    await waitRegistered(a);
    assert.equal(await a.page.evaluate(() => window.leadershipOn), true, 'enableTabLeadership() → true');
    assert.equal(await leadership(a), 'leader', 'tab A leads');
    const b = await openTab({ leader: 1, register: 1 });
    await S.waitFor(async () => (await leadership(b)) === 'follower', { message: 'tab B follows' });
    await S.waitFor(async () => (await logs(b)).some((l) => /another tab holds 1001/.test(l[1])), {
      message: "tab B logs that its DoRegister waits for the other tab",
    });
    const first = await waitBindings(1);
    assert.deepEqual(await regEvents(b), [], 'tab B: its DoRegister did not register');

    // Only the leader rings; the follower gets the notice.
    const f = await far(CALLER);
    const id1 = await f.call(TARGET, { callSid: 'CA-leader-1' });
    await waitCall(a, 'incoming');
    assert.deepEqual(await waitSession(b, 'incoming'), ['incoming', CALLER], "tab B: SessionCallback('incoming')");
    await a.page.evaluate(() => window.exWebClient.getCall().Hangup()); // reject: 486
    const busy = await f.waitEnded(id1);
    assert.equal(busy.status, 486, `far end: rejected by the leader: ${JSON.stringify(busy.events)}`);
    await waitSession(b, 'callEnded');
    assert.deepEqual(await callEvents(b), [], 'tab B never rang');
    assert.equal((await kam.contacts(AGENT)).length, 1, 'still one binding');

    // The leader goes away: tab B takes over, is told to re-register, and registers.
    await closeTab(a);
    assert.deepEqual(await waitSession(b, 're-register'), ['re-register', AGENT], "tab B: SessionCallback('re-register', userName)");
    await waitRegistered(b);
    assert.equal(await leadership(b), 'leader', 'tab B leads');
    const oldAddress = first[0].address;
    const now = await S.waitFor(async () => {
      const c = await kam.contacts(AGENT);
      return c.some((x) => x.address !== oldAddress) ? c : null;
    }, { message: "tab B's binding in Kamailio" });
    // The closing leader's best-effort un-REGISTER removes its binding (else it would expire).
    await S.waitFor(async () => (await kam.contacts(AGENT)).every((x) => x.address !== oldAddress), {
      message: `the closed leader's binding to go (bindings: ${JSON.stringify(now.map((x) => x.address))})`,
    });
    const bStates = (await sessionEvents(b)).map((e) => e[0]);
    assert.equal(bStates.filter((s) => s === 're-register').length, 1, `one 're-register': ${JSON.stringify(bStates)}`);
    assert.equal((await regEvents(b)).filter((e) => e[0] === 'registered').length, 1, 'tab B registered once');

    // The next call rings tab B.
    const id2 = await f.call(TARGET, { callSid: 'CA-leader-2' });
    const evs = await waitCall(b, 'incoming');
    assert.equal(evs.find((e) => e.type === 'incoming').remoteId, CALLER, "tab B: the caller's number in callDetails()");
    await b.page.evaluate(() => window.exWebClient.getCall().Answer());
    await waitCall(b, 'connected');
    await f.waitEvent(id2, 'confirmed');
    await f.hangup(id2);
    await waitCall(b, 'callEnded');
    const bSession = (await sessionEvents(b)).map((e) => e[0]);
    assert.ok(bSession.includes('accepted') && bSession.includes('terminated'), `tab B: its own per-call states: ${JSON.stringify(bSession)}`);
    await checkHygiene();
  });

  it('SessionListener without leadership: both tabs ring the forked call; neither gets the other tab\'s event for it', T, async () => {
    const app = await openChannelTab();
    const a = await openTab({ listen: 1, register: 1 });
    await waitRegistered(a);
    await waitBindings(1);
    const b = await openTab({ listen: 1, register: 1 });
    await waitRegistered(b);
    await waitBindings(2);

    const f = await far(CALLER);
    const id = await f.call(TARGET, { callSid: 'CA-fork' });
    await waitCall(a, 'incoming');
    await waitCall(b, 'incoming');
    await a.page.evaluate(() => window.exWebClient.getCall().Answer());
    await waitCall(a, 'connected');
    await f.waitEvent(id, 'confirmed');
    await waitCall(b, 'callEnded'); // the fork was cancelled: answered elsewhere
    await f.hangup(id);
    await waitCall(a, 'callEnded');

    // Barrier: another call's event posted now reaches both tabs after every earlier one.
    await app.page.evaluate((agent) => {
      window.post({ callState: 'incoming', callNumber: 'barrier', userName: agent, tabId: 'tab-z', callId: 'c-z' });
    }, AGENT);
    for (const [name, o] of [['A', a], ['B', b]]) {
      await waitSession(o, 'incoming', 15000, 'barrier');
      const evs = await sessionEvents(o);
      const incoming = evs.filter((e) => e[0] === 'incoming');
      assert.deepEqual(incoming.map((e) => e[1]), [AGENT, 'barrier'], `tab ${name}: its own 'incoming', then the barrier: ${JSON.stringify(evs)}`);
      const states = evs.map((e) => e[0]);
      assert.ok(!states.includes('connected') && !states.includes('callEnded'), `tab ${name}: no other-tab state for its own call: ${JSON.stringify(evs)}`);
    }
    await checkHygiene();
  });

  it("legacy app messages on 'app-data' reach SessionCallback; other accounts' events do not", T, async () => {
    const app = await openChannelTab();
    const t = await openTab({ listen: 1 });
    const other = await openTab({}); // no SessionListener yet
    assert.equal(await other.page.evaluate(() => window.exWebClient.getTabLeadership()), 'off');

    await app.page.evaluate(() => window.post({ message: 're-register-needed', hashMsg: 'x' }));
    assert.deepEqual(await waitSession(t, 're-register'), ['re-register', 'x'], "SessionCallback('re-register', hashMsg)");
    await app.page.evaluate((agent) => {
      window.post({ message: 'logout' });
      // Another account's event, then the legacy {callState} form while the tab is not marked
      // active: neither reaches the tab. The last message (this account) is the barrier.
      window.post({ callState: 'incoming', callNumber: '9999', userName: '1003', tabId: 'tab-x', callId: 'c-x' });
      window.post({ callState: 'connected', callNumber: '8888' });
      window.post({ callState: 'incoming', callNumber: '5550', userName: agent, tabId: 'tab-y', callId: 'c-y' });
    }, AGENT);
    await S.waitFor(async () => (await sessionEvents(t)).length >= 3, { message: 'three SessionCallbacks' });
    assert.deepEqual(await sessionEvents(t), [['re-register', 'x'], ['logout', ''], ['incoming', '5550']], 'delivered in order; the rest ignored');

    // The legacy {callState, callNumber} form, once the app marked the tab active (as the sample).
    await t.page.evaluate(() => sessionStorage.setItem('activeSessionTab', 'parent0'));
    await app.page.evaluate(() => {
      window.post({ callState: 'connected', callNumber: '8888' });
      window.post({ callNumber: '8888' }); // no callState: the previous one again
      window.post({ message: 'login-successful', tabHash: 'h1' });
    });
    await S.waitFor(async () => (await sessionEvents(t)).length >= 6, { message: 'six SessionCallbacks' });
    assert.deepEqual((await sessionEvents(t)).slice(3), [
      ['connected', '8888'],
      ['connected', '8888'],
      ['login-successful', JSON.stringify({ phone: null, tabHash: 'h1' })],
    ]);

    // 3.0.10's name for it (a no-op there) starts listening too.
    assert.deepEqual(await sessionEvents(other), [], 'a tab without SessionListener got nothing');
    assert.equal(await other.page.evaluate(() => window.exWebClient.SessionListenerMethod()), true);
    await app.page.evaluate(() => window.post({ message: 'logout' }));
    assert.deepEqual(await waitSession(other, 'logout'), ['logout', ''], 'SessionListenerMethod() listens');
    await checkHygiene();
  });
});

// ---------------------------------------------------------------------------------------------
// helpers

async function openTab({ listen = 0, leader = 0, register = 0 } = {}) {
  const page = await ours.newPage();
  const w = S.watchPage(page);
  const o = { w, page };
  opened.push(o);
  const flags = `&listen=${listen}&leader=${leader}&register=${register}`;
  await page.goto(http.url(`/tests/e2e/pages/multitab.html${S.registerQuery(kam, AGENT)}${flags}`));
  await page.click('#unlock'); // user gesture: the SDK's audio may play
  return o;
}

async function openChannelTab() {
  const page = await ours.newPage();
  const o = { w: S.watchPage(page), page, plain: true };
  opened.push(o);
  await page.goto(http.url('/tests/e2e/pages/channel.html'));
  return o;
}

/** Closes a tab the way a user does (pagehide runs) and forgets it. */
async function closeTab(o) {
  assert.deepEqual(o.w.pageErrors, [], `page errors on ${o.page.url()}`);
  await o.page.close({ runBeforeUnload: true });
  await S.waitFor(() => o.page.isClosed(), { message: 'the tab to close' });
  opened = opened.filter((x) => x !== o);
}

async function far(user) {
  const f = await openFarEnd(theirs, http, kam, user);
  opened.push({ w: f.w, page: f.page, far: f });
  return f;
}

const regEvents = (o) => o.page.evaluate(() => window.regEvents.slice());
const callEvents = (o) => o.page.evaluate(() => window.callEvents.slice());
const sessionEvents = (o) => o.page.evaluate(() => window.sessionEvents.slice());
const logs = (o) => o.page.evaluate(() => window.logs.slice());
const leadership = (o) => o.page.evaluate(() => window.exWebClient.getTabLeadership());

function waitRegistered(o, timeout = 15000) {
  return S.waitFor(async () => (await regEvents(o)).some((e) => e[0] === 'registered'), {
    timeout,
    message: 'registered',
  });
}

function waitBindings(n) {
  return S.waitFor(async () => {
    const c = await kam.contacts(AGENT);
    return c.length === n ? c : null;
  }, { message: `${n} binding(s) of ${AGENT} in Kamailio` });
}

/** Waits for CallListenerCallback `type`; returns all call events. */
function waitCall(o, type, timeout = 15000) {
  return S.waitFor(async () => {
    const evs = await callEvents(o);
    return evs.some((e) => e.type === type) ? evs : null;
  }, { timeout, message: (last) => `call event '${type}'; so far ${JSON.stringify(last && last.map((e) => e.type))}` });
}

/** Waits for SessionCallback `state` (with `phone`, if given); returns that [state, phone]. */
function waitSession(o, state, timeout = 15000, phone = undefined) {
  return S.waitFor(async () => (await sessionEvents(o)).find((e) => e[0] === state && (phone === undefined || e[1] === phone)), {
    timeout,
    message: () => `SessionCallback '${state}'${phone === undefined ? '' : ` with '${phone}'`}`,
  }).catch(async (e) => {
    const evs = await sessionEvents(o).catch(() => null);
    throw new Error(`${e.message}; SessionCallbacks: ${JSON.stringify(evs)}`);
  });
}

/** No page errors; no password in the logger output or the console of an SDK tab. */
async function checkHygiene() {
  for (const o of opened) {
    assert.deepEqual(o.w.pageErrors, [], `page errors on ${o.page.url()}`);
    if (o.far) {
      assert.deepEqual(await o.far.errors(), [], `far end ${o.far.user}: window errors`);
      continue;
    }
    if (o.plain) continue;
    const lines = (await logs(o)).map((l) => JSON.stringify(l));
    for (const secret of Object.values(S.USERS)) {
      const line = lines.find((l) => l.includes(secret));
      assert.equal(line, undefined, `password '${secret}' appears in the logger callback output`);
      assert.equal(o.w.consoleTexts.find((t) => t.includes(secret)), undefined, `password '${secret}' appears in a console message`);
    }
  }
}
