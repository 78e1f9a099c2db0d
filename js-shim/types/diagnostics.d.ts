// exotel-voice-sdk/diagnostics: adds the Diagnostics members to the client of exotel-voice-sdk/core.
import type { ExotelWebClientCore, Diagnostics } from './index.js';

export type { Diagnostics, DiagnosticsReportCallback, DiagnosticsKeyValueCallback } from './index.js';

/**
 * Adds the Diagnostics members to the class and returns it:
 * (its statics kept; one construct signature, so the calls nest):
 * `const Client = withDiagnostics(ExotelWebClient)`, then `new Client()`.
 */
export declare function withDiagnostics<C extends new () => ExotelWebClientCore>(Client: C): Pick<C, keyof C> & (new () => InstanceType<C> & Diagnostics);
