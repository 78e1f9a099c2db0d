//! Protocol invariants over what one `UserAgent` is given and what it emits.
//!
//! The checker is a pure observer: the harness tells it each input (a frame from the far end,
//! a transport event, anything else) and then every output that input produced, in order; at
//! the end of a sequence [`Checker::finish`] runs the checks that need "eventually".
//!
//! Each check is written so legal behaviour cannot trip it, whatever the far end sends:
//! obligations ("must answer", "must ACK") arise only from well-formed messages and lapse when
//! the RFC lets the transaction lapse (Timer B/F/H/L = 64·T1, transport failure, §9.1 CANCEL
//! give-up); a far end that reuses a transaction's key for a different message voids the
//! checks on that transaction. References are to RFC 3261 unless said otherwise; RFC 6026
//! amends §17 (the INVITE server transaction absorbs retransmissions for 64·T1 after a 2xx).

use sip_core::message::{HeaderAccess, Message, Method, Request, Response};
use sip_core::{CallEvent, Event, MediaCommand, Output};
use std::collections::{HashMap, HashSet};
use std::fmt;

/// 64·T1: Timers B, F, H and L, and RFC 6026's Accepted state, on any transport.
pub const TXN_LIFETIME_MS: u64 = 64 * 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// The UA panicked (debug build, overflow checks on).
    Panic,
    /// A frame the UA sent does not parse.
    Unparsable,
    /// A server transaction got two different final responses, or a provisional after its
    /// final (§17.2.1, §17.2.2; 2xx retransmissions §13.3.1.4 allowed).
    FinalResponses,
    /// A well-formed INVITE or UPDATE the UA received never got a final response (§13.3.1,
    /// §8.2.6, RFC 3311 §5.2).
    Unanswered,
    /// A 2xx to an INVITE of ours was not ACKed, or not on its own dialog (§13.2.2.4).
    Ack,
    /// A new request of ours did not have a CSeq above the last in its dialog (§12.2.1.1),
    /// or reused a branch (§8.1.1.7).
    CSeq,
    /// A REGISTER went out while another was in flight (§10.2).
    Register,
    /// Call events: one Ended per call that started, nothing after it, no unknown handles.
    CallEvents,
    /// Media commands: one Close per call that had media, nothing after it, no unknown handles.
    MediaClose,
    /// A frame handed to a transport that is not open: the driver cannot send it.
    SentWhileClosed,
    /// The app wants to be registered, the link is up, and no REGISTER, refresh or retry is
    /// under way (`UserAgent::registration_stalled`): the agent would silently miss calls.
    RegistrationStalled,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Panic => "never a panic",
            Kind::Unparsable => "every sent frame parses",
            Kind::FinalResponses => "one final response per server transaction",
            Kind::Unanswered => "every INVITE/UPDATE gets a final response",
            Kind::Ack => "an ACK for every 2xx to our INVITE, on that 2xx's dialog",
            Kind::CSeq => "local CSeq strictly increasing per dialog",
            Kind::Register => "at most one REGISTER in flight",
            Kind::CallEvents => "exactly one Ended per call, nothing after it",
            Kind::MediaClose => "every media Close matched to a call",
            Kind::SentWhileClosed => "nothing sent while the transport is not open",
            Kind::RegistrationStalled => "a wanted registration is never left idle",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub kind: Kind,
    /// Short and stable across runs: what deduplicates violations and steers shrinking.
    pub sig: String,
    /// The specifics of this occurrence.
    pub detail: String,
    /// Index of the input during which it showed (`usize::MAX`: at the end).
    pub input: usize,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}: {}", self.kind.name(), self.sig, self.detail)
    }
}

/// What the harness is about to do to the UA.
#[derive(Debug, Clone, Copy)]
pub enum Stimulus<'a> {
    /// `handle_text` with this frame (`None`: it does not parse).
    Frame(&'a str, Option<&'a Message>),
    /// `handle_transport_open`.
    Open,
    /// `handle_transport_closed`.
    Closed,
    /// Anything else: API calls, media results, `handle_timeout`.
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    Closed,
    Connecting,
    Open,
}

/// A server transaction, keyed as §17.2.3 matches requests to it, from what a response copies
/// from its request: the top Via's branch and sent-by and the method (CSeq's); for a branch
/// without the RFC 3261 magic cookie (RFC 2543 peers), Call-ID, From tag, CSeq and the Via.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct TxnKey {
    branch: String,
    sent_by: String,
    method: String,
    /// RFC 2543 matching only (empty otherwise).
    call_id: String,
    from_tag: String,
    seq: u32,
}

impl TxnKey {
    fn of(m: &impl HeaderAccess) -> Option<TxnKey> {
        let via = m.top_via()?;
        let cseq = m.cseq()?;
        let branch = via.branch().unwrap_or("").to_string();
        let mut key = TxnKey {
            sent_by: via.host.to_ascii_lowercase(),
            method: cseq.method.to_string(),
            call_id: String::new(),
            from_tag: String::new(),
            seq: 0,
            branch,
        };
        if !key.branch.starts_with("z9hG4bK") {
            key.call_id = m.call_id()?.to_string();
            key.from_tag = m.from_addr()?.tag().unwrap_or("").to_string();
            key.seq = cseq.seq;
        }
        Some(key)
    }
}

#[derive(Debug)]
struct ServerTxn {
    method: Method,
    /// The request as received: a different message under the same key voids the checks.
    text: String,
    epoch: u64,
    input: usize,
    /// The first final response: status, To tag, when.
    final_: Option<(u16, String, u64)>,
    /// When the transaction ends once answered (Timer H/L, or Timer J = 0 on a reliable
    /// transport, or the ACK of a non-2xx).
    dead_at: Option<u64>,
    ambiguous: bool,
    /// A copy of a request whose transaction had already ended: it may be absorbed silently.
    reborn: bool,
    in_dialog: bool,
}

#[derive(Debug)]
struct ClientInvite {
    call_id: String,
    from_tag: String,
    seq: u32,
    sent_at: u64,
    epoch: u64,
    any_response: bool,
    cancel_at: Option<u64>,
    first_2xx_at: Option<u64>,
    failed: bool,
    terminated: bool,
    /// To tags of the 2xx seen so far (a fork each).
    tags_2xx: Vec<String>,
}

#[derive(Debug)]
struct Obligation {
    call_id: String,
    seq: u32,
    to_tag: String,
    invite_branch: String,
    at_input: usize,
    epoch: u64,
    retransmission: bool,
    forked: bool,
}

#[derive(Debug)]
struct SentAck {
    call_id: String,
    seq: u32,
    to_tag: String,
    branch: String,
    input: usize,
}

#[derive(Debug)]
struct RegisterTxn {
    branch: String,
    sent_at: u64,
    epoch: u64,
    done: bool,
}

#[derive(Debug, Default)]
struct CallLife {
    ended: bool,
    had_media: bool,
    closed: bool,
}

pub struct Checker {
    now: u64,
    input: usize,
    link: Link,
    /// Increments each time the transport goes away: transactions do not survive it.
    epoch: u64,
    server: HashMap<TxnKey, ServerTxn>,
    invites: HashMap<String, ClientInvite>,
    obligations: Vec<Obligation>,
    acks: Vec<SentAck>,
    /// Highest CSeq per (Call-ID, local tag, remote tag) of our new requests.
    cseqs: HashMap<(String, String, String), u32>,
    /// Highest CSeq of our dialog-creating INVITEs per (Call-ID, local tag): where the
    /// dialogs they create start (§12.1.2).
    invite_floor: HashMap<(String, String), u32>,
    /// Branch of every new request of ours: (method, CSeq).
    branches: HashMap<String, (String, u32)>,
    registers: Vec<RegisterTxn>,
    calls: HashMap<u32, CallLife>,
    /// Media commands of the current input, checked once all its outputs are in (a call's
    /// first media command may precede its Dialing event).
    step_media: Vec<(u32, bool, String)>,
    seen: HashSet<(Kind, String)>,
    violations: Vec<Violation>,
    /// The current input is a frame that does not parse.
    unparsable_input: bool,
    check_sent_while_closed: bool,
}

impl Default for Checker {
    fn default() -> Self {
        Self::new()
    }
}

fn tag(a: Option<sip_core::message::Address>) -> String {
    a.and_then(|a| a.tag().map(str::to_string)).unwrap_or_default()
}

fn describe(m: &Message) -> String {
    match m {
        Message::Request(r) => format!("{} (CSeq {})", r.method, r.headers.get("CSeq").unwrap_or("?")),
        Message::Response(r) => format!("{} to {}", r.status, r.headers.get("CSeq").unwrap_or("?")),
    }
}

impl Checker {
    pub fn new() -> Checker {
        Checker {
            now: 0,
            input: 0,
            link: Link::Closed,
            epoch: 0,
            server: HashMap::new(),
            invites: HashMap::new(),
            obligations: Vec::new(),
            acks: Vec::new(),
            cseqs: HashMap::new(),
            invite_floor: HashMap::new(),
            branches: HashMap::new(),
            registers: Vec::new(),
            calls: HashMap::new(),
            step_media: Vec::new(),
            seen: HashSet::new(),
            violations: Vec::new(),
            unparsable_input: false,
            check_sent_while_closed: true,
        }
    }

    /// Also check that nothing is sent while the transport is not open (the driver would lose
    /// it: the UA holds such frames for the next link, held.rs). On by default.
    pub fn checking_sent_while_closed(mut self) -> Checker {
        self.check_sent_while_closed = true;
        self
    }

    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    pub fn take_violations(&mut self) -> Vec<Violation> {
        std::mem::take(&mut self.violations)
    }

    /// Whether the driver's socket is open: only then can frames arrive.
    pub fn transport_open(&self) -> bool {
        self.link == Link::Open
    }

    /// Whether the UA asked for a socket that has not opened yet.
    pub fn transport_connecting(&self) -> bool {
        self.link == Link::Connecting
    }

    fn violate(&mut self, kind: Kind, sig: String, detail: String) {
        // One report per (kind, sig) per sequence is enough; the first is the earliest.
        if self.seen.insert((kind, sig.clone())) {
            self.violations.push(Violation {
                kind,
                sig,
                detail,
                input: self.input,
            });
        }
    }

    /// The UA's own report, after each input, of a wanted registration with nothing under way.
    pub fn registration_stalled(&mut self) {
        self.violate(
            Kind::RegistrationStalled,
            "registration wanted, link up, nothing in flight or armed".into(),
            String::new(),
        );
    }

    pub fn panic(&mut self, message: &str) {
        let first = message.lines().next().unwrap_or("").to_string();
        // The location is stable, the message may carry values: sign with where it panicked.
        let sig = message
            .rsplit_once(" at ")
            .map_or_else(|| first.clone(), |(_, at)| at.to_string());
        self.violate(Kind::Panic, sig, message.to_string());
    }

    fn lose_transport(&mut self) {
        if self.link != Link::Closed {
            self.link = Link::Closed;
            self.epoch += 1;
        }
    }

    /// The harness is about to give the UA `stimulus` at `now`.
    pub fn input(&mut self, now: u64, stimulus: Stimulus) {
        self.end_step();
        self.input += 1;
        self.now = now;
        self.unparsable_input = matches!(stimulus, Stimulus::Frame(_, None));
        match stimulus {
            Stimulus::Open => {
                if self.link == Link::Connecting {
                    self.link = Link::Open;
                }
            }
            Stimulus::Closed => self.lose_transport(),
            Stimulus::Frame(_, Some(Message::Request(req))) => self.received_request(req),
            Stimulus::Frame(_, Some(Message::Response(resp))) => self.received_response(resp),
            Stimulus::Frame(_, None) | Stimulus::Other => {}
        }
    }

    /// One output of the UA, with the frame parsed when it is a SIP message.
    pub fn output(&mut self, out: &Output, parsed: Option<&Message>) {
        match out {
            Output::Connect { .. } => {
                if self.link != Link::Closed {
                    self.lose_transport();
                }
                self.link = Link::Connecting;
            }
            Output::Close => self.lose_transport(),
            Output::Send(text) => self.sent(text, parsed),
            Output::Event(e) => self.event(e),
            Output::Media(m) => self.media(m),
            _ => {}
        }
    }

    fn sent(&mut self, text: &str, parsed: Option<&Message>) {
        let keepalive = text == "\r\n\r\n" || text == "\r\n";
        if self.link != Link::Open && self.check_sent_while_closed {
            let what = match parsed {
                Some(Message::Request(r)) => r.method.to_string(),
                Some(Message::Response(r)) => {
                    format!("{} to {}", r.status, r.cseq().map_or("?", |c| c.method))
                }
                None if keepalive => "keep-alive".to_string(),
                None => "frame".to_string(),
            };
            let state = if self.link == Link::Connecting {
                "connecting"
            } else {
                "closed"
            };
            self.violate(
                Kind::SentWhileClosed,
                format!("{what} sent while the transport is {state}"),
                format!("{:?}", text.lines().next().unwrap_or("")),
            );
        }
        if keepalive {
            return;
        }
        match parsed {
            None => self.violate(Kind::Unparsable, "unparsable frame".into(), format!("{text:?}")),
            Some(Message::Request(r)) => self.sent_request(r),
            Some(Message::Response(r)) => self.sent_response(r),
        }
    }

    // ---------------------------------------------------------------------------------------
    // Server side: what the far end asked, and what the UA answered.

    fn received_request(&mut self, req: &Request) {
        if req.method == Method::Ack {
            // The ACK of a non-2xx final ends the INVITE server transaction (§17.2.1; Timer I
            // is 0 on a reliable transport). It carries the INVITE's branch and CSeq number.
            if let Some(mut key) = TxnKey::of(req) {
                key.method = "INVITE".into();
                let now = self.now;
                if let Some(t) = self.server.get_mut(&key) {
                    if t.final_.as_ref().is_some_and(|f| f.0 >= 300) {
                        t.dead_at = Some(t.dead_at.map_or(now, |d| d.min(now)));
                    }
                }
            }
            return;
        }
        let Some(key) = TxnKey::of(req) else { return };
        let text = req.to_string();
        // §8.1.1: the mandatory headers. Without them there is nothing to answer along; but a
        // broken copy under the key of a transaction voids the checks on that transaction.
        let well_formed = req.top_via().is_some()
            && req.call_id().is_some()
            && req.cseq().is_some()
            && req.from_addr().is_some()
            && req.to_addr().is_some();
        if !well_formed {
            if let Some(t) = self.server.get_mut(&key) {
                t.ambiguous |= t.text != text;
            }
            return;
        }
        let fresh = ServerTxn {
            method: req.method.clone(),
            text,
            epoch: self.epoch,
            input: self.input,
            final_: None,
            dead_at: None,
            ambiguous: false,
            reborn: false,
            in_dialog: req.to_addr().is_some_and(|a| a.tag().is_some()),
        };
        match self.server.get_mut(&key) {
            None => {
                self.server.insert(key, fresh);
            }
            Some(t) if t.dead_at.is_some_and(|d| d <= self.now) => {
                // Its transaction is over: to the UA this is a new request, answered or absorbed.
                *t = ServerTxn { reborn: true, ..fresh };
            }
            Some(t) => {
                // A retransmission, unless the far end reused the key for another message.
                if t.text != fresh.text {
                    t.ambiguous = true;
                }
            }
        }
    }

    fn sent_response(&mut self, resp: &Response) {
        let Some(key) = TxnKey::of(resp) else { return };
        let now = self.now;
        let to_tag = tag(resp.to_addr());
        let Some(t) = self.server.get_mut(&key) else { return };
        if self.unparsable_input {
            // The UA salvaged a frame that does not parse (to answer it 400): a broken copy
            // under this transaction's key, so no verdict on the transaction.
            t.ambiguous = true;
        }
        if t.ambiguous {
            return;
        }
        let method = t.method.to_string();
        match &t.final_ {
            Some((status, first_tag, at)) => {
                let same = resp.status == *status && to_tag == *first_tag;
                if !same {
                    let (status, at) = (*status, *at);
                    let sig = if resp.status < 200 {
                        format!("{method}: {} after final {status}", resp.status)
                    } else if resp.status == status {
                        format!("{method}: final {status} again with another To tag")
                    } else {
                        format!("{method}: final {status} then {}", resp.status)
                    };
                    let detail = format!(
                        "{key:?}: final {status} at {at} ms, then {} {} at {now} ms",
                        resp.status, resp.reason
                    );
                    self.violate(Kind::FinalResponses, sig, detail);
                }
            }
            None if resp.status >= 200 => {
                let lifetime = if t.method == Method::Invite {
                    TXN_LIFETIME_MS
                } else {
                    0 // Timer J is 0 on a reliable transport (§17.2.2)
                };
                t.final_ = Some((resp.status, to_tag, now));
                t.dead_at = Some(now + lifetime);
            }
            None => {}
        }
    }

    // ---------------------------------------------------------------------------------------
    // Client side: what the UA asked, and what came back.

    fn sent_request(&mut self, req: &Request) {
        let branch = req
            .top_via()
            .and_then(|v| v.branch().map(str::to_string))
            .unwrap_or_default();
        let call_id = req.call_id().unwrap_or("").to_string();
        let seq = req.cseq().map_or(0, |c| c.seq);
        let from_tag = tag(req.from_addr());
        let to_tag = tag(req.to_addr());
        match req.method {
            Method::Ack => {
                self.acks.push(SentAck {
                    call_id,
                    seq,
                    to_tag,
                    branch,
                    input: self.input,
                });
                return;
            }
            Method::Cancel => {
                if let Some(ci) = self.invites.get_mut(&branch) {
                    ci.cancel_at.get_or_insert(self.now);
                }
                return;
            }
            _ => {}
        }
        // §8.1.1.7: a branch is unique per request (CANCEL and non-2xx ACK aside); the same
        // branch again is a retransmission, so it must be the same request.
        let method = req.method.to_string();
        if let Some((m, s)) = self.branches.get(&branch) {
            if *m != method || *s != seq {
                let (m, s) = (m.clone(), *s);
                self.violate(
                    Kind::CSeq,
                    format!("{method} reuses the branch of a {m}"),
                    format!("branch {branch}: {m} {s}, then {method} {seq}"),
                );
            }
            return;
        }
        self.branches.insert(branch.clone(), (method.clone(), seq));
        // §12.2.1.1: strictly increasing within a dialog. A dialog's first request of ours
        // continues from the INVITE that created it (§12.1.2: the INVITE's CSeq), which went
        // out with no To tag.
        let key = (call_id.clone(), from_tag.clone(), to_tag.clone());
        let last = match self.cseqs.get(&key) {
            Some(l) => Some(*l),
            None if !to_tag.is_empty() => self.invite_floor.get(&(call_id.clone(), from_tag.clone())).copied(),
            None => None,
        };
        if let Some(last) = last {
            if seq <= last {
                self.violate(
                    Kind::CSeq,
                    format!("{method} with CSeq not above the dialog's last"),
                    format!("Call-ID {call_id} tags {from_tag}/{to_tag}: {method} {seq} after {last}"),
                );
            }
        }
        let e = self.cseqs.entry(key).or_insert(seq);
        *e = (*e).max(seq);
        if req.method == Method::Invite && to_tag.is_empty() {
            let f = self
                .invite_floor
                .entry((call_id.clone(), from_tag.clone()))
                .or_insert(seq);
            *f = (*f).max(seq);
        }
        match req.method {
            Method::Invite => {
                self.invites.insert(
                    branch,
                    ClientInvite {
                        call_id,
                        from_tag,
                        seq,
                        sent_at: self.now,
                        epoch: self.epoch,
                        any_response: false,
                        cancel_at: None,
                        first_2xx_at: None,
                        failed: false,
                        terminated: false,
                        tags_2xx: Vec::new(),
                    },
                );
            }
            Method::Register => {
                let now = self.now;
                let epoch = self.epoch;
                if let Some(prev) = self
                    .registers
                    .iter()
                    .find(|r| !r.done && r.epoch == epoch && now < r.sent_at + TXN_LIFETIME_MS)
                {
                    let detail = format!(
                        "REGISTER (branch {branch}) at {now} ms while the one sent at {} ms (branch {}) has no final response",
                        prev.sent_at, prev.branch
                    );
                    self.violate(Kind::Register, "second REGISTER in flight".into(), detail);
                }
                self.registers.push(RegisterTxn {
                    branch,
                    sent_at: now,
                    epoch,
                    done: false,
                });
            }
            _ => {}
        }
    }

    fn received_response(&mut self, resp: &Response) {
        let Some(cseq) = resp.cseq() else { return };
        let Some(branch) = resp.top_via().and_then(|v| v.branch().map(str::to_string)) else {
            return;
        };
        // §17.1.3: a response matches a client transaction by branch and CSeq method.
        if cseq.method == "REGISTER" && resp.status >= 200 {
            for r in self.registers.iter_mut().filter(|r| r.branch == branch) {
                r.done = true;
            }
        }
        if cseq.method != "INVITE" {
            return;
        }
        let now = self.now;
        let epoch = self.epoch;
        let Some(ci) = self.invites.get_mut(&branch) else {
            return;
        };
        // Is the INVITE client transaction still there to pass this 2xx up? Not after Timer B
        // (no response in 64·T1), a non-2xx final, 64·T1 after a CANCEL with no final (§9.1),
        // 64·T1 after the first 2xx (RFC 6026 Accepted), or the loss of the transport.
        let alive = ci.epoch == epoch
            && !ci.terminated
            && !ci.failed
            && (ci.any_response || now < ci.sent_at + TXN_LIFETIME_MS)
            && ci.cancel_at.is_none_or(|c| now < c + TXN_LIFETIME_MS)
            && ci.first_2xx_at.is_none_or(|t| now < t + TXN_LIFETIME_MS);
        if !alive {
            ci.terminated = true; // a transaction that ended stays ended
        }
        ci.any_response = true;
        if resp.status >= 300 {
            ci.failed = true;
        }
        if !(200..300).contains(&resp.status) {
            return;
        }
        ci.first_2xx_at.get_or_insert(now);
        let to_tag = tag(resp.to_addr());
        let retransmission = ci.tags_2xx.contains(&to_tag);
        let forked = ci.tags_2xx.iter().any(|t| *t != to_tag);
        if !retransmission {
            ci.tags_2xx.push(to_tag.clone());
        }
        // What makes a 2xx usable (§13.2.2.4, §12.1.2): ours (Call-ID, From tag, CSeq), a To
        // tag and a Contact.
        let usable = alive
            && resp.call_id() == Some(ci.call_id.as_str())
            && cseq.seq == ci.seq
            && tag(resp.from_addr()) == ci.from_tag
            && !to_tag.is_empty()
            && !resp.contacts().is_empty();
        if !usable {
            return;
        }
        let call_id = ci.call_id.clone();
        let seq = ci.seq;
        self.obligations.push(Obligation {
            call_id,
            seq,
            to_tag,
            invite_branch: branch,
            at_input: self.input,
            epoch,
            retransmission,
            forked,
        });
    }

    // ---------------------------------------------------------------------------------------
    // Calls and media.

    fn event(&mut self, e: &Event) {
        let (handle, what) = match e {
            Event::Call(CallEvent::Incoming(i)) => (i.call, "Incoming"),
            Event::Call(CallEvent::Dialing { call, .. }) => (*call, "Dialing"),
            Event::Call(CallEvent::Ended { call, .. }) => (*call, "Ended"),
            Event::Call(CallEvent::Ringing { call }) => (*call, "Ringing"),
            Event::Call(CallEvent::EarlyMedia { call }) => (*call, "EarlyMedia"),
            Event::Call(CallEvent::Accepted { call }) => (*call, "Accepted"),
            Event::Call(CallEvent::HoldChanged { call, .. }) => (*call, "HoldChanged"),
            Event::Call(CallEvent::HoldFailed { call, .. }) => (*call, "HoldFailed"),
            Event::Call(CallEvent::RemoteHold { call, .. }) => (*call, "RemoteHold"),
            Event::Call(CallEvent::Connected { call }) => (*call, "Connected"),
            Event::CallMedia { call, .. } => (*call, "CallMedia"),
            _ => return,
        };
        match what {
            "Incoming" | "Dialing" => {
                if self.calls.contains_key(&handle) {
                    self.violate(
                        Kind::CallEvents,
                        format!("{what} for a handle already used"),
                        format!("call {handle}"),
                    );
                }
                self.calls.insert(handle, CallLife::default());
            }
            "Ended" => match self.calls.get_mut(&handle) {
                None => self.violate(
                    Kind::CallEvents,
                    "Ended for a call that never started".into(),
                    format!("call {handle}"),
                ),
                Some(c) if c.ended => self.violate(
                    Kind::CallEvents,
                    "second Ended for a call".into(),
                    format!("call {handle}: {e:?}"),
                ),
                Some(c) => c.ended = true,
            },
            _ => match self.calls.get(&handle) {
                None => self.violate(
                    Kind::CallEvents,
                    format!("{what} for a call that never started"),
                    format!("call {handle}"),
                ),
                Some(c) if c.ended => self.violate(
                    Kind::CallEvents,
                    format!("{what} after Ended"),
                    format!("call {handle}: {e:?}"),
                ),
                Some(_) => {}
            },
        }
    }

    fn media(&mut self, m: &MediaCommand) {
        let (handle, close) = match m {
            MediaCommand::Close { call } => (*call, true),
            MediaCommand::AcquireMic { call }
            | MediaCommand::AcceptOffer { call, .. }
            | MediaCommand::CreateOffer { call }
            | MediaCommand::ApplyAnswer { call, .. }
            | MediaCommand::Reoffer { call, .. }
            | MediaCommand::AnswerReoffer { call, .. }
            | MediaCommand::Rollback { call, .. } => (*call, false),
            // Commands added later (the API may grow) are not checked.
            #[allow(unreachable_patterns)]
            _ => return,
        };
        if self.calls.contains_key(&handle) {
            self.apply_media(handle, close, &format!("{m:?}"));
        } else {
            // A call's first media command may come before its Dialing event: decide once
            // the input's outputs are all in.
            self.step_media.push((handle, close, format!("{m:?}")));
        }
    }

    fn apply_media(&mut self, handle: u32, close: bool, what: &str) {
        let Some(c) = self.calls.get_mut(&handle) else {
            let sig = if close {
                "media Close for a call that never started"
            } else {
                "media command for a call that never started"
            };
            self.violate(Kind::MediaClose, sig.into(), format!("call {handle}: {what}"));
            return;
        };
        let was_closed = c.closed;
        if close {
            c.closed = true;
        } else {
            c.had_media = true;
        }
        if was_closed {
            let sig = if close {
                "second media Close for a call"
            } else {
                "media command after Close"
            };
            self.violate(Kind::MediaClose, sig.into(), format!("call {handle}: {what}"));
        }
    }

    /// Media commands of the input just finished whose call was not known when they came.
    fn end_step(&mut self) {
        for (handle, close, what) in std::mem::take(&mut self.step_media) {
            self.apply_media(handle, close, &what);
        }
    }

    /// The end of the sequence, after the harness let time run far past every timer with a
    /// cooperative driver and hung up what was left: checks that needed "eventually".
    pub fn finish(&mut self) {
        self.end_step();
        self.input = usize::MAX;
        // Every well-formed INVITE/UPDATE got a final response, unless the transport failed
        // first (the response then has no flow to go back on) or it was a late copy.
        let mut unanswered: Vec<(usize, String, String)> = self
            .server
            .iter()
            .filter(|(_, t)| matches!(t.method, Method::Invite | Method::Update))
            .filter(|(_, t)| t.final_.is_none() && !t.ambiguous && !t.reborn && t.epoch == self.epoch)
            .map(|(k, t)| {
                let dialog = if t.in_dialog { "in-dialog " } else { "" };
                (
                    t.input,
                    format!("{dialog}{} never got a final response", t.method),
                    format!("{k:?} received at input {}", t.input),
                )
            })
            .collect();
        unanswered.sort();
        for (_, sig, detail) in unanswered {
            self.violate(Kind::Unanswered, sig, detail);
        }
        // An ACK for every 2xx, on the 2xx's dialog (its To tag), as a new transaction.
        let mut used = vec![false; self.acks.len()];
        let obligations = std::mem::take(&mut self.obligations);
        for o in &obligations {
            let found = self.acks.iter().enumerate().position(|(i, a)| {
                !used[i]
                    && a.call_id == o.call_id
                    && a.seq == o.seq
                    && a.to_tag == o.to_tag
                    && a.input >= o.at_input
                    && a.branch != o.invite_branch
            });
            if let Some(i) = found {
                used[i] = true;
                continue;
            }
            if o.epoch != self.epoch {
                continue; // the transport failed: the ACK had no flow left to go on
            }
            let elsewhere = self
                .acks
                .iter()
                .any(|a| a.call_id == o.call_id && a.seq == o.seq && a.to_tag != o.to_tag && a.input >= o.at_input);
            let same_branch = self.acks.iter().any(|a| {
                a.call_id == o.call_id && a.seq == o.seq && a.to_tag == o.to_tag && a.branch == o.invite_branch
            });
            let what = if o.retransmission {
                "retransmitted 2xx"
            } else if o.forked {
                "2xx of a second fork"
            } else {
                "2xx"
            };
            let how = if elsewhere {
                "ACKed on another dialog only"
            } else if same_branch {
                "ACKed on the INVITE's branch (a non-2xx ACK)"
            } else {
                "never ACKed"
            };
            self.violate(
                Kind::Ack,
                format!("{what} {how}"),
                format!(
                    "Call-ID {} CSeq {} To tag {} received at input {}",
                    o.call_id, o.seq, o.to_tag, o.at_input
                ),
            );
        }
        self.obligations = obligations;
        // Calls: each that started has ended; each that had media has released it.
        let mut handles: Vec<u32> = self.calls.keys().copied().collect();
        handles.sort();
        for h in handles {
            let c = &self.calls[&h];
            let (ended, had_media, closed) = (c.ended, c.had_media, c.closed);
            if !ended {
                self.violate(
                    Kind::CallEvents,
                    "call never ended".into(),
                    format!("call {h} has no Ended after hangup and 10 minutes"),
                );
            }
            if had_media && !closed {
                self.violate(
                    Kind::MediaClose,
                    "media of a call never closed".into(),
                    format!("call {h} (ended: {ended})"),
                );
            }
        }
    }
}

/// For reports: one line per message.
pub fn summary(m: &Message) -> String {
    describe(m)
}
