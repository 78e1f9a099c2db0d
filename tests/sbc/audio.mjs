// Audio files for the plain-RTP far ends: reading a 16-bit PCM WAV (baresip's recording of what it
// heard), finding a tone in it, and writing the G.711 µ-law WAV SIPp streams with rtp_stream.
import fs from 'node:fs';
import path from 'node:path';
import { RUN_BASE } from '../e2e/support.mjs';

/** { rate, channels, samples: Int16Array } of a PCM WAV; the data chunk may still be growing. */
export function readWav(file) {
  const b = fs.readFileSync(file);
  if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') throw new Error(`${file}: not a WAV file`);
  let off = 12;
  let fmt = null;
  while (off + 8 <= b.length) {
    const id = b.toString('ascii', off, off + 4);
    const size = b.readUInt32LE(off + 4);
    if (id === 'fmt ') fmt = { format: b.readUInt16LE(off + 8), channels: b.readUInt16LE(off + 10), rate: b.readUInt32LE(off + 12), bits: b.readUInt16LE(off + 22) };
    if (id === 'data') {
      if (!fmt || fmt.format !== 1 || fmt.bits !== 16) throw new Error(`${file}: not 16-bit PCM: ${JSON.stringify(fmt)}`);
      // A recorder still writing leaves the size 0 or short: take what is on disk.
      const end = b.length - ((b.length - off - 8) % 2);
      const data = b.subarray(off + 8, end);
      return { rate: fmt.rate, channels: fmt.channels, samples: new Int16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length)) };
    }
    off += 8 + size + (size % 2);
  }
  throw new Error(`${file}: no data chunk`);
}

/** Goertzel power of `hz` relative to the block's total power, in [0, 1]. */
function toneShare(x, from, n, hz, rate) {
  const w = (2 * Math.PI * hz) / rate;
  const c = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  for (let i = from; i < from + n; i++) {
    const s = x[i] / 32768;
    energy += s * s;
    const s0 = s + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  if (energy < 1e-9) return 0;
  const p = s1 * s1 + s2 * s2 - c * s1 * s2; // |X(hz)|^2
  return (2 * p) / (n * energy);
}

/**
 * Splits mono PCM into 100 ms blocks; returns { blocks, toneBlocks, rms } where toneBlocks counts
 * the blocks in which `hz` carries most of the power (a clean sine gives ~1, noise ~0) and that
 * are not silent.
 */
export function toneBlocks({ rate, channels, samples }, hz) {
  if (channels !== 1) throw new Error(`expected mono audio, got ${channels} channels`);
  const n = Math.round(rate / 10);
  let toneCount = 0;
  let blocks = 0;
  let sq = 0;
  for (let from = 0; from + n <= samples.length; from += n) {
    blocks++;
    let e = 0;
    for (let i = from; i < from + n; i++) e += (samples[i] / 32768) ** 2;
    sq += e;
    if (Math.sqrt(e / n) > 0.01 && toneShare(samples, from, n, hz, rate) > 0.5) toneCount++;
  }
  return { blocks, toneBlocks: toneCount, rms: blocks ? Math.sqrt(sq / (blocks * n)) : 0 };
}

/** µ-law (G.711 PCMU) encoding of one 16-bit sample. */
function ulaw(sample) {
  const BIAS = 0x84;
  const sign = sample < 0 ? 0x80 : 0;
  let s = Math.min(Math.abs(sample), 32635) + BIAS;
  let exp = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exp > 0; mask >>= 1) exp--;
  const mant = (s >> (exp + 3)) & 0x0f;
  return ~(sign | (exp << 4) | mant) & 0xff;
}

/**
 * A G.711 µ-law WAV (format 7, 8 kHz mono) of a `hz` sine, for SIPp's <exec rtp_stream=...>,
 * written once under tests/.run/tones/.
 */
export function pcmuToneWav(hz, seconds = 30, amplitude = 0.4) {
  const file = path.join(RUN_BASE, 'tones', `pcmu-${hz}hz-${seconds}s.wav`);
  if (fs.existsSync(file)) return file;
  const rate = 8000;
  const n = rate * seconds;
  const b = Buffer.alloc(44 + n); // the classic 44-byte header: SIPp skips it, it decodes nothing
  b.write('RIFF', 0, 'ascii');
  b.writeUInt32LE(36 + n, 4);
  b.write('WAVE', 8, 'ascii');
  b.write('fmt ', 12, 'ascii');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(7, 20); // WAVE_FORMAT_MULAW
  b.writeUInt16LE(1, 22); // mono
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate, 28); // one byte per sample
  b.writeUInt16LE(1, 32);
  b.writeUInt16LE(8, 34);
  b.write('data', 36, 'ascii');
  b.writeUInt32LE(n, 40);
  for (let i = 0; i < n; i++) b[44 + i] = ulaw(Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * hz * i) / rate)));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, b);
  fs.renameSync(tmp, file);
  return file;
}
