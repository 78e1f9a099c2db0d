// baresip (Debian baresip-core) as the plain SIP/RTP far end: G.711 only, no sound card. Its
// microphone is a tone WAV (aufile), what it hears is written to WAV files (sndfile), and it is
// driven over ctrl_tcp: netstring-framed JSON commands ({command, params, token}) and events
// ({event: true, type: 'CALL_INCOMING' | 'CALL_ESTABLISHED' | 'CALL_DTMF_START' | ...}).
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { waitFor } from '../e2e/support.mjs';
import { startDaemon } from './daemon.mjs';

/**
 * Starts baresip as `user` on 127.0.0.1:`ports.sip` (it also takes sip + 1 for TLS; control
 * on `ports.ctrl`, RTP in `ports.rtp`), playing `toneFile` (16-bit mono WAV) as its microphone.
 * Returns { user, events, cmd(command, params), waitEvent(type, pred, from), recordings(), log }.
 */
export async function startBaresip(stack, rundir, { user, ports, toneFile }) {
  const dir = path.join(rundir, 'baresip');
  const rec = path.join(dir, 'rec');
  fs.mkdirSync(rec, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'config'),
    [
      'poll_method epoll',
      'net_interface 127.0.0.1', // loopback only: otherwise its SDP names the machine's other address
      `sip_listen 127.0.0.1:${ports.sip}`,
      'call_local_timeout 120',
      'call_max_calls 2',
      `audio_source aufile,${toneFile}`,
      // No sound card: the player is an aubridge device nothing reads; sndfile (a filter on the
      // receive path) writes what arrives before it gets there.
      'audio_player aubridge,nowhere',
      'audio_alert aubridge,nowhere',
      `rtp_ports ${ports.rtp}`,
      'rtcp_mux no',
      'jitter_buffer_delay 1-10',
      'rtp_timeout 0',
      `snd_path ${rec}`,
      'module_path /usr/lib/baresip/modules',
      'module g711.so',
      'module aufile.so',
      'module aubridge.so',
      'module sndfile.so',
      'module_tmp account.so',
      'module_app menu.so',
      'module_app ctrl_tcp.so',
      `ctrl_tcp_listen 127.0.0.1:${ports.ctrl}`,
      '',
    ].join('\n'),
  );
  // No registration: the edge routes 2xxx to this address as a trunk. Manual answer.
  fs.writeFileSync(path.join(dir, 'accounts'), `<sip:${user}@127.0.0.1:${ports.sip}>;regint=0;answermode=manual;audio_codecs=PCMU,PCMA\n`);
  fs.writeFileSync(path.join(dir, 'contacts'), '');

  const b = { user, events: [], dir };
  let ctl = null;
  const daemon = await startDaemon(stack, {
    name: 'baresip',
    rundir,
    cmd: 'baresip',
    args: ['-4', '-f', dir, '-s'], // -s: SIP trace into the log, for failure reports
    ready: async () => {
      ctl = await connectCtrl(ports.ctrl, b.events).catch(() => null);
      return ctl;
    },
  });
  stack.defer('baresip ctrl', () => ctl.close());
  b.log = daemon.log;
  /** Sends a ctrl_tcp command; resolves with the response { ok, data }. */
  b.cmd = (command, params = '') => ctl.send(command, params);
  /** Waits for event `type` (matching `pred`) at index >= `from`; returns it. */
  b.waitEvent = (type, { pred = () => true, from = 0, timeout = 15000 } = {}) =>
    waitFor(() => b.events.slice(from).find((e) => e.type === type && pred(e)), {
      timeout,
      message: () => `baresip event ${type}; events so far ${JSON.stringify(b.events.slice(from).map((e) => e.type))}`,
    });
  /** The WAV files sndfile wrote of what baresip heard (decoder side), newest last. */
  b.recordings = () =>
    fs
      .readdirSync(rec)
      .filter((f) => /-dec\.wav$/.test(f))
      .map((f) => path.join(rec, f))
      .sort((x, y) => fs.statSync(x).mtimeMs - fs.statSync(y).mtimeMs);
  return b;
}

/** ctrl_tcp client: netstrings "<len>:<json>," both ways; events are pushed to `events`. */
function connectCtrl(port, events) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const waiting = new Map();
    let token = 0;
    let buf = Buffer.alloc(0);
    sock.once('error', reject);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const colon = buf.indexOf(0x3a);
        if (colon < 0) break;
        const len = Number(buf.toString('ascii', 0, colon));
        if (buf.length < colon + 1 + len + 1) break;
        const msg = JSON.parse(buf.toString('utf8', colon + 1, colon + 1 + len));
        buf = buf.subarray(colon + 1 + len + 1);
        if (msg.event) events.push({ ...msg, t: Date.now() });
        else if (msg.response && waiting.has(msg.token)) {
          waiting.get(msg.token)(msg);
          waiting.delete(msg.token);
        }
      }
    });
    sock.once('connect', () => {
      sock.off('error', reject);
      sock.on('error', () => {});
      resolve({
        send(command, params) {
          const t = String(++token);
          const body = Buffer.from(JSON.stringify({ command, params, token: t }));
          return new Promise((res, rej) => {
            const timer = setTimeout(() => {
              waiting.delete(t);
              rej(new Error(`baresip: no response to '${command} ${params}' in 5 s`));
            }, 5000);
            waiting.set(t, (m) => {
              clearTimeout(timer);
              res(m);
            });
            sock.write(Buffer.concat([Buffer.from(`${body.length}:`), body, Buffer.from(',')]));
          });
        },
        close: () => new Promise((r) => sock.end(r)),
      });
    });
  });
}
