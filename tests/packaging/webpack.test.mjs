// webpack 5: the ES import and the guide's require() in one build (publicPath 'auto'); both
// pages register from Chromium, served at / and under a sub-path; no size warnings.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { project, run, openApp, account, recordSizes, S } from './lib.mjs';

const T = { timeout: 300000 };

describe('webpack 5', () => {
  const stack = new S.Stack();
  let dir;
  let kam;
  let ctx;
  before(async () => {
    ({ dir } = await project('webpack'));
    kam = await S.startKamailio(stack, 'pkg-webpack');
    ctx = await S.launchChromium(stack);
  });
  after(() => stack.close());

  it('import and require(): no warnings, one separate .wasm asset, both register (also under /app/)', T, async () => {
    const { out } = await run('npx', ['webpack'], { cwd: dir });
    assert.doesNotMatch(out, /WARNING|ERROR/, 'webpack built without warnings (no [big] asset)');
    const dist = path.join(dir, 'dist');
    const wasm = fs.readdirSync(dist).filter((f) => f.endsWith('.wasm'));
    assert.equal(wasm.length, 1, `one .wasm asset: ${fs.readdirSync(dist)}`);
    for (const entry of ['esm', 'cjs']) {
      fs.writeFileSync(path.join(dist, `${entry}.html`), `<!doctype html><meta charset="utf-8"><script src="${entry}.js"></script>`);
      assert.ok(fs.statSync(path.join(dist, `${entry}.js`)).size < 150000, `${entry}.js carries no inlined wasm`);
    }
    fs.mkdirSync(path.join(dir, 'site'), { recursive: true });
    fs.rmSync(path.join(dir, 'site/app'), { recursive: true, force: true });
    fs.cpSync(dist, path.join(dir, 'site/app'), { recursive: true });
    const http = await S.startHttp(stack, path.join(dir, 'site'));
    let user = 1001;
    for (const entry of ['esm', 'cjs']) {
      const app = await openApp(ctx, http.url(`/app/${entry}.html${account(kam, user++)}`));
      assert.deepEqual(app.pageErrors, []);
      assert.equal(app.result.initOk, true, `${entry}: wasm loaded`);
      assert.ok(app.result.events.includes('registered'), entry);
      assert.deepEqual(app.wasm.map(([p, status]) => [p, status]), [[`/app/${wasm[0]}`, 200]], `${entry}: the .wasm next to the chunk`);
      assert.deepEqual(app.result.members, { initDiagnostics: 'function', changeAudioInputDevice: 'function', SessionListener: 'function', initialize: 'function', downloadLogs: 'function' });
      await app.page.close();
    }
    for (const entry of ['esm', 'cjs']) {
      recordSizes(`webpack 5 ${entry === 'esm' ? 'import' : 'require()'}`, dist, (f) => f.endsWith(`${entry}.js`) || f.endsWith('.wasm'));
    }
  });
});
