//! Runs one sequence of actions against one `UserAgent` under virtual time, as a driver would:
//! frames arrive only on an open socket, due timers fire, media results answer the UA's
//! media commands. Every input and every output goes past the checker. At the end a
//! cooperative driver finishes what is pending, the app hangs up, and time runs ten minutes
//! so "eventually" has happened.

use super::checker::{Checker, Stimulus, Violation};
use super::gen::{Action, HandleSel, MediaResult, MediaSel, TARGETS};
use super::peer::{self, Peer};
use super::rng::Rng;
use sip_core::message::{parse, HeaderAccess, Message};
use sip_core::{Account, CallEvent, Event, MediaCommand, MediaFailure, Output, UserAgent};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

pub const PASSWORD: &str = "s3cret-Pa55";

pub fn account() -> Account {
    Account {
        auth_user: "1001".into(),
        sip_domain: "example.test".into(),
        password: PASSWORD.into(),
        display_name: Some("Agent One".into()),
        ws_url: "wss://sbc.example.test:443/wss".into(),
    }
}

/// How long the end of a sequence lets time run.
const SETTLE_MS: u64 = 600_000;
/// Timers fired by one `Advance` at most (a keep-alive every 30 s would otherwise be thousands).
const MAX_FIRES: usize = 200;

thread_local! {
    static QUIET: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Panics inside the UA are findings, not noise: on fuzzing threads the hook records the
/// message and its location instead of printing them.
fn install_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let quiet = QUIET.with(|q| q.borrow().is_some());
            if !quiet {
                previous(info);
                return;
            }
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(non-string panic)".into());
            let at = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            QUIET.with(|q| *q.borrow_mut() = Some(format!("{message} at {at}")));
        }));
    });
}

/// Runs `f`, turning a panic into its message and location (printed nowhere).
pub fn guarded(f: impl FnOnce()) -> Result<(), String> {
    install_hook();
    QUIET.with(|q| *q.borrow_mut() = Some(String::new()));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    let message = QUIET.with(|q| q.borrow_mut().take()).unwrap_or_default();
    result.map_err(|_| message)
}

#[derive(Debug, Clone)]
enum Awaited {
    Mic,
    Sdp(&'static str),
    /// An `ApplyAnswer`: no result unless it fails.
    Answer,
}

/// What one sequence did.
pub struct Outcome {
    pub violations: Vec<Violation>,
    /// Calls into the UA (API, media results, frames, transport events, timeouts).
    pub inputs: u64,
    /// The run as Rust statements, with what the UA sent as comments (when recorded).
    pub transcript: Vec<String>,
    /// What the UA did, by kind ("sent re-INVITE", "event HoldChanged"...), when asked for.
    pub coverage: BTreeSet<String>,
}

/// A label for what one output shows the UA doing.
fn coverage_label(out: &Output, parsed: Option<&Message>) -> Option<String> {
    Some(match (out, parsed) {
        (_, Some(Message::Request(r))) => {
            let re = r.method == sip_core::message::Method::Invite && r.to_addr().is_some_and(|a| a.tag().is_some());
            format!("UA sent {}{}", if re { "re-" } else { "" }, r.method)
        }
        (_, Some(Message::Response(r))) => {
            let method = r.cseq().map(|c| sip_core::message::Method::parse(c.method));
            let method = match method {
                Some(sip_core::message::Method::Other(_)) | None => "another method".to_string(),
                Some(m) => m.to_string(),
            };
            format!("UA sent {} to {method}", r.status)
        }
        (Output::Event(Event::Call(e)), _) => {
            let d = format!("{e:?}");
            format!("event {}", d.split([' ', '(', '{']).next().unwrap_or(""))
        }
        (Output::Event(Event::Registration(e)), _) => {
            let d = format!("{e:?}");
            format!("registration {}", d.split([' ', '(', '{']).next().unwrap_or(""))
        }
        (Output::Media(m), _) => {
            let d = format!("{m:?}");
            format!("media {}", d.split([' ', '(', '{']).next().unwrap_or(""))
        }
        _ => return None,
    })
}

struct Harness {
    ua: UserAgent,
    now: u64,
    checker: Checker,
    peer: Peer,
    /// Handles of calls that started (Incoming, Dialing), in order.
    started: Vec<u32>,
    /// Every media command that wants a result, and those still waiting for one.
    media_log: Vec<(u32, Awaited)>,
    awaiting: Vec<(u32, Awaited)>,
    pong_server: bool,
    pending_pong: bool,
    inputs: u64,
    transcript: Option<Vec<String>>,
    coverage: Option<BTreeSet<String>>,
    dead: bool,
}

fn direction_of(d: &sip_core::sdp::Direction) -> &'static str {
    d.as_str()
}

/// The driver's local SDP: mostly what a browser makes, sometimes nothing usable.
fn local_sdp(v: u8, direction: &str) -> String {
    match v % 24 {
        0 => String::new(),
        1 => "garbage".into(),
        2 => peer::sdp(u64::from(v), "192.0.2.10", direction).repeat(40),
        _ => peer::sdp(u64::from(v), "192.0.2.10", direction),
    }
}

fn short(s: &str, n: usize) -> String {
    let one: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        format!("{one}…")
    } else {
        one
    }
}

impl Harness {
    fn new(seed: u64, record: bool) -> Harness {
        let mut r = Rng::new(seed ^ 0x00c0_ffee);
        let ua_seed = r.next_u64();
        let now = if r.chance(50) {
            0
        } else {
            1_700_000_000_000 + r.below(1 << 40)
        };
        let pong_server = r.chance(70);
        let mut transcript = None;
        if record {
            transcript = Some(vec![
                "let account = Account { auth_user: \"1001\".into(), sip_domain: \"example.test\".into(), password: \"s3cret-Pa55\".into(), display_name: Some(\"Agent One\".into()), ws_url: \"wss://sbc.example.test:443/wss\".into() };".to_string(),
                format!("let mut ua = UserAgent::new(account, {ua_seed});"),
            ]);
        }
        Harness {
            ua: UserAgent::new(account(), ua_seed),
            now,
            checker: Checker::new(),
            peer: Peer::default(),
            started: Vec::new(),
            media_log: Vec::new(),
            awaiting: Vec::new(),
            pong_server,
            pending_pong: false,
            inputs: 0,
            transcript,
            coverage: None,
            dead: false,
        }
    }

    fn note(&mut self, line: impl FnOnce() -> String) {
        if let Some(t) = self.transcript.as_mut() {
            t.push(line());
        }
    }

    /// One input: tell the checker, call the UA (catching a panic), pass every output on.
    fn step(&mut self, stimulus: Stimulus, code: impl FnOnce(u64) -> String, f: impl FnOnce(&mut UserAgent, u64)) {
        if self.dead {
            return;
        }
        let now = self.now;
        self.checker.input(now, stimulus);
        self.note(|| code(now));
        self.inputs += 1;
        let ua = &mut self.ua;
        if let Err(message) = guarded(|| f(ua, now)) {
            self.note(|| format!("// PANIC: {message}"));
            self.checker.panic(&message);
            self.dead = true;
            return;
        }
        self.drain();
        if self.ua.registration_stalled() {
            self.checker.registration_stalled();
        }
    }

    fn drain(&mut self) {
        while let Some(out) = self.ua.poll_output() {
            let parsed = match &out {
                Output::Send(text) if text != "\r\n" && text != "\r\n\r\n" => parse(text.as_bytes()).ok(),
                _ => None,
            };
            self.checker.output(&out, parsed.as_ref());
            if let Some(c) = self.coverage.as_mut() {
                if let Some(label) = coverage_label(&out, parsed.as_ref()) {
                    c.insert(label);
                }
            }
            if let Some(m) = &parsed {
                self.peer.observe(m);
            }
            match &out {
                Output::Send(text) => {
                    if text == "\r\n\r\n" && self.pong_server {
                        self.pending_pong = true;
                    }
                    if self.transcript.is_some() {
                        let line = match &parsed {
                            Some(Message::Request(r)) => format!(
                                "//   -> {} {} (CSeq {}, To {})",
                                r.method,
                                r.uri,
                                r.headers.get("CSeq").unwrap_or("?"),
                                r.headers.get("To").unwrap_or("?")
                            ),
                            Some(Message::Response(r)) => format!(
                                "//   -> {} {} (CSeq {}, To {}, branch {})",
                                r.status,
                                r.reason,
                                r.headers.get("CSeq").unwrap_or("?"),
                                r.headers.get("To").unwrap_or("?"),
                                r.top_via()
                                    .and_then(|v| v.branch().map(str::to_string))
                                    .unwrap_or_default()
                            ),
                            None => format!("//   -> {text:?}"),
                        };
                        // A comment line: no control characters from hostile header values.
                        let line: String = line.chars().map(|c| if c.is_control() { '?' } else { c }).collect();
                        self.note(|| line);
                    }
                }
                Output::Media(m) => {
                    self.on_media(m);
                    let line = format!("//   -> media {}", short(&format!("{m:?}"), 90));
                    self.note(|| line);
                }
                Output::Event(e) => {
                    if let Event::Call(CallEvent::Incoming(i)) = e {
                        self.started.push(i.call);
                    }
                    if let Event::Call(CallEvent::Dialing { call, .. }) = e {
                        self.started.push(*call);
                    }
                    let line = match e {
                        Event::Call(CallEvent::Incoming(i)) => format!("//   -> event Incoming {{ call: {} }}", i.call),
                        _ => format!("//   -> event {}", short(&format!("{e:?}"), 90)),
                    };
                    self.note(|| line);
                }
                Output::Connect { .. } => self.note(|| "//   -> Connect".into()),
                Output::Close => self.note(|| "//   -> Close".into()),
                _ => {}
            }
        }
    }

    fn on_media(&mut self, m: &MediaCommand) {
        let (call, want) = match m {
            MediaCommand::AcquireMic { call } => (*call, Awaited::Mic),
            MediaCommand::AcceptOffer { call, .. } | MediaCommand::CreateOffer { call } => {
                (*call, Awaited::Sdp("sendrecv"))
            }
            MediaCommand::Reoffer { call, direction, .. } | MediaCommand::AnswerReoffer { call, direction, .. } => {
                (*call, Awaited::Sdp(direction_of(direction)))
            }
            MediaCommand::Close { call } => {
                let call = *call;
                self.awaiting.retain(|(c, _)| *c != call);
                return;
            }
            MediaCommand::ApplyAnswer { call, .. } => {
                self.media_log.push((*call, Awaited::Answer));
                return;
            }
            _ => return,
        };
        self.media_log.push((call, want.clone()));
        self.awaiting.push((call, want));
    }

    /// Timers already due fire at once (a driver arms its timer for `poll_timeout`), and the
    /// server answers a keep-alive ping.
    fn settle_now(&mut self) {
        for _ in 0..64 {
            if self.dead {
                return;
            }
            if self.pending_pong {
                self.pending_pong = false;
                if self.checker.transport_open() {
                    self.frame("\r\n".to_string());
                }
                continue;
            }
            match self.ua.poll_timeout() {
                Some(t) if t <= self.now => self.timeout(),
                _ => return,
            }
        }
    }

    fn timeout(&mut self) {
        self.step(
            Stimulus::Other,
            |now| format!("ua.handle_timeout({now});"),
            |ua, now| ua.handle_timeout(now),
        );
    }

    fn frame(&mut self, text: String) {
        if !self.checker.transport_open() {
            return;
        }
        let parsed = parse(text.as_bytes()).ok();
        self.peer.frames.push(text.clone());
        if self.peer.frames.len() > 64 {
            self.peer.frames.remove(0);
        }
        self.step(
            Stimulus::Frame(&text, parsed.as_ref()),
            |now| format!("ua.handle_text({now}, {text:?});"),
            |ua, now| ua.handle_text(now, &text),
        );
    }

    fn handle(&self, sel: HandleSel) -> u32 {
        match sel {
            HandleSel::Current => self
                .ua
                .current_call()
                .map(|c| c.0)
                .or_else(|| self.started.last().copied())
                .unwrap_or(1),
            HandleSel::Stale(k) => {
                let n = self.started.len();
                if n == 0 {
                    1
                } else {
                    self.started[n - 1 - (k as usize % n)]
                }
            }
            HandleSel::Bogus(h) => h,
        }
    }

    /// The text a frame action sends, resolved against what the UA has sent so far.
    fn frame_text(&mut self, a: &Action) -> Option<String> {
        match a {
            Action::Reply(sel, d) => self.peer.reply(*sel, *d),
            Action::Invite(d) => Some(self.peer.invite(*d)),
            Action::Cancel(sel) => self.peer.cancel(*sel),
            Action::Ack(sel, d) => self.peer.ack(*sel, *d),
            Action::InDialog(sel, d) => self.peer.in_dialog(*sel, *d),
            Action::Prack(sel) => self.peer.prack(*sel),
            Action::OutOfDialog(d) => Some(self.peer.out_of_dialog(*d)),
            Action::StrayResponse(d) => Some(self.peer.stray(*d)),
            Action::Retransmit(k) => self.peer.retransmit(*k),
            Action::Mutated(inner, ops) => self.frame_text(inner).map(|t| peer::mutate(&t, ops)),
            Action::Corpus(i, ops) => {
                let c = peer::corpus();
                let text = String::from_utf8_lossy(&c[*i as usize % c.len()]).into_owned();
                Some(peer::mutate(&text, ops))
            }
            Action::KeepAlive(ping) => Some(if *ping { "\r\n\r\n" } else { "\r\n" }.to_string()),
            _ => None,
        }
    }

    fn api(&mut self, code: String, f: impl FnOnce(&mut UserAgent, u64)) {
        self.step(Stimulus::Other, |now| code.replace("NOW", &now.to_string()), f);
    }

    fn media_result(&mut self, sel: MediaSel, result: MediaResult) {
        let picked = match sel {
            MediaSel::Pending if result == MediaResult::FailAnswer => self
                .media_log
                .iter()
                .rev()
                .find(|(_, k)| matches!(k, Awaited::Answer))
                .cloned(),
            MediaSel::Pending => self.awaiting.last().cloned(),
            MediaSel::Old(k) => {
                let n = self.media_log.len();
                (n > 0).then(|| self.media_log[n - 1 - (k as usize % n.min(8))].clone())
            }
            MediaSel::Handle(h) => {
                let call = self.handle(h);
                let kind = self
                    .media_log
                    .iter()
                    .rev()
                    .find(|(c, _)| *c == call)
                    .map_or(Awaited::Mic, |(_, k)| k.clone());
                Some((call, kind))
            }
        };
        let Some((call, kind)) = picked else { return };
        let sdp_result = |v: u8, dir: &str| (local_sdp(v, dir), true);
        let (what, sdp): (&str, Option<(String, bool)>) = match (result, &kind) {
            (MediaResult::Auto(_), Awaited::Mic | Awaited::Answer) | (MediaResult::Mic, _) => ("mic", None),
            (MediaResult::Auto(v), Awaited::Sdp(dir)) | (MediaResult::Sdp(v), Awaited::Sdp(dir)) => {
                ("sdp", Some(sdp_result(v, dir)))
            }
            (MediaResult::Sdp(v), Awaited::Mic | Awaited::Answer) => ("sdp", Some(sdp_result(v, "sendrecv"))),
            (MediaResult::FailMic, _) => ("failmic", None),
            (MediaResult::FailAnswer, _) => ("failanswer", None),
            (MediaResult::FailNegotiation, _) => ("failneg", None),
        };
        // The result answers the latest command of its kind for that call.
        let pos = self.awaiting.iter().rposition(|(c, k)| {
            *c == call
                && match what {
                    "mic" => matches!(k, Awaited::Mic),
                    "sdp" => matches!(k, Awaited::Sdp(_)),
                    "failanswer" => false,
                    _ => true,
                }
        });
        if let Some(p) = pos {
            self.awaiting.remove(p);
        }
        match (what, sdp) {
            ("mic", _) => self.api(format!("ua.media_mic_ready(NOW, {call});"), move |ua, now| {
                ua.media_mic_ready(now, call)
            }),
            ("sdp", Some((sdp, _))) => {
                let code = format!("ua.media_local_sdp(NOW, {call}, {sdp:?});");
                self.api(code, move |ua, now| ua.media_local_sdp(now, call, &sdp))
            }
            ("failmic", _) => self.api(
                format!("ua.media_failed(NOW, {call}, MediaFailure::Microphone(\"NotAllowedError\".into()));"),
                move |ua, now| ua.media_failed(now, call, MediaFailure::Microphone("NotAllowedError".into())),
            ),
            ("failanswer", _) => self.api(
                format!("ua.media_failed(NOW, {call}, MediaFailure::Answer(\"InvalidAccessError\".into()));"),
                move |ua, now| ua.media_failed(now, call, MediaFailure::Answer("InvalidAccessError".into())),
            ),
            _ => self.api(
                format!("ua.media_failed(NOW, {call}, MediaFailure::Negotiation(\"InvalidAccessError\".into()));"),
                move |ua, now| ua.media_failed(now, call, MediaFailure::Negotiation("InvalidAccessError".into())),
            ),
        }
    }

    fn act(&mut self, a: &Action) {
        if a.is_frame() {
            if !self.checker.transport_open() {
                return;
            }
            if let Some(text) = self.frame_text(a) {
                self.frame(text);
            }
            return;
        }
        match a {
            Action::Register => self.api("ua.register(NOW);".into(), |ua, now| ua.register(now)),
            Action::Unregister => self.api("ua.unregister(NOW);".into(), |ua, now| ua.unregister(now)),
            Action::CheckLink => self.api("ua.check_link(NOW);".into(), |ua, now| ua.check_link(now)),
            Action::Keepalive(ms) => {
                let ms = *ms;
                self.api(format!("ua.set_keepalive_interval(NOW, {ms});"), move |ua, now| {
                    ua.set_keepalive_interval(now, ms)
                })
            }
            Action::Answer(h) => {
                let h = self.handle(*h);
                self.api(format!("let _ = ua.answer(NOW, {h});"), move |ua, now| {
                    let _ = ua.answer(now, h);
                })
            }
            Action::Hangup(h) => {
                let h = self.handle(*h);
                self.api(format!("let _ = ua.hangup(NOW, {h});"), move |ua, now| {
                    let _ = ua.hangup(now, h);
                })
            }
            Action::Hold(h, on) => {
                let (h, on) = (self.handle(*h), *on);
                self.api(format!("let _ = ua.hold(NOW, {h}, {on});"), move |ua, now| {
                    let _ = ua.hold(now, h, on);
                })
            }
            Action::Dtmf(h, d) => {
                let (h, d) = (self.handle(*h), *d);
                self.api(
                    format!("let _ = ua.send_info_dtmf(NOW, {h}, {d:?});"),
                    move |ua, now| {
                        let _ = ua.send_info_dtmf(now, h, d);
                    },
                )
            }
            Action::RestartIce(h) => {
                let h = self.handle(*h);
                self.api(format!("let _ = ua.restart_ice(NOW, {h});"), move |ua, now| {
                    let _ = ua.restart_ice(now, h);
                })
            }
            Action::MakeCall(i) => {
                let target = TARGETS[*i as usize % TARGETS.len()];
                self.api(format!("let _ = ua.make_call(NOW, {target:?});"), move |ua, now| {
                    let _ = ua.make_call(now, target);
                })
            }
            Action::Media(sel, result) => self.media_result(*sel, *result),
            Action::MediaState(h, kind, state) => {
                let h = self.handle(*h);
                let kind = ["ice_connection", "connection", "ice_gathering", "x"][*kind as usize % 4];
                let state = [
                    "failed",
                    "failed",
                    "connected",
                    "disconnected",
                    "checking",
                    "closed",
                    "complete",
                    "",
                ][*state as usize % 8];
                self.api(
                    format!("ua.media_state(NOW, {h}, {kind:?}, {state:?});"),
                    move |ua, now| ua.media_state(now, h, kind, state),
                )
            }
            // A socket opens only when one is being opened, and closes only when there is one.
            Action::Open if self.checker.transport_connecting() => self.open(),
            Action::Close if self.checker.transport_open() || self.checker.transport_connecting() => self.close(),
            Action::SpuriousOpen => self.open(),
            Action::SpuriousClose => self.close(),
            Action::Advance(ms) => {
                let target = self.now + ms;
                let mut fired = 0;
                while let Some(t) = self.ua.poll_timeout().filter(|t| *t <= target) {
                    if self.dead || fired >= MAX_FIRES {
                        break;
                    }
                    fired += 1;
                    self.now = self.now.max(t);
                    self.timeout();
                    self.settle_now();
                }
                self.now = target;
            }
            Action::Sleep(ms) => {
                self.now += ms;
            }
            _ => {}
        }
        self.settle_now();
    }

    fn open(&mut self) {
        self.step(
            Stimulus::Open,
            |now| format!("ua.handle_transport_open({now});"),
            |ua, now| ua.handle_transport_open(now),
        );
    }

    fn close(&mut self) {
        self.step(
            Stimulus::Closed,
            |now| format!("ua.handle_transport_closed({now});"),
            |ua, now| ua.handle_transport_closed(now),
        );
    }

    /// The end: a working driver answers what waits for it and opens the socket the UA asks
    /// for, the app hangs up what is left, the far end stays silent, and ten minutes pass.
    fn finish(&mut self) {
        self.note(|| "// --- the end: a cooperative driver, hang up, ten minutes ---".into());
        self.settle_now();
        let end = self.now + SETTLE_MS;
        let mut hung_up = false;
        for round in 0..3_000 {
            if self.dead {
                break;
            }
            if self.checker.transport_connecting() {
                self.open();
                continue;
            }
            if let Some((call, kind)) = self.awaiting.pop() {
                match kind {
                    Awaited::Mic => self.api(format!("ua.media_mic_ready(NOW, {call});"), move |ua, now| {
                        ua.media_mic_ready(now, call)
                    }),
                    Awaited::Sdp(dir) => {
                        let sdp = local_sdp(3, dir);
                        let code = format!("ua.media_local_sdp(NOW, {call}, {sdp:?});");
                        self.api(code, move |ua, now| ua.media_local_sdp(now, call, &sdp))
                    }
                    Awaited::Answer => {}
                }
                self.settle_now();
                continue;
            }
            if !hung_up {
                hung_up = true;
                if let Some((call, _)) = self.ua.current_call() {
                    self.api(format!("let _ = ua.hangup(NOW, {call});"), move |ua, now| {
                        let _ = ua.hangup(now, call);
                    });
                    self.settle_now();
                    continue;
                }
            }
            match self.ua.poll_timeout() {
                Some(t) if t <= end => {
                    // Timers that fire very often (a 1 ms keep-alive) must not keep the
                    // ten minutes from passing: late on, time moves at least 5 s a step.
                    let floor = if round > 1_500 { self.now + 5_000 } else { 0 };
                    self.now = self.now.max(t).max(floor.min(end));
                    self.timeout();
                    self.settle_now();
                }
                _ => break,
            }
        }
        self.now = self.now.max(end);
        if !self.dead {
            self.checker.finish();
        }
    }
}

/// Runs `actions` on a fresh UA whose seed, clock and server follow from `seed`.
pub fn run(seed: u64, actions: &[Action], record: bool) -> Outcome {
    run_with(seed, actions, record, false)
}

/// `run`, also noting what the UA did (`Outcome::coverage`).
pub fn run_with(seed: u64, actions: &[Action], record: bool, coverage: bool) -> Outcome {
    install_hook();
    let mut h = Harness::new(seed, record);
    if coverage {
        h.coverage = Some(BTreeSet::new());
    }
    for a in actions {
        if h.dead {
            break;
        }
        h.act(a);
    }
    h.finish();
    let violations = h.checker.take_violations();
    Outcome {
        violations,
        inputs: h.inputs,
        transcript: h.transcript.unwrap_or_default(),
        coverage: h.coverage.unwrap_or_default(),
    }
}
