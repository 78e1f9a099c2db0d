// Content Security Policy (issue 10 item 4): dist/exotelsdk.js on guide-style pages whose
// <meta> policy refuses WebAssembly (no 'wasm-unsafe-eval') or the SIP WebSocket (connect-src),
// in Chromium and in Firefox ESR. The app must hear RegisterEventCallBack('terminated') within
// 1 s with the reason and the directive to add ('wasm-unsafe-eval', never 'unsafe-eval'), and
// checkClientStatus must say the same; with both allowed the page registers (the control).
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as S from './support.mjs';

const T = { timeout: 90000 };
const USER = '1003';
// Firefox reports each CSP refusal as a console error, which puppeteer passes on as a page
// error: the browser's own report, not an exception of the page.
const pageErrors = (w) => w.pageErrors.filter((e) => !/^Error: Content-Security-Policy: /.test(e));

// The pages' policies (a <meta> each; the app is pages/csp-app.js, so no 'unsafe-inline').
const POLICIES = {
  'no-wasm': "script-src 'self'; connect-src ws://127.0.0.1:*",
  'no-connect': "script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'",
  ok: "script-src 'self' 'wasm-unsafe-eval'; connect-src ws://127.0.0.1:*",
};
const PAGES = path.join(S.RUN_BASE, `csp-pages-${process.pid}`);

function writePages() {
  fs.mkdirSync(PAGES, { recursive: true });
  for (const [name, policy] of Object.entries(POLICIES)) {
    fs.writeFileSync(
      path.join(PAGES, `${name}.html`),
      `<!doctype html>
<html>
<head>
  <meta charset="utf-8">
  <meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self'; ${policy}">
  <title>strict CSP (${name})</title>
  <script src="/dist/exotelsdk.js"></script>
</head>
<body>
  <script src="/tests/e2e/pages/csp-app.js"></script>
</body>
</html>
`,
    );
  }
  return () => fs.rmSync(PAGES, { recursive: true, force: true });
}

for (const browserName of ['chromium', 'firefox']) {
  describe(`strict CSP pages (${browserName}, dist/exotelsdk.js)`, () => {
    const stack = new S.Stack();
    let http;
    let kam;
    let newPage;

    before(async () => {
      stack.defer('csp pages', writePages());
      http = await S.startHttp(stack);
      kam = await S.startKamailio(stack, `csp-${browserName}`);
      const b = browserName === 'chromium' ? await S.launchChromium(stack) : await S.launchFirefox(stack);
      newPage = () => b.newPage();
    });
    after(() => stack.close());

    async function open(name) {
      const page = await newPage();
      stack.defer(`page ${name}`, () => page.close().catch(() => {}));
      const w = S.watchPage(page);
      await page.goto(http.url(`/${path.relative(S.ROOT, PAGES)}/${name}.html${S.registerQuery(kam, USER)}`));
      return { page, w };
    }

    const terminated = (page) =>
      S.waitFor(async () => {
        const [e, initAt] = await page.evaluate(() => [window.regEvents.find((x) => x[0] === 'terminated'), window.initAt]);
        return e ? { failure: e[2], after: e[3] - initAt } : null;
      }, { timeout: 15000, message: "RegisterEventCallBack('terminated')" });

    it("no 'wasm-unsafe-eval': terminated within 1 s naming it; checkClientStatus and DoRegister say so too", T, async () => {
      const { page, w } = await open('no-wasm');
      const t = await terminated(page);
      assert.ok(t.after < 1000, `terminated ${Math.round(t.after)} ms after initWebrtc`);
      assert.equal(t.failure.reason, 'csp_wasm');
      assert.match(t.failure.message, /add 'wasm-unsafe-eval' to script-src/);
      assert.doesNotMatch(t.failure.message, /add 'unsafe-eval'/, "never advises 'unsafe-eval'");
      const [status, why] = await page.evaluate(() => window.clientStatus());
      assert.equal(status, 'terminated');
      assert.equal(why && why.reason, 'csp_wasm', `checkClientStatus's reason: ${JSON.stringify(why)}`);
      assert.equal(await page.evaluate(() => window.exWebClient.DoRegister()), false, 'DoRegister returns false once init failed');
      const logs = await page.evaluate(() => window.logs.slice());
      assert.ok(logs.some(([type, m]) => type === 'error' && m.includes("add 'wasm-unsafe-eval' to script-src")), 'an error log line names the directive');
      assert.equal((await page.evaluate(() => window.regEvents)).length, 1, 'terminated once');
      assert.deepEqual(pageErrors(w), [], 'no page errors');
    });

    it('connect-src refuses the SIP server: terminated within 1 s naming connect-src and the origin', T, async () => {
      const { page, w } = await open('no-connect');
      const t = await terminated(page);
      assert.ok(t.after < 1000, `terminated ${Math.round(t.after)} ms after initWebrtc`);
      const origin = `ws://127.0.0.1:${kam.port}`;
      assert.equal(t.failure.reason, 'csp_connect_src', JSON.stringify(t.failure));
      assert.ok(t.failure.message.includes(`add ${origin} to connect-src`), t.failure.message);
      const [status, why] = await page.evaluate(() => window.clientStatus());
      assert.equal(status, 'websocket_connection_failed');
      assert.equal(why && why.reason, 'csp_connect_src');
      // The core's own failure of that attempt (after its connect timeout) is not reported again
      // with a vaguer reason: every terminated names the CSP.
      await new Promise((r) => setTimeout(r, 12000));
      const evs = await page.evaluate(() => window.regEvents.map((e) => [e[0], e[2] && e[2].reason]));
      assert.ok(evs.length >= 1 && evs.every(([s, r]) => s === 'terminated' && r === 'csp_connect_src'), `every event: ${JSON.stringify(evs)}`);
      assert.deepEqual(pageErrors(w), [], 'no page errors');
      assert.equal((await kam.contacts(USER)).length, 0, 'no binding');
    });

    it("with 'wasm-unsafe-eval' and connect-src for the server, the same page registers", T, async () => {
      const { page, w } = await open('ok');
      await S.waitFor(async () => (await page.evaluate(() => window.regEvents)).some((e) => e[0] === 'registered'), { message: 'registered' });
      assert.deepEqual(await page.evaluate(() => window.violations), [], 'no CSP violation');
      assert.deepEqual(pageErrors(w), [], 'no page errors');
      await page.evaluate(() => window.exWebClient.UnRegister());
      await S.waitFor(async () => (await kam.contacts(USER)).length === 0, { message: 'binding removed' });
    });
  });
}
