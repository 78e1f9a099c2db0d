//! The confirmed dialog of a call, whichever side placed it (RFC 3261 §12–§15): one machine
//! for every request and response inside the dialog once the first 2xx exists.
//!
//! It owns the dialog (CSeq both ways, remote target refresh), the offer/answer state after
//! the first exchange (RFC 3264: re-INVITE and UPDATE both ways, with and without an offer,
//! answers in the ACK, glare, rollback), the retransmission of our 2xx until its ACK, session
//! timers (RFC 4028), INFO, OPTIONS, challenges to our requests, and BYE.

mod ours;
mod theirs;

use crate::aftermath::{Aftermath, Replies};
use crate::call::{CallError, CallEvent, CallHandle, EndReason, MediaCommand, MediaFailure, Next};
use crate::credentials::Credentials;
use crate::dialog::Dialog;
use crate::message::{Method, Request};
use crate::resend::{Resend, Tick};
use crate::sdp::{audio_direction, offer_direction, Direction};
use crate::timer::{self, Due, SessionTimer};
use crate::ua::{Ctx, Event, Level, Output};
pub(crate) use ours::{ack_failure, copy_credentials};

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
    /// After a reconnect: a target refresh over the new flow, so the edge (and the far end)
    /// reach us there (RFC 5626 §4.5; the same UPDATE-or-re-INVITE choice as `Refresh`).
    FlowRefresh,
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
    resend: Resend,
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
    /// Our re-INVITE sent on a flow that died before its answer: a late 2xx to it is ACKed.
    abandoned_invite: Option<Request>,
    /// Our target refresh over a new flow (`refresh_flow`), until the UA takes its outcome.
    flow_refresh: FlowRefresh,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FlowRefresh {
    None,
    /// Our request went out; its final response is awaited.
    Pending,
    /// Answered: whether the far end reaches the call again.
    Ended(bool),
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
            abandoned_invite: None,
            flow_refresh: FlowRefresh::None,
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
            resend: Resend::new(ctx.now, response, T2_MS),
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
        let ack = self.ack_wait.as_ref().map(|a| a.resend.poll_timeout());
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

    /// The link came back: refresh the dialog's target over the new flow, unless an exchange
    /// in progress does it anyway (every re-INVITE and UPDATE carries our Contact). True when
    /// a request of ours went for it: its outcome comes later (`take_flow_outcome`).
    pub fn refresh_flow(&mut self, ctx: &mut Ctx) -> bool {
        if !self.is_confirmed() {
            return false;
        }
        // Our re-INVITE or UPDATE went out on the old flow: its response is lost with it.
        // Start it again as a new transaction on the new flow (it refreshes the target too);
        // a late 2xx to the old one still gets its ACK (the 2xx ACK below).
        if let Some(Ours {
            purpose,
            state: OursState::Sent { request, .. },
        }) = self.ours.take_if(|o| matches!(o.state, OursState::Sent { .. }))
        {
            ctx.log(
                Level::Info,
                &format!("link back: our {} again on the new connection", purpose_word(purpose)),
            );
            if request.method == Method::Invite {
                self.rollback(ctx);
                self.abandoned_invite = Some(request);
            }
            self.start_offer(ctx, purpose);
            self.flow_refresh = FlowRefresh::Pending;
            return true;
        }
        if self.negotiating() {
            return false;
        }
        ctx.log(
            Level::Info,
            "link back: refreshing the call's target over the new connection",
        );
        self.start_offer(ctx, Purpose::FlowRefresh);
        self.flow_refresh = FlowRefresh::Pending;
        true
    }

    /// Our target refresh over a new flow got its final answer: `Some(true)` when the far
    /// end reaches the call again, `Some(false)` when it was refused (430 Flow Failed, 488...).
    pub fn take_flow_outcome(&mut self) -> Option<bool> {
        match self.flow_refresh {
            FlowRefresh::Ended(ok) => {
                self.flow_refresh = FlowRefresh::None;
                Some(ok)
            }
            _ => None,
        }
    }

    fn flow_refresh_ended(&mut self, ok: bool) {
        if self.flow_refresh == FlowRefresh::Pending {
            self.flow_refresh = FlowRefresh::Ended(ok);
        }
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
            self.flow_refresh_ended(false);
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

    // ---- Timers ---------------------------------------------------------------------------

    pub fn on_timeout(&mut self, ctx: &mut Ctx) -> Next {
        let now = ctx.now;
        if let Some(ack) = self.ack_wait.as_mut() {
            match ack.resend.on_timeout(now) {
                Tick::GiveUp => {
                    let initial = ack.initial;
                    self.ack_wait = None;
                    ctx.log(Level::Warn, "no ACK for our 200 OK within 32 s; hanging up");
                    self.bye(ctx, "SIP;cause=408;text=\"ACK timeout\"");
                    return Next::Ended(if initial { EndReason::NoAck } else { EndReason::Timeout });
                }
                Tick::Resend => ctx.send(&ack.resend.text),
                Tick::Wait => {}
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
}

fn purpose_word(p: Purpose) -> &'static str {
    match p {
        Purpose::Hold(true) => "hold",
        Purpose::Hold(false) => "unhold",
        Purpose::IceRestart => "ICE restart",
        Purpose::Refresh => "session refresh",
        Purpose::FlowRefresh => "target refresh after reconnecting",
    }
}
