//! The confirmed dialog of a call, whichever side placed it (RFC 3261 §12–§15): one machine
//! for every request and response inside the dialog once the first 2xx exists.
//!
//! It owns the dialog (CSeq both ways, remote target refresh), the offer/answer state after
//! the first exchange (RFC 3264: re-INVITE and UPDATE both ways, with and without an offer,
//! answers in the ACK, glare, rollback), the retransmission of our 2xx until its ACK, session
//! timers (RFC 4028), INFO, OPTIONS, challenges to our requests, and BYE.

use crate::aftermath::{Aftermath, Replies, Reply};
use crate::body;
use crate::call::{CallError, CallEvent, CallHandle, EndReason, MediaCommand, MediaFailure, Next};
use crate::credentials::Credentials;
use crate::dialog::Dialog;
use crate::extensions::{supported, SUPPORTED_DIALOG};
use crate::message::{HeaderAccess, Headers, Method, Request, Response};
use crate::reply::response_for;
use crate::sdp::{answer_direction, audio_direction, offer_direction, Direction};
use crate::timer::{self, Due, SessionTimer};
use crate::ua::{Ctx, Event, Level, Output, ALLOW};

/// RFC 3261 T1 and T2: 2xx retransmission starts at T1 and doubles up to T2 (§13.3.1.4).
pub(crate) const T1_MS: u64 = 500;
const T2_MS: u64 = 4_000;
/// Timers B, F and H: 64·T1.
pub(crate) const TIMER_64T1_MS: u64 = 64 * T1_MS;
/// ACKs remembered for retransmitted 2xx to our re-INVITEs.
const MAX_ACKS: usize = 4;
/// Our INFO requests remembered for their responses (challenges, 481); older ones are dropped.
const MAX_PENDING_INFO: usize = 16;

pub(crate) const DTMF_DIGITS: &str = "0123456789*#ABCD";

/// Why we send an offer of our own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// Hold (`true`) or resume.
    Hold(bool),
    /// New ICE credentials after the media path broke (RFC 8445 §9).
    IceRestart,
    /// A session-timer refresh (RFC 4028 §10), by re-INVITE when the far end has no UPDATE.
    Refresh,
}

#[derive(Debug)]
enum OursState {
    /// Waiting for the driver's offer.
    Offering,
    Sent {
        request: Request,
        deadline: u64,
        /// Challenges answered for this request.
        attempts: u8,
    },
    /// 491: try again at `at` (§14.1).
    Retry { at: u64 },
}

/// Our re-INVITE or UPDATE in progress.
#[derive(Debug)]
struct Ours {
    purpose: Purpose,
    state: OursState,
}

/// The far end's INVITE or UPDATE waiting for our SDP.
#[derive(Debug)]
struct Theirs {
    request: Request,
    /// `Some(held)`: they offered, and whether their offer holds us; `None`: an offerless
    /// re-INVITE, so our 200 carries an offer and their ACK the answer.
    offer_holds: Option<Option<bool>>,
    timer: Option<timer::Agreed>,
}

/// Our 2xx to an INVITE, re-sent until its ACK arrives (§13.3.1.4).
#[derive(Debug)]
struct AckWait {
    cseq: u32,
    response: String,
    next_retransmit: u64,
    interval: u64,
    give_up: u64,
    /// Our 2xx carried the offer: the ACK must carry the answer (§13.2.1).
    expects_answer: bool,
    /// The 2xx to the INVITE that created the call: its ACK confirms the call.
    initial: bool,
}

/// What the last answer we applied was for, to act on its failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Applying {
    /// The answer to the offer in our 200, from the ACK: the session cannot go on without it.
    AckAnswer,
    /// The answer in the 2xx to our INVITE that created the call.
    Initial,
    /// The answer in the 2xx to our re-INVITE.
    Reoffer(Purpose),
}

#[derive(Debug)]
pub(crate) struct Session {
    handle: CallHandle,
    /// We generated the Call-ID (we sent the initial INVITE): decides the §14.1 delay range.
    owns_call_id: bool,
    pub dialog: Dialog,
    /// The SDP we sent last (offer or answer).
    local_sdp: String,
    we_hold: bool,
    peer_holds: bool,
    ours: Option<Ours>,
    theirs: Option<Theirs>,
    ack_wait: Option<AckWait>,
    applying: Option<Applying>,
    timer: SessionTimer,
    /// The far end listed UPDATE in its Allow: refreshes go by UPDATE, else by re-INVITE.
    peer_allows_update: bool,
    credentials: Credentials,
    /// Our INFOs waiting for a final response: (CSeq, request, challenges answered).
    infos: Vec<(u32, Request, u8)>,
    /// The ACKs we sent for the 2xx to our last re-INVITEs, re-sent if a 2xx is retransmitted.
    acks: Vec<(u32, String)>,
    /// Our responses to the last few requests received, re-sent if one is retransmitted.
    replies: Replies,
    /// Hangup asked while our 2xx to the initial INVITE was unacknowledged (§15).
    bye_after_ack: bool,
    /// Our BYE, once sent: the ended call's aftermath answers a challenge to it.
    sent_bye: Option<Request>,
    /// Our last re-INVITE: its 2xx may come after the call ended, and still gets an ACK.
    last_reinvite: Option<Request>,
    /// We ended the call because our re-INVITE got no final response: its 2xx may still come.
    gave_up_on_invite: bool,
}

/// A new session: the caller sends its first 2xx and, as UAS, calls `await_ack` with it.
pub(crate) struct SessionStart<'a> {
    pub handle: CallHandle,
    pub owns_call_id: bool,
    pub dialog: Dialog,
    pub local_sdp: &'a str,
    /// The far end's SDP; `None` when it arrives in the ACK (late offer).
    pub remote_sdp: Option<&'a str>,
    /// The far end's Allow (from its INVITE or its 2xx).
    pub peer_allow: Option<&'a str>,
    /// The agreed session timer: interval and whether we refresh.
    pub timer: Option<(u32, bool)>,
    pub credentials: Credentials,
    /// Our responses in the early dialog, still owed to their retransmissions.
    pub replies: Replies,
}

impl Session {
    pub fn new(ctx: &mut Ctx, start: SessionStart) -> Session {
        let mut timer = SessionTimer::default();
        timer.restart(ctx.now, start.timer);
        let peer_allows_update = start
            .peer_allow
            .is_some_and(|a| crate::message::split_list(a).any(|m| m.eq_ignore_ascii_case("UPDATE")));
        Session {
            handle: start.handle,
            owns_call_id: start.owns_call_id,
            dialog: start.dialog,
            local_sdp: start.local_sdp.to_string(),
            we_hold: false,
            peer_holds: start
                .remote_sdp
                .and_then(audio_direction)
                .is_some_and(Direction::is_hold),
            ours: None,
            theirs: None,
            ack_wait: None,
            applying: None,
            timer,
            peer_allows_update,
            credentials: start.credentials,
            infos: Vec::new(),
            acks: Vec::new(),
            replies: start.replies,
            bye_after_ack: false,
            sent_bye: None,
            last_reinvite: None,
            gave_up_on_invite: false,
        }
    }

    /// What the call leaves behind once ended (aftermath.rs): the dialog, our BYE, our last
    /// re-INVITE, our last reply and the credentials.
    pub fn leave(&self, aftermath: &mut Aftermath) {
        aftermath.dialog = Some(self.dialog.clone());
        aftermath.local_cseq = aftermath.local_cseq.max(self.dialog.local_cseq);
        aftermath.bye = self.sent_bye.clone().map(|b| (b, 0));
        aftermath.reinvite = self.last_reinvite.clone();
        aftermath.invite_pending |= self.gave_up_on_invite
            || matches!(
                self.ours.as_ref().map(|o| &o.state),
                Some(OursState::Sent { request, .. }) if request.method == Method::Invite
            );
        aftermath.replies.extend(self.replies.all().cloned());
        aftermath.credentials = self.credentials.clone();
    }

    /// UAS: our 2xx to the initial INVITE went out as `response`; retransmit it until the ACK.
    pub fn await_ack(&mut self, ctx: &Ctx, cseq: u32, response: String, expects_answer: bool) {
        self.ack_wait = Some(AckWait {
            cseq,
            response,
            next_retransmit: ctx.now + T1_MS,
            interval: T1_MS,
            give_up: ctx.now + TIMER_64T1_MS,
            expects_answer,
            initial: true,
        });
    }

    /// UAC: the 2xx that created the session carried the answer to our offer.
    pub fn apply_initial_answer(&mut self, ctx: &mut Ctx, sdp: String) {
        self.applying = Some(Applying::Initial);
        self.apply_answer(ctx, sdp);
    }

    /// The ACK for our first 2xx has arrived (UAC sessions never wait for one).
    pub fn is_confirmed(&self) -> bool {
        !self.ack_wait.as_ref().is_some_and(|a| a.initial)
    }

    pub fn poll_timeout(&self) -> Option<u64> {
        let ack = self.ack_wait.as_ref().map(|a| a.next_retransmit.min(a.give_up));
        let ours = match self.ours.as_ref().map(|o| &o.state) {
            Some(OursState::Sent { deadline, .. }) => Some(*deadline),
            Some(OursState::Retry { at }) => Some(*at),
            _ => None,
        };
        [ack, ours, self.timer.poll_timeout()].into_iter().flatten().min()
    }

    /// An offer/answer exchange is under way, either side's.
    fn negotiating(&self) -> bool {
        self.ours.is_some() || self.theirs.is_some() || self.ack_wait.as_ref().is_some_and(|a| a.expects_answer)
    }

    // ---- API ------------------------------------------------------------------------------

    /// Hold (`true`) or resume. Refused while another offer/answer exchange is in progress.
    pub fn set_hold(&mut self, ctx: &mut Ctx, hold: bool) -> Result<(), CallError> {
        if !self.is_confirmed() {
            return Err(CallError::WrongState("hold needs a connected call"));
        }
        if self.negotiating() {
            return Err(CallError::WrongState("a hold or resume is already in progress"));
        }
        if self.we_hold == hold {
            ctx.log(
                Level::Info,
                if hold {
                    "hold: already on hold"
                } else {
                    "unhold: not on hold"
                },
            );
            return Ok(());
        }
        self.start_offer(ctx, Purpose::Hold(hold));
        Ok(())
    }

    /// ICE restart (RFC 8445 §9): a re-INVITE with the same directions and new ICE
    /// credentials. Its outcome is only logged: apps see no hold event.
    pub fn restart_ice(&mut self, ctx: &mut Ctx) -> Result<(), CallError> {
        if !self.is_confirmed() {
            return Err(CallError::WrongState("ICE restart needs a connected call"));
        }
        if self.negotiating() {
            return Err(CallError::WrongState("an offer/answer exchange is in progress"));
        }
        ctx.log(Level::Info, "restarting ICE (re-INVITE with new candidates)");
        self.start_offer(ctx, Purpose::IceRestart);
        Ok(())
    }

    /// SIP INFO with `application/dtmf-relay` (what 3.0.10 always sends).
    pub fn send_info_dtmf(&mut self, ctx: &mut Ctx, digit: char) -> Result<(), CallError> {
        let digit = digit.to_ascii_uppercase();
        if !DTMF_DIGITS.chars().any(|d| d == digit) {
            return Err(CallError::WrongState("DTMF digits are 0-9, *, #, A-D"));
        }
        let body = format!("Signal={digit}\r\nDuration=240\r\n");
        let info = self.send_request(ctx, Method::Info, Some(("application/dtmf-relay", body)));
        if self.infos.len() >= MAX_PENDING_INFO {
            self.infos.remove(0);
        }
        self.infos.push((self.dialog.local_cseq, info, 0));
        Ok(())
    }

    /// BYE, or once the ACK has come when our 2xx still waits for it (§15).
    pub fn hangup(&mut self, ctx: &mut Ctx) -> Next {
        if !self.is_confirmed() {
            self.bye_after_ack = true;
            ctx.log(Level::Info, "hangup: BYE will follow the ACK");
            return Next::Continue;
        }
        self.bye(ctx, "Q.850;cause=16;text=\"Normal call clearing\"");
        Next::Ended(EndReason::LocalHangup)
    }

    /// Sends BYE with `reason`, after a final response to any request of theirs still open.
    pub fn bye(&mut self, ctx: &mut Ctx, reason: &str) {
        if let Some(theirs) = self.theirs.take() {
            self.respond(ctx, &theirs.request, 487, &[]);
        }
        let mut bye = self.new_request(ctx, Method::Bye);
        bye.headers.push("Reason", reason);
        ctx.send(&bye.to_string());
        self.sent_bye = Some(bye);
    }

    // ---- Media results --------------------------------------------------------------------

    /// Our SDP from the driver: the answer or offer for their request, or our re-offer.
    /// Returns false when nothing waited for it.
    pub fn on_local_sdp(&mut self, ctx: &mut Ctx, sdp: &str) -> bool {
        if let Some(theirs) = self.theirs.take() {
            self.local_sdp = sdp.to_string();
            self.answer_theirs(ctx, theirs, sdp);
            return true;
        }
        if let Some(Ours {
            purpose,
            state: OursState::Offering,
        }) = self.ours
        {
            self.local_sdp = sdp.to_string();
            self.send_offer(ctx, purpose, Some(sdp.to_string()));
            return true;
        }
        false
    }

    /// A media step of this call failed. Ends the call only when the session cannot go on.
    pub fn on_media_failed(&mut self, ctx: &mut Ctx, failure: MediaFailure) -> Next {
        if let Some(theirs) = self.theirs.take() {
            // §13.3.1 / RFC 3264: their offer gets a final response, and nothing changes.
            let status = if theirs.offer_holds.is_some() { 488 } else { 500 };
            ctx.log(Level::Warn, &format!("{} {status}: {failure}", theirs.request.method));
            self.respond(ctx, &theirs.request, status, &[]);
            self.rollback(ctx);
            return Next::Continue;
        }
        if let Some(Ours {
            purpose,
            state: OursState::Offering,
        }) = self.ours
        {
            self.ours = None;
            ctx.log(Level::Warn, &format!("{} failed: {failure}", purpose_word(purpose)));
            self.rollback(ctx);
            self.report_failure(ctx, purpose);
            return Next::Continue;
        }
        match (&failure, self.applying.take()) {
            (MediaFailure::Answer(_), Some(Applying::AckAnswer | Applying::Initial)) => {
                ctx.log(Level::Error, &format!("the far end's answer failed: {failure}"));
                self.bye(ctx, "SIP;cause=488;text=\"Not Acceptable Here\"");
                Next::Ended(EndReason::MediaFailed(failure))
            }
            (MediaFailure::Answer(_), Some(Applying::Reoffer(purpose))) => {
                // The far end took our offer but its answer is unusable: go back to the session
                // we had, which both sides still hold media for (RFC 3264 §8 keeps it until
                // the new one is agreed).
                ctx.log(
                    Level::Warn,
                    &format!("{}: answer failed: {failure}", purpose_word(purpose)),
                );
                if let Purpose::Hold(hold) = purpose {
                    self.we_hold = !hold;
                }
                self.rollback(ctx);
                self.report_failure(ctx, purpose);
                Next::Continue
            }
            _ => {
                ctx.log(Level::Warn, &format!("media failure on the call: {failure}"));
                Next::Continue
            }
        }
    }

    fn report_failure(&mut self, ctx: &mut Ctx, purpose: Purpose) {
        if let Purpose::Hold(_) = purpose {
            ctx.emit(Event::Call(CallEvent::HoldFailed {
                call: self.handle,
                held: self.we_hold,
            }));
        }
    }

    fn rollback(&self, ctx: &mut Ctx) {
        ctx.out.push_back(Output::Media(MediaCommand::Rollback {
            call: self.handle,
            direction: offer_direction(self.we_hold, self.peer_holds),
            hold: self.we_hold,
        }));
    }

    fn apply_answer(&mut self, ctx: &mut Ctx, sdp: String) {
        ctx.out.push_back(Output::Media(MediaCommand::ApplyAnswer {
            call: self.handle,
            sdp,
            provisional: false,
        }));
    }

    // ---- Our offers -----------------------------------------------------------------------

    fn start_offer(&mut self, ctx: &mut Ctx, purpose: Purpose) {
        if purpose == Purpose::Refresh && self.peer_allows_update {
            // RFC 4028 §10 prefers UPDATE: no offer, no media work.
            self.send_offer(ctx, purpose, None);
            return;
        }
        let hold = match purpose {
            Purpose::Hold(h) => h,
            _ => self.we_hold,
        };
        self.ours = Some(Ours {
            purpose,
            state: OursState::Offering,
        });
        ctx.out.push_back(Output::Media(MediaCommand::Reoffer {
            call: self.handle,
            direction: offer_direction(hold, self.peer_holds),
            hold,
            ice_restart: purpose == Purpose::IceRestart,
        }));
    }

    /// Sends our re-INVITE with `sdp`, or an UPDATE refresh without one.
    fn send_offer(&mut self, ctx: &mut Ctx, purpose: Purpose, sdp: Option<String>) {
        let method = if sdp.is_some() { Method::Invite } else { Method::Update };
        let request = self.send_request(ctx, method, sdp.map(|s| ("application/sdp", s)));
        if request.method == Method::Invite {
            self.last_reinvite = Some(request.clone());
        }
        self.ours = Some(Ours {
            purpose,
            state: OursState::Sent {
                request,
                deadline: ctx.now + TIMER_64T1_MS,
                attempts: 0,
            },
        });
    }

    /// A new request in the dialog (next CSeq), with what every request of ours carries.
    fn new_request(&mut self, ctx: &mut Ctx, method: Method) -> Request {
        let via = ctx.new_via();
        let mut req = self.dialog.request(method, via, ctx.local.user_agent);
        if req.method == Method::Invite || req.method == Method::Update {
            // Target refresh requests carry our Contact (§12.2.1.1).
            req.headers.push("Contact", ctx.local.contact_uri());
            req.headers.push("Allow", ALLOW);
            self.timer.write_request(&mut req.headers);
        }
        req.headers
            .push("Supported", supported(self.timer.interval().is_some()));
        if !self.credentials.is_empty() {
            let (m, uri) = (req.method.to_string(), req.uri.clone());
            self.credentials.authorize(ctx, &m, &uri, &mut req.headers);
        }
        req
    }

    fn send_request(&mut self, ctx: &mut Ctx, method: Method, body: Option<(&str, String)>) -> Request {
        let mut req = self.new_request(ctx, method);
        if let Some((content_type, body)) = body {
            req.headers.push("Content-Type", content_type);
            req.body = body;
        }
        ctx.send(&req.to_string());
        req
    }

    /// The same request again with a new CSeq and credentials, after a 401/407.
    fn resend_with_credentials(&mut self, ctx: &mut Ctx, old: &Request) -> Request {
        let mut req = self.new_request(ctx, old.method.clone());
        for (name, value) in old.headers.iter() {
            let keep = matches!(name, "Content-Type" | "Reason");
            if keep {
                req.headers.push(name, value);
            }
        }
        req.body = old.body.clone();
        ctx.send(&req.to_string());
        req
    }

    // ---- Responses to our requests ----------------------------------------------------------

    /// A response to one of our requests in this dialog.
    pub fn on_response(&mut self, ctx: &mut Ctx, resp: &Response) -> Next {
        let Some(cseq) = resp.cseq() else { return Next::Continue };
        let (seq, method) = (cseq.seq, cseq.method.to_string());
        if resp.status < 200 {
            return Next::Continue;
        }
        // §17.1.3: a response belongs to our transaction by its top Via branch (and method).
        let ours = match self.ours.as_ref().map(|o| &o.state) {
            Some(OursState::Sent { request, .. }) => {
                request.cseq().map(|c| c.seq) == Some(seq)
                    && request.method.as_str() == method
                    && same_branch(request, resp)
            }
            _ => false,
        };
        if ours {
            return self.on_offer_response(ctx, resp, seq);
        }
        match method.as_str() {
            "INVITE" => {
                // A retransmitted 2xx to a re-INVITE we already completed: acknowledge again.
                if (200..300).contains(&resp.status) {
                    if let Some((_, ack)) = self.acks.iter().find(|(s, _)| *s == seq) {
                        let ack = ack.clone();
                        ctx.send(&ack);
                    }
                }
                Next::Continue
            }
            "INFO" => self.on_info_response(ctx, resp, seq),
            _ => Next::Continue,
        }
    }

    fn on_info_response(&mut self, ctx: &mut Ctx, resp: &Response, seq: u32) -> Next {
        let Some(i) = self
            .infos
            .iter()
            .position(|(s, r, _)| *s == seq && same_branch(r, resp))
        else {
            return Next::Continue;
        };
        let (_, info, attempts) = self.infos.remove(i);
        match resp.status {
            200..=299 => Next::Continue,
            401 | 407 if self.credentials.on_challenge(resp, attempts) => {
                let again = self.resend_with_credentials(ctx, &info);
                self.infos.push((self.dialog.local_cseq, again, attempts + 1));
                Next::Continue
            }
            // RFC 5057 §5.1: the dialog is gone at the far end.
            481 => self.ended_by_far_end(ctx, resp),
            status => {
                ctx.log(Level::Warn, &format!("INFO (DTMF) answered {status} {}", resp.reason));
                Next::Continue
            }
        }
    }

    fn ended_by_far_end(&mut self, ctx: &mut Ctx, resp: &Response) -> Next {
        ctx.log(
            Level::Warn,
            &format!("{} to a request in the call: the far end no longer has it", resp.status),
        );
        if let Some(theirs) = self.theirs.take() {
            self.respond(ctx, &theirs.request, 487, &[]);
        }
        Next::Ended(EndReason::RemoteHangup {
            reason: Some(format!("SIP;cause={}", resp.status)),
        })
    }

    fn on_offer_response(&mut self, ctx: &mut Ctx, resp: &Response, seq: u32) -> Next {
        let Some(Ours {
            purpose,
            state: OursState::Sent { request, attempts, .. },
        }) = self.ours.take()
        else {
            return Next::Continue;
        };
        let is_invite = request.method == Method::Invite;
        if (200..300).contains(&resp.status) {
            if is_invite {
                self.send_2xx_ack(ctx, &request, seq);
            }
            // §12.2.1.2: a 2xx to a target refresh request replaces the remote target.
            self.dialog.refresh_target(resp);
            self.timer.restart(ctx.now, timer::as_uac(&resp.headers));
            if !is_invite {
                ctx.log(Level::Debug, "session refreshed (UPDATE)");
                return Next::Continue;
            }
            let answer = body::sdp(&resp.headers, &resp.body).ok().flatten();
            let Some(answer) = answer else {
                // §13.2.1: the 2xx to an offer must carry the answer. Back to the session we had.
                ctx.log(
                    Level::Warn,
                    &format!("{}: the 2xx carried no answer", purpose_word(purpose)),
                );
                self.rollback(ctx);
                self.report_failure(ctx, purpose);
                return Next::Continue;
            };
            self.applying = Some(Applying::Reoffer(purpose));
            self.apply_answer(ctx, answer);
            match purpose {
                Purpose::Hold(hold) => {
                    self.we_hold = hold;
                    ctx.emit(Event::Call(CallEvent::HoldChanged {
                        call: self.handle,
                        held: hold,
                    }));
                }
                Purpose::IceRestart => ctx.log(Level::Info, "ICE restart answered; media continues on the new path"),
                Purpose::Refresh => ctx.log(Level::Debug, "session refreshed (re-INVITE)"),
            }
            return Next::Continue;
        }
        if is_invite {
            ack_failure(ctx, &request, resp);
        }
        match resp.status {
            401 | 407 if self.credentials.on_challenge(resp, attempts) => {
                let again = self.resend_with_credentials(ctx, &request);
                if again.method == Method::Invite {
                    self.last_reinvite = Some(again.clone());
                }
                self.ours = Some(Ours {
                    purpose,
                    state: OursState::Sent {
                        request: again,
                        deadline: ctx.now + TIMER_64T1_MS,
                        attempts: attempts + 1,
                    },
                });
                return Next::Continue;
            }
            422 if attempts < 2 => {
                // RFC 4028 §7.3 / §10: once more with the Min-SE the server asked for; the
                // session then refreshes at that interval, by us.
                let min = resp.header_u32("Min-SE").unwrap_or(timer::MIN_SE);
                self.timer.restart(ctx.now, Some((min.max(timer::MIN_SE), true)));
                let sdp = (!request.body.is_empty()).then(|| request.body.clone());
                self.send_offer(ctx, purpose, sdp);
                if let Some(Ours {
                    state: OursState::Sent { attempts: a, .. },
                    ..
                }) = self.ours.as_mut()
                {
                    *a = attempts + 1;
                }
                return Next::Continue;
            }
            _ => {}
        }
        if is_invite {
            self.rollback(ctx);
        }
        match resp.status {
            491 => {
                // §14.1: owner of the Call-ID waits 2.1–4 s, the other side 0–2 s, in 10 ms units.
                let (base, span) = if self.owns_call_id { (2_100, 190) } else { (0, 200) };
                let delay = base + 10 * ctx.rng.below(span + 1);
                ctx.log(Level::Info, &format!("re-INVITE glare (491); retrying in {delay} ms"));
                self.ours = Some(Ours {
                    purpose,
                    state: OursState::Retry { at: ctx.now + delay },
                });
                Next::Continue
            }
            // §14.1 (and RFC 4028 §10 for refreshes): these mean the dialog is gone.
            408 | 481 => self.end_dialog(ctx, resp.status),
            _ => {
                ctx.log(
                    Level::Warn,
                    &format!("{} failed: {} {}", purpose_word(purpose), resp.status, resp.reason),
                );
                self.report_failure(ctx, purpose);
                Next::Continue
            }
        }
    }

    /// Ends the dialog after a 408/481 or a timeout: BYE (§14.1), then the call is over.
    fn end_dialog(&mut self, ctx: &mut Ctx, status: u16) -> Next {
        let reason = format!("SIP;cause={status}");
        self.bye(ctx, &reason);
        if status == 408 {
            return Next::Ended(EndReason::Timeout);
        }
        Next::Ended(EndReason::RemoteHangup { reason: Some(reason) })
    }

    // ---- Timers ---------------------------------------------------------------------------

    pub fn on_timeout(&mut self, ctx: &mut Ctx) -> Next {
        let now = ctx.now;
        if let Some(ack) = self.ack_wait.as_mut() {
            if ack.give_up <= now {
                let initial = ack.initial;
                self.ack_wait = None;
                ctx.log(Level::Warn, "no ACK for our 200 OK within 32 s; hanging up");
                self.bye(ctx, "SIP;cause=408;text=\"ACK timeout\"");
                return Next::Ended(if initial { EndReason::NoAck } else { EndReason::Timeout });
            }
            if ack.next_retransmit <= now {
                ack.interval = (ack.interval * 2).min(T2_MS);
                ack.next_retransmit = now + ack.interval;
                let text = ack.response.clone();
                ctx.send(&text);
            }
        }
        match self.ours.as_ref().map(|o| (o.purpose, &o.state)) {
            Some((purpose, OursState::Retry { at })) if *at <= now => self.start_offer(ctx, purpose),
            Some((purpose, OursState::Sent { deadline, request, .. })) if *deadline <= now => {
                // §14.1: no response at all to a re-INVITE ends the dialog, as RFC 4028 §10
                // does for a refresh.
                let is_invite = request.method == Method::Invite;
                ctx.log(
                    Level::Warn,
                    &format!("{}: no response to our {}", purpose_word(purpose), request.method),
                );
                self.ours = None;
                if is_invite {
                    self.gave_up_on_invite = true;
                    self.rollback(ctx);
                }
                return self.end_dialog(ctx, 408);
            }
            _ => {}
        }
        match self.timer.due(now) {
            Some(Due::Refresh) => {
                if self.negotiating() {
                    // The exchange in progress refreshes the session when it completes.
                    ctx.log(Level::Debug, "session refresh due; an exchange in progress will do");
                } else {
                    ctx.log(Level::Debug, "refreshing the session (RFC 4028)");
                    self.start_offer(ctx, Purpose::Refresh);
                }
                Next::Continue
            }
            Some(Due::Expired) => {
                ctx.log(
                    Level::Warn,
                    "session timer expired: the far end stopped refreshing the session; hanging up",
                );
                self.bye(ctx, "SIP;cause=408;text=\"Session timer expired\"");
                Next::Ended(EndReason::SessionExpired)
            }
            None => Next::Continue,
        }
    }

    // ---- Requests from the far end --------------------------------------------------------

    /// Whether `req` belongs to this dialog.
    pub fn owns(&self, req: &Request) -> bool {
        self.dialog.matches(req)
    }

    /// A request in the dialog (the UA has already checked methods, Require and framing).
    pub fn on_request(&mut self, ctx: &mut Ctx, req: &Request) -> Next {
        let Some(cseq) = req.cseq() else { return Next::Continue };
        let seq = cseq.seq;
        if req.method == Method::Ack {
            return self.on_ack(ctx, req, seq);
        }
        if req.method == Method::Cancel {
            // CANCEL matches a transaction, not the dialog; the call above handled ours.
            self.respond(ctx, req, 481, &[]);
            return Next::Continue;
        }
        // A retransmission (same branch and CSeq, §17.2.3) of a request still being answered
        // is absorbed; of one we answered, it gets the same answer again.
        if self
            .theirs
            .as_ref()
            .is_some_and(|t| Reply::same_transaction(&t.request, req))
        {
            return Next::Continue;
        }
        if self.replies.resend(ctx, req) {
            return Next::Continue;
        }
        if seq <= self.dialog.remote_cseq {
            // §12.2.2: lower than one already seen: out of order.
            ctx.log(
                Level::Info,
                &format!("500 to an out-of-order {} (CSeq {seq})", req.method),
            );
            self.respond(ctx, req, 500, &[]);
            return Next::Continue;
        }
        self.dialog.remote_cseq = seq;
        match req.method {
            Method::Bye => {
                self.respond(ctx, req, 200, &[]);
                if let Some(theirs) = self.theirs.take() {
                    // §15.1.2: requests still open get 487 once the BYE ends the session.
                    self.respond(ctx, &theirs.request, 487, &[]);
                }
                Next::Ended(EndReason::RemoteHangup {
                    reason: req.headers.get("Reason").map(str::to_string),
                })
            }
            Method::Options => {
                // §11.2: the answer an INVITE would get, with what we can do.
                let extra = [
                    ("Allow", ALLOW),
                    ("Accept", "application/sdp"),
                    ("Supported", SUPPORTED_DIALOG),
                ];
                self.respond(ctx, req, 200, &extra);
                Next::Continue
            }
            Method::Info => {
                self.on_info(ctx, req);
                Next::Continue
            }
            Method::Invite | Method::Update => {
                self.on_offer_request(ctx, req);
                Next::Continue
            }
            Method::Prack => {
                // RFC 3262 §3: no reliable provisional of ours is waiting for this PRACK.
                self.respond(ctx, req, 481, &[]);
                Next::Continue
            }
            _ => {
                self.respond(ctx, req, 405, &[("Allow", ALLOW)]);
                Next::Continue
            }
        }
    }

    fn on_info(&mut self, ctx: &mut Ctx, req: &Request) {
        if req.headers.get("Info-Package").is_some() {
            // RFC 6086 §4.2.2: we support no Info Package, so the list we can receive is empty.
            self.respond(ctx, req, 469, &[("Recv-Info", "")]);
            return;
        }
        let dtmf = req
            .headers
            .get("Content-Type")
            .is_some_and(|c| c.trim().eq_ignore_ascii_case("application/dtmf-relay"));
        ctx.log(Level::Info, if dtmf { "DTMF INFO received" } else { "INFO received" });
        self.respond(ctx, req, 200, &[]);
    }

    /// The far end's re-INVITE or UPDATE: an offer, an offerless re-INVITE asking for ours, or
    /// an offerless UPDATE (a session refresh).
    fn on_offer_request(&mut self, ctx: &mut Ctx, req: &Request) {
        let is_invite = req.method == Method::Invite;
        let sdp = match body::sdp(&req.headers, &req.body) {
            Ok(s) => s,
            Err(body::Unsupported) => {
                self.respond(ctx, req, 415, &[("Accept", "application/sdp")]);
                return;
            }
        };
        if sdp.is_some() || is_invite {
            let ours_out = self
                .ours
                .as_ref()
                .is_some_and(|o| matches!(o.state, OursState::Offering | OursState::Sent { .. }));
            if ours_out {
                // §14.2, RFC 3311 §5.2: an offer while ours is outstanding is glare.
                self.respond(ctx, req, 491, &[]);
                return;
            }
            if self.theirs.is_some() || self.ack_wait.is_some() {
                // §14.2: an INVITE while our answer to the previous one is pending (or before
                // its ACK) gets 500 with a Retry-After of 0-10 s.
                let after = ctx.rng.below(11).to_string();
                self.respond(ctx, req, 500, &[("Retry-After", &after)]);
                return;
            }
        }
        let agreed = match timer::as_uas(&req.headers) {
            Ok(a) => a,
            Err(min) => {
                self.respond(ctx, req, 422, &[("Min-SE", &min.to_string())]);
                return;
            }
        };
        // §12.2.2: a target refresh request replaces the remote target.
        self.dialog.refresh_target(req);
        let Some(sdp) = sdp else {
            if is_invite {
                // §14.2: no offer in a re-INVITE: ours goes in the 200, their answer in the ACK.
                self.theirs = Some(Theirs {
                    request: req.clone(),
                    offer_holds: None,
                    timer: agreed,
                });
                self.start_reoffer_for_them(ctx);
            } else {
                let mut extra = Headers::new();
                if let Some(a) = agreed {
                    a.write_response(&mut extra);
                }
                self.timer.restart(
                    ctx.now,
                    agreed.map(|a| (a.interval, a.refresher == timer::Refresher::Uas)),
                );
                self.respond_with(ctx, req, 200, extra, None);
            }
            return;
        };
        let offered = audio_direction(&sdp);
        self.theirs = Some(Theirs {
            request: req.clone(),
            offer_holds: Some(offered.map(Direction::is_hold)),
            timer: agreed,
        });
        // With audio rejected there is nothing to hold or send: the browser answers port 0.
        let direction = offered.map_or(Direction::Inactive, |d| answer_direction(d, self.we_hold));
        ctx.out.push_back(Output::Media(MediaCommand::AnswerReoffer {
            call: self.handle,
            sdp,
            direction,
        }));
    }

    fn start_reoffer_for_them(&mut self, ctx: &mut Ctx) {
        ctx.out.push_back(Output::Media(MediaCommand::Reoffer {
            call: self.handle,
            direction: offer_direction(self.we_hold, self.peer_holds),
            hold: self.we_hold,
            ice_restart: false,
        }));
    }

    /// Our SDP for their request is ready: the 200 goes out (and for an INVITE, waits for ACK).
    fn answer_theirs(&mut self, ctx: &mut Ctx, theirs: Theirs, sdp: &str) {
        let mut extra = Headers::new();
        if let Some(a) = theirs.timer {
            a.write_response(&mut extra);
        }
        let text = self.respond_with(ctx, &theirs.request, 200, extra, Some(sdp));
        self.timer.restart(
            ctx.now,
            theirs.timer.map(|a| (a.interval, a.refresher == timer::Refresher::Uas)),
        );
        if let Some(Some(held)) = theirs.offer_holds {
            self.set_peer_holds(ctx, held);
        }
        if theirs.request.method == Method::Invite {
            let cseq = theirs.request.cseq().map_or(0, |c| c.seq);
            self.ack_wait = Some(AckWait {
                cseq,
                response: text,
                next_retransmit: ctx.now + T1_MS,
                interval: T1_MS,
                give_up: ctx.now + TIMER_64T1_MS,
                expects_answer: theirs.offer_holds.is_none(),
                initial: false,
            });
        }
    }

    fn set_peer_holds(&mut self, ctx: &mut Ctx, held: bool) {
        if held != self.peer_holds {
            self.peer_holds = held;
            ctx.emit(Event::Call(CallEvent::RemoteHold {
                call: self.handle,
                held,
            }));
        }
    }

    fn on_ack(&mut self, ctx: &mut Ctx, ack: &Request, seq: u32) -> Next {
        let Some(wait) = self.ack_wait.take_if(|w| w.cseq == seq) else {
            return Next::Continue; // an ACK for a non-2xx final, or a duplicate
        };
        if wait.expects_answer {
            let answer = body::sdp(&ack.headers, &ack.body).ok().flatten();
            let Some(answer) = answer else {
                // §13.2.1: the ACK must answer the offer in our 2xx; without it there is no session.
                ctx.log(
                    Level::Error,
                    "the ACK carried no answer to the offer in our 200; hanging up",
                );
                self.bye(ctx, "SIP;cause=488;text=\"No answer in ACK\"");
                return Next::Ended(EndReason::MediaFailed(MediaFailure::Answer(
                    "the ACK carried no SDP answer".into(),
                )));
            };
            if let Some(d) = audio_direction(&answer) {
                if wait.initial {
                    self.peer_holds = d.is_hold();
                } else {
                    self.set_peer_holds(ctx, d.is_hold());
                }
            }
            self.applying = Some(Applying::AckAnswer);
            self.apply_answer(ctx, answer);
        }
        if wait.initial {
            ctx.emit(Event::Call(CallEvent::Connected { call: self.handle }));
            if self.bye_after_ack {
                self.bye(ctx, "Q.850;cause=16;text=\"Normal call clearing\"");
                return Next::Ended(EndReason::LocalHangup);
            }
        }
        Next::Continue
    }

    // ---- Responses we send ----------------------------------------------------------------

    fn respond(&mut self, ctx: &mut Ctx, req: &Request, status: u16, extra: &[(&str, &str)]) {
        let mut h = Headers::new();
        for (n, v) in extra {
            h.push(n, *v);
        }
        self.respond_with(ctx, req, status, h, None);
    }

    /// Sends a response to an in-dialog request; a 2xx to INVITE/UPDATE carries our Contact,
    /// Allow and Supported. Returns the text, for retransmission.
    fn respond_with(&mut self, ctx: &mut Ctx, req: &Request, status: u16, extra: Headers, sdp: Option<&str>) -> String {
        let mut resp = response_for(req, status, &self.dialog.local_tag);
        let offer_answer = matches!(req.method, Method::Invite | Method::Update);
        if (200..300).contains(&status) && offer_answer {
            resp.headers.push("Contact", ctx.local.contact_uri());
            resp.headers.push("Allow", ALLOW);
            resp.headers
                .push("Supported", supported(extra.get("Session-Expires").is_some()));
        }
        for (n, v) in extra.iter() {
            resp.headers.push(n, v);
        }
        if let Some(sdp) = sdp {
            resp.headers.push("Content-Type", "application/sdp");
            resp.body = sdp.to_string();
        }
        resp.headers.push("User-Agent", ctx.local.user_agent);
        let text = resp.to_string();
        ctx.send(&text);
        self.replies.remember(req, &text);
        text
    }

    /// §13.2.2.4: the ACK for a 2xx to our re-INVITE carries its CSeq number and credentials.
    fn send_2xx_ack(&mut self, ctx: &mut Ctx, invite: &Request, cseq: u32) {
        let via = ctx.new_via();
        let saved = self.dialog.local_cseq;
        self.dialog.local_cseq = cseq.saturating_sub(1);
        let mut ack = self.dialog.request(Method::Ack, via, ctx.local.user_agent);
        self.dialog.local_cseq = saved;
        copy_credentials(invite, &mut ack.headers);
        let text = ack.to_string();
        ctx.send(&text);
        if self.acks.len() >= MAX_ACKS {
            self.acks.remove(0);
        }
        self.acks.push((cseq, text));
    }
}

/// Whether `resp` answers `req` by the top Via branch (§17.1.3).
fn same_branch(req: &Request, resp: &Response) -> bool {
    let branch = |v: Option<crate::message::Via>| v.and_then(|v| v.branch().map(str::to_string));
    branch(req.top_via()).is_some_and(|b| Some(b) == branch(resp.top_via()))
}

/// §13.2.2.4, §17.1.1.3: an ACK carries the credentials of the INVITE it acknowledges.
pub(crate) fn copy_credentials(invite: &Request, headers: &mut Headers) {
    for name in ["Authorization", "Proxy-Authorization"] {
        for v in invite.headers.get_all(name) {
            headers.push(name, v);
        }
    }
}

fn purpose_word(p: Purpose) -> &'static str {
    match p {
        Purpose::Hold(true) => "hold",
        Purpose::Hold(false) => "unhold",
        Purpose::IceRestart => "ICE restart",
        Purpose::Refresh => "session refresh",
    }
}

/// ACK for a non-2xx final to our INVITE or re-INVITE: part of the INVITE transaction, so
/// the same branch, Route and CSeq number, with the To of the response (§17.1.1.3) and the
/// INVITE's credentials.
pub(crate) fn ack_failure(ctx: &mut Ctx, request: &Request, resp: &Response) {
    let mut h = Headers::new();
    for name in ["Via", "Max-Forwards", "Route", "From", "Call-ID"] {
        for v in request.headers.get_all(name) {
            h.push(name, v);
        }
    }
    if let Some(to) = resp.headers.get("To") {
        h.push("To", to);
    }
    if let Some(c) = request.cseq() {
        h.push("CSeq", format!("{} ACK", c.seq));
    }
    copy_credentials(request, &mut h);
    let ack = Request {
        method: Method::Ack,
        uri: request.uri.clone(),
        headers: h,
        body: String::new(),
    };
    ctx.send(&ack.to_string());
}
