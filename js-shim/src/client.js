// ExotelWebClient: the exotelsdk.js 3.0.10 surface over the wasm core.
// Protocol work happens in Rust; this file validates arguments, keeps the legacy names and
// callback shapes, queues calls made before the wasm is ready, and isolates app callbacks.

import { loadCore } from './wasm.js';
import { log, logger, setLoggerCallback, setConsoleLogging, addSecret, forgetSecret } from './logger.js';
import { Call, CallRecord, setRinging, setRingback } from './call.js';
import { clientStatus } from './status.js';
import { setToneVolume, getToneVolume, prepareTones } from './tones.js';

// userName → client, so two clients cannot register the same account on one page (3.0.10
// rule). Unlike 3.0.10 a name is released when its client is re-initialised with another.
const pool = new Map();

const REGISTER_STATES = {
  sent_request: 'sent_request',
  registered: 'registered',
  unregistered: 'unregistered',
  failed: 'terminated',
};

function isFn(f) {
  return typeof f === 'function';
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
  };
}

function validate(info, registerCb) {
  if (!info || typeof info !== 'object') return 'sipAccountInfo must be an object';
  for (const f of ['userName', 'sipdomain', 'domain']) {
    if (!info[f]) return `sipAccountInfo.${f} is missing or empty`;
  }
  if (!info.secret) return 'sipAccountInfo.secret is missing or empty';
  if (!isFn(registerCb)) return 'RegisterEventCallBack must be a function';
  return null;
}

function sameAccount(a, b) {
  return Boolean(a && b) && JSON.stringify(a) === JSON.stringify(b);
}

export class ExotelWebClient {
  constructor() {
    this.sipAccountInfo = null;
    this.userName = null;
    this._account = null;
    this._core = null;
    this._ready = null; // Promise<core|null> of the latest initWebrtc
    this._callbacks = { register: null, call: null, session: null };
    this._lastFailure = null;
    this._call = new Call(this);
    this._callRecord = null; // the current or last call
    this._noiseSuppression = true;
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
    const account = normaliseAccount(sipAccountInfo);
    const owner = pool.get(account.userName);
    if (owner && owner !== this) {
      logger.warn(`initWebrtc: ${account.userName} is already used by another ExotelWebClient on this page; init rejected`);
      return Promise.resolve(false);
    }
    this._callbacks = {
      register: RegisterEventCallBack,
      call: isFn(CallListenerCallback) ? CallListenerCallback : null,
      session: isFn(SessionCallback) ? SessionCallback : null,
    };
    this._autoDeviceChange = Boolean(enableAutoAudioDeviceChangeHandling);
    this.sipAccountInfo = sipAccountInfo;

    // Re-init with the same account keeps the running core: no second socket, no repeated
    // events (3.0.10 multiplied every event by the number of initWebrtc calls).
    if (sameAccount(this._account, account) && this._ready) {
      logger.info(`initWebrtc: ${account.userName} already initialised; callbacks updated`);
      return this._ready.then((core) => core !== null);
    }
    this._teardown();
    if (this.userName && this.userName !== account.userName) pool.delete(this.userName);
    pool.set(account.userName, this);
    this.userName = account.userName;
    this._account = account;
    addSecret(account.secret);
    // Open the shared AudioContext now (silently), so the first ringtone starts at once.
    prepareTones();
    logger.info(`initWebrtc: user ${account.userName} (auth ${account.authUser}) at ${account.sipdomain} via ${account.domain}`);

    const ready = loadCore()
      .then((Core) => {
        if (this._ready !== ready) return null; // superseded by a later initWebrtc
        const core = new Core({ ...account, noiseSuppression: this._noiseSuppression }, (e) => {
          if (this._core === core) this._onCoreEvent(e);
        });
        this._core = core;
        return core;
      })
      .catch((e) => {
        logger.error(`initWebrtc: ${e && e.message ? e.message : e}`);
        return null;
      });
    this._ready = ready;
    return ready.then((core) => core !== null);
  };

  /** Starts registration. Returns false (and logs why) when initWebrtc was never called. */
  DoRegister = () => this._whenReady('DoRegister', (core) => core.register());

  /** Removes the binding (un-REGISTER), then closes the WebSocket once the server answered. */
  UnRegister = () => {
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

  /** Noise suppression for the microphone of the next answered call. Default on (3.0.10
   * turned it off unless asked); takes effect at the next Answer, as in 3.0.10. */
  setNoiseSuppression(enabled = false) {
    this._noiseSuppression = Boolean(enabled);
    if (this._core) this._core.setNoiseSuppression(this._noiseSuppression);
  }

  checkClientStatus = (callback) => {
    if (!isFn(callback)) {
      logger.error('checkClientStatus: callback must be a function');
      return;
    }
    clientStatus(this).then((status) => this._safe('checkClientStatus callback', callback, [status]));
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
    if (!this._ready) {
      logger.error(`${name}: call initWebrtc first`);
      return false;
    }
    this._ready.then((core) => {
      if (!core) logger.error(`${name}: initWebrtc failed; see the earlier error`);
      else fn(core);
    });
    return true;
  }

  _teardown() {
    const old = this._core;
    if (old) {
      // Remove the old binding, then release the core outside any callback stack.
      this._core = null;
      old.unregister();
      setTimeout(() => {
        old.dispose();
        old.free();
      }, 3000);
    }
    if (this._account) forgetSecret(this._account.secret);
    this._ready = null;
    this._lastFailure = null;
  }

  _onCoreEvent(e) {
    switch (e.type) {
      case 'log':
        log(e.level === 'debug' ? 'log' : e.level, e.message);
        break;
      case 'link':
        logger.info(`websocket ${e.state}`);
        break;
      case 'registration': {
        if (e.state === 'failed') {
          this._lastFailure = e.reason;
          logger.warn(`registration ${e.reason}: ${e.message}`);
        } else if (e.state === 'registered') {
          this._lastFailure = null;
        }
        const state = REGISTER_STATES[e.state];
        if (state) this._safe('RegisterEventCallBack', this._callbacks.register, [state, this.userName]);
        break;
      }
      case 'call':
        this._onCallEvent(e);
        break;
      case 'call_media':
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
      case 'accepted':
        this._session('accepted');
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

  _callEvent(eventType) {
    this._safe('CallListenerCallback', this._callbacks.call, [this._call, eventType, this.userName]);
  }

  _session(state) {
    this._safe('SessionCallback', this._callbacks.session, [state, this.userName]);
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
