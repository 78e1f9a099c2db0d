//! The user agent: the one object a driver owns per SIP account. Inputs (transport events,
//! received text, API commands, time) go in; outputs (transport commands, app events, log
//! lines) come out through [`UserAgent::poll_output`], and [`UserAgent::poll_timeout`] says
//! when to call [`UserAgent::handle_timeout`] next. No clock, no socket, no async.

use crate::account::Account;
use crate::message::{parse, HeaderAccess, Message, Method, Request};
use crate::redact::redact_sip;
use crate::registration::{
    Registration, RegistrationEvent, RegistrationFailure, RegistrationState,
};
use crate::reply::response_for;
use crate::rng::Rng;
use std::collections::VecDeque;

/// Methods we answer. Grows as the call machinery lands.
pub const ALLOW: &str = "OPTIONS";
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
    Event(Event),
    Log {
        level: Level,
        message: String,
    },
}

/// Our identity on the wire, random per user agent (RFC 7118 §5: `.invalid` hosts).
#[derive(Debug)]
pub(crate) struct Local {
    pub contact_user: String,
    pub via_host: String,
    pub instance: String,
    pub user_agent: &'static str,
}

impl Local {
    pub fn instance_urn(&self) -> String {
        format!("<urn:uuid:{}>", self.instance)
    }

    pub fn contact(&self) -> String {
        format!(
            "<sip:{}@{};transport=ws>;+sip.instance=\"{}\"",
            self.contact_user,
            self.via_host,
            self.instance_urn()
        )
    }
}

/// What a sub-machine may touch while it handles one input.
pub(crate) struct Ctx<'a> {
    pub now: u64,
    pub rng: &'a mut Rng,
    pub out: &'a mut VecDeque<Output>,
    pub account: &'a Account,
    pub local: &'a Local,
    pub link_up: bool,
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

    pub fn send(&mut self, text: &str) {
        queue_send(self.out, text);
    }
}

/// Queues a frame, preceded by its trace with credentials redacted.
fn queue_send(out: &mut VecDeque<Output>, text: &str) {
    out.push_back(Output::Log {
        level: Level::Debug,
        message: format!("send:\n{}", redact_sip(text)),
    });
    out.push_back(Output::Send(text.to_string()));
}

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
    to_tag: String,
}

impl UserAgent {
    pub fn new(account: Account, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let local = Local {
            contact_user: rng.token(8),
            via_host: format!("{}.invalid", rng.token(12)),
            instance: rng.uuid(),
            user_agent: USER_AGENT,
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
            to_tag,
        }
    }

    pub fn registration_state(&self) -> &RegistrationState {
        self.registration.state()
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
            _ => None,
        };
        [link, self.registration.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
    }

    pub fn register(&mut self, now: u64) {
        self.with_registration(now, |r, ctx| r.register(ctx));
    }

    pub fn unregister(&mut self, now: u64) {
        self.with_registration(now, |r, ctx| r.unregister(ctx));
    }

    pub fn handle_timeout(&mut self, now: u64) {
        if let Link::Connecting { deadline } = self.link {
            if deadline <= now {
                self.log(Level::Warn, "WebSocket did not open in time");
                self.out.push_back(Output::Close);
                self.link_lost(now, RegistrationFailure::TransportFailed);
            }
        }
        self.with_registration(now, |r, ctx| r.on_timeout(ctx));
    }

    pub fn handle_transport_open(&mut self, now: u64) {
        if !matches!(self.link, Link::Connecting { .. }) {
            return;
        }
        self.set_link(Link::Up);
        self.with_registration(now, |r, ctx| r.on_link_up(ctx));
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
            return; // CRLF keep-alive
        }
        self.log(Level::Debug, &format!("recv:\n{}", redact_sip(text)));
        match parse(text.as_bytes()) {
            Err(e) => self.log(Level::Warn, &format!("dropped a frame: {e}")),
            Ok(Message::Response(resp)) => {
                let mut handled = false;
                self.with_registration(now, |r, ctx| handled = r.on_response(ctx, &resp));
                if !handled {
                    self.log(
                        Level::Debug,
                        &format!("dropped a stray {} response", resp.status),
                    );
                }
            }
            Ok(Message::Request(req)) => self.handle_request(req),
        }
        self.sync_link(now);
    }

    fn handle_request(&mut self, req: Request) {
        let complete = req.top_via().is_some()
            && req.call_id().is_some()
            && req.cseq().is_some()
            && req.from_addr().is_some()
            && req.to_addr().is_some();
        if !complete {
            // §8.2: answer 400 when there is a Via to answer along, else there is nobody to tell.
            if req.headers.get("Via").is_some() && req.method != Method::Ack {
                self.log(
                    Level::Warn,
                    &format!("400 to a {} missing mandatory headers", req.method),
                );
                self.respond(&req, 400);
            } else {
                self.log(Level::Warn, "dropped a request without usable Via");
            }
            return;
        }
        if req.cseq().is_some_and(|c| c.method != req.method.as_str()) {
            self.respond(&req, 400);
            return;
        }
        match req.method {
            Method::Ack => {}
            Method::Options => self.respond(&req, 200),
            _ => {
                self.log(
                    Level::Info,
                    &format!("501 to {}: not supported yet", req.method),
                );
                self.respond(&req, 501);
            }
        }
    }

    fn respond(&mut self, req: &Request, status: u16) {
        let mut resp = response_for(req, status, &self.to_tag);
        if status == 200 || status == 501 || status == 405 {
            resp.headers.push("Allow", ALLOW);
        }
        resp.headers.push("User-Agent", USER_AGENT);
        queue_send(&mut self.out, &resp.to_string());
    }

    fn link_lost(&mut self, now: u64, failure: RegistrationFailure) {
        self.set_link(Link::Down);
        self.with_registration(now, |r, ctx| r.on_link_down(ctx, failure));
    }

    fn set_link(&mut self, link: Link) {
        let before = self.link_state();
        self.link = link;
        let after = self.link_state();
        if before != after {
            self.out.push_back(Output::Event(Event::Link(after)));
        }
    }

    /// Opens the link when the registration wants it and closes it when nothing needs it:
    /// the link's lifetime is derived, never tracked separately.
    fn sync_link(&mut self, now: u64) {
        match self.link {
            Link::Down if self.registration.wants_link(now) => {
                self.out.push_back(Output::Connect {
                    url: self.account.ws_url.clone(),
                });
                self.set_link(Link::Connecting {
                    deadline: now + CONNECT_TIMEOUT_MS,
                });
            }
            Link::Up | Link::Connecting { .. } if !self.registration.needs_link() => {
                self.out.push_back(Output::Close);
                self.set_link(Link::Down);
            }
            _ => {}
        }
    }

    fn with_registration(&mut self, now: u64, f: impl FnOnce(&mut Registration, &mut Ctx)) {
        let mut ctx = Ctx {
            now,
            link_up: self.link == Link::Up,
            rng: &mut self.rng,
            out: &mut self.out,
            account: &self.account,
            local: &self.local,
        };
        f(&mut self.registration, &mut ctx);
        self.sync_link(now);
    }

    fn log(&mut self, level: Level, message: &str) {
        self.out.push_back(Output::Log {
            level,
            message: message.to_string(),
        });
    }
}
