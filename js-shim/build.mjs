// Builds the two shapes of the SDK from build/pkg (wasm-pack output) and js-shim/src:
//   dist/exotelsdk.js   classic script / UMD, defines `exotelSDK`, wasm inlined (the drop-in)
//   dist/npm/           ESM (wasm as a sibling asset) + CommonJS (wasm inlined) + types
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
// Build tools live in tools/node (pinned by its lockfile), not in a js-shim/node_modules.
const { build } = createRequire(path.join(root, 'tools/node/package.json'))('esbuild');
const pkg = path.join(root, 'build/pkg');
const dist = path.join(root, 'dist');
const npm = path.join(dist, 'npm');
const version = JSON.parse(fs.readFileSync(path.join(here, 'package.json'), 'utf8')).version;

const wasm = fs.readFileSync(path.join(pkg, 'exotel_voice_bg.wasm'));

// The inlined wasm: a JS string literal, one character (U+0000..U+00FF) per byte, only the
// characters a literal cannot hold raw escaped. In UTF-8 every byte stays one or two bytes in
// place, so brotli packs it nearly as well as the binary (base64 regroups bits and cost ~15 KB
// more; docs/decisions/0002). Spliced in after bundling, so no tool re-escapes it.
const PLACEHOLDER = /(["'])__EXOTEL_VOICE_WASM_BYTES__\1/g; // esbuild picks the quotes
const ESCAPES = { 0x00: '\\x00', 0x0a: '\\n', 0x0d: '\\r', 0x22: '\\"', 0x5c: '\\\\' };
function bytesLiteral(bytes) {
  let s = '"';
  for (const b of bytes) s += ESCAPES[b] ?? String.fromCharCode(b);
  s += '"';
  // Self-check: the literal must evaluate to exactly these bytes.
  const back = vm.runInNewContext(s);
  if (back.length !== bytes.length || [...bytes].some((b, i) => back.charCodeAt(i) !== b)) throw new Error('wasm literal round trip failed');
  return s;
}
const wasmLiteral = bytesLiteral(wasm);

/** Puts the wasm literal in a built file, and the BOM that makes browsers decode it as UTF-8. */
function spliceWasm(file) {
  const text = fs.readFileSync(file, 'utf8');
  const found = text.match(PLACEHOLDER) || [];
  if (found.length !== 1) throw new Error(`${file}: expected one wasm placeholder, found ${found.length}`);
  fs.writeFileSync(file, `\uFEFF${text.replace(PLACEHOLDER, () => wasmLiteral)}`, 'utf8');
}

const wasmSource = (variant) => ({
  name: 'wasm-source',
  setup(b) {
    b.onResolve({ filter: /^#wasm-source$/ }, () => ({ path: path.join(here, `src/wasm-source.${variant}.js`) }));
  },
});

const common = {
  entryPoints: [path.join(here, 'src/index.js')],
  bundle: true,
  minify: true,
  keepNames: true, // callObj.constructor.name === 'Call', as in 3.0.10
  target: ['es2020'],
  legalComments: 'none',
  logLevel: 'warning',
  banner: { js: `/* exotel-voice-sdk ${version}: drop-in for exotelsdk.js 3.0.10 */` },
};

// UMD like 3.0.10's webpack output: CommonJS, AMD, or the global `exotelSDK` for <script>.
const umdHead = `(function (root, factory) {
  if (typeof exports === 'object' && typeof module === 'object') module.exports = factory();
  else if (typeof define === 'function' && define.amd) define([], factory);
  else if (typeof exports === 'object') exports.exotelSDK = factory();
  else root.exotelSDK = factory();
})(typeof self !== 'undefined' ? self : this, function () {`;

fs.mkdirSync(npm, { recursive: true });
await build({
  ...common,
  outfile: path.join(dist, 'exotelsdk.js'),
  format: 'iife',
  globalName: '__exotelSDK',
  plugins: [wasmSource('inline')],
  banner: { js: `${common.banner.js}\n${umdHead}` },
  footer: { js: 'return __exotelSDK; });' },
  // import.meta.url is only the wasm-bindgen default path, unused when bytes are passed in.
  define: { 'import.meta.url': 'undefined' },
});
spliceWasm(path.join(dist, 'exotelsdk.js'));
await build({ ...common, outfile: path.join(npm, 'index.mjs'), format: 'esm', plugins: [wasmSource('url')] });
await build({
  ...common,
  outfile: path.join(npm, 'index.cjs'),
  format: 'cjs',
  plugins: [wasmSource('inline')],
  define: { 'import.meta.url': 'undefined' },
});
spliceWasm(path.join(npm, 'index.cjs'));
fs.copyFileSync(path.join(pkg, 'exotel_voice_bg.wasm'), path.join(npm, 'exotel_voice_bg.wasm'));
fs.copyFileSync(path.join(here, 'types/index.d.ts'), path.join(npm, 'index.d.ts'));
fs.writeFileSync(
  path.join(npm, 'package.json'),
  JSON.stringify(
    {
      name: 'exotel-voice-sdk',
      version,
      description: 'Browser voice SDK (SIP over WebSocket, WebRTC), API-compatible with exotelsdk.js 3.0.10. Rust/WebAssembly core.',
      license: 'MIT',
      type: 'module',
      main: './index.cjs',
      module: './index.mjs',
      types: './index.d.ts',
      exports: {
        '.': { types: './index.d.ts', import: './index.mjs', require: './index.cjs' },
        './exotel_voice_bg.wasm': './exotel_voice_bg.wasm',
      },
      files: ['index.mjs', 'index.cjs', 'index.d.ts', 'exotel_voice_bg.wasm'],
      sideEffects: false,
    },
    null,
    2,
  ) + '\n',
);
for (const f of ['exotelsdk.js', 'npm/index.mjs', 'npm/index.cjs', 'npm/exotel_voice_bg.wasm']) {
  console.log(`${f.padEnd(26)} ${fs.statSync(path.join(dist, f)).size} bytes`);
}
