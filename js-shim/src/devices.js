// Audio device selection (guide §5.16): registerAudioDeviceChangeCallback, changeAudioInputDevice, changeAudioOutputDevice.

/** Adds this feature's members to ExotelWebClient. */
export function installDevices(Client) {
  void Client;
}
