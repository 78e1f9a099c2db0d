// What other same-origin scripts can do to the multi-tab features (issue 10 item 6), in agent
// tabs of ONE Chromium context (tests/e2e/pages/multitab.html; BroadcastChannel and Web Locks
// shared as between the tabs of a browser profile) with a private Kamailio as the registration
// oracle. tests/e2e/pages/channel.html is a same-origin tab without the SDK: here the intruder.
//   - spoofed 'app-data' messages (this tab's own states, markup, huge or odd payloads) are not
//     delivered; a well-formed one still is;
//   - a script that holds the account's Web Lock for ever does not keep every tab from
//     registering; nor does a leader tab that stopped running, which steps down once it runs.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as S from './support.mjs';

const T = { timeout: 120000 };
const AGENT = '1001';

const stack = new S.Stack();
let http;
let kam;
let ctx;
let opened = [];

async function openTab({ listen = 0, leader = 0, register = 0 } = {}) {
  const page = await ctx.newPage();
  const o = { w: S.watchPage(page), page };
  opened.push(o);
  await page.goto(http.url(`/tests/e2e/pages/multitab.html${S.registerQuery(kam, AGENT)}&listen=${listen}&leader=${leader}&register=${register}`));
  return o;
}

async function openChannelTab() {
  const page = await ctx.newPage();
  const o = { w: S.watchPage(page), page };
  opened.push(o);
  await page.goto(http.url('/tests/e2e/pages/channel.html'));
  return o;
}

const sessionEvents = (o) => o.page.evaluate(() => window.sessionEvents.slice());
const logs = (o) => o.page.evaluate(() => window.logs.slice());
const leadership = (o) => o.page.evaluate(() => window.exWebClient.getTabLeadership());
const contacts = () => kam.contacts(AGENT);

describe('multi-tab messages and leadership against other same-origin scripts (Chromium tabs of one context)', () => {
  before(async () => {
    http = await S.startHttp(stack);
    kam = await S.startKamailio(stack, 'multitab-trust');
    ctx = await S.launchChromium(stack);
  });
  after(() => stack.close());
  afterEach(async () => {
    for (const o of opened) await o.page.close().catch(() => {});
    opened = [];
    await kam.clear();
  });

  it("spoofed 'app-data' messages reach no SessionCallback; a well-formed one does", T, async () => {
    const evil = await openChannelTab();
    const t = await openTab({ listen: 1 });
    await t.page.evaluate(() => sessionStorage.setItem('activeSessionTab', 'parent0')); // the legacy form is honoured
    await evil.page.evaluate((agent) => {
      const tab = { userName: agent, tabId: 'tab-evil', callId: 'c-evil' };
      window.post({ ...tab, callState: 'accepted', callNumber: '5550' }); // this tab's own state
      window.post({ ...tab, callState: 'terminated', callNumber: '5550' });
      window.post({ ...tab, callState: 'incoming', callNumber: '<img src=x onerror=alert(1)>' });
      window.post({ ...tab, callState: 'x'.repeat(1 << 20) });
      window.post({ ...tab, callState: 'incoming', callNumber: { toString: null, n: 1 } });
      window.post({ ...tab, tabId: 'x'.repeat(1000), callState: 'incoming', callNumber: '5550' });
      window.post({ ...tab, callState: 'incoming', callNumber: '5550', callId: 'a\r\nb' });
      window.post({ callState: 'accepted', callNumber: '5550' }); // the legacy form, an own state
      window.post({ callState: 'muted' });
      window.post({ message: 're-register-needed', hashMsg: { any: 'object' } });
      window.post({ message: 'login-successful', tabHash: 'h'.repeat(10000) });
      window.post([{ callState: 'incoming' }]);
      // The barrier: well formed, delivered after everything above.
      window.post({ ...tab, tabId: 'tab-ok', callState: 'incoming', callNumber: '+15550100', callId: 'c-ok' });
    }, AGENT);
    await S.waitFor(async () => (await sessionEvents(t)).length >= 1, { message: 'the well-formed message' });
    await new Promise((r) => setTimeout(r, 300)); // anything delivered late would show now
    assert.deepEqual(await sessionEvents(t), [['incoming', '+15550100']], 'only the well-formed message');
    const dropped = (await logs(t)).filter(([type, m]) => type === 'warn' && /^SessionListener: dropped/.test(m));
    assert.equal(dropped.length, 11, `each spoof is logged once: ${JSON.stringify(dropped.map((d) => d[1].slice(0, 100)))}`);
    for (const o of opened) assert.deepEqual(o.w.pageErrors, [], 'no page errors');
  });

  it('a script holding the Web Lock for ever: the SDK tab takes over within seconds and registers', T, async () => {
    const squatter = await openChannelTab();
    await squatter.page.evaluate((agent) => {
      window.held = new Promise((granted) => navigator.locks.request(`exotel-voice:${agent}`, () => (granted(true), new Promise(() => {}))));
      return window.held;
    }, AGENT);
    const t = await openTab({ leader: 1, register: 1 });
    await S.waitFor(async () => (await leadership(t)) === 'follower', { message: 'the tab follows the lock holder first' });
    await S.waitFor(async () => (await leadership(t)) === 'leader', { timeout: 20000, message: 'the tab takes over' });
    await S.waitFor(async () => (await contacts()).length === 1, { message: 'registered' });
    assert.ok((await logs(t)).some(([type, m]) => type === 'warn' && /held by a tab or script that does not answer/.test(m)), 'a warning says why');
    assert.ok((await sessionEvents(t)).some((e) => e[0] === 're-register'), "SessionCallback('re-register') as on any takeover");
  });

  it('a hung leader tab: a follower takes over and registers; once it runs again, it steps down', T, async () => {
    const a = await openTab({ leader: 1, register: 1 });
    await S.waitFor(async () => (await contacts()).length === 1, { message: 'tab A registered' });
    const b = await openTab({ leader: 1, register: 1 });
    await S.waitFor(async () => (await leadership(b)) === 'follower', { message: 'tab B follows' });
    // Tab A stops running for 15 s (a long task; what a frozen or stuck tab looks like from
    // outside): it holds its lock and answers nothing.
    await a.page.evaluate(() => {
      setTimeout(() => {
        const end = Date.now() + 15000;
        while (Date.now() < end);
      }, 0);
    });
    await S.waitFor(async () => (await leadership(b)) === 'leader', { timeout: 14000, message: 'tab B takes over from the hung tab' });
    await S.waitFor(async () => (await contacts()).length === 2, { message: "tab B's binding (tab A's is still there)" });
    await S.waitFor(async () => (await leadership(a)) === 'follower', { timeout: 20000, message: 'tab A, running again, steps down' });
    await S.waitFor(async () => (await contacts()).length === 1, { message: "tab A's binding removed" });
    assert.equal(await leadership(b), 'leader', 'tab B still leads');
    assert.ok((await logs(a)).some(([type, m]) => type === 'warn' && /took over 1001; this tab stops registering/.test(m)), 'tab A says why');
  });
});
