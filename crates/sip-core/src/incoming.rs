//! An incoming call until it is answered: the INVITE server transaction (RFC 3261 §17.2.1
//! on a reliable transport), its early dialog, reliable provisional responses (RFC 3262), and
//! the media steps between "answer" and the 200 OK. From the 200 on, the call's `Session`
//! (session.rs) handles the dialog, the same machine an outgoing call uses.

use crate::aftermath::{Aftermath, Replies, Reply};
use crate::body;
use crate::call::{
    reply, send_response, CallError, CallEvent, CallHandle, EndReason, IncomingCall, MediaCommand, MediaFailure, Next,
    NO_ANSWER_MS,
};
use crate::credentials::Credentials;
use crate::dialog::Dialog;
use crate::extensions::{self, supported};
use crate::message::{HeaderAccess, Headers, Method, Request, Response};
use crate::reply::response_for;
use crate::resend::{Resend, Tick};
use crate::sdp;
use crate::session::{Session, SessionStart};
use crate::timer;
use crate::ua::{Ctx, Event, Level, Output, ALLOW};

#[derive(Debug)]
enum State {
    Ringing,
    AcquiringMic,
    /// The driver is making our answer (the INVITE had an offer) or our offer (it had none).
    Negotiating,
    /// Our 200 is ready, but our reliable 180 still waits for its PRACK (RFC 3262 §3).
    AwaitingPrack {
        sdp: String,
    },
    /// The 200 went out: the session has the call.
    Answered,
}

/// Our reliable 180 (RFC 3262 §3), re-sent with T1 doubling until its PRACK, for 64·T1.
#[derive(Debug)]
struct Reliable {
    rseq: u32,
    resend: Resend,
    acknowledged: bool,
}

#[derive(Debug)]
pub(crate) struct InboundCall {
    pub handle: CallHandle,
    state: State,
    invite: Request,
    /// The SDP offer of the INVITE; `None` for a late offer (ours goes in the 200).
    offer: Option<String>,
    /// Its server transaction (`Via::transaction_key`), empty for RFC 2543 peers.
    branch: String,
    call_id: String,
    /// The early dialog, until the 200 hands it to the session.
    early: Option<Dialog>,
    session: Option<Session>,
    /// Latest response sent to the INVITE, re-sent if the INVITE is retransmitted.
    last_response: String,
    ring_deadline: u64,
    /// The final status when `ring_deadline` passes: 480 for our no-answer limit, 487 when the
    /// INVITE's own Expires lapsed (§13.3.1).
    ring_status: u16,
    reliable: Option<Reliable>,
    timer: Option<timer::Agreed>,
    /// Our responses in the early dialog, for retransmitted requests.
    early_replies: Replies,
}

impl InboundCall {
    /// Takes a new out-of-dialog INVITE: checks what it needs of us, answers 100 at once, then
    /// 180 with our tag (reliable when the INVITE requires it). When we cannot take the call,
    /// answers with a final response and returns what the refusal leaves behind.
    pub fn accept_invite(ctx: &mut Ctx, handle: CallHandle, invite: Request) -> Result<InboundCall, Box<Aftermath>> {
        let local_tag = ctx.rng.token(10);
        let reject = |ctx: &mut Ctx, status: u16, extra: &[(&str, &str)], why: &str| {
            ctx.log(Level::Warn, &format!("{status} to an INVITE: {why}"));
            let mut resp = response_for(&invite, status, &local_tag);
            for (n, v) in extra {
                resp.headers.push(n, *v);
            }
            resp.headers.push("User-Agent", ctx.local.user_agent);
            let text = resp.to_string();
            ctx.send(&text);
            Box::new(Aftermath::refused(ctx.now, &invite, &text))
        };
        let Some(dialog) = Dialog::new_uas(&invite, &local_tag) else {
            return Err(reject(ctx, 400, &[], "no usable From, To, Call-ID or CSeq"));
        };
        // §8.2.3: a body we cannot read is 415; an Accept without SDP leaves us no answer (406).
        let offer = match body::sdp(&invite.headers, &invite.body) {
            Ok(offer) => offer,
            Err(body::Unsupported) => {
                return Err(reject(
                    ctx,
                    415,
                    &[("Accept", "application/sdp")],
                    "its body is not SDP",
                ));
            }
        };
        // §13.3.1.3: an offer we cannot answer is 488, with a Warning saying why.
        if offer.as_deref().is_some_and(|o| !sdp::offers_audio(o)) {
            return Err(reject(
                ctx,
                488,
                &[("Warning", "304 - \"no audio stream offered\"")],
                "its offer has no audio stream we could answer",
            ));
        }
        if !body::accepts_sdp(&invite.headers) {
            return Err(reject(
                ctx,
                406,
                &[("Accept", "application/sdp")],
                "it does not accept SDP",
            ));
        }
        let timer = match timer::as_uas(&invite.headers) {
            Ok(t) => t,
            Err(min) => {
                let min = min.to_string();
                return Err(reject(
                    ctx,
                    422,
                    &[("Min-SE", &min)],
                    "its Session-Expires is too brief",
                ));
            }
        };
        let branch = invite.top_via().and_then(|v| v.transaction_key()).unwrap_or_default();
        send_response(ctx, response_for(&invite, 100, &local_tag));
        let from = invite.from_addr();
        let incoming = IncomingCall {
            call: handle,
            call_id: dialog.call_id.clone(),
            from_display: from.as_ref().and_then(|f| f.display_name.clone()),
            from_user: from.as_ref().and_then(|f| f.uri.user.clone()),
            from_uri: from.map(|f| f.uri.to_string()).unwrap_or_default(),
            headers: invite
                .headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        };
        // An INVITE Expires header (§13.3.1) shortens how long we ring.
        let expires_ms = invite.header_u32("Expires").map(|s| u64::from(s) * 1000);
        let (ring_ms, ring_status) = match expires_ms {
            Some(ms) if ms < NO_ANSWER_MS => (ms, 487),
            _ => (NO_ANSWER_MS, 480),
        };
        let mut call = InboundCall {
            handle,
            state: State::Ringing,
            call_id: dialog.call_id.clone(),
            invite,
            offer,
            branch,
            early: Some(dialog),
            session: None,
            last_response: String::new(),
            ring_deadline: ctx.now + ring_ms,
            ring_status,
            reliable: None,
            timer,
            early_replies: Replies::default(),
        };
        ctx.emit(Event::Call(CallEvent::Incoming(incoming)));
        call.ring(ctx);
        ctx.emit(Event::Call(CallEvent::Ringing { call: handle }));
        Ok(call)
    }

    /// 180 Ringing: reliable when the INVITE requires 100rel (RFC 3262 §3). A late-offer INVITE
    /// that requires it gets no 180 at all: the first reliable response would have to carry
    /// our offer (RFC 3262 §5), which needs the microphone before the agent answers.
    fn ring(&mut self, ctx: &mut Ctx) {
        if !extensions::has(&self.invite.headers, "Require", "100rel") {
            self.respond(ctx, 180, None);
            return;
        }
        if self.offer.is_none() {
            ctx.log(
                Level::Info,
                "INVITE requires 100rel but carries no offer: ringing without a 180",
            );
            return;
        }
        let rseq = 1 + ctx.rng.below((1 << 31) - 1) as u32;
        let text = self.respond(ctx, 180, Some(rseq));
        self.reliable = Some(Reliable {
            rseq,
            // RFC 3262 §3 doubles without T2's cap.
            resend: Resend::new(ctx.now, text, u64::MAX),
            acknowledged: false,
        });
    }

    pub fn poll_timeout(&self) -> Option<u64> {
        if let Some(s) = &self.session {
            return s.poll_timeout();
        }
        let reliable = self
            .reliable
            .as_ref()
            .filter(|r| !r.acknowledged)
            .map(|r| r.resend.poll_timeout());
        [Some(self.ring_deadline), reliable].into_iter().flatten().min()
    }

    /// Responses to our requests in this call's dialog.
    pub fn owns_response(&self, resp: &Response) -> bool {
        let tag = self
            .session
            .as_ref()
            .map(|s| &s.dialog)
            .or(self.early.as_ref())
            .map(|d| d.local_tag.as_str());
        tag.is_some_and(|t| resp.answers_dialog_of(&self.call_id, t))
    }

    /// What the call leaves behind once ended (aftermath.rs).
    pub fn aftermath(&self, now: u64) -> Aftermath {
        let mut a = Aftermath::new(now, &self.call_id);
        if !self.last_response.is_empty() {
            a.replies.push(Reply::new(&self.invite, &self.last_response));
        }
        a.replies.extend(self.early_replies.all().cloned());
        if let Some(s) = &self.session {
            s.leave(&mut a);
        }
        a
    }

    /// The session of an answered call, for mid-call requests of ours.
    pub fn session(&mut self) -> Option<&mut Session> {
        self.session.as_mut()
    }

    pub fn is_unanswered(&self) -> bool {
        self.session.is_none()
    }

    pub fn answer(&mut self, ctx: &mut Ctx) -> Result<(), CallError> {
        if !matches!(self.state, State::Ringing) {
            return Err(CallError::WrongState("answer needs a ringing call"));
        }
        self.state = State::AcquiringMic;
        ctx.out
            .push_back(Output::Media(MediaCommand::AcquireMic { call: self.handle }));
        Ok(())
    }

    /// Hangup: reject while unanswered, BYE once answered (after the ACK, §15).
    pub fn hangup(&mut self, ctx: &mut Ctx) -> Next {
        if let Some(session) = self.session.as_mut() {
            return session.hangup(ctx);
        }
        // 486 is what 3.0.10 sends on reject; Exotel's platform treats it as "agent busy".
        self.respond(ctx, 486, None);
        Next::Ended(EndReason::LocalReject)
    }

    /// Ends the call after its path was lost too long (reconnect limit).
    pub fn abandon(&mut self, ctx: &mut Ctx) -> Next {
        if let Some(session) = self.session.as_mut() {
            if !session.is_confirmed() {
                // No BYE before the ACK (§15); the 2xx retransmissions stop with the call.
                return Next::Ended(EndReason::ConnectionLost);
            }
            session.bye(ctx, "SIP;cause=408;text=\"Connection lost\"");
            return Next::Ended(EndReason::ConnectionLost);
        }
        self.respond(ctx, 480, None);
        Next::Ended(EndReason::ConnectionLost)
    }

    pub fn on_mic_ready(&mut self, ctx: &mut Ctx) {
        if !matches!(self.state, State::AcquiringMic) {
            ctx.log(Level::Debug, "microphone result ignored: call is past that step");
            return;
        }
        self.state = State::Negotiating;
        let call = self.handle;
        let cmd = match &self.offer {
            Some(sdp) => MediaCommand::AcceptOffer { call, sdp: sdp.clone() },
            // §13.2.1: an INVITE without an offer gets ours in the 200; the ACK answers it.
            None => MediaCommand::CreateOffer { call },
        };
        ctx.out.push_back(Output::Media(cmd));
    }

    /// Our SDP: the answer to the INVITE's offer or our late offer, or a mid-call one.
    pub fn on_local_sdp(&mut self, ctx: &mut Ctx, sdp: &str) {
        if let Some(session) = self.session.as_mut() {
            if !session.on_local_sdp(ctx, sdp) {
                ctx.log(Level::Debug, "local SDP ignored: nothing waits for it");
            }
            return;
        }
        if !matches!(self.state, State::Negotiating) {
            ctx.log(Level::Debug, "local SDP ignored: call is past that step");
            return;
        }
        if self.reliable.as_ref().is_some_and(|r| !r.acknowledged) {
            // RFC 3262 §3: the 2xx waits for the PRACK of our reliable 180.
            self.state = State::AwaitingPrack { sdp: sdp.to_string() };
            return;
        }
        self.send_ok(ctx, sdp);
    }

    /// The 200 with our SDP; the session takes the dialog and waits for the ACK.
    fn send_ok(&mut self, ctx: &mut Ctx, sdp: &str) {
        let mut ok = self.response(ctx, 200, None);
        ok.headers.push("Content-Type", "application/sdp");
        ok.body = sdp.to_string();
        let text = ok.to_string();
        let Some(dialog) = self.early.take() else { return };
        ctx.send(&text);
        self.last_response = text.clone();
        let cseq = self.invite.cseq().map_or(0, |c| c.seq);
        let timer = self.timer.map(|a| (a.interval, a.refresher == timer::Refresher::Uas));
        let mut session = Session::new(
            ctx,
            SessionStart {
                handle: self.handle,
                owns_call_id: false,
                dialog,
                local_sdp: sdp,
                remote_sdp: self.offer.as_deref(),
                peer_allow: self.invite.headers.get("Allow"),
                timer,
                credentials: Credentials::default(),
                replies: self.early_replies.clone(),
            },
        );
        session.await_ack(ctx, cseq, text, self.offer.is_none());
        self.session = Some(session);
        self.state = State::Answered;
        ctx.emit(Event::Call(CallEvent::Accepted { call: self.handle }));
    }

    pub fn on_media_failed(&mut self, ctx: &mut Ctx, failure: MediaFailure) -> Next {
        if let Some(session) = self.session.as_mut() {
            return session.on_media_failed(ctx, failure);
        }
        // 3.0.10 answers 480 when the microphone fails; 488 says their offer was the problem,
        // 500 that making our own (late) offer failed.
        let status = match (&failure, &self.offer) {
            (MediaFailure::Microphone(_), _) => 480,
            (_, Some(_)) => 488,
            (_, None) => 500,
        };
        ctx.log(Level::Warn, &format!("{status} to the INVITE: {failure}"));
        self.respond(ctx, status, None);
        Next::Ended(EndReason::MediaFailed(failure))
    }

    pub fn on_response(&mut self, ctx: &mut Ctx, resp: &Response) -> Next {
        match self.session.as_mut() {
            Some(s) => s.on_response(ctx, resp),
            None => Next::Continue,
        }
    }

    pub fn on_timeout(&mut self, ctx: &mut Ctx) -> Next {
        if let Some(session) = self.session.as_mut() {
            return session.on_timeout(ctx);
        }
        let now = ctx.now;
        if self.ring_deadline <= now {
            let status = self.ring_status;
            self.respond(ctx, status, None);
            return Next::Ended(EndReason::NoAnswer);
        }
        let Some(r) = self.reliable.as_mut().filter(|r| !r.acknowledged) else {
            return Next::Continue;
        };
        match r.resend.on_timeout(now) {
            Tick::GiveUp => {
                // RFC 3262 §3: a reliable provisional never acknowledged: reject with a 5xx.
                ctx.log(Level::Warn, "no PRACK for our reliable 180 within 32 s");
                self.respond(ctx, 500, None);
                Next::Ended(EndReason::NoPrack)
            }
            Tick::Resend => {
                ctx.send(&r.resend.text);
                Next::Continue
            }
            Tick::Wait => Next::Continue,
        }
    }

    /// Whether `req` is for this call: in its dialog, or aimed at its INVITE transaction.
    pub fn owns(&self, req: &Request) -> bool {
        let in_dialog =
            self.early.as_ref().is_some_and(|d| d.matches(req)) || self.session.as_ref().is_some_and(|s| s.owns(req));
        if in_dialog {
            return true;
        }
        // §17.2.3: the INVITE's transaction (its retransmissions, its CANCEL, the ACK of a
        // non-2xx): same branch and sent-by, or for RFC 2543 peers without a branch, the same
        // CSeq number.
        let branch = req.top_via().and_then(|v| v.transaction_key()).unwrap_or_default();
        let same_cseq = req.cseq().map(|c| c.seq) == self.invite.cseq().map(|c| c.seq);
        branch == self.branch && (!branch.is_empty() || same_cseq) && req.call_id() == Some(self.call_id.as_str())
    }

    /// A request `owns` said is ours.
    pub fn on_request(&mut self, ctx: &mut Ctx, req: &Request) -> Next {
        if req.method == Method::Cancel {
            return self.on_cancel(ctx, req);
        }
        if let Some(session) = self.session.as_mut().filter(|s| s.owns(req)) {
            return session.on_request(ctx, req);
        }
        let early = self.early.as_ref().is_some_and(|d| d.matches(req));
        if !early {
            if req.method == Method::Invite && !self.last_response.is_empty() {
                // A retransmission of the INVITE that created us: repeat our last answer.
                let text = self.last_response.clone();
                ctx.send(&text);
            }
            return Next::Continue; // ACK to a non-2xx final: absorbed by the transaction
        }
        self.on_early_request(ctx, req)
    }

    /// A request in the early dialog (after our 180, before our 200).
    fn on_early_request(&mut self, ctx: &mut Ctx, req: &Request) -> Next {
        if req.method == Method::Ack || self.early_replies.resend(ctx, req) {
            return Next::Continue;
        }
        let seq = req.cseq().map_or(0, |c| c.seq);
        if let Some(d) = self.early.as_mut() {
            if seq <= d.remote_cseq {
                self.early_reply(ctx, req, 500, &[]); // §12.2.2: out of order
                return Next::Continue;
            }
            d.remote_cseq = seq;
        }
        match req.method {
            Method::Prack => self.on_prack(ctx, req),
            Method::Bye => {
                self.early_reply(ctx, req, 200, &[]);
                // §15: a BYE before our final response also ends the INVITE transaction.
                self.respond(ctx, 487, None);
                Next::Ended(EndReason::RemoteHangup {
                    reason: req.headers.get("Reason").map(str::to_string),
                })
            }
            Method::Update if body::sdp(&req.headers, &req.body).ok().flatten().is_none() => {
                self.early_reply(ctx, req, 200, &[]);
                Next::Continue
            }
            Method::Update | Method::Invite => {
                // RFC 3311 §5.2 / RFC 3261 §14.2: the INVITE's own offer/answer is unfinished.
                let after = ctx.rng.below(11).to_string();
                self.early_reply(ctx, req, 500, &[("Retry-After", &after)]);
                Next::Continue
            }
            Method::Info | Method::Options => {
                self.early_reply(ctx, req, 200, &[]);
                Next::Continue
            }
            _ => {
                self.early_reply(ctx, req, 405, &[("Allow", ALLOW)]);
                Next::Continue
            }
        }
    }

    /// A response in the early dialog, remembered for a retransmission of its request.
    fn early_reply(&mut self, ctx: &mut Ctx, req: &Request, status: u16, extra: &[(&str, &str)]) {
        let tag = self.early.as_ref().map(|d| d.local_tag.clone()).unwrap_or_default();
        let mut resp = response_for(req, status, &tag);
        for (n, v) in extra {
            resp.headers.push(n, *v);
        }
        self.early_replies.send(ctx, req, resp);
    }

    /// RFC 3262 §3: a PRACK matching our reliable 180 gets 200 and releases a 200 waiting for
    /// it; anything else gets 481.
    fn on_prack(&mut self, ctx: &mut Ctx, prack: &Request) -> Next {
        let invite_cseq = self.invite.cseq().map(|c| c.seq);
        let rack = prack.headers.get("RAck").map(|v| {
            let mut it = v.split_whitespace();
            let rseq = it.next().and_then(|n| n.parse::<u32>().ok());
            let cseq = it.next().and_then(|n| n.parse::<u32>().ok());
            let method = it.next().map(str::to_ascii_uppercase);
            (rseq, cseq, method)
        });
        let matching = self
            .reliable
            .as_ref()
            .is_some_and(|r| rack == Some((Some(r.rseq), invite_cseq, Some("INVITE".to_string()))));
        if !matching {
            self.early_reply(ctx, prack, 481, &[]);
            return Next::Continue;
        }
        self.early_reply(ctx, prack, 200, &[]);
        if let Some(r) = self.reliable.as_mut() {
            r.acknowledged = true;
        }
        // The PRACK usually comes while we still ring: only a 200 held for it goes now.
        if let State::AwaitingPrack { sdp } = &self.state {
            let sdp = sdp.clone();
            self.state = State::Negotiating;
            self.send_ok(ctx, &sdp);
        }
        Next::Continue
    }

    fn on_cancel(&mut self, ctx: &mut Ctx, cancel: &Request) -> Next {
        let tag = self.early.as_ref().map_or_else(
            || {
                self.session
                    .as_ref()
                    .map(|s| s.dialog.local_tag.clone())
                    .unwrap_or_default()
            },
            |d| d.local_tag.clone(),
        );
        reply(ctx, cancel, 200, &tag);
        if self.is_unanswered() {
            self.respond(ctx, 487, None);
            let reason = cancel.headers.get("Reason").map(str::to_string);
            Next::Ended(EndReason::Cancelled { reason })
        } else {
            // §9.2: a CANCEL that crosses our 200 has no effect on the call.
            ctx.log(Level::Info, "CANCEL after our 200 OK: the call stays up");
            Next::Continue
        }
    }

    /// Sends a response to the INVITE and keeps it for retransmissions of the INVITE.
    fn respond(&mut self, ctx: &mut Ctx, status: u16, rseq: Option<u32>) -> String {
        let text = self.response(ctx, status, rseq).to_string();
        ctx.send(&text);
        self.last_response = text.clone();
        text
    }

    /// A response to the INVITE with our tag, and for 1xx/2xx our Contact and the
    /// Record-Route copied (§12.1.1).
    fn response(&self, ctx: &Ctx, status: u16, rseq: Option<u32>) -> Response {
        let tag = self
            .early
            .as_ref()
            .map(|d| d.local_tag.clone())
            .or_else(|| self.session.as_ref().map(|s| s.dialog.local_tag.clone()))
            .unwrap_or_default();
        let mut resp = response_for(&self.invite, status, &tag);
        if (101..300).contains(&status) {
            for rr in self.invite.headers.get_all("Record-Route") {
                resp.headers.push("Record-Route", rr);
            }
            resp.headers.push("Contact", ctx.local.contact_uri());
        }
        if let Some(rseq) = rseq {
            resp.headers.push("Require", "100rel");
            resp.headers.push("RSeq", rseq.to_string());
        }
        if status == 200 {
            resp.headers.push("Allow", ALLOW);
            let mut timer = Headers::new();
            if let Some(a) = self.timer {
                a.write_response(&mut timer);
            }
            resp.headers.push("Supported", supported(self.timer.is_some()));
            for (n, v) in timer.iter() {
                resp.headers.push(n, v);
            }
        }
        resp.headers.push("User-Agent", ctx.local.user_agent);
        resp
    }
}
