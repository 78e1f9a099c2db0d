// The drop-in (<script src="exotelsdk.js">) from TypeScript: the global exotelSDK (the npm
// package's types, or dist/exotelsdk.d.ts). A script,
// not a module (no import or export).
/// <reference types="exotel-voice-sdk" />
const dropIn = new exotelSDK.ExotelWebClient();
dropIn.DoRegister();
const dropInVersion: string = exotelSDK.version;
console.log(dropInVersion);
