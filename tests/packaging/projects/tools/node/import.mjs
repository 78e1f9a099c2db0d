// Node, ESM: default and named imports of the same client; the wasm is read from disk.
import exotelSDK, { ExotelWebClient, version } from 'exotel-voice-sdk';
import * as core from 'exotel-voice-sdk/core';

ExotelWebClient.setEnableConsoleLogging(false);
const client = new ExotelWebClient();
const initOk = await client.initWebrtc({ userName: 'n2', sipdomain: 'example.invalid', domain: '127.0.0.1:1', secret: 'pw', security: 'ws' }, () => {});
console.log(JSON.stringify({ initOk, version, sameDefault: exotelSDK.ExotelWebClient === ExotelWebClient, coreClient: typeof core.ExotelWebClient }));
process.exit(0);
