import { ExotelWebClient } from 'exotel-voice-sdk';
import { smoke } from './smoke.js';

smoke(ExotelWebClient, 'import { ExotelWebClient } from');
