// Tab leadership (ours, opt-in through enableTabLeadership(), multitab.js): one tab per
// userName registers and rings. The leader holds the Web Lock 'exotel-voice:<userName>'; a
// follower's DoRegister() waits, and when the leader's tab goes away (its lock is released)
// the next tab takes the lock, gets SessionCallback('re-register', userName) and registers.
//
// A lock alone can be held by a tab that is alive but no longer leads (frozen by the browser,
// its SDK dead), or by any other same-origin script: every tab would then wait for ever
// (issue 10). So the lock comes with a lease: a follower that wants to register asks on the
// BroadcastChannel 'exotel-voice-lead' every PROBE_MS whether a leader is there, and the
// leader answers from its message handler (not a timer, so a background tab's throttled
// timers do not make it look dead). After MISSES unanswered probes the follower takes over
// without the lock (its request stays queued) and says so; a leader that hears of a takeover
// steps down, as does the later of two lockless leaders.

import { logger } from './logger.js';

const LEASE_CHANNEL = 'exotel-voice-lead';
const PROBE_MS = 3000;
const MISSES = 3;
const KINDS = ['probe', 'alive', 'takeover'];

export function webLocks() {
  const nav = globalThis.navigator;
  return nav && nav.locks && typeof nav.locks.request === 'function' ? nav.locks : null;
}

function isAbort(err) {
  return err && err.name === 'AbortError';
}

function session(client, state, phone) {
  client._safe('SessionCallback', client._callbacks.session, [state, phone]);
}

/** A lease message of this protocol: {v: 1, kind, user, tab}, short strings only. */
function leaseMessage(m) {
  return (
    m !== null &&
    typeof m === 'object' &&
    m.v === 1 &&
    KINDS.includes(m.kind) &&
    typeof m.user === 'string' &&
    m.user.length <= 128 &&
    typeof m.tab === 'string' &&
    m.tab.length > 0 &&
    m.tab.length <= 64
  );
}

function post(lead, kind, tabId) {
  try {
    lead.channel.postMessage({ v: 1, kind, user: lead.userName, tab: tabId });
  } catch (_) {
    /* channel closed */
  }
}

/** Wraps the instance's DoRegister/UnRegister (own properties) once, so they obey leadership. */
export function wrapRegistration(client, st) {
  if (st.original) return;
  const original = { DoRegister: client.DoRegister, UnRegister: client.UnRegister };
  st.original = original;
  client.DoRegister = (...args) => {
    const lead = st.lead;
    if (!lead || lead.status === 'unsupported') return original.DoRegister.apply(client, args);
    if (lead.status === 'leader') {
      lead.wantRegister = true;
      lead.registeredInCallback = true;
      return original.DoRegister.apply(client, args);
    }
    if (!client._ready) return original.DoRegister.apply(client, args); // logs "initWebrtc first"
    lead.wantRegister = true;
    if (lead.status === 'follower') logWaiting(lead); // while 'pending', said once it is known
    return true;
  };
  client.UnRegister = (...args) => {
    if (st.lead) st.lead.wantRegister = false;
    return original.UnRegister.apply(client, args);
  };
}

function logWaiting(lead) {
  logger.info(`DoRegister: another tab holds ${lead.userName} (tab leadership); this tab registers when it takes over`);
}

/** Requests the lock for the client's userName and runs the lease; st.lead tracks it. */
export function startLeadership(client, st, tabId) {
  const locks = webLocks();
  if (!locks) {
    st.lead = { userName: client.userName, status: 'unsupported', wantRegister: false };
    return;
  }
  const lead = {
    userName: client.userName,
    status: 'pending',
    wantRegister: st.lead ? st.lead.wantRegister : false,
    registeredInCallback: false,
    lockless: false, // leading after a takeover, the lock still held elsewhere
    release: null,
    abort: null,
    channel: null,
    probe: null,
    answered: false,
    tabId,
  };
  st.lead = lead;
  openLease(client, st, lead);
  const name = `exotel-voice:${lead.userName}`;
  const held = new Promise((resolve) => {
    lead.release = resolve;
  });
  const live = () => st.lead === lead && lead.status !== 'off'; // not given up meanwhile
  const lost = (err) => {
    if (isAbort(err) || !live()) return;
    logger.warn(`tab leadership: the Web Lock request failed (${err && err.message ? err.message : err}); this tab registers as without tab leadership`);
    lead.status = 'unsupported';
    if (lead.wantRegister) st.original.DoRegister.call(client);
  };
  locks
    .request(name, { ifAvailable: true }, (lock) => {
      if (!live()) return undefined;
      if (lock) {
        becomeLeader(client, st, lead, false);
        return held;
      }
      lead.status = 'follower';
      logger.info(`tab leadership: another tab leads ${lead.userName}; this tab waits and gets that tab's call events`);
      if (lead.wantRegister) logWaiting(lead);
      follow(client, st, lead);
      lead.abort = typeof AbortController === 'function' ? new AbortController() : null;
      locks
        .request(name, lead.abort ? { signal: lead.abort.signal } : {}, () => {
          if (!live()) return undefined;
          if (lead.status === 'leader') {
            lead.lockless = false; // leading since a takeover; now with the lock too
            return held;
          }
          becomeLeader(client, st, lead, true);
          return held;
        })
        .catch(lost);
      return undefined;
    })
    .catch(lost);
}

function becomeLeader(client, st, lead, takeover) {
  lead.status = 'leader';
  lead.abort = lead.lockless ? lead.abort : null; // a lockless leader still waits for the lock
  stopProbing(lead);
  if (!takeover) {
    logger.info(`tab leadership: this tab leads ${lead.userName}`);
    if (lead.wantRegister) st.original.DoRegister.call(client);
    return;
  }
  logger.info(`tab leadership: the leading tab of ${lead.userName} went away; this tab takes over`);
  lead.registeredInCallback = false;
  session(client, 're-register', lead.userName);
  if (st.lead === lead && lead.status === 'leader' && lead.wantRegister && !lead.registeredInCallback) {
    st.original.DoRegister.call(client);
  }
}

// ---------------------------------------------------------------------------------------------
// The lease

function openLease(client, st, lead) {
  if (typeof globalThis.BroadcastChannel !== 'function') return; // no channel: the lock alone
  try {
    lead.channel = new globalThis.BroadcastChannel(LEASE_CHANNEL);
  } catch (_) {
    return;
  }
  lead.channel.onmessage = (ev) => {
    const m = ev.data;
    if (st.lead !== lead || !leaseMessage(m) || m.user !== lead.userName || m.tab === lead.tabId) return;
    if (m.kind === 'probe') {
      // Answered only by a leader whose SDK still works: a dead one must be replaced.
      if (lead.status === 'leader' && (client._core || client._ready)) post(lead, 'alive', lead.tabId);
    } else if (m.kind === 'alive') {
      lead.answered = true;
    } else if (lead.status === 'leader' && (!lead.lockless || m.tab < lead.tabId)) {
      stepDown(client, st, lead, m.tab);
    }
  };
}

/** A follower that wants to register checks, every PROBE_MS, that a leader answers. */
function follow(client, st, lead) {
  if (!lead.channel) return;
  let misses = 0;
  lead.answered = false;
  post(lead, 'probe', lead.tabId);
  lead.probe = setInterval(() => {
    if (st.lead !== lead || lead.status !== 'follower') {
      stopProbing(lead);
      return;
    }
    misses = lead.answered || !lead.wantRegister ? 0 : misses + 1;
    lead.answered = false;
    if (misses < MISSES) {
      post(lead, 'probe', lead.tabId);
      return;
    }
    logger.warn(`tab leadership: the Web Lock of ${lead.userName} is held by a tab or script that does not answer (a frozen or dead leader, or not this SDK); this tab takes over`);
    lead.lockless = true;
    post(lead, 'takeover', lead.tabId);
    becomeLeader(client, st, lead, true);
  }, PROBE_MS);
}

function stopProbing(lead) {
  if (lead.probe) clearInterval(lead.probe);
  lead.probe = null;
}

/** Another tab took over: stop registering, give the lock up, and wait as a follower. */
function stepDown(client, st, lead, other) {
  logger.warn(`tab leadership: tab ${other} took over ${lead.userName}; this tab stops registering and follows`);
  const wantRegister = lead.wantRegister;
  if (st.registered) st.original.UnRegister.call(client);
  stopLeadership(st, false);
  st.lead = { wantRegister };
  startLeadership(client, st, lead.tabId);
}

/** Gives the lock up (or stops waiting for it). `forget`: leadership is off afterwards. */
export function stopLeadership(st, forget) {
  const lead = st.lead;
  if (!lead) return;
  if (lead.abort) lead.abort.abort();
  if (lead.release) lead.release();
  stopProbing(lead);
  if (lead.channel) {
    try {
      lead.channel.close();
    } catch (_) {
      /* already closed */
    }
    lead.channel = null;
  }
  lead.status = 'off';
  if (forget) st.lead = null;
}
