// Reading SIP messages logged as text (the edge's sipdump, SIPp's message log).

const head = (text) => text.split(/\r?\n\r?\n/)[0];

/** Every value of header `name` (or its compact form `short`), in order. */
export function headers(text, name, short) {
  const names = short ? `(?:${name}|${short})` : name;
  const re = new RegExp(`^${names}[ \\t]*:[ \\t]*(.*)$`, 'gim');
  return [...head(text).matchAll(re)].map((m) => m[1].trim());
}

/** The first value of header `name`, or null. */
export const header = (text, name, short) => headers(text, name, short)[0] ?? null;

/** The body (after the first blank line), trimmed. */
export function body(text) {
  const m = /\r?\n\r?\n/.exec(text);
  return m ? text.slice(m.index + m[0].length).trim() : '';
}

/** Option tags of Require/Supported (all headers of that name, split on commas). */
export const tags = (text, name) =>
  headers(text, name)
    .flatMap((v) => v.split(','))
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);

/** The media direction attribute of an SDP body (sendrecv when absent). */
export function sdpDirection(sdp) {
  const m = /^a=(sendrecv|sendonly|recvonly|inactive)\s*$/m.exec(sdp);
  return m ? m[1] : 'sendrecv';
}

/** "INVITE" for a request, "200 INVITE" for a response (status and CSeq method). */
export function describe(text) {
  const first = text.split(/\r?\n/)[0];
  const cseq = (header(text, 'CSeq') || '').split(/\s+/)[1] || '?';
  const st = /^SIP\/2\.0 (\d{3})/.exec(first);
  return st ? `${st[1]} ${cseq}` : first.split(' ')[0];
}
