// dist/exotelsdk.js in Firefox ESR through puppeteer-core (WebDriver BiDi): the guide-style
// page registers and unregisters; keep-alive pings get Kamailio's pongs; and the agent page
// answers a call from a JsSIP far end in Chromium, with RTP both ways and a microphone switch
// mid-call (Firefox's fake devices; loopback ICE enabled by a pref in support.mjs).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as S from './support.mjs';
import { bundleFarEnd, openFarEnd, waitRtpGrowing } from './farend/driver.mjs';

describe('Firefox ESR: registration, keep-alive, a call with a device switch', () => {
  const stack = new S.Stack();
  let http;
  let kam;
  let browser;

  before(async () => {
    http = await S.startHttp(stack);
    kam = await S.startKamailio(stack, 'firefox');
    browser = await S.launchFirefox(stack);
  });
  after(() => stack.close());

  it('guide-style page registers and unregisters', { timeout: 90000 }, async () => {
    const page = await browser.newPage();
    const w = S.watchPage(page);
    const events = () => page.evaluate(() => window.events.slice());
    try {
      await page.goto(http.url(`/tests/e2e/pages/register.html${S.registerQuery(kam, 1002)}`));
      const ev = await S.waitFor(async () => {
        const e = await events();
        return e.some((x) => x[0] === 'registered') && e;
      }, { timeout: 20000, message: (last) => `registered in Firefox; events ${JSON.stringify(last)}` });
      const iSent = ev.findIndex((e) => e[0] === 'sent_request');
      const iReg = ev.findIndex((e) => e[0] === 'registered');
      assert.ok(iSent >= 0 && iSent < iReg, `sent_request precedes registered: ${JSON.stringify(ev)}`);
      for (const [state, phone] of ev) assert.equal(phone, '1002', `phone argument of '${state}'`);

      const contacts = await S.waitFor(async () => {
        const c = await kam.contacts(1002);
        return c.length > 0 && c;
      }, { message: 'binding of 1002 in ul.dump' });
      assert.equal(contacts.length, 1, 'exactly one binding');

      await page.evaluate(() => window.exWebClient.UnRegister());
      await S.waitFor(async () => (await events()).some((x) => x[0] === 'unregistered'), {
        timeout: 20000,
        message: 'unregistered in Firefox',
      });
      await S.waitFor(async () => (await kam.contacts(1002)).length === 0, { message: 'binding of 1002 gone' });

      const all = await events();
      assert.equal(all.filter((e) => e[0] === 'registered').length, 1, `registered once: ${JSON.stringify(all)}`);
      assert.deepEqual(w.pageErrors, [], 'no page errors');
      const logs = await page.evaluate(() => JSON.stringify(window.logs));
      assert.ok(!logs.includes(S.USERS[1002]), 'no password in the logger output');
      assert.equal(w.consoleTexts.find((t) => t.includes(S.USERS[1002])), undefined, 'no password in console');
    } finally {
      await page.close().catch(() => {});
    }
  });

  it('keep-alive in Firefox: pings every 4-5 s with keepAliveInterval 5 (the shortest allowed), Kamailio pongs, the flow stays up', { timeout: 60000 }, async () => {
    const page = await browser.newPage();
    const w = S.watchPage(page);
    try {
      await page.evaluateOnNewDocument(S.countKeepAliveFrames);
      await page.goto(http.url('/tests/e2e/pages/harness.html'));
      await page.evaluate(
        (port, pass) => {
          window.makeClient('f');
          return window.init('f', { ...window.account('1003', pass, port), keepAliveInterval: 5 });
        },
        kam.port,
        S.USERS[1003],
      );
      await page.evaluate(() => window.clients.f.client.DoRegister());
      await S.waitFor(async () => (await page.evaluate(() => window.eventsOf('f'))).some((e) => e[0] === 'registered'), {
        timeout: 20000,
        message: 'registered in Firefox',
      });
      const f = await S.waitFor(async () => {
        const x = await page.evaluate(() => window.frames_);
        return x.pongs >= 3 && x;
      }, { timeout: 25000, message: 'three pongs from Kamailio' });
      assert.ok(f.pings >= f.pongs, JSON.stringify(f));
      const ev = await page.evaluate(() => window.eventsOf('f'));
      assert.deepEqual(ev.map((e) => e[0]), ['sent_request', 'registered'], 'the flow stayed up: no re-registration');
      await page.evaluate(() => window.clients.f.client.UnRegister());
      await S.waitFor(async () => (await kam.contacts(1003)).length === 0, { message: 'binding of 1003 gone' });
      assert.deepEqual(w.pageErrors, [], 'no page errors');
    } finally {
      await page.close().catch(() => {});
    }
  });

  it('a call in Firefox: a JsSIP far end (Chromium) calls, the Firefox page answers, RTP flows both ways, the microphone switches mid-call, hang-up releases the media', { timeout: 90000 }, async () => {
    await bundleFarEnd();
    const chromium = await S.launchChromium(stack, { fakeAudioFile: S.toneWav(1000) });
    const far = await openFarEnd(chromium, http, kam, 1002);
    const page = await browser.newPage();
    const w = S.watchPage(page);
    try {
      await page.goto(http.url(`/tests/e2e/pages/agent.html${S.registerQuery(kam, 1001)}`));
      await page.click('#unlock');
      await S.waitFor(async () => (await page.evaluate(() => window.regEvents)).some((e) => e[0] === 'registered'), {
        timeout: 20000,
        message: 'agent registered in Firefox',
      });
      await S.waitFor(async () => (await kam.contacts(1001)).length > 0, { message: 'binding of 1001' });
      const types = () => page.evaluate(() => window.callEvents.map((e) => e.type));
      const id = await far.call('sip:1001@127.0.0.1');
      await S.waitFor(async () => (await types()).includes('ringing'), { message: 'ringing in Firefox' });
      await page.evaluate(() => window.exWebClient.getCall().Answer());
      await S.waitFor(async () => (await types()).includes('connected'), { timeout: 20000, message: 'connected in Firefox' });
      await far.waitEvent(id, 'confirmed');
      await waitRtpGrowing(() => far.stats(id), 'the far end receives audio from Firefox');
      await waitRtpGrowing(() => page.evaluate(() => window.rtpStats()), 'Firefox receives audio from the far end');

      // The microphone switch (getUserMedia + replaceTrack) and the output choice, in Firefox.
      const senderTrack = () =>
        page.evaluate(() => {
          const pc = window.__pcs[window.__pcs.length - 1];
          const s = pc.getSenders().find((x) => x.track && x.track.kind === 'audio');
          return s && s.track.id;
        });
      const before = await senderTrack();
      const change = (method) =>
        page.evaluate(
          (m) => new Promise((resolve) => window.exWebClient[m]('default', (id) => resolve(['ok', id]), (e) => resolve(['error', e.code, e.message]))),
          method,
        );
      assert.deepEqual(await change('changeAudioInputDevice'), ['ok', 'default'], 'changeAudioInputDevice in Firefox');
      assert.notEqual(await senderTrack(), before, 'the sender carries the new track');
      await waitRtpGrowing(() => far.stats(id), 'the far end receives audio after the switch');
      const output = await change('changeAudioOutputDevice');
      const sinkSupported = await page.evaluate(() => typeof HTMLMediaElement.prototype.setSinkId === 'function');
      if (sinkSupported) assert.deepEqual(output, ['ok', 'default'], 'changeAudioOutputDevice in Firefox');
      else assert.equal(output[1], 'notSupported', `without setSinkId: ${JSON.stringify(output)}`);

      await far.hangup(id);
      await S.waitFor(async () => (await types()).includes('callEnded'), { message: 'callEnded in Firefox' });
      await S.waitFor(async () => {
        const m = await page.evaluate(() => window.mediaState());
        return m.pcs.every((p) => p.connectionState === 'closed') && m.tracks.every((t) => t.readyState === 'ended');
      }, { timeout: 10000, message: 'Firefox: peer connection closed and microphone released' });
      assert.deepEqual(w.pageErrors, [], 'no page errors');
      assert.deepEqual(await far.errors(), [], 'far end: no errors');
    } finally {
      await far.stop();
      await page.close().catch(() => {});
    }
  });
});
