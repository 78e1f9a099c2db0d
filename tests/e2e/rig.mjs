// The rig the call tests share: a static HTTP server, a private Kamailio, one Chromium for the
// SDK pages (440 Hz fake microphone) and one for the JsSIP far ends (1 kHz), started once per
// file; after each test every far end is stopped, every page closed and Kamailio's bindings
// cleared, so a failed test leaves nothing (no fork) for the next. Plus the page readers, waits
// and checks those files use alike.
import { before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as S from './support.mjs';
import { openAgentPage, waitBinding, callEvents, types } from './agent.mjs';
import { bundleFarEnd, openFarEnd, waitRtpGrowing } from './farend/driver.mjs';

/** audioLevel (far end's inbound peak meter) of a silenced microphone, and of an audible one. */
export const SILENT = 0.005;
export const AUDIBLE = 0.01;

/**
 * Registers the file's hooks and returns the rig: { stack, http, kam, ours, theirs, opened,
 * openAgent({user, init, query, ctx}), far(user, ctx), waitBinding(user), checkPageErrors() }.
 * `opened` lists { w, far? } of the running test; the hooks close them. `kamailio`: options of
 * S.startKamailio (e.g. { outbound: true }).
 */
export function callRig(name, { kamailio } = {}) {
  const rig = { stack: new S.Stack(), http: null, kam: null, ours: null, theirs: null, opened: [] };
  before(async () => {
    await bundleFarEnd();
    rig.http = await S.startHttp(rig.stack);
    rig.kam = await S.startKamailio(rig.stack, name, kamailio);
    rig.ours = await S.launchChromium(rig.stack, { fakeAudioFile: S.toneWav(440) });
    rig.theirs = await S.launchChromium(rig.stack, { fakeAudioFile: S.toneWav(1000) });
  });
  after(() => rig.stack.close());
  afterEach(async () => {
    for (const o of rig.opened) if (o.far) await o.far.stop();
    for (const o of rig.opened) await o.w.page.close().catch(() => {});
    rig.opened.length = 0;
    await rig.kam.clear();
  });
  rig.openAgent = ({ user = '1001', init, query, ctx = rig.ours } = {}) =>
    openAgentPage({ ctx, http: rig.http, kam: rig.kam, user, opened: rig.opened, init, query });
  rig.far = async (user, ctx = rig.theirs) => {
    const f = await openFarEnd(ctx, rig.http, rig.kam, user);
    rig.opened.push({ w: f.w, far: f });
    return f;
  };
  rig.waitBinding = (user) => waitBinding(rig.kam, user);
  rig.checkPageErrors = () => checkPageErrors(rig.opened);
  return rig;
}

/** Runs in an SDK page before its scripts: records unhandled rejections and played media elements. */
export function instrument() {
  window.__rejections = [];
  window.addEventListener('unhandledrejection', (e) => {
    window.__rejections.push(String(e.reason && e.reason.message ? e.reason.message : e.reason));
  });
  window.__played = []; // media elements played with a srcObject (the SDK's call audio is never in the DOM)
  const play = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = function (...args) {
    if (this.srcObject && !window.__played.includes(this)) window.__played.push(this);
    return play.apply(this, args);
  };
}

export const agentStats = (o) => o.page.evaluate(() => window.rtpStats());
export const answer = (o) => o.page.evaluate(() => window.exWebClient.getCall().Answer());
export const callMethod = (o, name) => o.page.evaluate((n) => window.exWebClient.getCall()[n](), name);
export const details = (o) => o.page.evaluate(() => JSON.parse(JSON.stringify(window.exWebClient.getCall().callDetails())));
export const sessionStates = (o) => o.page.evaluate(() => window.sessionEvents.map((e) => e[0]));
export const muteEvents = async (o) => (await sessionStates(o)).filter((s) => s === 'muted' || s === 'unmuted');
export const logsOf = (o) => o.page.evaluate(() => window.logs.slice());

export async function hasLog(o, type, re) {
  return (await logsOf(o)).some(([t, m]) => t === type && re.test(m));
}

/** `enabled` of the audio track of every sender of the newest RTCPeerConnection. */
export const sendTracksEnabled = (o) =>
  o.page.evaluate(() => {
    const pc = window.__pcs[window.__pcs.length - 1];
    return pc.getSenders().filter((s) => s.track && s.track.kind === 'audio').map((s) => s.track.enabled);
  });

export const tonePlaying = (o, name) => o.page.evaluate((n) => window.exotelSDK.__tones.isTonePlaying(n), name);

/** Polls exotelSDK.__tones.isTonePlaying(name) until it equals `playing`. */
export function waitTone(o, name, playing, what) {
  return S.waitFor(async () => (await tonePlaying(o, name)) === playing, {
    timeout: 10000,
    message: `${what}: isTonePlaying('${name}') === ${playing}`,
  });
}
export const countOf = async (o, type) => (await callEvents(o)).filter((e) => e.type === type).length;

/** Waits for the `n`th call event `type` (counting from the page's load); returns all events. */
export function waitCallEventCount(o, type, n = 1, timeout = 15000) {
  return S.waitFor(async () => {
    const evs = await callEvents(o);
    return evs.filter((e) => e.type === type).length >= n ? evs : null;
  }, { timeout, message: (last) => `call event '${type}' #${n}; events so far ${JSON.stringify(last && types(last))}` });
}

/** Waits for call event `type` at index >= `from`; returns all events. */
export function waitCallEventFrom(o, type, from = 0, timeout = 15000) {
  return S.waitFor(async () => {
    const evs = await callEvents(o);
    return evs.slice(from).some((e) => e.type === type) ? evs : null;
  }, { timeout, message: (last) => `${o.user}: call event '${type}'; events so far ${JSON.stringify(last && types(last))}` }).catch(async (e) => {
    const evs = await callEvents(o).catch(() => []);
    throw new Error(`${e.message}; call events: ${JSON.stringify(types(evs))}`);
  });
}

/** Far end's inbound audioLevel: above AUDIBLE (`loud`) or below SILENT. A peak meter that decays. */
export function waitLevel(f, id, loud, what, timeout = 15000) {
  return S.waitFor(async () => {
    const s = await f.stats(id);
    if (s.audioLevel === null) return null;
    return (loud ? s.audioLevel > AUDIBLE : s.audioLevel < SILENT) ? s : null;
  }, { timeout, interval: 100, message: `${what}: audioLevel ${loud ? `> ${AUDIBLE}` : `< ${SILENT}`}` });
}

/** Waits for audioLevel > AUDIBLE on a stats sampler (audioLevel is only reported while played). */
export function waitAudible(sample, what, timeout = 15000) {
  return S.waitFor(async () => {
    const s = await sample();
    return s.audioLevel !== null && s.audioLevel > AUDIBLE ? s : null;
  }, { timeout, message: `${what}: inbound audioLevel > ${AUDIBLE}` });
}

/**
 * Far end `f` calls the agent page `agent` (sip:<agent.user>@127.0.0.1, X-Exotel-Callsid
 * `callSid` when given), which answers; returns the far call id once RTP flows both ways.
 * `waitConnected: false` skips the wait for the agent's 'connected' call event; `label`
 * prefixes the RTP wait messages.
 */
export async function connect(agent, f, { callSid, label, waitConnected = true } = {}) {
  const at = (what) => (label ? `${label}: ${what}` : what);
  const ringing = await countOf(agent, 'ringing');
  const connected = await countOf(agent, 'connected');
  const id = await f.call(`sip:${agent.user}@127.0.0.1`, callSid ? { callSid } : {});
  await waitCallEventCount(agent, 'ringing', ringing + 1);
  await answer(agent);
  if (waitConnected) await waitCallEventCount(agent, 'connected', connected + 1);
  await f.waitEvent(id, 'confirmed');
  await waitRtpGrowing(() => agentStats(agent), at('SDK page'));
  await waitRtpGrowing(() => f.stats(id), at('far end'));
  return id;
}

/**
 * The agent page calls far end `f` (makeCall), which answers; returns the far call id once RTP
 * flows both ways. `label` prefixes the RTP wait messages.
 */
export async function connectOutgoing(agent, f, { label } = {}) {
  const at = (what) => (label ? `${label}: ${what}` : what);
  const connected = await countOf(agent, 'connected');
  const n = (await f.incoming()).length;
  assert.equal(await agent.page.evaluate((t) => window.exWebClient.makeCall(t), f.user), true, 'makeCall placed');
  const id = await farIncoming(f, n);
  await f.answer(id);
  await waitCallEventCount(agent, 'connected', connected + 1);
  await f.waitEvent(id, 'confirmed');
  await waitRtpGrowing(() => agentStats(agent), at('SDK page'));
  await waitRtpGrowing(() => f.stats(id), at('far end'));
  return id;
}

/** The id of far end `f`'s incoming call number `n` (0-based), once its INVITE arrived. */
export async function farIncoming(f, n = 0) {
  const hit = await S.waitFor(async () => {
    const ids = await f.incoming();
    return ids.length > n ? { id: ids[n] } : null; // wrapped: id 0 is falsy
  }, { message: `far end ${f.user} to receive INVITE #${n + 1}` });
  return hit.id;
}

/** After a call: every recorded RTCPeerConnection closed and every microphone track ended. */
export async function checkMediaReleased(o, { answered = false } = {}) {
  const released = (m) => m.pcs.every((p) => p.connectionState === 'closed') && m.tracks.every((t) => t.readyState === 'ended');
  const m = await S.waitFor(async () => {
    const x = await o.page.evaluate(() => window.mediaState());
    return released(x) ? x : null;
  }, { timeout: 10000, message: `${o.user}: every RTCPeerConnection closed and every getUserMedia track ended` }).catch(async (e) => {
    const x = await o.page.evaluate(() => window.mediaState()).catch(() => null);
    throw new Error(`${e.message}: ${JSON.stringify(x)}`);
  });
  if (answered) {
    assert.ok(m.pcs.length >= 1, `${o.user}: an answered call recorded an RTCPeerConnection`);
    assert.ok(m.tracks.length >= 1, `${o.user}: an answered call recorded a microphone track`);
  }
  return m;
}

/**
 * Every page of the test: no page errors; far ends: no window errors; SDK pages: no
 * unhandled rejections (where recorded) and no test password in the logger output or console.
 */
export async function checkPageErrors(opened) {
  for (const o of opened) {
    assert.deepEqual(o.w.pageErrors, [], `page errors on ${o.w.page.url()}`);
    if (o.far) {
      assert.deepEqual(await o.far.errors(), [], `far end ${o.far.user}: window errors`);
      continue;
    }
    const { rejections, logs } = await o.page.evaluate(() => ({ rejections: window.__rejections || [], logs: JSON.stringify(window.logs || []) }));
    assert.deepEqual(rejections, [], 'no unhandled rejections on the SDK page');
    for (const secret of Object.values(S.USERS)) {
      assert.ok(!logs.includes(secret), `password '${secret}' appears in the logger callback output`);
      assert.equal(o.w.consoleTexts.find((t) => t.includes(secret)), undefined, `password '${secret}' appears in a console message`);
    }
  }
}
