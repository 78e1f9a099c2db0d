// The guide's `exotelSDK.ExotelWebClient`, written as an ES import.
import exotelSDK from 'exotel-voice-sdk';
import { smoke } from './smoke.js';

smoke(exotelSDK.ExotelWebClient, 'import exotelSDK from');
