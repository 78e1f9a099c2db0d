// `make bench`: numbers, not pass/fail.
//   (a) bytes of dist/exotelsdk.js and dist/npm/{index.mjs, exotel_voice_bg.wasm}: raw, gzip -9, brotli -q 11
//   (b) time to 'registered' against a local Kamailio in Chromium: DoRegister → registered with
//       the wasm already loaded (warm), and page load → registered (cold); fresh page per run
//   (c) memory the SDK holds once registered: JS heap over a blank page (CDP, after GC) plus
//       wasm linear memory (exotelSDK.__wasmMemoryBytes(), "n/a" when the build lacks it)
//   (d) incoming call timings against a JsSIP far end (tests/e2e/farend/) in the same browser:
//       far end call() → 'incoming', Answer() → 'connected', Answer() → first inbound RTP packet,
//       incoming → ringtone playing (exotelSDK.__tones.isTonePlaying, "n/a" without it)
//   (e) in-call controls, in a second Chromium whose fake microphone plays a 440 Hz tone (SDK
//       page and far end in it): makeCall('1002') → far end 'newRTCSession', Hold() → re-INVITE
//       handed to the WebSocket, Hold() → 'holdunhold_success', Mute() → far end's inbound
//       audioLevel < 0.005
//   (f) a shift in one tab: 200 calls in one page, JS heap + wasm memory after each (tests/bench/soak.mjs)
//   (g) recovery once the network is back: signalling after a refused outage, audio after a path
//       change in a network namespace (tests/bench/recovery.mjs)
// Env: BENCH_RUNS (default 7), BENCH_CALL_RUNS (default 5), BENCH_SOAK_CALLS (default 200),
// BENCH_RECOVERY_RUNS (default 3).
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import * as S from '../e2e/support.mjs';
import { bundleFarEnd, openFarEnd } from '../e2e/farend/driver.mjs';
import { soak, printSoak } from './soak.mjs';
import { recovery, printRecovery } from './recovery.mjs';

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

/**
 * An ESM entry of dist/npm with the chunks it imports (the build splits the full entry and the
 * lean core + feature entries into shared chunks), concatenated into one file to measure.
 */
function esmWithChunks(entry) {
  const dir = path.join(S.ROOT, 'dist/npm');
  const seen = new Set();
  const visit = (f) => {
    if (seen.has(f)) return;
    seen.add(f);
    for (const m of fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/(?:from|import)\s*["']\.\/([\w.-]+\.mjs)["']/g)) visit(m[1]);
  };
  visit(entry);
  const out = path.join(S.ROOT, 'tests/.run', `bench-${entry.replace('.mjs', '')}-with-chunks.mjs`);
  fs.writeFileSync(out, [...seen].map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n'));
  return path.relative(S.ROOT, out);
}

function sizes() {
  const index = esmWithChunks('index.mjs');
  const core = esmWithChunks('core.mjs');
  const files = ['dist/exotelsdk.js', index, core, 'dist/npm/exotel_voice_bg.wasm'];
  const names = { [index]: 'dist/npm/index.mjs + chunks', [core]: 'dist/npm/core.mjs + chunks (lean)' };
  const rows = [];
  const by = {};
  for (const f of files) {
    const abs = path.join(S.ROOT, f);
    const raw = fs.statSync(abs).size;
    const gz = compressed(abs, 'gzip', ['-9', '-n']);
    const br = compressed(abs, 'brotli', ['-q', '11']);
    by[f] = { raw, gz, br };
    rows.push([names[f] || f, raw, gz, br]);
  }
  const esm = [index, 'dist/npm/exotel_voice_bg.wasm'].map((f) => by[f]);
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

// ---------------------------------------------------------------------------------------------
// (e) in-call controls

const SILENT = 0.005; // far-end inbound audioLevel of a muted microphone
const AUDIBLE = 0.01;

// Init script of the agent page: stamps every SIP INVITE handed to a WebSocket (the SDK sends
// SIP as text frames), so Hold() can be timed to its re-INVITE without SDK hooks.
function instrumentWs() {
  window.__wsInvites = [];
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    if (typeof data === 'string' && data.startsWith('INVITE ')) window.__wsInvites.push(performance.timeOrigin + performance.now());
    return send.call(this, data);
  };
}

// Far end page: stamps the first 'newRTCSession' (originator remote) after arming.
function armFarNew() {
  window.__benchNew = null;
  if (window.__benchNewArmed) return;
  window.__benchNewArmed = true;
  window.far.ua.on('newRTCSession', (e) => {
    if (e.originator === 'remote' && window.__benchNew === null) window.__benchNew = window.far.now();
  });
}

// Far end page: samples the inbound audioLevel of call `i` every 20 ms into window.__lv
// ([t, level]) until window.__lvStop or 10 s.
function sampleLevel(i) {
  window.__lv = [];
  window.__lvStop = false;
  const end = window.far.now() + 10000;
  const tick = async () => {
    if (window.__lvStop || window.far.now() > end) return;
    const s = await window.far.stats(i);
    window.__lv.push([window.far.now(), s.audioLevel]);
    setTimeout(tick, 20);
  };
  tick();
}

async function controlsOnce(agent, far, i) {
  const what = `controls run ${i}`;
  const wait = (fn, message, timeout = 15000) => S.waitFor(fn, { timeout, message: `${what}: ${message}` });
  const sessionCount = (state) => agent.evaluate((st) => window.sessionEvents.filter((e) => e[0] === st).length, state);
  const callCount = (type) => agent.evaluate((t) => window.callEvents.filter((e) => e.type === t).length, type);
  const farLevel = async (id) => (await far.stats(id)).audioLevel;

  // makeCall → far end newRTCSession
  await far.page.evaluate(armFarNew);
  const nIncoming = (await far.incoming()).length;
  const connected = await callCount('connected');
  const dial = await agent.evaluate(() => {
    const since = window.__wsInvites.length;
    const t = performance.timeOrigin + performance.now();
    window.exWebClient.makeCall('1002');
    return { t, since };
  });
  const tDial = dial.t;
  const tNew = await wait(() => far.page.evaluate(() => window.__benchNew), "far end 'newRTCSession'");
  const tDialInvite = await agent.evaluate((n) => window.__wsInvites[n] ?? null, dial.since);
  const id = (await wait(async () => {
    const ids = await far.incoming();
    return ids.length > nIncoming ? { id: ids[nIncoming] } : null;
  }, 'far end incoming call')).id;
  await far.answer(id);
  await wait(async () => (await callCount('connected')) > connected, "'connected'");
  await far.waitEvent(id, 'confirmed');
  // The far end's microphone plays the same tone as ours: mute it, so echo cancellation on our
  // side has nothing to cancel and the far end hears exactly our microphone.
  await far.page.evaluate((x) => window.far.calls[x].session.mute({ audio: true }), id);
  await wait(async () => (await farLevel(id)) > AUDIBLE, `far end hears the agent (audioLevel > ${AUDIBLE})`);

  // Hold → re-INVITE handed to the WebSocket, and → holdunhold_success
  const okBefore = await sessionCount('holdunhold_success');
  const h = await agent.evaluate(() => {
    const since = window.__wsInvites.length;
    const t = performance.timeOrigin + performance.now();
    window.exWebClient.getCall().Hold();
    return { t, since };
  });
  const tInvite = await wait(() => agent.evaluate((n) => window.__wsInvites[n] ?? null, h.since), 're-INVITE sent after Hold()');
  await wait(async () => (await sessionCount('holdunhold_success')) > okBefore, "'holdunhold_success' after Hold()");
  const tHeld = await agent.evaluate((n) => window.sessionEvents.filter((e) => e[0] === 'holdunhold_success')[n][2], okBefore);
  await agent.evaluate(() => window.exWebClient.getCall().UnHold());
  await wait(async () => (await sessionCount('holdunhold_success')) > okBefore + 1, "'holdunhold_success' after UnHold()");
  await wait(async () => (await farLevel(id)) > AUDIBLE, 'far end hears the agent after UnHold()');

  // changeAudioInputDevice mid-call → onSuccess (getUserMedia of the other fake microphone
  // plus replaceTrack), then the far end hears the new track.
  const sw = await agent.evaluate(async () => {
    const list = await navigator.mediaDevices.enumerateDevices();
    const current = window.exWebClient.getAudioDevices().input;
    const next = list.find((d) => d.kind === 'audioinput' && d.deviceId !== 'default' && d.deviceId !== current);
    const t = performance.timeOrigin + performance.now();
    return new Promise((resolve) =>
      window.exWebClient.changeAudioInputDevice(
        next.deviceId,
        () => resolve({ ms: performance.timeOrigin + performance.now() - t }),
        (e) => resolve({ error: e.message }),
      ),
    );
  });
  if (sw.error) throw new Error(`${what}: changeAudioInputDevice: ${sw.error}`);
  await wait(async () => (await farLevel(id)) > AUDIBLE, 'far end hears the agent after the input switch');

  // Mute → far end's inbound audioLevel below SILENT
  await far.page.evaluate(sampleLevel, id);
  await wait(() => far.page.evaluate(() => window.__lv.length > 0), 'first level sample');
  const tMute = await agent.evaluate(() => {
    const t = performance.timeOrigin + performance.now();
    window.exWebClient.getCall().Mute();
    return t;
  });
  const hit = await wait(
    () => far.page.evaluate((t0) => window.__lv.find(([t, l]) => t > t0 && l !== null && l < 0.005) || null, tMute),
    `far end audioLevel < ${SILENT} after Mute()`,
  );
  await far.page.evaluate(() => (window.__lvStop = true));
  // "Starts to fall": the first sample below a third of the level just before Mute() (each
  // decay step of the meter divides the level by 4; the tone itself varies less than that).
  const fall = await far.page.evaluate((t0) => {
    const pre = window.__lv.filter(([t, l]) => t <= t0 && l !== null);
    const ref = pre.length ? pre[pre.length - 1][1] : null;
    const hit = ref === null ? null : window.__lv.find(([t, l]) => t > t0 && l !== null && l < ref / 3);
    return hit ? hit[0] : null;
  }, tMute);

  const ended = await callCount('callEnded');
  await agent.evaluate(() => window.exWebClient.getCall().Hangup());
  await wait(async () => (await callCount('callEnded')) > ended, "'callEnded'");
  await far.waitEnded(id);
  await wait(async () => {
    const m = await agent.evaluate(() => window.mediaState());
    return m.pcs.every((p) => p.connectionState === 'closed') && m.tracks.every((t) => t.readyState === 'ended');
  }, 'media released');
  return {
    ringing: tNew - tDial,
    dialInvite: tDialInvite === null ? null : tDialInvite - tDial,
    muteFall: fall === null ? null : fall - tMute,
    holdInvite: tInvite - h.t,
    holdOk: tHeld - h.t,
    inputSwitch: sw.ms,
    mute: hit[0] - tMute,
  };
}

async function controlTimings(stack, http, kam) {
  const ctx = await S.launchChromium(stack, { fakeAudioFile: S.toneWav(440) });
  const version = ctx.browser()?.version() ?? '';
  const page = await ctx.newPage();
  await page.addInitScript(instrumentWs);
  await page.goto(http.url(`/tests/e2e/pages/agent.html${S.registerQuery(kam, USER)}&quiet=1`));
  await page.click('#unlock');
  await S.waitFor(async () => (await page.evaluate(() => window.regEvents)).some((e) => e[0] === 'registered'), {
    timeout: 15000,
    message: 'agent registered (controls)',
  });
  await S.waitFor(async () => (await kam.contacts(USER)).length > 0, { message: 'agent binding (controls)' });
  const far = await openFarEnd(ctx, http, kam, 1002);
  try {
    await controlsOnce(page, far, 'warm-up'); // not measured: first getUserMedia, first PC
    const runs = [];
    for (let i = 0; i < CALL_RUNS; i++) runs.push(await controlsOnce(page, far, i));
    return { runs, version };
  } finally {
    await far.stop();
    await far.page.close().catch(() => {});
    await page.evaluate(() => window.exWebClient.UnRegister()).catch(() => {});
    await S.waitFor(async () => (await kam.contacts(USER)).length === 0, { message: 'agent binding gone' }).catch(() => {});
    await page.close().catch(() => {});
    await kam.clear().catch(() => {});
  }
}

function printControlTimings({ runs, version }) {
  const col = (k) => runs.map((r) => r[k]).filter((x) => x !== null && x !== undefined);
  const row = (label, k) => {
    const xs = col(k);
    if (!xs.length) return [label, 'n/a', 'n/a', 'n/a'];
    const st = stats(xs);
    return [label, ms(st.median), ms(st.min), ms(st.max)];
  };
  console.log(`\n(e) in-call controls, Chromium ${version} headless (fake microphone: 440 Hz tone), JsSIP 3.13 far end (1002) in the same browser, ${runs.length} calls`);
  console.log('    (both pages stamp performance.timeOrigin + performance.now(); the re-INVITE is stamped in WebSocket.prototype.send;');
  console.log('     the far end mutes its own microphone so that it hears only ours; audioLevel is a peak meter that drops');
  console.log('     by 4x per ~100 ms step once the sound stops, so "< 0.005" is mostly that decay, not the SDK; "ringing" includes');
  console.log("     our getUserMedia, offer and ICE gathering and Kamailio's 407 round trip)\n");
  console.log(
    table(
      ['measure', 'median', 'min', 'max'],
      [
        row("makeCall('1002') → far end 'newRTCSession' (ringing)", 'ringing'),
        row("  of which makeCall('1002') → first INVITE handed to the WebSocket", 'dialInvite'),
        row('Hold() → re-INVITE handed to the WebSocket', 'holdInvite'),
        row("Hold() → SessionCallback 'holdunhold_success'", 'holdOk'),
        row('changeAudioInputDevice(other microphone) mid-call → onSuccess (getUserMedia + replaceTrack)', 'inputSwitch'),
        row('Mute() → far end inbound audioLevel starts to fall (< 1/3 of the level before)', 'muteFall'),
        row(`Mute() → far end inbound audioLevel < ${SILENT} (getStats every 20 ms)`, 'mute'),
      ],
    ),
  );
  const runsOf = [['ringing', 'ringing'], ['dialInvite', 'first INVITE'], ['holdInvite', 're-INVITE'], ['holdOk', 'hold success'], ['inputSwitch', 'input switch'], ['muteFall', 'mute, falls'], ['mute', 'mute, silent']];
  for (const [k, name] of runsOf) {
    console.log(`    runs (${name}): ${runs.map((r) => (r[k] === null ? 'n/a' : r[k].toFixed(1))).join(', ')} ms`);
  }
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
    printControlTimings(await controlTimings(stack, http, kam));
    printSoak(await soak(stack, http, kam));
    printRecovery(await recovery(stack, http, kam));
  } finally {
    await stack.close();
  }
}

main().catch((e) => {
  console.error(`bench: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
