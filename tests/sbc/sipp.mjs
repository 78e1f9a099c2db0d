// SIPp (Debian sip-tester) as the far end for the shapes a softphone cannot be told to make:
// one call from a scenario in tests/sbc/sipp/, to the edge's UDP port, streaming a PCMU tone
// (tone.wav in its working directory) once the call is up. Every message it sends and receives
// is logged (-trace_msg); tests read them back to follow and check the call.
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, waitFor } from '../e2e/support.mjs';
import { startDaemon } from './daemon.mjs';
import { pcmuToneWav } from './audio.mjs';

export const SCENARIOS = path.join(ROOT, 'tests/sbc/sipp');

/** Is a UDP socket bound to 127.0.0.1:`port` (or any address)? */
function udpBound(port) {
  const suffix = `:${port.toString(16).toUpperCase().padStart(4, '0')}`; // local_address is HEXIP:HEXPORT
  return fs.readFileSync('/proc/net/udp', 'utf8').split('\n').some((l) => l.trim().split(/\s+/)[1]?.endsWith(suffix));
}

/**
 * Runs scenario `name` (tests/sbc/sipp/<name>.xml) for one call: as UAC (default) to
 * sip:`user`@edge, or as UAS (`uas: true`) waiting for the edge's INVITE. SIP on
 * 127.0.0.1:`ports.sip`, RTP from `ports.media`, `mediaMs` of media in each <pause/>.
 * Returns { exited (a promise of the exit code: 0 = the call completed as scripted),
 * messages(), waitMessage(pred, what), text() } once SIPp listens.
 */
export async function runSipp(stack, rundir, name, { edge, user, ports, uas = false, mediaMs = 4000, toneHz = 1000 }) {
  const dir = path.join(rundir, `sipp-${name}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.symlinkSync(pcmuToneWav(toneHz), path.join(dir, 'tone.wav'));
  const msgLog = path.join(dir, 'messages.log');
  const d = await startDaemon(stack, {
    name: `sipp-${name}`,
    rundir,
    cwd: dir,
    cmd: 'sipp',
    args: [
      ...(uas ? [] : [`127.0.0.1:${edge}`, '-s', String(user)]),
      '-sf', path.join(SCENARIOS, `${name}.xml`),
      '-i', '127.0.0.1',
      '-p', String(ports.sip),
      '-mi', '127.0.0.1',
      '-mp', String(ports.media),
      '-cp', String(ports.control),
      '-m', '1',
      '-d', String(mediaMs),
      '-timeout', '120s',
      '-timeout_error',
      '-nostdin',
      '-trace_msg', '-message_file', msgLog,
      '-trace_err', '-error_file', path.join(dir, 'errors.log'),
    ],
    ready: () => udpBound(ports.sip),
  });
  const text = () => (fs.existsSync(msgLog) ? fs.readFileSync(msgLog, 'utf8') : '');
  const messages = () => parseMessages(text());
  return {
    exited: d.exited,
    log: d.log,
    text,
    messages,
    /** Waits for a logged message matching `pred({ dir, text, first })`; returns it. */
    waitMessage: (pred, what, timeout = 20000) =>
      waitFor(() => messages().find(pred), {
        timeout,
        message: () => `SIPp (${name}) to log ${what}; so far: ${JSON.stringify(messages().map((m) => `${m.dir} ${m.first}`))}`,
      }),
  };
}

/** SIPp's message log → [{ dir: 'sent' | 'received', first (start line), text }]. */
export function parseMessages(log) {
  const out = [];
  for (const block of log.split(/^-{20,}.*$/m)) {
    const m = /^\s*\S+ message (sent|received)[^\n]*\n+([\s\S]*)$/.exec(block);
    if (!m) continue;
    const msgText = m[2].replace(/\n+$/, '\n');
    out.push({ dir: m[1], first: msgText.split(/\r?\n/)[0].trim(), text: msgText });
  }
  return out;
}
