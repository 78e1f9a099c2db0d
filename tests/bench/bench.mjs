// `make bench`: numbers, not pass/fail.
//   (a) bytes of dist/exotelsdk.js and dist/npm/{index.mjs, exotel_voice_bg.wasm}: raw, gzip -9, brotli -q 11
//   (b) time to 'registered' against a local Kamailio in Chromium: DoRegister → registered with
//       the wasm already loaded (warm), and page load → registered (cold); fresh page per run
//   (c) memory the SDK holds once registered: JS heap over a blank page (CDP, after GC) plus
//       wasm linear memory (exotelSDK.__wasmMemoryBytes(), "n/a" when the build lacks it)
//   (d) incoming call timings against a JsSIP far end (tests/e2e/farend/) in the same browser:
//       far end call() → 'incoming', Answer() → 'connected', Answer() → first inbound RTP packet,
//       incoming → ringtone playing (exotelSDK.__tones.isTonePlaying, "n/a" without it)
// Env: BENCH_RUNS (default 7), BENCH_CALL_RUNS (default 5).
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import * as S from '../e2e/support.mjs';
import { bundleFarEnd, openFarEnd } from '../e2e/farend/driver.mjs';

const RUNS = Math.max(1, Number(process.env.BENCH_RUNS || 7));
const USER = 1001;
const REF = { registeredMs: 1230, heldBytes: 1.7e6 }; // exotelsdk.js 3.0.10, as reported in the issue
const CALL_RUNS = Math.max(1, Number(process.env.BENCH_CALL_RUNS || 5));
const CALL_REF = { incomingMs: 54, connectedMs: 90, firstRtpMs: 158 }; // exotelsdk.js 3.0.10

// ---------------------------------------------------------------------------------------------
// formatting

const kb = (n) => (n === null || n === undefined ? 'n/a' : `${(n / 1024).toFixed(1)} KiB`);
const mb = (n) => (n === null || n === undefined ? 'n/a' : `${(n / 1024 / 1024).toFixed(2)} MiB`);
const ms = (n) => (n === null || n === undefined ? 'n/a' : `${n.toFixed(1)} ms`);

function table(head, rows) {
  const all = [head, ...rows].map((r) => r.map(String));
  const w = head.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(all[0]), w.map((n) => '-'.repeat(n)).join('  '), ...all.slice(1).map(line)].join('\n');
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], n: s.length };
}

// ---------------------------------------------------------------------------------------------
// (a) sizes

function compressed(file, cmd, args) {
  return execFileSync(cmd, [...args, '-c', file], { maxBuffer: 64 << 20 }).length;
}

function sizes() {
  const files = ['dist/exotelsdk.js', 'dist/npm/index.mjs', 'dist/npm/exotel_voice_bg.wasm'];
  const rows = [];
  const by = {};
  for (const f of files) {
    const abs = path.join(S.ROOT, f);
    const raw = fs.statSync(abs).size;
    const gz = compressed(abs, 'gzip', ['-9', '-n']);
    const br = compressed(abs, 'brotli', ['-q', '11']);
    by[f] = { raw, gz, br };
    rows.push([f, raw, gz, br]);
  }
  const esm = ['dist/npm/index.mjs', 'dist/npm/exotel_voice_bg.wasm'].map((f) => by[f]);
  const total = { raw: 0, gz: 0, br: 0 };
  for (const x of esm) for (const k of Object.keys(total)) total[k] += x[k];
  rows.push(['npm ESM total (index.mjs + .wasm)', total.raw, total.gz, total.br]);
  const fmt = rows.map(([f, raw, gz, br]) => [f, `${raw} B`, `${gz} B`, `${br} B`, kb(raw), kb(gz), kb(br)]);
  return table(['file', 'raw', 'gzip -9', 'brotli -q 11', 'raw', 'gzip', 'brotli'], fmt);
}

// ---------------------------------------------------------------------------------------------
// (b) registration time, (c) memory

async function registerOnce(ctx, http, kam, mode) {
  const page = await ctx.newPage();
  try {
    await page.goto(http.url(`/tests/bench/register.html${S.registerQuery(kam, USER)}&mode=${mode}`));
    const r = await S.waitFor(async () => {
      const x = await page.evaluate(() => window.result);
      return (x.error || x.coldMs !== undefined) && x;
    }, { timeout: 20000, message: `registered (${mode})` });
    if (r.error) throw new Error(`registration failed: ${r.error}`);
    return { page, result: r };
  } catch (e) {
    await page.close().catch(() => {});
    throw e;
  }
}

async function unregisterAndClose(page, kam) {
  await page.evaluate(() => window.exWebClient.UnRegister());
  await S.waitFor(async () => (await page.evaluate(() => window.events)).some((e) => e[0] === 'unregistered'), {
    timeout: 10000,
    message: 'unregistered',
  });
  await S.waitFor(async () => (await kam.contacts(USER)).length === 0, { message: 'binding gone' });
  await page.close();
}

async function heapAfterGc(page) {
  const cdp = await page.context().newCDPSession(page);
  try {
    for (let i = 0; i < 3; i++) await cdp.send('HeapProfiler.collectGarbage');
    return await cdp.send('Runtime.getHeapUsage');
  } finally {
    await cdp.detach().catch(() => {});
  }
}

async function memory(ctx, http, kam) {
  const samples = [];
  for (let i = 0; i < 3; i++) {
    const blank = await ctx.newPage();
    await blank.goto(http.url('/tests/bench/blank.html'));
    const base = await heapAfterGc(blank);
    await blank.close();

    const { page } = await registerOnce(ctx, http, kam, 'warm');
    const used = await heapAfterGc(page);
    const wasm = await page.evaluate(() =>
      typeof exotelSDK.__wasmMemoryBytes === 'function' ? exotelSDK.__wasmMemoryBytes() : null,
    );
    await unregisterAndClose(page, kam);
    samples.push({
      jsHeap: used.usedSize - base.usedSize,
      backing:
        used.backingStorageSize !== undefined && base.backingStorageSize !== undefined
          ? used.backingStorageSize - base.backingStorageSize
          : null,
      embedder:
        used.embedderHeapUsedSize !== undefined && base.embedderHeapUsedSize !== undefined
          ? used.embedderHeapUsedSize - base.embedderHeapUsedSize
          : null,
      wasm,
      baseUsed: base.usedSize,
      sdkUsed: used.usedSize,
    });
  }
  const med = (k) => (samples.every((s) => s[k] !== null) ? stats(samples.map((s) => s[k])).median : null);
  return {
    jsHeap: med('jsHeap'),
    backing: med('backing'),
    embedder: med('embedder'),
    wasm: med('wasm'),
    baseUsed: med('baseUsed'),
    sdkUsed: med('sdkUsed'),
    n: samples.length,
  };
}

// ---------------------------------------------------------------------------------------------
// (d) incoming calls

// Runs in the agent page (tests/e2e/pages/agent.html) before the far end calls: stamps the
// 'incoming' callback and, if the build exposes exotelSDK.__tones, polls for the ringtone.
function armIncoming() {
  const now = () => performance.timeOrigin + performance.now();
  const r = { tIncoming: null, tRingtone: null, tones: false };
  window.benchCall = r;
  const tones = window.exotelSDK && exotelSDK.__tones;
  r.tones = !!(tones && typeof tones.isTonePlaying === 'function');
  window.hooks.onCall = (type, t) => {
    if (type !== 'incoming' || r.tIncoming !== null) return;
    r.tIncoming = t;
    if (!r.tones) return;
    const poll = () => {
      if (tones.isTonePlaying('ringtone')) r.tRingtone = now();
      else if (now() - t < 5000) setTimeout(poll, 1);
    };
    poll();
  };
}

// Runs in the agent page: Answer(), then 'connected' and the first inbound RTP packet on the
// call's new RTCPeerConnection (getStats every 10 ms). Resolves with page-clock times.
function answerAndTime() {
  const now = () => performance.timeOrigin + performance.now();
  return new Promise((resolve) => {
    const pcsBefore = window.__pcs.length;
    const r = { tAnswer: null, tConnected: null, tFirstRtp: null, error: null };
    window.hooks.onCall = (type, t) => {
      if (type === 'connected' && r.tConnected === null) r.tConnected = t;
    };
    const deadline = now() + 10000;
    const poll = async () => {
      const pc = window.__pcs[pcsBefore];
      if (pc && pc.connectionState !== 'closed') {
        let packets = 0;
        (await pc.getStats()).forEach((s) => {
          if (s.type === 'inbound-rtp' && (s.kind === 'audio' || s.mediaType === 'audio')) packets += s.packetsReceived || 0;
        });
        if (packets > 0) {
          r.tFirstRtp = now();
          return resolve(r);
        }
      }
      if (now() > deadline) {
        r.error = 'no inbound RTP within 10 s of Answer()';
        return resolve(r);
      }
      setTimeout(poll, 10);
    };
    r.tAnswer = now();
    window.exWebClient.getCall().Answer();
    poll();
  });
}

async function oneCall(agent, far, i) {
  const since = (await agent.evaluate(() => window.callEvents.length)) || 0;
  await agent.evaluate(armIncoming);
  const id = await far.call('sip:1001@127.0.0.1', { callSid: `bench-${i}` });
  const waitType = (type) =>
    S.waitFor(async () => (await agent.evaluate(() => window.callEvents.map((e) => e.type))).slice(since).includes(type), {
      timeout: 15000,
      message: `bench call ${i}: '${type}'`,
    });
  await waitType('ringing');
  const inc = await agent.evaluate(() => window.benchCall);
  const farInfo = await far.info(id);
  const a = await agent.evaluate(answerAndTime);
  if (a.error) throw new Error(`bench call ${i}: ${a.error}`);
  await waitType('connected');
  if (a.tConnected === null) a.tConnected = (await agent.evaluate((n) => window.callEvents.slice(n).find((e) => e.type === 'connected'), since)).t;
  await far.waitEvent(id, 'confirmed');
  await far.hangup(id);
  await waitType('callEnded');
  await far.waitEnded(id);
  await S.waitFor(async () => {
    const m = await agent.evaluate(() => window.mediaState());
    return m.pcs.every((p) => p.connectionState === 'closed') && m.tracks.every((t) => t.readyState === 'ended');
  }, { message: `bench call ${i}: media released` });
  const sending = farInfo.times.sending ?? null;
  return {
    incoming: inc.tIncoming - farInfo.tInvite,
    incomingFromSend: sending === null ? null : inc.tIncoming - sending,
    ringtone: inc.tones && inc.tRingtone !== null ? inc.tRingtone - inc.tIncoming : null,
    tones: inc.tones,
    connected: a.tConnected - a.tAnswer,
    firstRtp: a.tFirstRtp - a.tAnswer,
  };
}

async function callTimings(ctx, http, kam) {
  await bundleFarEnd();
  const page = await ctx.newPage();
  await page.goto(http.url(`/tests/e2e/pages/agent.html${S.registerQuery(kam, USER)}&quiet=1`));
  await page.click('#unlock');
  await S.waitFor(async () => (await page.evaluate(() => window.regEvents)).some((e) => e[0] === 'registered'), {
    timeout: 15000,
    message: 'agent registered',
  });
  await S.waitFor(async () => (await kam.contacts(USER)).length > 0, { message: 'agent binding' });
  const far = await openFarEnd(ctx, http, kam, 1002);
  try {
    await oneCall(page, far, 'warm-up'); // not measured: first getUserMedia, first PC
    const runs = [];
    for (let i = 0; i < CALL_RUNS; i++) runs.push(await oneCall(page, far, i));
    return runs;
  } finally {
    await far.stop();
    await far.page.close().catch(() => {});
    await page.evaluate(() => window.exWebClient.UnRegister()).catch(() => {});
    await S.waitFor(async () => (await kam.contacts(USER)).length === 0, { message: 'agent binding gone' }).catch(() => {});
    await page.close().catch(() => {});
    await kam.clear().catch(() => {});
  }
}

function printCallTimings(runs, version) {
  const col = (k) => runs.map((r) => r[k]).filter((x) => x !== null && x !== undefined);
  const row = (label, k, ref) => {
    const xs = col(k);
    if (!xs.length) return [label, 'n/a', 'n/a', 'n/a', ref];
    const st = stats(xs);
    return [label, ms(st.median), ms(st.min), ms(st.max), ref];
  };
  console.log(`\n(d) incoming call, Chromium ${version} headless, JsSIP 3.13 far end (1002) in the same browser, Kamailio on loopback, ${runs.length} calls`);
  console.log('    (both pages stamp performance.timeOrigin + performance.now(); the far end call() includes its getUserMedia,');
  console.log('     offer and ICE gathering, "INVITE sent" starts at JsSIP\'s \'sending\' and includes Kamailio\'s 407 round trip)\n');
  console.log(
    table(
      ['measure', 'median', 'min', 'max', '3.0.10'],
      [
        row("far end call() → 'incoming'", 'incoming', `${CALL_REF.incomingMs} ms`),
        row("far end INVITE sent → 'incoming'", 'incomingFromSend', '-'),
        row("Answer() → 'connected'", 'connected', `${CALL_REF.connectedMs} ms`),
        row('Answer() → first inbound RTP packet (getStats every 10 ms)', 'firstRtp', `${CALL_REF.firstRtpMs} ms`),
        row("'incoming' → ringtone playing (exotelSDK.__tones)", 'ringtone', '-'),
      ],
    ),
  );
  for (const [k, name] of [['incoming', 'incoming'], ['connected', 'connected'], ['firstRtp', 'first RTP'], ['ringtone', 'ringtone']]) {
    const xs = runs.map((r) => r[k]);
    console.log(`    runs (${name}): ${xs.map((x) => (x === null ? 'n/a' : x.toFixed(1))).join(', ')} ms`);
  }
  if (!runs.some((r) => r.tones)) console.log('    ringtone: n/a (this build has no exotelSDK.__tones.isTonePlaying)');
  else if (runs.every((r) => r.ringtone === null)) console.log("    ringtone: n/a (isTonePlaying('ringtone') never became true within 5 s of 'incoming')");
}

async function main() {
  const stack = new S.Stack();
  try {
    console.log(`exotel-voice benchmark (${new Date().toISOString()}, ${process.platform}, node ${process.version})\n`);
    console.log('(a) bundle size (bytes; KiB = 1024 B)\n');
    console.log(sizes());

    const http = await S.startHttp(stack);
    const kam = await S.startKamailio(stack, 'bench');
    const ctx = await S.launchChromium(stack);
    const version = ctx.browser()?.version() ?? '';

    // One throw-away run so the first measured run does not pay for browser start-up.
    await unregisterAndClose((await registerOnce(ctx, http, kam, 'warm')).page, kam);

    const warm = [];
    const cold = [];
    for (let i = 0; i < RUNS; i++) {
      const w = await registerOnce(ctx, http, kam, 'warm');
      warm.push(w.result.regMs);
      await unregisterAndClose(w.page, kam);
      const c = await registerOnce(ctx, http, kam, 'cold');
      cold.push(c.result.coldMs);
      await unregisterAndClose(c.page, kam);
    }
    const sw = stats(warm);
    const sc = stats(cold);
    console.log(`\n(b) time to 'registered', Chromium ${version} headless, Kamailio on loopback ws://, ${RUNS} runs, fresh page each`);
    console.log('    (measured in the page with performance.now(); includes WebSocket connect, REGISTER → 401 → REGISTER → 200)\n');
    console.log(
      table(
        ['measure', 'median', 'min', 'max', '3.0.10 (issue)'],
        [
          ['DoRegister() → registered (wasm loaded, initWebrtc awaited)', ms(sw.median), ms(sw.min), ms(sw.max), `${REF.registeredMs} ms`],
          ['page load (navigation start) → registered', ms(sc.median), ms(sc.min), ms(sc.max), '-'],
        ],
      ),
    );
    console.log(`    runs (warm): ${warm.map((x) => x.toFixed(1)).join(', ')} ms`);
    console.log(`    runs (cold): ${cold.map((x) => x.toFixed(1)).join(', ')} ms`);

    const m = await memory(ctx, http, kam);
    const held = m.jsHeap + (m.wasm ?? 0);
    console.log(`\n(c) memory held by the SDK once registered (median of ${m.n}; CDP HeapProfiler.collectGarbage, Runtime.getHeapUsage)\n`);
    console.log(
      table(
        ['measure', 'value', 'bytes'],
        [
          ['JS heap used: blank page', mb(m.baseUsed), m.baseUsed],
          ['JS heap used: SDK page, registered', mb(m.sdkUsed), m.sdkUsed],
          ['JS heap held by the SDK (difference)', mb(m.jsHeap), m.jsHeap],
          ['wasm linear memory (exotelSDK.__wasmMemoryBytes())', mb(m.wasm), m.wasm ?? 'n/a'],
          ['total held (JS heap difference + wasm memory)', mb(m.wasm === null ? null : held), m.wasm === null ? 'n/a' : held],
          ['3.0.10 (issue): memory held', '~1.7 MB', `~${REF.heldBytes}`],
          ['  V8 backing stores difference (ArrayBuffers incl. wasm memory)', mb(m.backing), m.backing ?? 'n/a'],
        ],
      ),
    );
    if (m.wasm === null) console.log('    wasm memory: n/a (this build has no exotelSDK.__wasmMemoryBytes())');
    console.log('\nnotes: the bench page turns SDK console logging off (setEnableConsoleLogging(false)) so the');
    console.log('       DevTools console capture does not weigh on the timing; the SDK still formats its log lines.');

    printCallTimings(await callTimings(ctx, http, kam), version);
  } finally {
    await stack.close();
  }
}

main().catch((e) => {
  console.error(`bench: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
