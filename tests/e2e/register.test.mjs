// Registration end to end: dist/exotelsdk.js in Chromium (playwright-core) against a private
// Kamailio, whose location table (`kamcmd ul.dump`) is the oracle for "registered".
// Every wait is a bounded poll; no assertion depends on how long something took.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as S from './support.mjs';

const WRONG_PASSWORD = 'wrong-secret-7391';
const SECRETS = [...Object.values(S.USERS), WRONG_PASSWORD];
const T = { timeout: 60000 };

const stack = new S.Stack();
let http;
let kam;
let ctx;
let opened = []; // watched pages of the running test

async function open(pagePath) {
  const page = await ctx.newPage();
  const w = S.watchPage(page);
  opened.push(w);
  await page.goto(http.url(pagePath));
  return w;
}

const guidePage = (user, pass) => `/tests/e2e/pages/register.html${S.registerQuery(kam, user, pass)}`;
const HARNESS = '/tests/e2e/pages/harness.html';

/** window.events of register.html, or the events of one harness client. */
const eventsOf = (w, id) =>
  id === undefined ? w.page.evaluate(() => window.events.slice()) : w.page.evaluate((i) => window.eventsOf(i), id);

async function waitEvent(w, state, id, timeout = 10000) {
  return S.waitFor(async () => ((await eventsOf(w, id)).some((e) => e[0] === state) ? eventsOf(w, id) : null), {
    timeout,
    message: (last) => `register event '${state}'${id ? ` of client ${id}` : ''}; events so far ${JSON.stringify(last)}`,
  });
}

async function waitBinding(user, present, timeout = 10000) {
  return S.waitFor(async () => {
    const c = await kam.contacts(user);
    return present ? c.length > 0 && c : c.length === 0;
  }, { timeout, message: `binding of ${user} to be ${present ? 'present' : 'gone'} in ul.dump` });
}

/** checkClientStatus through register.html's exWebClient or a harness client. */
const statusOf = (w, id) =>
  id === undefined
    ? w.page.evaluate(() => new Promise((r) => window.exWebClient.checkClientStatus(r)))
    : w.page.evaluate((i) => window.clientStatus(i), id);

const count = (events, state) => events.filter((e) => e[0] === state).length;

/** The checks every test ends with: no page error, no password in any log line or console message. */
async function checkHygiene() {
  for (const w of opened) {
    assert.deepEqual(w.pageErrors, [], `page errors on ${w.page.url()}`);
    const logs = await w.page.evaluate(() => JSON.stringify(window.logs));
    for (const s of SECRETS) {
      assert.ok(!logs.includes(s), `password '${s}' appears in the logger callback output`);
      const hit = w.consoleTexts.find((t) => t.includes(s));
      assert.equal(hit, undefined, `password '${s}' appears in a console message`);
    }
  }
}

/**
 * A harness client (1004) given the sipAccountInfo extension `good` registers with a binding
 * whose address matches `address`; one (1003) given `bad` is refused with `refusal` logged.
 */
async function checkContactOption({ good, address, bad, refusal }) {
  const w = await open(HARNESS);
  const init = (id, user, extra) =>
    w.page.evaluate(([i, u, port, pass, x]) => {
      window.makeClient(i);
      return window.init(i, { ...window.account(u, pass, port), ...x });
    }, [id, user, kam.port, S.USERS[user], extra]);
  assert.equal(await init('good', '1004', good), true, `initWebrtc with ${JSON.stringify(good)}`);
  await w.page.evaluate(() => window.clients.good.client.DoRegister());
  await waitEvent(w, 'registered', 'good');
  const contacts = await waitBinding(1004, true);
  assert.match(contacts[0].address, address, JSON.stringify(contacts));
  assert.equal(await init('bad', '1003', bad), false, `${JSON.stringify(bad)} is refused`);
  const logs = await w.page.evaluate(() => window.logs.map((l) => l[1]));
  assert.ok(logs.some((m) => m.includes(refusal)), `logged: ${refusal}`);
  await w.page.evaluate(() => window.clients.good.client.UnRegister());
  await waitBinding(1004, false);
}

describe('registration (Chromium, dist/exotelsdk.js by script tag)', () => {
  before(async () => {
    http = await S.startHttp(stack);
    kam = await S.startKamailio(stack, 'register');
    ctx = await S.launchChromium(stack);
  });

  after(() => stack.close());

  afterEach(async () => {
    for (const w of opened) await w.page.close().catch(() => {});
    opened = [];
    await kam.clear(); // a failed test must not leave bindings for the next one
  });

  it('guide-style page: registered once, binding in Kamailio, UnRegister removes it', T, async () => {
    assert.equal((await kam.contacts(1001)).length, 0, 'precondition: no binding for 1001');
    const w = await open(guidePage(1001));

    let events = await waitEvent(w, 'registered');
    const iSent = events.findIndex((e) => e[0] === 'sent_request');
    const iReg = events.findIndex((e) => e[0] === 'registered');
    assert.ok(iSent >= 0 && iSent < iReg, `sent_request must precede registered: ${JSON.stringify(events)}`);
    for (const [state, phone] of events) assert.equal(phone, '1001', `phone argument of '${state}'`);

    const contacts = await waitBinding(1001, true);
    assert.equal(contacts.length, 1, `exactly one binding expected: ${JSON.stringify(contacts)}`);
    assert.match(contacts[0].address, /transport=ws/i);
    assert.match(contacts[0].address, /^sip:[a-z0-9]+@192\.0\.2\.\d+;/, `the Contact host is a TEST-NET address, as 3.0.10 sends: ${contacts[0].address}`);
    assert.equal(await statusOf(w), 'registered');

    await w.page.evaluate(() => window.exWebClient.UnRegister());
    events = await waitEvent(w, 'unregistered');
    await waitBinding(1001, false);
    assert.equal(await statusOf(w), 'unregistered');

    // The later event (unregistered) is the barrier: by now any duplicate would have arrived.
    events = await eventsOf(w);
    assert.equal(count(events, 'registered'), 1, `'registered' must fire exactly once: ${JSON.stringify(events)}`);
    assert.equal(count(events, 'terminated'), 0, `no 'terminated': ${JSON.stringify(events)}`);
    assert.ok(
      events.findIndex((e) => e[0] === 'unregistered') > iReg,
      `unregistered must follow registered: ${JSON.stringify(events)}`,
    );
    for (const [state, phone] of events) assert.equal(phone, '1001', `phone argument of '${state}'`);
    await checkHygiene();
  });

  it('a page and server that declare windows-1252: the inlined wasm still loads (the UTF-8 BOM decides)', T, async () => {
    // Many legacy pages and servers label everything windows-1252 / iso-8859-1. The wasm is a
    // string literal of non-ASCII characters in dist/exotelsdk.js, so this is the case a
    // wrong decoding would break.
    const legacy = 'windows-1252';
    const server = await S.startHttp(stack, S.ROOT, { charset: legacy });
    const page = await ctx.newPage();
    const w = S.watchPage(page);
    opened.push(w);
    await page.goto(server.url(guidePage(1002)));
    assert.equal(await page.evaluate(() => document.characterSet), legacy, 'the page is decoded as windows-1252');
    await waitEvent(w, 'registered');
    await waitBinding(1002, true);
    assert.deepEqual(w.pageErrors, []);
  });

  it('keep-alive: a server that stops answering is noticed by the missing pong and the client re-registers once it is back', { timeout: 120000 }, async () => {
    // A frozen Kamailio (SIGSTOP) keeps its TCP socket open and answers nothing: what a NAT
    // timeout, a dead proxy or a laptop sleep leave behind. Without keep-alive the page would
    // look registered until its next re-REGISTER (minutes later), missing every call meanwhile.
    const page = await ctx.newPage();
    const w = S.watchPage(page);
    opened.push(w);
    await page.addInitScript(S.countKeepAliveFrames);
    await page.goto(http.url(HARNESS));
    await page.evaluate(([port, pass]) => {
      window.makeClient('k');
      // 5 s: the shortest interval the SDK allows (issue 10: no ping floods).
      return window.init('k', { ...window.account('1003', pass, port), keepAliveInterval: 5 });
    }, [kam.port, S.USERS[1003]]);
    await page.evaluate(() => window.clients.k.client.DoRegister());
    await waitEvent(w, 'registered', 'k');
    await S.waitFor(() => page.evaluate(() => window.frames_.pongs >= 2), { timeout: 20000, message: 'Kamailio answers two pings' });

    kam.freeze();
    let thawed = false;
    try {
      await waitEvent(w, 'terminated', 'k', 20000).catch(async (e) => {
        throw new Error(`${e.message}; logs: ${JSON.stringify((await page.evaluate(() => window.logs.map((l) => l[1]))).slice(-5))} frames ${JSON.stringify(await page.evaluate(() => window.frames_))}`);
      }); // the missing pong, within 5 s + 10 s
      const logs = await page.evaluate(() => window.logs.map((l) => l[1]));
      assert.ok(logs.some((m) => m.includes('no answer to the ping within 10 s')), 'the dead flow is logged');
      kam.thaw();
      thawed = true;
    } finally {
      if (!thawed) kam.thaw();
    }
    await S.waitFor(async () => (await eventsOf(w, 'k')).filter((e) => e[0] === 'registered').length >= 2, {
      timeout: 45000,
      message: 'registered again once Kamailio answers',
    });
    assert.deepEqual(w.pageErrors, []);
    await page.evaluate(() => window.clients.k.client.UnRegister());
    await waitBinding(1003, false);
  });

  it("the browser's 'online' event, and a page visible again after a long while, make the client check its connection at once", T, async () => {
    const page = await ctx.newPage();
    const w = S.watchPage(page);
    opened.push(w);
    await page.goto(http.url(HARNESS));
    await page.evaluate(([port, pass]) => {
      window.makeClient('n');
      return window.init('n', window.account('1004', pass, port));
    }, [kam.port, S.USERS[1004]]);
    await page.evaluate(() => window.clients.n.client.DoRegister());
    await waitEvent(w, 'registered', 'n');
    await ctx.setOffline(true);
    await ctx.setOffline(false);
    await S.waitFor(() => page.evaluate(() => window.logs.some((l) => l[1] === 'network online: checking the connection to the SIP server')), {
      message: "'online' → the connection is checked",
    });
    // Whatever the offline spell did to the socket, the client ends up registered.
    await S.waitFor(async () => (await statusOf(w, 'n')) === 'registered', { timeout: 20000, message: 'registered after the network came back' });

    // A page hidden for a while (a laptop asleep) checks too when it is visible again. Headless
    // pages are always visible, so visibility and the wall clock are faked here; the check is real.
    await page.evaluate(() => {
      let state = 'hidden';
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
      document.dispatchEvent(new Event('visibilitychange'));
      const now = Date.now;
      Date.now = () => now() + 60_000;
      state = 'visible';
      document.dispatchEvent(new Event('visibilitychange'));
      Date.now = now;
    });
    await S.waitFor(() => page.evaluate(() => window.logs.some((l) => /^page visible again after \d+ s: checking the connection/.test(l[1]))), {
      message: 'a long-hidden page checks the connection when visible again',
    });
    assert.equal(await statusOf(w, 'n'), 'registered');
    assert.deepEqual(w.pageErrors, []);
  });

  it("contactTransport: 'wss' puts transport=wss in the binding (what 3.0.10 sends Exotel); a bad value is refused", T, () =>
    checkContactOption({ good: { contactTransport: 'wss' }, address: /;transport=wss/i, bad: { contactTransport: 'udp' }, refusal: "sipAccountInfo.contactTransport must be 'ws' or 'wss'" }));

  it("contactHost: 'invalid' puts an RFC 7118 .invalid host in the binding; a bad value is refused", T, () =>
    checkContactOption({
      good: { contactHost: 'Invalid' },
      address: /^sip:[a-z0-9]+@[a-z0-9]+\.invalid;/,
      bad: { contactHost: '192.0.2.1' },
      refusal: "sipAccountInfo.contactHost must be 'testnet' or 'invalid'",
    }));

  it('wrong password: terminated, never registered, no binding', T, async () => {
    const w = await open(guidePage(1003, WRONG_PASSWORD));
    const events = await waitEvent(w, 'terminated');
    assert.equal(count(events, 'registered'), 0, `must not register: ${JSON.stringify(events)}`);
    for (const [state, phone] of events) assert.equal(phone, '1003', `phone argument of '${state}'`);
    assert.deepEqual(await kam.contacts(1003), [], 'no binding for 1003');
    assert.equal(await statusOf(w), 'terminated');
    await checkHygiene();
  });

  it('two accounts in one page register and unregister independently', T, async () => {
    const w = await open(HARNESS);
    const ok = await w.page.evaluate(async (port) => {
      makeClient('a');
      makeClient('b');
      const r = [await init('a', account('1001', 'pass1001', port)), await init('b', account('1002', 'pass1002', port))];
      clients.a.client.DoRegister();
      clients.b.client.DoRegister();
      return r;
    }, kam.port);
    assert.deepEqual(ok, [true, true], 'both initWebrtc resolve true');

    await waitEvent(w, 'registered', 'a');
    await waitEvent(w, 'registered', 'b');
    await waitBinding(1001, true);
    await waitBinding(1002, true);
    for (const [id, user] of [['a', '1001'], ['b', '1002']]) {
      for (const [state, phone] of await eventsOf(w, id)) assert.equal(phone, user, `client ${id}: phone of '${state}'`);
    }

    await w.page.evaluate(() => clients.a.client.UnRegister());
    await waitEvent(w, 'unregistered', 'a');
    await waitBinding(1001, false);
    assert.equal((await kam.contacts(1002)).length, 1, '1002 keeps its binding after 1001 unregistered');
    assert.equal(await statusOf(w, 'a'), 'unregistered');
    assert.equal(await statusOf(w, 'b'), 'registered');
    const evB = await eventsOf(w, 'b');
    assert.equal(count(evB, 'unregistered') + count(evB, 'terminated'), 0, `client b untouched: ${JSON.stringify(evB)}`);
    assert.equal(count(evB, 'registered'), 1, `client b registered once: ${JSON.stringify(evB)}`);
    assert.equal(count(await eventsOf(w, 'a'), 'registered'), 1, 'client a registered once');

    await w.page.evaluate(() => clients.b.client.UnRegister());
    await waitEvent(w, 'unregistered', 'b');
    await waitBinding(1002, false);
    await checkHygiene();
  });

  it('a second ExotelWebClient with the same userName: initWebrtc resolves false', T, async () => {
    const w = await open(HARNESS);
    const [first, second] = await w.page.evaluate(async (port) => {
      makeClient('first');
      makeClient('dup');
      const a = await init('first', account('1001', 'pass1001', port));
      const b = await init('dup', account('1001', 'pass1001', port));
      return [a, b];
    }, kam.port);
    assert.equal(first, true, 'first client initialises');
    assert.equal(second, false, 'second client with the same userName is refused');
    const logs = await w.page.evaluate(() => window.logs.slice());
    assert.ok(
      logs.some(([type, msg]) => (type === 'warn' || type === 'error') && msg.includes('1001')),
      `the refusal is logged: ${JSON.stringify(logs)}`,
    );

    // The first client is unaffected and still registers; the refused one never does anything.
    await w.page.evaluate(() => clients.first.client.DoRegister());
    await waitEvent(w, 'registered', 'first');
    const contacts = await waitBinding(1001, true);
    assert.equal(contacts.length, 1, 'exactly one binding for 1001');
    assert.deepEqual(await eventsOf(w, 'dup'), [], 'refused client emits no register events');
    await w.page.evaluate(() => clients.first.client.UnRegister());
    await waitEvent(w, 'unregistered', 'first');
    await waitBinding(1001, false);
    await checkHygiene();
  });

  it('initWebrtc twice with the same account: events are not multiplied', T, async () => {
    // 3.0.10 delivered every register event once per initWebrtc call.
    const w = await open(HARNESS);
    const r = await w.page.evaluate(async (port) => {
      makeClient('twice');
      const a = await init('twice', account('1003', 'pass1003', port));
      const b = await init('twice', account('1003', 'pass1003', port));
      clients.twice.client.DoRegister();
      return [a, b];
    }, kam.port);
    assert.deepEqual(r, [true, true], 'both initWebrtc calls resolve true');
    await waitEvent(w, 'registered', 'twice');
    const contacts = await waitBinding(1003, true);
    assert.equal(contacts.length, 1, `one binding: ${JSON.stringify(contacts)}`);
    await w.page.evaluate(() => clients.twice.client.UnRegister());
    await waitEvent(w, 'unregistered', 'twice');
    await waitBinding(1003, false);
    assert.equal(await statusOf(w, 'twice'), 'unregistered');
    const ev = await eventsOf(w, 'twice');
    assert.equal(count(ev, 'registered'), 1, `registered once: ${JSON.stringify(ev)}`);
    assert.equal(count(ev, 'unregistered'), 1, `unregistered once: ${JSON.stringify(ev)}`);
    await checkHygiene();
  });

  it('initWebrtc with a missing field resolves false and logs a clear error', T, async () => {
    const w = await open(HARNESS);
    for (const field of ['userName', 'secret', 'sipdomain', 'domain']) {
      const r = await w.page.evaluate(
        async ([f, port]) => {
          const before = window.logs.length;
          const info = account('1002', 'pass1002', port);
          delete info[f];
          makeClient('missing-' + f);
          const result = await init('missing-' + f, info);
          return { result, newLogs: window.logs.slice(before) };
        },
        [field, kam.port],
      );
      assert.equal(r.result, false, `initWebrtc without ${field} resolves false`);
      const err = r.newLogs.find(([type]) => type === 'error');
      assert.ok(err, `an 'error' log line for missing ${field}: ${JSON.stringify(r.newLogs)}`);
      assert.ok(err[1].includes(field), `the error names the field '${field}': ${err[1]}`);
    }
    // Nothing was registered by any of them.
    assert.deepEqual(await kam.contacts(1002), [], 'no binding for 1002');
    await checkHygiene();
  });

  it('checkClientStatus: not_initialized → registered → unregistered', T, async () => {
    const w = await open(HARNESS);
    await w.page.evaluate(() => makeClient('s'));
    assert.equal(await statusOf(w, 's'), 'not_initialized', 'before initWebrtc');

    const ok = await w.page.evaluate((port) => init('s', account('1004', 'pass1004', port)), kam.port);
    assert.equal(ok, true);
    await w.page.evaluate(() => clients.s.client.DoRegister());
    await waitEvent(w, 'registered', 's');
    await waitBinding(1004, true);
    assert.equal(await statusOf(w, 's'), 'registered');

    await w.page.evaluate(() => clients.s.client.UnRegister());
    await waitEvent(w, 'unregistered', 's');
    await waitBinding(1004, false);
    assert.equal(await statusOf(w, 's'), 'unregistered');
    await checkHygiene();
  });
});
