// The life of a client's core: made once initWebrtc has the module, replaced after a trap
// (recovery.js), ended by destroy(). The account's password is kept here, in a WeakMap, not on
// the client: no enumerable field holds it, so JSON.stringify(client), a debugger's object
// view or an error reporter that serialises the client never sees it (issue 10).

import { logger, addSecret, forgetSecret } from './logger.js';
import { loadCore } from './wasm.js';
import { createCore, release, whenUsable } from './recovery.js';
import { onConnectRefused } from './csp.js';
import { setRinging, setRingback } from './call.js';

const secrets = new WeakMap(); // client → its account's password
const UNREGISTER_WAIT_MS = 4000; // destroy(): how long the un-REGISTER may take before the core goes

const errorText = (e) => (e && e.message ? e.message : String(e));

export function setSecret(client, secret) {
  const old = secrets.get(client);
  if (old !== undefined && old !== secret) forgetSecret(old);
  secrets.set(client, secret);
  addSecret(secret);
}

export function secretOf(client) {
  return secrets.get(client);
}

function dropSecret(client) {
  const s = secrets.get(client);
  if (s !== undefined) forgetSecret(s);
  secrets.delete(client);
}

/** Frees `core` (unless its module is gone: wasm-bindgen's free() would hit the new one). */
function freeCore(core) {
  if (!core.alive()) return;
  try {
    core.dispose();
    core.free();
  } catch (e) {
    logger.warn(`releasing an SDK core: ${errorText(e)}`);
  }
}

/** Adds the lifecycle members to ExotelWebClient; `pool` is the page's userName → client map. */
export function installLifecycle(Client, pool) {
  const proto = Client.prototype;

  /** A new core for the current account, from the loaded module's class `Raw`. */
  proto._startCore = function _startCore(Raw) {
    const account = { ...this._account, secret: secretOf(this), noiseSuppression: this._noiseSuppression };
    const core = createCore(
      Raw,
      account,
      (e) => {
        if (this._core === core) this._onCoreEvent(e);
      },
      (a, b) => this._resources.keep(a, b),
      this,
    );
    this._core = core;
    if (!this._stopCsp) this._stopCsp = onConnectRefused(() => this._wsUrl(), (v) => this._connectRefused(v));
    this._notify('core', core);
    this._configureCore(core);
    return core;
  };

  /**
   * The module trapped (recovery.js calls this before restarting it): release the browser
   * objects from JS, end the call and the registration for the app, and wait for a new core.
   */
  proto._coreLost = function _coreLost(err) {
    this._core = null;
    this._resources.releaseAll(); // the far end stops hearing the agent now
    const rec = this._callRecord;
    if (rec && !rec.ended) {
      // As a far-end end: callEnded, then terminated (the call did not end by the agent's hand).
      this._onCallEvent({ event: 'ended', call: rec.handle, reason: 'sdk_failure', detail: errorText(err), remote: true });
    }
    if (this._regState === 'registered' || this._regState === 'sent_request') {
      this._registerEvent('terminated', {
        reason: 'sdk_failure',
        message: `the SDK core stopped (${errorText(err)}); it restarts${this._wantRegistered ? ' and registers again' : ''}`,
        url: '',
      });
    }
    this._ready = whenUsable().then((usable) => (usable && !this._destroyed ? loadCore().then((Raw) => this._rebuildCore(Raw)) : null));
  };

  /** After a restart: the same account on a new core, registered again if the app wanted. */
  proto._rebuildCore = function _rebuildCore(Raw) {
    if (this._destroyed || this._core) return this._core;
    let core;
    try {
      core = this._startCore(Raw);
    } catch (e) {
      logger.error(`${this.userName}: no new SDK core: ${errorText(e)}`);
      return null;
    }
    logger.info(`${this.userName}: new SDK core${this._wantRegistered ? '; registering again' : ''}`);
    if (this._wantRegistered) core.register();
    return core;
  };

  /**
   * Ends this client for good: hangs up its call, removes its binding (un-REGISTER, waited for
   * up to a few seconds), releases its microphone, sockets and core, stops its multi-tab,
   * device and network listeners, and frees its userName for another client at once. The app's
   * callbacks hear nothing from it any more. Idempotent: later calls return the same promise.
   * For React StrictMode and SPA logout: destroy the client in the effect's cleanup or at
   * logout, then create a new one.
   */
  proto.destroy = function destroy() {
    if (this._destroying) return this._destroying;
    this._destroyed = true;
    const name = this.userName;
    logger.info(`destroy: ${name || 'client'}: hanging up, unregistering, releasing media and the core`);
    this._notify('destroy'); // multi-tab, devices, network listeners
    if (this._diag && typeof this._diagStopAll === 'function') this._diagStopAll();
    this._callbacks = { register: null, call: null, session: null };
    setRinging(this, false);
    setRingback(this, false);
    if (this._stopCsp) this._stopCsp();
    if (name && pool.get(name) === this) pool.delete(name);
    release(this);
    const core = this._core;
    this._core = null;
    this._ready = null;
    this._destroying = (core && core.alive() ? unregisterThenFree(this, core) : Promise.resolve()).then(() => {
      this._resources.releaseAll();
      dropSecret(this);
    });
    return this._destroying;
  };
}

/** Hangs up, un-REGISTERs, waits for the answer (or UNREGISTER_WAIT_MS), then frees the core. */
function unregisterThenFree(client, core) {
  const rec = client._callRecord;
  try {
    if (rec && !rec.ended) core.hangup(rec.handle);
    core.unregister();
  } catch (e) {
    logger.warn(`destroy: ${errorText(e)}`);
  }
  const end = Date.now() + UNREGISTER_WAIT_MS;
  return new Promise((resolve) => {
    const poll = () => {
      let state = 'failed';
      try {
        state = core.alive() ? core.registrationState() : 'failed';
      } catch (_) {
        /* the module trapped meanwhile */
      }
      if (state === 'unregistered' || state === 'failed' || Date.now() >= end) {
        freeCore(core);
        resolve();
      } else {
        setTimeout(poll, 50);
      }
    };
    poll();
  });
}
