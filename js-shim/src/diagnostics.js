// Device and network diagnostics (guide §5.13).

/** Adds this feature's members to ExotelWebClient. */
export function installDiagnostics(Client) {
  void Client;
}
