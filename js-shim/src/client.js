// ExotelWebClient: the exotelsdk.js 3.0.10 surface over the wasm core.
// Protocol work happens in Rust; this file validates arguments, keeps the legacy names and
// callback shapes, queues calls made before the wasm is ready, and isolates app callbacks.

import { loadCore } from './wasm.js';
import { log, logger, setLoggerCallback, setConsoleLogging, addSecret, forgetSecret } from './logger.js';
import { Call } from './call.js';
import { clientStatus } from './status.js';

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
  return a && b && Object.keys(a).every((k) => a[k] === b[k]);
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
    logger.info(`initWebrtc: user ${account.userName} (auth ${account.authUser}) at ${account.sipdomain} via ${account.domain}`);

    const ready = loadCore()
      .then((Core) => {
        if (this._ready !== ready) return null; // superseded by a later initWebrtc
        const core = new Core(account, (e) => {
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
      default:
        logger.log(`unhandled core event ${e.type}`);
    }
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
