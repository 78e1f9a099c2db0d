// Vite 8 (current), 7 and 6 (still widely installed; their dev servers pre-bundle the SDK
// without its .wasm): production build served statically and the dev server, each page
// registering with a test Kamailio from Chromium; in Vite 8 also the lean entry and a React
// StrictMode app (two mounts, one registration).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { project, run, serve, openApp, account, recordShipped, NO_DESTROY, S } from './lib.mjs';

const T = { timeout: 300000 };

const FULL = { initDiagnostics: 'function', changeAudioInputDevice: 'function', SessionListener: 'function', initialize: 'function', downloadLogs: 'function' };
// exotel-voice-sdk/core + withDevices: devices added, diagnostics and multi-tab left out.
const LEAN = { ...FULL, initDiagnostics: 'undefined', SessionListener: 'undefined' };

/** The guide-style page registered once, fetched the .wasm, threw nothing. */
function assertRegistered(app, what, members = FULL) {
  assert.deepEqual(app.pageErrors, [], `${what}: no page errors`);
  assert.equal(app.result.initOk, true, `${what}: initWebrtc resolved true (wasm loaded)`);
  assert.deepEqual(app.result.events.slice(0, 2), ['sent_request', 'registered'], `${what}: registered`);
  assert.ok(app.wasm.some(([, status, type]) => status === 200 && /application\/wasm/.test(type)), `${what}: the .wasm was fetched: ${JSON.stringify(app.wasm)}`);
  assert.deepEqual(app.result.members, members, `${what}: the client's members`);
}

for (const major of [8, 7, 6]) {
  describe(`Vite ${major}`, () => {
    const stack = new S.Stack();
    let dir;
    let kam;
    let ctx;
    let devUrl; // one dev server per project (Vite 8 refuses a second one)
    before(async () => {
      ({ dir } = await project(`vite${major}`));
      kam = await S.startKamailio(stack, `pkg-vite${major}`);
      ctx = await S.launchChromium(stack);
    });
    after(() => stack.close());

    it('vite build: the app registers from the static build; the .wasm is a hashed asset', T, async () => {
      const { out } = await run('npx', ['vite', 'build'], { cwd: dir });
      assert.doesNotMatch(out, /warn|error/i, 'a clean build');
      const http = await S.startHttp(stack, path.join(dir, 'dist'));
      const app = await openApp(ctx, http.url(`/index.html${account(kam, 1001)}`));
      assertRegistered(app, `vite ${major} build`);
      assert.match(app.wasm[0][0], /^\/assets\/exotel_voice_bg-[\w-]+\.wasm$/);
      await app.page.close();
      const full = await recordShipped(`Vite ${major} build: the guide's page`, app);
      assert.ok(full.wasm > 100000 && full.jsBrotli < 40000, JSON.stringify(full));
      if (major !== 8) return;
      // The lean entry: what it leaves out is not shipped.
      const lean = await openApp(ctx, http.url(`/lean.html${account(kam, 1004)}`));
      assertRegistered(lean, 'vite 8 build, lean entry', LEAN);
      await lean.page.close();
      const leanJs = (await Promise.all(lean.shipped.map(([, b]) => b))).map(String).join('');
      assert.doesNotMatch(leanJs, /TROUBLESHOOTER_FSM_REPORT|app-data/, 'no diagnostics or multi-tab code in the lean page');
      const sizes = await recordShipped('Vite 8 build: exotel-voice-sdk/core + withDevices', lean);
      assert.ok(sizes.jsBrotli < full.jsBrotli - 4000, `lean ${sizes.jsBrotli} B vs full ${full.jsBrotli} B (brotli)`);
      const react = await openApp(ctx, http.url(`/react.html${account(kam, 1003)}`), { until: (r) => r && r.events.includes('registered') });
      await react.page.close();
      await recordShipped('Vite 8 build: React app (React included)', react);
    });

    it('vite dev server: the app registers without SDK-specific config', T, async () => {
      const port = await S.freePort();
      devUrl = `http://127.0.0.1:${port}`;
      await serve(stack, 'npx', ['vite', '--port', String(port), '--strictPort', '--host', '127.0.0.1'], { cwd: dir, url: `${devUrl}/` });
      const app = await openApp(ctx, `${devUrl}/index.html${account(kam, 1002)}`, { timeout: 60000 });
      assertRegistered(app, `vite ${major} dev`);
      if (major !== 8) {
        // Pre-bundled into .vite/deps without its asset: that URL gets index.html, and the SDK
        // takes the .wasm from the package folder instead.
        assert.deepEqual(
          app.wasm.map(([p, status, type]) => [p.replace(/\/deps[^/]*\//, '/deps/'), status, type.split(';')[0]]),
          [
            ['/node_modules/.vite/deps/exotel_voice_bg.wasm', 200, 'text/html'],
            ['/node_modules/exotel-voice-sdk/exotel_voice_bg.wasm', 200, 'application/wasm'],
          ],
        );
      }
      await app.page.close();
    });

    if (major === 8) {
      it('React StrictMode in the dev server: two mounts, one client registered, one binding', { ...T, skip: NO_DESTROY }, async () => {
        assert.ok(devUrl, 'the dev server test ran');
        await kam.clear(1003); // the production build's React page left its binding
        const app = await openApp(ctx, `${devUrl}/react.html${account(kam, 1003)}`, { timeout: 60000 });
        await new Promise((r) => setTimeout(r, 1500)); // room for a second registration, if any
        const r = await app.page.evaluate(() => window.result);
        assert.deepEqual(app.pageErrors, []);
        assert.equal(r.mounts, 2, 'StrictMode mounted the effect twice');
        assert.equal(r.events.filter((e) => e === 'registered').length, 1, `one registration: ${JSON.stringify(r)}`);
        assert.equal(await app.page.textContent('#state'), 'registered');
        assert.equal((await kam.contacts(1003)).length, 1, 'one binding in Kamailio');
        assert.deepEqual(r.logs.filter((l) => /already used/.test(l)), [], 'the second mount was not refused');
        await app.page.close();
      });
    }
  });
}
