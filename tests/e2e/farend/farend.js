// The far end of the call tests: a JsSIP 3.13 user agent in its own page, driven by the test
// through `window.far`. Bundled with JsSIP by tests/e2e/farend/bundle.mjs (esbuild) into
// tests/.run/farend/farend.bundle.js, which tests/e2e/farend/farend.html loads.
//
//   await far.start({ port, user, pass, register })    ws://127.0.0.1:<port>/ws; resolves when registered
//                                                     (or connected, with register:false)
//   const id = far.call('sip:1001@127.0.0.1', { callSid, headers: ['X: y'] })
//   far.calls[id] = { events: [[name, info, t]], callId, status, cause, ended, ... }
//   far.cancel(id) / far.hangup(id)                   session.terminate() (CANCEL or BYE)
//   far.answer(id)                                    for calls to this UA (far.incoming ids)
//   await far.stats(id)                               inbound/outbound bytes, packets, audioLevel
//   far.pcState(id)                                   {connectionState, iceConnectionState, ...}
//   await far.stop()                                  unregister and stop the UA
//
// Every time is `performance.timeOrigin + performance.now()` (ms since the epoch, sub-ms): the
// benchmark compares it with the same clock on the SDK's page.
import JsSIP from 'jssip';

const now = () => performance.timeOrigin + performance.now();
const errors = [];

const far = {
  ua: null,
  user: null,
  uaEvents: [], // [name, info, t]
  calls: [], // one record per session, outgoing and incoming, in creation order
  incoming: [], // ids of calls to this UA
  errors,
  now,
};
window.far = far;
window.JsSIP = JsSIP;

function uaEvent(name, info) {
  far.uaEvents.push([name, info === undefined ? null : info, now()]);
}

far.start = function start({ port, user, pass, register = true, displayName }) {
  if (far.ua) throw new Error('far.start: already started');
  far.user = String(user);
  const socket = new JsSIP.WebSocketInterface(`ws://127.0.0.1:${port}/ws`);
  const ua = new JsSIP.UA({
    sockets: [socket],
    uri: `sip:${user}@127.0.0.1`,
    password: pass,
    display_name: displayName || `Far ${user}`,
    register,
    register_expires: 600,
    session_timers: false, // no UPDATE/re-INVITE refreshes towards the SDK under test
    user_agent: 'JsSIP far end (tests)',
    connection_recovery_min_interval: 2,
    connection_recovery_max_interval: 4,
  });
  far.ua = ua;
  ua.on('connected', () => uaEvent('connected'));
  ua.on('disconnected', (e) => uaEvent('disconnected', { error: !!(e && e.error) }));
  ua.on('registered', () => uaEvent('registered'));
  ua.on('unregistered', () => uaEvent('unregistered'));
  ua.on('registrationFailed', (e) =>
    uaEvent('registrationFailed', { cause: e.cause, status: e.response ? e.response.status_code : null }),
  );
  ua.on('newRTCSession', (e) => {
    if (e.originator !== 'remote') return;
    const rec = newRecord('incoming', e.session);
    rec.from = e.request.from.uri.user;
    rec.callId = e.request.call_id;
    far.incoming.push(rec.id);
  });
  const done = new Promise((resolve, reject) => {
    const ok = register ? 'registered' : 'connected';
    ua.once(ok, () => resolve(true));
    ua.once('registrationFailed', (e) => reject(new Error(`far end ${user}: registration failed (${e.cause})`)));
  });
  ua.start();
  return done;
};

far.stop = function stop() {
  const ua = far.ua;
  if (!ua) return Promise.resolve(true);
  far.ua = null;
  return new Promise((resolve) => {
    let finished = false;
    const finish = () => {
      if (!finished) {
        finished = true;
        resolve(true);
      }
    };
    ua.once('disconnected', finish);
    setTimeout(finish, 3000);
    ua.stop(); // terminates sessions, un-REGISTERs, closes the socket
  });
};

function newRecord(direction, session) {
  const rec = {
    id: far.calls.length,
    direction,
    events: [],
    callId: null,
    status: null, // status code of the final response that failed the call, if any
    cause: null, // JsSIP cause of 'ended' / 'failed'
    originator: null, // who ended it: 'local' | 'remote' | 'system'
    ended: false,
    tInvite: null, // when call() was invoked (outgoing)
    session,
    pc: null,
    audio: null,
  };
  far.calls.push(rec);
  const ev = (name, info) => rec.events.push([name, info === undefined ? null : info, now()]);
  rec.ev = ev;
  session.on('peerconnection', (e) => attachPc(rec, e.peerconnection));
  session.on('sending', (e) => {
    rec.callId = e.request.call_id;
    ev('sending');
  });
  session.on('progress', (e) => ev('progress', { status: e.response ? e.response.status_code : null }));
  session.on('accepted', (e) => ev('accepted', { status: e.response ? e.response.status_code : null }));
  session.on('confirmed', () => ev('confirmed'));
  session.on('ended', (e) => {
    rec.ended = true;
    rec.cause = e.cause;
    rec.originator = e.originator;
    // A BYE from the other side ends the call with originator 'remote', cause 'Terminated'.
    if (e.originator === 'remote' && e.message && e.message.method === 'BYE') ev('bye_received');
    ev('ended', { originator: e.originator, cause: e.cause });
  });
  session.on('failed', (e) => {
    rec.ended = true;
    rec.cause = e.cause;
    rec.originator = e.originator;
    rec.status = e.message && e.message.status_code ? e.message.status_code : null;
    ev('failed', { originator: e.originator, cause: e.cause, status: rec.status });
  });
  return rec;
}

function attachPc(rec, pc) {
  if (rec.pc === pc) return;
  rec.pc = pc;
  const audio = document.createElement('audio');
  audio.autoplay = true;
  audio.dataset.call = String(rec.id);
  document.body.appendChild(audio);
  rec.audio = audio;
  pc.addEventListener('track', (e) => {
    const stream = e.streams && e.streams[0] ? e.streams[0] : new MediaStream([e.track]);
    audio.srcObject = stream;
    audio.play().catch((err) => rec.ev('play_error', String(err && err.name)));
  });
  pc.addEventListener('connectionstatechange', () => rec.ev('pc_' + pc.connectionState));
}

/**
 * Calls `target`. `callSid` becomes an X-Exotel-Callsid header; `headers` are more raw header
 * lines; `fromDisplayName` replaces the From display name. Returns the call id (an index into
 * far.calls).
 */
far.call = function call(target, { callSid, headers = [], iceServers = [], fromDisplayName } = {}) {
  if (!far.ua) throw new Error('far.call: not started');
  const extraHeaders = [...headers];
  if (callSid !== undefined && callSid !== null) extraHeaders.push(`X-Exotel-Callsid: ${callSid}`);
  const t = now();
  // JsSIP emits 'peerconnection' synchronously inside ua.call(): catch it through
  // eventHandlers (the pitfall), then hand it to the record.
  let early = null;
  const session = far.ua.call(target, {
    extraHeaders,
    mediaConstraints: { audio: true, video: false },
    pcConfig: { iceServers },
    eventHandlers: { peerconnection: (e) => (early = e.peerconnection) },
    ...(fromDisplayName ? { fromDisplayName } : {}),
  });
  const rec = newRecord('outgoing', session);
  if (early) attachPc(rec, early);
  rec.tInvite = t;
  rec.target = target;
  rec.ev('call');
  return rec.id;
};

function session(id) {
  const rec = far.calls[id];
  if (!rec) throw new Error(`far: no call ${id}`);
  return rec;
}

/** CANCEL (before a final response) or BYE (established), whichever applies. */
far.hangup = function hangup(id) {
  const rec = session(id);
  rec.ev(rec.session.isEstablished() ? 'local_bye' : 'local_cancel');
  rec.session.terminate();
  return true;
};
far.cancel = far.hangup;

far.answer = function answer(id, { iceServers = [] } = {}) {
  const rec = session(id);
  rec.ev('answer');
  rec.session.answer({ mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers } });
  return true;
};

/** Names of the recorded events of call `id`, in order. */
far.eventNames = (id) => session(id).events.map((e) => e[0]);

/** Summary of call `id` that survives structured cloning (no session or pc objects). */
far.info = function info(id) {
  const r = session(id);
  return {
    id: r.id,
    direction: r.direction,
    callId: r.callId,
    status: r.status,
    cause: r.cause,
    originator: r.originator,
    ended: r.ended,
    tInvite: r.tInvite,
    events: r.events.map((e) => [e[0], e[1]]),
    times: Object.fromEntries(r.events.map((e) => [e[0], e[2]]).reverse()), // first occurrence wins
    pc: r.pc ? pcState(r.pc) : null,
  };
};

function pcState(pc) {
  return {
    connectionState: pc.connectionState,
    iceConnectionState: pc.iceConnectionState,
    signalingState: pc.signalingState,
  };
}
far.pcState = (id) => (session(id).pc ? pcState(session(id).pc) : null);

/** Audio RTP counters of a peer connection: inbound-rtp and outbound-rtp, summed. */
export async function rtpStats(pc) {
  const out = { bytesReceived: 0, packetsReceived: 0, bytesSent: 0, packetsSent: 0, audioLevel: null };
  if (!pc || pc.connectionState === 'closed') return out;
  const report = await pc.getStats();
  report.forEach((s) => {
    if (s.kind !== 'audio' && s.mediaType !== 'audio') return;
    if (s.type === 'inbound-rtp') {
      out.bytesReceived += s.bytesReceived || 0;
      out.packetsReceived += s.packetsReceived || 0;
      if (typeof s.audioLevel === 'number') out.audioLevel = Math.max(out.audioLevel || 0, s.audioLevel);
    } else if (s.type === 'outbound-rtp') {
      out.bytesSent += s.bytesSent || 0;
      out.packetsSent += s.packetsSent || 0;
    }
  });
  return out;
}
far.stats = (id) => rtpStats(session(id).pc);

window.addEventListener('error', (e) => errors.push(String(e.message)));
window.addEventListener('unhandledrejection', (e) => errors.push(String(e.reason && e.reason.message ? e.reason.message : e.reason)));
