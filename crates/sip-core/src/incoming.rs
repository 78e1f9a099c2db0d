//! An incoming call: the INVITE server transaction (RFC 3261 §17.2.1 on a reliable
//! transport), its dialog, and the media steps between "answer" and the 200 OK.

use crate::call::{
    reply, send_response, CallError, CallEvent, CallHandle, EndReason, IncomingCall, MediaCommand, MediaFailure, Next,
    NO_ANSWER_MS,
};
use crate::dialog::Dialog;
use crate::message::{HeaderAccess, Method, Request, Response};
use crate::reply::response_for;
use crate::session::Session;
use crate::ua::{Ctx, Event, Level, Output, ALLOW};

/// RFC 3261 T1 and T2: 2xx retransmission starts at T1 and doubles up to T2 (§13.3.1.4).
const T1_MS: u64 = 500;
const T2_MS: u64 = 4_000;
/// §13.3.1.4: no ACK within 64·T1 ends the call with a BYE.
const ACK_WAIT_MS: u64 = 64 * T1_MS;

#[derive(Debug)]
enum State {
    Ringing,
    AcquiringMic,
    Negotiating,
    AwaitingAck {
        ok: String,
        next_retransmit: u64,
        interval: u64,
        give_up: u64,
    },
    Confirmed,
}

#[derive(Debug)]
pub(crate) struct InboundCall {
    pub handle: CallHandle,
    state: State,
    invite: Request,
    branch: String,
    dialog: Dialog,
    /// Latest response sent to the INVITE, re-sent if the INVITE is retransmitted.
    last_response: String,
    ring_deadline: u64,
    /// Hangup asked while our 2xx was unacknowledged: BYE waits for the ACK (§15).
    bye_after_ack: bool,
    /// Mid-call signalling, from our 200 OK on.
    session: Option<Session>,
}

impl InboundCall {
    /// Takes a new out-of-dialog INVITE: 100 at once, then 180 with our tag. Returns `None`
    /// (after answering 400) when the INVITE cannot form a dialog.
    pub fn accept_invite(ctx: &mut Ctx, handle: CallHandle, invite: Request) -> Option<InboundCall> {
        let local_tag = ctx.rng.token(10);
        let Some(dialog) = Dialog::new_uas(&invite, &local_tag) else {
            ctx.log(
                Level::Warn,
                "400 to an INVITE without a usable From, To, Call-ID or CSeq",
            );
            send_response(ctx, response_for(&invite, 400, &local_tag));
            return None;
        };
        let branch = invite
            .top_via()
            .and_then(|v| v.branch().map(str::to_string))
            .unwrap_or_default();
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
        let ring_ms = invite
            .header_u32("Expires")
            .map_or(NO_ANSWER_MS, |s| (u64::from(s) * 1000).min(NO_ANSWER_MS));
        let mut call = InboundCall {
            handle,
            state: State::Ringing,
            invite,
            branch,
            dialog,
            last_response: String::new(),
            ring_deadline: ctx.now + ring_ms,
            bye_after_ack: false,
            session: None,
        };
        ctx.emit(Event::Call(CallEvent::Incoming(incoming)));
        call.respond(ctx, 180, None);
        ctx.emit(Event::Call(CallEvent::Ringing { call: handle }));
        Some(call)
    }

    pub fn poll_timeout(&self) -> Option<u64> {
        match &self.state {
            State::Ringing | State::AcquiringMic | State::Negotiating => Some(self.ring_deadline),
            State::AwaitingAck {
                next_retransmit,
                give_up,
                ..
            } => Some((*next_retransmit).min(*give_up)),
            State::Confirmed => self.session.as_ref().and_then(Session::poll_timeout),
        }
    }

    pub fn call_id(&self) -> &str {
        &self.dialog.call_id
    }

    /// The session and dialog of a confirmed call, for mid-call requests of ours.
    pub fn session_parts(&mut self) -> Option<(&mut Session, &mut Dialog)> {
        match (&self.state, self.session.as_mut()) {
            (State::Confirmed, Some(s)) => Some((s, &mut self.dialog)),
            _ => None,
        }
    }

    /// Our SDP: the answer to the INVITE's offer, or a mid-call one.
    pub fn on_local_sdp(&mut self, ctx: &mut Ctx, sdp: &str) {
        if matches!(self.state, State::Negotiating) {
            self.on_answer_ready(ctx, sdp);
        } else if let Some(session) = self.session.as_mut() {
            if !session.on_local_sdp(ctx, &mut self.dialog, sdp) {
                ctx.log(Level::Debug, "local SDP ignored: nothing waits for it");
            }
        }
    }

    pub fn on_response(&mut self, ctx: &mut Ctx, resp: &Response) -> Next {
        match self.session.as_mut() {
            Some(s) => s.on_response(ctx, &mut self.dialog, resp).unwrap_or(Next::Continue),
            None => Next::Continue,
        }
    }

    pub fn is_unanswered(&self) -> bool {
        matches!(self.state, State::Ringing | State::AcquiringMic | State::Negotiating)
    }

    pub fn answer(&mut self, ctx: &mut Ctx) -> Result<(), CallError> {
        if !matches!(self.state, State::Ringing) {
            return Err(CallError::WrongState("answer needs a ringing call"));
        }
        if self.invite.body.trim().is_empty() {
            // A late offer would need our offer in the 200 and the answer in the ACK.
            ctx.log(Level::Error, "cannot answer: the INVITE carries no SDP offer");
            self.respond(ctx, 488, None);
            return Ok(());
        }
        self.state = State::AcquiringMic;
        ctx.out
            .push_back(Output::Media(MediaCommand::AcquireMic { call: self.handle }));
        Ok(())
    }

    /// Hangup: reject while unanswered, BYE once answered (after the ACK, §15).
    pub fn hangup(&mut self, ctx: &mut Ctx) -> Next {
        match self.state {
            State::Ringing | State::AcquiringMic | State::Negotiating => {
                // 486 is what 3.0.10 sends on reject; Exotel's platform treats it as "agent busy".
                self.respond(ctx, 486, None);
                Next::Ended(EndReason::LocalReject)
            }
            State::AwaitingAck { .. } => {
                self.bye_after_ack = true;
                ctx.log(Level::Info, "hangup: BYE will follow the ACK");
                Next::Continue
            }
            State::Confirmed => {
                self.send_bye(ctx, "Q.850;cause=16;text=\"Normal call clearing\"");
                Next::Ended(EndReason::LocalHangup)
            }
        }
    }

    pub fn on_mic_ready(&mut self, ctx: &mut Ctx) {
        if matches!(self.state, State::AcquiringMic) {
            self.state = State::Negotiating;
            let sdp = self.invite.body.clone();
            ctx.out
                .push_back(Output::Media(MediaCommand::AcceptOffer { call: self.handle, sdp }));
        } else {
            ctx.log(Level::Debug, "microphone result ignored: call is past that step");
        }
    }

    pub fn on_answer_ready(&mut self, ctx: &mut Ctx, sdp: &str) {
        if !matches!(self.state, State::Negotiating) {
            ctx.log(Level::Debug, "local answer ignored: call is past that step");
            return;
        }
        self.respond(ctx, 200, Some(sdp));
        self.session = Some(Session::new(self.handle, false, sdp, &self.invite.body));
        self.state = State::AwaitingAck {
            ok: self.last_response.clone(),
            next_retransmit: ctx.now + T1_MS,
            interval: T1_MS,
            give_up: ctx.now + ACK_WAIT_MS,
        };
        ctx.emit(Event::Call(CallEvent::Accepted { call: self.handle }));
    }

    pub fn on_media_failed(&mut self, ctx: &mut Ctx, failure: MediaFailure) -> Next {
        if !self.is_unanswered() {
            ctx.log(Level::Warn, &format!("media failure after answer: {failure}"));
            return Next::Continue;
        }
        // 3.0.10 answers 480 when the microphone fails; 488 says the offer was the problem.
        let status = match failure {
            MediaFailure::Microphone(_) => 480,
            MediaFailure::Negotiation(_) => 488,
        };
        self.respond(ctx, status, None);
        Next::Ended(EndReason::MediaFailed(failure))
    }

    pub fn on_timeout(&mut self, ctx: &mut Ctx) -> Next {
        let now = ctx.now;
        match &mut self.state {
            State::Ringing | State::AcquiringMic | State::Negotiating if self.ring_deadline <= now => {
                self.respond(ctx, 480, None);
                Next::Ended(EndReason::NoAnswer)
            }
            State::AwaitingAck { give_up, .. } if *give_up <= now => {
                ctx.log(Level::Warn, "no ACK for our 200 OK within 32 s; hanging up");
                self.send_bye(ctx, "SIP;cause=408;text=\"ACK timeout\"");
                Next::Ended(EndReason::NoAck)
            }
            State::AwaitingAck {
                ok,
                next_retransmit,
                interval,
                ..
            } if *next_retransmit <= now => {
                let text = ok.clone();
                *interval = (*interval * 2).min(T2_MS);
                *next_retransmit = now + *interval;
                ctx.send(&text);
                Next::Continue
            }
            State::Confirmed => {
                if let Some(session) = self.session.as_mut() {
                    session.on_timeout(ctx);
                }
                Next::Continue
            }
            _ => Next::Continue,
        }
    }

    /// Whether `req` is for this call: in its dialog, or aimed at its INVITE transaction.
    pub fn owns(&self, req: &Request) -> bool {
        if self.dialog.matches(req) {
            return true;
        }
        let same_branch =
            req.top_via().and_then(|v| v.branch().map(str::to_string)).as_deref() == Some(self.branch.as_str());
        same_branch && req.call_id() == Some(self.dialog.call_id.as_str())
    }

    /// A request `owns` said is ours.
    pub fn on_request(&mut self, ctx: &mut Ctx, req: &Request) -> Next {
        let in_dialog = self.dialog.matches(req) && !matches!(req.method, Method::Ack | Method::Cancel);
        if in_dialog {
            // §12.2.2: a CSeq lower than one already seen is out of order.
            let seq = req.cseq().map_or(0, |c| c.seq);
            if seq <= self.dialog.remote_cseq {
                reply(ctx, req, 500, &self.dialog.local_tag);
                return Next::Continue;
            }
            self.dialog.remote_cseq = seq;
            if matches!(self.state, State::Confirmed) {
                if let Some(next) = self
                    .session
                    .as_mut()
                    .and_then(|s| s.on_request(ctx, &mut self.dialog, req))
                {
                    return next;
                }
            }
        }
        match req.method {
            Method::Invite if !self.dialog.matches(req) => {
                // A retransmission of the INVITE that created us: repeat our last answer.
                if !self.last_response.is_empty() {
                    let text = self.last_response.clone();
                    ctx.send(&text);
                }
                Next::Continue
            }
            Method::Cancel => self.on_cancel(ctx, req),
            Method::Ack => {
                if let State::AwaitingAck { .. } = self.state {
                    self.state = State::Confirmed;
                    ctx.emit(Event::Call(CallEvent::Connected { call: self.handle }));
                    if self.bye_after_ack {
                        self.send_bye(ctx, "Q.850;cause=16;text=\"Normal call clearing\"");
                        return Next::Ended(EndReason::LocalHangup);
                    }
                }
                Next::Continue // ACK for a non-2xx final is absorbed by the transaction
            }
            Method::Bye => {
                reply(ctx, req, 200, &self.dialog.local_tag);
                let reason = req.headers.get("Reason").map(str::to_string);
                if self.is_unanswered() {
                    // §15: a BYE before our final response also ends the INVITE transaction.
                    self.respond(ctx, 487, None);
                }
                Next::Ended(EndReason::RemoteHangup { reason })
            }
            Method::Options => {
                reply(ctx, req, 200, &self.dialog.local_tag);
                Next::Continue
            }
            _ => {
                // Re-INVITE, UPDATE, INFO: hold and DTMF handling arrive with in-call controls.
                ctx.log(Level::Info, &format!("in-dialog {} not supported yet", req.method));
                let status = if req.method == Method::Invite || req.method == Method::Update {
                    488
                } else {
                    501
                };
                reply(ctx, req, status, &self.dialog.local_tag);
                Next::Continue
            }
        }
    }

    fn on_cancel(&mut self, ctx: &mut Ctx, cancel: &Request) -> Next {
        reply(ctx, cancel, 200, &self.dialog.local_tag);
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

    /// Sends a response to the INVITE with our tag, Contact and the Record-Route copied (§12.1.1).
    fn respond(&mut self, ctx: &mut Ctx, status: u16, sdp: Option<&str>) {
        let mut resp = response_for(&self.invite, status, &self.dialog.local_tag);
        if (101..300).contains(&status) {
            for rr in self.invite.headers.get_all("Record-Route") {
                resp.headers.push("Record-Route", rr);
            }
            resp.headers.push("Contact", ctx.local.contact_uri());
        }
        if status == 200 {
            resp.headers.push("Allow", ALLOW);
            resp.headers.push("Supported", "replaces");
        }
        resp.headers.push("User-Agent", ctx.local.user_agent);
        if let Some(sdp) = sdp {
            resp.headers.push("Content-Type", "application/sdp");
            resp.body = sdp.to_string();
        }
        let text = resp.to_string();
        ctx.send(&text);
        self.last_response = text;
    }

    fn send_bye(&mut self, ctx: &mut Ctx, reason: &str) {
        let via = ctx.new_via();
        let mut bye = self.dialog.request(Method::Bye, via, ctx.local.user_agent);
        bye.headers.push("Reason", reason);
        ctx.send(&bye.to_string());
    }
}
