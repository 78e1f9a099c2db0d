'use client';
// The README's React pattern: one client per mounted component, created in an effect and
// destroyed in its cleanup; StrictMode (Vite dev, Next dev) mounts it twice. Registers with
// the test Kamailio named in the query and records what happened in window.result.
import { useEffect, useState } from 'react';
import { ExotelWebClient } from 'exotel-voice-sdk';

export default function Phone() {
  const [state, setState] = useState('idle');
  useEffect(() => {
    const q = new URLSearchParams(location.search);
    const r = (window.result ??= { mounts: 0, inits: [], events: [], logs: [] });
    r.mounts++;
    ExotelWebClient.registerLoggerCallback((type, message) => r.logs.push(`${type}: ${message}`));
    const client = new ExotelWebClient();
    const sipAccountInfo = {
      userName: q.get('user'),
      authUser: q.get('user'),
      sipdomain: '127.0.0.1',
      domain: `127.0.0.1:${q.get('port')}`,
      secret: q.get('pass'),
      security: 'ws',
      endpoint: 'ws',
    };
    client
      .initWebrtc(sipAccountInfo, (s) => {
        r.events.push(s);
        setState(s);
      })
      .then((ok) => {
        r.inits.push(ok);
        if (ok) client.DoRegister();
      });
    return () => client.destroy();
  }, []);
  return <p id="state">{state}</p>;
}
