// Multi-tab sessions (guide §5.12): SessionListener, BroadcastChannel, leader election.

/** Adds this feature's members to ExotelWebClient. */
export function installMultiTab(Client) {
  void Client;
}
