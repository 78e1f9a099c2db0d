// exotel-voice-sdk/devices: the audio device members (guide §5.16) for the lean client.
import { installDevices } from '../devices.js';

/** Adds registerAudioDeviceChangeCallback, changeAudioInputDevice, changeAudioOutputDevice and getAudioDevices to the class; returns it. */
export function withDevices(Client) {
  installDevices(Client);
  return Client;
}
