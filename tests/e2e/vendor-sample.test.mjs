// An unmodified integration of the old SDK: tests/e2e/pages/vendor-sample.html is written the
// way the vendor's non-npm sample app is (globals, onclick attributes, alert() callbacks,
// re-DoRegister on every non-registered state) plus the guide's volume, logs, status and
// diagnostics controls. Every button is clicked, through a real call from a JsSIP far end,
// and the page must end with no page error, no unhandled rejection and the UI the sample
// expects.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import * as S from './support.mjs';
import { waitBinding } from './agent.mjs';
import { bundleFarEnd, openFarEnd, waitRtpGrowing } from './farend/driver.mjs';

const T = { timeout: 180000 };
const AGENT = '1001';

const stack = new S.Stack();
let http;
let kam;
let ours;
let theirs;

describe("a page written like the vendor's sample app (dist/exotelsdk.js by script tag)", () => {
  before(async () => {
    await bundleFarEnd();
    http = await S.startHttp(stack);
    kam = await S.startKamailio(stack, 'vendor');
    ours = await S.launchChromium(stack, { fakeAudioFile: S.toneWav(440) });
    theirs = await S.launchChromium(stack, { fakeAudioFile: S.toneWav(1000) });
  });

  after(() => stack.close());

  it('every button works and nothing throws: register, accept, mute, hold, DTMF, device pickers, volumes, logs, status, diagnostics, end, unregister', T, async () => {
    const page = await ours.newPage();
    const w = S.watchPage(page);
    await page.addInitScript(() => {
      window.__rejections = [];
      window.addEventListener('unhandledrejection', (e) => window.__rejections.push(String(e.reason && e.reason.message ? e.reason.message : e.reason)));
    });
    await page.goto(http.url(`/tests/e2e/pages/vendor-sample.html${S.registerQuery(kam, AGENT)}`));
    const text = (id) => page.textContent(`#${id}`);
    const waitText = (id, want, what) =>
      S.waitFor(async () => ((await text(id)) === want ? true : null), { timeout: 15000, message: `${what}: #${id} is not '${want}'` }).catch((e) => {
        throw new Error(`${e.message}\nconsole:\n${w.consoleTexts.slice(-30).join('\n')}`);
      });

    await page.click('#statusButton');
    await waitText('client_status', 'not_initialized', 'status before REGISTER');

    await page.click('#registerButton');
    await waitText('status', 'registered', 'REGISTER');
    assert.equal(await text('registerButton'), 'UNREGISTER');
    await waitBinding(kam, AGENT);
    const registers = (await kam.contacts(AGENT)).length;
    assert.equal(registers, 1, 'one binding although the page calls DoRegister on every non-registered state');
    await page.click('#statusButton');
    await waitText('client_status', 'registered', 'status once registered');

    // An incoming call, accepted with the ACCEPT button.
    const far = await openFarEnd(theirs, http, kam, 1002);
    stack.defer('far end', () => far.stop());
    const id = await far.call(`sip:${AGENT}@127.0.0.1`);
    await waitText('call_status', 'ringing', 'incoming call (incoming, then ringing)');
    await page.click('#acceptButton');
    await waitText('call_status', 'connected', 'ACCEPT');
    await far.waitEvent(id, 'confirmed');
    await waitRtpGrowing(() => far.stats(id), 'far end hears the agent');

    await page.click('#muteButton');
    assert.equal(await text('muteButton'), 'UNMUTE');
    await page.click('#muteButton');
    assert.equal(await text('muteButton'), 'MUTE');
    await page.click('#holdButton');
    await S.waitFor(() => page.evaluate(() => window.seen.sessions.includes('holdunhold_success')), { message: 'HOLD: holdunhold_success' });
    await page.click('#holdButton');
    await S.waitFor(() => page.evaluate(() => window.seen.sessions.filter((s) => s === 'holdunhold_success').length === 2), { message: 'UNHOLD: holdunhold_success' });
    for (const key of ['1', '*', '#']) await page.click(`#dialpad button:text-is("${key}")`);

    // Device pickers: the second entry of each list (a real fake device), mid-call.
    for (const [select, button, kind] of [['inputDevices', 'inputButton', 'Input'], ['outputDevices', 'outputButton', 'Output']]) {
      const value = await page.$eval(`#${select}`, (el) => el.options[1].value);
      await page.selectOption(`#${select}`, value);
      await page.click(`#${button}`);
      await S.waitFor(() => page.evaluate((k) => window.seen.alerts.some((a) => a.includes(k)), kind), { message: `${kind} picker alert` });
      const alert = await page.evaluate((k) => window.seen.alerts.find((a) => a.includes(k)), kind);
      assert.equal(alert, `${kind} device changed successfully to: ${value}`, `${kind} picker`);
    }
    await waitRtpGrowing(() => far.stats(id), 'far end still hears the agent after the input change');

    // Volume sliders (range inputs fire oninput).
    for (const [slider, v] of [['callVolume', '40'], ['ringVolume', '30'], ['remoteVolume', '50']]) {
      await page.$eval(`#${slider}`, (el, value) => {
        el.value = value;
        el.dispatchEvent(new Event('input'));
      }, v);
    }
    assert.equal(await page.evaluate(() => exWebClient.getCallAudioOutputVolume()), 0.5, 'the last call-volume slider wins');
    assert.equal(await page.evaluate(() => exotelSDK.ExotelWebClient.getAudioOutputVolume('ringtone')), 0.3, 'ringtone slider');

    // Download logs: a real download with the 3.0.10 file name; the password is not in it.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#logsButton')]);
    assert.match(download.suggestedFilename(), /^webrtc_sdk_logs_\d{4}-\d{2}-\d{2}\.txt$/);
    const file = fs.readFileSync(await download.path(), 'utf8');
    assert.ok(file.includes('incoming call'), 'the file has the session');
    assert.ok(!file.includes(S.USERS[AGENT]), 'no password in the downloaded logs');

    // Diagnostics buttons, in the order a troubleshooting screen uses them.
    await page.click('#diagInit');
    await S.waitFor(() => page.evaluate(() => window.seen.keyValues.some(([k]) => k === 'browserVersion')), { message: 'browserVersion' });
    for (const b of ['speakerStart', 'speakerYes', 'micStart', 'micNo', 'netStart']) await page.click(`#${b}`);
    await S.waitFor(() => page.evaluate(() => window.seen.keyValues.some(([k, s]) => k === 'wss' && s === 'connected')), {
      timeout: 20000,
      message: 'network test: wss connected',
    });
    await page.click('#netStop');
    await page.click('#diagClose');
    assert.ok((await page.evaluate(() => window.seen.reports)) > 0, 'the report callback ran');

    // END, then UNREGISTER.
    await page.click('#rejectButton');
    await waitText('call_status', 'callEnded', 'END');
    await far.waitEnded(id);
    await page.click('#registerButton');
    await waitText('status', 'unregistered', 'UNREGISTER');
    await S.waitFor(async () => (await kam.contacts(AGENT)).length === 0, { message: 'binding removed' });
    await page.click('#statusButton');
    await waitText('client_status', 'unregistered', 'status after UNREGISTER');

    // Buttons pressed with no call: logged by the SDK, nothing thrown.
    for (const b of ['acceptButton', 'muteButton', 'holdButton', 'rejectButton']) await page.click(`#${b}`);
    await page.click('#dialpad button:text-is("0")');

    assert.deepEqual(w.pageErrors, [], 'no page errors');
    assert.deepEqual(await page.evaluate(() => window.__rejections), [], 'no unhandled rejections');
    const failed = (await page.evaluate(() => window.seen.alerts)).filter((a) => a.startsWith('Failed'));
    assert.deepEqual(failed, [], 'no device change failed');
    assert.deepEqual(await far.errors(), [], 'far end: no errors');
  });
});
