// A TCP relay between the browser's WebSocket and a SIP server, for network-failure tests:
//
//   browser ──ws──▶ relay (listen host:port) ──tcp──▶ target (Kamailio)
//
// It can cut every open connection (both sides at once, as a dead NAT binding or a restarted
// edge looks), refuse new ones for a while (accepted, counted and reset at once: the browser
// sees the connection fail before the WebSocket opens) and pass them through again. Every
// connection attempt is recorded with its time and fate, and the SIP text of every WebSocket
// frame in either direction is decoded, so tests can assert on the wire (what was sent on which
// connection, in which order) without help from the SDK.
import net from 'node:net';
import { FrameDecoder, splitHttpHead, OP } from './wsframe.mjs';

/**
 * Starts a relay to `target` ({ host, port }) listening on `listen` ({ host, port: 0 = any }).
 * Returns { host, port, attempts, frames, cut(), refuse(), pass(), mode, open(), close() };
 * registers close() on `stack`. `decode: false` relays without reading WebSocket frames (HTTP).
 *   attempts: [{ id, t, fate: 'passed' | 'refused', from: 'ip:port' }]
 *   frames:   [{ conn, t, dir: 'up' (to the server) | 'down', text }] (text frames and SIP in
 *             binary frames; keep-alive CRLFs included)
 */
export async function startRelay(stack, { target, listen = { host: '127.0.0.1', port: 0 }, name = 'relay', decode = true }) {
  const conns = new Set();
  const relay = { attempts: [], frames: [], mode: 'pass', conns };
  let nextId = 1;

  const server = net.createServer((client) => {
    const id = nextId++;
    const from = `${client.remoteAddress}:${client.remotePort}`;
    const t = Date.now();
    if (relay.mode === 'refuse') {
      relay.attempts.push({ id, t, fate: 'refused', from });
      client.resetAndDestroy();
      return;
    }
    relay.attempts.push({ id, t, fate: 'passed', from });
    const upstream = net.connect(target.port, target.host);
    const c = { id, client, upstream, from, closedAt: null };
    conns.add(c);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const end = () => {
      if (c.closedAt === null) c.closedAt = Date.now();
      conns.delete(c);
      client.destroy();
      upstream.destroy();
    };
    const record = (dir) => (decode ? (text) => relay.frames.push({ conn: id, t: Date.now(), dir, text }) : null);
    tap(client, upstream, record('up'));
    tap(upstream, client, record('down'));
    for (const s of [client, upstream]) {
      s.on('error', end);
      s.on('close', end);
    }
  });
  server.on('error', () => {}); // listen errors surface through the promise below

  await new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(listen.port, listen.host, res);
  });
  relay.host = listen.host;
  relay.port = server.address().port;

  /** Resets every open connection, both sides; new ones are still accepted. */
  relay.cut = () => {
    for (const c of [...conns]) {
      c.client.resetAndDestroy();
      c.upstream.resetAndDestroy();
      conns.delete(c);
    }
  };
  /** From now on, every new connection is accepted, counted and reset (open ones are cut too). */
  relay.refuse = () => {
    relay.mode = 'refuse';
    relay.cut();
  };
  /** New connections pass through again. */
  relay.pass = () => {
    relay.mode = 'pass';
  };
  /** Ids of the connections currently open. */
  relay.open = () => [...conns].map((c) => c.id);
  /** SIP messages (not keep-alives) relayed in direction `dir`, optionally since time `since`. */
  relay.sip = (dir, since = 0) => relay.frames.filter((f) => f.dir === dir && f.t >= since && f.text.trim() !== '');
  relay.close = () =>
    new Promise((res) => {
      relay.cut();
      server.close(() => res());
    });
  stack?.defer(name, relay.close);
  return relay;
}

/**
 * Pipes `from` into `to` and reports each WebSocket text (or binary) message seen on the way,
 * after the HTTP upgrade head. Decoding never alters or delays the bytes.
 */
function tap(from, to, onText) {
  let head = Buffer.alloc(0);
  let decoder = null;
  from.on('data', (chunk) => {
    if (!to.destroyed) to.write(chunk);
    if (!onText) return; // a plain TCP relay (e.g. HTTP)
    try {
      if (!decoder) {
        head = Buffer.concat([head, chunk]);
        const split = splitHttpHead(head);
        if (!split) return;
        decoder = new FrameDecoder();
        head = null;
        chunk = split.rest;
      }
      for (const m of decoder.push(chunk)) {
        if ((m.opcode === OP.text || m.opcode === OP.binary) && m.data) onText(m.data.toString('utf8'));
      }
    } catch (_) {
      decoder = { push: () => [] }; // not WebSocket after all: relay blindly
    }
  });
}
