// The Call object of 3.0.10 (`getCall()`, first argument of CallListenerCallback): one per
// client, acting on that client's current call. Its methods never throw; with no call (or
// in the wrong state) they log why and do nothing.

import { logger } from './logger.js';
import { startTone, stopTone } from './tones.js';

// One ringtone per page, shared by every client: it stops only when no client still rings
// (3.0.10 silenced a second ringing account when the first call ended).
const ringingClients = new Set();
const ringbackClients = new Set();

export function setRinging(client, on) {
  setTone(ringingClients, 'ringtone', client, on);
}

/** Ringback for an outgoing call: until early media, answer or the end. */
export function setRingback(client, on) {
  setTone(ringbackClients, 'ringbacktone', client, on);
}

function setTone(clients, tone, client, on) {
  if (on) {
    clients.add(client);
    startTone(tone);
  } else if (clients.delete(client) && clients.size === 0) {
    stopTone(tone);
  }
}

const DETAIL_KEYS = [
  'callId', 'remoteId', 'remoteDisplayName', 'callDirection', 'callState', 'callDuration',
  'callStartedTime', 'callEstablishedTime', 'callEndedTime', 'callAnswerTime', 'callEndReason',
  'sessionId', 'callSid', 'legSid', 'assertedIdentity',
];

function emptyDetails() {
  const d = {};
  for (const k of DETAIL_KEYS) d[k] = '';
  d.sipHeaders = {};
  return d;
}

/** INVITE headers as `{name: value}`, repeated names as arrays (3.0.10's sipHeaders shape). */
function headerMap(pairs) {
  const map = {};
  for (const [name, value] of pairs) {
    if (!(name in map)) map[name] = value;
    else if (Array.isArray(map[name])) map[name].push(value);
    else map[name] = [map[name], value];
  }
  return map;
}

function header(pairs, ...names) {
  const wanted = names.map((n) => n.toLowerCase());
  const hit = pairs.find(([n]) => wanted.includes(n.toLowerCase()));
  return hit ? hit[1] : '';
}

// A name-addr or addr-spec with a sip, sips or tel URI: [, quoted name, bare name, scheme, rest].
const IDENTITY = /^\s*(?:"((?:[^"\\]|\\.)*)"\s*|([^"<]*?)\s*)<?(sips?|tel):([^>;,?\s]*)/i;

/**
 * `{user, display}` of the first identity in a P-Asserted-Identity or Remote-Party-ID value
 * (`"Name" <sip:user@host>;params`, `<tel:+91...>`, `sip:user@host`), or null.
 */
function parseIdentity(value) {
  const m = typeof value === 'string' ? IDENTITY.exec(value) : null;
  if (!m) return null;
  const rest = m[4];
  const user = m[3].toLowerCase() === 'tel' ? rest : rest.split('@')[0];
  const display = m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] || '').trim();
  return user ? { user, display } : null;
}

/** A From that hides the caller (RFC 3261 §8.1.1.3, RFC 3323): user or name Anonymous, or host anonymous.invalid. */
function fromIsAnonymous(e) {
  const anon = (v) => typeof v === 'string' && v.trim().toLowerCase() === 'anonymous';
  return anon(e.fromUser) || anon(e.fromDisplay) || /[:@]anonymous\.invalid(?![\w.-])/i.test(e.fromUri || '');
}

/**
 * The caller as 3.0.10 showed it, from From; when From is anonymous, the identity the
 * network asserted instead: P-Asserted-Identity (RFC 3325), else Remote-Party-ID.
 */
function callerOf(e) {
  const asserted = parseIdentity(header(e.headers, 'P-Asserted-Identity')) || parseIdentity(header(e.headers, 'Remote-Party-ID'));
  const from = { user: e.fromUser || '', display: e.fromDisplay || '' };
  const caller = asserted && fromIsAnonymous(e) ? asserted : from;
  return { user: caller.user, display: caller.display || caller.user, asserted: asserted ? asserted.user : '' };
}

/** State of one call as the app sees it, built from core events. */
export class CallRecord {
  constructor(e) {
    this.handle = e.call;
    this.details = emptyDetails();
    this.muted = false; // per call: every call starts unmuted
    this.held = false; // our hold, as last confirmed by the far end
    if (e.event === 'dialing') {
      const user = /^sips?:([^@;]+)@/.exec(e.target);
      Object.assign(this.details, {
        callId: e.callId,
        remoteId: user ? user[1] : e.target,
        remoteDisplayName: user ? user[1] : e.target,
        callDirection: 'outgoing',
        callState: 'dialing',
        callStartedTime: new Date().toISOString(),
        sessionId: String(e.call),
      });
      this.established = 0;
      return;
    }
    const caller = callerOf(e);
    Object.assign(this.details, {
      callId: e.callId,
      remoteId: caller.user,
      remoteDisplayName: caller.display,
      assertedIdentity: caller.asserted,
      callDirection: 'incoming',
      callState: 'incoming',
      callStartedTime: new Date().toISOString(),
      sessionId: String(e.call),
      // Header names compare case-insensitively (3.0.10 looked up `LegSid` and never found it).
      callSid: header(e.headers, 'X-Exotel-Callsid'),
      legSid: header(e.headers, 'LegSid', 'X-Exotel-LegSid'),
      sipHeaders: headerMap(e.headers),
    });
    this.established = 0;
  }

  get ended() {
    return this.details.callState === 'ended';
  }

  snapshot() {
    const d = { ...this.details, sipHeaders: { ...this.details.sipHeaders } };
    if (this.established) {
      const end = this.ended ? Date.parse(this.details.callEndedTime) : Date.now();
      d.callDuration = String(Math.max(0, Math.round((end - this.established) / 1000)));
    }
    return d;
  }
}

const DTMF_KEYS = '0123456789*#ABCD';

/**
 * The one DTMF key `digit` names, or null: '0'-'9', '*', '#', 'A'-'D' (lower case accepted,
 * unlike 3.0.10) or a number 0-9 (3.0.10 stringified numbers too).
 */
export function dtmfKey(digit) {
  let d = null;
  if (typeof digit === 'string') d = digit.trim().toUpperCase();
  else if (typeof digit === 'number') d = String(digit);
  return d !== null && d.length === 1 && DTMF_KEYS.includes(d) ? d : null;
}

/** A user value for a log line; never throws (a Symbol in a template literal would). */
export function describeValue(v) {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return `a value of type ${typeof v}`;
}

export class Call {
  constructor(client) {
    this.Answer = () => client._answerCall();
    this.Hangup = () => client._hangupCall();
    this.Mute = () => client._setMuted('Mute', true);
    this.UnMute = () => client._setMuted('UnMute', false);
    this.MuteToggle = () => client._toggleMute();
    this.Hold = () => client._setHold('Hold', true);
    this.UnHold = () => client._setHold('UnHold', false);
    this.HoldToggle = () => client._toggleHold();
    this.sendDTMF = (digit) => client._sendDtmf(digit);
    this.callDetails = () => (client._callRecord ? client._callRecord.snapshot() : emptyDetails());
  }
}
