// Device and network diagnostics (guide §5.13): initDiagnostics, the speaker, microphone and
// network tests, closeDiagnostics.
//
// Same callbacks, keys and report lines as exotelsdk.js 3.0.10 (exotel-api.md §6), without its
// bugs (§10 item 14):
//   - every result is measured: `wss` is a real WebSocket attempt to the configured server,
//     `userReg` is the client's registration state (no DoRegister behind the app's back), the
//     ICE keys come from one bounded candidate gathering, one result per key;
//   - nothing throws into the app: before initDiagnostics or after closeDiagnostics the tests
//     log and do nothing, and the app's callbacks are isolated (client._safe);
//   - `mic error` / `speaker error` are reported when the device cannot be used;
//   - one timer per level meter (every LEVEL_INTERVAL_MS), no AudioContext per second; the mic
//     test's AudioContext and track are closed when it stops; stopNetworkDiagnostics cancels.
// State is per client (3.0.10 shared it across clients); the stored report (localStorage
// `troubleShootReport`) is per page, as in 3.0.10. Nothing here touches window, document or
// navigator at import time.

import { logger } from './logger.js';
import { isTonePlaying, __analyser } from './tones.js';
import { setRinging } from './call.js';

const STORAGE_KEY = 'troubleShootReport';
const REPORT_STATUS = 'troubleShootReport';
const LEVEL_INTERVAL_MS = 100;
const WS_TIMEOUT_MS = 5000;
const ICE_GATHER_CAP_MS = 3000;
const DEFAULT_ICE_SERVERS = [{ urls: 'stun:stun.l.google.com:19302' }];
const ICE_KEYS = ['udp', 'tcp', 'ipv6', 'host', 'srflx'];
const ICE_EVENTS = { udp: 'UDP', tcp: 'TCP', ipv6: 'IPV6', host: 'HOST_CON', srflx: 'REFLEX_CON' };

function g() {
  return typeof globalThis !== 'undefined' ? globalThis : {};
}

function errorText(err) {
  return err && err.message ? err.message : String(err);
}

function pad(n) {
  return String(n).padStart(2, '0');
}

/** `YYYY-MM-DD HH:MM:SS`, local time. */
function timestamp(d = new Date()) {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function storeReport(text) {
  try {
    const ls = g().localStorage;
    if (ls) ls.setItem(STORAGE_KEY, text);
  } catch (_) {
    /* storage disabled, full or sandboxed: the callback still gets the report */
  }
}

// ---------------------------------------------------------------------------------------------
// Browser detection

/**
 * { name, version } from a user-agent string. Chromium Edge ("Edg/") is Edge, not Chrome
 * (3.0.10 got that wrong); Opera ("OPR/") is Opera; HeadlessChrome is Chrome.
 */
export function detectBrowser(ua) {
  const s = String(ua || '');
  const rules = [
    ['Edge', /\bEdg(?:e|A|iOS)?\/([^\s;)]+)/],
    ['Opera', /\bOPR\/([^\s;)]+)/],
    ['Firefox', /\bFirefox\/([^\s;)]+)/],
    ['Firefox', /\bFxiOS\/([^\s;)]+)/],
    ['Chrome', /\b(?:Headless)?Chrome\/([^\s;)]+)/],
    ['Chrome', /\bCriOS\/([^\s;)]+)/],
    ['MSIE', /\bMSIE ([^\s;)]+)/],
    ['IE', /\bTrident\/.*\brv:([^\s;)]+)/],
    ['Safari', /\bVersion\/([^\s;)]+).*\bSafari\//],
  ];
  for (const [name, re] of rules) {
    const m = re.exec(s);
    if (m) return { name, version: m[1] };
  }
  const last = s.trim().split(/\s+/).pop() || '';
  const [name, version = ''] = last.split('/');
  return { name: name || 'unknown', version: version.split(/[;\s]/)[0] || 'unknown' };
}

function browserInfo() {
  const nav = g().navigator;
  const { name, version } = detectBrowser(nav && nav.userAgent);
  let platform = '';
  try {
    platform = (nav && ((nav.userAgentData && nav.userAgentData.platform) || nav.platform)) || '';
  } catch (_) {
    /* platform is informational */
  }
  return { name, version, platform: platform || 'unknown' };
}

// ---------------------------------------------------------------------------------------------
// Network helpers


/** { protocol, address, type } of an ICE candidate line (RFC 8839 §5.1), lower-cased. */
export function parseCandidate(line) {
  const f = String(line || '').replace(/^a=/, '').trim().split(/\s+/);
  if (f.length < 8 || !/^candidate:/i.test(f[0])) return null;
  const typIndex = f.indexOf('typ');
  return {
    protocol: f[2].toLowerCase(),
    address: f[4],
    type: typIndex > 0 && f[typIndex + 1] ? f[typIndex + 1].toLowerCase() : '',
  };
}

/** A literal IPv6 address (mDNS `….local` names, which contain '-', are not). */
function isIpv6(address) {
  const a = String(address || '');
  return a.includes(':') && !/\.local$/i.test(a);
}

function candidateMatches(key, c) {
  switch (key) {
    case 'udp':
    case 'tcp':
      return c.protocol === key;
    case 'ipv6':
      return isIpv6(c.address);
    case 'host':
    case 'srflx':
      return c.type === key;
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Level meter

/** Mean of the analyser's byte frequency data (0–255), as 3.0.10 reported it. */
function meanLevel(analyser, buf) {
  analyser.getByteFrequencyData(buf);
  let sum = 0;
  for (let i = 0; i < buf.length; i++) sum += buf[i];
  return buf.length ? sum / buf.length : 0;
}

function closeQuietly(thing) {
  try {
    const p = thing && thing.close && thing.close();
    if (p && typeof p.catch === 'function') p.catch(() => {});
  } catch (_) {
    /* already closed */
  }
}

// ---------------------------------------------------------------------------------------------
// The methods

/** Per-client diagnostics state, created on first use (the constructor is not ours). */
function diag(client) {
  if (!client._diag) {
    client._diag = {
      report: null, // app callbacks, or null when not initialised / closed
      kv: null,
      text: '',
      generation: 0, // bumped by init and close: late async results of older sessions are dropped
      speaker: null,
      mic: null,
      net: null,
      regWatch: false, // userReg follows registration events while a network test is open
      regHooked: false,
    };
  }
  return client._diag;
}

const methods = {
  /**
   * initDiagnostics(diagnosticsReportCallback, keyValueSetCallback): resets the report, reports
   * the browser (`browserVersion`, at once) and the default microphone and speaker (`micInfo`,
   * `speakerInfo`, once the devices are listed; labels are empty without media permission).
   */
  initDiagnostics(reportCallback, keyValueCallback) {
    if (typeof reportCallback !== 'function' || typeof keyValueCallback !== 'function') {
      logger.error('initDiagnostics: diagnosticsReportCallback and keyValueSetCallback must be functions');
      return;
    }
    const d = diag(this);
    if (d.report) this._diagStopAll();
    d.generation++;
    d.report = reportCallback;
    d.kv = keyValueCallback;
    d.text = '';
    storeReport('');
    const b = browserInfo();
    this._diagLine('INFO', `Browser: ${b.name}/${b.version}, Platform: ${b.platform}`);
    this._diagKv('browserVersion', 'ready', `${b.name}/${b.version}`);
    this._diagDevices(d.generation);
  },

  /** Stops every test, forgets the callbacks and clears the report. */
  closeDiagnostics() {
    const d = diag(this);
    d.report = null;
    d.kv = null;
    d.generation++;
    this._diagStopAll();
    d.text = '';
    storeReport('');
  },

  /** Plays the ringtone and reports its level (`speaker`) until stopSpeakerDiagnosticsTest. */
  startSpeakerDiagnosticsTest() {
    const d = diag(this);
    if (!d.report) {
      logger.warn('startSpeakerDiagnosticsTest: call initDiagnostics first');
      return;
    }
    if (d.speaker) {
      logger.info('startSpeakerDiagnosticsTest: the speaker test is already running');
      return;
    }
    this._diagLine('INFO', 'Speaker device testing is started');
    // The ringtone is shared with incoming calls: hold it like a ringing call does, so a call
    // that stops ringing does not cut the test, and the test's end does not silence a call.
    const s = { timer: null };
    let analyser = null;
    try {
      setRinging(s, true);
      analyser = isTonePlaying('ringtone') ? __analyser() : null;
    } catch (err) {
      logger.warn(`startSpeakerDiagnosticsTest: ${errorText(err)}`);
    }
    if (!analyser) {
      setRinging(s, false);
      this._diagLine('WARNING', 'Speaker device testing failed');
      this._diagLine('INFO', 'DEVICE EVENT =  SPEAKER_TEST_FAIL');
      this._diagLine('WARNING', 'Error: the ringtone cannot be played (no Web Audio)');
      this._diagKv('speaker', 0, 'speaker error');
      return;
    }
    const buf = new Uint8Array(analyser.frequencyBinCount);
    s.timer = setInterval(() => {
      if (d.speaker !== s) return;
      let level;
      try {
        level = meanLevel(analyser, buf);
      } catch (err) {
        logger.warn(`speaker test: ${errorText(err)}`);
        return;
      }
      this._diagKv('speaker', level, 'speaker ok');
    }, LEVEL_INTERVAL_MS);
    d.speaker = s;
  },

  /** Stops the speaker test; 'yes' / 'no' records whether the user heard the ringtone. */
  stopSpeakerDiagnosticsTest(response) {
    const d = diag(this);
    const wasRunning = this._diagStopSpeaker();
    if (!d.report) {
      logger.warn('stopSpeakerDiagnosticsTest: diagnostics are not initialised');
      return;
    }
    if (!wasRunning) logger.info('stopSpeakerDiagnosticsTest: the speaker test was not running');
    this._diagLine('INFO', 'Speaker device testing is stopped');
    if (response === 'yes') {
      this._diagLine('INFO', 'DEVICE EVENT =  SPEAKER_TEST_PASS');
      this._diagLine('INFO', 'Speaker device testing is successfull');
      this._diagLine('INFO', 'Speaker device testing is completed');
    } else if (response === 'no') {
      this._diagLine('INFO', 'DEVICE EVENT =  SPEAKER_TEST_FAIL');
      this._diagLine('WARNING', 'Speaker device testing is failed');
      this._diagLine('INFO', 'Speaker device testing is completed');
    }
  },

  /** Opens the microphone and reports its level (`mic`) until stopMicDiagnosticsTest. */
  startMicDiagnosticsTest() {
    const d = diag(this);
    if (!d.report) {
      logger.warn('startMicDiagnosticsTest: call initDiagnostics first');
      return;
    }
    if (d.mic) {
      logger.info('startMicDiagnosticsTest: the microphone test is already running');
      return;
    }
    const m = { stream: null, ctx: null, timer: null };
    d.mic = m;
    this._diagLine('INFO', 'Microphone device testing is inprogress');
    const fail = (err) => {
      this._diagStopMic();
      this._diagLine('WARNING', 'Microphone device testing failed');
      this._diagLine('INFO', 'DEVICE EVENT =  MICROPHONE_TEST_FAIL');
      this._diagLine('WARNING', `Error: ${errorText(err)}, name: ${(err && err.name) || 'Error'}`);
      this._diagKv('mic', 0, 'mic error');
    };
    const nav = g().navigator;
    const AC = g().AudioContext || g().webkitAudioContext;
    if (!nav || !nav.mediaDevices || typeof nav.mediaDevices.getUserMedia !== 'function') {
      fail({ message: 'getUserMedia is not available (an https page is required)', name: 'NotSupportedError' });
      return;
    }
    if (!AC) {
      fail({ message: 'Web Audio (AudioContext) is not available', name: 'NotSupportedError' });
      return;
    }
    try {
      // Created now, inside the app's click handler, so the autoplay policy lets it run.
      m.ctx = new AC();
    } catch (err) {
      fail(err);
      return;
    }
    let gum;
    try {
      gum = Promise.resolve(nav.mediaDevices.getUserMedia({ audio: true, video: false }));
    } catch (err) {
      gum = Promise.reject(err);
    }
    gum.then(
      (stream) => {
        if (d.mic !== m) {
          for (const t of stream.getTracks()) t.stop(); // stopped or closed meanwhile
          return;
        }
        m.stream = stream;
        try {
          this._diagMicStarted(d, m, stream);
        } catch (err) {
          fail(err);
        }
      },
      (err) => {
        if (d.mic === m) fail(err);
      },
    );
  },

  /** Stops the microphone test (track and AudioContext); 'yes' / 'no' records the verdict. */
  stopMicDiagnosticsTest(response) {
    const d = diag(this);
    const wasRunning = this._diagStopMic();
    if (!d.report) {
      logger.warn('stopMicDiagnosticsTest: diagnostics are not initialised');
      return;
    }
    if (!wasRunning) logger.info('stopMicDiagnosticsTest: the microphone test was not running');
    if (response === 'yes') {
      this._diagLine('INFO', 'Microphone device testing is successful');
      this._diagLine('INFO', 'DEVICE EVENT =  MICROPHONE_TEST_PASS');
      this._diagLine('INFO', 'Mic device testing is completed');
    } else if (response === 'no') {
      this._diagLine('WARNING', 'Microphone device testing is failure');
      this._diagLine('INFO', 'DEVICE EVENT =  MICROPHONE_TEST_FAIL');
      this._diagLine('WARNING', 'Mic device testing is failure');
      this._diagLine('INFO', 'Mic device testing is completed');
    } else {
      this._diagLine('INFO', 'Mic device testing is stopped');
    }
  },

  /**
   * Network test: `wss` (a WebSocket to the configured server), `userReg` (the registration
   * state, then its changes until stopNetworkDiagnostics), and the ICE keys `udp`, `tcp`,
   * `ipv6`, `host`, `srflx` from one bounded candidate gathering. Sends no REGISTER.
   */
  startNetworkDiagnostics() {
    const d = diag(this);
    if (!d.report) {
      logger.warn('startNetworkDiagnostics: call initDiagnostics first');
      return;
    }
    if (d.net && !d.net.done) {
      logger.info('startNetworkDiagnostics: the network test is already running');
      return;
    }
    this._diagStopNet();
    const n = { ws: null, wsTimer: null, pc: null, iceTimer: null, pending: 2, done: false, cancelled: false };
    d.net = n;
    const finished = () => {
      if (d.net !== n || n.cancelled) return;
      if (--n.pending === 0) {
        n.done = true;
        this._diagLine('INFO', 'Network diagnostics completed');
      }
    };
    for (const k of ICE_KEYS) this._diagLine('INFO', `NETWORK EVENT =  ${ICE_EVENTS[k]}_TEST_STARTING`);
    this._diagLine('INFO', 'NETWORK EVENT =  WS_TEST_STARTING');
    for (const k of ICE_KEYS) this._diagKv(k, 'waiting', '');
    this._diagWatchRegistration(d, n);
    this._diagWebSocket(d, n, finished);
    this._diagIce(d, n, finished);
  },

  /** Cancels a network test in progress (socket and peer connection closed, no more results). */
  stopNetworkDiagnostics() {
    const d = diag(this);
    const wasRunning = this._diagStopNet();
    if (!d.report) {
      logger.warn('stopNetworkDiagnostics: diagnostics are not initialised');
      return;
    }
    if (wasRunning) this._diagLine('INFO', 'Network diagnostics stopped');
  },

  // -------------------------------------------------------------------------------------------
  // Internals

  /** Appends a report line and hands the whole report to the app. */
  _diagLine(level, message) {
    const d = diag(this);
    if (!d.report) return;
    d.text += `[${timestamp()}] [${level}] TROUBLESHOOTER_FSM_REPORT: ${message}\n`;
    storeReport(d.text);
    this._safe('diagnosticsReportCallback', d.report, [REPORT_STATUS, d.text]);
  },

  _diagKv(key, status, description) {
    const d = diag(this);
    if (d.kv) this._safe('keyValueSetCallback', d.kv, [key, status, description]);
  },

  /** micInfo / speakerInfo: the 'default' device of each kind, else the first one listed. */
  _diagDevices(generation) {
    const d = diag(this);
    const nav = g().navigator;
    const list =
      nav && nav.mediaDevices && typeof nav.mediaDevices.enumerateDevices === 'function'
        ? Promise.resolve().then(() => nav.mediaDevices.enumerateDevices())
        : Promise.reject(new Error('enumerateDevices is not available'));
    list.then(
      (devices) => {
        if (d.generation !== generation || !d.report) return;
        for (const dev of devices) this._diagLine('INFO', `Device: ${dev.kind}, label: ${dev.label}, id:${dev.deviceId}`);
        const pick = (kind) => {
          const of = devices.filter((x) => x.kind === kind);
          return of.find((x) => x.deviceId === 'default') || of[0] || null;
        };
        const mic = pick('audioinput');
        const speaker = pick('audiooutput');
        if (!mic) this._diagLine('WARNING', 'No microphone found');
        if (!speaker) this._diagLine('WARNING', 'No audio output device listed by the browser');
        this._diagKv('micInfo', mic ? mic.label : '', 'micInfo');
        this._diagKv('speakerInfo', speaker ? speaker.label : '', 'speakerInfo');
      },
      (err) => {
        if (d.generation !== generation || !d.report) return;
        this._diagLine('WARNING', `Device listing failed: ${errorText(err)}`);
        this._diagKv('micInfo', '', 'micInfo');
        this._diagKv('speakerInfo', '', 'speakerInfo');
      },
    );
  },

  _diagMicStarted(d, m, stream) {
    const tracks = stream.getAudioTracks();
    for (const t of tracks) {
      const s = typeof t.getSettings === 'function' ? t.getSettings() : {};
      this._diagLine('INFO', `Device track settings: len: ${tracks.length}, id:${s.deviceId || ''}, kind: ${t.kind}, label:${t.label}`);
      t.addEventListener('ended', () => {
        if (d.mic !== m) return;
        this._diagStopMic();
        this._diagLine('WARNING', 'Microphone device testing failed');
        this._diagLine('INFO', 'DEVICE EVENT =  MICROPHONE_TEST_FAIL');
        this._diagLine('WARNING', 'Error: the microphone track ended, name: ended');
        this._diagKv('mic', 0, 'mic error');
      });
    }
    if (!tracks.length) throw Object.assign(new Error('the stream has no audio track'), { name: 'NotFoundError' });
    const ctx = m.ctx;
    const source = ctx.createMediaStreamSource(stream);
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 1024;
    analyser.smoothingTimeConstant = 0.8;
    source.connect(analyser);
    if (ctx.state !== 'running') {
      try {
        const p = ctx.resume();
        if (p && typeof p.catch === 'function') p.catch(() => {});
      } catch (_) {
        /* closing */
      }
    }
    const buf = new Uint8Array(analyser.frequencyBinCount);
    m.timer = setInterval(() => {
      if (d.mic !== m) return;
      let level;
      try {
        level = meanLevel(analyser, buf);
      } catch (err) {
        logger.warn(`microphone test: ${errorText(err)}`);
        return;
      }
      this._diagKv('mic', level, 'mic ok');
    }, LEVEL_INTERVAL_MS);
  },

  _diagWatchRegistration(d, n) {
    if (!d.regHooked && typeof this._on === 'function') {
      d.regHooked = true;
      this._on('registration', (state) => {
        if (!d.regWatch || !d.report) return;
        if (state === 'registered') this._diagUserReg('registered');
        else if (state === 'unregistered' || state === 'terminated') this._diagUserReg('unregistered');
      });
    }
    d.regWatch = true;
    const generation = d.generation;
    const ready = this._ready ? Promise.resolve(this._ready).catch(() => null) : Promise.resolve(null);
    ready.then((core) => {
      if (d.net !== n || n.cancelled || d.generation !== generation) return;
      let state = 'unregistered';
      try {
        if (core && this._core === core && core.registrationState() === 'registered') state = 'registered';
      } catch (err) {
        logger.warn(`network test: registration state unavailable: ${errorText(err)}`);
      }
      this._diagUserReg(state);
    });
  },

  _diagUserReg(state) {
    const user = this.userName || '';
    this._diagLine(state === 'registered' ? 'INFO' : 'WARNING', `Registration of ${user || '(no account)'}: ${state}`);
    this._diagLine('INFO', `NETWORK EVENT =  ${state === 'registered' ? 'USER_REG_TEST_PASS' : 'USER_REG_TEST_FAIL'}`);
    this._diagKv('userReg', state, user);
  },

  _diagWebSocket(d, n, finished) {
    let url = '';
    const result = (ok, why) => {
      if (d.net !== n || n.cancelled || n.wsResult) return;
      n.wsResult = ok ? 'connected' : 'disconnected';
      clearTimeout(n.wsTimer);
      n.wsTimer = null;
      if (n.ws) {
        const ws = n.ws;
        n.ws = null;
        ws.onopen = ws.onerror = ws.onclose = null;
        closeQuietly(ws);
      }
      if (ok) {
        this._diagLine('INFO', `WebSocket connected to ${url}`);
        this._diagLine('INFO', 'NETWORK EVENT =  WS_TEST_PASS');
      } else {
        this._diagLine('WARNING', `WebSocket connection to ${url || 'the server'} failed: ${why}`);
        this._diagLine('INFO', 'NETWORK EVENT =  WS_TEST_FAIL');
      }
      this._diagKv('wss', n.wsResult, url);
      finished();
    };
    // The core's own URL, so diagnostics test exactly the server registration uses.
    url = this._core ? this._core.websocketUrl() : '';
    if (!url) {
      result(false, 'no server configured (call initWebrtc first)');
      return;
    }
    const WS = g().WebSocket;
    if (typeof WS !== 'function') {
      result(false, 'WebSocket is not available');
      return;
    }
    this._diagLine('INFO', `Connecting to ${url}`);
    try {
      n.ws = new WS(url, 'sip');
    } catch (err) {
      result(false, errorText(err));
      return;
    }
    n.ws.onopen = () => result(true);
    n.ws.onerror = () => result(false, 'connection error');
    n.ws.onclose = (e) => result(false, `closed (code ${e && e.code})`);
    n.wsTimer = setTimeout(() => result(false, `no answer within ${WS_TIMEOUT_MS / 1000} s`), WS_TIMEOUT_MS);
  },

  _diagIce(d, n, finished) {
    const candidates = [];
    const report = () => {
      if (d.net !== n || n.cancelled || n.iceDone) return;
      n.iceDone = true;
      clearTimeout(n.iceTimer);
      n.iceTimer = null;
      if (n.pc) {
        const pc = n.pc;
        n.pc = null;
        pc.onicecandidate = pc.onicegatheringstatechange = null;
        closeQuietly(pc);
      }
      const parsed = candidates.map((line) => ({ line, c: parseCandidate(line) })).filter((x) => x.c);
      for (const { line } of parsed) this._diagLine('INFO', `Gathered candidate ${line}`);
      for (const key of ICE_KEYS) {
        const hit = parsed.find((x) => candidateMatches(key, x.c));
        if (hit) this._diagLine('INFO', `NETWORK EVENT =  ${ICE_EVENTS[key]}_TEST_COMPLETE`);
        else this._diagLine('WARNING', `NETWORK EVENT =  ${ICE_EVENTS[key]}_TEST_FAIL`);
        this._diagKv(key, hit ? 'connected' : 'disconnected', hit ? hit.line : '');
      }
      finished();
    };
    const PC = g().RTCPeerConnection;
    if (typeof PC !== 'function') {
      this._diagLine('WARNING', 'WebRTC (RTCPeerConnection) is not available');
      report();
      return;
    }
    const account = this._account;
    const iceServers = account && Array.isArray(account.iceServers) ? account.iceServers : DEFAULT_ICE_SERVERS;
    this._diagLine('INFO', 'Gathering ICE candidates ');
    try {
      n.pc = new PC({ iceServers });
    } catch (err) {
      this._diagLine('WARNING', `RTCPeerConnection failed: ${errorText(err)}`);
      report();
      return;
    }
    const pc = n.pc;
    pc.onicecandidate = (e) => {
      if (n.pc !== pc) return;
      if (e.candidate && e.candidate.candidate) candidates.push(e.candidate.candidate);
      else if (!e.candidate) report(); // end of candidates
    };
    pc.onicegatheringstatechange = () => {
      if (n.pc !== pc) return;
      this._diagLine('INFO', `ice gathering state: ${pc.iceGatheringState}`);
      if (pc.iceGatheringState === 'complete') report();
    };
    n.iceTimer = setTimeout(() => {
      if (n.pc === pc) this._diagLine('INFO', `ICE gathering stopped after ${ICE_GATHER_CAP_MS / 1000} s`);
      report();
    }, ICE_GATHER_CAP_MS);
    Promise.resolve()
      .then(() => {
        if (typeof pc.addTransceiver === 'function') pc.addTransceiver('audio', { direction: 'recvonly' });
        return pc.createOffer(typeof pc.addTransceiver === 'function' ? {} : { offerToReceiveAudio: true });
      })
      .then((offer) => (n.pc === pc ? pc.setLocalDescription(offer) : undefined))
      .catch((err) => {
        if (n.pc !== pc) return;
        this._diagLine('WARNING', `ICE gathering failed: ${errorText(err)}`);
        report();
      });
  },

  _diagStopSpeaker() {
    const d = diag(this);
    const s = d.speaker;
    if (!s) return false;
    d.speaker = null;
    clearInterval(s.timer);
    setRinging(s, false);
    return true;
  },

  _diagStopMic() {
    const d = diag(this);
    const m = d.mic;
    if (!m) return false;
    d.mic = null;
    if (m.timer !== null) clearInterval(m.timer);
    if (m.stream) {
      for (const t of m.stream.getTracks()) {
        try {
          t.stop();
        } catch (_) {
          /* already stopped */
        }
      }
    }
    if (m.ctx) closeQuietly(m.ctx);
    return true;
  },

  /** Cancels the network test; true when a run was in progress. */
  _diagStopNet() {
    const d = diag(this);
    d.regWatch = false;
    const n = d.net;
    if (!n) return false;
    d.net = null;
    n.cancelled = true;
    clearTimeout(n.wsTimer);
    clearTimeout(n.iceTimer);
    if (n.ws) {
      n.ws.onopen = n.ws.onerror = n.ws.onclose = null;
      closeQuietly(n.ws);
      n.ws = null;
    }
    if (n.pc) {
      n.pc.onicecandidate = n.pc.onicegatheringstatechange = null;
      closeQuietly(n.pc);
      n.pc = null;
    }
    return !n.done;
  },

  _diagStopAll() {
    this._diagStopSpeaker();
    this._diagStopMic();
    this._diagStopNet();
  },
};

const PUBLIC = [
  'initDiagnostics',
  'closeDiagnostics',
  'startSpeakerDiagnosticsTest',
  'stopSpeakerDiagnosticsTest',
  'startMicDiagnosticsTest',
  'stopMicDiagnosticsTest',
  'startNetworkDiagnostics',
  'stopNetworkDiagnostics',
];

/**
 * Adds this feature's members to ExotelWebClient. The public methods were arrow-function fields
 * in 3.0.10, so apps may detach them (`onClick={client.startMicDiagnosticsTest}`): here the
 * first read on an instance binds the method to it and caches it as an own property.
 */
export function installDiagnostics(Client) {
  for (const [name, fn] of Object.entries(methods)) {
    if (!PUBLIC.includes(name)) {
      Object.defineProperty(Client.prototype, name, { value: fn, writable: true, configurable: true });
      continue;
    }
    const own = (obj, value) =>
      Object.defineProperty(obj, name, { value, writable: true, configurable: true, enumerable: true });
    Object.defineProperty(Client.prototype, name, {
      configurable: true,
      get() {
        if (!this || Object.prototype.hasOwnProperty.call(this, 'constructor')) return fn; // a prototype
        const bound = fn.bind(this);
        own(this, bound);
        return bound;
      },
      set(value) {
        own(this, value);
      },
    });
  }
}
