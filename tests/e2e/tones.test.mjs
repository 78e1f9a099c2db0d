// Tones end to end: dist/exotelsdk.js in Chromium (playwright-core), the tone module reached
// through the debug hook exotelSDK.__tones. What the user would hear is measured with an
// AnalyserNode tapped on the tones' master output (RMS, and Goertzel power for frequencies).
// Every wait is a bounded poll; no assertion depends on a fixed sleep.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as S from './support.mjs';

const T = { timeout: 60000 };
const PAGE = '/tests/e2e/pages/tones.html';
const LOUD = 1e-3; // RMS of an audible tone at full volume is ~0.25
const QUIET = 1e-4;
const DTMF_FREQS = [697, 770, 852, 941, 1209, 1336, 1477, 1633];
const DTMF = {
  1: [697, 1209], 5: [770, 1336], 9: [852, 1477], 0: [941, 1336],
  '*': [941, 1209], '#': [941, 1477], a: [697, 1633], D: [941, 1633],
};

const stack = new S.Stack(); // the HTTP server, for the whole file
let http;
let opened = [];

before(async () => {
  http = await S.startHttp(stack);
});
after(() => stack.close());

afterEach(async () => {
  for (const w of opened) await w.page.close().catch(() => {});
  opened = [];
});

async function open(ctx, { click = true } = {}) {
  const page = await ctx.newPage();
  const w = S.watchPage(page);
  opened.push(w);
  await page.goto(http.url(PAGE));
  if (click) await page.click('#unlock'); // a user gesture, so the autoplay policy lets audio run
  return w;
}

const ev = (w, fn, arg) => w.page.evaluate(fn, arg);
const rms = (w) => ev(w, () => window.rms());
const toneState = (w) => ev(w, () => T.toneState());
const logs = (w) => ev(w, () => window.logs.slice());

const waitRms = (w, loud, timeout = 8000, what = '') =>
  S.waitFor(async () => {
    const r = await rms(w);
    return (loud ? r > LOUD : r < QUIET) ? { r } : null;
  }, { timeout, interval: 20, message: `master output ${loud ? 'audible' : 'silent'}${what ? ` (${what})` : ''}` });

const waitContext = (w, want, timeout = 5000) =>
  S.waitFor(async () => (await toneState(w)).contextState === want, {
    timeout,
    message: `AudioContext '${want}'`,
  });

async function checkHygiene() {
  for (const w of opened) {
    assert.deepEqual(w.pageErrors, [], `page errors on ${w.page.url()}`);
    const n = await ev(w, () => window.audioContexts);
    assert.ok(n <= 1, `one AudioContext per page at most, got ${n}`);
  }
}

describe('tones (Chromium, dist/exotelsdk.js by script tag)', () => {
  const browser = new S.Stack();
  let ctx;

  before(async () => {
    ctx = await S.launchChromium(browser);
  });
  after(() => browser.close());

  it('volume statics work before initWebrtc and create no AudioContext; bad names are logged, not thrown', T, async () => {
    const w = await open(ctx, { click: false });
    assert.deepEqual(await documentListeners(ctx, w), [], 'the SDK adds no document listener at load');
    const r = await ev(w, () => {
      const C = exotelSDK.ExotelWebClient;
      const out = { threw: null };
      try {
        out.defaults = ['ringtone', 'ringbacktone', 'dtmftone', 'beeptone'].map((n) => C.getAudioOutputVolume(n));
        out.setReturn = C.setAudioOutputVolume('ringtone', 0.3);
        out.ringtone = C.getAudioOutputVolume('ringtone');
        C.setAudioOutputVolume('beeptone', 7);
        C.setAudioOutputVolume('dtmftone', -2);
        out.clamped = [C.getAudioOutputVolume('beeptone'), C.getAudioOutputVolume('dtmftone')];
        out.before = window.logs.length;
        out.badSet = C.setAudioOutputVolume('audioRemote', 0.5);
        out.badGet = C.getAudioOutputVolume('nope');
        out.badStart = T.startTone('nope');
        out.badStop = T.stopTone('nope');
        out.notNumber = T.setToneVolume('ringtone', 'loud');
        out.ringtoneAfter = C.getAudioOutputVolume('ringtone');
      } catch (e) {
        out.threw = String(e);
      }
      out.state = T.toneState();
      out.contexts = window.audioContexts;
      out.logs = window.logs.slice(out.before);
      return out;
    });
    assert.equal(r.threw, null, 'nothing throws');
    assert.deepEqual(r.defaults, [1, 1, 1, 1], 'default volume is 1');
    assert.equal(r.setReturn, undefined, 'setAudioOutputVolume returns undefined, as in 3.0.10');
    assert.equal(r.ringtone, 0.3);
    assert.deepEqual(r.clamped, [1, 0], 'volumes are clamped to [0, 1]');
    assert.equal(r.badSet, undefined);
    assert.equal(r.badGet, undefined);
    assert.equal(r.badStart, false);
    assert.equal(r.badStop, false);
    assert.equal(r.notNumber, undefined);
    assert.equal(r.ringtoneAfter, 0.3, 'a rejected value leaves the volume alone');
    for (const name of ['audioRemote', 'nope']) {
      assert.ok(
        r.logs.some(([type, msg]) => type === 'error' && msg.includes(name)),
        `an 'error' line names '${name}': ${JSON.stringify(r.logs)}`,
      );
    }
    assert.deepEqual(r.state, { contextState: 'none', playing: [] }, 'no AudioContext before the first tone');
    assert.equal(r.contexts, 0, 'no AudioContext was constructed at load or by the volume API');
    await checkHygiene();
  });

  it('ringtone: sounds at once (440+480 Hz), pauses, rings again, silent after stop', T, async () => {
    const w = await open(ctx);
    const ms = await ev(w, () => window.timeToSound('ringtone'));
    if (process.env.TONES_VERBOSE) console.log(`ringtone audible ${ms} ms after startTone`);
    assert.ok(ms !== null && ms < 500, `ringtone audible within 500 ms of startTone, took ${ms} ms`);
    assert.equal(await ev(w, () => T.isTonePlaying('ringtone')), true);
    await waitContext(w, 'running');
    const cap = await ev(w, () => window.capture([350, 425, 440, 480, 620, 1000], 200));
    assert.ok(cap.rms > LOUD, `audible: rms ${cap.rms}`);
    assert.deepEqual(cap.ranked.slice(0, 2).sort(), [440, 480], `strongest components: ${cap.ranked}`);

    // The cadence: an off period while still "playing", then the next ring (3.0.10 stopped at ~15 s).
    await waitRms(w, false, 5000, 'off period of the cadence');
    assert.deepEqual((await toneState(w)).playing, ['ringtone'], 'still ringing during the pause');
    await waitRms(w, true, 7000, 'second ring');

    assert.equal(await ev(w, () => T.stopTone('ringtone')), true);
    await waitRms(w, false, 2000, 'after stopTone');
    assert.equal(await ev(w, () => T.isTonePlaying('ringtone')), false);
    assert.deepEqual((await toneState(w)).playing, []);
    assert.equal(await ev(w, () => T.stopTone('ringtone')), false, 'stopping a stopped tone is a no-op');
    await checkHygiene();
  });

  it('startTone is idempotent: a second start does not double the ringtone', T, async () => {
    const w = await open(ctx);
    const r = await ev(w, async () => {
      const mean = async () => {
        let s = 0;
        for (let i = 0; i < 12; i++) {
          s += window.rms();
          await new Promise((res) => setTimeout(res, 8));
        }
        return s / 12;
      };
      await window.timeToSound('ringtone');
      const once = await mean();
      const again = T.startTone('ringtone');
      const twice = await mean();
      return { once, twice, again, playing: T.toneState().playing };
    });
    assert.equal(r.again, true, 'startTone on a playing tone reports it playing');
    assert.deepEqual(r.playing, ['ringtone']);
    assert.ok(r.once > LOUD, `audible: ${r.once}`);
    const ratio = r.twice / r.once;
    assert.ok(ratio > 0.7 && ratio < 1.3, `level unchanged by the second start (ratio ${ratio.toFixed(2)})`);
    await ev(w, () => T.stopAllTones());
    await checkHygiene();
  });

  it('volume applies live: 0 silences a playing tone, 1 brings it back', T, async () => {
    const w = await open(ctx);
    await ev(w, () => T.startTone('ringtone'));
    await waitRms(w, true, 2000);
    await ev(w, () => exotelSDK.ExotelWebClient.setAudioOutputVolume('ringtone', 0));
    await waitRms(w, false, 2000, 'volume 0');
    assert.equal(await ev(w, () => T.isTonePlaying('ringtone')), true, 'still playing at volume 0');
    assert.equal(await ev(w, () => T.getToneVolume('ringtone')), 0);
    await ev(w, () => exotelSDK.ExotelWebClient.setAudioOutputVolume('ringtone', 1));
    await waitRms(w, true, 7000, 'volume back to 1 (may wait out an off period)');
    await ev(w, () => T.stopTone('ringtone'));
    await waitRms(w, false, 2000);
    await checkHygiene();
  });

  it('DTMF: each digit plays its row/column pair (~100 ms) and stops by itself; bad digits are logged', T, async () => {
    const w = await open(ctx);
    for (const [digit, pair] of Object.entries(DTMF)) {
      const cap = await ev(w, ([d, f]) => {
        if (T.playDtmfTone(d) !== true) return { failed: true };
        return window.capture(f, 1500);
      }, [digit, DTMF_FREQS]);
      assert.ok(!cap.failed, `playDtmfTone('${digit}') returned true`);
      assert.ok(cap.rms > LOUD, `digit ${digit} audible: rms ${cap.rms}`);
      assert.deepEqual(cap.ranked.slice(0, 2).sort((a, b) => a - b), pair, `digit ${digit}: strongest ${cap.ranked}`);
      await S.waitFor(() => ev(w, () => !T.isTonePlaying('dtmftone')), { timeout: 2000, message: `dtmf ${digit} to end` });
      await waitRms(w, false, 2000, `after dtmf ${digit}`);
    }
    const bad = await ev(w, () => {
      const before = window.logs.length;
      const out = { results: [], threw: null };
      try {
        for (const d of ['x', '12', '', null, undefined]) out.results.push(T.playDtmfTone(d));
      } catch (e) {
        out.threw = String(e);
      }
      out.errors = window.logs.slice(before).filter(([t]) => t === 'error').length;
      return out;
    });
    assert.equal(bad.threw, null);
    assert.deepEqual(bad.results, [false, false, false, false, false]);
    assert.equal(bad.errors, 5, 'each bad digit is logged as an error');
    await checkHygiene();
  });

  it('beep: one short 1 kHz beep, then silence; ringback and stopAllTones', T, async () => {
    const w = await open(ctx);
    const cap = await ev(w, () => (T.playBeep() ? window.capture([440, 500, 1000, 1500, 2000], 1500) : null));
    assert.ok(cap && cap.rms > LOUD, `beep audible: ${JSON.stringify(cap)}`);
    assert.equal(cap.ranked[0], 1000);
    await S.waitFor(() => ev(w, () => !T.isTonePlaying('beeptone')), { timeout: 2000, message: 'beep to end' });
    await waitRms(w, false, 2000, 'after the beep');

    await ev(w, () => T.startTone('ringbacktone'));
    const rb = await ev(w, () => window.capture([400, 425, 440, 480, 1000], 200));
    assert.equal(rb.ranked[0], 425, `ringback is 425 Hz: ${rb.ranked}`);
    await ev(w, () => T.startTone('ringtone'));
    assert.deepEqual((await toneState(w)).playing.sort(), ['ringbacktone', 'ringtone']);
    await ev(w, () => T.stopAllTones());
    assert.deepEqual((await toneState(w)).playing, []);
    await waitRms(w, false, 2000, 'after stopAllTones');
    await checkHygiene();
  });

  it('setToneSinkId: default device resolves true, an unknown device false; never throws', T, async () => {
    const w = await open(ctx);
    const r = await ev(w, async () => {
      const out = {};
      try {
        out.def = await T.setToneSinkId('default');
        out.empty = await T.setToneSinkId('');
        out.unknown = await T.setToneSinkId('no-such-output-device');
      } catch (e) {
        out.threw = String(e);
      }
      return out;
    });
    assert.deepEqual(r, { def: true, empty: true, unknown: false });
    // Tones still play after a failed routing attempt.
    assert.ok((await ev(w, () => window.timeToSound('ringtone'))) !== null, 'ringtone audible');
    await ev(w, () => T.stopAllTones());
    await checkHygiene();
  });
});

// Playwright's page.evaluate runs as a user gesture (CDP userGesture: true), which would unlock
// audio by itself. Until the deliberate click, these tests read the page through a CDP
// Runtime.evaluate without a gesture, and check navigator.userActivation to prove it.
async function quietEval(ctx, w, fn, arg) {
  w.cdp ??= await ctx.newCDPSession(w.page);
  const expression = `(${fn})(${JSON.stringify(arg)})`;
  const r = await w.cdp.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
  if (r.exceptionDetails) throw new Error(`page threw: ${JSON.stringify(r.exceptionDetails)}`);
  return r.result.value;
}

/** Types of the event listeners on `document` (DevTools' getEventListeners). */
async function documentListeners(ctx, w) {
  w.cdp ??= await ctx.newCDPSession(w.page);
  const { result } = await w.cdp.send('Runtime.evaluate', { expression: 'document', objectGroup: 'listeners' });
  const { listeners } = await w.cdp.send('DOMDebugger.getEventListeners', { objectId: result.objectId });
  await w.cdp.send('Runtime.releaseObjectGroup', { objectGroup: 'listeners' });
  return listeners.map((l) => l.type).sort();
}

describe('tones when the autoplay policy blocks audio (Chromium, document-user-activation-required)', () => {
  const browser = new S.Stack();
  let ctx;

  before(async () => {
    ctx = await S.launchChromium(browser, { args: ['--autoplay-policy=document-user-activation-required'] });
  });
  after(() => browser.close());

  const blockedWarnings = (l) => l.filter(([t, m]) => t === 'warn' && /blocked sound/.test(m));

  it('without a gesture: no throw, one warning, state kept; the first click makes the ringtone sound', T, async () => {
    const w = await open(ctx, { click: false });
    const q = (fn, arg) => quietEval(ctx, w, fn, arg);
    const r = await q(() => {
      try {
        return { ring: T.startTone('ringtone'), state: T.toneState(), active: navigator.userActivation.hasBeenActive };
      } catch (e) {
        return { threw: String(e) };
      }
    });
    assert.equal(r.threw, undefined);
    assert.equal(r.active, false, 'precondition: no user activation yet');
    assert.equal(r.ring, true, 'startTone reports the tone as playing');
    assert.deepEqual(r.state.playing, ['ringtone']);
    await S.waitFor(async () => blockedWarnings(await q(() => window.logs)).length > 0, {
      timeout: 5000,
      message: 'the autoplay warning',
    });
    const blocked = await q(() => ({
      state: T.toneState(),
      second: T.startTone('ringbacktone'),
      rms: window.rms(),
      active: navigator.userActivation.hasBeenActive,
    }));
    assert.equal(blocked.active, false, 'still no user activation');
    assert.equal(blocked.state.contextState, 'suspended', 'context held suspended by the policy');
    assert.equal(blocked.second, true, 'a second tone starts too');
    assert.ok(blocked.rms < QUIET, `nothing audible while blocked: rms ${blocked.rms}`);
    const armed = await documentListeners(ctx, w);
    assert.ok(armed.includes('pointerdown') && armed.includes('keydown'), `gesture listeners armed: ${armed}`);

    await w.page.click('#unlock');
    await waitContext(w, 'running');
    await S.waitFor(async () => !(await documentListeners(ctx, w)).includes('pointerdown'), {
      timeout: 2000,
      message: 'gesture listeners removed once audio runs',
    });
    await waitRms(w, true, 3000, 'the ringtone sounds after the first click');
    assert.deepEqual((await toneState(w)).playing.sort(), ['ringbacktone', 'ringtone']);
    assert.equal(blockedWarnings(await logs(w)).length, 1, 'the autoplay warning is logged once');
    await ev(w, () => T.stopAllTones());
    await waitRms(w, false, 2000);
    await checkHygiene();
  });

  it('prepareTones: creates the context and arms the unlock silently; the click runs it', T, async () => {
    const w = await open(ctx, { click: false });
    const q = (fn, arg) => quietEval(ctx, w, fn, arg);
    const r = await q(() => ({ ok: T.prepareTones(), state: T.toneState(), contexts: window.audioContexts }));
    assert.deepEqual(r, { ok: true, state: { contextState: 'suspended', playing: [] }, contexts: 1 });
    assert.ok((await documentListeners(ctx, w)).includes('pointerdown'), 'gesture listener armed');
    await w.page.click('#unlock');
    await waitContext(w, 'running');
    assert.deepEqual(blockedWarnings(await logs(w)), [], 'no autoplay warning when no tone was blocked');
    assert.notEqual(await ev(w, () => window.timeToSound('ringtone')), null, 'ringtone audible');
    await ev(w, () => T.stopAllTones());
    assert.equal(await ev(w, () => window.audioContexts), 1, 'the prepared context is the one used');
    await checkHygiene();
  });

  it('a beep that could not play while blocked is dropped, not played late', T, async () => {
    const w = await open(ctx, { click: false });
    const q = (fn, arg) => quietEval(ctx, w, fn, arg);
    const r = await q(() => ({ beep: T.playBeep(), playing: T.isTonePlaying('beeptone'), active: navigator.userActivation.hasBeenActive }));
    assert.deepEqual(r, { beep: true, playing: true, active: false });
    await S.waitFor(() => q(() => !T.isTonePlaying('beeptone')), { timeout: 5000, message: 'blocked beep to be dropped' });
    assert.equal((await q(() => T.toneState())).contextState, 'suspended', 'the beep was dropped while blocked');
    await w.page.click('#unlock');
    await waitContext(w, 'running');
    const cap = await ev(w, () => window.capture([1000], 300));
    assert.ok(cap.rms < QUIET, `no stale beep after unlocking: rms ${cap.rms}`);
    await checkHygiene();
  });
});
