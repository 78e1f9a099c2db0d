// exotel-voice-sdk/diagnostics: initDiagnostics and the speaker, mic and network tests
// (guide §5.13) for the lean client.
import { installDiagnostics } from '../diagnostics.js';

/** Adds initDiagnostics, closeDiagnostics and the start/stop test methods to the class; returns it. */
export function withDiagnostics(Client) {
  installDiagnostics(Client);
  return Client;
}
