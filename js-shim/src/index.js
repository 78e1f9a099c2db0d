// Public entry: the one export of exotelsdk.js 3.0.10, plus one diagnostic of ours.
export { ExotelWebClient } from './client.js';
export { wasmMemoryBytes as __wasmMemoryBytes } from './wasm.js';
