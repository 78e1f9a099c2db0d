// exotel-voice-sdk/diagnostics: adds the Diagnostics members to the client of exotel-voice-sdk/core.
import type { ExotelWebClientCore, Diagnostics } from './index.js';

export type { Diagnostics, DiagnosticsReportCallback, DiagnosticsKeyValueCallback } from './index.js';

/**
 * Adds the Diagnostics members to the class and returns it:
 * `const Client = withDiagnostics(ExotelWebClient)`, then `new Client()`.
 */
export declare function withDiagnostics<C extends typeof ExotelWebClientCore>(Client: C): (new () => InstanceType<C> & Diagnostics) & C;
