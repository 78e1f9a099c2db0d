// Helpers of the packaging tests: consumer projects installed from the packed tarball (cached
// under tests/.cache/packaging), commands and dev servers run as their users would, the
// browser check every app passes, and the sizes each project ships.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import * as S from '../e2e/support.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const CACHE = path.join(S.ROOT, 'tests/.cache/packaging');
export const TARBALL = path.join(CACHE, 'exotel-voice-sdk.tgz');
const QUIET = { NEXT_TELEMETRY_DISABLED: '1', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', CI: 'true' };

/**
 * Runs a command; resolves { out, ms } (stdout + stderr), rejects with the output's tail.
 * `env` adds to the environment.
 */
export function run(cmd, args, { cwd, env = {}, timeout = 240000 } = {}) {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...QUIET, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      out += `\n[killed after ${timeout} ms]`;
      process.kill(-child.pid, 'SIGKILL');
    }, timeout);
    child.on('close', (code) => {
      clearTimeout(timer);
      const ms = Date.now() - start;
      if (code === 0) resolve({ out, ms });
      else reject(new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${code}:\n${out.slice(-6000)}`));
    });
  });
}

/**
 * Starts a long-running command (a dev or production server) in its own process group,
 * stopped by the stack; resolves once `url` answers. Returns { output() }.
 */
export async function serve(stack, cmd, args, { cwd, url, env = {}, timeout = 120000 }) {
  const child = spawn(cmd, args, { cwd, env: { ...process.env, ...QUIET, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  let exited = null;
  child.on('exit', (code) => (exited = code));
  stack.defer(`${cmd} ${args[0] || ''}`, async () => {
    if (exited !== null) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch (_) {
      return;
    }
    const gone = await S.waitFor(() => exited !== null, { timeout: 5000 }).catch(() => false);
    if (!gone) process.kill(-child.pid, 'SIGKILL');
  });
  await S.waitFor(async () => exited !== null || (await fetch(url).catch(() => null)) !== null, {
    timeout,
    interval: 250,
    message: () => `${url} did not answer:\n${out.slice(-4000)}`,
  });
  if (exited !== null) throw new Error(`${cmd} ${args.join(' ')} exited ${exited}:\n${out.slice(-4000)}`);
  return { output: () => out };
}

function hashOf(...parts) {
  return crypto.createHash('sha256').update(parts.join('\0')).digest('hex');
}

/**
 * tests/packaging/projects/<name> copied to the cache and installed. `npm install` runs when
 * the project's package.json (or Node's version) changed since the last run; otherwise only
 * the SDK is replaced by the new tarball's content, which is all npm does for a package with no
 * dependencies. Bundler caches are removed, so no stale pre-bundle hides the new build.
 */
export async function project(name) {
  const src = path.join(HERE, 'projects', name);
  const dir = path.join(CACHE, name);
  const keep = new Set(['node_modules', 'package-lock.json', '.install-stamp']);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of fs.readdirSync(dir)) if (!keep.has(f)) fs.rmSync(path.join(dir, f), { recursive: true, force: true });
  fs.cpSync(src, dir, { recursive: true });
  // The app code every browser project shares (projects/shared) goes into its source folder.
  const code = ['src', 'app'].map((d) => path.join(dir, d)).find((d) => fs.existsSync(d));
  if (code) fs.cpSync(path.join(HERE, 'projects/shared'), code, { recursive: true });
  const stampFile = path.join(dir, '.install-stamp');
  const stamp = hashOf(fs.readFileSync(path.join(src, 'package.json'), 'utf8'), process.version);
  const installed = fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp && fs.existsSync(path.join(dir, 'node_modules'));
  let installMs = 0;
  if (!installed) {
    fs.rmSync(path.join(dir, 'node_modules'), { recursive: true, force: true });
    fs.rmSync(path.join(dir, 'package-lock.json'), { force: true });
    installMs = (await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: dir, timeout: 300000 })).ms;
    fs.writeFileSync(stampFile, stamp);
  } else {
    const sdk = path.join(dir, 'node_modules/exotel-voice-sdk');
    fs.rmSync(sdk, { recursive: true, force: true });
    fs.mkdirSync(sdk, { recursive: true });
    await run('tar', ['-xzf', TARBALL, '--strip-components=1', '-C', sdk], { cwd: dir });
  }
  for (const c of ['node_modules/.vite', 'node_modules/.cache', '.next', 'dist']) fs.rmSync(path.join(dir, c), { recursive: true, force: true });
  return { dir, installMs };
}

/**
 * Opens `url` in Chromium and waits until the app's window.result shows the SDK registered with
 * the test Kamailio (`until(result)`). Returns { result, wasm: [[path, status, type]], pageErrors }.
 */
export async function openApp(ctx, url, { until = (r) => r && r.events && r.events.includes('registered'), timeout = 30000 } = {}) {
  const page = await ctx.newPage();
  const w = S.watchPage(page);
  const wasm = [];
  const shipped = []; // [path, Promise<Buffer>] of every script and .wasm the page loaded
  page.on('response', (r) => {
    const isWasm = /\.wasm(\?|$)/.test(r.url());
    if (isWasm) wasm.push([new URL(r.url()).pathname, r.status(), r.headers()['content-type']]);
    if ((isWasm || r.request().resourceType() === 'script') && r.status() === 200) shipped.push([new URL(r.url()).pathname, r.body().catch(() => Buffer.alloc(0))]);
  });
  try {
    await page.goto(url, { timeout: 60000 });
    const result = await S.waitFor(
      async () => {
        const r = await page.evaluate(() => window.result).catch(() => null);
        return until(r) && r;
      },
      { timeout, message: async () => `${url}: ${JSON.stringify(await page.evaluate(() => window.result).catch((e) => String(e)))}\nconsole:\n${w.consoleTexts.slice(-20).join('\n')}\nerrors:\n${w.pageErrors.join('\n')}` },
    );
    return { page, result, wasm, shipped, pageErrors: w.pageErrors.map((e) => e.split('\n').slice(0, 3).join('\n')), consoleTexts: w.consoleTexts };
  } catch (e) {
    await page.close().catch(() => {});
    throw e;
  }
}

/** `?port=&user=&pass=` of a test account on `kam`. */
export const account = (kam, user) => S.registerQuery(kam, user);

// ---------------------------------------------------------------------------------------------
// Shipped sizes: every .js/.mjs/.wasm a build emitted for the browser, raw, gzip -9, brotli 11.

function sizeOf(buf) {
  const br = zlib.brotliCompressSync(buf, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  return { raw: buf.length, gzip: zlib.gzipSync(buf, { level: 9 }).length, brotli: br };
}

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

function record(label, items) {
  const total = { raw: 0, gzip: 0, brotli: 0, js: 0, jsBrotli: 0, wasm: 0 };
  for (const [name, buf] of items) {
    const s = sizeOf(buf);
    for (const k of ['raw', 'gzip', 'brotli']) total[k] += s[k];
    if (/\.wasm(\?|$)/.test(name)) total.wasm += s.raw;
    else {
      total.js += s.raw;
      total.jsBrotli += s.brotli;
    }
  }
  const files = items.length;
  const out = path.join(CACHE, 'sizes');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, `${label.replace(/[^\w.-]+/g, '_')}.json`), JSON.stringify({ label, files, ...total }));
  return total;
}

/** Records what `dir` ships (files matching `filter`) as `label`; returns the totals. */
export function recordSizes(label, dir, filter = (f) => /\.(m?js|wasm)$/.test(f)) {
  return record(label, walk(dir).filter(filter).map((f) => [f, fs.readFileSync(f)]));
}

/** Records the scripts and .wasm a page opened by openApp loaded (a production build's page). */
export async function recordShipped(label, app) {
  return record(label, await Promise.all(app.shipped.map(async ([p, body]) => [p, await body])));
}

/**
 * Whether the built client has destroy() (issue 12, landing separately): the React StrictMode
 * tests need it, and are skipped with this reason until then.
 */
export const NO_DESTROY = (() => {
  const { ExotelWebClient } = createRequire(import.meta.url)(path.join(S.ROOT, 'dist/npm/index.cjs'));
  return typeof new ExotelWebClient().destroy === 'function' ? false : 'ExotelWebClient.destroy() is not in this build yet';
})();

export { S };
