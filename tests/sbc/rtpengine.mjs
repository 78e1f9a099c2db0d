// rtpengine (Debian rtpengine-daemon) for the SBC topology: userspace forwarding (--table=-1, no
// kernel module) on loopback, plus a client of its "ng" control protocol (bencoded dictionaries
// over UDP) so tests can read per-call packet counters: what the far end sent and received.
import dgram from 'node:dgram';
import crypto from 'node:crypto';
import { startDaemon } from './daemon.mjs';

/** Starts rtpengine; `ports` = { ng, min, max }. Returns { ...daemon, ng(cmd, args), query(callId), list() }. */
export async function startRtpengine(stack, rundir, ports) {
  const ctl = ngClient(ports.ng);
  stack.defer('rtpengine ng socket', () => ctl.close());
  const d = await startDaemon(stack, {
    name: 'rtpengine',
    rundir,
    cmd: 'rtpengine',
    args: [
      '--config-file=none', // never read /etc/rtpengine/rtpengine.conf
      '--foreground',
      '--log-stderr',
      '--table=-1',
      '--interface=127.0.0.1',
      `--listen-ng=127.0.0.1:${ports.ng}`,
      `--port-min=${ports.min}`,
      `--port-max=${ports.max}`,
      // Calls the browser places: without it rtpengine sends its DTLS ClientHello before the
      // browser has the answer, and Chromium never completes DTLS (e2e-pitfalls.md).
      '--dtls-passive',
      '--num-threads=2',
      '--delete-delay=0',
      '--log-level=6',
    ],
    ready: async () => (await ctl.send({ command: 'ping' }, 300).catch(() => null))?.result === 'pong',
  });
  return {
    ...d,
    ng: (command, args = {}) => ctl.send({ command, ...args }),
    /** The call's state: { tags: { <tag>: { medias: [{ streams: [{ endpoint, stats }] }] } }, totals }. */
    query: (callId) => ctl.send({ command: 'query', 'call-id': callId }),
    list: async () => (await ctl.send({ command: 'list' })).calls || [],
  };
}

/**
 * Packet counters per far-end-facing and browser-facing side of call `callId`:
 * [{ tag, endpoint, packets }] where packets = what rtpengine received from that endpoint.
 */
export async function streamCounters(rtpe, callId) {
  const r = await rtpe.query(callId);
  if (r.result !== 'ok') throw new Error(`rtpengine query ${callId}: ${JSON.stringify(r)}`);
  const out = [];
  for (const [tag, t] of Object.entries(r.tags || {})) {
    for (const m of t.medias || []) {
      if (m.type !== 'audio') continue;
      for (const s of m.streams || []) {
        if (!s.flags?.includes('RTP')) continue; // an RTCP-only stream (rtcp-mux carries both)
        out.push({ tag, endpoint: s.endpoint ? `${s.endpoint.address}:${s.endpoint.port}` : null, packets: s.stats?.packets || 0, protocol: m.protocol });
      }
    }
  }
  return out;
}

function ngClient(port) {
  const sock = dgram.createSocket('udp4');
  const pending = new Map();
  sock.on('message', (msg) => {
    const s = msg.toString('latin1');
    const sp = s.indexOf(' ');
    const p = pending.get(s.slice(0, sp));
    if (!p) return;
    pending.delete(s.slice(0, sp));
    try {
      p.res(bdecode(Buffer.from(s.slice(sp + 1), 'latin1')));
    } catch (e) {
      p.rej(e);
    }
  });
  sock.unref();
  return {
    send(dict, timeout = 3000) {
      const cookie = crypto.randomBytes(6).toString('hex');
      return new Promise((res, rej) => {
        const t = setTimeout(() => {
          pending.delete(cookie);
          rej(new Error(`rtpengine ng '${dict.command}': no reply in ${timeout} ms`));
        }, timeout);
        pending.set(cookie, { res: (v) => (clearTimeout(t), res(v)), rej: (e) => (clearTimeout(t), rej(e)) });
        sock.send(Buffer.concat([Buffer.from(`${cookie} `), bencode(dict)]), port, '127.0.0.1');
      });
    },
    close: () => new Promise((r) => sock.close(() => r())),
  };
}

function bencode(v) {
  if (typeof v === 'number') return Buffer.from(`i${Math.trunc(v)}e`);
  if (typeof v === 'string' || Buffer.isBuffer(v)) {
    const b = Buffer.from(v);
    return Buffer.concat([Buffer.from(`${b.length}:`), b]);
  }
  if (Array.isArray(v)) return Buffer.concat([Buffer.from('l'), ...v.map(bencode), Buffer.from('e')]);
  const keys = Object.keys(v).sort();
  return Buffer.concat([Buffer.from('d'), ...keys.flatMap((k) => [bencode(k), bencode(v[k])]), Buffer.from('e')]);
}

function bdecode(buf) {
  let i = 0;
  const next = () => {
    const c = String.fromCharCode(buf[i]);
    if (c === 'i') {
      const e = buf.indexOf(0x65, i);
      const n = Number(buf.toString('latin1', i + 1, e));
      i = e + 1;
      return n;
    }
    if (c === 'l' || c === 'd') {
      i++;
      const items = [];
      while (buf[i] !== 0x65) items.push(next());
      i++;
      if (c === 'l') return items;
      const o = {};
      for (let k = 0; k < items.length; k += 2) o[items[k]] = items[k + 1];
      return o;
    }
    const colon = buf.indexOf(0x3a, i);
    const len = Number(buf.toString('latin1', i, colon));
    const s = buf.toString('utf8', colon + 1, colon + 1 + len);
    i = colon + 1 + len;
    return s;
  };
  return next();
}
