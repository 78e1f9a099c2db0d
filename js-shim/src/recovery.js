// A trapped WebAssembly module is dead. With panic = "abort", a Rust panic or a failed
// allocation is an `unreachable` trap: the state it interrupted stays half-updated (RefCells
// borrowed, no destructor run) and the module answers nothing sensible again. Left alone, the
// agent keeps a live microphone and a registration that rings a dead page (issue 10). So:
//   - every call from the shim into the module goes through a guarded core (a RuntimeError
//     there is a trap); traps in the module's own browser callbacks (socket frames, timers,
//     media steps) reach the page's `error` / `unhandledrejection` events, and are ours when a
//     client's core is found still borrowed (probe);
//   - on a trap, nothing enters the module again; each client releases its sockets, peer
//     connections, microphones and audio elements from JS (resources.js) and tells the app
//     (client._coreLost);
//   - the module is then instantiated afresh from the compiled one (wasm-bindgen's reset-state
//     glue, which refuses calls from the dead instance's objects and closures), and each client
//     gets a new core and registers again if the app wanted it (client._rebuildCore). Traps that
//     keep coming are retried less often, then given up: the page has to reload.

import { logger } from './logger.js';
import { resetModule } from './wasm.js';

const clients = new Set(); // clients whose core belongs to the current module
let generation = 0;
let dead = false;
let restart = null; // { promise, resolve } while a restart is pending
const restarts = []; // times of the restarts in the last RETRY_WINDOW_MS
const RETRY_WINDOW_MS = 10 * 60 * 1000;
const RETRY_DELAYS_MS = [0, 2000, 10000]; // then give up
let watching = false;
const STALE = /previous (?:WASM|Wasm) instance/;

const errorText = (e) => (e && e.message ? e.message : String(e));

export function isTrap(e) {
  return typeof WebAssembly === 'object' && typeof WebAssembly.RuntimeError === 'function' && e instanceof WebAssembly.RuntimeError;
}

// Guarded cores: the raw wasm-bindgen object behind methods of the same names that refuse a
// dead or replaced module and turn a trap into a restart. Built once per raw class.
const guardedClasses = new WeakMap();

function guardedClass(Raw) {
  let Core = guardedClasses.get(Raw);
  if (Core) return Core;
  Core = class GuardedCore {
    constructor(raw) {
      this._raw = raw;
      this._generation = generation;
    }

    /** False once the module of this core trapped or was replaced: never call into it then. */
    alive() {
      return !dead && this._generation === generation;
    }
  };
  for (const name of Object.getOwnPropertyNames(Raw.prototype)) {
    if (name === 'constructor' || name.startsWith('__wbg') || name === '__destroy_into_raw') continue;
    Core.prototype[name] = function guarded(...args) {
      return enter(this, name, args);
    };
  }
  guardedClasses.set(Raw, Core);
  return Core;
}

function enter(core, name, args) {
  // wasm-bindgen's free() has no stale-instance check: it would free memory of the new module.
  if (!core.alive()) throw new Error(`the SDK core is restarting; ${name}() was not run`);
  try {
    return core._raw[name](...args);
  } catch (e) {
    if (!isTrap(e)) throw e;
    trapped(e, `${name}()`);
    throw new Error(`the SDK core stopped in ${name}(); it is restarting`);
  }
}

/**
 * A guarded core for `client`: `new Raw(account, onEvent)`, its browser objects reported to
 * `keep(a, b)`. Throws when the module is dead (given up) or the constructor fails.
 */
export function createCore(Raw, account, onEvent, keep, client) {
  if (dead) throw new Error('the SDK core stopped and could not be restarted; reload the page');
  watchPage();
  let raw;
  try {
    raw = new Raw(account, onEvent);
    raw.onResource(keep);
  } catch (e) {
    if (isTrap(e)) trapped(e, 'new Client()');
    throw e;
  }
  const core = new (guardedClass(Raw))(raw);
  clients.add(client);
  return core;
}

/** `client` no longer has a core of this module (it was torn down or destroyed). */
export function release(client) {
  clients.delete(client);
}

/**
 * Resolves true once the module is usable again (at once when it is), false when the
 * restart failed or was given up.
 */
export function whenUsable() {
  if (restart) return restart.promise;
  return Promise.resolve(!dead);
}

/** A trap in `where`: stop using the module, tell the clients, restart it. */
export function trapped(err, where) {
  if (dead) return;
  dead = true;
  const now = Date.now();
  while (restarts.length && now - restarts[0] > RETRY_WINDOW_MS) restarts.shift();
  const delay = RETRY_DELAYS_MS[restarts.length];
  let resolve;
  const promise = new Promise((r) => {
    resolve = r;
  });
  restart = { promise, resolve };
  logger.error(
    `the SDK's WebAssembly core stopped (${errorText(err)} in ${where}); its calls end and ` +
      (delay === undefined ? `it is not restarted again (${restarts.length} restarts in 10 min): reload the page` : 'it restarts'),
  );
  const lost = [...clients];
  clients.clear();
  for (const c of lost) {
    try {
      c._coreLost(err);
    } catch (e) {
      logger.error(`the SDK core stopped: cleaning up ${c.userName} failed: ${errorText(e)}`);
    }
  }
  if (delay === undefined) {
    restart = null;
    resolve(false);
    return;
  }
  setTimeout(() => {
    let ok = false;
    try {
      resetModule();
      generation++;
      dead = false;
      restarts.push(Date.now());
      ok = true;
      logger.info('the SDK core restarted');
    } catch (e) {
      logger.error(`the SDK core could not restart (${errorText(e)}); reload the page`);
    }
    restart = null;
    resolve(ok);
  }, delay);
}

/** A client whose core is left borrowed after an uncaught error: the trap was in that core. */
function probe() {
  for (const c of clients) {
    const core = c._core;
    if (!core || !core.alive()) continue;
    try {
      // 'unknown' only when the core's state is borrowed, which outside a call means a trap
      // interrupted it.
      if (core._raw.registrationState() === 'unknown') return `a browser callback of ${c.userName}'s core`;
    } catch (e) {
      if (isTrap(e)) return `a browser callback of ${c.userName}'s core (and again in the check)`;
    }
  }
  return null;
}

function onUncaught(ev, err) {
  if (generation > 0 && err && STALE.test(err.message)) {
    // A closure or object of a module that was replaced: refused on purpose by the glue.
    ev.preventDefault();
    return;
  }
  if (dead || clients.size === 0) return;
  // A trap of another module on the page is not ours: only a borrowed core says it is. A
  // cross-origin script's error reaches here muted (no error object): probe then too.
  if (!isTrap(err) && err !== null && err !== undefined) return;
  const where = probe();
  if (where) trapped(err || new Error('an uncaught error'), where);
  else if (isTrap(err)) logger.warn(`a WebAssembly trap on this page (${errorText(err)}) left the SDK core intact`);
}

/** Once per page: the `error` and `unhandledrejection` events, where callbacks' traps land. */
function watchPage() {
  const g = globalThis;
  if (watching || typeof g.addEventListener !== 'function') return;
  watching = true;
  g.addEventListener('error', (ev) => onUncaught(ev, ev.error));
  g.addEventListener('unhandledrejection', (ev) => onUncaught(ev, ev.reason));
}
