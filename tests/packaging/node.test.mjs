// Node and test runners: require() and import (the "node" condition: the wasm read from disk),
// and Vitest with jsdom, the SDK not mocked.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { project, run } from './lib.mjs';

const T = { timeout: 300000 };
const lastJson = (out) => JSON.parse(out.trim().split('\n').pop());

describe('Node and Vitest', () => {
  let dir;
  before(async () => {
    ({ dir } = await project('tools'));
  });

  it("require('exotel-voice-sdk'): initWebrtc loads the wasm; version; a failed registration's reason and URL; the port warning", T, async () => {
    const r = lastJson((await run(process.execPath, [path.join(dir, 'node/require.cjs')], { cwd: dir })).out);
    assert.match(r.failure?.message ?? '', /WebSocket/);
    assert.deepEqual(r, {
      initOk: true,
      version: r.packageVersion,
      packageVersion: r.packageVersion,
      diagnostics: 'function',
      failure: { phone: 'n1', reason: 'transport_failed', message: r.failure.message, url: 'ws://127.0.0.1:1/ws' },
      portWarning: true,
      urlLogged: true,
    });
  });

  it('import exotelSDK, { ExotelWebClient } from: the same client; initWebrtc loads the wasm', T, async () => {
    const r = lastJson((await run(process.execPath, [path.join(dir, 'node/import.mjs')], { cwd: dir })).out);
    assert.deepEqual(r, { initOk: true, version: r.version, sameDefault: true, coreClient: 'function' });
  });

  it('Vitest + jsdom: initWebrtc resolves true', T, async () => {
    const { out } = await run('npx', ['vitest', 'run'], { cwd: dir });
    assert.match(out, /1 passed/);
  });
});
