import { expect, test } from 'vitest';
import exotelSDK, { ExotelWebClient } from 'exotel-voice-sdk';

test('the SDK loads its wasm under jsdom and validates an account', async () => {
  expect(typeof window).toBe('object'); // jsdom
  expect(exotelSDK.ExotelWebClient).toBe(ExotelWebClient);
  ExotelWebClient.setEnableConsoleLogging(false);
  const lines = [];
  ExotelWebClient.registerLoggerCallback((type, message) => lines.push(`${type}: ${message}`));
  const client = new ExotelWebClient();
  const ok = await client.initWebrtc({ userName: 'v1', sipdomain: 'example.invalid', domain: '127.0.0.1:1', secret: 'pw', security: 'ws' }, () => {});
  expect(ok, lines.join('\n')).toBe(true);
  expect(await new ExotelWebClient().initWebrtc({ userName: 'v2' }, () => {})).toBe(false);
});
