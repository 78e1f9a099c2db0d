// Public entry: the one export of exotelsdk.js 3.0.10, plus two test/diagnostic hooks of ours
// (double underscore: not API, may change).
export { ExotelWebClient } from './client.js';
export { wasmMemoryBytes as __wasmMemoryBytes } from './wasm.js';
export * as __tones from './tones.js';
