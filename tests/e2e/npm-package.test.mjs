// The npm shapes of the build: dist/npm/index.mjs (ESM + sibling .wasm) in a browser, and the
// CommonJS / ESM / UMD entries loaded in plain Node (no window, no DOM) without throwing.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import * as S from './support.mjs';

const execFileP = promisify(execFile);
const T = { timeout: 60000 };

const CJS = path.join(S.ROOT, 'dist/npm/index.cjs');
const ESM = path.join(S.ROOT, 'dist/npm/index.mjs');
const UMD = path.join(S.ROOT, 'dist/exotelsdk.js');

/**
 * Runs `code` in a fresh Node process (so no test runner globals leak in) and returns the JSON
 * it prints on its last stdout line. The child reports what the module exposes and whether
 * constructing a client and a rejected initWebrtc work without a browser.
 */
async function inFreshNode(code, { esm = false } = {}) {
  const args = esm ? ['--input-type=module', '-e', code] : ['-e', code];
  const { stdout, stderr } = await execFileP(process.execPath, args, { cwd: S.ROOT, timeout: 30000 }).catch((e) => {
    throw new Error(`node child failed (exit ${e.code}):\n${e.stdout}\n${e.stderr}`);
  });
  const line = stdout.trim().split('\n').pop();
  try {
    return { ...JSON.parse(line), stderr };
  } catch (_) {
    throw new Error(`unexpected child output:\n${stdout}\n${stderr}`);
  }
}

// Shared probe body: `m` is the loaded module namespace / exports object.
const PROBE = `
  const out = { hasWindow: typeof window !== 'undefined', type: typeof m.ExotelWebClient };
  try {
    const c = new m.ExotelWebClient();
    out.constructed = true;
    out.hasDoRegister = typeof c.DoRegister === 'function';
    // Missing fields: must resolve false (logged), not throw, and not need a browser.
    out.badInit = await c.initWebrtc({ userName: 'x' }, () => {}, () => {}, () => {});
  } catch (e) {
    out.error = String(e && e.stack || e);
  }
  console.log(JSON.stringify(out));
`;

describe('npm package: ESM entry in the browser', () => {
  const stack = new S.Stack();
  let http;
  let kam;
  let ctx;

  before(async () => {
    http = await S.startHttp(stack);
    kam = await S.startKamailio(stack, 'npm');
    ctx = await S.launchChromium(stack);
  });
  after(() => stack.close());

  it('import { ExotelWebClient } from /dist/npm/index.mjs registers and unregisters', T, async () => {
    const page = await ctx.newPage();
    const w = S.watchPage(page);
    const wasm = [];
    page.on('response', (r) => {
      if (r.url().endsWith('.wasm')) wasm.push({ url: r.url(), status: r.status(), type: r.headers()['content-type'] });
    });
    try {
      await page.goto(http.url(`/tests/e2e/pages/esm.html${S.registerQuery(kam, 1001)}`));
      const events = await S.waitFor(
        async () => {
          const ev = await page.evaluate(() => window.events.slice());
          return ev.some((e) => e[0] === 'registered') && ev;
        },
        { message: 'registered (ESM page)' },
      );
      assert.equal(events.filter((e) => e[0] === 'registered').length, 1);
      assert.equal(await page.evaluate(() => window.initResult), true, 'initWebrtc resolved true');
      assert.deepEqual(
        wasm.map((x) => [new URL(x.url).pathname, x.status, x.type]),
        [['/dist/npm/exotel_voice_bg.wasm', 200, 'application/wasm']],
        'the sibling .wasm was fetched once, next to index.mjs',
      );
      await S.waitFor(async () => (await kam.contacts(1001)).length === 1, { message: 'binding of 1001' });

      await page.evaluate(() => window.exWebClient.UnRegister());
      await S.waitFor(async () => (await page.evaluate(() => window.events)).some((e) => e[0] === 'unregistered'), {
        message: 'unregistered (ESM page)',
      });
      await S.waitFor(async () => (await kam.contacts(1001)).length === 0, { message: 'binding of 1001 gone' });
      assert.deepEqual(w.pageErrors, [], 'no page errors');
      assert.equal(w.consoleTexts.find((t) => t.includes(S.USERS[1001])), undefined, 'no password in console');
    } finally {
      await page.close().catch(() => {});
    }
  });
});

describe('npm package: plain Node (no window)', () => {
  it("require('dist/npm/index.cjs') exports ExotelWebClient", T, async () => {
    const r = await inFreshNode(`(async () => { const m = require(${JSON.stringify(CJS)}); ${PROBE} })()`);
    assert.equal(r.error, undefined, r.error);
    assert.equal(r.hasWindow, false);
    assert.equal(r.type, 'function');
    assert.equal(r.constructed, true);
    assert.equal(r.hasDoRegister, true);
    assert.equal(r.badInit, false, 'initWebrtc with missing fields resolves false');
  });

  it("import('dist/npm/index.mjs') exports ExotelWebClient", T, async () => {
    const url = pathToFileURL(ESM).href;
    const r = await inFreshNode(`const m = await import(${JSON.stringify(url)}); ${PROBE}`, { esm: true });
    assert.equal(r.error, undefined, r.error);
    assert.equal(r.hasWindow, false);
    assert.equal(r.type, 'function');
    assert.equal(r.constructed, true);
    assert.equal(r.badInit, false);
  });

  it("the guide's npm snippet: require('./dist/exotelsdk.js').ExotelWebClient", T, async () => {
    const r = await inFreshNode(
      `(async () => { const exotelSDK = require(${JSON.stringify(UMD)}); const m = exotelSDK; ${PROBE} })()`,
    );
    assert.equal(r.error, undefined, r.error);
    assert.equal(r.hasWindow, false);
    assert.equal(r.type, 'function');
    assert.equal(r.constructed, true);
    assert.equal(r.badInit, false);
  });
});
