// checkClientStatus: the guide's order (microphone permission, initialised, WebSocket,
// registration), read from the real state, without opening a microphone track (3.0.10 did,
// and always answered media_permission_denied).

async function microphoneAvailable() {
  const nav = typeof navigator !== 'undefined' ? navigator : null;
  if (!nav || !nav.mediaDevices) return false;
  try {
    if (nav.permissions && nav.permissions.query) {
      const p = await nav.permissions.query({ name: 'microphone' });
      if (p.state === 'denied') return false;
      if (p.state === 'granted') return true;
    }
  } catch (_) {
    // Browsers without the 'microphone' permission name fall through to enumeration.
  }
  try {
    const devices = await nav.mediaDevices.enumerateDevices();
    return devices.some((d) => d.kind === 'audioinput');
  } catch (_) {
    return false;
  }
}

const TRANSPORT_FAILURES = new Set(['transport_failed', 'transport_lost', 'timeout']);

export async function clientStatus(client) {
  if (!(await microphoneAvailable())) return 'media_permission_denied';
  const core = client._ready ? await client._ready : null;
  if (!core) return client._initError && client._initError.reason === 'csp_wasm' ? 'terminated' : 'not_initialized';
  if (!core.alive()) return 'unknown';
  // A WebSocket refused by the page's CSP waits out its connect timeout in the core.
  if (client._cspBlocked) return 'websocket_connection_failed';
  const link = core.linkState();
  const reg = core.registrationState();
  if (reg === 'registered') return link === 'connected' ? 'registered' : 'disconnected';
  if (reg === 'failed') return TRANSPORT_FAILURES.has(client._lastFailure) ? 'websocket_connection_failed' : 'terminated';
  if (reg === 'registering') {
    if (link === 'connecting') return 'connecting';
    if (link === 'connected') return 'initial';
    return TRANSPORT_FAILURES.has(client._lastFailure) ? 'websocket_connection_failed' : 'connecting';
  }
  if (reg === 'unregistered' || reg === 'unregistering') return 'unregistered';
  return 'unknown';
}
