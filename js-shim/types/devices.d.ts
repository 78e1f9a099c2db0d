// exotel-voice-sdk/devices: adds the AudioDevices members to the client of exotel-voice-sdk/core.
import type { ExotelWebClientCore, AudioDevices } from './index.js';

export type { AudioDevices, DeviceError, DeviceChangeEvent } from './index.js';

/**
 * Adds the AudioDevices members to the class and returns it:
 * `const Client = withDevices(ExotelWebClient)`, then `new Client()`.
 */
export declare function withDevices<C extends typeof ExotelWebClientCore>(Client: C): (new () => InstanceType<C> & AudioDevices) & C;
