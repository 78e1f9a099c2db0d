// Builds the shapes of the SDK from build/pkg (wasm-pack output) and js-shim/src:
//   dist/exotelsdk.js   classic script / UMD, defines `exotelSDK`, wasm inlined (the drop-in)
//   dist/npm/           the npm package: browser ESM (wasm as a sibling asset, split into the
//                       full entry and the lean core + feature entries), CommonJS for Node
//                       (reads the wasm from disk), types for both, README, LICENSE, notices
// Every JS file gets a source map. EXOTEL_WASM_PKG and EXOTEL_DIST pick other input and output
// folders (`make dist-debug`: a wasm that keeps its name section, into dist-debug/).
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { packageJson } from './package-json.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
// Build tools live in tools/node (pinned by its lockfile), not in a js-shim/node_modules.
const { build } = createRequire(path.join(root, 'tools/node/package.json'))('esbuild');
const pkg = path.resolve(root, process.env.EXOTEL_WASM_PKG || 'build/pkg');
const dist = path.resolve(root, process.env.EXOTEL_DIST || 'dist');
const npm = path.join(dist, 'npm');
const { version, repository } = JSON.parse(fs.readFileSync(path.join(here, 'package.json'), 'utf8'));
const NAME = 'exotel-voice-sdk';

const wasm = fs.readFileSync(path.join(pkg, 'exotel_voice_bg.wasm'));

// The inlined wasm: a JS string literal, one character (U+0000..U+00FF) per byte, only the
// characters a literal cannot hold raw escaped. In UTF-8 every byte stays one or two bytes in
// place, so brotli packs it nearly as well as the binary (base64 regroups bits and cost ~15 KB
// more; docs/decisions/0002). Spliced in after bundling, so no tool re-escapes it; it sits on a
// banner line of its own, so the source map's lines and columns stay right.
const PLACEHOLDER = '"__EXOTEL_VOICE_WASM_BYTES__"';
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

/** Puts the wasm literal in a built file, and the BOM that makes browsers decode it as UTF-8. */
function spliceWasm(file) {
  const text = fs.readFileSync(file, 'utf8');
  const at = text.indexOf(PLACEHOLDER);
  if (at < 0 || text.indexOf(PLACEHOLDER, at + 1) >= 0) throw new Error(`${file}: expected one wasm placeholder`);
  fs.writeFileSync(file, `\uFEFF${text.slice(0, at)}${bytesLiteral(wasm)}${text.slice(at + PLACEHOLDER.length)}`, 'utf8');
}

const wasmSource = (variant) => ({
  name: 'wasm-source',
  setup(b) {
    b.onResolve({ filter: /^#wasm-source$/ }, () => ({ path: path.join(here, `src/wasm-source.${variant}.js`) }));
  },
});

const license = `exotel-voice-sdk ${version} (MIT); third-party notices: THIRD_PARTY_NOTICES.md`;
const common = {
  bundle: true,
  minify: true,
  keepNames: true, // callObj.constructor.name === 'Call', as in 3.0.10
  target: ['es2020'],
  sourcemap: 'linked',
  sourcesContent: true,
  legalComments: 'none', // the notices are one file (THIRD_PARTY_NOTICES.md), named in the banner
  logLevel: 'warning',
  define: { __EXOTEL_SDK_VERSION__: JSON.stringify(version) },
  banner: { js: `/* ${license} */` },
};
// import.meta.url is only the wasm-bindgen default path, unused when the bytes are passed in.
const noImportMeta = { ...common.define, 'import.meta.url': 'undefined' };

// UMD like 3.0.10's webpack output: CommonJS, AMD, or the global `exotelSDK` for <script>.
const umdHead = `(function (root, factory) {
  if (typeof exports === 'object' && typeof module === 'object') module.exports = factory();
  else if (typeof define === 'function' && define.amd) define([], factory);
  else if (typeof exports === 'object') exports.exotelSDK = factory();
  else root.exotelSDK = factory();
})(typeof self !== 'undefined' ? self : this, function () {
var __exotelWasmBytes = ${PLACEHOLDER};`;

fs.rmSync(npm, { recursive: true, force: true });
fs.mkdirSync(npm, { recursive: true });

// 1. The drop-in.
await build({
  ...common,
  entryPoints: [path.join(here, 'src/index.js')],
  outfile: path.join(dist, 'exotelsdk.js'),
  format: 'iife',
  globalName: '__exotelSDK',
  plugins: [wasmSource('inline')],
  banner: { js: `/* ${license}: drop-in for exotelsdk.js 3.0.10 */\n${umdHead}` },
  footer: { js: 'return __exotelSDK; });' },
  define: noImportMeta,
});
spliceWasm(path.join(dist, 'exotelsdk.js'));

// 2. Browser ESM: the full entry and the lean one with its feature entries share chunks, so a
// page has one client class, one logger and one wasm whatever it imports.
const FEATURES = ['devices', 'diagnostics', 'multitab'];
const ENTRIES = ['core', ...FEATURES];
await build({
  ...common,
  entryPoints: [
    { in: path.join(here, 'src/index.js'), out: 'index' },
    ...ENTRIES.map((e) => ({ in: path.join(here, `src/entries/${e}.js`), out: e })),
  ],
  outdir: npm,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunk-[hash]', // beside the entries: the wasm URL is relative to the chunk
  splitting: true,
  format: 'esm',
  plugins: [wasmSource('url')],
});

// 3. CommonJS for Node and `require`: one bundle; the subpaths re-export it.
await build({
  ...common,
  entryPoints: [path.join(here, 'src/entries/node.js')],
  outfile: path.join(npm, 'index.cjs'),
  format: 'cjs',
  platform: 'node',
  plugins: [wasmSource('node')],
  define: noImportMeta,
});
// Each subpath names its exports one by one (what the types declare; Node's ESM import finds
// them by name), all taken from the one bundle: nothing is shaken out on a server.
const SUBPATH_EXPORTS = { core: ['ExotelWebClient', 'version'], devices: ['withDevices'], diagnostics: ['withDiagnostics'], multitab: ['withMultiTab'] };
for (const e of ENTRIES) {
  const names = SUBPATH_EXPORTS[e];
  const lines = [
    "'use strict';",
    `// ${NAME}/${e} in Node and for require(): the exports of the one CommonJS bundle.`,
    "const sdk = require('./index.cjs');",
    ...names.map((n) => `const ${n} = sdk.${n};`),
    `module.exports = { ${names.join(', ')} };`,
  ];
  fs.writeFileSync(path.join(npm, `${e}.cjs`), `${lines.join('\n')}\n`);
}
fs.copyFileSync(path.join(pkg, 'exotel_voice_bg.wasm'), path.join(npm, 'exotel_voice_bg.wasm'));

// 4. Types: one source per entry; .d.mts for import, .d.cts for require (each format's own
// declarations, so TypeScript never takes the CommonJS file for ESM), index.d.ts for old
// resolvers, and the drop-in's global `exotelSDK`.
const typesDir = path.join(here, 'types');
for (const e of ['index', ...ENTRIES]) {
  const text = fs.readFileSync(path.join(typesDir, `${e}.d.ts`), 'utf8');
  const to = (ext) => text.replace(/(from '\.\/[a-z]+)\.js'/g, `$1.${ext}'`);
  fs.writeFileSync(path.join(npm, `${e}.d.mts`), to('mjs'));
  fs.writeFileSync(path.join(npm, `${e}.d.cts`), to('cjs'));
}
fs.copyFileSync(path.join(typesDir, 'index.d.ts'), path.join(npm, 'index.d.ts'));
fs.copyFileSync(path.join(typesDir, 'index.d.ts'), path.join(dist, 'exotelsdk.d.ts'));

// 5. Documents and metadata.
for (const f of ['README.md', 'LICENSE', 'CHANGELOG.md', 'THIRD_PARTY_NOTICES.md']) fs.copyFileSync(path.join(root, f), path.join(npm, f));
fs.writeFileSync(path.join(npm, 'package.json'), `${JSON.stringify(packageJson({ name: NAME, version, repository, entries: ENTRIES }), null, 2)}\n`);

for (const f of ['exotelsdk.js', ...fs.readdirSync(npm).filter((f) => /\.(m?js|cjs|wasm)$/.test(f)).map((f) => `npm/${f}`)]) {
  console.log(`${f.padEnd(32)} ${fs.statSync(path.join(dist, f)).size} bytes`);
}
