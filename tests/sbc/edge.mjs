// The SBC edge: Kamailio with tests/sbc/edge.cfg (WebSocket for browsers, UDP for the trunk,
// rtpengine for media), in its own process group. Its sipdump module writes every SIP message
// it receives and sends to <rundir>/sipdump/sip-*.data: messages() reads them, the wire evidence.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ROOT, ulDump } from '../e2e/support.mjs';
import { startDaemon } from './daemon.mjs';

const CFG = path.join(ROOT, 'tests/sbc/edge.cfg');

const portOpen = (port) =>
  new Promise((res) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => s.end(() => res(true)));
    s.once('error', () => res(false));
  });

/**
 * Starts the edge. `ports` = { ws, udp, rtpengine, baresip, sipp }. Returns the kam-like object
 * the e2e helpers take ({ port, rundir, contacts(user) }) plus log() and messages().
 */
export async function startEdge(stack, rundir, ports) {
  const dumps = path.join(rundir, 'sipdump');
  fs.mkdirSync(dumps, { recursive: true });
  const ctl = path.join(rundir, 'kamailio_ctl'); // where scripts/kamailio.sh dump looks
  fs.rmSync(ctl, { force: true });
  const def = (k, v) => ['-A', `${k}=${v}`];
  const d = await startDaemon(stack, {
    name: 'kamailio',
    rundir,
    cmd: 'kamailio',
    args: [
      '-DD', // foreground; workers still fork, into our process group
      '-E',
      '-f', CFG,
      '-Y', rundir,
      '-P', path.join(rundir, 'kamailio.pid'),
      '-m', '64',
      '-M', '8',
      ...def('WS_PORT', ports.ws),
      ...def('UDP_PORT', ports.udp),
      ...def('CTL_SOCK', `"unix:${ctl}"`),
      ...def('DUMP_DIR', `"${dumps}"`),
      ...def('RTPENGINE', `"udp:127.0.0.1:${ports.rtpengine}"`),
      ...def('BARESIP', `"sip:127.0.0.1:${ports.baresip}"`),
      ...def('SIPP', `"sip:127.0.0.1:${ports.sipp}"`),
    ],
    ready: async () => fs.existsSync(ctl) && (await portOpen(ports.ws)),
  });
  const contacts = async (user) =>
    (await ulDump(rundir)).filter((a) => a.aor.split('@')[0] === String(user)).flatMap((a) => a.contacts);
  return {
    port: ports.ws,
    rundir,
    log: d.log,
    contacts,
    /** Every SIP message the edge received or sent so far, oldest first:
     *  [{ tag: 'rcv' | 'snd', proto, src, dst, first (start line), text }]. */
    messages: () => parseDumps(readDumps(dumps)),
  };
}

function readDumps(dir) {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.data'))
    .sort()
    .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
    .join('');
}

/** sipdump's records: a "name: value" preamble, a ~~~ line, the message, a ||| line. */
export function parseDumps(text) {
  const out = [];
  for (const rec of text.split(/^={20}$/m)) {
    const sep = rec.indexOf('\n~~~~~~~~~~~~~~~~~~~~\n');
    if (sep < 0) continue;
    const meta = Object.fromEntries(
      rec
        .slice(0, sep)
        .split('\n')
        .map((l) => /^(\w+): (.*)$/.exec(l))
        .filter(Boolean)
        .map((m) => [m[1], m[2]]),
    );
    const msg = rec.slice(sep + 22).replace(/\n\|{20}\n?$/, '');
    if (/^(GET|HTTP)/.test(msg)) continue; // the WebSocket upgrade
    out.push({
      tag: meta.tag,
      proto: (meta.proto || '').split(' ')[0],
      src: `${meta.srcip}:${meta.srcport}`,
      dst: `${meta.dstip}:${meta.dstport}`,
      first: msg.split(/\r?\n/)[0],
      text: msg,
    });
  }
  return out;
}
