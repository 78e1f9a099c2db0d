//! The user agent: the one object a driver owns per SIP account. Inputs (transport events,
//! received text, API commands, time) go in; outputs (transport commands, app events, log
//! lines) come out through [`UserAgent::poll_output`], and [`UserAgent::poll_timeout`] says
//! when to call [`UserAgent::handle_timeout`] next. No clock, no socket, no async.

use crate::account::Account;
use crate::active::ActiveCall as Call;
use crate::aftermath::Aftermath;
use crate::backoff::Backoff;
use crate::call::{CallError, CallEvent, CallHandle, MediaCommand, MediaFailure, Next};
use crate::extensions::{self, SUPPORTED_DIALOG};
use crate::held::Held;
use crate::incoming::InboundCall;
use crate::keepalive::{self, KeepAlive, KeepAliveAction};
use crate::limits::{elide, MAX_MESSAGE_BYTES, MAX_TRACE_BYTES, OVERSIZED_PREFIX_BYTES};
use crate::message::{parse, HeaderAccess, Message, Method, Request, Response};
use crate::outgoing::{target_uri, OutboundCall};
use crate::path::{self, CallPath};
use crate::redact::redact_sip;
use crate::registration::{Registration, RegistrationEvent, RegistrationFailure, RegistrationState};
use crate::reply::response_for;
use crate::rng::Rng;
use std::collections::VecDeque;

/// Methods we answer.
pub const ALLOW: &str = "INVITE,ACK,CANCEL,BYE,OPTIONS,INFO,UPDATE,PRACK";
pub const USER_AGENT: &str = concat!("exotel-voice-wasm/", env!("CARGO_PKG_VERSION"));
/// How long a WebSocket may take to open before we give up on it.
pub const CONNECT_TIMEOUT_MS: u64 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Disconnected,
    Connecting,
    Connected,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Registration(RegistrationEvent),
    Link(LinkState),
    Call(CallEvent),
    /// A browser media state of a call, passed through for the app (`kind`: `ice_gathering`,
    /// `ice_connection`, `connection`).
    CallMedia {
        call: CallHandle,
        kind: String,
        state: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Open a WebSocket to `url` with subprotocol `sip`.
    Connect {
        url: String,
    },
    /// Send one text frame.
    Send(String),
    /// Close the WebSocket; no further events from it are expected.
    Close,
    Media(MediaCommand),
    Event(Event),
    Log {
        level: Level,
        message: String,
    },
}

/// How the host of our Contact and Via is written. Neither is reachable: a browser has no
/// address a server could connect to, so requests come back over the WebSocket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactHost {
    /// A random TEST-NET-1 address, `192.0.2.N` (what exotelsdk.js 3.0.10 sends through
    /// SIP.js's `hackIpInContact`): the default, the only form proven against Exotel's edge.
    TestNet,
    /// A random `<token>.invalid` name (RFC 7118 §5).
    Invalid,
}

/// Our identity on the wire, random per user agent.
#[derive(Debug)]
pub(crate) struct Local {
    pub contact_user: String,
    pub via_host: String,
    /// The other style's host, so switching styles needs no new randomness.
    pub alt_host: String,
    pub instance: String,
    pub user_agent: &'static str,
    /// Our Contact's `transport` parameter: "wss" on a wss:// link (what exotelsdk.js has sent
    /// Exotel since 3.0.6), "ws" otherwise; `set_contact_transport` chooses RFC 7118's "ws".
    pub contact_transport: &'static str,
    /// RFC 5626 outbound (`set_outbound`): `reg-id` on the REGISTER Contact, `ob` on dialogs'.
    pub outbound: bool,
}

impl Local {
    pub fn instance_urn(&self) -> String {
        format!("<urn:uuid:{}>", self.instance)
    }

    /// Contact for dialogs (INVITE, 18x/2xx, re-INVITE, UPDATE). With outbound, `ob` asks the
    /// edge to reach us over the flow we registered on (RFC 5626 §5.4).
    pub fn contact_uri(&self) -> String {
        let ob = if self.outbound { ";ob" } else { "" };
        format!(
            "<sip:{}@{};transport={}{ob}>",
            self.contact_user, self.via_host, self.contact_transport
        )
    }

    pub fn via(&self, account: &Account, branch: &str) -> String {
        format!(
            "SIP/2.0/{} {};branch={branch};rport",
            account.via_transport(),
            self.via_host
        )
    }

    /// Contact for REGISTER: with outbound, `reg-id` names the flow (RFC 5626 §4.2).
    pub fn contact(&self) -> String {
        let reg_id = if self.outbound { ";reg-id=1" } else { "" };
        format!(
            "<sip:{}@{};transport={}>;+sip.instance=\"{}\"{reg_id}",
            self.contact_user,
            self.via_host,
            self.contact_transport,
            self.instance_urn()
        )
    }
}

/// The `Ctx` of `$ua` at `$now`: a macro, not a method, so the borrow stays on the fields it
/// names and the call or registration beside them can be borrowed at the same time.
macro_rules! ctx {
    ($ua:expr, $now:expr) => {
        Ctx {
            now: $now,
            link_up: $ua.link == Link::Up,
            rng: &mut $ua.rng,
            out: &mut $ua.out,
            account: &$ua.account,
            local: &$ua.local,
            held: &mut $ua.held,
        }
    };
}

/// What a sub-machine may touch while it handles one input.
pub(crate) struct Ctx<'a> {
    pub now: u64,
    pub rng: &'a mut Rng,
    pub out: &'a mut VecDeque<Output>,
    pub account: &'a Account,
    pub local: &'a Local,
    pub link_up: bool,
    /// Frames sent while the link is down wait here for the next one.
    pub held: &'a mut Held,
}

impl Ctx<'_> {
    pub fn emit(&mut self, e: Event) {
        self.out.push_back(Output::Event(e));
    }

    pub fn log(&mut self, level: Level, message: &str) {
        self.out.push_back(Output::Log {
            level,
            message: message.to_string(),
        });
    }

    /// Our Via for a new request, with a new branch.
    pub fn new_via(&mut self) -> String {
        let branch = self.rng.branch();
        self.local.via(self.account, &branch)
    }

    /// Sends a frame, or holds it for the next link while this one is down (held.rs).
    pub fn send(&mut self, text: &str) {
        if self.link_up {
            queue_send(self.out, text);
            return;
        }
        let dropped = self.held.push(self.now, text);
        self.log(
            Level::Debug,
            &format!(
                "held until the link is back:\n{}",
                elide(&redact_sip(text), MAX_TRACE_BYTES)
            ),
        );
        if dropped > 0 {
            self.log(
                Level::Warn,
                &format!("{dropped} held frame(s) dropped: too many while the link is down"),
            );
        }
    }
}

/// Queues a frame, preceded by its trace with credentials redacted.
fn queue_send(out: &mut VecDeque<Output>, text: &str) {
    out.push_back(Output::Log {
        level: Level::Debug,
        message: format!("send:\n{}", elide(&redact_sip(text), MAX_TRACE_BYTES)),
    });
    out.push_back(Output::Send(text.to_string()));
}

/// The shortest gap between two automatic ICE restarts of one call.
const ICE_RESTART_GAP_MS: u64 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    Down,
    Connecting { deadline: u64 },
    Up,
}

pub struct UserAgent {
    account: Account,
    local: Local,
    rng: Rng,
    out: VecDeque<Output>,
    link: Link,
    registration: Registration,
    /// The call in progress; a second INVITE meanwhile is answered 486.
    call: Option<Call>,
    next_call: CallHandle,
    to_tag: String,
    keepalive: KeepAlive,
    last_ice_restart: Option<u64>,
    /// Ended calls, for the stragglers of their dialogs (aftermath.rs); a few, briefly.
    aftermath: Vec<Aftermath>,
    /// Frames produced while the link is down, sent first on the next one.
    held: Held,
    /// Pacing of reconnects after the link failed (backoff.rs).
    reconnect: Backoff,
    /// Whether the current call can reach the far end (path.rs).
    path: Option<CallPath>,
    reconnect_limit_ms: u64,
    /// A new link is up and the call waits for the REGISTER on it to settle before it
    /// refreshes its dialog over it: the edge must know the new flow first (RFC 5626 §4.2).
    call_awaits_registration: bool,
}

/// How long a connection check's REGISTER may go unanswered before the flow counts as dead.
/// A registrar on a working path answers within a second; a false alarm costs one reconnect,
/// which calls survive.
const PROBE_ANSWER_MS: u64 = 5_000;

/// Ended calls remembered at once; the oldest is forgotten first.
const MAX_AFTERMATH: usize = 8;

impl UserAgent {
    /// A user agent whose identifiers come from a generator keyed by `seed` alone: for tests
    /// and reproducible traces. The driver keys it with 32 random bytes ([`UserAgent::with_key`]).
    pub fn new(account: Account, seed: u64) -> Self {
        Self::with_rng(account, Rng::new(seed))
    }

    /// A user agent keyed with 32 random bytes (the driver's `crypto.getRandomValues`), so its
    /// Call-IDs, tags, branches and cnonces cannot be predicted from earlier ones.
    pub fn with_key(account: Account, key: [u8; 32]) -> Self {
        Self::with_rng(account, Rng::from_key(key))
    }

    fn with_rng(account: Account, mut rng: Rng) -> Self {
        let local = Local {
            contact_user: rng.token(8),
            via_host: format!("192.0.2.{}", 1 + rng.below(254)),
            alt_host: format!("{}.invalid", rng.token(12)),
            instance: rng.uuid(),
            user_agent: USER_AGENT,
            contact_transport: if account.via_transport() == "WSS" { "wss" } else { "ws" },
            outbound: false,
        };
        let registration = Registration::new(rng.token(20), rng.token(10));
        let to_tag = rng.token(10);
        UserAgent {
            account,
            local,
            rng,
            out: VecDeque::new(),
            link: Link::Down,
            registration,
            call: None,
            next_call: 1,
            to_tag,
            keepalive: KeepAlive::new(keepalive::DEFAULT_INTERVAL_MS),
            last_ice_restart: None,
            aftermath: Vec::new(),
            held: Held::default(),
            reconnect: Backoff::default(),
            path: None,
            reconnect_limit_ms: path::DEFAULT_LIMIT_MS,
            call_awaits_registration: false,
        }
    }

    pub fn registration_state(&self) -> &RegistrationState {
        self.registration.state()
    }

    /// True when the app wants to be registered but no REGISTER, refresh or retry is under
    /// way on an open link: a state that must never occur (the UA would silently stay
    /// unregistered). For invariant checks in tests and fuzzing.
    pub fn registration_stalled(&self) -> bool {
        self.registration.stalled(self.link == Link::Up)
    }

    /// The WebSocket URL this user agent connects to.
    pub fn ws_url(&self) -> &str {
        &self.account.ws_url
    }

    pub fn link_state(&self) -> LinkState {
        match self.link {
            Link::Down => LinkState::Disconnected,
            Link::Connecting { .. } => LinkState::Connecting,
            Link::Up => LinkState::Connected,
        }
    }

    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// The next instant (same clock as `now`) at which `handle_timeout` has work to do.
    pub fn poll_timeout(&self) -> Option<u64> {
        let link = match self.link {
            Link::Connecting { deadline } => Some(deadline),
            Link::Down if self.needs_link() => self.reconnect.waiting_until(),
            _ => None,
        };
        let call = self.call.as_ref().and_then(Call::poll_timeout);
        let path = self.path.as_ref().and_then(|p| p.deadline(self.reconnect_limit_ms));
        [
            link,
            self.registration.poll_timeout(),
            call,
            path,
            self.keepalive.poll_timeout(),
            self.held.expires_at(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Something needs the link: the registration, a call, or frames held for it.
    fn needs_link(&self) -> bool {
        self.registration.needs_link() || self.call.is_some() || !self.held.is_empty()
    }

    /// RFC 5626 outbound (ours; 3.0.10 sent no `reg-id`): the REGISTER Contact names its flow
    /// (`reg-id=1` beside `+sip.instance`) and dialog Contacts carry `ob`, so an edge that
    /// supports outbound routes requests for us to the newest flow at once. Off by default.
    /// Takes effect from the next request; call it before registering.
    pub fn set_outbound(&mut self, on: bool) {
        self.local.outbound = on;
    }

    /// How long a call may stay without a signalling or media path before it ends with
    /// `ConnectionLost` (default 30 s; 0 ends it at once).
    pub fn set_reconnect_limit(&mut self, ms: u64) {
        self.reconnect_limit_ms = ms.min(crate::held::LIFETIME_MS);
    }

    pub fn register(&mut self, now: u64) {
        self.with_registration(now, |r, ctx| r.register(ctx));
    }

    pub fn unregister(&mut self, now: u64) {
        self.with_registration(now, |r, ctx| r.unregister(ctx));
    }

    /// The `transport` parameter of our Contact: "ws" (RFC 7118 §5.2 defines only that value)
    /// or "wss". Anything else is ignored. Takes effect from the next request.
    pub fn set_contact_transport(&mut self, transport: &str) {
        match transport {
            "ws" => self.local.contact_transport = "ws",
            "wss" => self.local.contact_transport = "wss",
            _ => {}
        }
    }

    /// The host style of our Contact and Via (default [`ContactHost::TestNet`], as 3.0.10).
    /// Takes effect from the next request; call it before registering.
    pub fn set_contact_host(&mut self, style: ContactHost) {
        let invalid = self.local.via_host.ends_with(".invalid");
        if invalid != (style == ContactHost::Invalid) {
            std::mem::swap(&mut self.local.via_host, &mut self.local.alt_host);
        }
    }

    /// Upper bound of the keep-alive ping interval in ms (default 30 s; 0 turns pings off).
    pub fn set_keepalive_interval(&mut self, now: u64, interval_ms: u64) {
        let interval_ms = crate::limits::keepalive_ms(interval_ms);
        self.keepalive.set_interval(interval_ms, now, &mut self.rng);
    }

    /// The browser says the network is back (`online`): the connection is checked as in
    /// `check_link`, and a connected call's media get a new path (an ICE restart, within the
    /// same rate limit as after an ICE failure): its old candidates may belong to a network
    /// that is gone.
    pub fn network_back(&mut self, now: u64) {
        self.check_link(now);
        if let Some((call, false)) = self.current_call() {
            self.restart_ice_limited(now, call, "the network changed");
        }
    }

    /// The network may have changed (it came back online, or the page became visible after
    /// sleeping): an open flow is checked now (a ping, or a REGISTER refresh where the server
    /// does not pong), so a dead one shows within 10 s; a link waiting out its backoff
    /// reconnects at once.
    pub fn check_link(&mut self, now: u64) {
        match self.link {
            Link::Up => {
                // A server that never answered a ping proves nothing by its silence; a
                // REGISTER refresh draws an answer from any registrar.
                if !self.keepalive.server_answers() {
                    let mut probed = false;
                    self.with_registration(now, |r, ctx| probed = r.refresh_now(ctx));
                    if probed {
                        self.log(
                            Level::Debug,
                            "checking the connection (REGISTER refresh, answer due in 5 s)",
                        );
                        self.keepalive.expect_answer(now, PROBE_ANSWER_MS);
                        return;
                    }
                }
                if let Some(action) = self.keepalive.check_now(now, &mut self.rng) {
                    self.log(Level::Debug, "checking the connection (keep-alive ping)");
                    self.keepalive_action(now, action);
                }
            }
            // The backoff protects the server from our retries, not from a network that is
            // back: the wait is cut short, once per run of failures.
            Link::Down => {
                if self.reconnect.cut_short(now) {
                    self.log(
                        Level::Info,
                        "network back: reconnecting now instead of after the backoff",
                    );
                    self.sync_link(now);
                }
            }
            Link::Connecting { .. } => {}
        }
    }

    fn keepalive_action(&mut self, now: u64, action: KeepAliveAction) {
        match action {
            KeepAliveAction::Ping => self.out.push_back(Output::Send(keepalive::PING.to_string())),
            KeepAliveAction::ServerSilent => self.log(
                Level::Info,
                "keep-alive: the server does not answer pings (RFC 5626 pong); a dead connection shows at the next re-REGISTER",
            ),
            KeepAliveAction::Dead => {
                self.log(
                    Level::Warn,
                    "keep-alive: no answer to the ping within 10 s; the connection is dead, reconnecting",
                );
                self.out.push_back(Output::Close);
                self.link_lost(now, RegistrationFailure::TransportLost);
            }
        }
    }

    pub fn handle_timeout(&mut self, now: u64) {
        if let Some(action) = self.keepalive.on_timeout(now, &mut self.rng) {
            self.keepalive_action(now, action);
        }
        if let Link::Connecting { deadline } = self.link {
            if deadline <= now {
                self.log(Level::Warn, "WebSocket did not open in time");
                self.out.push_back(Output::Close);
                self.link_lost(now, RegistrationFailure::TransportFailed);
            }
        }
        self.with_registration(now, |r, ctx| r.on_timeout(ctx));
        self.with_call(now, None, |c, ctx| Ok(c.on_timeout(ctx))).ok();
        let limit = self.reconnect_limit_ms;
        if self
            .path
            .as_ref()
            .and_then(|p| p.deadline(limit))
            .is_some_and(|d| d <= now)
        {
            self.log(
                Level::Warn,
                &format!(
                    "the call had no signalling or media path for {} s; ending it",
                    limit / 1000
                ),
            );
            self.with_call(now, None, |c, ctx| Ok(c.abandon(ctx))).ok();
        }
        let expired = self.held.expire(now);
        if expired > 0 {
            self.log(
                Level::Warn,
                &format!("{expired} held frame(s) dropped: no link for 5 minutes"),
            );
        }
        self.sync_link(now);
    }

    /// Answers the ringing call: asks for the microphone, then the SDP answer, then sends 200.
    pub fn answer(&mut self, now: u64, call: CallHandle) -> Result<(), CallError> {
        self.with_call(now, Some(call), |c, ctx| c.answer(ctx))
    }

    /// Restarts ICE on the connected call (a re-INVITE with new candidates), after the media
    /// path broke: ICE failed, or the network changed. Only logged; no call event.
    pub fn restart_ice(&mut self, now: u64, call: CallHandle) -> Result<(), CallError> {
        self.with_call(now, Some(call), |c, ctx| c.restart_ice(ctx))
    }

    /// Puts the connected call on hold (re-INVITE with sendonly, or inactive when the far end
    /// holds us too) or resumes it. The outcome arrives as HoldChanged or HoldFailed.
    pub fn hold(&mut self, now: u64, call: CallHandle, hold: bool) -> Result<(), CallError> {
        self.with_call(now, Some(call), |c, ctx| c.set_hold(ctx, hold))
    }

    /// Sends one DTMF digit as SIP INFO (`application/dtmf-relay`).
    pub fn send_info_dtmf(&mut self, now: u64, call: CallHandle, digit: char) -> Result<(), CallError> {
        self.with_call(now, Some(call), |c, ctx| c.send_info_dtmf(ctx, digit))
    }

    /// Rejects a ringing call (486) or ends an answered one (BYE).
    pub fn hangup(&mut self, now: u64, call: CallHandle) -> Result<(), CallError> {
        self.with_call(now, Some(call), |c, ctx| Ok(c.hangup(ctx)))
    }

    /// Places an outgoing call to a number, user name or SIP URI (ours; 3.0.10 had none).
    /// Microphone and offer come first; the INVITE goes out once the offer is ready.
    pub fn make_call(&mut self, now: u64, target: &str) -> Result<CallHandle, CallError> {
        if self.call.is_some() {
            return Err(CallError::Busy);
        }
        let uri = target_uri(target, &self.account.sip_domain)?;
        let handle = self.next_call;
        self.next_call = self.next_call.wrapping_add(1).max(1);
        let mut ctx = ctx!(self, now);
        self.call = Some(Call::Out(OutboundCall::start(&mut ctx, handle, uri)));
        self.path = Some(CallPath::new(handle));
        self.sync_link(now);
        Ok(handle)
    }

    pub fn media_mic_ready(&mut self, now: u64, call: CallHandle) {
        self.media_result(now, call, |c, ctx| c.on_mic_ready(ctx));
    }

    /// Our local SDP is ready: the answer to an incoming call's offer, or an outgoing call's offer.
    pub fn media_local_sdp(&mut self, now: u64, call: CallHandle, sdp: &str) {
        self.media_result(now, call, |c, ctx| c.on_local_sdp(ctx, sdp));
    }

    pub fn media_failed(&mut self, now: u64, call: CallHandle, failure: MediaFailure) {
        self.media_result(now, call, |c, ctx| c.on_media_failed(ctx, failure));
    }

    /// A browser media state change (ICE, connection) of `call`, passed on to the app.
    pub fn media_state(&mut self, now: u64, call: CallHandle, kind: &str, state: &str) {
        if self.call.as_ref().is_none_or(|c| c.handle() != call) {
            return;
        }
        self.out.push_back(Output::Event(Event::CallMedia {
            call,
            kind: kind.to_string(),
            state: state.to_string(),
        }));
        if kind == "ice_connection" {
            let ok = match state {
                "connected" | "completed" => Some(true),
                "disconnected" | "failed" => Some(false),
                _ => None,
            };
            let event = ok.and_then(|ok| self.path.as_mut().and_then(|p| p.media(ok, now)));
            if let Some(e) = event {
                self.out.push_back(Output::Event(Event::Call(e)));
            }
        }
        // ICE gave up on every candidate pair (a network change, a NAT rebinding).
        if kind == "ice_connection" && state == "failed" {
            self.restart_ice_limited(now, call, "ICE failed");
        }
    }

    /// The one ICE restart policy: at most one per ICE_RESTART_GAP_MS, so a path that stays
    /// broken is not hammered.
    fn restart_ice_limited(&mut self, now: u64, call: CallHandle, why: &str) {
        if self.last_ice_restart.is_some_and(|t| now < t + ICE_RESTART_GAP_MS) {
            return;
        }
        self.last_ice_restart = Some(now);
        if let Err(e) = self.restart_ice(now, call) {
            let state = match e {
                CallError::WrongState(state) => state,
                _ => "the call is not connected",
            };
            self.log(Level::Warn, &format!("{why}; no ICE restart now: {state}"));
        }
    }

    /// The current call, if any, and whether it still waits for an answer.
    pub fn current_call(&self) -> Option<(CallHandle, bool)> {
        self.call.as_ref().map(|c| (c.handle(), c.is_unanswered()))
    }

    fn media_result(&mut self, now: u64, call: CallHandle, f: impl FnOnce(&mut Call, &mut Ctx) -> Next) {
        if self.with_call(now, Some(call), |c, ctx| Ok(f(c, ctx))).is_err() {
            self.log(Level::Debug, &format!("media result for ended call {call} dropped"));
        }
    }

    /// Runs `f` on the current call (which must be `want`, when given) and retires the call
    /// when it ends: one Ended event, one media Close.
    fn with_call(
        &mut self,
        now: u64,
        want: Option<CallHandle>,
        f: impl FnOnce(&mut Call, &mut Ctx) -> Result<Next, CallError>,
    ) -> Result<(), CallError> {
        let Some(call) = self.call.as_mut().filter(|c| want.is_none_or(|w| w == c.handle())) else {
            return if want.is_some() {
                Err(CallError::NoSuchCall)
            } else {
                Ok(())
            };
        };
        let mut ctx = ctx!(self, now);
        let next = f(call, &mut ctx)?;
        let flow_outcome = call.take_flow_outcome();
        if let Next::Ended(reason) = next {
            let handle = call.handle();
            let aftermath = call.aftermath(now);
            self.call = None;
            self.path = None;
            self.remember(now, aftermath);
            self.out.push_back(Output::Media(MediaCommand::Close { call: handle }));
            self.out
                .push_back(Output::Event(Event::Call(CallEvent::Ended { call: handle, reason })));
        } else if let Some(ok) = flow_outcome {
            self.signalling_back(now, ok);
        }
        self.sync_link(now);
        Ok(())
    }

    pub fn handle_transport_open(&mut self, now: u64) {
        if !matches!(self.link, Link::Connecting { .. }) {
            return;
        }
        self.set_link(Link::Up);
        self.reconnect.connected(now);
        self.keepalive.on_link_up(now, &mut self.rng);
        // What a call produced during the outage goes first (a hangup's BYE above all), then
        // the REGISTER, then, once the registrar has answered it, the call refreshes its
        // dialog's target over the new flow.
        let (held, expired) = self.held.take(now);
        if !held.is_empty() || expired > 0 {
            self.log(
                Level::Info,
                &format!(
                    "link back: sending {} frame(s) held while it was down ({expired} expired)",
                    held.len()
                ),
            );
        }
        for frame in &held {
            queue_send(&mut self.out, frame);
        }
        self.call_awaits_registration = self.call.is_some();
        self.with_registration(now, |r, ctx| r.on_link_up(ctx));
    }

    /// The call's signalling path is back (`ok`): the far end reaches it over the new flow, or
    /// it had nothing to refresh. Refused, the call cannot come back and ends now.
    fn signalling_back(&mut self, now: u64, ok: bool) {
        if ok {
            if let Some(e) = self.path.as_mut().and_then(|p| p.signalling(true, now)) {
                self.out.push_back(Output::Event(Event::Call(e)));
            }
            return;
        }
        self.log(
            Level::Warn,
            "the far end cannot reach the call over the new connection; ending it",
        );
        let _ = self.with_call(now, None, |c, ctx| Ok(c.abandon(ctx)));
    }

    /// The WebSocket closed or failed (browsers report errors as a close that follows).
    pub fn handle_transport_closed(&mut self, now: u64) {
        let failure = match self.link {
            Link::Down => return,
            Link::Connecting { .. } => RegistrationFailure::TransportFailed,
            Link::Up => RegistrationFailure::TransportLost,
        };
        self.link_lost(now, failure);
    }

    /// One received WebSocket text frame: exactly one SIP message, or a keep-alive (RFC 7118 §5).
    pub fn handle_text(&mut self, now: u64, text: &str) {
        if text.trim().is_empty() {
            // RFC 5626 §4.4.1: a double CRLF is the server's ping (answered with one CRLF),
            // anything shorter its pong to ours.
            let ping = text == keepalive::PING;
            self.keepalive.on_frame(!ping);
            if ping && self.link == Link::Up {
                self.out.push_back(Output::Send("\r\n".to_string()));
            }
            return;
        }
        self.keepalive.on_frame(false);
        if text.len() > MAX_MESSAGE_BYTES {
            let prefix = text.get(..OVERSIZED_PREFIX_BYTES).unwrap_or(text);
            return self.handle_oversized_text(now, prefix, text.len());
        }
        self.log(
            Level::Debug,
            &format!("recv:\n{}", elide(&redact_sip(text), MAX_TRACE_BYTES)),
        );
        match parse(text.as_bytes()) {
            Err(e) => self.refuse_frame(now, text, e),
            Ok(Message::Response(resp)) => {
                let mut handled = false;
                if self.call.as_ref().is_some_and(|c| c.owns_response(&resp)) {
                    handled = true;
                    let _ = self.with_call(now, None, |c, ctx| Ok(c.on_response(ctx, &resp)));
                } else if self.in_aftermath(now, |a, ctx| {
                    a.owns_response(&resp) && {
                        a.on_response(ctx, &resp);
                        true
                    }
                }) {
                    handled = true;
                } else {
                    self.with_registration(now, |r, ctx| handled = r.on_response(ctx, &resp));
                    if handled && (200..300).contains(&resp.status) {
                        self.note_flow_timer(now, &resp);
                    }
                }
                if !handled {
                    self.log(Level::Debug, &format!("dropped a stray {} response", resp.status));
                }
            }
            Ok(Message::Request(req)) => self.handle_request(now, req),
        }
        self.sync_link(now);
    }

    /// A frame over the 64 KiB message limit, of which the driver passes only the start
    /// (never copying the rest into wasm memory): answered 513 when it is a request with a Via
    /// (RFC 3261 §21.5.14), else dropped; logged either way.
    pub fn handle_oversized_text(&mut self, now: u64, prefix: &str, total_len: usize) {
        self.keepalive.on_frame(false);
        self.log(
            Level::Warn,
            &format!("dropped a {total_len}-byte frame: over the {MAX_MESSAGE_BYTES}-byte SIP message limit"),
        );
        let Some(req) = crate::message::salvage_request(prefix.as_bytes()) else {
            return;
        };
        if req.method != Method::Ack && req.headers.get("Via").is_some() {
            self.respond(now, &req, 513, &[]);
        }
        self.sync_link(now);
    }

    /// A frame the parser refused. A request whose headers can still be read is answered
    /// (505 for another SIP version, else 400, RFC 3261 §8.2 / RFC 4475 §3.1.2), so the
    /// sender does not wait for its timeout; anything else is dropped with a log line.
    fn refuse_frame(&mut self, now: u64, text: &str, e: crate::message::ParseError) {
        self.log(Level::Warn, &format!("dropped a frame: {e}"));
        let Some(req) = crate::message::salvage_request(text.as_bytes()) else {
            return;
        };
        // Only a Via is needed to answer along; what else is missing is copied as it is.
        if req.method == Method::Ack || req.headers.get("Via").is_none() {
            return;
        }
        if e.0 == "unsupported SIP version" {
            self.respond(now, &req, 505, &[]);
        } else {
            self.respond_reason(now, &req, 400, e.0, &[]);
        }
    }

    /// Why a request cannot be processed at all (§8.1.1: the mandatory headers, each once).
    fn malformed(&self, req: &Request) -> Option<&'static str> {
        if req.top_via().is_none() {
            return Some("missing or unreadable Via");
        }
        let once = |name: &str| req.headers.get_all(name).count() == 1;
        let usable =
            req.call_id().is_some() && req.cseq().is_some() && req.from_addr().is_some() && req.to_addr().is_some();
        if !usable {
            return Some("missing or unreadable From, To, Call-ID or CSeq");
        }
        if !(once("From") && once("To") && once("Call-ID") && once("CSeq")) {
            return Some("From, To, Call-ID or CSeq appears more than once");
        }
        None
    }

    fn handle_request(&mut self, now: u64, req: Request) {
        if let Some(why) = self.malformed(&req) {
            // §8.2: answer 400 when there is a Via to answer along, else nobody to tell.
            if req.headers.get("Via").is_some() && req.method != Method::Ack {
                self.log(Level::Warn, &format!("400 to a {}: {why}", req.method));
                self.respond_reason(now, &req, 400, why, &[]);
            } else {
                self.log(Level::Warn, &format!("dropped a {}: {why}", req.method));
            }
            return;
        }
        if let Some(status) = self.refusal(&req) {
            return self.refuse(now, &req, status);
        }
        // §17.2.3: a request we already answered (refused, or in a call that ended) is the
        // same transaction when retransmitted, even if a call has its dialog by now.
        if req.method != Method::Ack && self.in_aftermath(now, |a, ctx| a.resend_reply(ctx, &req)) {
            return;
        }
        if self.call.as_ref().is_some_and(|c| c.owns_request(&req)) {
            let _ = self.with_call(now, None, |c, ctx| Ok(c.on_request(ctx, &req)));
            return;
        }
        if self.in_aftermath(now, |a, ctx| a.on_request(ctx, &req)) {
            return; // a retransmission answered again, or the ACK of our final response
        }
        let in_dialog = req.to_addr().is_some_and(|t| t.tag().is_some());
        match req.method {
            Method::Ack => self.log(Level::Debug, "dropped an ACK that matches no call"),
            // §12.2.2 (and §11.2 for OPTIONS): a request for a dialog we do not have.
            _ if in_dialog => self.respond(now, &req, 481, &[]),
            Method::Invite if self.call.is_some() => {
                self.log(Level::Info, "486 to a second INVITE: a call is in progress");
                self.respond(now, &req, 486, &[]);
            }
            Method::Invite => {
                let handle = self.next_call;
                self.next_call = self.next_call.wrapping_add(1).max(1);
                let mut ctx = ctx!(self, now);
                match InboundCall::accept_invite(&mut ctx, handle, req) {
                    Ok(call) => {
                        self.call = Some(Call::In(call));
                        self.path = Some(CallPath::new(handle));
                    }
                    Err(refused) => self.remember(now, *refused),
                }
            }
            Method::Options => self.respond(
                now,
                &req,
                200,
                &[
                    ("Allow", ALLOW),
                    ("Accept", "application/sdp"),
                    ("Supported", SUPPORTED_DIALOG),
                ],
            ),
            // BYE, CANCEL, UPDATE, INFO, PRACK: no dialog or transaction of ours.
            _ => self.respond(now, &req, 481, &[]),
        }
    }

    /// §8.2.1–§8.2.2, in the RFC's order: method, Request-URI scheme, CSeq method, Require.
    fn refusal(&self, req: &Request) -> Option<u16> {
        match &req.method {
            Method::Other(_) => return Some(501),
            Method::Message | Method::Notify | Method::Refer | Method::Subscribe | Method::Register => {
                return Some(405)
            }
            _ => {}
        }
        if req.method == Method::Ack {
            return None;
        }
        match crate::message::Uri::parse(&req.uri) {
            Err(_) => return Some(400),
            Ok(u) if u.scheme != "sip" && u.scheme != "sips" => return Some(416),
            Ok(_) => {}
        }
        if req.cseq().is_some_and(|c| c.method != req.method.as_str()) {
            return Some(400);
        }
        if req.method != Method::Cancel && !extensions::unsupported_required(&req.headers).is_empty() {
            return Some(420);
        }
        None
    }

    fn refuse(&mut self, now: u64, req: &Request, status: u16) {
        let method = req.method.to_string();
        match status {
            405 => self.respond(now, req, 405, &[("Allow", ALLOW)]),
            420 => {
                let mut tags = String::new();
                for t in extensions::unsupported_required(&req.headers) {
                    if !tags.is_empty() {
                        tags.push_str(", ");
                    }
                    tags.push_str(&t);
                }
                self.log(Level::Info, &format!("420 to a {method} that requires {tags}"));
                self.respond(now, req, 420, &[("Unsupported", &tags)]);
            }
            400 => {
                let why = if crate::message::Uri::parse(&req.uri).is_err() {
                    "unreadable Request-URI"
                } else {
                    "CSeq method does not match the request"
                };
                self.respond_reason(now, req, 400, why, &[]);
            }
            _ => {
                self.log(Level::Info, &format!("{status} to a {method}"));
                self.respond(now, req, status, &[]);
            }
        }
    }

    fn respond(&mut self, now: u64, req: &Request, status: u16, extra: &[(&str, &str)]) {
        self.respond_reason(now, req, status, crate::message::reason_phrase(status), extra);
    }

    fn respond_reason(&mut self, now: u64, req: &Request, status: u16, reason: &str, extra: &[(&str, &str)]) {
        let mut resp = response_for(req, status, &self.to_tag);
        if status == 400 && reason != "Bad Request" {
            resp.reason = format!("Bad Request ({reason})");
        }
        for (n, v) in extra {
            resp.headers.push(n, *v);
        }
        resp.headers.push("User-Agent", USER_AGENT);
        let text = resp.to_string();
        queue_send(&mut self.out, &text);
        if req.method == Method::Invite && status >= 200 {
            // §17.2.1: the INVITE's retransmissions get this answer again, not a call.
            self.remember(now, Aftermath::refused(now, req, &text));
        }
    }

    /// Keeps what an ended call or a refused INVITE leaves behind, for 64·T1.
    fn remember(&mut self, now: u64, aftermath: Aftermath) {
        self.aftermath.retain(|a| !a.expired(now));
        if self.aftermath.len() >= MAX_AFTERMATH {
            // Refused INVITEs go first: a flood of them must not push out an ended call whose
            // late 2xx still needs an ACK.
            let oldest = self.aftermath.iter().position(Aftermath::is_refusal).unwrap_or(0);
            self.aftermath.remove(oldest);
        }
        self.aftermath.push(aftermath);
    }

    /// Runs `f` on the aftermath entries still alive until one says it handled the input.
    fn in_aftermath(&mut self, now: u64, mut f: impl FnMut(&mut Aftermath, &mut Ctx) -> bool) -> bool {
        let mut ctx = ctx!(self, now);
        self.aftermath
            .iter_mut()
            .filter(|a| !a.expired(now))
            .any(|a| f(a, &mut ctx))
    }

    /// RFC 5626 §4.4.1: the registrar's `Flow-Timer` bounds the keep-alive interval.
    fn note_flow_timer(&mut self, now: u64, resp: &Response) {
        let secs = resp
            .headers
            .get("Flow-Timer")
            .and_then(|v| v.trim().parse::<u32>().ok());
        if let Some(secs) = secs {
            self.keepalive.set_flow_timer(secs, now, &mut self.rng);
        }
    }

    fn link_lost(&mut self, now: u64, failure: RegistrationFailure) {
        self.set_link(Link::Down);
        self.call_awaits_registration = false;
        let delay = self.reconnect.failed(now, &mut self.rng);
        if let Some(e) = self.path.as_mut().and_then(|p| p.signalling(false, now)) {
            self.out.push_back(Output::Event(Event::Call(e)));
        }
        self.with_registration(now, |r, ctx| r.on_link_down(ctx, failure));
        if self.needs_link() {
            self.log(Level::Info, &format!("reconnecting in {delay} ms"));
        }
        self.sync_link(now);
    }

    fn set_link(&mut self, link: Link) {
        let before = self.link_state();
        self.link = link;
        if link != Link::Up {
            self.keepalive.on_link_down();
        }
        let after = self.link_state();
        if before != after {
            self.out.push_back(Output::Event(Event::Link(after)));
        }
    }

    /// Opens the link when the registration wants it and closes it when nothing needs it:
    /// the link's lifetime is derived, never tracked separately.
    fn sync_link(&mut self, now: u64) {
        let wanted = self.registration.wants_link(now) || self.call.is_some() || !self.held.is_empty();
        match self.link {
            Link::Down if wanted && self.reconnect.ready(now) => {
                self.reconnect.attempt();
                self.out.push_back(Output::Connect {
                    url: self.account.ws_url.clone(),
                });
                self.set_link(Link::Connecting {
                    deadline: now + CONNECT_TIMEOUT_MS,
                });
            }
            // A call keeps the link even after UnRegister: its BYE must still go out.
            Link::Up | Link::Connecting { .. } if !self.needs_link() => {
                self.out.push_back(Output::Close);
                self.set_link(Link::Down);
            }
            _ => {}
        }
    }

    fn with_registration(&mut self, now: u64, f: impl FnOnce(&mut Registration, &mut Ctx)) {
        let mut ctx = ctx!(self, now);
        f(&mut self.registration, &mut ctx);
        if self.registration.take_success() {
            self.reconnect.succeeded(); // the reconnect backoff starts over only now
        }
        if self.call_awaits_registration && self.link == Link::Up && !self.registration.is_pending() {
            // Registered, refused or not registering at all: the call goes on regardless.
            self.call_awaits_registration = false;
            let mut refreshing = false;
            let _ = self.with_call(now, None, |c, ctx| {
                refreshing = c.on_link_up(ctx);
                Ok(Next::Continue)
            });
            if !refreshing {
                self.signalling_back(now, true);
            }
        }
        self.sync_link(now);
    }

    fn log(&mut self, level: Level, message: &str) {
        self.out.push_back(Output::Log {
            level,
            message: message.to_string(),
        });
    }
}
