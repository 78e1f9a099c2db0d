// Next.js (Turbopack, its default): `next build` + `next start` with a server component that
// imports the SDK and a client component that registers; then `next dev`, whose StrictMode
// mounts the client component twice: one registration.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { project, run, serve, openApp, account, recordShipped, NO_DESTROY, S } from './lib.mjs';

const T = { timeout: 400000 };

describe('Next.js', () => {
  const stack = new S.Stack();
  let dir;
  let kam;
  let ctx;
  before(async () => {
    ({ dir } = await project('next'));
    kam = await S.startKamailio(stack, 'pkg-next');
    ctx = await S.launchChromium(stack);
  });
  after(() => stack.close());

  it('next build + next start: the server component renders, the client registers', T, async () => {
    await run('npx', ['next', 'build'], { cwd: dir, timeout: 300000 });
    const port = await S.freePort();
    const server = new S.Stack();
    try {
      await serve(server, 'npx', ['next', 'start', '-p', String(port), '-H', '127.0.0.1'], { cwd: dir, url: `http://127.0.0.1:${port}/` });
      const app = await openApp(ctx, `http://127.0.0.1:${port}/${account(kam, 1001)}`);
      assert.deepEqual(app.pageErrors, []);
      assert.match(await app.page.textContent('#server'), /^server: function object \d+\.\d+\.\d+/);
      assert.deepEqual(app.result.inits, [true]);
      assert.ok(app.wasm.some(([p, status]) => /^\/_next\/static\/.*\.wasm$/.test(p) && status === 200), JSON.stringify(app.wasm));
      await app.page.close();
      await recordShipped('Next 16 build: the page (Next and React included)', app);
    } finally {
      await server.close();
    }
  });

  it('next dev: StrictMode mounts twice, one client registers, one binding', { ...T, skip: NO_DESTROY }, async () => {
    const port = await S.freePort();
    await serve(stack, 'npx', ['next', 'dev', '-p', String(port), '-H', '127.0.0.1'], { cwd: dir, url: `http://127.0.0.1:${port}/`, timeout: 180000 });
    const app = await openApp(ctx, `http://127.0.0.1:${port}/${account(kam, 1002)}`, { timeout: 120000 });
    await new Promise((r) => setTimeout(r, 1500));
    const r = await app.page.evaluate(() => window.result);
    assert.deepEqual(app.pageErrors, []);
    assert.equal(r.mounts, 2, 'StrictMode mounted the effect twice');
    assert.equal(r.events.filter((e) => e === 'registered').length, 1, JSON.stringify(r));
    assert.equal((await kam.contacts(1002)).length, 1, 'one binding in Kamailio');
    await app.page.close();
  });
});
