// The guide's npm form (§5.1): require(), then exotelSDK.ExotelWebClient.
const exotelSDK = require('exotel-voice-sdk');
const { smoke } = require('./smoke.js');

smoke(exotelSDK.ExotelWebClient, 'require()');
