// "Connected but silent" (standards-and-pitfalls §0.2): while a call is connected, the inbound
// audio RTP counter is read every second; when no packet has arrived for STALL_MS although the
// far end should be sending (nobody holds the call), the app hears of it once, and again when
// audio returns: SessionCallback('media_inbound_stalled' | 'media_inbound_resumed') and a log
// line. 3.0.10 had no such signal: one-way audio was found by the agent, mid-call.

import { logger } from './logger.js';

const PERIOD_MS = 1000;
const STALL_MS = 3000;

function inboundPackets(report) {
  let packets = 0;
  report.forEach((s) => {
    if (s.type === 'inbound-rtp' && (s.kind === 'audio' || s.mediaType === 'audio')) packets += s.packetsReceived || 0;
  });
  return packets;
}

function watch(client, rec) {
  let last = -1;
  let since = Date.now(); // when the counter last moved, or audio last stopped being expected
  let stalled = false;
  let busy = false;
  const timer = setInterval(async () => {
    if (rec.ended || client._callRecord !== rec || !client._core) {
      clearInterval(timer);
      return;
    }
    if (busy) return;
    busy = true;
    let packets;
    try {
      packets = inboundPackets(await client._core.callStats(rec.handle));
    } catch (_) {
      return; // the call's media is closing
    } finally {
      busy = false;
    }
    const now = Date.now();
    if (packets !== last) {
      last = packets;
      since = now;
      if (stalled) {
        stalled = false;
        logger.info(`call ${rec.handle}: audio from the far end is back`);
        client._session('media_inbound_resumed');
      }
    } else if (rec.held || rec.remoteHeld) {
      since = now; // a held call is silent on purpose
    } else if (!stalled && now - since >= STALL_MS) {
      stalled = true;
      logger.warn(`call ${rec.handle}: no audio from the far end for ${Math.round((now - since) / 1000)} s (inbound RTP stopped)`);
      client._session('media_inbound_stalled');
    }
  }, PERIOD_MS);
}

/** Once per client: watches each call from 'connected' until it ends. */
export function initWatchdog(client) {
  if (client._watchdog) return;
  client._watchdog = true;
  client._on('call', (eventType) => {
    const rec = client._callRecord;
    if (eventType === 'connected' && rec && typeof client._core?.callStats === 'function') watch(client, rec);
  });
}
