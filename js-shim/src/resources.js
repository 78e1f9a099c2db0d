// The browser objects a client's core made, as the driver reports them (its onResource
// callback): WebSockets, peer connections with their audio elements, microphone requests.
// The driver closes them itself; this list is for when it cannot, because its module trapped
// (recovery.js): then the microphone must stop and the far end stop hearing the agent all the
// same. Closed objects are dropped as new ones come, so the list stays a handful long.

const has = (o, name) => o !== null && typeof o === 'object' && typeof o[name] === 'function';

function stopTracks(stream) {
  if (has(stream, 'getTracks')) for (const t of stream.getTracks()) t.stop();
}

function open(o) {
  if (!o) return false;
  if (has(o, 'getSenders')) return o.signalingState !== 'closed'; // RTCPeerConnection
  if (has(o, 'getTracks')) return o.getTracks().some((t) => t.readyState === 'live'); // MediaStream
  if (has(o, 'send')) return o.readyState !== 3; // WebSocket (3: CLOSED)
  return true; // a pending getUserMedia promise
}

function close(o) {
  if (has(o, 'getSenders')) {
    for (const s of o.getSenders()) if (s.track) s.track.stop();
    o.close();
  } else if (has(o, 'getTracks')) {
    stopTracks(o);
  } else if (has(o, 'send')) {
    o.onopen = o.onmessage = o.onerror = o.onclose = null; // the dead module's listeners
    o.close(1000);
  } else if (has(o, 'then')) {
    o.then(stopTracks, () => {}); // the microphone it opens, whenever it does
  }
}

export class Resources {
  constructor() {
    this.items = [];
  }

  /** `a`: a WebSocket, an RTCPeerConnection (with `b`, its audio element) or a getUserMedia promise. */
  keep(a, b) {
    this.items = this.items.filter((it) => open(it.a));
    const item = { a, b };
    if (has(a, 'then')) {
      // Once granted, the stream is what must be stopped; a refusal leaves nothing.
      a.then(
        (stream) => {
          item.a = stream;
        },
        () => {
          item.a = null;
        },
      );
    }
    this.items.push(item);
  }

  /** Closes everything still open, without the module: sockets, peers, microphones, audio. */
  releaseAll() {
    const items = this.items;
    this.items = [];
    for (const { a, b } of items) {
      for (const o of [a, b]) {
        try {
          if (has(o, 'pause')) {
            o.pause();
            o.srcObject = null;
          } else if (o) {
            close(o);
          }
        } catch (_) {
          /* already closed */
        }
      }
    }
  }
}
