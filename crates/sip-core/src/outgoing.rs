//! An outgoing call (ours; 3.0.10 had none): offer first, then the INVITE client transaction
//! (RFC 3261 §17.1.1 on a reliable transport), provisional and early media, ACK, CANCEL,
//! digest challenges, and the dialog it creates.

use crate::auth::{CachedChallenge, Challenge};
use crate::call::{reply, CallError, CallEvent, CallHandle, EndReason, MediaCommand, MediaFailure, Next};
use crate::dialog::Dialog;
use crate::message::{HeaderAccess, Headers, Method, Request, Response, Uri};
use crate::session::Session;
use crate::ua::{Ctx, Event, Level, Output, ALLOW};

/// Timer B = 64·T1: no response at all to the INVITE (§17.1.1.2).
const TIMER_B_MS: u64 = 64 * 500;
/// After CANCEL, how long we wait for the 487 before giving up on the transaction.
const CANCEL_WAIT_MS: u64 = 64 * 500;

#[derive(Debug)]
enum State {
    /// Microphone, then our offer, before any INVITE exists.
    Preparing,
    /// INVITE sent; `provisional` once any 1xx arrived (CANCEL is only allowed then, §9.1).
    Inviting {
        provisional: bool,
        cancel_pending: bool,
    },
    /// CANCEL sent; waiting for the INVITE's final response.
    Cancelling,
    Confirmed,
}

#[derive(Debug)]
pub(crate) struct OutboundCall {
    pub handle: CallHandle,
    state: State,
    target: String,
    call_id: String,
    local_tag: String,
    invite: Option<Request>,
    branch: String,
    cseq: u32,
    offer: String,
    dialog: Option<Dialog>,
    /// The answer SDP was applied (from a 183 or the 2xx); apply once only.
    answered_media: bool,
    deadline: Option<u64>,
    credentials: Option<CachedChallenge>,
    challenges: u8,
    /// Mid-call signalling, once answered.
    session: Option<Session>,
}

/// `1234` or `+9198...` → `sip:1234@<domain>`; `sip:`/`sips:` URIs are taken as they are.
pub fn target_uri(target: &str, domain: &str) -> Result<String, CallError> {
    let t = target.trim();
    if t.starts_with("sip:") || t.starts_with("sips:") {
        return Uri::parse(t)
            .map(|u| u.to_string())
            .map_err(|_| CallError::InvalidTarget("not a valid SIP URI"));
    }
    let ok = !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-_.*#".contains(&b));
    if !ok {
        return Err(CallError::InvalidTarget(
            "target must be a number, a user name or a sip: URI",
        ));
    }
    Ok(format!("sip:{t}@{domain}"))
}

impl OutboundCall {
    pub fn start(ctx: &mut Ctx, handle: CallHandle, target: String) -> OutboundCall {
        ctx.out
            .push_back(Output::Media(MediaCommand::AcquireMic { call: handle }));
        let call_id = ctx.rng.token(20);
        ctx.emit(Event::Call(CallEvent::Dialing {
            call: handle,
            call_id: call_id.clone(),
            target: target.clone(),
        }));
        OutboundCall {
            handle,
            state: State::Preparing,
            target,
            call_id,
            local_tag: ctx.rng.token(10),
            invite: None,
            branch: String::new(),
            cseq: 0,
            offer: String::new(),
            dialog: None,
            answered_media: false,
            deadline: None,
            credentials: None,
            challenges: 0,
            session: None,
        }
    }

    pub fn poll_timeout(&self) -> Option<u64> {
        let session = self.session.as_ref().and_then(Session::poll_timeout);
        [self.deadline, session].into_iter().flatten().min()
    }

    pub fn session_parts(&mut self) -> Option<(&mut Session, &mut Dialog)> {
        match (&self.state, self.session.as_mut(), self.dialog.as_mut()) {
            (State::Confirmed, Some(s), Some(d)) => Some((s, d)),
            _ => None,
        }
    }

    /// Our SDP: the call's offer, or a mid-call one.
    pub fn on_local_sdp(&mut self, ctx: &mut Ctx, sdp: &str) {
        if matches!(self.state, State::Preparing) {
            self.on_offer_ready(ctx, sdp);
        } else if let Some((session, dialog)) = self.session_parts() {
            if !session.on_local_sdp(ctx, dialog, sdp) {
                ctx.log(Level::Debug, "local SDP ignored: nothing waits for it");
            }
        }
    }

    pub fn is_unanswered(&self) -> bool {
        !matches!(self.state, State::Confirmed)
    }

    pub fn on_mic_ready(&mut self, ctx: &mut Ctx) {
        if matches!(self.state, State::Preparing) {
            ctx.out
                .push_back(Output::Media(MediaCommand::CreateOffer { call: self.handle }));
        }
    }

    pub fn on_offer_ready(&mut self, ctx: &mut Ctx, sdp: &str) {
        if !matches!(self.state, State::Preparing) || self.invite.is_some() {
            return;
        }
        self.offer = sdp.to_string();
        if ctx.link_up {
            self.send_invite(ctx);
        }
    }

    /// The socket opened: an offer that was waiting for it goes out now.
    pub fn on_link_up(&mut self, ctx: &mut Ctx) {
        if matches!(self.state, State::Preparing) && !self.offer.is_empty() && self.invite.is_none() {
            self.send_invite(ctx);
        }
    }

    pub fn on_media_failed(&mut self, ctx: &mut Ctx, failure: MediaFailure) -> Next {
        match self.state {
            State::Preparing => Next::Ended(EndReason::MediaFailed(failure)),
            _ => {
                // The far end's answer could not be applied: no media will flow, so end it.
                ctx.log(Level::Error, &format!("media failure on an outgoing call: {failure}"));
                self.hangup(ctx);
                Next::Ended(EndReason::MediaFailed(failure))
            }
        }
    }

    /// Hangup: nothing to tell before the INVITE, CANCEL while it is pending, BYE once answered.
    pub fn hangup(&mut self, ctx: &mut Ctx) -> Next {
        match &mut self.state {
            State::Preparing => Next::Ended(EndReason::LocalCancel),
            State::Inviting { provisional: true, .. } => {
                self.send_cancel(ctx);
                self.state = State::Cancelling;
                self.deadline = Some(ctx.now + CANCEL_WAIT_MS);
                Next::Continue
            }
            // §9.1: no CANCEL before a provisional response; send it when one arrives.
            State::Inviting { cancel_pending, .. } => {
                *cancel_pending = true;
                Next::Continue
            }
            State::Cancelling => Next::Continue,
            State::Confirmed => {
                self.send_bye(ctx);
                Next::Ended(EndReason::LocalHangup)
            }
        }
    }

    pub fn on_timeout(&mut self, ctx: &mut Ctx) -> Next {
        if let Some(session) = self.session.as_mut() {
            session.on_timeout(ctx);
        }
        if self.deadline.is_none_or(|d| d > ctx.now) {
            return Next::Continue;
        }
        self.deadline = None;
        match self.state {
            State::Inviting { .. } => {
                ctx.log(Level::Warn, "no response to the INVITE within 32 s");
                Next::Ended(EndReason::Timeout)
            }
            State::Cancelling => Next::Ended(EndReason::LocalCancel),
            _ => Next::Continue,
        }
    }

    /// Responses to our INVITE (matched by branch and CSeq) or to our CANCEL/BYE.
    pub fn owns_response(&self, resp: &Response) -> bool {
        resp.call_id() == Some(self.call_id.as_str())
    }

    pub fn owns_request(&self, req: &Request) -> bool {
        self.dialog.as_ref().is_some_and(|d| d.matches(req))
    }

    pub fn on_response(&mut self, ctx: &mut Ctx, resp: &Response) -> Next {
        let Some(cseq) = resp.cseq() else { return Next::Continue };
        let initial = cseq.method == "INVITE" && cseq.seq == self.cseq;
        if !initial {
            if let Some((session, dialog)) = self.session_parts() {
                return session.on_response(ctx, dialog, resp).unwrap_or(Next::Continue);
            }
        }
        if cseq.method != "INVITE" {
            return Next::Continue; // 200 to our CANCEL or BYE: nothing more to do
        }
        let via_branch = resp.top_via().and_then(|v| v.branch().map(str::to_string));
        let current = cseq.seq == self.cseq && via_branch.as_deref() == Some(self.branch.as_str());
        if (200..300).contains(&resp.status) {
            return self.on_success(ctx, resp, current);
        }
        if !current {
            return Next::Continue;
        }
        if resp.status < 200 {
            return self.on_provisional(ctx, resp);
        }
        self.ack_non_2xx(ctx, resp);
        match resp.status {
            401 | 407 if matches!(self.state, State::Inviting { .. }) => self.on_challenge(ctx, resp),
            487 if matches!(self.state, State::Cancelling) => Next::Ended(EndReason::LocalCancel),
            status => Next::Ended(EndReason::Rejected {
                status,
                reason: resp.reason.clone(),
            }),
        }
    }

    fn on_provisional(&mut self, ctx: &mut Ctx, resp: &Response) -> Next {
        if let State::Inviting {
            provisional,
            cancel_pending,
        } = &mut self.state
        {
            *provisional = true;
            self.deadline = None; // Timer B stops at the first provisional (§17.1.1.2)
            if *cancel_pending {
                self.send_cancel(ctx);
                self.state = State::Cancelling;
                self.deadline = Some(ctx.now + CANCEL_WAIT_MS);
                return Next::Continue;
            }
        }
        if resp.status == 180 || resp.status == 183 {
            ctx.emit(Event::Call(CallEvent::Ringing { call: self.handle }));
        }
        if !resp.body.trim().is_empty() && !self.answered_media {
            // 183 with SDP: early media (ringback from the far end's network).
            self.answered_media = true;
            ctx.out.push_back(Output::Media(MediaCommand::ApplyAnswer {
                call: self.handle,
                sdp: resp.body.clone(),
                provisional: true,
            }));
            ctx.emit(Event::Call(CallEvent::EarlyMedia { call: self.handle }));
        }
        Next::Continue
    }

    fn on_success(&mut self, ctx: &mut Ctx, resp: &Response, current: bool) -> Next {
        if self.dialog.is_some() || !current {
            // A retransmitted 2xx (its ACK was lost): acknowledge again (§13.2.2.4).
            if let Some(d) = self.dialog.clone() {
                self.send_ack(ctx, d);
            }
            return Next::Continue;
        }
        let Some(invite) = self.invite.as_ref() else {
            return Next::Continue;
        };
        let Some(dialog) = Dialog::new_uac(invite, resp) else {
            ctx.log(Level::Error, "2xx to our INVITE without To tag or Contact; hanging up");
            return Next::Ended(EndReason::Rejected {
                status: resp.status,
                reason: "malformed 2xx".into(),
            });
        };
        self.session = Some(Session::new(self.handle, true, &self.offer, &resp.body));
        self.dialog = Some(dialog.clone());
        self.deadline = None;
        self.send_ack(ctx, dialog);
        if !self.answered_media {
            self.answered_media = true;
            ctx.out.push_back(Output::Media(MediaCommand::ApplyAnswer {
                call: self.handle,
                sdp: resp.body.clone(),
                provisional: false,
                }));
        }
        let cancelled = matches!(
            self.state,
            State::Cancelling
                | State::Inviting {
                    cancel_pending: true,
                    ..
                }
        );
        self.state = State::Confirmed;
        ctx.emit(Event::Call(CallEvent::Connected { call: self.handle }));
        if cancelled {
            // The 200 crossed our CANCEL (§9.1): the call exists now, so end it with BYE.
            self.send_bye(ctx);
            return Next::Ended(EndReason::LocalCancel);
        }
        Next::Continue
    }

    fn on_challenge(&mut self, ctx: &mut Ctx, resp: &Response) -> Next {
        let proxy = resp.status == 407;
        let header = if proxy {
            "Proxy-Authenticate"
        } else {
            "WWW-Authenticate"
        };
        let challenge = resp
            .headers
            .get_all(header)
            .find_map(|v| Challenge::parse(v, proxy).ok());
        let fresh = challenge.as_ref().is_some_and(|c| c.stale || self.challenges == 0);
        match challenge {
            Some(c) if fresh && self.challenges < 3 => {
                self.challenges += 1;
                self.credentials = Some(CachedChallenge::new(c));
                self.send_invite(ctx);
                Next::Continue
            }
            _ => Next::Ended(EndReason::Rejected {
                status: resp.status,
                reason: "authentication failed".into(),
            }),
        }
    }

    pub fn on_request(&mut self, ctx: &mut Ctx, req: &Request) -> Next {
        let Some(dialog) = self.dialog.as_mut() else {
            return Next::Continue;
        };
        let tag = dialog.local_tag.clone();
        match req.method {
            Method::Bye => {
                reply(ctx, req, 200, &tag);
                Next::Ended(EndReason::RemoteHangup {
                    reason: req.headers.get("Reason").map(str::to_string),
                })
            }
            Method::Ack => Next::Continue,
            Method::Options => {
                reply(ctx, req, 200, &tag);
                Next::Continue
            }
            _ => {
                let status = if matches!(req.method, Method::Invite | Method::Update) {
                    488
                } else {
                    501
                };
                reply(ctx, req, status, &tag);
                Next::Continue
            }
        }
    }

    fn send_invite(&mut self, ctx: &mut Ctx) {
        self.cseq += 1;
        self.branch = ctx.rng.branch();
        let acc = ctx.account;
        let mut h = Headers::new();
        h.push("Via", ctx.local.via(acc, &self.branch));
        h.push("Max-Forwards", "70");
        let from = format!("<sip:{}@{}>;tag={}", acc.auth_user, acc.sip_domain, self.local_tag);
        h.push(
            "From",
            match &acc.display_name {
                Some(n) => format!("{} {from}", crate::message::quote(n)),
                None => from,
            },
        );
        h.push("To", format!("<{}>", self.target));
        h.push("Call-ID", self.call_id.clone());
        h.push("CSeq", format!("{} INVITE", self.cseq));
        h.push("Contact", ctx.local.contact_uri());
        if let Some(cred) = self.credentials.as_mut() {
            let cnonce = ctx.rng.token(16);
            let value = cred.authorize(&acc.auth_user, &acc.password, "INVITE", &self.target, &cnonce);
            h.push(cred.challenge.header_name(), value);
        }
        h.push("Allow", ALLOW);
        h.push("Supported", "replaces");
        h.push("User-Agent", ctx.local.user_agent);
        h.push("Content-Type", "application/sdp");
        let invite = Request {
            method: Method::Invite,
            uri: self.target.clone(),
            headers: h,
            body: self.offer.clone(),
        };
        ctx.send(&invite.to_string());
        self.invite = Some(invite);
        self.state = State::Inviting {
            provisional: false,
            cancel_pending: false,
        };
        self.deadline = Some(ctx.now + TIMER_B_MS);
    }

    /// CANCEL: same Request-URI, Call-ID, From, To, CSeq number and branch as the INVITE (§9.1).
    fn send_cancel(&mut self, ctx: &mut Ctx) {
        let Some(invite) = &self.invite else { return };
        let mut h = Headers::new();
        for name in ["Via", "Max-Forwards", "From", "To", "Call-ID"] {
            if let Some(v) = invite.headers.get(name) {
                h.push(name, v);
            }
        }
        h.push("CSeq", format!("{} CANCEL", self.cseq));
        h.push("Reason", "SIP;cause=487;text=\"Hung up before answer\"");
        h.push("User-Agent", ctx.local.user_agent);
        let cancel = Request {
            method: Method::Cancel,
            uri: invite.uri.clone(),
            headers: h,
            body: String::new(),
        };
        ctx.send(&cancel.to_string());
    }

    /// ACK to a non-2xx final: part of the INVITE transaction, same branch (§17.1.1.3).
    fn ack_non_2xx(&mut self, ctx: &mut Ctx, resp: &Response) {
        let Some(invite) = &self.invite else { return };
        let mut h = Headers::new();
        for name in ["Via", "Max-Forwards", "From", "Call-ID"] {
            if let Some(v) = invite.headers.get(name) {
                h.push(name, v);
            }
        }
        if let Some(to) = resp.headers.get("To") {
            h.push("To", to);
        }
        h.push("CSeq", format!("{} ACK", self.cseq));
        let ack = Request {
            method: Method::Ack,
            uri: invite.uri.clone(),
            headers: h,
            body: String::new(),
        };
        ctx.send(&ack.to_string());
    }

    /// ACK to a 2xx: a new request in the dialog with the INVITE's CSeq number (§13.2.2.4).
    fn send_ack(&mut self, ctx: &mut Ctx, mut dialog: Dialog) {
        dialog.local_cseq = self.cseq - 1;
        let via = ctx.new_via();
        let ack = dialog.request(Method::Ack, via, ctx.local.user_agent);
        ctx.send(&ack.to_string());
    }

    fn send_bye(&mut self, ctx: &mut Ctx) {
        let Some(dialog) = self.dialog.as_mut() else { return };
        dialog.local_cseq = dialog.local_cseq.max(self.cseq);
        let via = ctx.new_via();
        let mut bye = dialog.request(Method::Bye, via, ctx.local.user_agent);
        bye.headers
            .push("Reason", "Q.850;cause=16;text=\"Normal call clearing\"");
        ctx.send(&bye.to_string());
    }
}
