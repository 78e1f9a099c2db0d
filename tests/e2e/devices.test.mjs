// Audio devices end to end (guide §5.16): changeAudioInputDevice / changeAudioOutputDevice
// before and during a call, and what a devicechange does. dist/exotelsdk.js runs on the
// guide-style agent page (1001, Chromium, 440 Hz fake microphone); a JsSIP far end in its own
// Chromium calls it through a private Kamailio.
//
// Chromium's fake devices are real to the page: three audio inputs ('default', 'Fake Audio
// Input 1', 'Fake Audio Input 2') and three outputs, with working getUserMedia and setSinkId.
// What no headless browser can do is plug a device in, so the one fake here is a filter on
// enumerateDevices that hides named devices until the test "plugs" them and fires devicechange
// (fault injection, window.__plug/__unplug below). Every switch that follows is real: a real
// getUserMedia of that device and a real replaceTrack or setSinkId.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as S from './support.mjs';
import { waitRtpGrowing } from './farend/driver.mjs';
import * as R from './rig.mjs';
import { callRig, instrument, agentStats, waitCallEventCount as waitCallEvent, waitLevel } from './rig.mjs';

const T = { timeout: 120000 };
const AGENT = '1001';

// Runs in the agent page after instrument(): unplugged devices, by label, are left out of
// enumerateDevices until __plug(label).
function pluggable() {
  const hidden = new Set(JSON.parse(new URLSearchParams(location.search).get('hide') || '[]'));
  const md = navigator.mediaDevices;
  const enumerate = md.enumerateDevices.bind(md);
  md.enumerateDevices = () => enumerate().then((list) => list.filter((d) => !hidden.has(d.label)));
  const fire = () => md.dispatchEvent(new Event('devicechange'));
  window.__plug = (label) => {
    hidden.delete(label);
    fire();
  };
  window.__unplug = (label) => {
    hidden.add(label);
    fire();
  };
}

describe('audio devices (Chromium fake devices, dist/exotelsdk.js by script tag, JsSIP far end)', () => {
  const rig = callRig('devices');
  const { far, checkPageErrors: checkErrors } = rig;

  function openAgent({ init, hide } = {}) {
    const script = `(${instrument.toString()})();(${pluggable.toString()})();${init ? `(${init.toString()})();` : ''}`;
    return rig.openAgent({ user: AGENT, init: script, query: hide ? `&hide=${encodeURIComponent(JSON.stringify(hide))}` : '' });
  }

  it('changeAudioInputDevice mid-call: replaceTrack without a re-INVITE, RTP keeps flowing, the old track stopped, mute kept; clear errors', T, async () => {
    const agent = await openAgent();
    const f = await far(1002);
    const id = await connect(agent, f);
    const dev = await devices(agent);
    const before = await sender(agent);
    assert.equal(before.deviceId, 'default', 'the call starts on the default microphone');
    assert.equal(before.noiseSuppression, false, 'noise suppression off by default (3.0.10)');

    let r = await change(agent, 'Input', dev.in1);
    assert.deepEqual(r, { ok: true }, 'onSuccess receives the device id');
    const after1 = await sender(agent);
    assert.notEqual(after1.trackId, before.trackId, 'the sender carries a new track');
    assert.equal(after1.deviceId, dev.in1, 'the new track is Fake Audio Input 1');
    assert.equal(after1.noiseSuppression, false, "the new track keeps the call's noise-suppression setting, not the browser's default (3.0.10 dropped it)");
    assert.equal(await trackState(agent, before.trackId), 'ended', 'the old microphone track is stopped');
    assert.equal(after1.sdp, before.sdp, 'no renegotiation: the local description is unchanged');
    await waitRtpGrowing(() => f.stats(id), 'far end: RTP after the switch');
    await waitLevel(f, id, true, 'far end hears the new microphone');
    assert.equal((await f.info(id)).ended, false, 'the call goes on');
    assert.equal(await agent.page.evaluate(() => window.exWebClient.getAudioDevices().input), dev.in1, 'getAudioDevices().input');

    // Muted, then switched: the new track goes out disabled (3.0.10 unmuted the call).
    await agent.page.evaluate(() => window.exWebClient.getCall().Mute());
    await waitLevel(f, id, false, 'far end: silence after Mute()');
    r = await change(agent, 'Input', dev.in2);
    assert.deepEqual(r, { ok: true });
    const after2 = await sender(agent);
    assert.equal(after2.deviceId, dev.in2, 'switched to Fake Audio Input 2');
    assert.equal(after2.enabled, false, 'the new track is disabled: the call stays muted');
    await waitRtpGrowing(() => f.stats(id), 'far end: RTP while muted on the new microphone');
    await waitLevel(f, id, false, 'far end: still silent');
    await agent.page.evaluate(() => window.exWebClient.getCall().UnMute());
    await waitLevel(f, id, true, 'far end hears the agent after UnMute()');

    // Bad ids and arguments: onError with a code, nothing changes, nothing throws.
    r = await change(agent, 'Input', 'no-such-device');
    assert.equal(r.code, 'deviceIdNotFound', JSON.stringify(r));
    assert.match(r.message, /no audioinput device has id 'no-such-device'/);
    assert.equal(r.name, 'DeviceError');
    r = await change(agent, 'Input', null);
    assert.equal(r.code, 'invalidArgument', JSON.stringify(r));
    r = await change(agent, 'Input', dev.out1);
    assert.equal(r.code, 'deviceIdNotFound', 'an output id is not an input');
    assert.equal((await sender(agent)).trackId, after2.trackId, 'failed changes leave the track alone');
    const thrown = await agent.page.evaluate(() => {
      try {
        window.exWebClient.changeAudioInputDevice();
        window.exWebClient.changeAudioInputDevice('default', 'not a function', 42);
        window.exWebClient.registerAudioDeviceChangeCallback();
        return null;
      } catch (e) {
        return String(e);
      }
    });
    assert.equal(thrown, null, 'bad arguments never throw');

    await f.hangup(id);
    await waitCallEvent(agent, 'terminated');
    await S.waitFor(() => agent.page.evaluate(() => window.__tracks.every((t) => t.readyState === 'ended')), {
      message: 'every microphone track ended after the call',
    });
    await checkErrors();
  });

  it('before a call both choices wait for the next one; changeAudioOutputDevice moves the call audio mid-call (setSinkId)', T, async () => {
    const agent = await openAgent();
    const f = await far(1002);
    const dev = await devices(agent);
    // A client that was never initialised keeps the choice too (3.0.10 threw a TypeError).
    const fresh = await agent.page.evaluate(
      (id) =>
        new Promise((resolve) => {
          const c = new exotelSDK.ExotelWebClient();
          c.changeAudioInputDevice(id, () => resolve(c.getAudioDevices()), (e) => resolve(String(e)));
        }),
      dev.in1,
    );
    assert.deepEqual(fresh, { input: dev.in1, output: 'default' }, 'before initWebrtc: stored');
    assert.deepEqual(await change(agent, 'Input', dev.in2), { ok: true }, 'input chosen before the call');
    assert.deepEqual(await change(agent, 'Output', dev.out1), { ok: true }, 'output chosen before the call');
    assert.equal(await agent.page.evaluate(() => window.__tracks.length), 0, 'choosing a microphone before a call opens none');

    const id = await connect(agent, f);
    assert.equal((await sender(agent)).deviceId, dev.in2, 'the call opened the chosen microphone');
    await S.waitFor(async () => (await sinkIds(agent))[0] === dev.out1, { message: 'the call audio plays on Fake Audio Output 1' });

    assert.deepEqual(await change(agent, 'Output', dev.out2), { ok: true });
    assert.equal((await sinkIds(agent))[0], dev.out2, 'mid-call: the call audio moved to Fake Audio Output 2');
    await waitRtpGrowing(() => agentStats(agent), 'the SDK page still receives audio');
    assert.deepEqual(await change(agent, 'Output', 'default'), { ok: true });
    assert.equal((await sinkIds(agent))[0], '', "'default' is the system default (sinkId '')");

    const r = await change(agent, 'Output', 'no-such-speaker');
    assert.equal(r.code, 'deviceIdNotFound', JSON.stringify(r));
    assert.equal((await sinkIds(agent))[0], '', 'a failed change leaves the call audio alone');

    // A listed speaker that refuses (fault injection: its setSinkId rejects, as for a device
    // that went away between the list and the switch): onError, and the next call keeps the
    // previous choice instead of trying the broken one.
    await agent.page.evaluate((bad) => {
      const set = HTMLMediaElement.prototype.setSinkId;
      HTMLMediaElement.prototype.setSinkId = function (id) {
        return id === bad ? Promise.reject(new DOMException('Requested device not found', 'NotFoundError')) : set.call(this, id);
      };
    }, dev.out1);
    const refused = await change(agent, 'Output', dev.out1);
    assert.equal(refused.code, 'deviceChangeFailed', JSON.stringify(refused));
    assert.match(refused.message, /Requested device not found/);
    assert.equal(await agent.page.evaluate(() => window.exWebClient.getAudioDevices().output), 'default', 'the choice stays the previous one');
    await f.hangup(id);
    await waitCallEvent(agent, 'terminated');
    const id2 = await connect(agent, f);
    assert.equal((await sinkIds(agent))[0], '', 'the next call plays on the previous choice (default)');
    const logs = await agent.page.evaluate(() => window.logs.map((l) => l[1]));
    assert.ok(!logs.some((m) => m.includes('call audio stays on the default output')), 'the broken device was not tried again');
    await f.hangup(id2);
    await waitCallEvent(agent, 'terminated', 2);
    await checkErrors();
  });

  it('no setSinkId: changeAudioOutputDevice fails with notSupported; a chosen microphone gone by the next call falls back to the default', T, async () => {
    const agent = await openAgent({
      init: () => {
        delete HTMLMediaElement.prototype.setSinkId;
        // Fault injection: the device in window.__gone cannot be opened (unplugged).
        const md = navigator.mediaDevices;
        const gum = md.getUserMedia.bind(md);
        md.getUserMedia = (c) => {
          const want = c && c.audio && c.audio.deviceId && c.audio.deviceId.exact;
          if (want && want === window.__gone) return Promise.reject(new DOMException('Requested device not found', 'NotFoundError'));
          return gum(c);
        };
      },
    });
    const f = await far(1002);
    const dev = await devices(agent);
    const r = await change(agent, 'Output', dev.out1);
    assert.equal(r.code, 'notSupported', JSON.stringify(r));
    assert.match(r.message, /cannot choose the audio output device/);
    assert.deepEqual(await change(agent, 'Input', dev.in1), { ok: true }, 'the input is still chosen');

    await agent.page.evaluate((id) => {
      window.__gone = id;
    }, dev.in1);
    const id = await connect(agent, f);
    assert.equal((await sender(agent)).deviceId, 'default', 'the call opened the default microphone instead');
    await waitLevel(f, id, true, 'far end hears the agent');
    const logs = await agent.page.evaluate(() => window.logs.slice());
    assert.ok(
      logs.some(([t, m]) => t === 'warn' && m.includes(`microphone ${dev.in1}: NotFoundError`) && m.includes('the call uses the default one')),
      `the fallback is logged: ${JSON.stringify(logs.filter(([t]) => t === 'warn'))}`,
    );
    await f.hangup(id);
    await waitCallEvent(agent, 'terminated');
    await checkErrors();
  });

  it("the call's microphone stops by itself (unplugged): the default microphone takes over, reported through the input callback", T, async () => {
    const agent = await openAgent();
    const f = await far(1002);
    const dev = await devices(agent);
    await agent.page.evaluate(() => {
      window.devEvents = [];
      window.exWebClient.registerAudioDeviceChangeCallback(
        (id) => window.devEvents.push(['input', id]),
        (id) => window.devEvents.push(['output', id]),
      );
    });
    assert.deepEqual(await change(agent, 'Input', dev.in1), { ok: true });
    const id = await connect(agent, f);
    const before = await sender(agent);
    assert.equal(before.deviceId, dev.in1);
    // Fault injection: a headless browser cannot unplug a device, so the track's own 'ended'
    // event is fired at it, as the browser does when its device goes away.
    await agent.page.evaluate(() => {
      const pc = window.__pcs[window.__pcs.length - 1];
      pc.getSenders().find((x) => x.track && x.track.kind === 'audio').track.dispatchEvent(new Event('ended'));
    });
    await waitDevEvents(agent, [['input', 'default']], 'the input callback reports the default microphone');
    const after1 = await sender(agent);
    assert.equal(after1.deviceId, 'default', 'the call sends the default microphone');
    assert.notEqual(after1.trackId, before.trackId);
    await waitLevel(f, id, true, 'far end hears the default microphone');
    const logs = await agent.page.evaluate(() => window.logs.slice());
    assert.ok(logs.some(([t, m]) => t === 'warn' && /microphone of the call stopped/.test(m)), 'the stop is logged as a warning');
    assert.equal(await agent.page.evaluate(() => window.exWebClient.getAudioDevices().input), 'default');
    await f.hangup(id);
    await waitCallEvent(agent, 'terminated');
    await checkErrors();
  });

  it('devicechange with automatic handling: a plugged device is taken mid-call and reported, an unplugged one falls back; onDeviceChangeCallback takes over', T, async () => {
    const agent = await openAgent({ hide: ['Fake Audio Input 2', 'Fake Audio Output 2'] });
    const f = await far(1002);
    // initWebrtc again with the same account and the 5th argument true: the running core stays.
    await agent.page.evaluate(() => {
      window.devEvents = [];
      const c = window.exWebClient;
      c.initWebrtc(c.sipAccountInfo, RegisterEventCallBack, CallListenerCallback, SessionCallback, true);
      c.registerAudioDeviceChangeCallback(
        (id) => window.devEvents.push(['input', id]),
        (id) => window.devEvents.push(['output', id]),
      );
    });
    const id = await connect(agent, f);
    await agent.page.evaluate(() => new Promise((r) => setTimeout(r, 200))); // the first device snapshot

    await agent.page.evaluate(() => window.__plug('Fake Audio Input 2'));
    const plugged = await devices(agent);
    await waitDevEvents(agent, [['input', plugged.in2]], 'input callback with the plugged microphone');
    assert.equal((await sender(agent)).deviceId, plugged.in2, 'the call switched to the plugged microphone');
    await waitRtpGrowing(() => f.stats(id), 'far end: RTP after the automatic switch');
    await waitLevel(f, id, true, 'far end hears the plugged microphone');

    await agent.page.evaluate(() => window.__plug('Fake Audio Output 2'));
    const all = await devices(agent);
    await waitDevEvents(agent, [['input', plugged.in2], ['output', all.out2]], 'output callback with the plugged speaker');
    assert.equal((await sinkIds(agent))[0], all.out2, 'the call audio moved to the plugged speaker');

    await agent.page.evaluate(() => window.__unplug('Fake Audio Input 2'));
    await waitDevEvents(agent, [['input', plugged.in2], ['output', all.out2], ['input', 'default']], 'unplugged: back to the default microphone');
    assert.equal((await sender(agent)).deviceId, 'default', 'the call is on the default microphone again');
    await waitLevel(f, id, true, 'far end hears the default microphone');

    // With onDeviceChangeCallback the app decides: it gets the Event, the SDK switches nothing.
    await agent.page.evaluate(() => {
      window.changes = [];
      window.exWebClient.registerAudioDeviceChangeCallback(
        (id) => window.devEvents.push(['input', id]),
        (id) => window.devEvents.push(['output', id]),
        (e) => window.changes.push(e.type),
      );
      window.__plug('Fake Audio Input 2');
    });
    await S.waitFor(() => agent.page.evaluate(() => window.changes.length === 1), { message: 'onDeviceChangeCallback called' });
    assert.deepEqual(await agent.page.evaluate(() => window.changes), ['devicechange'], 'it receives the devicechange Event');
    assert.equal((await sender(agent)).deviceId, 'default', 'no switch when the app handles changes');
    assert.equal((await agent.page.evaluate(() => window.devEvents)).length, 3, 'no device callbacks either');

    // Automatic handling off and no onDeviceChangeCallback: devicechange changes nothing.
    await agent.page.evaluate(() => {
      const c = window.exWebClient;
      c.registerAudioDeviceChangeCallback(() => window.devEvents.push(['late']), () => window.devEvents.push(['late']));
      c.initWebrtc(c.sipAccountInfo, RegisterEventCallBack, CallListenerCallback, SessionCallback, false);
      window.__unplug('Fake Audio Input 2');
      window.__plug('Fake Audio Input 2');
    });
    await agent.page.evaluate(() => new Promise((r) => setTimeout(r, 300)));
    assert.equal((await agent.page.evaluate(() => window.devEvents)).length, 3, 'nothing fires without automatic handling');
    assert.equal((await sender(agent)).deviceId, 'default', 'and nothing switches');

    await f.hangup(id);
    await waitCallEvent(agent, 'terminated');
    await checkErrors();
  });
});

// ---------------------------------------------------------------------------------------------
// helpers

/** The far end calls the agent, which answers; returns the far call id once RTP flows both ways. */
const connect = (agent, f) => R.connect(agent, f, { waitConnected: false });

/** Ids of the page's fake devices (as enumerateDevices shows them now). */
function devices(o) {
  return o.page.evaluate(async () => {
    const list = await navigator.mediaDevices.enumerateDevices();
    const id = (label) => (list.find((d) => d.label === label) || {}).deviceId;
    return {
      in1: id('Fake Audio Input 1'),
      in2: id('Fake Audio Input 2'),
      out1: id('Fake Audio Output 1'),
      out2: id('Fake Audio Output 2'),
    };
  });
}

/** changeAudio<which>Device(id) → {ok: true} (onSuccess got the id) or the onError argument as {name, code, message}. */
function change(o, which, id) {
  return o.page.evaluate(
    ([w, i]) =>
      new Promise((resolve) => {
        window.exWebClient[`changeAudio${w}Device`](
          i,
          (...args) => resolve(args.length === 1 && args[0] === i.trim() ? { ok: true } : { ok: true, unexpectedArgs: args }),
          (e) => resolve({ name: e && e.name, code: e && e.code, message: e && e.message }),
        );
      }),
    [which, id],
  );
}

/** The audio sender's track of the newest peer connection, and its local SDP. */
function sender(o) {
  return o.page.evaluate(() => {
    const pc = window.__pcs[window.__pcs.length - 1];
    const s = pc.getSenders().find((x) => x.track && x.track.kind === 'audio');
    const st = s.track.getSettings();
    return { trackId: s.track.id, deviceId: st.deviceId, noiseSuppression: st.noiseSuppression, enabled: s.track.enabled, sdp: pc.localDescription.sdp };
  });
}

function trackState(o, trackId) {
  return o.page.evaluate((i) => (window.__tracks.find((t) => t.id === i) || {}).readyState, trackId);
}

/** sinkId of every call audio element, newest first. */
function sinkIds(o) {
  return o.page.evaluate(() => window.__played.map((a) => a.sinkId).reverse());
}

async function waitDevEvents(o, want, what) {
  const seen = () => o.page.evaluate(() => window.devEvents.slice());
  await S.waitFor(async () => (await seen()).length >= want.length, { message: what }).catch(async (e) => {
    throw new Error(`${e.message}; seen ${JSON.stringify(await seen())}`);
  });
  assert.deepEqual(await seen(), want, what);
}
