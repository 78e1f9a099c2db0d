// Runs the SBC topology's programs (Kamailio, rtpengine, baresip, SIPp) each in its own process
// group, output to <rundir>/<name>.log, and stops them by group: Kamailio and rtpengine fork
// workers or threads that would otherwise outlive the main process and keep their ports.
// Each started group's id is written to <rundir>/<name>.pgid, so a run killed before its
// after() hook can be cleaned up by the next one (reapOrphans).
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { waitFor, RUN_BASE } from '../e2e/support.mjs';

/** Any non-zombie process left in group `pgid`? */
function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
  } catch (_) {
    return false;
  }
  // kill(0) also succeeds while only zombies remain: look at the states.
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
    } catch (_) {
      continue;
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(f[2]) === pgid && f[0] !== 'Z') return true;
  }
  return false;
}

/** SIGTERM to the group, SIGKILL after `graceMs`; resolves once no process of it is left. */
export async function killGroup(pgid, graceMs = 5000) {
  try {
    process.kill(-pgid, 'SIGTERM');
  } catch (_) {
    return;
  }
  const gone = () => !groupAlive(pgid);
  try {
    await waitFor(gone, { timeout: graceMs, interval: 50, message: `process group ${pgid} to exit` });
  } catch (_) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch (_) {
      return;
    }
    await waitFor(gone, { timeout: 5000, interval: 50, message: `process group ${pgid} to die after SIGKILL` });
  }
}

/**
 * Starts `cmd args` in a new process group; `ready()` (polled) says when it is up.
 * Returns { name, pid, log(), exited (a promise of the exit code), stop() }; registers stop() on
 * `stack`.
 */
export async function startDaemon(stack, { name, rundir, cmd, args, cwd = rundir, ready, timeout = 15000 }) {
  fs.mkdirSync(rundir, { recursive: true });
  const logFile = path.join(rundir, `${name}.log`);
  const out = fs.openSync(logFile, 'w');
  // detached: setsid(), so the child leads a group of its own (pgid == pid).
  const child = spawn(cmd, args, { cwd, detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const exited = new Promise((res) => child.once('exit', (code, sig) => res(code ?? sig)));
  const spawnError = new Promise((_, rej) => child.once('error', rej));
  fs.writeFileSync(path.join(rundir, `${name}.pgid`), String(child.pid));
  const log = () => fs.readFileSync(logFile, 'utf8');
  const stop = async () => {
    await killGroup(child.pid);
    fs.rmSync(path.join(rundir, `${name}.pgid`), { force: true });
  };
  stack.defer(name, stop);
  let dead = false;
  exited.then(() => (dead = true));
  await Promise.race([
    spawnError,
    waitFor(async () => {
      if (dead) throw new Error(`${name} exited during start-up`);
      return ready();
    }, { timeout, interval: 100, message: `${name} to start` }),
  ]).catch((e) => {
    const tail = fs.existsSync(logFile) ? log().split('\n').slice(-25).join('\n') : '';
    throw new Error(`${e.message}\n--- ${name}.log (tail) ---\n${tail}`);
  });
  return { name, pid: child.pid, log, exited, stop };
}

/**
 * Stops the process groups recorded under RUN_BASE/<prefix>-<name>-<pid> whose test process
 * <pid> is gone (a run killed before its after() hook), and removes those directories.
 */
export async function reapOrphans(prefix) {
  if (!fs.existsSync(RUN_BASE)) return;
  for (const d of fs.readdirSync(RUN_BASE)) {
    const m = new RegExp(`^${prefix}-[\\w-]+-(\\d+)$`).exec(d);
    if (!m || Number(m[1]) === process.pid) continue;
    try {
      process.kill(Number(m[1]), 0);
      continue; // that run is still going
    } catch (_) {
      /* gone */
    }
    const dir = path.join(RUN_BASE, d);
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.pgid'))) {
      const pgid = Number(fs.readFileSync(path.join(dir, f), 'utf8'));
      if (pgid > 1) await killGroup(pgid).catch(() => {});
      fs.rmSync(path.join(dir, f), { force: true });
    }
    if (!process.env.SBC_KEEP_RUN) fs.rmSync(dir, { recursive: true, force: true }); // see topology.mjs
  }
}
