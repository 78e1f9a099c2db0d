// Log keeping end to end (guide §5.3, §5.17; exotel-api.md §9, §10 item 13): the localStorage
// ring `webrtc_sdk_logs`, downloadLogs(), real logger levels, and no secret in any sink: logger
// callback (message and args), console, ring, downloaded file, app callbacks' arguments.
// dist/exotelsdk.js by script tag on tests/e2e/pages/logs.html; a JsSIP far end
// (tests/e2e/farend/) calls through a private Kamailio. Every wait is a bounded poll.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import * as S from './support.mjs';
import { bundleFarEnd, openFarEnd } from './farend/driver.mjs';

const T = { timeout: 150000 };
const AGENT = '1001';
const WRONG = 'Hunter2-SECRET-xyz';
const RIGHT = S.USERS[AGENT];
const SECRETS = [WRONG, ...Object.values(S.USERS)];
const LINE = /^\[\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\] \[(LOG|INFO|WARN|ERROR)\] \S/;

const stack = new S.Stack();
let http;
let kam;
let ours; // Chromium for the SDK page
let theirs; // Chromium for the far end
let opened = []; // { page, far? }

describe('log keeping: localStorage ring, downloadLogs, levels, redaction (Chromium)', () => {
  before(async () => {
    await bundleFarEnd();
    http = await S.startHttp(stack);
    kam = await S.startKamailio(stack, 'logs');
    ours = await S.launchChromium(stack, { fakeAudioFile: S.toneWav(440) });
    theirs = await S.launchChromium(stack, { fakeAudioFile: S.toneWav(1000) });
  });

  after(() => stack.close());

  afterEach(async () => {
    for (const o of opened) if (o.far) await o.far.stop();
    for (const o of opened) await o.page.close().catch(() => {});
    opened = [];
    await kam.clear();
  });

  it('a full session (wrong then right password, incoming call, unregister) leaks no secret anywhere; ring, levels and file are right', T, async () => {
    const agent = await openPage();
    const { page } = agent;

    // Wrong password first: a recognisable secret that really goes through REGISTER and digest.
    await page.evaluate((p) => window.start(p), WRONG);
    await waitReg(page, 'terminated');
    await page.evaluate((p) => window.start(p), RIGHT);
    await waitReg(page, 'registered');
    await S.waitFor(async () => (await kam.contacts(AGENT)).length > 0, { message: `binding of ${AGENT}` });

    // An incoming call from the far end: answer, the far end hangs up.
    const far = await openFarEnd(theirs, http, kam, '1002');
    opened.push({ page: far.page, far });
    const id = await far.call(`sip:${AGENT}@127.0.0.1`, { callSid: 'CA-logs-5e1f' });
    await waitCall(page, 'incoming');
    await page.evaluate(() => window.exWebClient.getCall().Answer());
    await waitCall(page, 'connected');
    await far.waitEvent(id, 'confirmed');
    await far.hangup(id);
    await waitCall(page, 'callEnded');

    // Known warn and error lines (no call any more), then unregister.
    await page.evaluate(() => {
      window.exWebClient.getCall().Answer(); // warn: no incoming call
      window.exWebClient.getCall().sendDTMF('x'); // error: invalid digit
    });
    await page.evaluate(() => window.exWebClient.UnRegister());
    await waitReg(page, 'unregistered');

    // downloadLogs: the file, then the ring once the "saving" line is written.
    const days = [utcDay()];
    const file = await download(page);
    days.push(utcDay());
    const ring = await S.waitFor(async () => {
      const r = await page.evaluate(() => window.storedRing());
      return r && r.some((l) => l.includes('downloadLogs: saving')) ? r : null;
    }, { timeout: 10000, message: 'the ring in localStorage to hold the downloadLogs line' });
    await new Promise((r) => setTimeout(r, 300)); // late console messages
    const consoleTexts = await agent.consoleTexts();

    // Everything the app or a support engineer can see.
    const loggerCalls = await page.evaluate(() => window.loggerCalls);
    const appCalls = await page.evaluate(() => window.appCalls);
    const sinks = {
      'logger callback messages': loggerCalls.map((c) => c[1]).join('\n'),
      'logger callback args': loggerCalls.map((c) => c[2]).join('\n'),
      'console messages': consoleTexts.join('\n'),
      'localStorage ring': ring.join('\n'),
      'downloaded file': file.text,
      'app callback arguments (callDetails() included)': appCalls.map((c) => c.slice(1).join(' ')).join('\n'),
    };
    for (const [name, text] of Object.entries(sinks)) {
      for (const s of SECRETS) assert.ok(!text.includes(s), `${name}: contains the password '${s}'${context(text, s)}`);
      const digest = /response\s*=\s*\\?"?(?!<redacted>)[0-9a-f]{6,}/i.exec(text);
      assert.equal(digest, null, `${name}: contains a digest response value${digest ? context(text, digest[0]) : ''}`);
      const auth = /(?:proxy-)?authorization\s*:\s*digest/i.exec(text);
      assert.equal(auth, null, `${name}: contains an Authorization header value${auth ? context(text, auth[0]) : ''}`);
    }
    // The checks above meant something: the traces with the (redacted) credentials are there.
    assert.ok(ring.some((l) => /REGISTER sip:/.test(l)), 'the ring holds the REGISTER traces');
    assert.ok(ring.some((l) => /^Authorization: <redacted>/im.test(l)), 'the REGISTER trace shows the Authorization header as <redacted>');
    assert.ok(appCalls.some((c) => c[0] === 'CallListenerCallback' && c[2].includes('CA-logs-5e1f')), 'callDetails() were recorded');

    // The ring: ≤ 1000 lines in 3.0.10's format, holding the session.
    assert.ok(ring.length > 0 && ring.length <= 1000, `ring length ${ring.length}`);
    for (const l of ring) assert.match(l, LINE, 'ring line format');
    assert.equal(ring.map((l) => l.trim()).join('\n'), ring.join('\n'), 'ring lines are trimmed');
    for (const what of [/\[ERROR\] registration failed: authentication failed/, /SIP\/2\.0 200 OK/, /incoming call/, /Call\.Answer: no incoming call/, /\[ERROR\] Call\.sendDTMF: invalid DTMF digit/]) {
      assert.ok(ring.some((l) => what.test(l)), `the ring holds ${what}`);
    }

    // Real levels in the callback, args always an array.
    const types = new Set(loggerCalls.map((c) => c[0]));
    for (const t of ['log', 'info', 'warn', 'error']) assert.ok(types.has(t), `logger callback type '${t}' seen: ${[...types]}`);
    assert.ok([...types].every((t) => ['log', 'info', 'warn', 'error'].includes(t)), `only the four types: ${[...types]}`);
    assert.ok(loggerCalls.every((c) => c[3] === true), 'args is always an array');
    const sendDtmf = loggerCalls.find((c) => c[1].startsWith('Call.sendDTMF: invalid DTMF digit'));
    assert.equal(sendDtmf && sendDtmf[0], 'error', 'an error line arrives as type error');

    // The file: today's UTC date, the ring's lines joined by \n (the ring gained the "saving" line since).
    assert.ok(days.some((d) => file.name === `webrtc_sdk_logs_${d}.txt`), `file name ${file.name}`);
    assert.ok(file.text.length > 0, 'the file is not empty');
    assert.ok(ring.join('\n').includes(file.text), 'the file holds the ring lines, joined by \\n');
    assert.ok(file.text.split('\n').filter((l) => LINE.test(l)).length > 10, 'the file holds formatted lines');
    assert.ok(!file.text.includes('downloadLogs: saving'), 'the file was built before its own "saving" line');

    assert.deepEqual(agent.pageErrors, [], 'page errors');
    assert.deepEqual(await far.errors(), [], 'far end errors');
  });

  it('the ring keeps exactly the last 1000 lines, survives a reload (pagehide write), and downloadLogs works before initWebrtc', T, async () => {
    const agent = await openPage();
    const { page } = agent;
    await page.evaluate(() => localStorage.removeItem('webrtc_sdk_logs'));
    await page.reload(); // a fresh in-memory ring too
    assert.equal(await page.evaluate(() => window.storedRing()), null, 'no ring before any log line');

    // 1200 distinct error lines from a cheap API, then a reload right away: pagehide writes them.
    const before = await page.evaluate(() => {
      const c = new exotelSDK.ExotelWebClient();
      for (let i = 0; i < 1199; i++) c.setPreferredCodec(`m${i}`);
      return window.loggerCalls.filter((x) => /unknown codec 'm\d+'/.test(x[1])).length;
    });
    assert.equal(before, 1199, 'the logger callback got every line (no cap there)');
    await S.waitFor(async () => {
      const r = await page.evaluate(() => window.storedRing());
      return r && r[r.length - 1].includes("'m1198'");
    }, { timeout: 10000, message: 'the batch written' });
    // The last line is written by pagehide, not by the batching timer (still pending here).
    const onPagehide = await page.evaluate(() => {
      new exotelSDK.ExotelWebClient().setPreferredCodec('m1199');
      const unwritten = !window.storedRing().some((l) => l.includes("'m1199'"));
      window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }));
      return { unwritten, written: window.storedRing().some((l) => l.includes("'m1199'")) };
    });
    assert.deepEqual(onPagehide, { unwritten: true, written: true }, 'pagehide writes the unwritten lines at once');
    await page.reload();

    let ring = await page.evaluate(() => window.storedRing());
    assert.ok(Array.isArray(ring), 'the ring was written before the page went away');
    assert.equal(ring.length, 1000, 'exactly 1000 lines');
    for (const l of ring) assert.match(l, LINE, 'ring line format');
    let marks = markers(ring);
    assert.equal(marks[marks.length - 1], 1199, 'the newest line is the last one logged');
    assert.ok(marks[0] >= 200, `the oldest lines were dropped (first kept: m${marks[0]})`);
    assert.deepEqual(marks, range(marks[0], 1200), 'the kept lines are the newest, in order');
    const firstBefore = marks[0];

    // After the reload the stored lines are loaded, not overwritten: one more line drops one.
    await page.evaluate(() => new exotelSDK.ExotelWebClient().setPreferredCodec('after-reload'));
    ring = await S.waitFor(async () => {
      const r = await page.evaluate(() => window.storedRing());
      return r && r[r.length - 1].includes("'after-reload'") ? r : null;
    }, { timeout: 10000, message: 'the new line written within the batching delay' });
    assert.equal(ring.length, 1000, 'still 1000 lines');
    marks = markers(ring);
    assert.equal(marks[marks.length - 1], 1199, 'the lines from before the reload are kept');
    assert.equal(marks[0], firstBefore + 1, 'the oldest line made room');

    // downloadLogs on a page that never called initWebrtc: the 1000 lines.
    const file = await download(page, () => new exotelSDK.ExotelWebClient().downloadLogs());
    assert.match(file.name, /^webrtc_sdk_logs_\d{4}-\d{2}-\d{2}\.txt$/);
    assert.deepEqual(file.text.split('\n'), ring, 'the file is the ring, one line each');
    assert.deepEqual(agent.pageErrors, [], 'page errors');
  });

  it('two tabs of one origin share the ring: each batch keeps the other tab\'s lines', T, async () => {
    const a = await openPage();
    const b = await openPage();
    await a.page.evaluate(() => localStorage.removeItem('webrtc_sdk_logs'));
    await a.page.reload();
    await b.page.reload();
    const say = (o, tag) => o.page.evaluate((t) => new exotelSDK.ExotelWebClient().setPreferredCodec(t), tag);
    const stored = (tag) =>
      S.waitFor(async () => {
        const r = await a.page.evaluate(() => window.storedRing());
        return r && r.some((l) => l.includes(`'${tag}'`)) ? r : null;
      }, { timeout: 10000, message: `line ${tag} in the stored ring` });
    for (const [o, tag] of [[a, 'tabA-1'], [b, 'tabB-1'], [a, 'tabA-2'], [b, 'tabB-2']]) {
      await say(o, tag);
      await stored(tag);
    }
    const ring = await a.page.evaluate(() => window.storedRing());
    const tags = ring.map((l) => /unknown codec '(tab[AB]-\d)'/.exec(l)).filter(Boolean).map((m) => m[1]);
    assert.deepEqual(tags, ['tabA-1', 'tabB-1', 'tabA-2', 'tabB-2'], 'every line of both tabs, in order');
    // Each tab's download holds the shared ring too.
    const file = await download(a.page, () => new exotelSDK.ExotelWebClient().downloadLogs());
    assert.ok(file.text.includes("'tabB-2'"), 'tab A downloads tab B\'s lines');
    assert.deepEqual(a.pageErrors.concat(b.pageErrors), [], 'page errors');
  });

  for (const [what, init] of [
    ['setItem throws (quota)', () => {
      Storage.prototype.setItem = function () {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      };
    }],
    ['localStorage itself throws (blocked)', () => {
      Object.defineProperty(window, 'localStorage', {
        configurable: true,
        get() {
          throw new DOMException('The operation is insecure.', 'SecurityError');
        },
      });
    }],
  ]) {
    it(`localStorage unusable, ${what}: the SDK registers, one warning, logs kept in memory`, T, async () => {
      const agent = await openPage({ init });
      const { page } = agent;
      await page.evaluate((p) => window.start(p), RIGHT);
      await waitReg(page, 'registered');
      const warning = await S.waitFor(async () => {
        const calls = await page.evaluate(() => window.loggerCalls);
        const hits = calls.filter((c) => /^logs: localStorage/.test(c[1]));
        return hits.length ? hits : null;
      }, { timeout: 10000, message: 'the storage warning' });
      // Keep logging past a few batching delays: still one warning.
      for (let i = 0; i < 3; i++) {
        await page.evaluate(() => window.exWebClient.getCall().Answer());
        await new Promise((r) => setTimeout(r, 300));
      }
      const calls = await page.evaluate(() => window.loggerCalls);
      const warnings = calls.filter((c) => /^logs: localStorage/.test(c[1]));
      assert.equal(warnings.length, 1, `one warning: ${JSON.stringify(warnings)}`);
      assert.equal(warning[0][0], 'warn', 'logged as a warning');
      const consoleWarnings = (await agent.consoleTexts()).filter((t) => /logs: localStorage/.test(t));
      assert.equal(consoleWarnings.length, 1, `one console warning: ${JSON.stringify(consoleWarnings)}`);
      assert.ok(consoleWarnings[0].startsWith('[warning]'), consoleWarnings[0]);

      const file = await download(page);
      const lines = file.text.split('\n');
      assert.ok(lines.some((l) => /REGISTER sip:/.test(l)), 'the memory ring holds the session');
      assert.ok(lines.every((l) => LINE.test(l) || !/^\[/.test(l)), 'formatted lines');
      assert.deepEqual(agent.pageErrors, [], 'page errors');
    });
  }
});

// ---------------------------------------------------------------------------------------------
// helpers

/** Opens logs.html (nothing started). `init`: a script run before the page's own. */
async function openPage({ init } = {}) {
  const page = await ours.newPage();
  if (init) await page.addInitScript(init);
  const w = S.watchPage(page);
  // Console messages with their arguments' values too (args arrive as one array).
  const pending = [];
  page.on('console', (m) => {
    const args = m.args().slice(1);
    if (args.length) pending.push(Promise.all(args.map((a) => a.jsonValue().then((v) => JSON.stringify(v), () => '')))
      .then((vals) => `[${m.type()}] args ${vals.join(' ')}`));
  });
  const o = {
    page,
    pageErrors: w.pageErrors,
    consoleTexts: async () => w.consoleTexts.concat(await Promise.all(pending)),
  };
  opened.push(o);
  await page.goto(http.url(`/tests/e2e/pages/logs.html?port=${kam.port}&user=${AGENT}`));
  await page.click('#unlock');
  return o;
}

function waitReg(page, state) {
  return S.waitFor(async () => (await page.evaluate(() => window.regEvents)).includes(state), {
    timeout: 20000,
    message: (last) => `RegisterEventCallBack '${state}' (so far ${JSON.stringify(last)})`,
  }).catch(async (e) => {
    throw new Error(`${e.message}; register events ${JSON.stringify(await page.evaluate(() => window.regEvents).catch(() => null))}`);
  });
}

function waitCall(page, type) {
  return S.waitFor(async () => (await page.evaluate(() => window.callEvents)).includes(type), {
    timeout: 20000,
    message: `call event '${type}'`,
  }).catch(async (e) => {
    throw new Error(`${e.message}; call events ${JSON.stringify(await page.evaluate(() => window.callEvents).catch(() => null))}`);
  });
}

/** Runs `fn` (default: exWebClient.downloadLogs()) in the page; returns the saved file. */
async function download(page, fn = () => window.exWebClient.downloadLogs()) {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 15000 }), page.evaluate(fn)]);
  const p = await dl.path();
  const failure = await dl.failure();
  assert.equal(failure, null, 'download failed');
  return { name: dl.suggestedFilename(), text: fs.readFileSync(p, 'utf8') };
}

const utcDay = () => new Date().toISOString().slice(0, 10);

/** The m<N> markers of setPreferredCodec lines, in ring order. */
function markers(ring) {
  return ring.map((l) => /unknown codec 'm(\d+)'/.exec(l)).filter(Boolean).map((m) => Number(m[1]));
}

function range(a, b) {
  return Array.from({ length: b - a }, (_, i) => a + i);
}

/** A short excerpt around `needle` for failure messages (the needle itself masked). */
function context(text, needle) {
  const i = text.indexOf(needle);
  if (i < 0) return '';
  return `: …${text.slice(Math.max(0, i - 120), i)}<<HERE>>${text.slice(i + needle.length, i + needle.length + 60)}…`;
}
