// (f) A shift in one tab: BENCH_SOAK_CALLS (default 200) calls in one agent page, answered and
// hung up (alternately by us and by the far end), with the page's JS heap (CDP, after forced GC)
// and the wasm linear memory read after each. Issue 11 asks that memory levels off: growth under
// 2 % once the SDK's bounded buffers are full. The log ring (1000 lines, 1 MiB, as 3.0.10 keeps
// them) fills over the first ~120 calls at ~8 lines a call, so the steady state is measured from
// 10 calls after it first holds 1000 lines (from call 20 when it never fills); growth from call
// 20 is printed too. Both ends are medians of 10 calls, so one GC's timing does not decide it.
// The agent page's own records are emptied after each call, so the heap is the SDK's and the
// browser's, not the test's.
import * as S from '../e2e/support.mjs';
import { bundleFarEnd, openFarEnd } from '../e2e/farend/driver.mjs';

const CALLS = Math.max(30, Number(process.env.BENCH_SOAK_CALLS || 200));
const BUDGET = 0.02;

async function heapAfterGc(cdp) {
  for (let i = 0; i < 3; i++) await cdp.send('HeapProfiler.collectGarbage');
  return (await cdp.send('Runtime.getHeapUsage')).usedSize;
}

async function oneCall(page, far, i) {
  const count = (type) => page.evaluate((t) => window.callEvents.filter((e) => e.type === t).length, type);
  const what = (m) => `soak call ${i}: ${m}`;
  const [ringing, connected, ended] = [await count('ringing'), await count('connected'), await count('callEnded')];
  const id = await far.call('sip:1001@127.0.0.1', { callSid: `soak-${i}` });
  await S.waitFor(async () => (await count('ringing')) > ringing, { timeout: 15000, message: what("'ringing'") });
  await page.evaluate(() => window.exWebClient.getCall().Answer());
  await S.waitFor(async () => (await count('connected')) > connected, { timeout: 15000, message: what("'connected'") });
  await far.waitEvent(id, 'confirmed');
  if (i % 2) await far.hangup(id);
  else await page.evaluate(() => window.exWebClient.getCall().Hangup());
  await S.waitFor(async () => (await count('callEnded')) > ended, { timeout: 15000, message: what("'callEnded'") });
  await far.waitEnded(id);
  await S.waitFor(async () => {
    const m = await page.evaluate(() => window.mediaState());
    return m.pcs.every((p) => p.connectionState === 'closed') && m.tracks.every((t) => t.readyState === 'ended');
  }, { message: what('media released') });
  // The test page's own records (every log line, call event with its details, closed PC and
  // ended track) would otherwise grow with each call and be counted as the SDK's.
  await page.evaluate(() => {
    for (const k of ['logs', 'callEvents', 'sessionEvents', '__pcs', '__pcConfigs', '__tracks']) window[k].length = 0;
  });
}

/** Runs the soak; returns { samples: [{ call, heap, wasm }], version, seconds }. */
export async function soak(stack, http, kam) {
  await bundleFarEnd();
  const ours = await S.launchChromium(stack, { fakeAudioFile: S.toneWav(440) });
  // The far end in its own browser: pages of one origin in one browser may share a V8 heap.
  const theirs = await S.launchChromium(stack, { fakeAudioFile: S.toneWav(1000) });
  const page = await ours.newPage();
  await page.goto(http.url(`/tests/e2e/pages/agent.html${S.registerQuery(kam, 1001)}&quiet=1`));
  await page.click('#unlock');
  await S.waitFor(async () => (await page.evaluate(() => window.regEvents)).some((e) => e[0] === 'registered'), { timeout: 15000, message: 'soak agent registered' });
  await S.waitFor(async () => (await kam.contacts(1001)).length > 0, { message: 'soak agent binding' });
  const far = await openFarEnd(theirs, http, kam, 1002);
  const cdp = await ours.newCDPSession(page);
  const samples = [];
  const t0 = Date.now();
  try {
    for (let i = 1; i <= CALLS; i++) {
      await oneCall(page, far, i);
      const heap = await heapAfterGc(cdp);
      const wasm = await page.evaluate(() => (typeof exotelSDK.__wasmMemoryBytes === 'function' ? exotelSDK.__wasmMemoryBytes() : 0));
      // The ring as last flushed (at most 1 s old): enough to see when it is full.
      const ring = await page.evaluate(() => {
        try {
          return JSON.parse(localStorage.getItem('webrtc_sdk_logs') || '[]').length;
        } catch (_) {
          return 0;
        }
      });
      samples.push({ call: i, heap, wasm, ring });
      if (i % 50 === 0) console.error(`    soak: ${i}/${CALLS} calls`);
    }
  } finally {
    await far.stop();
    await page.evaluate(() => window.exWebClient.UnRegister()).catch(() => {});
    await cdp.detach().catch(() => {});
    await kam.clear().catch(() => {});
  }
  return { samples, version: ours.browser()?.version() ?? '', seconds: (Date.now() - t0) / 1000 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export function printSoak({ samples, version, seconds }) {
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
  const total = (s) => s.heap + s.wasm;
  const at = (from, to) => samples.filter((s) => s.call >= from && s.call <= to);
  const n = samples.length;
  const end = at(n - 9, n);
  const e = median(end.map(total));
  const fromCall20 = (e - median(at(15, 24).map(total))) / median(at(15, 24).map(total));
  const full = samples.find((s) => s.ring >= 1000);
  const steadyFrom = full && full.call + 10 <= n - 19 ? full.call + 10 : 15;
  const b = median(at(steadyFrom, steadyFrom + 9).map(total));
  const growth = (e - b) / b;
  console.log(`\n(f) soak: ${n} calls in one agent page (Chromium ${version}, JsSIP far end in another browser), ${seconds.toFixed(0)} s`);
  console.log('    (after each call: CDP HeapProfiler.collectGarbage x3, Runtime.getHeapUsage usedSize + exotelSDK.__wasmMemoryBytes())\n');
  console.log('    call   JS heap      wasm         total        vs call 20  log ring');
  const ref = total(samples.find((s) => s.call === 20));
  const lo = Math.min(...samples.map(total));
  const hi = Math.max(...samples.map(total));
  for (const s of samples.filter((x) => x.call === 1 || x.call % 10 === 0)) {
    const bar = '#'.repeat(1 + Math.round(((total(s) - lo) / Math.max(1, hi - lo)) * 40));
    const pct = (((total(s) - ref) / ref) * 100).toFixed(2);
    console.log(`    ${String(s.call).padStart(4)}   ${kib(s.heap).padStart(11)}  ${kib(s.wasm).padStart(11)}  ${kib(total(s)).padStart(11)}  ${`${pct} %`.padStart(9)}  ${String(s.ring).padStart(8)}  ${bar}`);
  }
  console.log(`    (bars span ${kib(lo)} .. ${kib(hi)})`);
  console.log(
    `\n    log ring full (1000 lines) ${full ? `at call ${full.call}` : 'never'}; steady-state growth, median of calls ${steadyFrom}-${steadyFrom + 9} (${kib(b)}) → ` +
      `median of calls ${n - 9}-${n} (${kib(e)}): ${(growth * 100).toFixed(2)} % (budget < ${BUDGET * 100} %: ${growth < BUDGET ? 'within budget' : 'OVER BUDGET'})` +
      `\n    from calls 15-24, the log ring filling included: ${(fromCall20 * 100).toFixed(2)} %; raw call 20 → ${n}: ` +
      `${(((total(samples[n - 1]) - ref) / ref) * 100).toFixed(2)} %; wasm ${kib(samples[19].wasm)} → ${kib(samples[n - 1].wasm)}`,
  );
}
