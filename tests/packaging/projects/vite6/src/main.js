// Vite 6 with no SDK-specific config: its dev server pre-bundles the SDK (optimizeDeps).
import { ExotelWebClient } from 'exotel-voice-sdk';
import { smoke } from './smoke.js';

smoke(ExotelWebClient, 'import { ExotelWebClient } from');
