// The ESM package ships the .wasm beside the JS; bundlers (Vite, webpack 5, esbuild) follow
// this `new URL(..., import.meta.url)` pattern and emit the asset. Fetched on first use only.
//
// Vite 6 and 7 dev servers pre-bundle dependencies into node_modules/.vite/deps without the
// asset, so that URL gets the dev server's index.html. Then the file next to the package
// in node_modules is tried, which those dev servers serve; if that fails too, the error
// names the fix (optimizeDeps.exclude).
const PACKAGE = 'exotel-voice-sdk';
const FIX = `with Vite before 8, exclude the SDK from dependency pre-bundling: optimizeDeps: { exclude: ['${PACKAGE}'] } in vite.config`;

function isHtml(res) {
  return res.ok && /text\/html/i.test(res.headers.get('content-type') || '');
}

/** Resolves to the Response of the .wasm (wasm-bindgen instantiates it, streaming). */
export async function wasmSource() {
  const url = new URL('./exotel_voice_bg.wasm', import.meta.url);
  if (url.protocol === 'file:') {
    throw new Error(`${url.href} is a file: URL, which fetch cannot read: this is the browser build running in Node; import '${PACKAGE}' by name so that the "node" export condition picks the build that reads the .wasm from disk`);
  }
  const res = await fetch(url);
  if (!isHtml(res)) return res;
  const prebundled = /\/\.vite\/deps[^/]*\/[^/]*$/;
  if (prebundled.test(url.pathname)) {
    const next = new URL(url.pathname.replace(prebundled, `/${PACKAGE}/exotel_voice_bg.wasm`), url);
    const retry = await fetch(next);
    if (retry.ok && !isHtml(retry)) return retry;
  }
  throw new Error(`${url.href} answered with an HTML page, not the .wasm (a dev server's fallback page): ${FIX}`);
}
