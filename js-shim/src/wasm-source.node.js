// Node (the package's "node" export condition, the CommonJS entry): the .wasm is read from
// disk next to this file; Node's fetch cannot read file: URLs.
/* global __dirname */
export function wasmSource() {
  return require('node:fs').promises.readFile(require('node:path').join(__dirname, 'exotel_voice_bg.wasm'));
}
