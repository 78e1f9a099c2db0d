// What reaches the plain-RTP side, measured outside the browser: rtpengine's per-leg packet
// counters (packets it received from the browser and from the far end) and baresip's recording
// of what it heard.
import { waitFor } from '../e2e/support.mjs';
import { readWav, toneBlocks } from './audio.mjs';
import { streamCounters } from './rtpengine.mjs';

/**
 * Packets rtpengine received on call `callId` (the SIP Call-ID): { browser, far } (the browser
 * leg is the UDP/TLS/RTP/SAVPF one).
 */
export async function legPackets(rtpe, callId) {
  const legs = await streamCounters(rtpe, callId);
  const sum = (pred) => legs.filter(pred).reduce((n, l) => n + l.packets, 0);
  return { browser: sum((l) => /SAVPF/.test(l.protocol)), far: sum((l) => !/SAVPF/.test(l.protocol)), legs };
}

/** Waits until rtpengine's counter for `leg` ('browser' | 'far') of `callId` grows by > 10 packets. */
export async function waitLegFlowing(rtpe, callId, leg, what, timeout = 15000) {
  const first = (await legPackets(rtpe, callId))[leg];
  return waitFor(async () => ((await legPackets(rtpe, callId))[leg] > first + 10 ? true : null), {
    timeout,
    interval: 100,
    message: `${what}: RTP from the ${leg} leg at rtpengine growing past ${first}`,
  });
}

/** Waits until `leg`'s counter stays still for 1.5 s (a sender stopped: hold, recvonly). */
export async function waitLegSilent(rtpe, callId, leg, what, timeout = 15000) {
  let last = (await legPackets(rtpe, callId))[leg];
  let since = Date.now();
  return waitFor(async () => {
    const now = (await legPackets(rtpe, callId))[leg];
    if (now !== last) {
      last = now;
      since = Date.now();
      return null;
    }
    return Date.now() - since >= 1500;
  }, { timeout, interval: 100, message: `${what}: RTP from the ${leg} leg at rtpengine to stop (at ${last})` });
}

/** Waits until rtpengine no longer holds call `callId`: its BYE (or CANCEL) crossed the edge. */
export function waitMediaReleased(rtpe, callId, what) {
  return waitFor(async () => !(await rtpe.list()).includes(callId), {
    timeout: 10000,
    message: `${what}: rtpengine to release call ${callId}`,
  });
}

/**
 * Waits until a recording baresip started after `before` (the list b.recordings() gave before
 * the call) holds at least `seconds` of a `hz` tone; returns its { blocks, toneBlocks, rms }.
 */
export function waitBaresipHears(b, hz, what, { before, seconds = 1, timeout = 15000 }) {
  let last = null;
  return waitFor(() => {
    const recs = b.recordings().filter((f) => !before.includes(f));
    if (!recs.length) return null;
    last = toneBlocks(readWav(recs[recs.length - 1]), hz);
    return last.toneBlocks >= seconds * 10 ? last : null;
  }, { timeout, interval: 200, message: () => `${what}: a new baresip recording with ${seconds} s of ${hz} Hz (so far ${JSON.stringify(last)})` });
}
