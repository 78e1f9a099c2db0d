// Diagnostics end to end (guide §5.13, exotel-api.md §6): dist/exotelsdk.js in Chromium with
// fake media devices (the fake microphone plays a continuous 440 Hz tone) and a private
// Kamailio. The page (pages/diagnostics.html) records every key/value triple and report, and
// keeps the streams, AudioContexts, WebSockets and RTCPeerConnections the SDK creates, so the
// tests can check they are really stopped and closed.
// Every wait is a bounded poll; no assertion depends on how long something took.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as S from './support.mjs';

const T = { timeout: 60000 };
const PAGE = '/tests/e2e/pages/diagnostics.html';
const ICE_KEYS = ['udp', 'tcp', 'ipv6', 'host', 'srflx'];
const LINE = /^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\] \[(INFO|WARNING)\] TROUBLESHOOTER_FSM_REPORT: .*$/;
const EDGE_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91';

const stack = new S.Stack();
let http;
let kam;
let ctx;
let opened = [];

async function open({ userAgent } = {}) {
  const page = await ctx.newPage();
  if (userAgent) {
    await page.addInitScript((ua) => Object.defineProperty(Navigator.prototype, 'userAgent', { get: () => ua }), userAgent);
  }
  const w = S.watchPage(page);
  opened.push(w);
  await page.goto(http.url(PAGE));
  return w;
}

const ev = (w, fn, arg) => w.page.evaluate(fn, arg);
const kvOf = (w, id, key) => ev(w, ([i, k]) => window.kvOf(i, k), [id, key]);
const reportsOf = (w, id) => ev(w, (i) => window.clients[i].reports.slice(), id);
const lastReport = async (w, id) => {
  const r = await reportsOf(w, id);
  return r.length ? r[r.length - 1][1] : '';
};
const logsOf = (w) => ev(w, () => window.logs.slice());

/** Makes client `id` (optionally initialised for `user` on `port`) and runs initDiagnostics. */
async function client(w, id, { user, port } = {}) {
  await ev(w, (i) => window.makeClient(i), id);
  if (user) {
    const ok = await ev(w, ([i, u, p, pass]) => window.init(i, window.account(u, pass, p)), [id, user, port, S.USERS[user]]);
    assert.equal(ok, true, 'initWebrtc resolves true');
  }
  const sync = await ev(w, (i) => window.initDiag(i), id);
  await waitKv(w, id, 'speakerInfo'); // the asynchronous device lines are in the report now
  return sync;
}

/** Calls client[method](...args) in the page; fails the test if it threw. */
async function call(w, id, method, ...args) {
  const err = await ev(w, ([i, m, a]) => window.call(i, m, ...a), [id, method, args]);
  assert.equal(err, null, `${method} threw`);
}

/** Waits for the first triple of `key` matching `pred` (after `from` triples of that key). */
const waitKv = (w, id, key, pred = () => true, { from = 0, timeout = 15000 } = {}) =>
  S.waitFor(async () => (await kvOf(w, id, key)).slice(from).find(pred), {
    timeout,
    message: async () => `key '${key}' of client ${id}`,
  });

/** Waits until the report contains `text`; returns the whole report. */
const waitReport = (w, id, text, timeout = 15000) =>
  S.waitFor(async () => {
    const r = await lastReport(w, id);
    return r.includes(text) ? r : null;
  }, { timeout, message: `report line '${text}' of client ${id}` });

const reportLines = (text) => text.split('\n').filter(Boolean);

/** The results (not 'waiting') of the ICE keys, once all five arrived. */
const waitIce = (w, id) =>
  S.waitFor(async () => {
    const all = await kvOf(w, id);
    const res = all.filter((x) => ICE_KEYS.includes(x[0]) && x[1] !== 'waiting');
    return ICE_KEYS.every((k) => res.some((x) => x[0] === k)) ? res : null;
  }, { timeout: 15000, message: `ICE results of client ${id}` });

/** The checks every test ends with: no page error, no password in any log line. */
async function checkHygiene() {
  for (const w of opened) {
    assert.deepEqual(w.pageErrors, [], `page errors on ${w.page.url()}`);
    const logs = JSON.stringify(await logsOf(w));
    for (const s of Object.values(S.USERS)) assert.ok(!logs.includes(s), `password '${s}' in the logs`);
  }
}

describe('diagnostics (Chromium, fake devices, dist/exotelsdk.js by script tag)', () => {
  before(async () => {
    http = await S.startHttp(stack);
    kam = await S.startKamailio(stack, 'diagnostics');
    ctx = await S.launchChromium(stack, { fakeAudioFile: S.toneWav(440) });
  });

  after(() => stack.close());

  afterEach(async () => {
    for (const w of opened) await w.page.close().catch(() => {});
    opened = [];
    await kam.clear();
  });

  it('initDiagnostics: browserVersion at once, then the fake devices; a cumulative, stored report', T, async () => {
    const w = await open();
    const ua = await ev(w, () => navigator.userAgent);
    const chrome = /Chrome\/(\S+)/.exec(ua)[1];

    const sync = await client(w, 1);
    assert.deepEqual(sync, [['browserVersion', 'ready', `Chrome/${chrome}`]], 'browserVersion is reported synchronously');
    const mic = await waitKv(w, 1, 'micInfo');
    const speaker = await waitKv(w, 1, 'speakerInfo');
    assert.deepEqual(mic, ['micInfo', 'Fake Default Audio Input', 'micInfo']);
    assert.deepEqual(speaker, ['speakerInfo', 'Fake Default Audio Output', 'speakerInfo']);

    const reports = await reportsOf(w, 1);
    assert.ok(reports.length >= 2, `several report lines: ${JSON.stringify(reports)}`);
    for (let i = 0; i < reports.length; i++) {
      assert.equal(reports[i][0], 'troubleShootReport', 'status argument of the report callback');
      if (i) assert.ok(reports[i][1].startsWith(reports[i - 1][1]), 'each report extends the previous one');
      assert.ok(reports[i][1].endsWith('\n'));
    }
    const text = reports[reports.length - 1][1];
    const lines = reportLines(text);
    assert.equal(lines.length, reports.length, 'one line per report callback');
    for (const l of lines) assert.match(l, LINE);
    assert.match(lines[0], new RegExp(`Browser: Chrome/${chrome.replace(/\./g, '\\.')}, Platform: \\S`));
    assert.ok(lines.some((l) => l.endsWith('Device: audioinput, label: Fake Default Audio Input, id:default')), text);
    assert.equal(await ev(w, () => localStorage.getItem('troubleShootReport')), text, 'report stored in localStorage');

    // A new initDiagnostics starts a new report.
    await ev(w, () => window.initDiag(1));
    const fresh = await waitKv(w, 1, 'speakerInfo');
    assert.ok(fresh);
    const again = await lastReport(w, 1);
    assert.equal(reportLines(again).filter((l) => l.includes('Browser: ')).length, 1, `report reset: ${again}`);

    // Missing callbacks: logged, nothing called, nothing thrown.
    const r = await ev(w, () => {
      const c = new exotelSDK.ExotelWebClient();
      const seen = [];
      c.initDiagnostics(null, (...a) => seen.push(a));
      c.initDiagnostics(() => seen.push('report'));
      return seen;
    });
    assert.deepEqual(r, []);
    assert.ok((await logsOf(w)).some(([t, m]) => t === 'error' && /initDiagnostics: .*must be functions/.test(m)));
    await checkHygiene();
  });

  it('initDiagnostics reports Chromium Edge as Edge', T, async () => {
    const w = await open({ userAgent: EDGE_UA });
    const sync = await client(w, 1);
    assert.deepEqual(sync, [['browserVersion', 'ready', 'Edge/120.0.2210.91']]);
    assert.match(await lastReport(w, 1), /Browser: Edge\/120\.0\.2210\.91, Platform: /);
    await checkHygiene();
  });

  it('network: real WebSocket to Kamailio, host candidate, userReg follows registration, no REGISTER of its own', T, async () => {
    const w = await open();
    await client(w, 1, { user: 1001, port: kam.port });
    await call(w, 1, 'startNetworkDiagnostics');

    const url = `ws://127.0.0.1:${kam.port}/ws`;
    assert.deepEqual(await waitKv(w, 1, 'wss'), ['wss', 'connected', url]);
    assert.deepEqual(await waitKv(w, 1, 'userReg'), ['userReg', 'unregistered', '1001']);
    const ice = await waitIce(w, 1);
    for (const k of ICE_KEYS) assert.equal(ice.filter((x) => x[0] === k).length, 1, `one result for ${k}: ${JSON.stringify(ice)}`);
    const host = ice.find((x) => x[0] === 'host');
    assert.equal(host[1], 'connected');
    assert.match(host[2], /^candidate:\S+ \d+ (udp|tcp) \d+ \S+ \d+ typ host/);
    const udp = ice.find((x) => x[0] === 'udp');
    assert.equal(udp[1], 'connected');
    assert.match(udp[2], / udp .* typ /i);
    for (const [k, status, line] of ice) {
      if (status === 'disconnected') assert.equal(line, '', `${k}: no candidate line when disconnected`);
      else assert.equal(status, 'connected', `${k}: connected or disconnected`);
    }
    const waiting = (await kvOf(w, 1)).filter((x) => x[1] === 'waiting').map((x) => x[0]);
    assert.deepEqual(waiting, ICE_KEYS, 'one waiting triple per ICE key at the start, as 3.0.10');

    const text = await waitReport(w, 1, 'Network diagnostics completed');
    for (const l of reportLines(text)) assert.match(l, LINE);
    for (const s of ['NETWORK EVENT =  WS_TEST_PASS', `WebSocket connected to ${url}`, 'NETWORK EVENT =  HOST_CON_TEST_COMPLETE', 'Gathered candidate candidate:']) {
      assert.ok(text.includes(s), `report has '${s}':\n${text}`);
    }
    // The throwaway socket and peer connection are closed; diagnostics registered nothing.
    await S.waitFor(() => ev(w, () => window.made.sockets.length === 1 && window.made.sockets[0].readyState === WebSocket.CLOSED), {
      message: 'the diagnostics WebSocket closed',
    });
    assert.deepEqual(await ev(w, () => window.made.peers.map((p) => p.signalingState)), ['closed']);
    assert.deepEqual(await kam.contacts(1001), [], 'no binding: the network test sends no REGISTER');
    assert.deepEqual(await ev(w, () => window.clients[1].registered.slice()), []);

    // The app registers: userReg follows while the network test is open.
    await call(w, 1, 'DoRegister');
    assert.deepEqual(await waitKv(w, 1, 'userReg', (x) => x[1] === 'registered'), ['userReg', 'registered', '1001']);
    assert.ok((await waitReport(w, 1, 'NETWORK EVENT =  USER_REG_TEST_PASS')).includes('Registration of 1001: registered'));

    // After stopNetworkDiagnostics, registration changes are no longer reported.
    await call(w, 1, 'stopNetworkDiagnostics');
    const n = (await kvOf(w, 1, 'userReg')).length;
    await call(w, 1, 'UnRegister');
    await S.waitFor(async () => (await ev(w, () => window.clients[1].registered.slice())).includes('unregistered'), {
      message: 'unregistered event',
    });
    assert.equal((await kvOf(w, 1, 'userReg')).length, n, 'no userReg after stopNetworkDiagnostics');

    // A second run reports the current state at once.
    await call(w, 1, 'startNetworkDiagnostics');
    assert.deepEqual(await waitKv(w, 1, 'userReg', () => true, { from: n }), ['userReg', 'unregistered', '1001']);
    await waitKv(w, 1, 'wss', () => true, { from: 1 });
    await checkHygiene();
  });

  it('network: wss disconnected for a server that does not answer, or without initWebrtc', T, async () => {
    const dead = await S.freePort();
    const w = await open();
    await client(w, 1, { user: 1002, port: dead });
    await client(w, 2);
    await call(w, 1, 'startNetworkDiagnostics');
    await call(w, 2, 'startNetworkDiagnostics');
    assert.deepEqual(await waitKv(w, 1, 'wss'), ['wss', 'disconnected', `ws://127.0.0.1:${dead}/ws`]);
    assert.deepEqual(await waitKv(w, 2, 'wss'), ['wss', 'disconnected', '']);
    assert.deepEqual(await waitKv(w, 2, 'userReg'), ['userReg', 'unregistered', '']);
    const text = await waitReport(w, 1, 'Network diagnostics completed');
    assert.ok(text.includes('NETWORK EVENT =  WS_TEST_FAIL'), text);
    assert.match(text, /\[WARNING\] TROUBLESHOOTER_FSM_REPORT: WebSocket connection to ws:\/\/127\.0\.0\.1:\d+\/ws failed/);
    await waitReport(w, 2, 'Network diagnostics completed');
    await checkHygiene();
  });

  it('network: stopNetworkDiagnostics cancels a run (socket and peer closed, no more results)', T, async () => {
    const w = await open();
    await client(w, 1, { user: 1001, port: kam.port });
    await client(w, 2, { user: 1002, port: kam.port });
    const seen = await ev(w, () => {
      window.call(1, 'startNetworkDiagnostics');
      window.call(1, 'stopNetworkDiagnostics');
      return window.kvOf(1).length;
    });
    assert.deepEqual(
      await ev(w, () => [window.made.sockets.map((s) => s.readyState >= WebSocket.CLOSING), window.made.peers.map((p) => p.signalingState)]),
      [[true], ['closed']],
      'the run socket and peer are closed by stop',
    );
    // Barrier: a complete run of client 2 takes as long as client 1's would have.
    await call(w, 2, 'startNetworkDiagnostics');
    await waitReport(w, 2, 'Network diagnostics completed');
    await waitKv(w, 2, 'userReg');
    assert.equal((await kvOf(w, 1)).length, seen, `no result after stop: ${JSON.stringify(await kvOf(w, 1))}`);
    assert.ok((await lastReport(w, 1)).includes('Network diagnostics stopped'));
    await checkHygiene();
  });

  it('mic: live levels from the real microphone; stop ends the track and closes the AudioContext', T, async () => {
    const w = await open();
    await client(w, 1);
    await call(w, 1, 'startMicDiagnosticsTest');
    await call(w, 1, 'startMicDiagnosticsTest'); // ignored: one test at a time
    const levels = await S.waitFor(async () => {
      const m = await kvOf(w, 1, 'mic');
      return m.length >= 5 ? m : null;
    }, { message: 'five mic levels' });
    for (const [, level, desc] of levels) {
      assert.equal(desc, 'mic ok');
      assert.ok(typeof level === 'number' && level >= 0 && level <= 255, `level ${level}`);
    }
    assert.ok(levels.some((x) => x[1] > 0), `a level above 0 from the 440 Hz fake microphone: ${JSON.stringify(levels)}`);
    assert.equal(await ev(w, () => window.made.streams.length), 1, 'one getUserMedia for two starts');
    assert.ok((await logsOf(w)).some(([, m]) => /already running/.test(m)));

    const n = await ev(w, () => {
      window.call(1, 'stopMicDiagnosticsTest', 'yes');
      return window.kvOf(1, 'mic').length;
    });
    assert.deepEqual(await ev(w, () => window.made.streams[0].getTracks().map((t) => t.readyState)), ['ended']);
    await S.waitFor(() => ev(w, () => window.made.audioContexts.length === 1 && window.made.audioContexts[0].state === 'closed'), {
      message: 'the mic test AudioContext closed',
    });
    const text = await lastReport(w, 1);
    const lines = reportLines(text).map((l) => l.replace(/^.*TROUBLESHOOTER_FSM_REPORT: /, ''));
    const i = lines.indexOf('Microphone device testing is inprogress');
    assert.ok(i >= 0, text);
    assert.ok(lines.some((l) => /^Device track settings: len: 1, id:\S+, kind: audio, label:Fake Default Audio Input$/.test(l)), text);
    assert.deepEqual(lines.slice(-3), ['Microphone device testing is successful', 'DEVICE EVENT =  MICROPHONE_TEST_PASS', 'Mic device testing is completed']);

    // 'no', and no answer.
    await call(w, 1, 'startMicDiagnosticsTest');
    await waitKv(w, 1, 'mic', () => true, { from: n });
    await call(w, 1, 'stopMicDiagnosticsTest', 'no');
    let l2 = reportLines(await lastReport(w, 1)).map((l) => l.replace(/^.*TROUBLESHOOTER_FSM_REPORT: /, ''));
    assert.deepEqual(l2.slice(-4), ['Microphone device testing is failure', 'DEVICE EVENT =  MICROPHONE_TEST_FAIL', 'Mic device testing is failure', 'Mic device testing is completed']);
    await call(w, 1, 'startMicDiagnosticsTest');
    await call(w, 1, 'stopMicDiagnosticsTest');
    l2 = reportLines(await lastReport(w, 1)).map((l) => l.replace(/^.*TROUBLESHOOTER_FSM_REPORT: /, ''));
    assert.equal(l2[l2.length - 1], 'Mic device testing is stopped');
    // Stopped before getUserMedia answered: its stream is stopped on arrival.
    await S.waitFor(() => ev(w, () => window.made.streams.length === 3 && window.made.streams.every((s) => s.getTracks().every((t) => t.readyState === 'ended'))), {
      message: 'every mic test stream ended',
    });
    await S.waitFor(() => ev(w, () => window.made.audioContexts.every((c) => c.state === 'closed')), { message: 'every mic AudioContext closed' });
    await checkHygiene();
  });

  it('mic: a refused getUserMedia gives the failure lines and mic error', T, async () => {
    const w = await open();
    await client(w, 1);
    await ev(w, () => {
      window.failGum = true;
    });
    await call(w, 1, 'startMicDiagnosticsTest');
    assert.deepEqual(await waitKv(w, 1, 'mic'), ['mic', 0, 'mic error']);
    const text = await waitReport(w, 1, 'name: NotAllowedError');
    assert.match(text, /\[WARNING\] TROUBLESHOOTER_FSM_REPORT: Microphone device testing failed\n.*DEVICE EVENT = {2}MICROPHONE_TEST_FAIL\n.*\[WARNING\] TROUBLESHOOTER_FSM_REPORT: Error: Permission denied \(test\), name: NotAllowedError\n/);
    await S.waitFor(() => ev(w, () => window.made.audioContexts.every((c) => c.state === 'closed')), { message: 'AudioContext closed' });
    // The test can run again once the microphone is available.
    await ev(w, () => {
      window.failGum = false;
    });
    await call(w, 1, 'startMicDiagnosticsTest');
    await waitKv(w, 1, 'mic', (x) => x[2] === 'mic ok');
    await call(w, 1, 'stopMicDiagnosticsTest');
    await checkHygiene();
  });

  it('speaker: ringtone levels after a click; stop halts tone and levels', T, async () => {
    const w = await open();
    await client(w, 1);
    await w.page.click('#unlock'); // a user gesture, so the autoplay policy lets audio run
    await call(w, 1, 'startSpeakerDiagnosticsTest');
    await call(w, 1, 'startSpeakerDiagnosticsTest'); // ignored
    const loud = await waitKv(w, 1, 'speaker', (x) => x[1] > 0);
    assert.equal(loud[2], 'speaker ok');
    assert.ok(loud[1] <= 255);
    assert.deepEqual(await ev(w, () => exotelSDK.__tones.toneState().playing), ['ringtone']);
    assert.ok((await logsOf(w)).some(([, m]) => /speaker test is already running/.test(m)));

    const n = await ev(w, () => {
      window.call(1, 'stopSpeakerDiagnosticsTest', 'yes');
      return window.kvOf(1, 'speaker').length;
    });
    assert.deepEqual(await ev(w, () => exotelSDK.__tones.toneState().playing), []);
    let lines = reportLines(await lastReport(w, 1)).map((l) => l.replace(/^.*TROUBLESHOOTER_FSM_REPORT: /, ''));
    assert.deepEqual(lines.slice(-5), [
      'Speaker device testing is started',
      'Speaker device testing is stopped',
      'DEVICE EVENT =  SPEAKER_TEST_PASS',
      'Speaker device testing is successfull',
      'Speaker device testing is completed',
    ]);

    // 'no'.
    await call(w, 1, 'startSpeakerDiagnosticsTest');
    await waitKv(w, 1, 'speaker', () => true, { from: n });
    await call(w, 1, 'stopSpeakerDiagnosticsTest', 'no');
    assert.deepEqual(await ev(w, () => exotelSDK.__tones.toneState().playing), []);
    lines = reportLines(await lastReport(w, 1)).map((l) => l.replace(/^.*TROUBLESHOOTER_FSM_REPORT: /, ''));
    assert.deepEqual(lines.slice(-4), ['Speaker device testing is stopped', 'DEVICE EVENT =  SPEAKER_TEST_FAIL', 'Speaker device testing is failed', 'Speaker device testing is completed']);

    // The level timer stopped with the test: take a mic test's levels as the barrier.
    const m = await ev(w, () => window.kvOf(1, 'speaker').length);
    await call(w, 1, 'startMicDiagnosticsTest');
    await S.waitFor(async () => (await kvOf(w, 1, 'mic')).length >= 3, { message: 'three mic levels' });
    await call(w, 1, 'stopMicDiagnosticsTest');
    assert.equal((await kvOf(w, 1, 'speaker')).length, m, 'no speaker level after stop');
    await checkHygiene();
  });

  it('every method before initDiagnostics and after closeDiagnostics: logged, never thrown; close stops all', T, async () => {
    const w = await open();
    await ev(w, () => window.makeClient(1));
    const methods = [
      ['startSpeakerDiagnosticsTest'],
      ['stopSpeakerDiagnosticsTest', 'yes'],
      ['stopSpeakerDiagnosticsTest'],
      ['startMicDiagnosticsTest'],
      ['stopMicDiagnosticsTest', 'no'],
      ['stopMicDiagnosticsTest'],
      ['startNetworkDiagnostics'],
      ['stopNetworkDiagnostics'],
      ['closeDiagnostics'],
    ];
    for (const [m, ...a] of methods) await call(w, 1, m, ...a);
    assert.deepEqual(await ev(w, () => [window.made.streams.length, window.made.peers.length, window.made.sockets.length]), [0, 0, 0]);
    assert.ok((await logsOf(w)).some(([t, m]) => t === 'warn' && /startMicDiagnosticsTest: call initDiagnostics first/.test(m)));

    // Methods detached from the client work (3.0.10's were arrow-function fields).
    await client(w, 1, { user: 1001, port: kam.port });
    await w.page.click('#unlock');
    await ev(w, () => {
      const c = window.clients[1].client;
      const { startSpeakerDiagnosticsTest, startMicDiagnosticsTest, startNetworkDiagnostics } = c;
      startSpeakerDiagnosticsTest();
      startMicDiagnosticsTest();
      startNetworkDiagnostics();
    });
    await waitKv(w, 1, 'speaker');
    await waitKv(w, 1, 'mic');
    await S.waitFor(() => ev(w, () => window.made.peers.length === 1 && window.made.sockets.length === 1), { message: 'network test started' });

    // An app callback that throws is isolated.
    await ev(w, () => {
      window.clients[1].client.initDiagnostics(() => { throw new Error('app report bug'); }, () => { throw new Error('app kv bug'); });
    });
    await call(w, 1, 'startNetworkDiagnostics');
    await call(w, 1, 'startSpeakerDiagnosticsTest');
    await S.waitFor(async () => (await logsOf(w)).some(([t, m]) => t === 'error' && /app kv bug/.test(m)), { message: 'the kv exception logged' });

    await ev(w, () => window.initDiag(1));
    await call(w, 1, 'startSpeakerDiagnosticsTest');
    await call(w, 1, 'startMicDiagnosticsTest');
    await call(w, 1, 'startNetworkDiagnostics');
    await waitKv(w, 1, 'mic');
    const n = await ev(w, () => {
      window.call(1, 'closeDiagnostics');
      return window.kvOf(1).length;
    });
    const r = await ev(w, () => window.clients[1].reports.length);
    assert.equal(await ev(w, () => localStorage.getItem('troubleShootReport')), '', 'report reset by closeDiagnostics');
    assert.deepEqual(await ev(w, () => exotelSDK.__tones.toneState().playing), [], 'the ringtone stopped');
    await S.waitFor(() => ev(w, () =>
      window.made.streams.every((s) => s.getTracks().every((t) => t.readyState === 'ended')) &&
      window.made.peers.every((p) => p.signalingState === 'closed') &&
      window.made.sockets.every((s) => s.readyState >= WebSocket.CLOSING)), { message: 'tracks, peers and sockets closed' });
    await S.waitFor(() => ev(w, () => window.made.audioContexts.filter((c) => c.state !== 'closed').length === 1), {
      message: 'only the tones AudioContext left open',
    });

    for (const [m, ...a] of methods) await call(w, 1, m, ...a);
    // Barrier for late results of the closed session: a full network run of another client.
    await client(w, 2);
    await call(w, 2, 'startNetworkDiagnostics');
    await waitReport(w, 2, 'Network diagnostics completed');
    assert.equal((await kvOf(w, 1)).length, n, 'no key/value after closeDiagnostics');
    assert.equal(await ev(w, () => window.clients[1].reports.length), r, 'no report after closeDiagnostics');
    await checkHygiene();
  });
});
