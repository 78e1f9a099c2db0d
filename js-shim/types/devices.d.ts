// exotel-voice-sdk/devices: adds the AudioDevices members to the client of exotel-voice-sdk/core.
import type { ExotelWebClientCore, AudioDevices } from './index.js';

export type { AudioDevices, DeviceError, DeviceChangeEvent } from './index.js';

/**
 * Adds the AudioDevices members to the class and returns it:
 * (its statics kept; one construct signature, so the calls nest):
 * `const Client = withDevices(ExotelWebClient)`, then `new Client()`.
 */
export declare function withDevices<C extends new () => ExotelWebClientCore>(Client: C): Pick<C, keyof C> & (new () => InstanceType<C> & AudioDevices);
