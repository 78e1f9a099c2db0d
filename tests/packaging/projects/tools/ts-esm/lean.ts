// The lean entry and its feature entries: each feature's members exist only once added.
import { ExotelWebClient } from 'exotel-voice-sdk/core';
import { withDevices } from 'exotel-voice-sdk/devices';
import { withDiagnostics } from 'exotel-voice-sdk/diagnostics';

const Client = withDiagnostics(withDevices(ExotelWebClient));
const client = new Client();
client.changeAudioInputDevice('default');
client.initDiagnostics((s, r) => console.log(s, r), (k, v, d) => console.log(k, v, d));
client.DoRegister();
Client.setEnableConsoleLogging(false);
// @ts-expect-error: multi-tab was not added
client.SessionListener();
// @ts-expect-error: the lean client has no devices
new ExotelWebClient().changeAudioInputDevice('default');
