// A scriptable SIP-over-WebSocket server for hostile-server tests: it accepts the SDK's
// WebSocket (subprotocol "sip"), records every SIP message the SDK sends, and lets the test send
// anything back: valid SIP, junk text, binary garbage, floods, huge frames. No SIP logic of its
// own beyond a helper that builds responses; each test scripts what the server does.
import http from 'node:http';
import { acceptKey, encodeFrame, FrameDecoder, OP } from './wsframe.mjs';

/**
 * Starts the server on 127.0.0.1:<ephemeral>. Returns { port, conns, received, onRequest(fn),
 * waitConn(n), close() }; registers close() on `stack`.
 *   received: [{ conn, t, text }] every message from the SDK, in order (keep-alives excluded)
 *   onRequest(fn): fn(msg, conn) for each SIP request or response from the SDK (parsed with
 *     parseSip); replaces the previous handler
 * A conn has send(text), sendBinary(buf), sendRaw(bytes), closeAbruptly(), and `id`.
 */
export async function startSipWsServer(stack) {
  const srv = { conns: [], received: [], handler: () => {} };
  const server = http.createServer((req, res) => res.writeHead(426).end());
  server.on('upgrade', (req, socket) => {
    const key = req.headers['sec-websocket-key'];
    const protos = String(req.headers['sec-websocket-protocol'] || '').split(',').map((s) => s.trim());
    if (!key || !protos.includes('sip')) {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${acceptKey(key)}\r\nSec-WebSocket-Protocol: sip\r\n\r\n`,
    );
    socket.setNoDelay(true);
    const conn = {
      id: srv.conns.length + 1,
      socket,
      open: true,
      send: (text) => conn.sendRaw(encodeFrame(OP.text, text)),
      sendBinary: (buf) => conn.sendRaw(encodeFrame(OP.binary, buf)),
      /** Writes bytes; resolves once the kernel took them (large frames need backpressure). */
      sendRaw: (bytes) => new Promise((res) => (conn.open ? socket.write(bytes, () => res()) : res())),
      closeAbruptly: () => socket.resetAndDestroy(),
    };
    srv.conns.push(conn);
    const decoder = new FrameDecoder();
    socket.on('data', (chunk) => {
      for (const m of decoder.push(chunk)) {
        if (m.opcode === OP.close) {
          conn.sendRaw(encodeFrame(OP.close, Buffer.alloc(0))).then(() => socket.end());
          continue;
        }
        if (m.opcode === OP.ping) {
          conn.sendRaw(encodeFrame(OP.pong, m.data || Buffer.alloc(0)));
          continue;
        }
        if (m.opcode !== OP.text && m.opcode !== OP.binary) continue;
        const text = m.data.toString('utf8');
        if (text === '\r\n\r\n') {
          conn.send('\r\n'); // RFC 5626 keep-alive pong
          continue;
        }
        srv.received.push({ conn: conn.id, t: Date.now(), text });
        try {
          srv.handler(parseSip(text), conn);
        } catch (e) {
          srv.handlerErrors = (srv.handlerErrors || []).concat(String(e && e.stack ? e.stack : e));
        }
      }
    });
    const gone = () => (conn.open = false);
    socket.on('close', gone);
    socket.on('error', gone);
  });
  await new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(0, '127.0.0.1', res);
  });
  srv.port = server.address().port;
  srv.onRequest = (fn) => (srv.handler = fn);
  /** The messages from the SDK whose start line matches `re`, optionally since time `since`. */
  srv.matching = (re, since = 0) => srv.received.filter((r) => r.t >= since && re.test(r.text.split('\r\n')[0]));
  srv.close = () =>
    new Promise((res) => {
      for (const c of srv.conns) c.socket.destroy();
      server.close(() => res());
    });
  stack?.defer('sip ws server', srv.close);
  return srv;
}

/** Minimal SIP parse: { start, method?, status?, headers: Map lower-name → [values], body, text }. */
export function parseSip(text) {
  const sep = text.indexOf('\r\n\r\n');
  const head = sep < 0 ? text : text.slice(0, sep);
  const lines = head.split('\r\n');
  const start = lines[0];
  const headers = new Map();
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i <= 0) continue;
    const k = l.slice(0, i).trim().toLowerCase();
    if (!headers.has(k)) headers.set(k, []);
    headers.get(k).push(l.slice(i + 1).trim());
  }
  const st = /^SIP\/2\.0 (\d{3})/.exec(start);
  return {
    start,
    method: st ? null : start.split(' ')[0],
    status: st ? Number(st[1]) : null,
    headers,
    h: (name) => (headers.get(name.toLowerCase()) || [])[0] ?? null,
    body: sep < 0 ? '' : text.slice(sep + 4),
    text,
  };
}

/** A response to request `req` (parsed), with `extra` header lines and an optional body. */
export function respond(req, status, reason, { extra = [], body = '', toTag } = {}) {
  let to = req.h('to') || req.h('t');
  if (toTag && !/;tag=/.test(to)) to += `;tag=${toTag}`;
  const lines = [`SIP/2.0 ${status} ${reason}`];
  for (const v of req.headers.get('via') || []) lines.push(`Via: ${v}`);
  lines.push(`From: ${req.h('from')}`, `To: ${to}`, `Call-ID: ${req.h('call-id')}`, `CSeq: ${req.h('cseq')}`);
  lines.push(...extra, `Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}
