// Routes every SDK log line to the app's logger callback and the console, with real levels.
// Lines come from the core already redacted (SIP credentials); the shim never logs secrets,
// and redactSecrets() below is the last guard for anything the shim itself formats.

const LEVELS = ['log', 'info', 'warn', 'error'];

const state = {
  callback: null,
  console: true,
  secrets: new Set(),
};

export function setLoggerCallback(cb) {
  state.callback = typeof cb === 'function' ? cb : null;
}

export function setConsoleLogging(enabled) {
  state.console = Boolean(enabled);
}

/** Registers a string (a password) that must never appear in any log line. */
export function addSecret(s) {
  if (typeof s === 'string' && s.length >= 3) state.secrets.add(s);
}

export function forgetSecret(s) {
  state.secrets.delete(s);
}

export function redactSecrets(text) {
  let out = String(text);
  for (const s of state.secrets) out = out.split(s).join('<redacted>');
  return out;
}

/** level: 'log' | 'info' | 'warn' | 'error'. args: extra values, passed as one array. */
export function log(level, message, args = []) {
  const type = LEVELS.includes(level) ? level : 'log';
  const msg = redactSecrets(message);
  if (state.console && typeof console !== 'undefined') {
    const fn = console[type] || console.log;
    if (args.length) fn.call(console, msg, args);
    else fn.call(console, msg);
  }
  if (state.callback) {
    try {
      state.callback(type, msg, args);
    } catch (e) {
      if (state.console && typeof console !== 'undefined') console.error('exotel-voice: logger callback threw', e);
    }
  }
}

export const logger = {
  log: (m, ...a) => log('log', m, a),
  info: (m, ...a) => log('info', m, a),
  warn: (m, ...a) => log('warn', m, a),
  error: (m, ...a) => log('error', m, a),
};
