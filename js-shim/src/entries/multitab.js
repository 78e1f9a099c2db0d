// exotel-voice-sdk/multitab: SessionListener and tab leadership (guide §5.12) for the lean client.
import { installMultiTab } from '../multitab.js';

/** Adds SessionListener, SessionListenerMethod and the tab leadership methods to the class; returns it. */
export function withMultiTab(Client) {
  installMultiTab(Client);
  return Client;
}
