// The lean client with only the features this app uses (devices); bundlers drop the rest.
import { ExotelWebClient as Core } from 'exotel-voice-sdk/core';
import { withDevices } from 'exotel-voice-sdk/devices';
import { smoke } from './smoke.js';

smoke(withDevices(Core), 'exotel-voice-sdk/core + withDevices');
