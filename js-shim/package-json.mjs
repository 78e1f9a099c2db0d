// The published package.json (dist/npm/package.json), built by build.mjs.
//
// Export conditions, first match wins:
//   node     Node, Vitest, Jest with a node environment, SSR bundles: the CommonJS bundle, which
//            reads the .wasm from disk (for `import` too: one copy of the client per process).
//   import   browser ESM; bundlers emit the sibling .wasm as an asset.
//   module   webpack and esbuild use it for `require()` too: the same ESM, so the guide's
//            `require('exotel-voice-sdk')` gets the separate .wasm instead of a 300 KB script.
//   require  everything else that requires (Jest with jsdom): the CommonJS bundle.
// Each condition names its own types (.d.mts for ESM, .d.cts for CommonJS).

function entry(base) {
  const esm = { types: `./${base}.d.mts`, default: `./${base}.mjs` };
  const cjs = { types: `./${base}.d.cts`, default: `./${base}.cjs` };
  return { node: cjs, import: esm, module: esm, require: cjs };
}

export function packageJson({ name, version, repository, entries }) {
  const exports = { '.': entry('index') };
  for (const e of entries) exports[`./${e}`] = entry(e);
  exports['./exotel_voice_bg.wasm'] = './exotel_voice_bg.wasm';
  exports['./package.json'] = './package.json';
  const js = ['index', ...entries];
  const web = repository.url.replace(/^git\+/, '').replace(/\.git$/, '');
  return {
    name,
    version,
    description: 'Browser voice SDK (SIP over WebSocket, WebRTC), API-compatible with exotelsdk.js 3.0.10. Rust/WebAssembly core.',
    keywords: ['exotel', 'sip', 'webrtc', 'voip', 'websocket', 'wasm', 'softphone'],
    license: 'MIT',
    repository,
    homepage: `${web}#readme`,
    bugs: { url: `${web}/issues` },
    engines: { node: '>=18' },
    type: 'module',
    main: './index.cjs',
    module: './index.mjs',
    types: './index.d.ts',
    // Resolvers without `exports` (TypeScript's node10) find the subpaths' types here.
    typesVersions: { '*': Object.fromEntries(entries.map((e) => [e, [`./${e}.d.cts`]])) },
    exports,
    files: [
      ...js.flatMap((e) => [`${e}.mjs`, `${e}.cjs`, `${e}.d.mts`, `${e}.d.cts`]),
      'chunk-*.mjs',
      '*.map',
      'index.d.ts',
      'exotel_voice_bg.wasm',
      'THIRD_PARTY_NOTICES.md',
      'CHANGELOG.md',
    ],
    // The full entries install devices, diagnostics and multi-tab on the client class.
    sideEffects: ['./index.mjs', './index.cjs'],
  };
}
