// Bundles the far end (tests/e2e/farend/farend.js + JsSIP from tools/node) for the browser with
// esbuild: JsSIP's npm package ships no browser build. Output: tests/.run/farend/farend.bundle.js,
// served by the tests' static server as /tests/.run/farend/farend.bundle.js (farend.html).
//   node tests/e2e/farend/bundle.mjs      (the tests call bundleFarEnd() themselves)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../../..');
const TOOLS = path.join(ROOT, 'tools/node');
export const FAREND_BUNDLE = path.join(ROOT, 'tests/.run/farend/farend.bundle.js');
/** URL path of the far-end page on the tests' static server (which serves the repo root). */
export const FAREND_PAGE = '/tests/e2e/farend/farend.html';

/** Builds the bundle (atomically: concurrent runs never see half a file). Returns its path. */
export async function bundleFarEnd() {
  const esbuild = createRequire(path.join(TOOLS, 'package.json'))('esbuild');
  fs.mkdirSync(path.dirname(FAREND_BUNDLE), { recursive: true });
  const tmp = `${FAREND_BUNDLE}.${process.pid}.tmp`;
  await esbuild.build({
    entryPoints: [path.join(HERE, 'farend.js')],
    outfile: tmp,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome110',
    nodePaths: [path.join(TOOLS, 'node_modules')],
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
    legalComments: 'none',
  });
  fs.renameSync(tmp, FAREND_BUNDLE);
  return FAREND_BUNDLE;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await bundleFarEnd();
  console.log(`${path.relative(ROOT, out)} (${fs.statSync(out).size} B)`);
}
