// A CommonJS TypeScript app (module node16, no "type": "module"): both import forms compile to
// require() and must type-check without TS1479 / TS1471.
import exotelSDK = require('exotel-voice-sdk');
import { ExotelWebClient, type SipAccountInfo } from 'exotel-voice-sdk';

const account: SipAccountInfo = { userName: 'a', sipdomain: 'd', domain: 'h:443', secret: 's', security: 'wss' };
const a = new exotelSDK.ExotelWebClient();
const b = new ExotelWebClient();
void a.initWebrtc(account, (state, phone) => console.log(state, phone));
b.DoRegister();
console.log(exotelSDK.version);
