// The demo as a person uses it (`make demo`): the sample app (sample-app/) served by the demo's
// own server (scripts/serve.mjs, which maps / to the sample app) and a private Kamailio, opened
// twice (1001 and 1002, each in its own Chromium with its own microphone tone). Register on
// both, 1001 dials 1002 with the dial box and the Call button, 1002 clicks Answer, audio flows
// both ways, Hang up, both idle. Only the page's buttons and text are used to drive and read
// the app; an init script records every RTCPeerConnection so RTP can be read from getStats.
// The sample app keeps the SDK's default ICE servers (Google STUN, unreachable here): the call
// must still connect; nothing about time is measured. Screenshot: tests/.run/demo-call.png.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import * as S from './support.mjs';

const T = { timeout: 150000 };
const SHOT = path.join(S.RUN_BASE, 'demo-call.png');

const stack = new S.Stack();
let kam;
let server; // { origin }
let ctxA; // Chromium for 1001 (440 Hz microphone)
let ctxB; // Chromium for 1002 (1 kHz microphone)

/** Runs before any page script: records every RTCPeerConnection (no SDK hooks). */
function recordPeerConnections() {
  window.__pcs = [];
  window.__pcConfigs = [];
  window.__tracks = [];
  const Native = window.RTCPeerConnection;
  class RecordedPeerConnection extends Native {
    constructor(...args) {
      super(...args);
      window.__pcs.push(this);
      let cfg = null;
      try {
        cfg = JSON.parse(JSON.stringify(args[0] === undefined ? null : args[0]));
      } catch (_) {
        cfg = 'unserialisable';
      }
      window.__pcConfigs.push(cfg);
    }
  }
  window.RTCPeerConnection = RecordedPeerConnection;
  const md = navigator.mediaDevices;
  if (md && md.getUserMedia) {
    const gum = md.getUserMedia.bind(md);
    md.getUserMedia = (c) => gum(c).then((s) => (s.getTracks().forEach((t) => window.__tracks.push(t)), s));
  }
  window.__rtp = async () => {
    const pc = window.__pcs[window.__pcs.length - 1];
    const out = { bytesReceived: 0, bytesSent: 0, pcs: window.__pcs.length };
    if (!pc || pc.connectionState === 'closed') return out;
    (await pc.getStats()).forEach((s) => {
      if (s.kind !== 'audio') return;
      if (s.type === 'inbound-rtp') out.bytesReceived += s.bytesReceived || 0;
      else if (s.type === 'outbound-rtp') out.bytesSent += s.bytesSent || 0;
    });
    return out;
  };
  window.__media = () => ({
    pcs: window.__pcs.map((pc) => pc.connectionState),
    tracks: window.__tracks.map((t) => t.readyState),
  });
}

/**
 * Starts scripts/serve.mjs (the demo's server) on a free port, through a small wrapper that
 * exits when its stdin closes: if this test process dies without cleanup, the server goes too.
 */
async function startDemoServer(stack) {
  const serve = path.join(S.ROOT, 'scripts/serve.mjs');
  let lastErr;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await S.freePort();
    const wrapper = `process.stdin.on('end', () => process.exit(0)); process.stdin.on('data', () => {}); await import(${JSON.stringify(pathToFileURL(serve).href)});`;
    // argv for `node -e`: [node, 'serve', port] — serve.mjs reads its port from argv[2].
    const child = spawn(process.execPath, ['--input-type=module', '-e', wrapper, 'serve', String(port)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise((res) => child.once('exit', (code, sig) => res({ code, sig })));
    const stop = async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    };
    try {
      const up = await Promise.race([
        S.waitFor(() => /serving .* at http:\/\/127\.0\.0\.1:\d+\//.test(out), { timeout: 10000, message: 'demo server to listen' }),
        exited.then((x) => {
          throw new Error(`demo server exited (${JSON.stringify(x)}): ${out.trim()}`);
        }),
      ]);
      assert.ok(up);
      stack.defer('demo server', stop);
      return { port, origin: `http://127.0.0.1:${port}`, output: () => out };
    } catch (e) {
      lastErr = e; // most likely a port race; try another port
      await stop();
    }
  }
  throw lastErr;
}

describe('demo: the sample app, two tabs calling each other (scripts/serve.mjs + Kamailio)', () => {
  before(async () => {
    kam = await S.startKamailio(stack, 'demo');
    server = await startDemoServer(stack);
    ctxA = await S.launchChromium(stack, { fakeAudioFile: S.toneWav(440) });
    ctxB = await S.launchChromium(stack, { fakeAudioFile: S.toneWav(1000) });
    for (const ctx of [ctxA, ctxB]) await ctx.addInitScript(recordPeerConnections);
  });

  after(() => stack.close());

  it('Register both, 1001 dials 1002, 1002 answers: both connected, RTP both ways; Hang up → both idle', T, async () => {
    const a = await openDemo(ctxA, '1001');
    const b = await openDemo(ctxB, '1002');

    for (const o of [a, b]) await o.page.click('#register');
    for (const o of [a, b]) {
      await waitText(o, '#reg-state', (t) => t.startsWith('registered'), 'registered', 20000);
      await S.waitFor(async () => (await kam.contacts(o.user)).length > 0, { message: `binding of ${o.user} in Kamailio` });
      assert.equal(await o.page.isEnabled('#call-btn'), true, `${o.user}: Call enabled once registered`);
      assert.equal(await o.page.textContent('#call-state'), 'idle');
    }

    await a.page.fill('#dial', '1002');
    await a.page.click('#call-btn');
    await waitText(b, '#call-state', (t) => t === 'incoming', 'incoming', 30000);
    await S.waitFor(() => b.page.isEnabled('#answer-btn'), { message: '1002: Answer enabled' });
    assert.match(await b.page.textContent('#call-peer'), /incoming .*1001/, '1002 shows who calls');
    await waitText(a, '#call-state', (t) => t === 'ringing', 'ringing', 30000);
    assert.match(await a.page.textContent('#call-peer'), /outgoing .*1002/, '1001 shows whom it calls');

    await b.page.click('#answer-btn');
    await waitText(b, '#call-state', (t) => t === 'connected', 'connected', 30000);
    await waitText(a, '#call-state', (t) => t === 'connected', 'connected', 30000);
    for (const o of [a, b]) {
      assert.equal(await o.page.isEnabled('#hangup-btn'), true, `${o.user}: Hang up enabled`);
      assert.equal(await o.page.isEnabled('#call-btn'), false, `${o.user}: Call disabled during the call`);
    }

    await waitRtpGrowing(a);
    await waitRtpGrowing(b);
    for (const o of [a, b]) {
      // The scenario this test is about: the SDK's default ICE servers, unreachable here.
      const cfgs = await o.page.evaluate(() => window.__pcConfigs);
      const urls = JSON.stringify(cfgs[cfgs.length - 1] && cfgs[cfgs.length - 1].iceServers);
      assert.match(urls, /stun:stun\.l\.google\.com/, `${o.user}: the default (Google STUN) ICE servers: ${JSON.stringify(cfgs)}`);
    }
    // The microphone picker, mid-call: the answering tab switches to another (fake) device.
    const mic = await b.page.$eval('#mic', (el) => [...el.options].map((o) => o.value).find((v) => v !== 'default' && v !== el.value));
    assert.ok(mic, 'the microphone picker lists the fake devices');
    await b.page.selectOption('#mic', mic);
    await waitText(b, '#log', (t) => t.includes(`mic: ${mic}`), 'the picker confirms the switch');
    await waitRtpGrowing(a);
    await a.page.screenshot({ path: SHOT, fullPage: true });

    await a.page.click('#hangup-btn');
    for (const o of [a, b]) {
      await waitText(o, '#call-state', (t) => t === 'idle', 'idle', 20000);
      await S.waitFor(async () => {
        const m = await o.page.evaluate(() => window.__media());
        return m.pcs.length >= 1 && m.pcs.every((s) => s === 'closed') && m.tracks.every((s) => s === 'ended') ? m : null;
      }, { message: `${o.user}: peer connection closed and microphone released` });
      assert.equal(await o.page.isEnabled('#call-btn'), true, `${o.user}: Call enabled again`);
      assert.equal(await o.page.isEnabled('#hangup-btn'), false, `${o.user}: Hang up disabled again`);
    }

    for (const o of [a, b]) {
      assert.deepEqual(o.w.pageErrors, [], `${o.user}: page errors`);
      const errors = await o.page.$$eval('#log div.error', (els) => els.map((e) => e.textContent));
      assert.deepEqual(errors, [], `${o.user}: error lines in the sample app's log`);
      assert.deepEqual(o.w.consoleErrors, [], `${o.user}: console errors`);
    }
  });
});

async function openDemo(ctx, user) {
  const page = await ctx.newPage();
  const w = S.watchPage(page);
  // Console errors with where they came from; scripts/serve.mjs answers /favicon.ico with a
  // 404, which Chromium logs as an error: that one is not the app's.
  const consoleErrors = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const url = (m.location() && m.location().url) || '';
    if (!/\/favicon\.ico$/.test(url)) consoleErrors.push(`${m.text()} (${url})`);
  });
  w.consoleErrors = consoleErrors;
  await page.goto(`${server.origin}/?user=${user}&port=${kam.port}`);
  return { page, w, user };
}

function waitText(o, sel, pred, what, timeout = 15000) {
  return S.waitFor(async () => pred(((await o.page.textContent(sel)) || '').trim()), {
    timeout,
    message: `${o.user}: ${sel} ${what}`,
  }).catch(async (e) => {
    const text = await o.page.textContent(sel).catch(() => null);
    const log = await o.page.textContent('#log').catch(() => '');
    throw new Error(`${e.message}; ${sel} shows ${JSON.stringify(text)}; app log:\n${log}`);
  });
}

/** Inbound RTP bytes > 0 on the page's newest peer connection, then growing. */
async function waitRtpGrowing(o) {
  const first = await S.waitFor(async () => {
    const s = await o.page.evaluate(() => window.__rtp());
    return s.bytesReceived > 0 ? s : null;
  }, { timeout: 20000, message: `${o.user}: first inbound RTP bytes` });
  await S.waitFor(async () => {
    const s = await o.page.evaluate(() => window.__rtp());
    return s.bytesReceived > first.bytesReceived && s.bytesSent > first.bytesSent ? s : null;
  }, { timeout: 20000, message: `${o.user}: inbound and outbound RTP bytes growing` });
}
