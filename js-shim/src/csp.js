// Content Security Policy refusals, named so that an admin can fix them (issue 10). Two can
// stop the SDK, and the browser's own messages mislead or go only to its console:
//   - WebAssembly compilation, refused without 'wasm-unsafe-eval' in script-src. Chromium's
//     message names 'unsafe-eval', which would also allow eval(): never the fix to give.
//   - the WebSocket to the SIP server, refused by connect-src (or default-src). Chromium then
//     fires only `error`, no `close`: without this the SDK would wait out its connect timeout.
// Both also fire `securitypolicyviolation`, which is how the second is told from a network
// failure.

const WASM_DIRECTIVE = "script-src 'wasm-unsafe-eval'";
const WASM_FIX = `the page's Content Security Policy does not allow WebAssembly: add 'wasm-unsafe-eval' to script-src (not 'unsafe-eval', which would allow eval() as well)`;
const RECENT_MS = 5000;

const recent = []; // recent violations: { directive, blocked, t }
const watchers = new Set(); // fn(violation)
let watching = false;

function directiveOf(e) {
  return String(e.effectiveDirective || e.violatedDirective || '').split(' ')[0];
}

function watch() {
  const g = globalThis;
  if (watching || typeof g.addEventListener !== 'function') return;
  watching = true;
  g.addEventListener('securitypolicyviolation', (e) => {
    const v = { directive: directiveOf(e), blocked: String(e.blockedURI || ''), t: Date.now() };
    recent.push(v);
    while (recent.length > 20 || (recent.length && v.t - recent[0].t > RECENT_MS)) recent.shift();
    for (const fn of watchers) fn(v);
  });
}

/** Starts listening early (before the first wasm compile), once per page. */
export function watchCsp() {
  watch();
}

/**
 * `{reason: 'csp_wasm', message, directive}` when `err` (from loading the wasm) is a CSP
 * refusal, else null.
 */
export function wasmRefusal(err) {
  const text = err && err.message ? err.message : String(err);
  const byText = /Content.Security.Policy|\bCSP\b|unsafe-eval|wasm-eval/i.test(text);
  const byEvent = recent.some((v) => v.blocked === 'wasm-eval' || (v.directive.startsWith('script-src') && v.blocked === 'eval'));
  return byText || byEvent ? { reason: 'csp_wasm', message: WASM_FIX, directive: WASM_DIRECTIVE } : null;
}

/** The origin of a ws(s) URL, or '' (a blocked URI may be reported as the origin only). */
function originOf(url) {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch (_) {
    return '';
  }
}

/**
 * Calls `fn({reason: 'csp_connect_src', message, directive, url})` whenever the page's CSP
 * refuses a connection to the URL `urlOf()` returns. Returns the function that stops it.
 */
export function onConnectRefused(urlOf, fn) {
  watch();
  const watcher = (v) => {
    if (!/^(connect-src|default-src)/.test(v.directive)) return;
    const url = urlOf();
    const origin = originOf(url);
    if (!url || !(v.blocked === url || (origin && originOf(v.blocked) === origin))) return;
    fn({
      reason: 'csp_connect_src',
      message: `the page's Content Security Policy (${v.directive}) refuses the WebSocket to ${url}: add ${origin} to connect-src`,
      directive: `connect-src ${origin}`,
      url,
    });
  };
  watchers.add(watcher);
  return () => watchers.delete(watcher);
}
