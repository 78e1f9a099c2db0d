// The ESM package ships the .wasm beside the JS; bundlers (Vite, webpack 5, esbuild) follow
// this `new URL(..., import.meta.url)` pattern and emit the asset. Fetched on first use only.
export function wasmSource() {
  return new URL('./exotel_voice_bg.wasm', import.meta.url);
}
