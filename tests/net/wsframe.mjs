// RFC 6455 framing for the test network tools: the server side of the opening handshake, frame
// encoding, and an incremental decoder that reads frames out of a TCP byte stream (the relay's
// tap and the hostile server both use it). Test code: no extensions, no compression.
import crypto from 'node:crypto';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
export const OP = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 };

/** Sec-WebSocket-Accept for a client's Sec-WebSocket-Key. */
export const acceptKey = (key) => crypto.createHash('sha1').update(key + GUID).digest('base64');

/** One unmasked (server to client) frame; `fin: false` starts or continues a fragmented one. */
export function encodeFrame(opcode, payload, { fin = true } = {}) {
  const data = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  const n = data.length;
  const lenBytes = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + lenBytes);
  head[0] = (fin ? 0x80 : 0) | opcode;
  if (lenBytes === 0) head[1] = n;
  else if (lenBytes === 2) {
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, data]);
}

/**
 * Incremental decoder: push(bytes) returns the complete messages so far as
 * { opcode, data (Buffer) }; fragments are joined. Payloads above `maxKeep` bytes are counted,
 * not kept (`data` is then null and `length` says how long it was).
 */
export class FrameDecoder {
  constructor({ maxKeep = 1 << 20 } = {}) {
    this.buf = Buffer.alloc(0);
    this.maxKeep = maxKeep;
    this.partial = null; // { opcode, parts, length }
  }

  push(chunk) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out = [];
    for (;;) {
      const f = this.#frame();
      if (!f) return out;
      if (f.opcode >= 8) {
        out.push({ opcode: f.opcode, data: f.data, length: f.length });
        continue;
      }
      if (f.opcode !== OP.continuation) this.partial = { opcode: f.opcode, parts: [], length: 0 };
      if (!this.partial) continue; // a stray continuation
      this.partial.length += f.length;
      if (f.data && this.partial.length <= this.maxKeep) this.partial.parts.push(f.data);
      if (f.fin) {
        const p = this.partial;
        this.partial = null;
        out.push({ opcode: p.opcode, length: p.length, data: p.length <= this.maxKeep ? Buffer.concat(p.parts) : null });
      }
    }
  }

  #frame() {
    const b = this.buf;
    if (b.length < 2) return null;
    const fin = (b[0] & 0x80) !== 0;
    const opcode = b[0] & 0x0f;
    const masked = (b[1] & 0x80) !== 0;
    let len = b[1] & 0x7f;
    let off = 2;
    if (len === 126) {
      if (b.length < 4) return null;
      len = b.readUInt16BE(2);
      off = 4;
    } else if (len === 127) {
      if (b.length < 10) return null;
      len = Number(b.readBigUInt64BE(2));
      off = 10;
    }
    const maskAt = off;
    if (masked) off += 4;
    if (b.length < off + len) return null;
    let data = null;
    if (len <= this.maxKeep) {
      data = Buffer.from(b.subarray(off, off + len));
      if (masked) for (let i = 0; i < len; i++) data[i] ^= b[maskAt + (i & 3)];
    }
    this.buf = b.subarray(off + len);
    return { fin, opcode, length: len, data };
  }
}

/** Splits an HTTP head (up to CRLFCRLF) off `buf`: { head (string), rest } or null if incomplete. */
export function splitHttpHead(buf) {
  const i = buf.indexOf('\r\n\r\n');
  if (i < 0) return null;
  return { head: buf.subarray(0, i).toString('latin1'), rest: buf.subarray(i + 4) };
}
