// In-call controls end to end: Mute/UnMute/MuteToggle, sendDTMF (SIP INFO by default as
// 3.0.10, RFC 4733 with dtmfMode 'rfc4733'), noise suppression (off by default as 3.0.10),
// setPreferredCodec and the call volume. dist/exotelsdk.js runs on the guide-style agent page
// (tests/e2e/pages/agent.html, 1001, Chromium with a 440 Hz microphone); a JsSIP far end
// (tests/e2e/farend/, its own Chromium with a 1 kHz microphone) calls it through a private
// Kamailio. The agent page records every RTCPeerConnection before the SDK loads; this file adds
// an init script that records unhandled rejections and every media element the page plays
// with a srcObject (the SDK's remote audio element is never in the DOM).
// Mute is measured where it matters, at the far end: its inbound audioLevel. A Chromium
// receiver cannot see RFC 4733 events, so DTMF in RTP is checked on our RTCDTMFSender
// (`tonechange`), and SIP INFO DTMF at the far end's SIP stack (JsSIP `newDTMF`).
// Every wait is a bounded poll; no assertion depends on how long something took.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as S from './support.mjs';
import { waitRtpGrowing } from './farend/driver.mjs';
import * as R from './rig.mjs';
import { agentStats, callMethod, hasLog, logsOf, muteEvents, sendTracksEnabled, waitCallEventCount as waitCallEvent, waitLevel, waitAudible } from './rig.mjs';

const T = { timeout: 120000 };
const AGENT = '1001';
const rig = R.callRig('controls');
const { far, waitBinding, checkPageErrors } = rig;

// Runs in the agent page before its scripts: the rig's recorders, and the DTMF tones seen by
// instrumented RTCDTMFSenders.
function instrument() {
  window.__dtmf = [];
}

describe('in-call controls (Chromium, dist/exotelsdk.js by script tag, JsSIP far end)', () => {
  it('Mute/UnMute/MuteToggle: the far end hears silence while RTP flows, one session event per change, reset per call', T, async () => {
    const agent = await openAgent();
    const f = await far(1002);
    const id = await connect(agent, f);
    await waitLevel(f, id, true, 'far end hears the agent before Mute()');

    // Before anything changes: UnMute() on an unmuted call does nothing.
    await callMethod(agent, 'UnMute');
    assert.deepEqual(await muteEvents(agent), [], 'UnMute() of an unmuted call: no event');

    await callMethod(agent, 'Mute');
    assert.deepEqual(await muteEvents(agent), ['muted'], "Mute(): SessionCallback('muted')");
    const ev = await agent.page.evaluate(() => window.sessionEvents.find((e) => e[0] === 'muted'));
    assert.equal(ev[1], AGENT, "SessionCallback('muted') names the phone");
    assert.deepEqual(await sendTracksEnabled(agent), [false], 'Mute(): the sender track is disabled');
    await waitLevel(f, id, false, 'far end: silence after Mute()');
    await waitRtpGrowing(() => f.stats(id), 'far end: RTP keeps flowing while muted');
    assert.equal((await f.info(id)).ended, false, 'muting sends nothing that ends the call');

    await callMethod(agent, 'Mute');
    assert.deepEqual(await muteEvents(agent), ['muted'], 'Mute() of a muted call: no second event');

    await callMethod(agent, 'UnMute');
    assert.deepEqual(await muteEvents(agent), ['muted', 'unmuted'], "UnMute(): SessionCallback('unmuted')");
    assert.deepEqual(await sendTracksEnabled(agent), [true], 'UnMute(): the sender track is enabled');
    await waitLevel(f, id, true, 'far end hears the agent after UnMute()');

    await callMethod(agent, 'MuteToggle');
    assert.deepEqual(await sendTracksEnabled(agent), [false], 'MuteToggle() mutes an unmuted call');
    await waitLevel(f, id, false, 'far end: silence after MuteToggle()');
    await callMethod(agent, 'MuteToggle');
    assert.deepEqual(await sendTracksEnabled(agent), [true], 'a second MuteToggle() restores');
    await waitLevel(f, id, true, 'far end hears the agent after two MuteToggle()');
    assert.deepEqual(await muteEvents(agent), ['muted', 'unmuted', 'muted', 'unmuted'], 'one event per change');

    // End the call muted: the next call starts unmuted and can be muted again.
    await callMethod(agent, 'Mute');
    await f.hangup(id);
    await waitCallEvent(agent, 'terminated');
    await callMethod(agent, 'Mute'); // no call: logged, nothing else
    assert.ok(await hasLog(agent, 'warn', /Call\.Mute: no call in progress/), 'Mute() without a call is logged');
    assert.deepEqual(await muteEvents(agent), ['muted', 'unmuted', 'muted', 'unmuted', 'muted'], 'no event without a call');

    const id2 = await connect(agent, f, 1);
    assert.deepEqual(await sendTracksEnabled(agent), [true], 'the next call starts unmuted');
    await waitLevel(f, id2, true, 'far end hears the agent on the next call');
    await callMethod(agent, 'Mute');
    assert.equal((await muteEvents(agent)).length, 6, "Mute() on the next call fires 'muted' again");
    await waitLevel(f, id2, false, 'far end: silence after Mute() on the next call');
    await f.hangup(id2);
    await waitCallEvent(agent, 'terminated', 2);
    await checkPageErrors();
  });

  it("sendDTMF with dtmfMode 'rfc4733': RFC 4733 through the RTCDTMFSender, local key tone, lower case and numbers; invalid keys are logged, never thrown", T, async () => {
    const agent = await openAgent();
    const f = await far(1002);
    await setDtmfMode(agent, 'rfc4733');
    const id = await connect(agent, f);
    const sdp = await agent.page.evaluate(() => {
      const pc = window.__pcs[window.__pcs.length - 1];
      return { remote: pc.remoteDescription.sdp, local: pc.localDescription.sdp };
    });
    assert.match(sdp.remote, /a=rtpmap:\d+ telephone-event\//, 'the far end offers telephone-event');
    assert.match(sdp.local, /a=rtpmap:\d+ telephone-event\//, 'our answer keeps telephone-event');
    await f.page.evaluate((i) => {
      window.__info = [];
      window.far.calls[i].session.on('newDTMF', (e) => window.__info.push([e.originator, e.dtmf.tone]));
    }, id);

    // The tone plays at once (synchronously); checked in the same task it was started.
    const local = await agent.page.evaluate(() => {
      const pc = window.__pcs[window.__pcs.length - 1];
      const dtmf = pc.getSenders().map((s) => s.dtmf).find(Boolean);
      dtmf.addEventListener('tonechange', (e) => window.__dtmf.push(e.tone));
      window.exWebClient.getCall().sendDTMF('1');
      return { playing: window.exotelSDK.__tones.isTonePlaying('dtmftone'), canInsert: dtmf.canInsertDTMF };
    });
    assert.equal(local.canInsert, true, 'canInsertDTMF once the call is up');
    assert.equal(local.playing, true, "sendDTMF plays the local key tone ('dtmftone')");
    await waitDtmf(agent, ['1'], "sendDTMF('1') → tonechange '1'");

    // Keys pressed faster than they are sent are queued, not dropped; 'a' is sent as 'A', 7 as '7'.
    await agent.page.evaluate(() => {
      const c = window.exWebClient.getCall();
      c.sendDTMF('a');
      c.sendDTMF(7);
      c.sendDTMF('#');
    });
    await waitDtmf(agent, ['1', 'A', '7', '#'], 'quick keys a, 7, # in order');

    // Invalid input: logged as an error, nothing sent, nothing thrown or rejected.
    const bad = ['x', '12', '', ' ', 'E', null, undefined, 12, 1.5, {}, '**'];
    const thrown = await agent.page.evaluate((vals) => {
      const out = [];
      for (const v of [...vals, Symbol('s')]) {
        try {
          window.exWebClient.getCall().sendDTMF(v);
        } catch (e) {
          out.push(String(e));
        }
      }
      return out;
    }, bad);
    assert.deepEqual(thrown, [], 'sendDTMF never throws');
    assert.ok(await hasLog(agent, 'error', /Call\.sendDTMF: invalid DTMF digit 'x'; expected one of 0-9, \*, #, A-D/), "sendDTMF('x') logs a clear error");
    const errors = (await logsOf(agent)).filter(([t, m]) => t === 'error' && /Call\.sendDTMF: invalid DTMF digit/.test(m));
    assert.equal(errors.length, bad.length + 1, `one error per invalid key: ${JSON.stringify(errors)}`);
    // Give a wrongly sent key the time to show up, then check none did.
    await agent.page.evaluate(() => window.exWebClient.getCall().sendDTMF('0'));
    await waitDtmf(agent, ['1', 'A', '7', '#', '0'], 'a valid key after the invalid ones');
    assert.deepEqual(await f.page.evaluate(() => window.__info), [], 'rfc4733 mode sends no SIP INFO');

    await f.hangup(id);
    await waitCallEvent(agent, 'terminated');
    await agent.page.evaluate(() => window.exWebClient.getCall().sendDTMF('5'));
    assert.ok(await hasLog(agent, 'warn', /Call\.sendDTMF\(5\): no connected call/), 'sendDTMF without a call is logged');
    await checkPageErrors();
  });

  it("sendDTMF by SIP INFO application/dtmf-relay by default (3.0.10's wire), and as the rfc4733 fallback when the far end has no telephone-event", T, async () => {
    const agent = await openAgent();
    const f = await far(1002);
    // No dtmfMode in the account: what 3.0.10 sends, although the far end offers telephone-event.
    const id = await connect(agent, f);
    await watchInfo(f, id);
    const offered = await agent.page.evaluate(() => window.__pcs[window.__pcs.length - 1].remoteDescription.sdp);
    assert.match(offered, /a=rtpmap:\d+ telephone-event\//, 'the far end offers telephone-event');
    await agent.page.evaluate(() => {
      const pc = window.__pcs[window.__pcs.length - 1];
      pc.getSenders().map((s) => s.dtmf).find(Boolean).addEventListener('tonechange', (e) => window.__dtmf.push(e.tone));
      window.exWebClient.getCall().sendDTMF('4');
      window.exWebClient.getCall().sendDTMF('d');
    });
    await waitInfo(f, ['4', 'D'], "default dtmfMode: INFO for '4' and 'd'");
    const bodies = await f.page.evaluate(() => window.__infoRaw.slice());
    assert.deepEqual(
      bodies.map(([type, body]) => [type, /^Signal=(.)\r\nDuration=\d+/.exec(body)?.[1]]),
      [['application/dtmf-relay', '4'], ['application/dtmf-relay', 'D']],
      `INFO Content-Type and body as 3.0.10 sends them: ${JSON.stringify(bodies)}`,
    );
    assert.deepEqual(await agent.page.evaluate(() => window.__dtmf), [], 'default dtmfMode: nothing in RTP');
    await f.hangup(id);
    await waitCallEvent(agent, 'terminated');

    // dtmfMode 'rfc4733'; the far end now offers no telephone-event, so INFO carries the keys.
    await setDtmfMode(agent, 'rfc4733');
    await f.page.evaluate(() => {
      window.far.ua.on('newRTCSession', (e) => {
        if (e.originator !== 'local') return;
        e.session.on('sdp', (s) => {
          if (s.originator !== 'local' || s.type !== 'offer') return;
          const pts = [...s.sdp.matchAll(/a=rtpmap:(\d+) telephone-event\/\d+/g)].map((m) => m[1]);
          let out = s.sdp;
          for (const pt of pts) {
            out = out.replace(new RegExp(`a=(rtpmap|fmtp):${pt} [^\\r\\n]*\\r\\n`, 'g'), '');
            out = out.replace(/^(m=audio [^\r\n]*)$/m, (line) => line.split(' ').filter((x, i) => i < 3 || x !== pt).join(' '));
          }
          s.sdp = out;
        });
      });
    });
    const id2 = await connect(agent, f, 1);
    await watchInfo(f, id2);
    const remote = await agent.page.evaluate(() => window.__pcs[window.__pcs.length - 1].remoteDescription.sdp);
    assert.doesNotMatch(remote, /telephone-event/, 'the far end offered no telephone-event');
    await agent.page.evaluate(() => window.exWebClient.getCall().sendDTMF('9'));
    await waitInfo(f, ['9'], 'fallback to INFO without telephone-event');
    assert.ok(await hasLog(agent, 'info', /did not negotiate telephone-event; DTMF goes by SIP INFO/), 'the fallback is logged');
    await f.hangup(id2);
    await waitCallEvent(agent, 'terminated', 2);
    await checkPageErrors();
  });

  it('noise suppression: off by default (3.0.10 asked for it off), setNoiseSuppression(true) turns it on from the next call', T, async () => {
    const agent = await openAgent();
    const f = await far(1002);
    const id = await connect(agent, f);
    assert.deepEqual(await micNoiseSuppression(agent), { asked: false, applied: false }, 'the call microphone without noise suppression');
    await f.hangup(id);
    await waitCallEvent(agent, 'terminated');

    await agent.page.evaluate(() => window.exWebClient.setNoiseSuppression(true));
    const id2 = await connect(agent, f, 1);
    assert.deepEqual(await micNoiseSuppression(agent), { asked: true, applied: true }, 'setNoiseSuppression(true): the next call asks for it');
    await f.hangup(id2);
    await waitCallEvent(agent, 'terminated', 2);
    await checkPageErrors();
  });

  it("setPreferredCodec: 'opus' → audio/opus, 'pcmu' → audio/PCMU on incoming calls, 'pcma' on an outgoing offer; unknown names change nothing", T, async () => {
    const agent = await openAgent();
    const f = await far(1002);

    await agent.page.evaluate(() => window.exWebClient.setPreferredCodec('opus'));
    const id = await connect(agent, f);
    await checkCodec(agent, f, id, 'audio/opus');
    await f.hangup(id);
    await waitCallEvent(agent, 'terminated');

    // 'nonsense' (and other junk) after 'PCMU' leaves PCMU preferred.
    const thrown = await agent.page.evaluate(() => {
      const out = [];
      for (const v of ['PCMU', 'nonsense', 42, null, undefined, '', {}]) {
        try {
          window.exWebClient.setPreferredCodec(v);
        } catch (e) {
          out.push(String(e));
        }
      }
      return out;
    });
    assert.deepEqual(thrown, [], 'setPreferredCodec never throws');
    assert.ok(await hasLog(agent, 'error', /setPreferredCodec: unknown codec 'nonsense'; expected one of opus, pcmu, pcma, g722/), "'nonsense' is logged as an error");
    const errs = (await logsOf(agent)).filter(([t, m]) => t === 'error' && /setPreferredCodec: unknown codec/.test(m));
    assert.equal(errs.length, 6, `one error per unknown name: ${JSON.stringify(errs)}`);
    const id2 = await connect(agent, f, 1);
    await checkCodec(agent, f, id2, 'audio/PCMU');
    await f.hangup(id2);
    await waitCallEvent(agent, 'terminated', 2);

    // Our own offer (makeCall) puts PCMA first; the far end answers with it.
    await agent.page.evaluate(() => window.exWebClient.setPreferredCodec('pcma'));
    assert.equal(await agent.page.evaluate(() => window.exWebClient.makeCall('1002')), true, 'makeCall placed');
    const id3 = await S.waitFor(async () => {
      const ids = await f.incoming();
      return ids.length ? { id: ids[0] } : null;
    }, { message: 'far end 1002 to receive our INVITE' }).then((x) => x.id);
    await f.answer(id3);
    await waitCallEvent(agent, 'connected', 3);
    await f.waitEvent(id3, 'confirmed');
    const offer = await agent.page.evaluate(() => window.__pcs[window.__pcs.length - 1].localDescription.sdp);
    const mline = /^m=audio \d+ (\S+) ([\d ]+)$/m.exec(offer);
    const pcma = /a=rtpmap:(\d+) PCMA\/8000/i.exec(offer);
    assert.ok(mline && pcma, 'our offer has an audio m-line and PCMA');
    assert.equal(mline[2].split(' ')[0], pcma[1], `PCMA first in our offer's m-line: ${mline[0]}`);
    assert.equal(mline[1], 'UDP/TLS/RTP/SAVPF', 'the profile is untouched (3.0.10 rewrote it)');
    assert.match(offer, /telephone-event/, 'telephone-event still offered');
    assert.match(offer, /opus\/48000/, 'opus still offered');
    await checkCodec(agent, f, id3, 'audio/PCMA');
    await agent.page.evaluate(() => window.exWebClient.getCall().Hangup());
    await waitCallEvent(agent, 'callEnded', 3);
    await checkPageErrors();
  });

  it('setCallAudioOutputVolume: clamps, rejects non-numbers, applies to the playing call and to the next one; never throws before initWebrtc', T, async () => {
    const agent = await openAgent();
    const f = await far(1002);

    // A second client that has not called initWebrtc yet: nothing throws, the value is kept.
    const pre = await agent.page.evaluate(() => {
      const out = { thrown: [] };
      const c = new window.exotelSDK.ExotelWebClient();
      window.clientB = c;
      const tryIt = (name, fn) => {
        try {
          fn();
        } catch (e) {
          out.thrown.push(`${name}: ${e}`);
        }
      };
      tryIt('default', () => (out.initial = c.getCallAudioOutputVolume()));
      tryIt('set', () => c.setCallAudioOutputVolume(0.5));
      tryIt('bad', () => c.setCallAudioOutputVolume('loud'));
      tryIt('get', () => (out.after = c.getCallAudioOutputVolume()));
      tryIt('codec', () => c.setPreferredCodec('pcmu'));
      tryIt('Mute', () => c.getCall().Mute());
      tryIt('UnMute', () => c.getCall().UnMute());
      tryIt('MuteToggle', () => c.getCall().MuteToggle());
      tryIt('sendDTMF', () => c.getCall().sendDTMF('1'));
      return out;
    });
    assert.deepEqual(pre.thrown, [], 'nothing throws before initWebrtc');
    assert.equal(pre.initial, 1, 'getCallAudioOutputVolume() defaults to 1');
    assert.equal(pre.after, 0.5, "0.5 kept before initWebrtc; 'loud' ignored");

    // The main client, in a call: the SDK's remote audio element follows the volume.
    const id = await connect(agent, f);
    const el = () => agent.page.evaluate(() => {
      const live = window.__played.filter((a) => a.srcObject && a.srcObject.active);
      const a = live[live.length - 1];
      return a ? { volume: a.volume, inDom: a.isConnected } : null;
    });
    assert.equal((await el()).volume, 1, 'remote audio at full volume by default');
    const got = await agent.page.evaluate(() => {
      const c = window.exWebClient;
      const seen = [];
      const step = (v) => {
        c.setCallAudioOutputVolume(v);
        seen.push(c.getCallAudioOutputVolume());
      };
      for (const v of [2, -1, '0.75', 'loud', null, undefined, {}, NaN, '', 0.25]) step(v);
      return seen;
    });
    assert.deepEqual(got, [1, 0, 0.75, 0.75, 0.75, 0.75, 0.75, 0.75, 0.75, 0.25], 'clamped; non-numbers leave the value');
    const errs = (await logsOf(agent)).filter(([t, m]) => t === 'error' && /setCallAudioOutputVolume: volume must be a number/.test(m));
    assert.equal(errs.length, 7, `one error per non-number (the second client's 'loud' included): ${JSON.stringify(errs)}`);
    assert.equal((await el()).volume, 0.25, 'the playing remote audio element is at 0.25');
    await waitAudible(() => agent.page.evaluate(() => window.rtpStats()), 'the call is still played');
    await f.hangup(id);
    await waitCallEvent(agent, 'terminated');

    // The volume set before initWebrtc reaches that client's calls.
    await agent.page.evaluate(() => {
      window.bEvents = [];
      const q = new URLSearchParams(location.search);
      window.clientB.initWebrtc(
        { userName: '1003', authUser: '1003', sipdomain: '127.0.0.1', domain: `127.0.0.1:${q.get('port')}`, secret: 'pass1003', security: 'ws', endpoint: 'ws', iceServers: [] },
        (state) => window.bEvents.push(['reg', state]),
        (call, type) => window.bEvents.push(['call', type]),
        () => {},
      );
      window.clientB.DoRegister();
    });
    await S.waitFor(async () => (await agent.page.evaluate(() => window.bEvents)).some((e) => e[1] === 'registered'), { message: 'client B (1003) registered' });
    await waitBinding(1003);
    const idB = await f.call('sip:1003@127.0.0.1');
    await S.waitFor(async () => (await agent.page.evaluate(() => window.bEvents)).some((e) => e[1] === 'incoming'), { message: 'client B rings' });
    await agent.page.evaluate(() => window.clientB.getCall().Answer());
    await f.waitEvent(idB, 'confirmed');
    await S.waitFor(async () => {
      const e = await el();
      return e && e.volume === 0.5 ? e : null;
    }, { message: "client B's remote audio element at the volume set before initWebrtc (0.5)" });
    assert.equal(await agent.page.evaluate(() => window.clientB.getCallAudioOutputVolume()), 0.5);
    await f.hangup(idB);
    await S.waitFor(async () => (await agent.page.evaluate(() => window.bEvents)).some((e) => e[1] === 'callEnded'), { message: 'client B call ended' });
    await agent.page.evaluate(() => window.clientB.UnRegister());
    await checkPageErrors();
  });
});

// ---------------------------------------------------------------------------------------------
// helpers

function openAgent(user = AGENT) {
  return rig.openAgent({ user, init: `(${R.instrument})();(${instrument})();` });
}

/** The far end calls the agent (call number `round`, from 0), which answers; returns the far call id once audio flows. */
const connect = (agent, f, round = 0) => R.connect(agent, f, { callSid: `CA-controls-${round}`, label: `call ${round}` });

/** Waits until the instrumented RTCDTMFSender has played exactly `want` (the '' end markers dropped). */
async function waitDtmf(o, want, what) {
  const seen = () => o.page.evaluate(() => window.__dtmf.filter((t) => t !== ''));
  await S.waitFor(async () => (await seen()).length >= want.length, { message: `${what}: tonechange ${want.join(',')}` }).catch(async (e) => {
    throw new Error(`${e.message}; seen ${JSON.stringify(await seen())}`);
  });
  assert.deepEqual(await seen(), want, what);
}

/**
 * Records the INFO DTMF that far-end call `id` receives into window.__info, and each INFO's
 * Content-Type and body into window.__infoRaw.
 */
function watchInfo(f, id) {
  return f.page.evaluate((i) => {
    window.__info = [];
    window.__infoRaw = [];
    window.far.calls[i].session.on('newDTMF', (e) => {
      window.__info.push([e.originator, e.dtmf.tone]);
      if (e.request) window.__infoRaw.push([e.request.getHeader('Content-Type'), e.request.body]);
    });
  }, id);
}

/** noiseSuppression of the track the newest call sends: as constrained, and as applied. */
function micNoiseSuppression(agent) {
  return agent.page.evaluate(() => {
    const pc = window.__pcs[window.__pcs.length - 1];
    const track = pc.getSenders().find((x) => x.track && x.track.kind === 'audio').track;
    return { asked: track.getConstraints().noiseSuppression, applied: track.getSettings().noiseSuppression };
  });
}

/** Re-inits the agent with the same account and `mode`: the running core and registration stay. */
function setDtmfMode(agent, mode) {
  return agent.page.evaluate(
    (m) => window.exWebClient.initWebrtc({ ...window.exWebClient.sipAccountInfo, dtmfMode: m }, RegisterEventCallBack, CallListenerCallback, SessionCallback),
    mode,
  );
}

async function waitInfo(f, want, what) {
  const seen = () => f.page.evaluate(() => window.__info.slice());
  await S.waitFor(async () => (await seen()).length >= want.length, { message: `${what}: INFO ${want.join(',')}` }).catch(async (e) => {
    throw new Error(`${e.message}; seen ${JSON.stringify(await seen())}`);
  });
  assert.deepEqual(await seen(), want.map((t) => ['remote', t]), what);
}

/** The codec (mimeType) of our outbound and inbound RTP, and of the far end's; then audio both ways. */
async function checkCodec(agent, f, id, mime) {
  const codecs = () => agent.page.evaluate(async () => {
    const pc = window.__pcs[window.__pcs.length - 1];
    const report = await pc.getStats();
    const out = {};
    report.forEach((s) => {
      if ((s.type === 'outbound-rtp' || s.type === 'inbound-rtp') && s.kind === 'audio' && s.codecId) {
        const c = report.get(s.codecId);
        out[s.type] = c ? c.mimeType : null;
      }
    });
    return out;
  });
  const got = await S.waitFor(async () => {
    const c = await codecs();
    return c['outbound-rtp'] && c['inbound-rtp'] ? c : null;
  }, { message: 'codec stats of our RTP' });
  assert.equal(got['outbound-rtp'].toLowerCase(), mime.toLowerCase(), `codec we send: ${JSON.stringify(got)}`);
  assert.equal(got['inbound-rtp'].toLowerCase(), mime.toLowerCase(), `codec we receive: ${JSON.stringify(got)}`);
  await waitAudible(() => agentStats(agent), `${mime}: the SDK page plays the far end`);
  await waitAudible(() => f.stats(id), `${mime}: the far end hears the agent`);
}
