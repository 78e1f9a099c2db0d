// exotel-voice-sdk/multitab: adds the MultiTab members to the client of exotel-voice-sdk/core.
import type { ExotelWebClientCore, MultiTab } from './index.js';

export type { MultiTab, TabLeadership } from './index.js';

/**
 * Adds the MultiTab members to the class and returns it:
 * `const Client = withMultiTab(ExotelWebClient)`, then `new Client()`.
 */
export declare function withMultiTab<C extends typeof ExotelWebClientCore>(Client: C): (new () => InstanceType<C> & MultiTab) & C;
