// A network namespace joined to the host by a veth pair, for tests where the browser's network
// changes under it (Wi-Fi to tethering): the browser runs inside the namespace, everything else
// on the host, and the namespace's address can be moved mid-call.
//
//   host: <veth-h> 10.<n>.0.1/24  ◀──veth──▶  namespace: <veth-n> 10.<n>.0.2/24 (then .3, .4 …)
//
// Needs root (ip netns, ip link). Names carry our pid, so a later run can delete what a killed
// one left behind (reapNamespaces).
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);
const PREFIX = 'exv';

async function ip(...args) {
  try {
    return (await execFileP('ip', args, { timeout: 10000 })).stdout;
  } catch (e) {
    throw new Error(`ip ${args.join(' ')}: ${(e.stderr || e.message).trim()}`);
  }
}

/** Deletes namespaces named exv-<pid> whose test process is gone (a run killed before cleanup). */
export async function reapNamespaces() {
  const list = await ip('netns', 'list').catch(() => '');
  for (const line of list.split('\n')) {
    const m = new RegExp(`^(${PREFIX}-(\\d+))\\b`).exec(line.trim());
    if (!m || Number(m[2]) === process.pid) continue;
    try {
      process.kill(Number(m[2]), 0);
      continue; // still running
    } catch (_) {
      await ip('netns', 'del', m[1]).catch(() => {});
    }
  }
}

/** Can this process make namespaces at all (root, a kernel with netns and veth)? Reason or null. */
export async function netnsUnavailable() {
  if (process.getuid && process.getuid() !== 0) return 'not root';
  const probe = `${PREFIX}-${process.pid}-probe`;
  try {
    await ip('netns', 'add', probe);
    await ip('netns', 'del', probe);
    return null;
  } catch (e) {
    return e.message;
  }
}

/**
 * Creates the namespace and its veth pair; returns { name, hostIp, addr, exec(cmd, args),
 * wrap(binary, dir), move(), del() } and registers del() on `stack`.
 * move(): the namespace's interface goes down, loses its address, takes the next one and comes
 * back up, as a laptop changing networks does; resolves to the new address.
 */
export async function createNetns(stack) {
  await reapNamespaces();
  const n = 20 + (process.pid % 200); // 10.<n>.0.0/24: distinct per concurrent run
  const name = `${PREFIX}-${process.pid}`;
  const vh = `${PREFIX}h${process.pid % 100000}`;
  const vn = `${PREFIX}n${process.pid % 100000}`;
  const ns = { name, hostIp: `10.${n}.0.1`, addr: `10.${n}.0.2`, hostIf: vh, nsIf: vn };
  await ip('netns', 'add', name);
  ns.del = async () => {
    await ip('netns', 'del', name).catch(() => {}); // the veth pair goes with it
    await ip('link', 'del', vh).catch(() => {}); // already gone unless the namespace delete failed
  };
  stack?.defer(`netns ${name}`, ns.del);
  await ip('link', 'add', vh, 'type', 'veth', 'peer', 'name', vn);
  await ip('link', 'set', vn, 'netns', name);
  await ip('addr', 'add', `${ns.hostIp}/24`, 'dev', vh);
  await ip('link', 'set', vh, 'up');
  ns.exec = (cmd, args) => execFileP('ip', ['netns', 'exec', name, cmd, ...args], { timeout: 10000 });
  await ns.exec('ip', ['link', 'set', 'lo', 'up']);
  await ns.exec('ip', ['addr', 'add', `${ns.addr}/24`, 'dev', vn]);
  await ns.exec('ip', ['link', 'set', vn, 'up']);

  let next = 3;
  ns.move = async ({ downMs = 1000 } = {}) => {
    const addr = `10.${n}.0.${next++}`;
    await ns.exec('ip', ['link', 'set', vn, 'down']);
    await ns.exec('ip', ['addr', 'flush', 'dev', vn]);
    await new Promise((r) => setTimeout(r, downMs)); // between networks: no address at all
    await ns.exec('ip', ['addr', 'add', `${addr}/24`, 'dev', vn]);
    await ns.exec('ip', ['link', 'set', vn, 'up']);
    ns.addr = addr;
    return addr;
  };
  /** A launcher script in `dir` that runs `binary` inside the namespace with its arguments. */
  ns.wrap = (binary, dir) => {
    const file = path.join(dir, `in-${name}-${path.basename(binary)}`);
    fs.writeFileSync(file, `#!/bin/sh\nexec ip netns exec ${name} ${binary} "$@"\n`, { mode: 0o755 });
    stack?.defer(`launcher ${file}`, () => fs.rmSync(file, { force: true }));
    return file;
  };
  return ns;
}
