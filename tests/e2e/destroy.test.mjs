// ExotelWebClient.destroy() (issue 12) and the password kept off the client object (issue 10
// item 5), end to end against a private Kamailio whose location table (kamcmd ul.dump) is the
// oracle: clients created and destroyed in sequence on one page hold one binding at a time; a
// React StrictMode double mount (create, destroy, create again at once) registers once; an SPA
// logout that drops its client without destroy() leaves the name free; a client destroyed in a
// call hangs up and releases its media.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as S from './support.mjs';
import { callRig, connect, instrument, checkMediaReleased } from './rig.mjs';

const T = { timeout: 120000 };
const USER = '1004';

describe('destroy() and the account on the client object (Chromium, dist/exotelsdk.js, harness page)', () => {
  const rig = callRig('destroy');

  async function harness() {
    const page = await rig.ours.newPage();
    const w = S.watchPage(page);
    rig.opened.push({ w, page });
    await page.goto(rig.http.url('/tests/e2e/pages/harness.html'));
    await page.evaluate(([user, pass, port]) => {
      window.acc = window.account(user, pass, port);
      // A client for the account, initialised and told to register (as a React effect does).
      window.start = (id) => {
        window.makeClient(id);
        const init = window.init(id, window.acc);
        window.clients[id].client.DoRegister();
        return init;
      };
    }, [USER, S.USERS[USER], rig.kam.port]);
    return { page, w };
  }

  /** Samples the bindings of USER every 100 ms until stopped; returns the largest count seen. */
  function sampleBindings() {
    let max = 0;
    let stop = false;
    const done = (async () => {
      while (!stop) {
        max = Math.max(max, (await rig.kam.contacts(USER)).length);
        await new Promise((r) => setTimeout(r, 100));
      }
      return max;
    })();
    return async () => {
      stop = true;
      return done;
    };
  }

  const bindings = () => rig.kam.contacts(USER);
  const waitBindings = (n) => S.waitFor(async () => ((await bindings()).length === n ? bindings() : null), { message: `${n} binding(s) of ${USER}` });
  const waitState = (page, id, state) =>
    S.waitFor(async () => (await page.evaluate((i) => window.eventsOf(i), id)).some((e) => e[0] === state), { message: `client ${id}: ${state}` });
  const logs = (page) => page.evaluate(() => window.logs.map(([t, m]) => [t, m]));

  it('two clients created and destroyed in sequence register one binding at a time; destroy() is idempotent; no password in JSON.stringify(client)', T, async () => {
    const { page, w } = await harness();
    const stopSampling = sampleBindings();
    await page.evaluate(() => window.start('a'));
    await waitState(page, 'a', 'registered');
    const [first] = await waitBindings(1);

    const json = await page.evaluate(() => JSON.stringify(window.clients.a.client));
    assert.ok(json.length > 100, 'the client serialises');
    assert.ok(!json.includes(S.USERS[USER]), `no password in JSON.stringify(client): ${json.slice(0, 300)}`);
    assert.equal(await page.evaluate(() => window.clients.a.client.sipAccountInfo.secret), S.USERS[USER], 'the legacy sipAccountInfo field is still readable');
    assert.ok(!(await page.evaluate(() => Object.keys(window.clients.a.client))).includes('sipAccountInfo'), 'but not enumerable');

    const same = await page.evaluate(async () => {
      const c = window.clients.a.client;
      const p = c.destroy();
      const again = c.destroy() === p;
      await p;
      return again;
    });
    assert.equal(same, true, 'a second destroy() returns the same promise');
    assert.equal((await bindings()).length, 0, 'destroy() removed the binding before resolving');
    assert.equal(await page.evaluate(() => window.init('a', window.acc)), false, 'initWebrtc on a destroyed client resolves false');
    assert.equal(await page.evaluate(() => window.clients.a.client.DoRegister()), false, 'DoRegister on a destroyed client returns false');
    assert.ok((await logs(page)).some(([, m]) => /this ExotelWebClient was destroyed; create a new one/.test(m)), 'and says why');

    await page.evaluate(() => window.start('b'));
    await waitState(page, 'b', 'registered');
    const [second] = await waitBindings(1);
    assert.notEqual(second.address, first.address, "the second binding is the new client's");
    await page.evaluate(() => window.clients.b.client.destroy());
    await waitBindings(0);
    assert.equal(await stopSampling(), 1, 'never more than one binding at a time');
    const states = await page.evaluate(() => [window.eventsOf('a').map((e) => e[0]), window.eventsOf('b').map((e) => e[0])]);
    assert.deepEqual(states, [['sent_request', 'registered'], ['sent_request', 'registered']], 'a destroyed client tells the app nothing more');
    assert.deepEqual(w.pageErrors, [], 'no page errors');
  });

  it('React StrictMode: create, destroy and create again at once register one client, quietly', T, async () => {
    const { page, w } = await harness();
    const stopSampling = sampleBindings();
    const inits = await page.evaluate(async () => {
      // The effect, its cleanup, the effect again: what StrictMode runs on mount.
      const first = window.start('m1');
      window.clients.m1.client.destroy();
      const second = window.start('m2');
      return Promise.all([first, second]);
    });
    assert.deepEqual(inits, [false, true], 'the unmounted client stops, the mounted one initialises');
    await waitState(page, 'm2', 'registered');
    await waitBindings(1);
    await new Promise((r) => setTimeout(r, 1500)); // the unmounted client must not register late
    assert.equal(await stopSampling(), 1, 'one binding, ever');
    assert.deepEqual(await page.evaluate(() => window.eventsOf('m1')), [], 'the unmounted client told the app nothing');
    const text = (await logs(page)).map(([t, m]) => `${t}: ${m}`);
    assert.equal(text.find((l) => /call initWebrtc first|already used by another/.test(l)), undefined, `no misleading or refusal line: ${JSON.stringify(text)}`);
    await page.evaluate(() => window.clients.m2.client.destroy());
    await waitBindings(0);
    assert.deepEqual(w.pageErrors, [], 'no page errors');
  });

  it('a second client while the first is registered is refused, and DoRegister says why; after an SPA logout (UnRegister, client dropped) the name is free', T, async () => {
    const { page } = await harness();
    await page.evaluate(() => window.start('a'));
    await waitState(page, 'a', 'registered');
    assert.equal(await page.evaluate(() => (window.makeClient('b'), window.init('b', window.acc))), false, 'refused while the first is registered');
    assert.equal(await page.evaluate(() => window.clients.b.client.DoRegister()), false);
    const last = (await logs(page)).filter(([t]) => t === 'error').pop();
    assert.match(last[1], /^DoRegister: initWebrtc failed: 1004 is already used by another ExotelWebClient on this page; call destroy\(\) on that client first/, 'the refusal, not "call initWebrtc first"');

    // Logout as many SPAs do it: UnRegister and forget the client.
    await page.evaluate(() => window.clients.a.client.UnRegister());
    await waitState(page, 'a', 'unregistered');
    await waitBindings(0);
    assert.equal(await page.evaluate(() => (window.makeClient('c'), window.init('c', window.acc))), true, 'a new client takes the name of an unregistered one');
    await page.evaluate(() => window.clients.c.client.DoRegister());
    await waitState(page, 'c', 'registered');
    await waitBindings(1);
    assert.equal(await page.evaluate(() => window.clients.a.client.DoRegister()), false, 'the old client was destroyed for it');
    await page.evaluate(() => window.clients.c.client.destroy());
    await waitBindings(0);
  });

  it('destroy() in a call: the far end gets BYE, the media is released, the binding removed', T, async () => {
    const agent = await rig.openAgent({ user: USER, init: instrument });
    const far = await rig.far(1002);
    const id = await connect(agent, far);
    await agent.page.evaluate(() => window.exWebClient.destroy());
    await far.waitEvent(id, 'bye_received');
    await checkMediaReleased(agent, { answered: true });
    await waitBindings(0);
    const evs = await agent.page.evaluate(() => window.callEvents.map((e) => e.type));
    assert.deepEqual(evs, ['incoming', 'ringing', 'connected'], 'no call event after destroy()');
    await rig.checkPageErrors();
  });
});
