// Shared helpers for the end-to-end tests and the benchmark: a static HTTP server for the
// repo root, a private Kamailio per caller (scripts/kamailio.sh), browsers (Chromium through
// playwright-core, Firefox ESR through puppeteer-core), and bounded polling.
//
// Everything started here is registered in a `Stack`; `stack.close()` stops it all, in reverse
// order, and never throws, so an `after()` hook can always call it, even after a failure.
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import http from 'node:http';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const execFileP = promisify(execFile);

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const requireTool = createRequire(path.join(ROOT, 'tools/node/package.json'));
export const RUN_BASE = path.join(ROOT, 'tests/.run');
const KAMAILIO_SH = path.join(ROOT, 'scripts/kamailio.sh');

/** Test accounts of tests/kamailio/kamailio.cfg. */
export const USERS = {
  1001: 'pass1001',
  1002: 'pass1002',
  1003: 'pass1003',
  1004: 'pass1004',
};

// ---------------------------------------------------------------------------------------------
// Cleanup stack

export class Stack {
  constructor() {
    this.items = [];
  }

  /** Registers `fn` (sync or async) to run on close, after everything registered later. */
  defer(name, fn) {
    this.items.push({ name, fn });
  }

  async close() {
    const errors = [];
    while (this.items.length) {
      const { name, fn } = this.items.pop();
      try {
        await withTimeout(Promise.resolve().then(fn), 20000, `cleanup ${name}`);
      } catch (e) {
        errors.push(`${name}: ${e && e.message ? e.message : e}`);
      }
    }
    if (errors.length) console.error(`cleanup problems:\n  ${errors.join('\n  ')}`);
  }
}

function withTimeout(p, ms, what) {
  let t;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise((_, rej) => {
      t = setTimeout(() => rej(new Error(`${what} timed out after ${ms} ms`)), ms);
      t.unref?.();
    }),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Polling

/**
 * Polls `fn` (sync or async) until it returns a truthy value, and returns that value.
 * Throws after `timeout` ms with `message` (a string or a function of the last value/error).
 */
export async function waitFor(fn, { timeout = 10000, interval = 50, message = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  let lastErr;
  for (;;) {
    try {
      last = await fn();
      lastErr = undefined;
      if (last) return last;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() >= end) {
      const m = typeof message === 'function' ? message(last, lastErr) : message;
      const why = lastErr ? ` (last error: ${lastErr.message || lastErr})` : ` (last value: ${safeJson(last)})`;
      throw new Error(`timed out after ${timeout} ms waiting for ${m}${why}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

function safeJson(v) {
  try {
    return JSON.stringify(v);
  } catch (_) {
    return String(v);
  }
}

// ---------------------------------------------------------------------------------------------
// Static HTTP server for the repository root

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.wav': 'audio/wav',
  '.ico': 'image/x-icon',
};

/**
 * Serves ROOT on 127.0.0.1:<random port>. Returns { port, origin, url(p), close() }.
 * `charset`: the charset every text type declares (default utf-8), for legacy-server tests.
 */
export async function startHttp(stack, root = ROOT, { charset = 'utf-8' } = {}) {
  const base = path.resolve(root);
  const server = http.createServer((req, res) => {
    let rel;
    try {
      rel = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch (_) {
      res.writeHead(400).end();
      return;
    }
    if (rel === '/favicon.ico') {
      res.writeHead(204).end(); // browsers ask for it; a 404 would show up as a console error
      return;
    }
    const file = path.resolve(base, `.${rel}`);
    if (file !== base && !file.startsWith(base + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    fs.stat(file, (err, st) => {
      if (err || !st.isFile()) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      res.writeHead(200, {
        'content-type': (TYPES[path.extname(file).toLowerCase()] || 'application/octet-stream').replace('charset=utf-8', `charset=${charset}`),
        'content-length': st.size,
        'cache-control': 'no-store',
      });
      if (req.method === 'HEAD') res.end();
      else fs.createReadStream(file).pipe(res);
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(0, '127.0.0.1', res);
  });
  const { port } = server.address();
  const origin = `http://127.0.0.1:${port}`;
  const close = () =>
    new Promise((res) => {
      server.closeAllConnections?.();
      server.close(() => res());
    });
  stack?.defer('http server', close);
  return { port, origin, url: (p) => origin + p, close };
}

// ---------------------------------------------------------------------------------------------
// Kamailio

export async function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/**
 * Starts a private Kamailio (own port, own RUNDIR under tests/.run/). Returns
 * { port, rundir, dump(), aors(), contacts(user), clear(user?), rpc(...args), stop() }.
 * `outbound: true` starts it as an RFC 5626 edge (KAMAILIO_OUTBOUND=1, tests/kamailio/kamailio.cfg).
 */
export async function startKamailio(stack, name = 'e2e', { outbound = false } = {}) {
  const rundir = path.join(RUN_BASE, `kamailio-${name}-${process.pid}`);
  let lastErr;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      const env = outbound ? { ...process.env, KAMAILIO_OUTBOUND: '1' } : process.env;
      await execFileP('bash', [KAMAILIO_SH, 'start', String(port), rundir], { timeout: 30000, env });
      const stop = async () => {
        await execFileP('bash', [KAMAILIO_SH, 'stop', rundir], { timeout: 30000 });
        fs.rmSync(rundir, { recursive: true, force: true });
      };
      stack?.defer(`kamailio ${name}`, stop);
      const kam = {
        port,
        rundir,
        stop,
        log: () => fs.readFileSync(path.join(rundir, 'kamailio.log'), 'utf8'),
        /** SIGSTOP / SIGCONT to every Kamailio process: its sockets stay open, nothing answers. */
        freeze: () => process.kill(-Number(fs.readFileSync(path.join(rundir, 'pgid'), 'utf8').trim()), 'SIGSTOP'),
        thaw: () => process.kill(-Number(fs.readFileSync(path.join(rundir, 'pgid'), 'utf8').trim()), 'SIGCONT'),
        dump: () => ulDump(rundir),
        /** `kamcmd <args>` on this instance; resolves its stdout. */
        rpc: async (...args) => (await execFileP('kamcmd', ['-s', `unix:${rundir}/kamailio_ctl`, ...args.map(String)], { timeout: 10000 })).stdout,
        /** Contacts bound to AoR `user` (an AoR may be 'user' or 'user@domain'). */
        contacts: async (user) => {
          const aors = await ulDump(rundir);
          return aors.filter((a) => a.aor.split('@')[0] === String(user)).flatMap((a) => a.contacts);
        },
        /** Removes every binding of `user` (or all test users): a clean slate between tests. */
        clear: async (user) => {
          const users = user ? [String(user)] : (await ulDump(rundir)).map((a) => a.aor);
          for (const u of users) {
            // `s:` keeps kamcmd from sending a numeric AoR as an integer (ul.rm wants a string).
            const r = await execFileP('kamcmd', ['-s', `unix:${rundir}/kamailio_ctl`, 'ul.rm', 'location', `s:${u}`]);
            const out = `${r.stdout}${r.stderr}`;
            if (/error/i.test(out) && !/not found/i.test(out)) throw new Error(`kamcmd ul.rm ${u}: ${out.trim()}`);
          }
        },
      };
      return kam;
    } catch (e) {
      lastErr = e; // most likely a port race; try another port
    }
  }
  throw new Error(`could not start kamailio: ${lastErr && (lastErr.stderr || lastErr.message)}`);
}

/**
 * `kamcmd ul.dump` parsed into [{ aor, contacts: [{ address, expires, ... }] }].
 * Field names of the contacts are lower-cased kamcmd keys (address, expires, user-agent, ...).
 */
export async function ulDump(rundir) {
  const { stdout } = await execFileP('bash', [KAMAILIO_SH, 'dump', rundir], { timeout: 10000 });
  return aorsFromDump(parseKamcmd(stdout));
}

/** Parses kamcmd's structured text (`key: value`, `key: {` ... `}`); repeated keys → arrays. */
export function parseKamcmd(text) {
  const root = {};
  const stack = [root];
  const put = (obj, k, v) => {
    if (!(k in obj)) obj[k] = v;
    else if (Array.isArray(obj[k]) && obj[k].__multi) obj[k].push(v);
    else {
      const arr = [obj[k], v];
      Object.defineProperty(arr, '__multi', { value: true });
      obj[k] = arr;
    }
  };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (line === '{') {
      // anonymous top-level block
      const o = {};
      put(stack[stack.length - 1], '', o);
      stack.push(o);
      continue;
    }
    if (line === '}') {
      if (stack.length > 1) stack.pop();
      continue;
    }
    const i = line.indexOf(':');
    if (i < 0) continue;
    const k = line.slice(0, i).trim();
    const v = line.slice(i + 1).trim();
    if (v === '{') {
      const o = {};
      put(stack[stack.length - 1], k, o);
      stack.push(o);
    } else {
      put(stack[stack.length - 1], k, v);
    }
  }
  return root;
}

const list = (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function aorsFromDump(tree) {
  const out = [];
  for (const top of list(tree[''])) {
    for (const domains of list(top.Domains)) {
      for (const domain of list(domains.Domain)) {
        for (const aors of list(domain.AoRs)) {
          for (const info of list(aors.Info)) {
            const contacts = [];
            for (const cs of list(info.Contacts)) {
              for (const c of list(cs.Contact)) {
                const lc = {};
                for (const [k, v] of Object.entries(c)) lc[k.toLowerCase()] = v;
                contacts.push(lc);
              }
            }
            out.push({ aor: info.AoR, contacts });
          }
        }
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Browsers

export const CHROMIUM_ARGS = [
  '--disable-gpu',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

/**
 * Chromium keeps only the last `--disable-features=` (and `--enable-features=`) switch: merge
 * every occurrence into one, in first-seen order, so extra args cannot undo ours.
 */
export function mergeFeatureSwitches(args) {
  const out = [];
  const lists = new Map();
  for (const a of args) {
    const m = /^(--(?:disable|enable)-features)=(.*)$/.exec(a);
    if (!m) {
      out.push(a);
      continue;
    }
    if (!lists.has(m[1])) {
      lists.set(m[1], []);
      out.push(m[1]); // placeholder, filled below
    }
    for (const f of m[2].split(',')) if (f && !lists.get(m[1]).includes(f)) lists.get(m[1]).push(f);
  }
  return out.map((a) => (lists.has(a) ? `${a}=${lists.get(a).join(',')}` : a));
}

/**
 * Chromium via playwright-core, fresh user-data-dir. Returns the persistent BrowserContext.
 * `fakeAudioFile`: a WAV the fake microphone plays in a loop (--use-file-for-fake-audio-capture;
 * one per browser process, see toneWav()). `executablePath`: another launcher (e.g. one that runs
 * Chromium inside a network namespace, tests/net/netns.mjs).
 */
export async function launchChromium(stack, { args = [], fakeAudioFile, executablePath } = {}) {
  const { chromium } = requireTool('playwright-core');
  const udd = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-chromium-'));
  stack?.defer('chromium profile', () => fs.rmSync(udd, { recursive: true, force: true }));
  const extra = fakeAudioFile ? [`--use-file-for-fake-audio-capture=${fakeAudioFile}`] : [];
  const ctx = await chromium.launchPersistentContext(udd, {
    executablePath: executablePath || process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: mergeFeatureSwitches([...CHROMIUM_ARGS, ...extra, ...args]),
    timeout: 60000,
  });
  stack?.defer('chromium', () => ctx.close());
  return ctx;
}

/** Firefox ESR via puppeteer-core (WebDriver BiDi), headless, fake media. Returns the Browser. */
export async function launchFirefox(stack) {
  const puppeteer = requireTool('puppeteer-core');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'pptr-firefox-'));
  stack?.defer('firefox profile', () => fs.rmSync(profile, { recursive: true, force: true }));
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: process.env.FIREFOX || '/usr/bin/firefox-esr',
    headless: true,
    userDataDir: profile,
    timeout: 90000,
    protocolTimeout: 60000,
    extraPrefsFirefox: {
      'media.navigator.streams.fake': true,
      'media.navigator.permission.disabled': true,
      // Calls between two browsers on this machine: Firefox leaves loopback out of ICE otherwise.
      'media.peerconnection.ice.loopback': true,
      'network.captive-portal-service.enabled': false,
      'app.update.enabled': false,
      'datareporting.healthreport.uploadEnabled': false,
      'toolkit.telemetry.enabled': false,
    },
  });
  stack?.defer('firefox', () => browser.close());
  return browser;
}

/**
 * Wraps a page (Playwright or Puppeteer) with collectors: `consoleTexts` (every console
 * message as '[type] text') and `pageErrors` (uncaught exceptions / unhandled rejections).
 */
export function watchPage(page) {
  const w = { page, consoleTexts: [], pageErrors: [] };
  page.on('console', (m) => {
    try {
      w.consoleTexts.push(`[${m.type()}] ${m.text()}`);
    } catch (_) {
      /* page gone */
    }
  });
  page.on('pageerror', (e) => w.pageErrors.push(String(e && e.stack ? e.stack : e)));
  return w;
}

/**
 * Runs in a page before its scripts (addInitScript / evaluateOnNewDocument): counts the
 * keep-alive frames of every WebSocket, window.frames_ = { pings (CRLFCRLF sent), pongs (CRLF
 * received) }.
 */
export function countKeepAliveFrames() {
  window.frames_ = { pings: 0, pongs: 0 };
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    if (data === '\r\n\r\n') window.frames_.pings++;
    if (!this.__counted) {
      this.__counted = true;
      this.addEventListener('message', (e) => {
        if (e.data === '\r\n') window.frames_.pongs++;
      });
    }
    return send.call(this, data);
  };
}

/** Query string for the guide-style page register.html. */
export function registerQuery(kam, user, pass = USERS[user]) {
  return `?port=${kam.port}&user=${encodeURIComponent(user)}&pass=${encodeURIComponent(pass)}`;
}

// ---------------------------------------------------------------------------------------------
// Fake microphone signals

/**
 * A continuous sine tone as a 16-bit mono PCM WAV under tests/.run/tones/ (written once, then
 * reused): the default fake microphone only beeps once a second, and two ends sending the same
 * tone may be erased by echo cancellation, so each end gets its own frequency.
 */
export function toneWav(hz, { seconds = 10, rate = 48000, amplitude = 0.4 } = {}) {
  const file = path.join(RUN_BASE, 'tones', `tone-${hz}hz-${rate}-${seconds}s.wav`);
  if (fs.existsSync(file)) return file;
  const n = Math.round(seconds * rate);
  const buf = Buffer.alloc(44 + n * 2);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + n * 2, 4);
  buf.write('WAVE', 8, 'ascii');
  buf.write('fmt ', 12, 'ascii');
  buf.writeUInt32LE(16, 16); // fmt chunk size
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28); // byte rate
  buf.writeUInt16LE(2, 32); // block align
  buf.writeUInt16LE(16, 34); // bits per sample
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) {
    buf.writeInt16LE(Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * hz * i) / rate)), 44 + i * 2);
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, buf);
  fs.renameSync(tmp, file);
  return file;
}
