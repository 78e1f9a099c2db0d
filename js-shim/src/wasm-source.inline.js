// dist/exotelsdk.js carries the wasm inlined, so the drop-in is one file. The bytes are a
// string literal with one character per byte (U+0000..U+00FF), put in by build.mjs after
// bundling: brotli packs it almost as well as the binary, where base64 cost ~15 KB more
// (docs/decisions/0002). The file starts with a UTF-8 BOM, which decides the decoding whatever
// charset the page or server declares. The literal is a variable of build.mjs's banner, on a
// line of its own, so the source map of the bundled code stays exact.
/* global __exotelWasmBytes */

export function wasmSource() {
  const s = __exotelWasmBytes;
  if (s === null) {
    // Instantiating inlined bytes does not fail by chance (a CSP without 'wasm-unsafe-eval'
    // does): the first attempt's error, already logged, is the one that says why.
    throw new Error('the WebAssembly core already failed to load on this page (see the first error)');
  }
  // Dropped once decoded: the string would otherwise stay on the JS heap (~170 KB, measured
  // in decision 0002).
  __exotelWasmBytes = null;
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes;
}
