//! An outgoing call (ours; 3.0.10 had none) until its first 2xx: offer first, then the INVITE
//! client transaction (RFC 3261 §17.1.1 on a reliable transport), provisional responses and
//! early media (as `pranswer`), reliable provisionals (RFC 3262: PRACK), early dialogs per
//! fork, digest challenges per realm, redirects (3xx), CANCEL, and the ACK. From the first 2xx
//! on, the call's `Session` (session.rs) handles the dialog, the same machine an incoming call
//! uses; later 2xx from other forks are ACKed and ended here (§13.2.2.4).

use crate::aftermath::{Aftermath, Replies};
use crate::body;
use crate::call::{CallError, CallEvent, CallHandle, EndReason, MediaCommand, MediaFailure, Next};
use crate::credentials::Credentials;
use crate::dialog::Dialog;
use crate::extensions::{self, SUPPORTED_INVITE};
use crate::message::{HeaderAccess, Headers, Method, Request, Response, Uri};
use crate::reply::response_for;
use crate::session::{ack_failure, copy_credentials, Session, SessionStart, TIMER_64T1_MS};
use crate::timer;
use crate::ua::{Ctx, Event, Level, Output, ALLOW};

/// Redirects (3xx) followed for one call before giving up (loops, hostile servers).
const MAX_REDIRECTS: usize = 5;
/// Early dialogs (forks) tracked at once; more are answered but not remembered.
const MAX_EARLY: usize = 8;

#[derive(Debug)]
enum State {
    /// Microphone, then our offer, before any INVITE exists.
    Preparing,
    /// INVITE sent; `provisional` once any 1xx arrived (CANCEL is only allowed then, §9.1).
    Inviting { provisional: bool, cancel_pending: bool },
    /// CANCEL sent; waiting for the INVITE's final response.
    Cancelling,
    /// A 2xx arrived: the session has the call.
    Confirmed,
}

/// An early dialog: one fork's 1xx with a To tag (§12.1.2).
#[derive(Debug)]
struct Early {
    dialog: Dialog,
    /// RSeq of the last reliable provisional we PRACKed (RFC 3262 §4).
    rseq: Option<u32>,
    /// The SDP of this fork's last provisional, applied as `pranswer`.
    sdp: Option<String>,
}

#[derive(Debug)]
pub(crate) struct OutboundCall {
    pub handle: CallHandle,
    state: State,
    /// The To URI: what the app dialled.
    to_uri: String,
    /// The Request-URI: `to_uri`, or where a 3xx sent us.
    target: String,
    call_id: String,
    local_tag: String,
    invite: Option<Request>,
    branch: String,
    /// The last local CSeq used (INVITE, then PRACKs).
    cseq: u32,
    invite_cseq: u32,
    offer: String,
    early: Vec<Early>,
    /// The early SDP applied last, so an unchanged one is not applied again.
    pranswer: Option<String>,
    deadline: Option<u64>,
    credentials: Credentials,
    challenges: u8,
    /// Request-URIs already tried (the dialled one and each redirect).
    tried: Vec<String>,
    /// Session-Expires asked for after a 422 (RFC 4028 §7.3).
    session_expires: Option<u32>,
    session: Option<Session>,
    /// The ACK for each answered fork, re-sent when its 2xx is retransmitted.
    acks: Vec<(String, String)>,
    /// Our responses in early dialogs, for retransmitted requests.
    early_replies: Replies,
}

/// `1234` or `+9198...` → `sip:1234@<domain>`; `sip:`/`sips:` URIs are taken as they are.
pub fn target_uri(target: &str, domain: &str) -> Result<String, CallError> {
    let t = target.trim();
    if t.starts_with("sip:") || t.starts_with("sips:") {
        let uri = Uri::parse(t).map_err(|_| CallError::InvalidTarget("not a valid SIP URI"))?;
        crate::wire::check_target(&uri, t).map_err(CallError::InvalidTarget)?;
        return Ok(uri.to_string());
    }
    if t.len() > crate::wire::MAX_VALUE_LEN {
        return Err(CallError::InvalidTarget("the number is longer than 256 characters"));
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
            to_uri: target.clone(),
            tried: vec![target.clone()],
            target,
            call_id,
            local_tag: ctx.rng.token(10),
            invite: None,
            branch: String::new(),
            cseq: 0,
            invite_cseq: 0,
            offer: String::new(),
            early: Vec::new(),
            pranswer: None,
            deadline: None,
            credentials: Credentials::default(),
            challenges: 0,
            session_expires: None,
            session: None,
            acks: Vec::new(),
            early_replies: Replies::default(),
        }
    }

    pub fn poll_timeout(&self) -> Option<u64> {
        let session = self.session.as_ref().and_then(Session::poll_timeout);
        [self.deadline, session].into_iter().flatten().min()
    }

    /// What the call leaves behind once ended: our BYE, our INVITE (for late 2xx) and the
    /// credentials.
    pub fn aftermath(&self, now: u64) -> Aftermath {
        let mut a = Aftermath::new(now, &self.call_id);
        a.invite = self.invite.clone();
        a.credentials = self.credentials.clone();
        a.local_cseq = self.cseq;
        a.replies.extend(self.early_replies.all().cloned());
        a.invite_pending = self.session.is_none() && self.invite.is_some();
        if let Some(s) = &self.session {
            s.leave(&mut a);
        }
        // Forks whose 2xx we already ACKed and ended get only the ACK again.
        let answered = a.dialog.as_ref().map(|d| d.remote_tag.clone());
        a.ended_tags = self
            .acks
            .iter()
            .map(|(tag, _)| tag.clone())
            .filter(|t| Some(t) != answered.as_ref())
            .collect();
        a
    }

    /// The session of a call the far end answered, for mid-call requests of ours.
    pub fn session(&mut self) -> Option<&mut Session> {
        self.session.as_mut()
    }

    /// Our SDP: the call's offer, or a mid-call one.
    pub fn on_local_sdp(&mut self, ctx: &mut Ctx, sdp: &str) {
        if let Some(session) = self.session.as_mut() {
            if !session.on_local_sdp(ctx, sdp) {
                ctx.log(Level::Debug, "local SDP ignored: nothing waits for it");
            }
            return;
        }
        if !matches!(self.state, State::Preparing) || self.invite.is_some() {
            return;
        }
        self.offer = sdp.to_string();
        if ctx.link_up {
            self.send_invite(ctx);
        }
    }

    pub fn is_unanswered(&self) -> bool {
        self.session.is_none()
    }

    pub fn on_mic_ready(&mut self, ctx: &mut Ctx) {
        if matches!(self.state, State::Preparing) {
            ctx.out
                .push_back(Output::Media(MediaCommand::CreateOffer { call: self.handle }));
        }
    }

    /// The socket opened: an offer that was waiting for it goes out now.
    pub fn on_link_up(&mut self, ctx: &mut Ctx) {
        if matches!(self.state, State::Preparing) && !self.offer.is_empty() && self.invite.is_none() {
            self.send_invite(ctx);
        }
    }

    pub fn on_media_failed(&mut self, ctx: &mut Ctx, failure: MediaFailure) -> Next {
        if let Some(session) = self.session.as_mut() {
            return session.on_media_failed(ctx, failure);
        }
        match (&self.state, &failure) {
            (State::Preparing, _) => Next::Ended(EndReason::MediaFailed(failure)),
            // Early media that will not play is no reason to give up: the 2xx brings the answer.
            (_, MediaFailure::Answer(_)) => {
                ctx.log(Level::Warn, &format!("early media not applied: {failure}"));
                self.pranswer = None;
                Next::Continue
            }
            _ => {
                ctx.log(Level::Error, &format!("media failure on an outgoing call: {failure}"));
                match self.hangup(ctx) {
                    Next::Continue => Next::Continue, // CANCEL sent or pending: its outcome ends it
                    Next::Ended(_) => Next::Ended(EndReason::MediaFailed(failure)),
                }
            }
        }
    }

    /// Hangup: nothing to tell before the INVITE, CANCEL while it is pending, BYE once answered.
    pub fn hangup(&mut self, ctx: &mut Ctx) -> Next {
        if let Some(session) = self.session.as_mut() {
            return session.hangup(ctx);
        }
        match &mut self.state {
            State::Preparing => Next::Ended(EndReason::LocalCancel),
            State::Inviting { provisional: true, .. } => {
                self.send_cancel(ctx);
                Next::Continue
            }
            // §9.1: no CANCEL before a provisional response; send it when one arrives.
            State::Inviting { cancel_pending, .. } => {
                *cancel_pending = true;
                Next::Continue
            }
            State::Cancelling | State::Confirmed => Next::Continue,
        }
    }

    /// Ends the call after its path was lost too long (reconnect limit).
    pub fn abandon(&mut self, ctx: &mut Ctx) -> Next {
        if let Some(session) = self.session.as_mut() {
            session.bye(ctx, "SIP;cause=408;text=\"Connection lost\"");
        } else if matches!(self.state, State::Inviting { provisional: true, .. }) {
            self.send_cancel(ctx);
        }
        Next::Ended(EndReason::ConnectionLost)
    }

    pub fn on_timeout(&mut self, ctx: &mut Ctx) -> Next {
        if let Some(session) = self.session.as_mut() {
            return session.on_timeout(ctx);
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

    /// Responses to our INVITE, CANCEL and PRACK, and to our requests in the dialog.
    pub fn owns_response(&self, resp: &Response) -> bool {
        resp.answers_dialog_of(&self.call_id, &self.local_tag)
    }

    /// Requests of the far end in the dialog, or in an early dialog.
    pub fn owns_request(&self, req: &Request) -> bool {
        self.session.as_ref().is_some_and(|s| s.owns(req)) || self.early.iter().any(|e| e.dialog.matches(req))
    }

    pub fn on_request(&mut self, ctx: &mut Ctx, req: &Request) -> Next {
        if let Some(session) = self.session.as_mut().filter(|s| s.owns(req)) {
            return session.on_request(ctx, req);
        }
        if req.method == Method::Ack || self.early_replies.resend(ctx, req) {
            return Next::Continue;
        }
        let Some(early) = self.early.iter_mut().find(|e| e.dialog.matches(req)) else {
            return Next::Continue;
        };
        let tag = early.dialog.local_tag.clone();
        let seq = req.cseq().map_or(0, |c| c.seq);
        let in_order = seq > early.dialog.remote_cseq || early.dialog.remote_cseq == 0;
        if in_order {
            early.dialog.remote_cseq = seq;
        }
        let offer = body::sdp(&req.headers, &req.body).ok().flatten().is_some();
        let (status, retry_after) = match req.method {
            _ if !in_order => (500, false), // §12.2.2: out of order
            Method::Update if !offer => (200, false),
            // RFC 3311 §5.2: our INVITE's offer/answer is not final yet.
            Method::Update => (500, true),
            Method::Info | Method::Options => (200, false),
            // §15: the callee may not BYE an early dialog; a PRACK is ours to send, not theirs.
            _ => (481, false),
        };
        let mut resp = response_for(req, status, &tag);
        if retry_after {
            resp.headers.push("Retry-After", ctx.rng.below(11).to_string());
        }
        self.early_replies.send(ctx, req, resp);
        Next::Continue
    }

    pub fn on_response(&mut self, ctx: &mut Ctx, resp: &Response) -> Next {
        let Some(cseq) = resp.cseq() else { return Next::Continue };
        let of_invite = cseq.method == "INVITE" && cseq.seq == self.invite_cseq;
        if !of_invite {
            if let Some(session) = self.session.as_mut() {
                return session.on_response(ctx, resp);
            }
            return Next::Continue; // 200 to our CANCEL or PRACK: nothing more to do
        }
        if (200..300).contains(&resp.status) {
            return self.on_success(ctx, resp);
        }
        let via_branch = resp.top_via().and_then(|v| v.branch().map(str::to_string));
        if via_branch.as_deref() != Some(self.branch.as_str()) || self.session.is_some() {
            return Next::Continue;
        }
        if resp.status < 200 {
            return self.on_provisional(ctx, resp);
        }
        self.ack_non_2xx(ctx, resp);
        let cancelling = matches!(
            self.state,
            State::Cancelling
                | State::Inviting {
                    cancel_pending: true,
                    ..
                }
        );
        match resp.status {
            487 if cancelling => Next::Ended(EndReason::LocalCancel),
            // P1-9: a hangup before the first 1xx must not be lost to a challenge or redirect.
            _ if cancelling => Next::Ended(EndReason::LocalCancel),
            401 | 407 => self.on_challenge(ctx, resp),
            422 => self.on_too_brief(ctx, resp),
            300..=399 => self.on_redirect(ctx, resp),
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
                return Next::Continue;
            }
        }
        if resp.status == 100 {
            return Next::Continue;
        }
        let fork = self.early_dialog(resp);
        if extensions::has(&resp.headers, "Require", "100rel") {
            if let Some(i) = fork {
                if !self.prack(ctx, i, resp) {
                    return Next::Continue; // a retransmission or out of order: discarded (§4)
                }
            }
        }
        if resp.status == 180 || resp.status == 183 {
            ctx.emit(Event::Call(CallEvent::Ringing { call: self.handle }));
        }
        let sdp = body::sdp(&resp.headers, &resp.body).ok().flatten();
        if let Some(sdp) = sdp {
            if let Some(e) = fork.and_then(|i| self.early.get_mut(i)) {
                e.sdp = Some(sdp.clone());
            }
            if self.pranswer.as_deref() != Some(sdp.as_str()) {
                // Early media (RFC 3960): a preview until the 2xx brings the final answer.
                let first = self.pranswer.is_none();
                self.pranswer = Some(sdp.clone());
                ctx.out.push_back(Output::Media(MediaCommand::ApplyAnswer {
                    call: self.handle,
                    sdp,
                    provisional: true,
                }));
                if first {
                    ctx.emit(Event::Call(CallEvent::EarlyMedia { call: self.handle }));
                }
            }
        }
        Next::Continue
    }

    /// The early dialog of a 1xx with a To tag, created on its first response (its index).
    fn early_dialog(&mut self, resp: &Response) -> Option<usize> {
        let tag = resp.to_addr()?.tag()?.to_string();
        if let Some(i) = self.early.iter().position(|e| e.dialog.remote_tag == tag) {
            if let Some(e) = self.early.get_mut(i) {
                e.dialog.refresh_target(resp);
            }
            return Some(i);
        }
        if self.early.len() >= MAX_EARLY {
            return None;
        }
        let dialog = Dialog::new_uac(self.invite.as_ref()?, resp)?;
        self.early.push(Early {
            dialog,
            rseq: None,
            sdp: None,
        });
        Some(self.early.len() - 1)
    }

    /// RFC 3262 §4: PRACK for a reliable provisional in order; false when it is discarded.
    fn prack(&mut self, ctx: &mut Ctx, i: usize, resp: &Response) -> bool {
        let Some(rseq) = resp.header_u32("RSeq") else {
            return true; // Require: 100rel without RSeq: treat it as unreliable
        };
        let Some(e) = self.early.get_mut(i) else { return true };
        if e.rseq.is_some_and(|last| rseq != last.wrapping_add(1)) {
            return false;
        }
        e.rseq = Some(rseq);
        let via = ctx.new_via();
        e.dialog.local_cseq = self.cseq;
        let mut prack = e.dialog.request(Method::Prack, via, ctx.local.user_agent);
        self.cseq = e.dialog.local_cseq;
        prack
            .headers
            .push("RAck", format!("{rseq} {} INVITE", self.invite_cseq));
        if !self.credentials.is_empty() {
            let uri = prack.uri.clone();
            self.credentials.authorize(ctx, "PRACK", &uri, &mut prack.headers);
        }
        ctx.send(&prack.to_string());
        true
    }

    fn on_success(&mut self, ctx: &mut Ctx, resp: &Response) -> Next {
        let Some(invite) = self.invite.clone() else {
            return Next::Continue;
        };
        let Some(mut dialog) = Dialog::new_uac(&invite, resp) else {
            return Next::Continue; // not a response to our INVITE after all (no tags)
        };
        if let Some((_, ack)) = self.acks.iter().find(|(t, _)| *t == dialog.remote_tag) {
            // A retransmitted 2xx (its ACK was lost): acknowledge again (§13.2.2.4).
            let ack = ack.clone();
            ctx.send(&ack);
            return Next::Continue;
        }
        if self.acks.len() >= MAX_EARLY {
            return Next::Continue;
        }
        self.deadline = None;
        let ack = self.send_ack(ctx, &invite, &dialog);
        self.acks.push((dialog.remote_tag.clone(), ack));
        let malformed = dialog.remote_tag.is_empty() || resp.contacts().is_empty();
        if self.session.is_some() || malformed {
            // §13.2.2.4: every 2xx is ACKed on its own dialog; one we cannot use (another fork
            // answered first, or it lacks a To tag or Contact) is then ended with BYE.
            let via = ctx.new_via();
            dialog.local_cseq = dialog.local_cseq.max(self.cseq);
            let mut bye = dialog.request(Method::Bye, via, ctx.local.user_agent);
            let why = if malformed {
                "SIP;cause=400;text=\"2xx without To tag or Contact\""
            } else {
                "SIP;cause=200;text=\"Call completed elsewhere\""
            };
            bye.headers.push("Reason", why);
            ctx.send(&bye.to_string());
            if malformed && self.session.is_none() {
                ctx.log(Level::Error, "2xx to our INVITE without To tag or Contact; hung up");
                return Next::Ended(EndReason::Rejected {
                    status: resp.status,
                    reason: "malformed 2xx".into(),
                });
            }
            ctx.log(Level::Info, "another fork answered too; ended it with BYE");
            return Next::Continue;
        }
        // The answer: in the 2xx, else the early answer of the same fork (RFC 3262 §5).
        let early_sdp = self
            .early
            .iter()
            .find(|e| e.dialog.remote_tag == dialog.remote_tag)
            .and_then(|e| e.sdp.clone());
        let answer = body::sdp(&resp.headers, &resp.body).ok().flatten().or(early_sdp);
        dialog.local_cseq = dialog.local_cseq.max(self.cseq);
        // The far end's CSeq carries on from its requests in the early dialog.
        if let Some(e) = self.early.iter().find(|e| e.dialog.remote_tag == dialog.remote_tag) {
            dialog.remote_cseq = e.dialog.remote_cseq;
        }
        let mut session = Session::new(
            ctx,
            SessionStart {
                handle: self.handle,
                owns_call_id: true,
                dialog,
                local_sdp: &self.offer,
                remote_sdp: answer.as_deref(),
                peer_allow: resp.headers.get("Allow"),
                timer: timer::as_uac(&resp.headers),
                credentials: Credentials::default(),
                replies: self.early_replies.clone(),
            },
        );
        let cancelled = matches!(
            self.state,
            State::Cancelling
                | State::Inviting {
                    cancel_pending: true,
                    ..
                }
        );
        self.state = State::Confirmed;
        self.early.clear();
        ctx.emit(Event::Call(CallEvent::Connected { call: self.handle }));
        let Some(answer) = answer else {
            ctx.log(Level::Error, "the 2xx to our INVITE carried no answer; hanging up");
            session.bye(ctx, "SIP;cause=488;text=\"No answer in the 2xx\"");
            self.session = Some(session); // its aftermath knows this dialog was answered
            return Next::Ended(EndReason::MediaFailed(MediaFailure::Answer(
                "the 2xx carried no SDP answer".into(),
            )));
        };
        session.apply_initial_answer(ctx, answer);
        self.session = Some(session);
        if cancelled {
            // The 200 crossed our CANCEL (§9.1): the call exists now, so end it with BYE.
            if let Some(s) = self.session.as_mut() {
                s.hangup(ctx);
            }
            return Next::Ended(EndReason::LocalCancel);
        }
        Next::Continue
    }

    fn on_challenge(&mut self, ctx: &mut Ctx, resp: &Response) -> Next {
        if self.credentials.on_challenge(resp, self.challenges) {
            self.challenges += 1;
            self.send_invite(ctx);
            return Next::Continue;
        }
        Next::Ended(EndReason::Rejected {
            status: resp.status,
            reason: "authentication failed".into(),
        })
    }

    /// RFC 4028 §7.3: 422 names the shortest session interval the far end accepts.
    fn on_too_brief(&mut self, ctx: &mut Ctx, resp: &Response) -> Next {
        let min = resp.header_u32("Min-SE").unwrap_or(timer::MIN_SE).max(timer::MIN_SE);
        if self.session_expires.is_some_and(|se| se >= min) {
            return Next::Ended(EndReason::Rejected {
                status: 422,
                reason: resp.reason.clone(),
            });
        }
        self.session_expires = Some(min);
        self.send_invite(ctx);
        Next::Continue
    }

    /// §8.1.3.4: a 3xx names where to try instead; the first SIP Contact not yet tried.
    fn on_redirect(&mut self, ctx: &mut Ctx, resp: &Response) -> Next {
        let next = resp
            .contacts()
            .iter()
            .filter_map(crate::dialog::request_uri)
            .find(|u| !self.tried.contains(u));
        match next {
            Some(uri) if self.tried.len() <= MAX_REDIRECTS => {
                ctx.log(Level::Info, &format!("{} redirect: calling {uri}", resp.status));
                self.tried.push(uri.clone());
                self.target = uri;
                self.early.clear();
                self.send_invite(ctx);
                Next::Continue
            }
            _ => Next::Ended(EndReason::Rejected {
                status: resp.status,
                reason: resp.reason.clone(),
            }),
        }
    }

    fn send_invite(&mut self, ctx: &mut Ctx) {
        self.cseq += 1;
        self.invite_cseq = self.cseq;
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
        h.push("To", format!("<{}>", self.to_uri));
        h.push("Call-ID", self.call_id.clone());
        h.push("CSeq", format!("{} INVITE", self.cseq));
        h.push("Contact", ctx.local.contact_uri());
        let target = self.target.clone();
        self.credentials.authorize(ctx, "INVITE", &target, &mut h);
        h.push("Allow", ALLOW);
        h.push("Supported", SUPPORTED_INVITE);
        if let Some(se) = self.session_expires {
            h.push("Session-Expires", se.to_string());
            h.push("Min-SE", se.to_string());
        }
        h.push("User-Agent", ctx.local.user_agent);
        h.push("Content-Type", "application/sdp");
        let invite = Request {
            method: Method::Invite,
            uri: target,
            headers: h,
            body: self.offer.clone(),
        };
        ctx.send(&invite.to_string());
        self.invite = Some(invite);
        self.state = State::Inviting {
            provisional: false,
            cancel_pending: false,
        };
        self.deadline = Some(ctx.now + TIMER_64T1_MS);
    }

    /// CANCEL: same Request-URI, Call-ID, From, To, CSeq number, Route and branch as the
    /// INVITE (§9.1).
    fn send_cancel(&mut self, ctx: &mut Ctx) {
        let Some(invite) = &self.invite else { return };
        let mut h = Headers::new();
        for name in ["Via", "Max-Forwards", "Route", "From", "To", "Call-ID"] {
            for v in invite.headers.get_all(name) {
                h.push(name, v);
            }
        }
        h.push("CSeq", format!("{} CANCEL", self.invite_cseq));
        h.push("Reason", "SIP;cause=487;text=\"Hung up before answer\"");
        h.push("User-Agent", ctx.local.user_agent);
        let cancel = Request {
            method: Method::Cancel,
            uri: invite.uri.clone(),
            headers: h,
            body: String::new(),
        };
        ctx.send(&cancel.to_string());
        self.state = State::Cancelling;
        self.deadline = Some(ctx.now + TIMER_64T1_MS);
    }

    /// ACK to a non-2xx final: part of the INVITE transaction (§17.1.1.3).
    fn ack_non_2xx(&mut self, ctx: &mut Ctx, resp: &Response) {
        if let Some(invite) = &self.invite {
            ack_failure(ctx, invite, resp);
        }
    }

    /// ACK to a 2xx: a new request in its dialog with the INVITE's CSeq number and
    /// credentials (§13.2.2.4). Returns the text, for retransmitted 2xx.
    fn send_ack(&self, ctx: &mut Ctx, invite: &Request, dialog: &Dialog) -> String {
        let mut d = dialog.clone();
        d.local_cseq = self.invite_cseq.saturating_sub(1);
        let via = ctx.new_via();
        let mut ack = d.request(Method::Ack, via, ctx.local.user_agent);
        copy_credentials(invite, &mut ack.headers);
        let text = ack.to_string();
        ctx.send(&text);
        text
    }
}
