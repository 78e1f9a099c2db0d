// Public entry: the one export of exotelsdk.js 3.0.10.
export { ExotelWebClient } from './client.js';
