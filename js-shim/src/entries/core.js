// exotel-voice-sdk/core: ExotelWebClient with registration, calls, tones and logs, without the
// features only some apps use (audio devices, diagnostics, multi-tab), so bundlers leave them
// out. Add them back with exotel-voice-sdk/devices, /diagnostics and /multitab. (The default
// export, the guide's `exotelSDK` namespace, is the full entry's.)
export { ExotelWebClient } from '../client.js';
export { version } from '../version.js';
