// exotel-voice-sdk/multitab: adds the MultiTab members to the client of exotel-voice-sdk/core.
import type { ExotelWebClientCore, MultiTab } from './index.js';

export type { MultiTab, TabLeadership } from './index.js';

/**
 * Adds the MultiTab members to the class and returns it:
 * (its statics kept; one construct signature, so the calls nest):
 * `const Client = withMultiTab(ExotelWebClient)`, then `new Client()`.
 */
export declare function withMultiTab<C extends new () => ExotelWebClientCore>(Client: C): Pick<C, keyof C> & (new () => InstanceType<C> & MultiTab);
