// Public entry: the one export of exotelsdk.js 3.0.10 with its whole surface (devices,
// diagnostics, multi-tab installed), the version, a default export equal to the namespace
// (`import exotelSDK from ...; new exotelSDK.ExotelWebClient()`, the guide's spelling), and two
// test/diagnostic hooks of ours (double underscore: not API, may change).
import * as exotelSDK from './index.js';
import { ExotelWebClient as Client } from './client.js';
import { installDevices } from './devices.js';
import { installDiagnostics } from './diagnostics.js';
import { installMultiTab } from './multitab.js';

installDevices(Client);
installDiagnostics(Client);
installMultiTab(Client);

// A binding of this module (not a bare re-export), so that bundlers honouring
// `sideEffects: false` keep the installs above whenever the class is used.
export const ExotelWebClient = Client;
export { version } from './version.js';
export { wasmMemoryBytes as __wasmMemoryBytes } from './wasm.js';
export * as __tones from './tones.js';
export default exotelSDK;
