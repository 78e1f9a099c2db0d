// The SDK's tones, synthesized with WebAudio (no audio files): ringtone, ringback, DTMF and beep.
//
// One AudioContext per page, created on first use and shared by every client. Nothing here
// touches window, document or AudioContext at import time, so the module loads in Node/SSR;
// without WebAudio every function warns once and does nothing.
//
// Graph:  oscillators → voice gain (level, envelope) → [cadence gain] → tone volume gain → master → destination
//   - A looping tone's on/off cadence is a looped AudioBuffer driving the cadence gain, so it is
//     sample-accurate, survives background-tab timer throttling and never stops by itself
//     (3.0.10's ringtone stopped re-triggering after ~15.5 s).
//   - The tone volume gains are what setToneVolume controls (ExotelWebClient.setAudioOutputVolume).
//   - Autoplay: oscillators are scheduled at once; a context the browser keeps suspended is
//     resumed on the page's next user gesture, and the tone then sounds from its start.

import { logger } from './logger.js';

export const TONE_NAMES = ['ringtone', 'ringbacktone', 'dtmftone', 'beeptone'];

// Loudness of one frequency component before the tone volume (two components sum to 0.5 peak).
const LEVEL = 0.25;
const EDGE = 0.01; // s, on/off ramps that avoid clicks
const ENVELOPE_RATE = 8000; // Hz, sample rate of the cadence buffers (lowest every browser supports)

/** Looping tones: frequencies and cadence (seconds on, seconds off). */
const LOOPS = {
  ringtone: { freqs: [440, 480], on: 2, off: 4 }, // North American ring
  ringbacktone: { freqs: [425], on: 1, off: 4 }, // ITU-T E.180 ringing tone (India)
};

const BEEP = { freqs: [1000], duration: 0.15 };
const DTMF_DURATION = 0.1;
const DTMF_ROWS = [697, 770, 852, 941];
const DTMF_COLS = [1209, 1336, 1477, 1633];
const DTMF_KEYS = ['123A', '456B', '789C', '*0#D'];

/** How long (ms) a resume() may take before the context counts as blocked by the autoplay policy. */
const BLOCK_GRACE_MS = 300;
/** A one-shot tone that has not been able to play within this long (ms) after its end is dropped. */
const ONE_SHOT_GRACE_MS = 1000;
const GESTURES = ['pointerdown', 'pointerup', 'keydown', 'touchend'];

const state = {
  ctx: null,
  master: null,
  analyser: null,
  gains: new Map(), // name → tone volume GainNode (exists with the context)
  volumes: new Map(TONE_NAMES.map((n) => [n, 1])),
  playing: new Map(), // name → voice { nodes, sources, timer }
  envelopes: new Map(), // loop name → AudioBuffer
  warnedUnavailable: false,
  warnedBlocked: false,
  gestureHandler: null,
  blockTimer: null,
};

function AudioContextClass() {
  const g = typeof globalThis !== 'undefined' ? globalThis : null;
  return (g && (g.AudioContext || g.webkitAudioContext)) || null;
}

function knownName(fn, name) {
  if (TONE_NAMES.includes(name)) return true;
  logger.error(`${fn}: invalid tone name '${name}'; expected one of ${TONE_NAMES.join(', ')}`);
  return false;
}

/** The shared AudioContext, created on first use; null (warned once) without WebAudio. */
function context() {
  if (state.ctx && state.ctx.state !== 'closed') return state.ctx;
  if (state.ctx) resetGraph(); // closed behind our back: start over
  const AC = AudioContextClass();
  if (!AC) {
    if (!state.warnedUnavailable) {
      state.warnedUnavailable = true;
      logger.warn('tones: Web Audio (AudioContext) is not available here; tones are disabled');
    }
    return null;
  }
  let ctx;
  try {
    ctx = new AC({ latencyHint: 'interactive' });
  } catch (e) {
    if (!state.warnedUnavailable) {
      state.warnedUnavailable = true;
      logger.warn(`tones: could not create an AudioContext (${e && e.message ? e.message : e}); tones are disabled`);
    }
    return null;
  }
  state.ctx = ctx;
  state.master = ctx.createGain();
  state.master.connect(ctx.destination);
  for (const name of TONE_NAMES) {
    const g = ctx.createGain();
    g.gain.value = state.volumes.get(name);
    g.connect(state.master);
    state.gains.set(name, g);
  }
  ctx.addEventListener('statechange', () => {
    if (ctx === state.ctx && ctx.state === 'running') onRunning();
  });
  return ctx;
}

function resetGraph() {
  for (const name of [...state.playing.keys()]) stopVoice(name, true);
  state.ctx = null;
  state.master = null;
  state.analyser = null;
  state.gains.clear();
  state.envelopes.clear();
  removeGestureListener();
}

// ---------------------------------------------------------------------------------------------
// Autoplay

/** Called after scheduling a tone: makes sure the context runs, or will on the next gesture. */
function unlock(ctx) {
  if (ctx.state === 'running') return;
  resumeQuietly(ctx);
  if (state.blockTimer !== null) return;
  state.blockTimer = setTimeout(() => {
    state.blockTimer = null;
    if (ctx !== state.ctx || ctx.state === 'running') return;
    if (!state.warnedBlocked) {
      state.warnedBlocked = true;
      logger.warn('tones: the browser blocked sound until the user interacts with the page; tones will start on the first click or key press');
    }
    addGestureListener();
  }, BLOCK_GRACE_MS);
}

function resumeQuietly(ctx) {
  try {
    const p = ctx.resume();
    if (p && typeof p.catch === 'function') p.catch(() => {});
  } catch (_) {
    /* resume() on a closing context: nothing to do */
  }
}

function addGestureListener() {
  const doc = typeof document !== 'undefined' ? document : null;
  if (!doc || state.gestureHandler) return;
  state.gestureHandler = () => {
    if (state.ctx) resumeQuietly(state.ctx);
  };
  for (const type of GESTURES) doc.addEventListener(type, state.gestureHandler, { capture: true, passive: true });
}

function removeGestureListener() {
  if (!state.gestureHandler) return;
  for (const type of GESTURES) document.removeEventListener(type, state.gestureHandler, { capture: true });
  state.gestureHandler = null;
}

function onRunning() {
  removeGestureListener();
  if (state.blockTimer !== null) {
    clearTimeout(state.blockTimer);
    state.blockTimer = null;
  }
  if (state.warnedBlocked) logger.info('tones: sound unlocked by a user gesture');
  state.warnedBlocked = false;
}

// ---------------------------------------------------------------------------------------------
// Voices

/** One cycle of a loop's on/off cadence as an AudioBuffer (1 during "on", with soft edges). */
function envelope(ctx, name) {
  let buf = state.envelopes.get(name);
  if (buf) return buf;
  const { on, off } = LOOPS[name];
  const len = Math.round((on + off) * ENVELOPE_RATE);
  const onLen = Math.round(on * ENVELOPE_RATE);
  const edge = Math.round(EDGE * ENVELOPE_RATE);
  buf = ctx.createBuffer(1, len, ENVELOPE_RATE);
  const data = buf.getChannelData(0);
  for (let i = 0; i < onLen; i++) data[i] = Math.min(1, (i + 1) / edge, (onLen - i) / edge);
  state.envelopes.set(name, buf);
  return buf;
}

/** Oscillators for `freqs` into a new voice gain (starts silent). */
function oscillators(ctx, freqs) {
  const voice = ctx.createGain();
  voice.gain.value = 0;
  const sources = freqs.map((f) => {
    const osc = ctx.createOscillator();
    osc.type = 'sine';
    osc.frequency.value = f;
    osc.connect(voice);
    return osc;
  });
  return { voice, sources };
}

function startLoop(ctx, name) {
  const t = ctx.currentTime;
  const { voice, sources } = oscillators(ctx, LOOPS[name].freqs);
  voice.gain.setValueAtTime(LEVEL, t);
  const cadence = ctx.createGain();
  cadence.gain.value = 0; // the envelope source below adds the on/off pattern
  const env = ctx.createBufferSource();
  env.buffer = envelope(ctx, name);
  env.loop = true;
  env.connect(cadence.gain);
  voice.connect(cadence);
  cadence.connect(state.gains.get(name));
  for (const s of sources) s.start(t);
  env.start(t);
  return { voice, nodes: [voice, cadence, env, ...sources], sources: [...sources, env], timer: null };
}

function startOneShot(ctx, name, freqs, duration) {
  const t = ctx.currentTime;
  const { voice, sources } = oscillators(ctx, freqs);
  const g = voice.gain;
  g.setValueAtTime(0, t);
  g.linearRampToValueAtTime(LEVEL, t + EDGE);
  g.setValueAtTime(LEVEL, t + duration - EDGE);
  g.linearRampToValueAtTime(0, t + duration);
  voice.connect(state.gains.get(name));
  const v = { voice, nodes: [voice, ...sources], sources, timer: null };
  sources[0].onended = () => {
    if (state.playing.get(name) === v) stopVoice(name, true);
  };
  for (const s of sources) {
    s.start(t);
    s.stop(t + duration + EDGE);
  }
  // A blocked context would otherwise play this stale tone whenever it is unlocked.
  v.timer = setTimeout(() => {
    v.timer = null;
    if (state.playing.get(name) === v) stopVoice(name, true);
  }, duration * 1000 + ONE_SHOT_GRACE_MS);
  return v;
}

/** Stops `name`'s voice: a short fade when audible, at once (`now`) otherwise. */
function stopVoice(name, now = false) {
  const v = state.playing.get(name);
  if (!v) return false;
  state.playing.delete(name);
  if (v.timer !== null) clearTimeout(v.timer);
  const ctx = state.ctx;
  const release = () => {
    for (const n of v.nodes) {
      try {
        n.disconnect();
      } catch (_) {
        /* already disconnected */
      }
    }
  };
  const fade = !now && ctx && ctx.state === 'running';
  const t = fade ? ctx.currentTime : 0;
  if (fade) {
    const g = v.voice.gain;
    g.cancelScheduledValues(t);
    g.setValueAtTime(g.value, t);
    g.linearRampToValueAtTime(0, t + EDGE);
  }
  for (const s of v.sources) {
    try {
      s.stop(fade ? t + 2 * EDGE : 0);
    } catch (_) {
      /* already stopped */
    }
  }
  if (fade) v.sources[0].onended = release;
  else release();
  return true;
}

function play(name, start) {
  try {
    const ctx = context();
    if (!ctx) return false;
    state.playing.set(name, start(ctx));
    unlock(ctx);
    return true;
  } catch (e) {
    logger.error(`tones: could not play ${name}: ${e && e.message ? e.message : e}`);
    state.playing.delete(name);
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// API

/**
 * Optional warm-up (e.g. at initWebrtc): creates the shared AudioContext now, so the first tone
 * does not wait for the audio device to open, and arms the unlock-on-gesture listener if the
 * browser holds audio suspended (silently: the warning comes only when a tone is blocked).
 * Returns false without WebAudio.
 */
export function prepareTones() {
  try {
    const ctx = context();
    if (!ctx) return false;
    if (ctx.state !== 'running') {
      resumeQuietly(ctx);
      addGestureListener();
    }
    return true;
  } catch (e) {
    logger.warn(`tones: could not prepare audio: ${e && e.message ? e.message : e}`);
    return false;
  }
}

/**
 * Starts a tone: 'ringtone' and 'ringbacktone' loop until stopTone; 'beeptone' plays one beep.
 * Starting a tone that is playing does nothing. Returns true when the tone is (now) playing.
 * 'dtmftone' needs a digit: use playDtmfTone.
 */
export function startTone(name) {
  if (!knownName('startTone', name)) return false;
  if (name === 'dtmftone') {
    logger.error('startTone: dtmftone needs a digit; use playDtmfTone(digit)');
    return false;
  }
  if (name === 'beeptone') return playBeep();
  if (state.playing.has(name)) return true;
  return play(name, (ctx) => startLoop(ctx, name));
}

/** Stops a tone. Returns true when it was playing. */
export function stopTone(name) {
  if (!knownName('stopTone', name)) return false;
  return stopVoice(name);
}

export function stopAllTones() {
  for (const name of [...state.playing.keys()]) stopVoice(name);
}

/** One ~100 ms DTMF tone (0-9, *, #, A-D, case-insensitive); a new digit cuts the previous one. */
export function playDtmfTone(digit) {
  const d = String(digit ?? '').toUpperCase();
  const row = d.length === 1 ? DTMF_KEYS.findIndex((r) => r.includes(d)) : -1;
  if (row < 0) {
    logger.error(`playDtmfTone: invalid DTMF digit '${digit}'; expected 0-9, *, #, A-D`);
    return false;
  }
  const freqs = [DTMF_ROWS[row], DTMF_COLS[DTMF_KEYS[row].indexOf(d)]];
  stopVoice('dtmftone');
  return play('dtmftone', (ctx) => startOneShot(ctx, 'dtmftone', freqs, DTMF_DURATION));
}

/** One short 1 kHz beep; ignored while a beep is sounding. */
export function playBeep() {
  if (state.playing.has('beeptone')) return true;
  return play('beeptone', (ctx) => startOneShot(ctx, 'beeptone', BEEP.freqs, BEEP.duration));
}

/** Volume of a tone, clamped to [0, 1]; applies live. Returns the value set, or undefined (logged). */
export function setToneVolume(name, value) {
  if (!knownName('setAudioOutputVolume', name)) return undefined;
  const n = Number(value);
  if (value === null || value === '' || Number.isNaN(n)) {
    logger.error(`setAudioOutputVolume: volume for ${name} must be a number in [0, 1], got '${value}'`);
    return undefined;
  }
  const v = Math.min(1, Math.max(0, n));
  state.volumes.set(name, v);
  const g = state.gains.get(name);
  if (g && state.ctx) {
    try {
      const t = state.ctx.currentTime;
      g.gain.cancelScheduledValues(t);
      g.gain.setValueAtTime(g.gain.value, t);
      g.gain.linearRampToValueAtTime(v, t + EDGE);
    } catch (_) {
      g.gain.value = v;
    }
  }
  return v;
}

/** Volume of a tone (default 1), or undefined (logged) for an unknown name. */
export function getToneVolume(name) {
  if (!knownName('getAudioOutputVolume', name)) return undefined;
  return state.volumes.get(name);
}

export function isTonePlaying(name) {
  return state.playing.has(name);
}

/** For tests and diagnostics: the AudioContext state ('none' before first use) and playing tones. */
export function toneState() {
  let contextState = state.ctx ? state.ctx.state : 'none';
  if (!state.ctx && !AudioContextClass()) contextState = 'unavailable';
  return { contextState, playing: [...state.playing.keys()] };
}

/**
 * Routes tones to output device `id` ('' or 'default' for the system default) where the browser
 * supports AudioContext.setSinkId (Chromium). Resolves true when applied, false otherwise.
 */
export async function setToneSinkId(id) {
  try {
    const sink = id === undefined || id === null || id === 'default' ? '' : String(id);
    const ctx = context();
    if (!ctx) return false;
    if (typeof ctx.setSinkId !== 'function') {
      logger.warn('tones: this browser cannot choose the output device of tones (no AudioContext.setSinkId)');
      return false;
    }
    if (ctx.sinkId === sink) return true;
    await ctx.setSinkId(sink);
    return true;
  } catch (e) {
    logger.warn(`tones: could not route tones to output device '${id}': ${e && e.message ? e.message : e}`);
    return false;
  }
}

/** Test hook: an AnalyserNode tapped on the master output (created lazily), or null. */
export function __analyser() {
  const ctx = context();
  if (!ctx) return null;
  if (!state.analyser) {
    state.analyser = ctx.createAnalyser();
    state.master.connect(state.analyser);
  }
  return state.analyser;
}
