// Loads the wasm core once per page. Where the bytes come from depends on the build
// (inlined in dist/exotelsdk.js, a sibling .wasm file in the ESM package): see build.mjs.
import init, { Client, initSync, __wbg_reset_state as resetState } from '../../build/pkg/exotel_voice.js';
import { wasmSource } from '#wasm-source';

let loading = null;
let exportsOfWasm = null;

/** Bytes of wasm linear memory (0 before load): for `make bench` and leak hunting. */
export function wasmMemoryBytes() {
  return exportsOfWasm ? exportsOfWasm.memory.buffer.byteLength : 0;
}

/** Resolves to the wasm `Client` class; rejects with an Error that says why. */
export function loadCore() {
  if (!loading) {
    loading = Promise.resolve()
      .then(() => wasmSource())
      .then((source) => init({ module_or_path: source }))
      .then((exports) => {
        exportsOfWasm = exports;
        return Client;
      })
      .catch((e) => {
        loading = null; // a later call may retry (e.g. after a network blip fetching the .wasm)
        throw new Error(`could not load the SDK's WebAssembly core: ${e && e.message ? e.message : e}`);
      });
  }
  return loading;
}

/**
 * A fresh instance of the loaded module (its memory, its state), after a trap
 * (recovery.js). Objects and closures of the previous instance are refused from then on by the
 * glue (scripts/build-wasm.sh builds it with wasm-bindgen's reset-state function).
 */
export function resetModule() {
  resetState();
  exportsOfWasm = initSync(); // the new instance's exports (the module is loaded already)
}
