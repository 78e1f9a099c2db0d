// Routes every SDK log line to the app's logger callback, the console and the localStorage ring
// (logs.js), with real levels (3.0.10 always said "log").
//
// Secrets never leave this file: every line, and every extra argument, passes through the
// redaction below before it reaches any sink. Lines from the core are redacted there already
// (SIP credentials); this is the last guard for anything the shim, or a future change, formats:
//   - registered secrets (the SIP password: client.js calls addSecret), in their plain, JSON-escaped
//     and URL-encoded spellings;
//   - Authorization / Proxy-Authorization header values;
//   - digest `response=` and `cnonce=` values (the nonce is the server's, harmless);
//   - object fields named secret / password / passwd / authorization / proxy-authorization.

import { recordLine } from './logs.js';

const LEVELS = ['log', 'info', 'warn', 'error'];
const MARK = '<redacted>';

const state = {
  callback: null,
  console: true,
  secrets: new Map(), // secret → [its spellings]
};

export function setLoggerCallback(cb) {
  state.callback = typeof cb === 'function' ? cb : null;
}

/** The app's logger callback, or null. */
export function getLoggerCallback() {
  return state.callback;
}

export function setConsoleLogging(enabled) {
  state.console = Boolean(enabled);
}

/** Registers a string (a password) that must never appear in any log line. */
export function addSecret(s) {
  if (typeof s !== 'string' || s.length < 3) return;
  const forms = new Set([s]);
  try {
    forms.add(JSON.stringify(s).slice(1, -1)); // as it appears inside JSON text
  } catch (_) {
    /* unreachable for strings */
  }
  try {
    forms.add(encodeURIComponent(s));
  } catch (_) {
    /* lone surrogate: no URL form */
  }
  state.secrets.set(s, [...forms].filter((f) => f.length >= 3).sort((a, b) => b.length - a.length));
}

export function forgetSecret(s) {
  state.secrets.delete(s);
}

// `Authorization: <value>`. In plain text the value runs to the end of the line; in JSON text it
// also stops at the closing (unescaped) quote of the string, so the rest of the JSON survives.
// No \b before the names: in JSON text a header follows a `\n` escape ("...\nAuthorization: ...").
const AUTH_TEXT = /((?:proxy-)?authorization)([ \t]*:[ \t]*)(?![ \t]*<redacted>)((?:[^\r\n\\]|\\[^rn])+)/gi;
const AUTH_JSON = /((?:proxy-)?authorization)([ \t]*:[ \t]*)(?![ \t]*<redacted>)((?:[^\r\n"\\]|\\[^rn])+)/gi;
// A JSON field `"authorization": "..."` (and the other secret field names).
const FIELD_JSON = /("(?:secret|password|passwd|(?:proxy-)?authorization)"[ \t]*:[ \t]*")((?:[^"\\]|\\.)+)(")/gi;
// Digest-derived parameters: response="…", response=…, cnonce="…" (JSON-escaped quotes too).
const DIGEST = /(response|cnonce)([ \t]*=[ \t]*)(\\?"|)(?!<redacted>)([^"\\,;\s]+)/gi;
const SECRET_KEY = /^(?:secret|password|passwd|(?:proxy-)?authorization)$/i;

function redact(text, json) {
  let out = String(text);
  for (const forms of state.secrets.values()) {
    for (const f of forms) if (out.includes(f)) out = out.split(f).join(MARK);
  }
  if (json && /secret|passw|authorization/i.test(out)) out = out.replace(FIELD_JSON, `$1${MARK}$3`);
  if (/authorization/i.test(out)) out = out.replace(json ? AUTH_JSON : AUTH_TEXT, `$1$2${MARK}`);
  if (/response|cnonce/i.test(out)) out = out.replace(DIGEST, `$1$2$3${MARK}`);
  return out;
}

/** `text` with every secret masked (plain text: a header value is masked to the end of its line). */
export function redactSecrets(text) {
  return redact(text, false);
}

/** The same for JSON text: masks inside string literals and keeps the JSON valid. */
export function redactJson(text) {
  return redact(text, true);
}

function isPlainObject(v) {
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

/**
 * `v` itself when it carries no secret, otherwise a redacted copy (strings, arrays and plain
 * objects walked; Errors rebuilt; other objects replaced by their redacted JSON form).
 */
export function sanitize(v, depth = 0, seen = new WeakSet()) {
  if (typeof v === 'string') return redactSecrets(v);
  if (v === null || typeof v !== 'object') return v;
  if (seen.has(v)) return v;
  seen.add(v);
  try {
    if (v instanceof Error) {
      const msg = redactSecrets(v.message);
      const stack = typeof v.stack === 'string' ? redactSecrets(v.stack) : v.stack;
      if (msg === v.message && stack === v.stack) return v;
      const e = new Error(msg);
      if (e.name !== v.name) Object.defineProperty(e, 'name', { value: v.name, writable: true, configurable: true });
      e.stack = stack;
      return e;
    }
    if (depth < 8 && Array.isArray(v)) {
      let changed = false;
      const out = v.map((x) => {
        const y = sanitize(x, depth + 1, seen);
        if (y !== x) changed = true;
        return y;
      });
      return changed ? out : v;
    }
    if (depth < 8 && isPlainObject(v)) {
      let changed = false;
      const out = {};
      for (const k of Object.keys(v)) {
        const x = v[k];
        const y = SECRET_KEY.test(k) && typeof x === 'string' && x ? MARK : sanitize(x, depth + 1, seen);
        if (y !== x) changed = true;
        out[k] = y;
      }
      return changed ? out : v;
    }
    // Class instances, DOM objects, deep values: judged by their JSON form.
    const json = JSON.stringify(v);
    if (typeof json !== 'string') return v;
    const clean = redactJson(json);
    if (clean === json) return v;
    try {
      return JSON.parse(clean);
    } catch (_) {
      return MARK;
    }
  } catch (_) {
    // Unserialisable (a getter threw, a cycle past the walk): its text form decides.
    try {
      const s = String(v);
      return redactSecrets(s) === s ? v : MARK;
    } catch (__) {
      return v;
    }
  }
}

/** 3.0.10's line text: `<message> <JSON of each extra arg>` (Errors give {}, functions vanish). */
function lineText(message, args) {
  let text = typeof message === 'string' ? message : String(message);
  if (args.length) {
    const parts = args.map((a) => {
      try {
        return JSON.stringify(a);
      } catch (_) {
        try {
          return JSON.stringify(String(a));
        } catch (__) {
          return '';
        }
      }
    });
    text = `${text} ${redactJson(parts.join(' '))}`;
  }
  return redactSecrets(text);
}

/** level: 'log' | 'info' | 'warn' | 'error'. args: extra values, passed as one array. */
export function log(level, message, args = []) {
  const type = LEVELS.includes(level) ? level : 'log';
  let msg;
  let extra;
  try {
    msg = typeof message === 'string' ? redactSecrets(message) : sanitize(message);
    extra = Array.isArray(args) ? sanitize(args) : [];
    if (extra === args) extra = args.slice(); // the callback may keep or mutate it
  } catch (_) {
    msg = MARK;
    extra = [];
  }
  try {
    recordLine(type, lineText(msg, extra));
  } catch (_) {
    /* the ring never breaks logging */
  }
  if (state.console && typeof console !== 'undefined') {
    const fn = console[type] || console.log;
    if (extra.length) fn.call(console, msg, extra);
    else fn.call(console, msg);
  }
  if (state.callback) {
    try {
      state.callback(type, msg, extra);
    } catch (e) {
      if (state.console && typeof console !== 'undefined') console.error('exotel-voice: logger callback threw', sanitize(e));
    }
  }
}

export const logger = {
  log: (m, ...a) => log('log', m, a),
  info: (m, ...a) => log('info', m, a),
  warn: (m, ...a) => log('warn', m, a),
  error: (m, ...a) => log('error', m, a),
};
