// Multi-tab sessions (integration guide §5.12, exotel-api.md §5).
//
// SessionListener() (alias SessionListenerMethod()): joins the BroadcastChannel 'app-data' (the
// name of the legacy SDK code and the old sample apps). From then on:
//   - this tab posts its call events 'incoming', 'connected' and 'callEnded' as
//     {callState, callNumber, userName, tabId, callId} (callNumber = the caller's number,
//     callDetails().remoteId; callId = the SIP Call-ID, used by the rule below);
//   - other tabs' call events for the same userName reach SessionCallback(callState, callNumber),
//     so a tab that does not own the call can show a notice;
//   - messages posted by the app itself, as the legacy SDK handled them:
//       {message: 're-register-needed', hashMsg} → SessionCallback('re-register', hashMsg)
//       {message: 'logout'}                      → SessionCallback('logout', '')
//       {message: 'login-successful', tabHash}   → SessionCallback('login-successful',
//                                 JSON.stringify({phone: localStorage currentUser, tabHash}))
//       {callState, callNumber} (no tabId), only when sessionStorage 'activeSessionTab' is set
//                                               → SessionCallback(callState, callNumber); a missing
//                                                 callState repeats the previous one.
//
// enableTabLeadership() (ours, opt-in; call it in every tab after initWebrtc, before DoRegister):
// one tab per userName registers and rings (tab-leadership.js: a Web Lock with a lease). A
// follower's DoRegister() does not register: it waits. When the leader tab goes away, or stops
// answering, the next tab takes over, gets SessionCallback('re-register', userName) and then
// completes its waiting DoRegister() by itself (unless the app already called DoRegister() inside
// that callback, as the guide's sample does; a tab that never called DoRegister() only gets the
// callback). Reloading the leader hands leadership on. Followers see the leader's calls through SessionListener, which
// enableTabLeadership() turns on. Without Web Locks (old browsers, or a page that is not a secure
// context) it logs a warning and every tab registers, as without it.
// getTabLeadership() → 'off' | 'pending' | 'leader' | 'follower' | 'unsupported';
// disableTabLeadership() gives the lock up (a waiting DoRegister() then registers).
//
// On pagehide everything is released: the channel is closed, the lock given up, and a leader
// sends a best-effort un-REGISTER so its binding does not outlive the tab. A page restored from
// the back/forward cache (pageshow, persisted) joins again.
//
// SessionCallback(state, phone) therefore carries two kinds of states. The rule that keeps them
// apart for apps:
//   - THIS tab's own per-call states, as in 3.0.10: 'incoming', 'accepted', 'terminated',
//     'muted', 'holdunhold_success', 'ice_*', ...; phone = this client's userName, and
//     CallListenerCallback reports the same call.
//   - OTHER tabs' states: 'incoming', 'connected', 'callEnded' (phone = the caller's number),
//     and 're-register', 'logout', 'login-successful'.
//   Another tab's call event is never delivered to a tab that is itself in that call (same SIP
//   Call-ID: the forked INVITE when every tab registers). A tab that is registered itself waits
//   GRACE_MS before applying that rule, so that its own copy of a forked INVITE arrives first.
//   So: 'incoming' without CallListenerCallback('incoming') is another tab's call; 'connected'
//   and 'callEnded' in SessionCallback always come from another tab (this tab's own are
//   'accepted' and 'terminated').
//
// Any same-origin script can post on 'app-data', so what arrives is checked (issue 10): other
// tabs' events and the legacy {callState} form only with the states above ('incoming',
// 'connected', 'callEnded'; never this tab's own such as 'accepted' or 'terminated'), numbers
// and ids as short strings of the characters they are made of, the legacy messages' hashes as
// short strings. Anything else is dropped with a log line.

import { logger } from './logger.js';
import { webLocks, wrapRegistration, startLeadership, stopLeadership } from './tab-leadership.js';

const CHANNEL = 'app-data';
const BROADCAST_STATES = ['incoming', 'connected', 'callEnded'];
const GRACE_MS = 1000;
const TAB_ID = newTabId();
// What a caller number or user, a tab id and a Call-ID may look like on the channel.
const NUMBER = /^[\w+*#.@:-]{0,64}$/;
const TAB = /^[\w.-]{1,64}$/;
const CALL_ID = /^[\x21-\x7e]{0,256}$/;
const LEGACY_TEXT = /^[\x20-\x7e]{0,256}$/;

function newTabId() {
  try {
    if (globalThis.crypto && typeof globalThis.crypto.randomUUID === 'function') return globalThis.crypto.randomUUID();
  } catch (_) {
    /* not a secure context */
  }
  return `tab-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

function storageItem(kind, key) {
  try {
    const s = globalThis[kind];
    return s ? s.getItem(key) : null;
  } catch (_) {
    return null; // storage blocked (sandboxed frame, privacy settings)
  }
}

/** Per-client state; wires the client's internal notifications once. */
function stateOf(client) {
  if (client._multiTab) return client._multiTab;
  const st = {
    channel: null,
    registered: false,
    lastLegacyState: undefined,
    lead: null, // leadership, see enableTabLeadership
    original: null, // the client's own DoRegister/UnRegister, once leadership wrapped them
    pageHooks: false,
    suspended: null, // what pagehide stopped, for pageshow
  };
  client._multiTab = st;
  client._on('call', (eventType) => broadcast(client, st, eventType));
  client._on('registration', (s) => {
    st.registered = s === 'registered';
  });
  client._on('core', () => {
    // initWebrtc with another account: lead that account instead.
    const lead = st.lead;
    if (lead && lead.status !== 'unsupported' && lead.userName !== client.userName) {
      stopLeadership(st, false);
      startLeadership(client, st, TAB_ID);
    }
  });
  client._on('destroy', () => {
    closeChannel(st);
    stopLeadership(st, true);
    if (st.pageHooks) {
      globalThis.removeEventListener('pagehide', st.pageHooks.hide);
      globalThis.removeEventListener('pageshow', st.pageHooks.show);
      st.pageHooks = false;
    }
  });
  return st;
}

function session(client, state, phone) {
  client._safe('SessionCallback', client._callbacks.session, [state, phone]);
}

// ---------------------------------------------------------------------------------------------
// The channel

function openChannel(client, st) {
  if (st.channel) return true;
  if (typeof globalThis.BroadcastChannel !== 'function') {
    logger.warn('SessionListener: BroadcastChannel is not available in this browser; no multi-tab events');
    return false;
  }
  try {
    st.channel = new globalThis.BroadcastChannel(CHANNEL);
  } catch (err) {
    logger.warn(`SessionListener: cannot open BroadcastChannel '${CHANNEL}': ${err && err.message ? err.message : err}`);
    return false;
  }
  const channel = st.channel;
  channel.onmessage = (ev) => {
    if (st.channel === channel) onMessage(client, st, ev.data);
  };
  hookPage(client, st);
  logger.info(`SessionListener: tab ${TAB_ID} listening on BroadcastChannel '${CHANNEL}'${client.userName ? ` for ${client.userName}` : ''}`);
  return true;
}

function closeChannel(st) {
  if (!st.channel) return;
  try {
    st.channel.close();
  } catch (_) {
    /* already closed */
  }
  st.channel = null;
}

function broadcast(client, st, eventType) {
  if (!st.channel || !BROADCAST_STATES.includes(eventType) || !client.userName) return;
  const d = client._call.callDetails();
  const msg = {
    callState: eventType,
    callNumber: d.remoteId || '',
    userName: client.userName,
    tabId: TAB_ID,
    callId: d.callId || '',
  };
  try {
    st.channel.postMessage(msg);
  } catch (err) {
    logger.warn(`SessionListener: could not post '${eventType}' to the other tabs: ${err && err.message ? err.message : err}`);
  }
}

/** Why a message is dropped ('' when it may be delivered). */
function refusal(data) {
  const str = (v, re) => typeof v === 'string' && re.test(v);
  const number = (v) => str(v, NUMBER) || (typeof v === 'number' && Number.isFinite(v));
  if (data.tabId !== undefined) {
    if (!str(data.tabId, TAB)) return 'a malformed tabId';
    if (!BROADCAST_STATES.includes(data.callState)) return 'a callState other tabs may not announce';
    if (typeof data.userName !== 'string' || data.userName.length > 128) return 'a malformed userName';
    if (data.callNumber !== undefined && !number(data.callNumber)) return 'a malformed callNumber';
    if (data.callId !== undefined && !str(data.callId, CALL_ID)) return 'a malformed callId';
    return '';
  }
  if (data.callState !== undefined && !BROADCAST_STATES.includes(data.callState)) return 'a callState other tabs may not announce';
  if (data.callNumber !== undefined && !number(data.callNumber)) return 'a malformed callNumber';
  return '';
}

function onMessage(client, st, data) {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return;
  if (typeof data.message === 'string') {
    onLegacyMessage(client, data);
    return;
  }
  const why = refusal(data);
  if (why) {
    logger.warn(`SessionListener: dropped a message on '${CHANNEL}' with ${why}`);
    return;
  }
  if (data.tabId !== undefined) {
    // Another tab's call event (ours, posted by broadcast()).
    if (data.tabId === TAB_ID) return;
    if (!client.userName || data.userName !== client.userName) return;
    const phone = data.callNumber === undefined ? '' : String(data.callNumber);
    const deliver = () => {
      if (!st.channel) return;
      const rec = client._callRecord;
      if (data.callId && rec && rec.details.callId === data.callId) {
        logger.log(`SessionListener: '${data.callState}' from tab ${data.tabId} is this tab's own call; not delivered`);
        return;
      }
      logger.info(`SessionListener: another tab's call ${data.callState} (${phone || 'unknown number'})`);
      session(client, data.callState, phone);
    };
    if (st.registered) setTimeout(deliver, GRACE_MS);
    else deliver();
    return;
  }
  // The legacy app-driven form {callState, callNumber}, honoured as the legacy SDK did: only in
  // a tab that the app marked with sessionStorage 'activeSessionTab'.
  if (!('callState' in data) && !('callNumber' in data)) return;
  if (storageItem('sessionStorage', 'activeSessionTab') === null) return;
  if (data.callState !== undefined) st.lastLegacyState = data.callState;
  session(client, st.lastLegacyState, data.callNumber === undefined ? undefined : String(data.callNumber));
}

function onLegacyMessage(client, data) {
  const field = data.message === 're-register-needed' ? 'hashMsg' : data.message === 'login-successful' ? 'tabHash' : null;
  if (field && data[field] !== undefined && !(typeof data[field] === 'string' && LEGACY_TEXT.test(data[field]))) {
    logger.warn(`SessionListener: dropped '${String(data.message).slice(0, 40)}' with a malformed ${field}`);
    return;
  }
  switch (data.message) {
    case 're-register-needed':
      session(client, 're-register', data.hashMsg);
      break;
    case 'logout':
      session(client, 'logout', '');
      break;
    case 'login-successful':
      session(client, 'login-successful', JSON.stringify({ phone: storageItem('localStorage', 'currentUser'), tabHash: data.tabHash }));
      break;
    default:
      logger.log(`SessionListener: ignored message '${data.message.slice(0, 40)}'`);
  }
}

// ---------------------------------------------------------------------------------------------
// Page lifetime

function hookPage(client, st) {
  if (st.pageHooks || typeof globalThis.addEventListener !== 'function') return;
  const hide = () => {
    const listening = Boolean(st.channel);
    const lead = st.lead;
    const leading = Boolean(lead && lead.status !== 'unsupported' && lead.status !== 'off');
    if (!listening && !leading) return;
    st.suspended = { listening, leading, wantRegister: Boolean(lead && lead.wantRegister) };
    if (lead && lead.status === 'leader' && st.registered) {
      // Best effort: the successor must not share the account with this tab's dead binding.
      try {
        st.original.UnRegister.call(client);
      } catch (_) {
        /* the page is going away */
      }
    }
    closeChannel(st);
    stopLeadership(st, false);
  };
  const show = (ev) => {
    const s = st.suspended;
    st.suspended = null;
    if (!ev.persisted || !s) return;
    logger.info('multi-tab: page restored from the back/forward cache; joining the other tabs again');
    if (s.listening) openChannel(client, st);
    if (s.leading && client.userName) {
      st.lead = { wantRegister: s.wantRegister };
      startLeadership(client, st, TAB_ID);
    }
  };
  st.pageHooks = { hide, show };
  globalThis.addEventListener('pagehide', hide);
  globalThis.addEventListener('pageshow', show);
}

// ---------------------------------------------------------------------------------------------

/** Adds this feature's members to ExotelWebClient. */
export function installMultiTab(Client) {
  const proto = Client.prototype;

  /**
   * Joins the other tabs of this browser (BroadcastChannel 'app-data'): posts this tab's call
   * events and delivers theirs, and the app's legacy messages, to SessionCallback. Call it once
   * during initialisation (guide §5.12); later calls change nothing. Returns true when listening.
   */
  proto.SessionListener = function SessionListener() {
    return openChannel(this, stateOf(this));
  };

  /** 3.0.10's name (a no-op there): the same as SessionListener(). */
  proto.SessionListenerMethod = function SessionListenerMethod() {
    return this.SessionListener();
  };

  /**
   * Ours, opt-in: one tab per userName registers and rings (see the top of this file). Call it
   * after initWebrtc and before DoRegister, in every tab. Returns true when tab leadership is
   * on, false when it cannot be (no initWebrtc yet, or no Web Locks: every tab then registers).
   */
  proto.enableTabLeadership = function enableTabLeadership() {
    if (!this.userName) {
      logger.error('enableTabLeadership: call initWebrtc first');
      return false;
    }
    const st = stateOf(this);
    if (st.lead) {
      logger.info('enableTabLeadership: already enabled');
      return st.lead.status !== 'unsupported';
    }
    this.SessionListener(); // followers see the leader's calls
    wrapRegistration(this, st);
    if (!webLocks()) {
      logger.warn('enableTabLeadership: Web Locks are not available (they need a secure context: https or localhost); every tab registers, as without tab leadership');
      st.lead = { userName: this.userName, status: 'unsupported', wantRegister: false };
      return false;
    }
    hookPage(this, st);
    startLeadership(this, st, TAB_ID);
    return true;
  };

  /** Ours: gives tab leadership up; a DoRegister() still waiting for it registers now. */
  proto.disableTabLeadership = function disableTabLeadership() {
    const st = stateOf(this);
    const lead = st.lead;
    if (!lead) return;
    const waiting = lead.status !== 'leader' && lead.status !== 'unsupported' && lead.wantRegister;
    stopLeadership(st, true);
    logger.info('disableTabLeadership: tab leadership off');
    if (waiting) st.original.DoRegister.call(this);
  };

  /** Ours: 'off' | 'pending' | 'leader' | 'follower' | 'unsupported'. */
  proto.getTabLeadership = function getTabLeadership() {
    const st = this._multiTab;
    return st && st.lead ? st.lead.status : 'off';
  };
}
