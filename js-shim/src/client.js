// ExotelWebClient: the exotelsdk.js 3.0.10 surface over the wasm core.
// Protocol work happens in Rust; this file validates arguments, keeps the legacy names and
// callback shapes, queues calls made before the wasm is ready, and isolates app callbacks.

import { loadCore } from './wasm.js';
import { log, logger, setLoggerCallback, setConsoleLogging } from './logger.js';
import { Call, CallRecord, setRinging, setRingback, dtmfKey, describeValue } from './call.js';
import { clientStatus } from './status.js';
import { watchNetwork } from './network.js';
import { initWatchdog } from './watchdog.js';
import { installLegacy } from './legacy.js';
import { installLogs } from './logs.js';
import { setToneVolume, getToneVolume, prepareTones, playDtmfTone } from './tones.js';
import { version } from './version.js';
import { portWarning } from './port.js';
import { Resources } from './resources.js';
import { release as releaseCore } from './recovery.js';
import { installLifecycle, setSecret, secretOf } from './lifecycle.js';
import { wasmRefusal, watchCsp } from './csp.js';

// userName → client, so two clients cannot register the same account on one page (3.0.10
// rule). Unlike 3.0.10 a name is released when its client is re-initialised with another, is
// destroyed, or sits unregistered and idle when another client asks for the name.
const pool = new Map();

const REGISTER_STATES = {
  sent_request: 'sent_request',
  registered: 'registered',
  unregistered: 'unregistered',
  failed: 'terminated',
};

// setPreferredCodec names → the MIME types of RTCRtpReceiver.getCapabilities('audio').
const CODECS = { opus: 'audio/opus', pcmu: 'audio/PCMU', pcma: 'audio/PCMA', g722: 'audio/G722' };

const DTMF_MODES = ['info', 'rfc4733'];
const CSP_GRACE_MS = 50; // see the 'registration' event
const CONTACT_HOSTS = ['testnet', 'invalid'];

function isFn(f) {
  return typeof f === 'function';
}

function errorText(err) {
  return err && err.message ? err.message : String(err);
}

/** Copies the fields the core reads, trimmed; never mutates the caller's object (3.0.10 did). */
function normaliseAccount(info) {
  const str = (v) => (v === undefined || v === null ? '' : String(v).trim());
  return {
    userName: str(info.userName),
    authUser: str(info.authUser) || str(info.userName),
    sipdomain: str(info.sipdomain),
    domain: str(info.domain),
    security: str(info.security),
    endpoint: str(info.endpoint),
    displayName: str(info.displayName) || str(info.displayname),
    secret: info.secret === undefined || info.secret === null ? '' : String(info.secret),
    // Ours: RTCIceServer list for calls (default: 3.0.10's Google STUN server).
    iceServers: Array.isArray(info.iceServers) ? info.iceServers : undefined,
    // Ours: upper bound of the keep-alive ping interval in seconds (default 30, 0 = off);
    // checked in initWebrtc.
    keepAliveInterval: info.keepAliveInterval === undefined || info.keepAliveInterval === null ? undefined : Number(info.keepAliveInterval),
    // Ours: the transport parameter of our Contact, 'ws' or 'wss' (default: the WebSocket's
    // scheme, which for wss matches what 3.0.10 sends). Checked in initWebrtc.
    contactTransport: str(info.contactTransport).toLowerCase() || undefined,
    // Ours: the host of our Contact and Via, 'testnet' (a random 192.0.2.N, what 3.0.10 sends;
    // the default) or 'invalid' (RFC 7118 .invalid). Checked in initWebrtc.
    contactHost: str(info.contactHost).toLowerCase() || undefined,
    // Ours: how sendDTMF sends, 'info' (SIP INFO application/dtmf-relay, as 3.0.10; the
    // default) or 'rfc4733' (RTP, SIP INFO if the far end lacks telephone-event).
    dtmfMode: str(info.dtmfMode).toLowerCase() || 'info',
    // Ours: seconds a call may stay without a signalling or media path before it ends
    // (default 30, as Twilio). Checked in initWebrtc.
    reconnectTimeout: info.reconnectTimeout === undefined || info.reconnectTimeout === null ? undefined : Number(info.reconnectTimeout),
    // Ours: RFC 5626 outbound (reg-id, ob) for edges that support it; off as in 3.0.10.
    outbound: info.outbound === true,
  };
}

function validate(info, registerCb) {
  if (!info || typeof info !== 'object') return 'sipAccountInfo must be an object';
  for (const f of ['userName', 'sipdomain', 'domain']) {
    if (!info[f]) return `sipAccountInfo.${f} is missing or empty`;
  }
  if (!info.secret) return 'sipAccountInfo.secret is missing or empty';
  if (!isFn(registerCb)) return 'RegisterEventCallBack must be a function';
  if (info.contactTransport !== undefined && !['ws', 'wss'].includes(info.contactTransport)) return "sipAccountInfo.contactTransport must be 'ws' or 'wss'";
  if (info.contactHost !== undefined && !CONTACT_HOSTS.includes(info.contactHost)) return "sipAccountInfo.contactHost must be 'testnet' or 'invalid'";
  const ka = info.keepAliveInterval;
  if (ka !== undefined && !(Number.isFinite(ka) && ka >= 0)) return 'sipAccountInfo.keepAliveInterval must be a number of seconds >= 0 (0 turns keep-alive off)';
  const rt = info.reconnectTimeout;
  if (rt !== undefined && !(Number.isFinite(rt) && rt >= 0)) return 'sipAccountInfo.reconnectTimeout must be a number of seconds >= 0';
  return null;
}

/** Same registration: dtmfMode is the shim's alone, so changing it keeps the running core. */
function sameAccount(a, b) {
  const core = (x) => JSON.stringify({ ...x, dtmfMode: undefined });
  return Boolean(a && b) && core(a) === core(b);
}

export class ExotelWebClient {
  static clientSDKLoggerCallback = null;
  // What the optional features (devices, diagnostics, multi-tab) run in each initWebrtc; they
  // add themselves when installed (index.js, or the app through exotel-voice-sdk/devices ...).
  static _initHooks = [];

  constructor() {
    // The app's own object, as 3.0.10 kept it, but not enumerable: it holds the password.
    Object.defineProperty(this, 'sipAccountInfo', { value: null, writable: true, configurable: true });
    this.userName = null;
    this._account = null;
    this._core = null;
    this._ready = null; // Promise<core|null> of the latest initWebrtc
    this._callbacks = { register: null, call: null, session: null };
    this._lastFailure = null;
    this._call = new Call(this);
    this._callRecord = null; // the current or last call
    this._noiseSuppression = false; // 3.0.10's default
    this._callVolume = 1; // kept across initWebrtc (3.0.10 reset it)
    this._preferredCodec = null; // MIME type, or null for the browser's order
    this._dtmfMode = 'info';
    this._resources = new Resources(); // what the core opened, for a release without it
    this._wantRegistered = false; // DoRegister was the app's last word, not UnRegister
    this._unregistered = false; // UnRegister was
    this._regState = null; // the last state RegisterEventCallBack got
    this._initError = null; // {reason, message} of the latest initWebrtc that failed
    this._destroyed = false;
  }

  /**
   * initWebrtc(sipAccountInfo, RegisterEventCallBack, CallListenerCallback, SessionCallback,
   * enableAutoAudioDeviceChangeHandling?) → Promise<boolean>. Bad input resolves false with
   * the reason logged; it never throws.
   */
  initWebrtc = (sipAccountInfo, RegisterEventCallBack, CallListenerCallback, SessionCallback, enableAutoAudioDeviceChangeHandling = false) => {
    const problem = validate(sipAccountInfo && normaliseAccount(sipAccountInfo), RegisterEventCallBack);
    if (problem) {
      logger.error(`initWebrtc: ${problem}`);
      return Promise.resolve(false);
    }
    if (this._destroyed) {
      logger.error('initWebrtc: this ExotelWebClient was destroyed; create a new one');
      return Promise.resolve(false);
    }
    const { secret, ...account } = normaliseAccount(sipAccountInfo);
    const owner = pool.get(account.userName);
    if (owner && owner !== this) {
      if (!owner._unregistered || (owner._callRecord && !owner._callRecord.ended)) {
        const message = `${account.userName} is already used by another ExotelWebClient on this page; call destroy() on that client first (with React, in the effect's cleanup)`;
        logger.warn(`initWebrtc: ${message}; init rejected`);
        this._initError = { reason: 'name_in_use', message };
        return Promise.resolve(false);
      }
      // Unregistered and idle (an SPA logout that dropped its client): this one takes over.
      logger.info(`initWebrtc: ${account.userName} was held by an ExotelWebClient that has unregistered; it is destroyed and this one takes the name`);
      owner.destroy();
    }
    this._callbacks = {
      register: RegisterEventCallBack,
      call: isFn(CallListenerCallback) ? CallListenerCallback : null,
      session: isFn(SessionCallback) ? SessionCallback : null,
    };
    this._autoDeviceChange = Boolean(enableAutoAudioDeviceChangeHandling);
    for (const hook of ExotelWebClient._initHooks) hook(this);
    watchNetwork(this);
    initWatchdog(this);
    this.sipAccountInfo = sipAccountInfo;
    this._dtmfMode = DTMF_MODES.includes(account.dtmfMode) ? account.dtmfMode : 'info';
    if (this._dtmfMode !== account.dtmfMode) {
      logger.warn(`initWebrtc: sipAccountInfo.dtmfMode '${account.dtmfMode}' is neither 'info' nor 'rfc4733'; using 'info'`);
    }
    const ka = account.keepAliveInterval;
    if (ka > 3600 || (ka > 0 && ka < 5)) {
      // The core brings it within [5 s, 1 h]: a few ms would flood the edge with pings.
      logger.warn(`initWebrtc: sipAccountInfo.keepAliveInterval ${ka} s is outside 5..3600 s; using ${ka < 5 ? 5 : 3600} s`);
    }

    // Re-init with the same account keeps the running core: no second socket, no repeated
    // events (3.0.10 multiplied every event by the number of initWebrtc calls).
    if (sameAccount(this._account, account) && secretOf(this) === secret && this._ready && !this._initError) {
      logger.info(`initWebrtc: ${account.userName} already initialised; callbacks updated`);
      return this._ready.then((core) => core !== null);
    }
    this._initError = null;
    this._teardown();
    if (this.userName && this.userName !== account.userName) pool.delete(this.userName);
    pool.set(account.userName, this);
    this.userName = account.userName;
    this._account = account;
    setSecret(this, secret);
    watchCsp();
    // Open the shared AudioContext now (silently), so the first ringtone starts at once.
    prepareTones();
    const portProblem = portWarning(sipAccountInfo);
    if (portProblem) logger.warn(`initWebrtc: ${portProblem}`);
    logger.info(`initWebrtc: exotel-voice-sdk ${version}, user ${account.userName} (auth ${account.authUser}) at ${account.sipdomain} via ${account.domain}`);

    const ready = loadCore()
      .then((Raw) => (this._ready === ready ? this._startCore(Raw) : null)) // null: superseded
      .catch((e) => {
        const csp = wasmRefusal(e);
        logger.error(`initWebrtc: ${csp ? `${csp.message} (the browser said: ${errorText(e)})` : errorText(e)}`);
        if (this._ready !== ready) return null;
        this._initError = csp || { reason: 'load_failed', message: errorText(e) };
        // A guide-style app never reads the promise: tell it where it listens.
        this._registerEvent('terminated', { url: '', ...this._initError });
        return null;
      });
    this._ready = ready;
    return ready.then((core) => core !== null);
  };

  /** Starts registration. Returns false (and logs why) when initWebrtc was never called. */
  DoRegister = () => {
    const queued = this._whenReady('DoRegister', (core) => core.register());
    if (queued) {
      this._wantRegistered = true;
      this._unregistered = false;
    }
    return queued;
  };

  /** Removes the binding (un-REGISTER), then closes the WebSocket once the server answered. */
  UnRegister = () => {
    this._wantRegistered = false;
    this._unregistered = true; // its name may go to a new client (an SPA logout)
    this._whenReady('UnRegister', (core) => core.unregister());
  };

  getCall = () => this._call;

  /**
   * Ours (3.0.10 has no outbound calls): calls a number, user name or `sip:` URI. Resolves
   * true once the call is placed, false (with the reason logged) when it cannot be; progress
   * arrives through CallListenerCallback as for incoming calls (`ringing`, `connected`,
   * `callEnded`, and `terminated` when the far end ended or refused it).
   */
  makeCall = (target, options) => {
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      logger.error('makeCall: options must be an object when given');
      return Promise.resolve(false);
    }
    if (typeof target !== 'string' && typeof target !== 'number') {
      logger.error('makeCall: target must be a number or a SIP URI string');
      return Promise.resolve(false);
    }
    if (!this._ready) {
      logger.error('makeCall: call initWebrtc first');
      return Promise.resolve(false);
    }
    return this._ready.then((core) => {
      if (!core) return false;
      try {
        core.makeCall(String(target));
        return true;
      } catch (err) {
        logger.error(`makeCall: ${err && err.message ? err.message : err}`);
        return false;
      }
    });
  };

  /** Noise suppression for the microphone of the next call. Default off, as in 3.0.10 (a
   * steady tone such as a hold melody or an IVR prompt decays under it); takes effect at the
   * next call, as in 3.0.10. */
  setNoiseSuppression(enabled = false) {
    this._noiseSuppression = Boolean(enabled);
    if (this._core) this._core.setNoiseSuppression(this._noiseSuppression);
  }

  /**
   * Codec to put first in the next calls' offers and answers: 'opus' | 'pcmu' | 'pcma' | 'g722'
   * (any case). Uses RTCRtpTransceiver.setCodecPreferences, never SDP edits; every other codec is
   * still offered. An unknown name is logged and changes nothing (3.0.10 selected opus anyway).
   * Works before initWebrtc and survives it.
   */
  setPreferredCodec(codecName) {
    const key = typeof codecName === 'string' ? codecName.trim().toLowerCase() : '';
    if (!Object.prototype.hasOwnProperty.call(CODECS, key)) {
      logger.error(`setPreferredCodec: unknown codec ${describeValue(codecName)}; expected one of ${Object.keys(CODECS).join(', ')}`);
      return;
    }
    this._preferredCodec = CODECS[key];
    logger.info(`setPreferredCodec: ${key} preferred from the next call`);
    if (this._core) this._core.setPreferredCodec(this._preferredCodec);
  }

  /**
   * Volume of the call audio (the far end's voice), clamped to [0, 1]; applies to the call in
   * progress and the later ones. Numeric strings are accepted (3.0.10 coerced them); anything
   * else is logged and changes nothing. Never throws, before initWebrtc included.
   */
  setCallAudioOutputVolume(value) {
    const n = typeof value === 'number' || (typeof value === 'string' && value.trim() !== '') ? Number(value) : NaN;
    if (Number.isNaN(n)) {
      logger.error(`setCallAudioOutputVolume: volume must be a number in [0, 1], got ${describeValue(value)}`);
      return;
    }
    this._callVolume = Math.min(1, Math.max(0, n));
    if (this._core) this._core.setCallVolume(this._callVolume);
  }

  /** The call audio volume (default 1). */
  getCallAudioOutputVolume() {
    return this._callVolume;
  }

  checkClientStatus = (callback) => {
    if (!isFn(callback)) {
      logger.error('checkClientStatus: callback must be a function');
      return;
    }
    clientStatus(this).then((status) => {
      // Ours: why, when the SDK knows (a CSP refusal names the directive to add).
      const why = status === 'websocket_connection_failed' ? this._cspBlocked : status === 'terminated' || status === 'not_initialized' ? this._initError : null;
      this._safe('checkClientStatus callback', callback, why ? [status, why] : [status]);
    });
  };

  registerLoggerCallback(callback) {
    ExotelWebClient.registerLoggerCallback(callback);
  }

  static registerLoggerCallback(callback) {
    if (callback !== null && !isFn(callback)) {
      logger.error('registerLoggerCallback: callback must be a function');
      return;
    }
    setLoggerCallback(callback);
    ExotelWebClient.clientSDKLoggerCallback = callback; // the static field 3.0.10 exposes
  }

  static setEnableConsoleLogging(enable) {
    setConsoleLogging(enable);
  }

  /**
   * Volume of a tone ('ringtone' | 'ringbacktone' | 'dtmftone' | 'beeptone'), clamped to [0, 1],
   * global to all clients and live on a playing tone. Works before initWebrtc; an unknown name is
   * logged as an error, never thrown (3.0.10 threw, and threw for every name before initWebrtc).
   */
  static setAudioOutputVolume(name, value) {
    setToneVolume(name, value);
  }

  /** The tone's volume (default 1), or undefined (logged) for an unknown name. */
  static getAudioOutputVolume(name) {
    return getToneVolume(name);
  }

  /** Runs `fn(core)` once the latest initWebrtc finished; calls before then are queued. */
  _whenReady(name, fn) {
    if (this._destroyed) {
      logger.warn(`${name}: this ExotelWebClient was destroyed; create a new one`);
      return false;
    }
    if (this._initError) {
      logger.error(`${name}: initWebrtc failed: ${this._initError.message}`);
      return false;
    }
    if (!this._ready) {
      logger.error(`${name}: call initWebrtc first`);
      return false;
    }
    this._ready.then((core) => {
      if (!core) {
        if (!this._destroyed) logger.error(`${name}: ${this._initError ? `initWebrtc failed: ${this._initError.message}` : 'no SDK core; see the earlier error'}`);
        return;
      }
      try {
        fn(core);
      } catch (e) {
        logger.error(`${name}: ${errorText(e)}`);
      }
    });
    return true;
  }

  /** The WebSocket URL the core connects to ('' before it exists). */
  _wsUrl() {
    const core = this._core;
    return core && typeof core.websocketUrl === 'function' ? core.websocketUrl() : '';
  }

  /** Hands the settings made before (or across) initWebrtc to a new core. */
  _configureCore(core) {
    core.setCallVolume(this._callVolume);
    if (this._preferredCodec) core.setPreferredCodec(this._preferredCodec);
  }

  _teardown() {
    const old = this._core;
    if (old) {
      // Remove the old binding, then release the core outside any callback stack; not a core
      // of a module that trapped meanwhile (free() would reach the new module).
      this._core = null;
      releaseCore(this);
      try {
        old.unregister();
      } catch (e) {
        logger.warn(`initWebrtc: the previous account's core: ${errorText(e)}`);
      }
      setTimeout(() => {
        if (!old.alive()) return;
        old.dispose();
        old.free();
      }, 3000);
    }
    this._ready = null;
    this._lastFailure = null;
    this._cspBlocked = null;
  }

  /** RegisterEventCallBack(state, userName[, failure]), remembered for the restart rules. */
  _registerEvent(state, failure) {
    this._regState = state;
    this._notify('registration', state);
    this._safe('RegisterEventCallBack', this._callbacks.register, failure ? [state, this.userName, failure] : [state, this.userName]);
  }

  /**
   * The page's CSP refused our WebSocket (csp.js): say so now, with the directive to add,
   * rather than after the connect timeout; that attempt's own failure is then not repeated.
   */
  _connectRefused(v) {
    this._cspBlocked = v;
    this._cspReported = true;
    logger.error(`DoRegister: ${v.message}`);
    this._registerEvent('terminated', { ...v });
  }

  _onCoreEvent(e) {
    switch (e.type) {
      case 'log':
        log(e.level === 'debug' ? 'log' : e.level, e.message);
        break;
      case 'link':
        logger.info(`websocket ${e.state}${e.state === 'connecting' ? ` to ${this._wsUrl()}` : ''}`);
        break;
      case 'registration': {
        // The failure's reason goes to RegisterEventCallBack as a third argument (old apps
        // take two and never see it); socket failures name the URL.
        let failure;
        // A failure held back (below) goes first: the next attempt can start within the grace.
        if (this._heldFailure && !e.late) {
          const held = this._heldFailure;
          this._heldFailure = null;
          clearTimeout(held.timer);
          this._onCoreEvent(held.e);
        }
        if (e.state === 'failed' && String(e.reason).startsWith('transport') && !e.late) {
          // Firefox signals a CSP refusal of the socket just after the failure: wait a moment,
          // so that the app hears the cause (csp.js) instead of a bare transport failure.
          const core = this._core;
          const held = { e: { ...e, late: true } };
          held.timer = setTimeout(() => {
            if (this._heldFailure !== held) return;
            this._heldFailure = null;
            if (this._core === core) this._onCoreEvent(held.e);
          }, CSP_GRACE_MS);
          this._heldFailure = held;
          break;
        }
        if (e.state === 'failed' && this._cspReported && String(e.reason).startsWith('transport')) {
          this._cspReported = false; // the attempt csp.js reported already
          this._lastFailure = e.reason;
          break;
        }
        if (e.state === 'failed') {
          this._lastFailure = e.reason;
          failure = { reason: e.reason, message: e.message, url: this._wsUrl() };
          logger.warn(`registration ${e.reason}: ${e.message}${e.reason.startsWith('transport') ? ` (${failure.url})` : ''}`);
        } else if (e.state === 'registered') {
          this._lastFailure = null;
          this._cspBlocked = null;
        }
        const state = REGISTER_STATES[e.state];
        if (state) {
          logger.info(`registration ${state}${e.expires ? ` (expires in ${e.expires} s)` : ''}`);
          this._registerEvent(state, failure);
        }
        break;
      }
      case 'call':
        this._onCallEvent(e);
        break;
      case 'call_media':
        this._notify('media', e.kind, e.state);
        if (e.kind === 'ice_gathering' || e.kind === 'ice_connection') {
          this._session(`${e.kind}_state_${e.state}`);
        }
        break;
      default:
        logger.log(`unhandled core event ${e.type}`);
    }
  }

  _onCallEvent(e) {
    if (e.event === 'dialing') {
      this._callRecord = new CallRecord(e);
      logger.info(`calling ${e.target} (call ${e.call}, Call-ID ${e.callId})`);
      setRingback(this, true);
      return;
    }
    if (e.event === 'incoming') {
      this._callRecord = new CallRecord(e);
      const who = this._callRecord.details.remoteDisplayName || 'unknown caller';
      logger.info(`incoming call ${e.call} from ${who} (Call-ID ${e.callId})`);
      setRinging(this, true);
      this._session('incoming');
      this._callEvent('incoming');
      return;
    }
    const rec = this._callRecord;
    if (!rec || rec.handle !== e.call) {
      logger.log(`event ${e.event} for a call that is not current (${e.call})`);
      return;
    }
    switch (e.event) {
      case 'ringing':
        rec.details.callState = 'ringing';
        this._callEvent('ringing');
        break;
      case 'early_media':
        setRingback(this, false); // the far end's network plays its own tones now
        break;
      case 'hold_changed':
        rec.held = e.held;
        logger.info(`call ${e.call} ${e.held ? 'on hold' : 'resumed'}`);
        this._session('holdunhold_success');
        break;
      case 'hold_failed':
        logger.warn(`call ${e.call}: ${e.held ? 'resume' : 'hold'} failed; the call goes on as before`);
        this._session('holdunhold_failed');
        break;
      case 'remote_hold':
        rec.remoteHeld = e.held;
        logger.info(`call ${e.call}: the far end ${e.held ? 'put the call on hold' : 'resumed the call'}`);
        break;
      case 'accepted':
        this._session('accepted');
        break;
      case 'reconnecting':
        // Ours (as Twilio's Voice SDK): the call lost its WebSocket or its ICE path.
        logger.warn(`call ${e.call}: connection lost; reconnecting`);
        this._session('reconnecting');
        break;
      case 'reconnected':
        logger.info(`call ${e.call}: reconnected`);
        this._session('reconnected');
        break;
      case 'connected':
        setRingback(this, false);
        rec.details.callState = 'connected';
        rec.established = Date.now();
        rec.details.callEstablishedTime = new Date(rec.established).toISOString();
        this._callEvent('connected');
        break;
      case 'ended': {
        setRinging(this, false);
        setRingback(this, false);
        rec.details.callState = 'ended';
        rec.details.callEndedTime = new Date().toISOString();
        rec.details.callEndReason = e.reason;
        logger.info(`call ${e.call} ended: ${e.reason}${e.detail ? ` (${e.detail})` : ''}`);
        this._session('terminated');
        // One rule: `callEnded` for every end (what 3.0.10 apps handle), then `terminated` too
        // when the far end ended it, as the integration guide documents.
        this._callEvent('callEnded');
        if (e.remote) this._callEvent('terminated');
        if (e.reason === 'microphone_failed') {
          this._session('userMediaFailed');
          if (/NotAllowedError|NotFoundError|Permission/i.test(e.detail || '')) this._session('media_permission_denied');
        }
        break;
      }
      default:
        logger.log(`unhandled call event ${e.event}`);
    }
  }

  _answerCall() {
    const rec = this._callRecord;
    if (!this._core || !rec || rec.ended) {
      logger.warn('Call.Answer: no incoming call to answer');
      return;
    }
    try {
      this._core.answer(rec.handle);
      setRinging(this, false);
      rec.details.callAnswerTime = new Date().toISOString();
      rec.details.callState = 'answering';
    } catch (err) {
      logger.warn(`Call.Answer: ${err && err.message ? err.message : err}`);
    }
  }

  _hangupCall() {
    const rec = this._callRecord;
    if (!this._core || !rec || rec.ended) {
      logger.warn('Call.Hangup: no call to hang up');
      return;
    }
    try {
      this._core.hangup(rec.handle);
    } catch (err) {
      logger.warn(`Call.Hangup: ${err && err.message ? err.message : err}`);
    }
  }

  /**
   * The current call if its media is ours to control: answered (or being answered), or an
   * outgoing call in progress. Otherwise null, with a warning naming `name`.
   */
  _mediaCall(name) {
    const rec = this._callRecord;
    const d = rec && rec.details;
    const live = d && !rec.ended && (d.callDirection === 'outgoing' || d.callState === 'answering' || d.callState === 'connected');
    if (!this._core || !live) {
      logger.warn(`Call.${name}: no call in progress`);
      return null;
    }
    return rec;
  }

  /** Mute()/UnMute(): acts only when the call's mute state changes; one SessionCallback then. */
  _setMuted(name, muted) {
    const rec = this._mediaCall(name);
    if (!rec) return;
    if (rec.muted === muted) {
      logger.info(`Call.${name}: the call is already ${muted ? 'muted' : 'unmuted'}`);
      return;
    }
    try {
      this._core.setMuted(rec.handle, muted);
    } catch (err) {
      logger.warn(`Call.${name}: ${errorText(err)}`);
      return;
    }
    rec.muted = muted;
    logger.info(`call ${rec.handle} ${muted ? 'muted' : 'unmuted'}`);
    this._session(muted ? 'muted' : 'unmuted');
  }

  /**
   * Hold()/UnHold(): a re-INVITE (sendonly, or sendrecv to resume); SessionCallback
   * holdunhold_success or holdunhold_failed follows. While held, the microphone is silenced.
   */
  _setHold(name, on) {
    const rec = this._callRecord;
    if (!this._core || !rec || rec.ended || rec.details.callState !== 'connected') {
      logger.warn(`Call.${name}: no connected call`);
      return;
    }
    if (rec.held === on) {
      logger.info(`Call.${name}: the call is already ${on ? 'on hold' : 'resumed'}`);
      return;
    }
    try {
      this._core.hold(rec.handle, on);
    } catch (err) {
      // Typically a hold or resume still in progress (3.0.10 dropped these silently).
      logger.warn(`Call.${name}: ${errorText(err)}`);
      this._session('holdunhold_failed');
    }
  }

  _toggleHold() {
    const rec = this._callRecord;
    if (rec) this._setHold('HoldToggle', !rec.held);
    else logger.warn('Call.HoldToggle: no connected call');
  }

  _toggleMute() {
    const rec = this._mediaCall('MuteToggle');
    if (rec) this._setMuted('MuteToggle', !rec.muted);
  }

  /**
   * sendDTMF: one key per call. Plays the local key tone, then sends it by SIP INFO (dtmfMode
   * 'info', the default, as 3.0.10), or in RTP (RFC 4733) with dtmfMode 'rfc4733' when the far
   * end negotiated telephone-event.
   */
  _sendDtmf(digit) {
    const key = dtmfKey(digit);
    if (key === null) {
      logger.error(`Call.sendDTMF: invalid DTMF digit ${describeValue(digit)}; expected one of 0-9, *, #, A-D`);
      return;
    }
    const rec = this._callRecord;
    if (!this._core || !rec || rec.ended || rec.details.callState !== 'connected') {
      logger.warn(`Call.sendDTMF(${key}): no connected call`);
      return;
    }
    playDtmfTone(key);
    if (this._dtmfMode === 'rfc4733' && this._sendRtpDtmf(rec, key)) return;
    this._sendInfoDtmf(rec, key);
  }

  /** True when the key went out in RTP; false when SIP INFO must carry it. */
  _sendRtpDtmf(rec, key) {
    let sent = false;
    try {
      sent = this._core.insertDtmf(rec.handle, key) === true;
    } catch (err) {
      logger.warn(`Call.sendDTMF(${key}): RTP DTMF failed (${errorText(err)}); using SIP INFO`);
      return false;
    }
    if (!sent && !rec.dtmfByInfo) {
      rec.dtmfByInfo = true; // said once per call
      logger.info(`call ${rec.handle}: the far end did not negotiate telephone-event; DTMF goes by SIP INFO`);
    }
    return sent;
  }

  _sendInfoDtmf(rec, key) {
    const core = this._core;
    if (typeof core.sendInfoDtmf !== 'function') {
      logger.error(`Call.sendDTMF(${key}): this build cannot send DTMF by SIP INFO`);
      return;
    }
    try {
      const r = core.sendInfoDtmf(rec.handle, key);
      if (r && typeof r.then === 'function') r.then(null, (err) => logger.error(`Call.sendDTMF(${key}): ${errorText(err)}`));
    } catch (err) {
      logger.error(`Call.sendDTMF(${key}): ${errorText(err)}`);
    }
  }

  _callEvent(eventType) {
    this._notify('call', eventType);
    this._safe('CallListenerCallback', this._callbacks.call, [this._call, eventType, this.userName]);
  }

  _session(state) {
    this._notify('session', state);
    this._safe('SessionCallback', this._callbacks.session, [state, this.userName]);
  }

  /**
   * Internal notifications for the feature modules (diagnostics, multi-tab, devices):
   * 'registration' (state), 'call' (eventType), 'session' (state), 'core' (the new core),
   * 'media' (kind, state) of the current call.
   * Listeners are isolated like app callbacks.
   */
  _on(name, fn) {
    if (!this._listeners) this._listeners = new Map();
    if (!this._listeners.has(name)) this._listeners.set(name, []);
    this._listeners.get(name).push(fn);
  }

  _notify(name, ...args) {
    const list = this._listeners && this._listeners.get(name);
    if (list) for (const fn of list) this._safe(`internal ${name} listener`, fn, args);
  }

  /** Calls app code so that its exceptions are logged, never thrown into the SDK. */
  _safe(name, fn, args) {
    if (!isFn(fn)) return;
    try {
      fn(...args);
    } catch (err) {
      logger.error(`${name} threw: ${err && err.stack ? err.stack : err}`);
    }
  }
}

// The 3.0.10 members every app may touch; devices, diagnostics and multi-tab are installed by
// the entry (index.js) or by the app (exotel-voice-sdk/core + the feature entries).
installLegacy(ExotelWebClient);
installLogs(ExotelWebClient);
installLifecycle(ExotelWebClient, pool);
