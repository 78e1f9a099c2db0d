// Log keeping (guide §5.3, §5.17; exotel-api.md §9): the localStorage ring and downloadLogs.
//
// 3.0.10 kept the last 1000 lines under localStorage `webrtc_sdk_logs` (a JSON array of strings)
// and did a read, parse, push, stringify and write for every line. Here the ring lives in memory:
// it is loaded from localStorage once, on first use (so lines persist across reloads), and written
// back at most every FLUSH_MS, and at once on `pagehide` (or the page turning hidden). Other tabs'
// writes arrive through `storage` events and are merged under this tab's unwritten lines, so the
// ring stays shared by every client and tab of the origin, as in 3.0.10.
//
// Nothing here touches `window` or `localStorage` at import time (SSR, Node). When localStorage
// is missing, blocked or full, the ring stays in memory only (one warning, in a browser), and
// downloadLogs still works. Lines arrive redacted (logger.js).

import { logger } from './logger.js';

export const STORAGE_KEY = 'webrtc_sdk_logs';
export const MAX_LINES = 1000;
// Bounds in characters (about bytes: the lines are mostly ASCII): one line, and the ring, so a
// few huge SIP traces cannot fill the origin's ~5 MB localStorage quota (which the app shares).
export const MAX_LINE_CHARS = 4096;
export const MAX_RING_CHARS = 1024 * 1024;
const FLUSH_MS = 1000;
const SLACK = 100; // the in-memory array is trimmed in batches, never past MAX_LINES + SLACK

const ring = {
  loaded: false,
  lines: [],
  unsaved: 0, // how many of the newest lines are not in localStorage yet
  storage: null, // the Storage in use, or null (memory only)
  timer: null,
  warning: null, // set when storage failed; logged once, outside the failing call
  warned: false,
};

function browserWindow() {
  return typeof window !== 'undefined' && window && typeof window.addEventListener === 'function' ? window : null;
}

function parseLines(text) {
  if (typeof text !== 'string' || !text) return [];
  try {
    const arr = JSON.parse(text);
    return Array.isArray(arr) ? arr.filter((x) => typeof x === 'string').slice(-MAX_LINES) : [];
  } catch (_) {
    return []; // corrupt: replaced at the next write
  }
}

function storageFailed(what, err) {
  ring.storage = null;
  if (ring.timer !== null) {
    clearTimeout(ring.timer);
    ring.timer = null;
  }
  if (!ring.warned && !ring.warning) {
    const why = err && (err.name || err.message) ? `${err.name || 'Error'}: ${err.message || ''}`.trim() : String(err);
    ring.warning = `logs: localStorage ${what} failed (${why}); the last ${MAX_LINES} log lines are kept in memory only`;
  }
}

/** Loads the stored ring and hooks the page events, once. */
function ensureLoaded() {
  if (ring.loaded) return;
  ring.loaded = true;
  const win = browserWindow();
  if (!win) return; // SSR / Node: memory only, silently
  let storage = null;
  try {
    storage = win.localStorage || null; // the getter itself throws when storage is blocked
    if (!storage) throw new Error('not available');
    const stored = parseLines(storage.getItem(STORAGE_KEY));
    // Lines logged before the load (none, normally) stay the newest.
    ring.lines = stored.concat(ring.lines);
    ring.storage = storage;
  } catch (e) {
    storageFailed('read', e);
    return;
  }
  try {
    win.addEventListener('pagehide', flush);
    win.addEventListener('visibilitychange', () => {
      if (typeof document !== 'undefined' && document.visibilityState === 'hidden') flush();
    });
    win.addEventListener('storage', onStorage);
  } catch (_) {
    /* no events: the timer still writes */
  }
}

/** Another tab wrote the ring: adopt its lines, keep ours that are not written yet on top. */
function onStorage(e) {
  if (!ring.storage || (e.storageArea && e.storageArea !== ring.storage)) return;
  if (e.key !== null && e.key !== STORAGE_KEY) return;
  const mine = ring.unsaved ? ring.lines.slice(-ring.unsaved) : [];
  ring.lines = parseLines(e.newValue).concat(mine);
  trim();
}

function trim() {
  if (ring.lines.length > MAX_LINES) ring.lines.splice(0, ring.lines.length - MAX_LINES);
  // Keep the newest lines that fit the character budget.
  let chars = 0;
  let keep = 0;
  for (let i = ring.lines.length - 1; i >= 0; i--) {
    chars += ring.lines[i].length + 1;
    if (chars > MAX_RING_CHARS) break;
    keep++;
  }
  if (keep < ring.lines.length) ring.lines.splice(0, ring.lines.length - keep);
  ring.unsaved = Math.min(ring.unsaved, ring.lines.length);
}

/** A line cut to MAX_LINE_CHARS, with a marker saying how much was left out. */
function capLine(line) {
  if (line.length <= MAX_LINE_CHARS) return line;
  return `${line.slice(0, MAX_LINE_CHARS)} [… ${line.length - MAX_LINE_CHARS} more characters not kept]`;
}

/** The last MAX_LINES lines, oldest first (a copy). */
export function getLogLines() {
  ensureLoaded();
  return ring.lines.slice(-MAX_LINES);
}

/** Writes the ring to localStorage now (no-op when nothing changed or memory only). */
export function flush() {
  if (ring.timer !== null) {
    clearTimeout(ring.timer);
    ring.timer = null;
  }
  if (!ring.storage || !ring.unsaved) return;
  trim();
  try {
    ring.storage.setItem(STORAGE_KEY, JSON.stringify(ring.lines));
    ring.unsaved = 0;
  } catch (e) {
    storageFailed('write', e);
  }
  emitWarning();
}

function emitWarning() {
  if (!ring.warning || ring.warned) return;
  const w = ring.warning;
  ring.warned = true;
  ring.warning = null;
  logger.warn(w);
}

/** Appends one formatted line: `[<ISO time>] [<LEVEL>] <text>` (called by logger.js). */
export function recordLine(type, text) {
  ensureLoaded();
  const line = capLine(`[${new Date().toISOString()}] [${String(type).toUpperCase()}] ${text}`.trim());
  ring.lines.push(line);
  ring.unsaved++;
  if (ring.lines.length > MAX_LINES + SLACK) trim();
  if (ring.storage && ring.timer === null) ring.timer = setTimeout(flush, FLUSH_MS);
  emitWarning();
}

function utcDate() {
  return new Date().toISOString().slice(0, 10);
}

/**
 * downloadLogs(): saves the ring as `webrtc_sdk_logs_<yyyy-mm-dd>.txt` (UTC date), the lines
 * joined by "\n". Works before initWebrtc; never throws (without a document it logs an error).
 */
function downloadLogs() {
  try {
    const lines = getLogLines();
    if (typeof document === 'undefined' || !document || typeof document.createElement !== 'function') {
      logger.error('downloadLogs: no document to save the file from (not a browser page)');
      return;
    }
    if (typeof Blob === 'undefined' || typeof URL === 'undefined' || typeof URL.createObjectURL !== 'function') {
      logger.error('downloadLogs: this environment cannot create files (no Blob or URL.createObjectURL)');
      return;
    }
    const name = `webrtc_sdk_logs_${utcDate()}.txt`;
    const url = URL.createObjectURL(new Blob([lines.join('\n')], { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    a.rel = 'noopener';
    a.style.display = 'none';
    const parent = document.body || document.documentElement;
    if (parent) parent.appendChild(a);
    try {
      a.click();
    } finally {
      if (a.parentNode) a.parentNode.removeChild(a);
      // The download holds its own reference to the Blob once started; a short delay spares
      // browsers that resolve the URL asynchronously after the click.
      setTimeout(() => {
        try {
          URL.revokeObjectURL(url);
        } catch (_) {
          /* nothing to release */
        }
      }, 1000);
    }
    logger.info(`downloadLogs: saving ${name} (${lines.length} lines)`);
  } catch (e) {
    try {
      logger.error(`downloadLogs: ${e && e.message ? e.message : e}`);
    } catch (_) {
      /* never throws */
    }
  }
}

/** Adds this feature's members to ExotelWebClient. */
export function installLogs(Client) {
  Object.defineProperty(Client.prototype, 'downloadLogs', { value: downloadLogs, writable: true, configurable: true });
}
