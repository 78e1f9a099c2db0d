//! The registration machine (RFC 3261 §10): one binding for our Contact at the registrar,
//! refreshed before the expiry the registrar *granted*, removed with expires=0.
//!
//! Invariants: at most one REGISTER in flight; each state change is reported once; a failure
//! delays the next attempt by a jittered, growing backoff so no caller can make us hammer the
//! server (the 3.0.10 guide tells apps to call DoRegister on every failure).

use crate::auth::{CachedChallenge, Challenge};
use crate::backoff::Backoff;
use crate::message::{quote, Address, HeaderAccess, Headers, Method, Request, Response};
use crate::ua::{Ctx, Event, Level};
use std::fmt;

/// RFC 3261 §17.1.2.2 Timer F = 64·T1, T1 = 500 ms.
pub const TIMER_F_MS: u64 = 64 * 500;
pub const DEFAULT_EXPIRES: u32 = 300;
/// Refresh when this share of the granted interval has passed (what SIP.js and 3.0.10 use).
const REFRESH_PERCENT: u64 = 80;
/// A refresh goes out at least this long before the binding lapses, when the grant allows:
/// a hidden tab's timers can fire a minute late (Chrome's intensive throttling).
const REFRESH_MARGIN_MS: u64 = 90_000;
/// Stale-nonce retries allowed within one attempt, so a broken server cannot loop us.
const MAX_CHALLENGES_PER_ATTEMPT: u8 = 3;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationState {
    Unregistered,
    /// Wanted, and either waiting for the transport or for the registrar's answer.
    Registering,
    Registered,
    Unregistering,
    Failed(RegistrationFailure),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationFailure {
    /// The registrar challenged credentials we had just computed from a fresh challenge,
    /// or sent a challenge we cannot answer.
    AuthenticationFailed { status: u16 },
    /// Any other final response: 403, 404, 5xx, 6xx...
    Rejected { status: u16, reason: String },
    /// 423 with a Min-Expires we could not satisfy.
    IntervalTooBrief { min_expires: Option<u32> },
    /// No final response within Timer F.
    Timeout,
    /// The WebSocket could not be opened.
    TransportFailed,
    /// The WebSocket closed while registered or while a REGISTER was in flight.
    TransportLost,
}

impl RegistrationFailure {
    /// Failures that a later attempt can cure without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        match self {
            RegistrationFailure::Timeout
            | RegistrationFailure::TransportFailed
            | RegistrationFailure::TransportLost => true,
            RegistrationFailure::Rejected { status, .. } => *status >= 500 || *status == 408 || *status == 480,
            _ => false,
        }
    }
}

impl fmt::Display for RegistrationFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistrationFailure::AuthenticationFailed { status } => {
                write!(f, "authentication failed ({status}): check authUser and secret")
            }
            RegistrationFailure::Rejected { status, reason } => {
                write!(f, "registrar rejected the registration: {status} {reason}")
            }
            RegistrationFailure::IntervalTooBrief { min_expires: Some(m) } => {
                write!(f, "registrar requires an expiry of at least {m} s")
            }
            RegistrationFailure::IntervalTooBrief { min_expires: None } => {
                f.write_str("registrar answered 423 without a usable Min-Expires")
            }
            RegistrationFailure::Timeout => f.write_str("no answer from the registrar within 32 s"),
            RegistrationFailure::TransportFailed => f.write_str("could not open the WebSocket to the SIP server"),
            RegistrationFailure::TransportLost => f.write_str("the WebSocket to the SIP server closed"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationEvent {
    /// A REGISTER (or un-REGISTER) of a new attempt went out; not repeated for auth retries.
    SentRequest,
    Registered {
        expires: u32,
    },
    Unregistered,
    Failed(RegistrationFailure),
}

#[derive(Debug)]
struct Pending {
    branch: String,
    cseq: u32,
    expires: u32,
    deadline: u64,
    /// Challenges answered within this attempt (a cached credential does not count).
    challenges: u8,
    answered_nonce: Option<String>,
    tried_min_expires: bool,
}

#[derive(Debug)]
pub(crate) struct Registration {
    state: RegistrationState,
    /// What the app asked for last: a binding or none.
    want: bool,
    call_id: String,
    from_tag: String,
    cseq: u32,
    requested_expires: u32,
    pending: Option<Pending>,
    credentials: Option<CachedChallenge>,
    refresh_at: Option<u64>,
    /// No new attempt before this instant (backoff after a server's failure response).
    retry_at: Option<u64>,
    failures: u32,
    /// A REGISTER succeeded since the UA last asked (`take_success`).
    succeeded: bool,
}

impl Registration {
    pub(crate) fn new(call_id: String, from_tag: String) -> Self {
        Registration {
            state: RegistrationState::Unregistered,
            want: false,
            call_id,
            from_tag,
            cseq: 0,
            requested_expires: DEFAULT_EXPIRES,
            pending: None,
            credentials: None,
            refresh_at: None,
            retry_at: None,
            failures: 0,
            succeeded: false,
        }
    }

    pub(crate) fn state(&self) -> &RegistrationState {
        &self.state
    }

    /// The transport should be (or become) open now.
    pub(crate) fn wants_link(&self, now: u64) -> bool {
        self.pending.is_some() || (self.want && self.retry_at.is_none_or(|t| t <= now))
    }

    /// The app wants a binding but nothing is under way to get or keep one: no REGISTER in
    /// flight, no refresh, no retry armed, on an open link. Never true; checked by the fuzzer.
    pub(crate) fn stalled(&self, link_up: bool) -> bool {
        self.want && link_up && self.pending.is_none() && self.refresh_at.is_none() && self.retry_at.is_none()
    }

    /// The transport must not be closed yet.
    pub(crate) fn needs_link(&self) -> bool {
        self.want || self.pending.is_some()
    }

    pub(crate) fn poll_timeout(&self) -> Option<u64> {
        let retry = self.retry_at.filter(|_| self.want);
        [self.pending.as_ref().map(|p| p.deadline), self.refresh_at, retry]
            .into_iter()
            .flatten()
            .min()
    }

    pub(crate) fn register(&mut self, ctx: &mut Ctx) {
        self.want = true;
        match self.state {
            RegistrationState::Registered | RegistrationState::Registering => {
                ctx.log(
                    Level::Info,
                    "register: already registered or registering; nothing to do",
                );
            }
            RegistrationState::Unregistering => {
                ctx.log(
                    Level::Info,
                    "register: will register again once the un-REGISTER completes",
                );
            }
            RegistrationState::Unregistered | RegistrationState::Failed(_) => {
                self.set_state(ctx, RegistrationState::Registering);
                if let Some(t) = self.retry_at.filter(|t| *t > ctx.now) {
                    ctx.log(
                        Level::Warn,
                        &format!("register: last attempt failed; next attempt in {} ms", t - ctx.now),
                    );
                }
                self.try_start(ctx);
            }
        }
    }

    pub(crate) fn unregister(&mut self, ctx: &mut Ctx) {
        self.want = false;
        match self.state {
            // One REGISTER in flight (§10.2): a refresh that is out completes first; its
            // response then sends the un-REGISTER.
            RegistrationState::Registered if self.pending.is_some() => {
                ctx.log(
                    Level::Info,
                    "unregister: will remove the binding once the refresh in flight completes",
                );
            }
            RegistrationState::Registered if ctx.link_up => {
                self.refresh_at = None;
                self.set_state(ctx, RegistrationState::Unregistering);
                ctx.emit(Event::Registration(RegistrationEvent::SentRequest));
                self.send(ctx, 0, None);
            }
            // The REGISTER in flight finishes first; its response then triggers the un-REGISTER.
            RegistrationState::Registering if self.pending.is_some() => {
                ctx.log(
                    Level::Info,
                    "unregister: will remove the binding once the REGISTER in flight completes",
                );
            }
            RegistrationState::Unregistered | RegistrationState::Unregistering => {}
            _ => {
                self.refresh_at = None;
                self.set_state(ctx, RegistrationState::Unregistered);
            }
        }
    }

    /// A link is open: register on it, after a transport failure too.
    pub(crate) fn on_link_up(&mut self, ctx: &mut Ctx) {
        let lost = matches!(&self.state, RegistrationState::Failed(f) if f.is_transient());
        if self.want && lost && self.retry_at.is_none() {
            self.set_state(ctx, RegistrationState::Registering);
        }
        self.try_start(ctx);
    }

    /// The link failed or closed. The binding is reported lost; the UA reconnects with its own
    /// backoff (backoff.rs) and `on_link_up` registers again.
    pub(crate) fn on_link_down(&mut self, ctx: &mut Ctx, failure: RegistrationFailure) {
        let registered_or_busy = self.pending.is_some()
            || matches!(
                self.state,
                RegistrationState::Registered | RegistrationState::Registering
            );
        if registered_or_busy && (self.want || self.pending.is_some()) {
            self.pending = None;
            self.refresh_at = None;
            let what = if self.want { "; reconnecting" } else { "" };
            ctx.log(Level::Warn, &format!("registration lost: {failure}{what}"));
            self.set_state(ctx, RegistrationState::Failed(failure));
        } else if self.state == RegistrationState::Registered {
            self.refresh_at = None;
            self.set_state(ctx, RegistrationState::Unregistered);
        }
    }

    /// Refreshes the binding now, as a check that the flow still reaches the registrar.
    /// False when not registered or a REGISTER is already in flight.
    pub(crate) fn refresh_now(&mut self, ctx: &mut Ctx) -> bool {
        if !self.want || self.state != RegistrationState::Registered || self.pending.is_some() || !ctx.link_up {
            return false;
        }
        self.refresh_at = None;
        self.send(ctx, self.requested_expires, None);
        true
    }

    /// A REGISTER of ours waits for its final response.
    pub(crate) fn is_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// True once after each successful REGISTER: the UA's reconnect backoff starts over.
    pub(crate) fn take_success(&mut self) -> bool {
        std::mem::take(&mut self.succeeded)
    }

    pub(crate) fn on_timeout(&mut self, ctx: &mut Ctx) {
        if self.pending.as_ref().is_some_and(|p| p.deadline <= ctx.now) {
            ctx.log(Level::Warn, "REGISTER timed out (Timer F)");
            self.fail(ctx, RegistrationFailure::Timeout);
            return;
        }
        if self.refresh_at.is_some_and(|t| t <= ctx.now) {
            self.refresh_at = None;
            if ctx.link_up && self.pending.is_none() {
                ctx.log(Level::Debug, "refreshing registration");
                self.send(ctx, self.requested_expires, None);
            }
        }
        if self.want && self.retry_at.is_some_and(|t| t <= ctx.now) {
            self.retry_at = None;
            if matches!(self.state, RegistrationState::Failed(_)) {
                self.set_state(ctx, RegistrationState::Registering);
            }
            self.try_start(ctx);
        }
    }

    /// Handles a response; returns false when it belongs to no REGISTER of ours.
    pub(crate) fn on_response(&mut self, ctx: &mut Ctx, resp: &Response) -> bool {
        let matches = match (&self.pending, resp.top_via(), resp.cseq()) {
            (Some(p), Some(via), Some(cseq)) => {
                via.branch() == Some(p.branch.as_str()) && cseq.seq == p.cseq && cseq.method == "REGISTER"
            }
            _ => false,
        };
        if !matches {
            return false;
        }
        if resp.status < 200 {
            return true;
        }
        let Some(pending) = self.pending.take() else {
            return true;
        };
        match resp.status {
            200..=299 => self.on_success(ctx, resp, pending),
            401 | 407 => self.on_challenge(ctx, resp, pending),
            423 => {
                let min = resp.header_u32("Min-Expires");
                match min {
                    Some(m) if m > pending.expires && !pending.tried_min_expires && pending.expires != 0 => {
                        ctx.log(Level::Info, &format!("423: registrar wants expires >= {m}; retrying"));
                        self.requested_expires = m;
                        self.send(
                            ctx,
                            m,
                            Some(Pending {
                                tried_min_expires: true,
                                ..pending
                            }),
                        );
                    }
                    _ => self.fail(ctx, RegistrationFailure::IntervalTooBrief { min_expires: min }),
                }
            }
            status => {
                // §21.5.4: a 503 (or 500/480/486) may say when to come back; we wait that long
                // (within 1 s to 1 h) instead of our own backoff.
                let after = resp
                    .headers
                    .get("Retry-After")
                    .and_then(|v| v.split([';', '(']).next())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(|s| s.clamp(1, 3_600) * 1000);
                self.fail_after(
                    ctx,
                    RegistrationFailure::Rejected {
                        status,
                        reason: resp.reason.clone(),
                    },
                    after,
                );
            }
        }
        true
    }

    fn on_success(&mut self, ctx: &mut Ctx, resp: &Response, pending: Pending) {
        self.failures = 0;
        self.retry_at = None;
        self.succeeded = true;
        if pending.expires == 0 {
            self.set_state(ctx, RegistrationState::Unregistered);
            if self.want {
                self.set_state(ctx, RegistrationState::Registering);
                self.try_start(ctx);
            }
            return;
        }
        let (granted, listed) = granted_expires(resp, ctx, pending.expires);
        if !listed {
            // Never go idle while the app wants to be registered: assume the registrar did
            // what we asked, and the next refresh asks again.
            ctx.log(
                Level::Warn,
                &format!("registrar's 200 lists bindings but not ours; assuming {granted} s"),
            );
        }
        // A granted 0 would refresh at once, forever: ask again after the usual backoff instead.
        let granted = if granted == 0 { pending.expires.max(60) } else { granted };
        if granted != pending.expires {
            ctx.log(
                Level::Info,
                &format!("registrar granted {granted} s (asked {})", pending.expires),
            );
        }
        self.refresh_at = Some(ctx.now + refresh_delay_ms(granted, ctx.rng));
        if self.state != RegistrationState::Registered {
            self.state = RegistrationState::Registered;
            ctx.emit(Event::Registration(RegistrationEvent::Registered { expires: granted }));
        }
        if !self.want {
            // UnRegister() arrived while this REGISTER was in flight.
            self.unregister(ctx);
        }
    }

    fn on_challenge(&mut self, ctx: &mut Ctx, resp: &Response, pending: Pending) {
        let proxy = resp.status == 407;
        let header = if proxy {
            "Proxy-Authenticate"
        } else {
            "WWW-Authenticate"
        };
        // Several challenges may be offered (e.g. SHA-256 and MD5): take the first we can answer.
        let challenge = resp
            .headers
            .get_all(header)
            .find_map(|v| Challenge::parse(v, proxy).ok());
        let Some(challenge) = challenge else {
            ctx.log(
                Level::Error,
                &format!("{}: no digest challenge we can answer", resp.status),
            );
            return self.fail(ctx, RegistrationFailure::AuthenticationFailed { status: resp.status });
        };
        // RFC 3261 §22.2: a second challenge for credentials we just computed means they are
        // wrong, unless the server says only the nonce was stale (RFC 2617 §3.2.1).
        let fresh_nonce = pending.answered_nonce.as_deref() != Some(challenge.nonce.as_str());
        let retry = pending.challenges == 0
            || (challenge.stale && fresh_nonce && pending.challenges < MAX_CHALLENGES_PER_ATTEMPT);
        if !retry {
            self.credentials = None;
            return self.fail(ctx, RegistrationFailure::AuthenticationFailed { status: resp.status });
        }
        let nonce = challenge.nonce.clone();
        self.credentials = Some(CachedChallenge::new(challenge));
        let next = Pending {
            challenges: pending.challenges + 1,
            answered_nonce: Some(nonce),
            ..pending
        };
        self.send(ctx, next.expires, Some(next));
    }

    fn try_start(&mut self, ctx: &mut Ctx) {
        let may_send = self.want && ctx.link_up && self.pending.is_none() && self.retry_at.is_none_or(|t| t <= ctx.now);
        if may_send && self.state == RegistrationState::Registering {
            self.retry_at = None;
            ctx.emit(Event::Registration(RegistrationEvent::SentRequest));
            self.send(ctx, self.requested_expires, None);
        }
    }

    fn fail(&mut self, ctx: &mut Ctx, failure: RegistrationFailure) {
        self.fail_after(ctx, failure, None);
    }

    /// A failed attempt: the next waits `retry_after` (the server's Retry-After) or our backoff.
    fn fail_after(&mut self, ctx: &mut Ctx, failure: RegistrationFailure, retry_after: Option<u64>) {
        self.pending = None;
        self.refresh_at = None;
        self.failures = self.failures.saturating_add(1);
        // Full jitter (backoff.rs), after the server's Retry-After when it gave one: agents
        // told the same Retry-After must not all come back in the same second.
        let delay = retry_after.unwrap_or(0) + ctx.rng.below(Backoff::cap_ms(self.failures) + 1);
        self.retry_at = Some(ctx.now + delay);
        if failure.is_transient() && self.want {
            ctx.log(
                Level::Warn,
                &format!("registration failed: {failure}; retrying in {delay} ms"),
            );
        } else {
            ctx.log(Level::Error, &format!("registration failed: {failure}"));
            self.want = false;
        }
        self.set_state(ctx, RegistrationState::Failed(failure));
    }

    fn set_state(&mut self, ctx: &mut Ctx, state: RegistrationState) {
        if self.state == state {
            return;
        }
        let event = match &state {
            RegistrationState::Unregistered => Some(RegistrationEvent::Unregistered),
            RegistrationState::Registered => None, // reported with the granted expiry by on_success
            RegistrationState::Failed(f) => Some(RegistrationEvent::Failed(f.clone())),
            RegistrationState::Registering | RegistrationState::Unregistering => None,
        };
        self.state = state;
        if let Some(e) = event {
            ctx.emit(Event::Registration(e));
        }
    }

    /// Sends a REGISTER asking for `expires` seconds (0 removes the binding). `carry` keeps the
    /// attempt's bookkeeping across auth and 423 retries.
    fn send(&mut self, ctx: &mut Ctx, expires: u32, carry: Option<Pending>) {
        self.cseq += 1;
        let branch = ctx.rng.branch();
        let acc = ctx.account;
        let registrar = format!("sip:{}", acc.sip_domain);
        let aor = format!("<sip:{}@{}>", acc.auth_user, acc.sip_domain);
        let mut h = Headers::new();
        h.push(
            "Via",
            format!(
                "SIP/2.0/{} {};branch={};rport",
                acc.via_transport(),
                ctx.local.via_host,
                branch
            ),
        );
        h.push("Max-Forwards", "70");
        h.push("To", aor.clone());
        let from = match &acc.display_name {
            Some(n) => format!("{} {aor};tag={}", quote(n), self.from_tag),
            None => format!("{aor};tag={}", self.from_tag),
        };
        h.push("From", from);
        h.push("Call-ID", self.call_id.clone());
        h.push("CSeq", format!("{} REGISTER", self.cseq));
        h.push("Contact", format!("{};expires={expires}", ctx.local.contact()));
        h.push("Expires", expires.to_string());
        if let Some(cred) = self.credentials.as_mut() {
            let cnonce = ctx.rng.token(16);
            let value = cred.authorize(&acc.auth_user, &acc.password, "REGISTER", &registrar, &cnonce);
            h.push(cred.challenge.header_name(), value);
        }
        h.push("Allow", crate::ua::ALLOW);
        h.push("Supported", crate::extensions::SUPPORTED_REGISTER);
        h.push("User-Agent", ctx.local.user_agent);
        let req = Request {
            method: Method::Register,
            uri: registrar,
            headers: h,
            body: String::new(),
        };
        let pending = match carry {
            Some(p) => Pending {
                branch: branch.clone(),
                cseq: self.cseq,
                expires,
                deadline: ctx.now + TIMER_F_MS,
                ..p
            },
            None => Pending {
                branch: branch.clone(),
                cseq: self.cseq,
                expires,
                deadline: ctx.now + TIMER_F_MS,
                challenges: 0,
                answered_nonce: None,
                tried_min_expires: false,
            },
        };
        self.pending = Some(pending);
        ctx.send(&req.to_string());
    }
}

/// When to refresh a binding granted for `granted` seconds: at 80 % of it, but at least
/// `REFRESH_MARGIN_MS` (or half the grant) before it lapses, and up to 5 % earlier at random
/// so that agents who registered together do not refresh together. Grants beyond a day are
/// refreshed daily.
fn refresh_delay_ms(granted: u32, rng: &mut crate::rng::Rng) -> u64 {
    let grant = u64::from(granted.min(crate::limits::MAX_REGISTRATION_S)) * 1000;
    let at = (grant * REFRESH_PERCENT / 100).min(grant - (grant / 2).min(REFRESH_MARGIN_MS));
    at - rng.below(at / 20 + 1)
}

/// RFC 3261 §10.2.4: the expiry of *our* binding in the 200's Contact list, else the Expires
/// header, else what we asked for. Ours is the one with our `+sip.instance`, or our Contact
/// user (8 random characters): registrars that rewrite Contacts (NAT fixing, topology hiding)
/// change the host, and 3.0.10 (SIP.js) matched on the user alone. The bool says whether the
/// 200 listed our binding at all.
fn granted_expires(resp: &Response, ctx: &Ctx, asked: u32) -> (u32, bool) {
    let ours = |c: &Address| {
        let by_instance = c
            .params
            .get("+sip.instance")
            .is_some_and(|i| i == ctx.local.instance_urn());
        by_instance || c.uri.user.as_deref() == Some(ctx.local.contact_user.as_str())
    };
    let contacts = resp.contacts();
    let header = resp.header_u32("Expires");
    match contacts.iter().find(|c| ours(c)) {
        Some(c) => {
            let param = c.params.get("expires").and_then(|e| e.trim().parse().ok());
            (param.or(header).unwrap_or(asked), true)
        }
        // A 200 listing no binding at all (some registrars omit Contact) granted the request.
        None => (header.unwrap_or(asked), contacts.is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stalled_means_wanted_on_an_open_link_with_nothing_under_way() {
        let mut r = Registration::new("c".into(), "t".into());
        assert!(!r.stalled(true), "not wanted");
        r.want = true;
        assert!(r.stalled(true));
        assert!(!r.stalled(false), "a closed link is reopened by the UA");
        r.refresh_at = Some(1);
        assert!(!r.stalled(true));
        r.refresh_at = None;
        r.retry_at = Some(1);
        assert!(!r.stalled(true));
    }
}
