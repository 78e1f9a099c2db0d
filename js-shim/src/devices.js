// Audio device selection (guide §5.16): registerAudioDeviceChangeCallback,
// changeAudioInputDevice, changeAudioOutputDevice, and what a `devicechange` does.
//
// The switching itself is the driver's (Client.setInputDevice / setOutputDevice): the
// microphone through RTCRtpSender.replaceTrack, no renegotiation, the old track stopped and
// mute/hold kept; the call audio through setSinkId. This file checks the id against
// enumerateDevices, keeps each client's choice across initWebrtc and before any call, runs one
// change at a time, and decides what a plugged or unplugged device changes.
//
// Where we differ from 3.0.10 (exotel-api.md §8):
//   - every client has its own choice (3.0.10 shared one global for the page);
//   - the methods work before initWebrtc and before a call (3.0.10 threw a TypeError);
//   - the device id is checked against a fresh device list, never a stale cache, and choosing
//     the current device again succeeds (3.0.10 failed both, spuriously);
//   - onSuccess receives the device id (3.0.10 passed nothing, although the vendor's sample
//     app prints its argument); onError always gets an Error with a `code`: 'invalidArgument', 'deviceIdNotFound',
//     'notSupported' or 'deviceChangeFailed' (3.0.10 passed a string or a DOMException);
//   - a new microphone keeps the noise-suppression setting and the call's mute (3.0.10 dropped
//     both); one devicechange listener per client, removed when no longer wanted.
//   - a microphone that stops mid-call (unplugged) is replaced by the default one, so the call
//     does not go on silent (3.0.10 did nothing);
//   - forceDeviceChange = true pins the choice: automatic switching leaves it alone while the
//     device is present.

import { logger } from './logger.js';
import { describeValue } from './call.js';
import { setToneSinkId } from './tones.js';

const KINDS = { input: 'audioinput', output: 'audiooutput' };
const METHODS = { input: 'changeAudioInputDevice', output: 'changeAudioOutputDevice' };
// Chromium's aliases for "whatever the system uses": not devices one can plug in.
const ALIASES = new Set(['default', 'communications']);

/** The Error every onError receives. */
export class DeviceError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'DeviceError';
    this.code = code;
  }
}

function isFn(f) {
  return typeof f === 'function';
}

function errorText(err) {
  return err && err.message ? err.message : String(err);
}

function mediaDevices() {
  const nav = globalThis.navigator;
  return nav && nav.mediaDevices ? nav.mediaDevices : null;
}

/** Whether call audio can be routed: HTMLMediaElement.setSinkId (Chromium, Firefox 116+, Safari 18+). */
export function canChooseOutput() {
  const E = globalThis.HTMLMediaElement;
  return Boolean(E && E.prototype && isFn(E.prototype.setSinkId));
}

/** The browser's device list, or null (logged) when it cannot be read. */
async function listDevices() {
  const md = mediaDevices();
  if (!md || !isFn(md.enumerateDevices)) return null;
  try {
    return await md.enumerateDevices();
  } catch (err) {
    logger.warn(`audio devices: enumerateDevices failed: ${errorText(err)}`);
    return null;
  }
}

function ofKind(list, kind) {
  return (list || []).filter((d) => d.kind === kind && d.deviceId);
}

function label(d) {
  return d.label ? `'${d.label}'` : 'unnamed';
}

/** Per-client state, created at the first use. */
function stateOf(client) {
  if (!client._devices) {
    client._devices = {
      input: 'default',
      output: 'default',
      pinned: { input: false, output: false }, // chosen with forceDeviceChange
      inCb: null,
      outCb: null,
      onChange: null,
      listener: null,
      snapshot: null, // the device list the last devicechange was compared with
      queue: Promise.resolve(),
    };
  }
  return client._devices;
}

/** Runs `job` after every change queued before it: two quick picks cannot interleave. */
function enqueue(st, job) {
  const run = st.queue.then(job);
  st.queue = run.catch(() => {});
  return run;
}

/**
 * Makes `id` the `which` device: checked against the browser's list, then handed to the core
 * (the live call switches at once; otherwise the next call uses it). Resolves true when a call
 * switched; rejects with a DeviceError, the previous choice kept.
 */
async function switchTo(client, which, id) {
  const st = stateOf(client);
  if (which === 'output' && !canChooseOutput()) {
    throw new DeviceError('notSupported', 'this browser cannot choose the audio output device (no HTMLMediaElement.setSinkId)');
  }
  if (!ALIASES.has(id)) {
    const known = ofKind(await listDevices(), KINDS[which]);
    // Before media permission browsers hide the ids; then the core's open is the only check.
    if (known.length && !known.some((d) => d.deviceId === id)) {
      const names = known.map(label).join(', ');
      throw new DeviceError('deviceIdNotFound', `no ${KINDS[which]} device has id '${id}' (the browser lists ${names})`);
    }
  }
  let live = false;
  const core = client._core;
  if (core) {
    try {
      live = await (which === 'input' ? core.setInputDevice(id) : core.setOutputDevice(id));
    } catch (err) {
      throw new DeviceError('deviceChangeFailed', `cannot use ${KINDS[which]} device '${id}': ${errorText(err)}`);
    }
  }
  st[which] = id;
  if (which === 'output') setToneSinkId(id); // best effort; it logs why not
  return live;
}

/** changeAudioInputDevice / changeAudioOutputDevice. */
function change(client, which, deviceId, onSuccess, onError, forceDeviceChange) {
  const method = METHODS[which];
  const fail = (err) => {
    logger.warn(`${method}: ${err.message}`);
    if (isFn(onError)) client._safe(`${method} onError`, onError, [err]);
  };
  for (const [name, f] of [['onSuccess', onSuccess], ['onError', onError]]) {
    if (f !== undefined && f !== null && !isFn(f)) logger.error(`${method}: ${name} must be a function, got ${describeValue(f)}`);
  }
  if (typeof deviceId !== 'string' || !deviceId.trim()) {
    fail(new DeviceError('invalidArgument', `deviceId must be a non-empty string, got ${describeValue(deviceId)}`));
    return;
  }
  const id = deviceId.trim();
  const st = stateOf(client);
  enqueue(st, async () => {
    try {
      const live = await switchTo(client, which, id);
      st.pinned[which] = Boolean(forceDeviceChange) && !ALIASES.has(id);
      logger.info(`${method}: ${KINDS[which]} is now '${id}'${live ? ' (the call switched)' : ' (from the next call)'}`);
      if (isFn(onSuccess)) client._safe(`${method} onSuccess`, onSuccess, [id]);
    } catch (err) {
      fail(err instanceof DeviceError ? err : new DeviceError('deviceChangeFailed', errorText(err)));
    }
  });
}

// ---------------------------------------------------------------------------------------------
// devicechange

/** The real device behind Chromium's 'default' alias (same groupId), else the alias itself. */
function realDefault(list, kind) {
  const devices = ofKind(list, kind);
  const alias = devices.find((d) => d.deviceId === 'default');
  const real = alias && devices.find((d) => !ALIASES.has(d.deviceId) && d.groupId === alias.groupId);
  return real ? real.deviceId : 'default';
}

function defaultGroup(list, kind) {
  const alias = ofKind(list, kind).find((d) => d.deviceId === 'default');
  return alias ? alias.groupId : null;
}

/**
 * What automatic handling does for one kind after a devicechange, or null for nothing:
 * a newly plugged device is taken; a vanished choice falls back to the default; and when the
 * system default itself moved, the default is opened again (a live track stays on the device
 * it was opened on). A pinned choice that is still present is kept.
 */
function autoTarget(st, which, before, now) {
  const kind = KINDS[which];
  const current = st[which];
  const present = ALIASES.has(current) || ofKind(now, kind).some((d) => d.deviceId === current);
  if (st.pinned[which] && present) return null;
  if (before) {
    const plugged = ofKind(now, kind).filter((d) => !ALIASES.has(d.deviceId) && !ofKind(before, kind).some((p) => p.deviceId === d.deviceId));
    if (plugged.length) return plugged[plugged.length - 1].deviceId;
  }
  if (!present) return 'default';
  if (current === 'default' && before && defaultGroup(before, kind) !== defaultGroup(now, kind)) return 'default';
  return null;
}

async function onDeviceChange(client, st, event) {
  const before = st.snapshot;
  const now = await listDevices();
  if (!now) return;
  st.snapshot = now;
  const ids = (l) => new Set(ofKind(l, KINDS.input).concat(ofKind(l, KINDS.output)).map((d) => `${d.kind}:${d.deviceId}`));
  const [was, is] = [ids(before), ids(now)];
  const added = [...is].filter((x) => !was.has(x));
  const removed = [...was].filter((x) => !is.has(x));
  logger.info(`audio devices changed${before ? `: added [${added.join(', ')}], removed [${removed.join(', ')}]` : ''}`);

  if (isFn(st.onChange)) {
    // The app decides (guide §5.16): the SDK switches nothing.
    client._safe('onDeviceChangeCallback', st.onChange, [event]);
    return;
  }
  if (!client._autoDeviceChange) return;
  for (const which of ['input', 'output']) {
    const target = autoTarget(st, which, before, now);
    if (target === null) continue;
    if (which === 'output' && !canChooseOutput()) {
      logger.info('audio devices: the output cannot follow (no HTMLMediaElement.setSinkId); the system default plays');
      continue;
    }
    await follow(client, st, which, target, (err) =>
      logger.warn(`audio devices: automatic switch of the ${KINDS[which]} to '${target}' failed: ${errorText(err)}`),
    );
  }
}

/**
 * A switch the SDK makes by itself (not the app's choice, so it pins nothing), reported
 * through the app's device callback with the real device behind an alias; `onFail(err)` says
 * why it could not.
 */
function follow(client, st, which, target, onFail) {
  return enqueue(st, async () => {
    try {
      const live = await switchTo(client, which, target);
      st.pinned[which] = false;
      const reported = ALIASES.has(target) ? realDefault(await listDevices(), KINDS[which]) : target;
      logger.info(`audio devices: ${KINDS[which]} switched to '${reported}'${live ? ' (the call switched)' : ''}`);
      const cb = which === 'input' ? st.inCb : st.outCb;
      if (isFn(cb)) client._safe(which === 'input' ? 'audioInputDeviceChangeCallback' : 'audioOutputDeviceChangeCallback', cb, [reported]);
    } catch (err) {
      onFail(err);
    }
  });
}

/**
 * The call's microphone track ended by itself (unplugged, permission revoked): the call would
 * go on silent, so the default microphone takes over, unless the app handles device changes
 * itself (onDeviceChangeCallback; it gets the devicechange).
 */
function onMicEnded(client, st) {
  if (isFn(st.onChange)) {
    logger.warn('audio devices: the microphone of the call stopped (unplugged?); onDeviceChangeCallback decides what replaces it');
    return;
  }
  logger.warn('audio devices: the microphone of the call stopped (unplugged?); switching to the default microphone');
  follow(client, st, 'input', 'default', (err) =>
    logger.error(`audio devices: no microphone to replace the one that stopped; the far end hears silence: ${errorText(err)}`),
  );
}

/** Listens to devicechange while automatic handling or an onDeviceChangeCallback wants it. */
function updateListener(client) {
  const st = stateOf(client);
  const wanted = Boolean(client._autoDeviceChange) || isFn(st.onChange);
  const md = mediaDevices();
  if (!md || !isFn(md.addEventListener)) {
    if (wanted) logger.warn('audio devices: this browser reports no device changes (no navigator.mediaDevices)');
    return;
  }
  if (wanted && !st.listener) {
    st.listener = (event) => {
      onDeviceChange(client, st, event).catch((err) => logger.error(`audio devices: ${errorText(err)}`));
    };
    md.addEventListener('devicechange', st.listener);
    listDevices().then((list) => {
      if (!st.snapshot) st.snapshot = list;
    });
  } else if (!wanted && st.listener) {
    md.removeEventListener('devicechange', st.listener);
    st.listener = null;
    st.snapshot = null;
  }
}

/**
 * Called by initWebrtc once `_autoDeviceChange` is set: follows the flag, and hands the
 * client's choices to each new core (they survive initWebrtc, unlike 3.0.10's).
 */
export function initDevices(client) {
  const st = stateOf(client);
  updateListener(client);
  if (st.wired) return;
  st.wired = true;
  client._on('media', (kind, state) => {
    if (kind === 'microphone' && state === 'ended') onMicEnded(client, st);
  });
  client._on('destroy', () => {
    client._autoDeviceChange = false;
    st.onChange = null;
    updateListener(client); // removes the devicechange listener
  });
  client._on('core', (core) => {
    for (const which of ['input', 'output']) {
      const id = st[which];
      if (ALIASES.has(id)) continue;
      const set = which === 'input' ? core.setInputDevice(id) : core.setOutputDevice(id);
      set.catch((err) => logger.warn(`audio devices: the ${KINDS[which]} '${id}' cannot be used: ${errorText(err)}`));
    }
  });
}

/** Adds this feature's members to ExotelWebClient. */
export function installDevices(Client) {
  const proto = Client.prototype;
  if (!Client._initHooks.includes(initDevices)) Client._initHooks.push(initDevices);

  /**
   * registerAudioDeviceChangeCallback(audioInputDeviceChangeCallback,
   * audioOutputDeviceChangeCallback, onDeviceChangeCallback?): with automatic handling on
   * (initWebrtc's 5th argument), the first two receive the id of each device the SDK switched
   * to. With onDeviceChangeCallback, every devicechange goes to it (the Event) and the SDK
   * switches nothing. Works before initWebrtc and survives it.
   */
  proto.registerAudioDeviceChangeCallback = function registerAudioDeviceChangeCallback(inCb, outCb, onDeviceChange) {
    const bad = [['audioInputDeviceChangeCallback', inCb], ['audioOutputDeviceChangeCallback', outCb]].find(([, f]) => !isFn(f));
    if (bad) {
      logger.error(`registerAudioDeviceChangeCallback: ${bad[0]} must be a function, got ${describeValue(bad[1])}`);
      return;
    }
    if (onDeviceChange !== undefined && onDeviceChange !== null && !isFn(onDeviceChange)) {
      logger.error(`registerAudioDeviceChangeCallback: onDeviceChangeCallback must be a function when given, got ${describeValue(onDeviceChange)}`);
      return;
    }
    const st = stateOf(this);
    st.inCb = inCb;
    st.outCb = outCb;
    st.onChange = onDeviceChange || null;
    updateListener(this);
    if (!this._autoDeviceChange && !st.onChange) {
      logger.info('registerAudioDeviceChangeCallback: stored; the callbacks fire once initWebrtc turns automatic device handling on (5th argument true)');
    }
  };

  /**
   * changeAudioInputDevice(deviceId, onSuccess, onError, forceDeviceChange?): the microphone,
   * switched mid-call without renegotiation, or used from the next call. 'default' is the
   * system default. forceDeviceChange pins it against automatic switching.
   */
  proto.changeAudioInputDevice = function changeAudioInputDevice(deviceId, onSuccess, onError, forceDeviceChange = false) {
    change(this, 'input', deviceId, onSuccess, onError, forceDeviceChange);
  };

  /**
   * changeAudioOutputDevice(deviceId, onSuccess, onError, forceDeviceChange?): the speaker of
   * the call audio (setSinkId) and, where the browser can (AudioContext.setSinkId), of the
   * tones. onError with code 'notSupported' in browsers without setSinkId.
   */
  proto.changeAudioOutputDevice = function changeAudioOutputDevice(deviceId, onSuccess, onError, forceDeviceChange = false) {
    change(this, 'output', deviceId, onSuccess, onError, forceDeviceChange);
  };

  /** Ours: the chosen devices ('default' when none was chosen). */
  proto.getAudioDevices = function getAudioDevices() {
    const st = stateOf(this);
    return { input: st.input, output: st.output };
  };
}
