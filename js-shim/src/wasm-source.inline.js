// dist/exotelsdk.js and the CommonJS entry carry the wasm inlined, so the drop-in is one file.
import { WASM_BASE64 } from '../../build/wasm-inline.js';

export function wasmSource() {
  if (typeof atob === 'function') {
    const bin = atob(WASM_BASE64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return bytes;
  }
  return Uint8Array.from(Buffer.from(WASM_BASE64, 'base64'));
}
