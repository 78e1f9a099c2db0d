// exotel-voice-sdk/core: ExotelWebClient with registration, calls, tones and logs, without the
// features only some apps use (audio devices, diagnostics, multi-tab), so bundlers leave them
// out. Add them back with exotel-voice-sdk/devices, /diagnostics and /multitab.
import * as exotelSDK from './core.js';

export { ExotelWebClient } from '../client.js';
export { version } from '../version.js';
export default exotelSDK;
