// sipAccountInfo.port as 3.0.10 treats it (exotel-api.md §2.2, §4.1): never part of the
// WebSocket URL, whose host and port both come from `domain`. The guide tells users to set
// `port: 443`, so a port that `domain` does not carry is named in a warning instead of being
// dropped silently; the URL stays 3.0.10's.

/** The warning for an account whose `port` is not the one `domain` gives, else null. */
export function portWarning(info) {
  const port = info.port === undefined || info.port === null ? '' : String(info.port).trim();
  if (!port) return null;
  const domain = String(info.domain || '').trim();
  // host:port, [v6]:port; a bare IPv6 literal has no port.
  const m = /^(\[[^\]]*\]|[^:]*):(\d+)$/.exec(domain);
  if (m && m[2] === port) return null;
  const host = m ? m[1] : domain;
  const uses = m ? `port ${m[2]} from domain` : "no port in domain: 8089 on https pages, 8088 otherwise";
  return `sipAccountInfo.port ${port} is not used for the WebSocket (as in 3.0.10, host and port come from domain "${domain}"; ${uses}); to connect to port ${port}, set domain: "${host}:${port}"`;
}
