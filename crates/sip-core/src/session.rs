//! Mid-call signalling of a confirmed call, either direction: our hold/resume re-INVITEs
//! (RFC 3264 §8.4) with 491 glare backoff (RFC 3261 §14.1), the far end's re-INVITEs and
//! UPDATEs (RFC 3311) answered by the §6.1 direction table, session-timer refreshes, and
//! SIP INFO DTMF.

use crate::call::{reply, CallError, CallEvent, CallHandle, EndReason, MediaCommand, Next};
use crate::dialog::Dialog;
use crate::message::{HeaderAccess, Method, Request, Response};
use crate::reply::response_for;
use crate::sdp::{answer_direction, audio_direction, offer_direction};
use crate::ua::{Ctx, Event, Level, Output, ALLOW};

/// Timer B for our re-INVITE.
const REINVITE_TIMEOUT_MS: u64 = 64 * 500;

#[derive(Debug)]
enum Ours {
    /// Waiting for the driver's new offer.
    Offering { hold: bool, restart: bool },
    Sent {
        hold: bool,
        restart: bool,
        cseq: u32,
        deadline: u64,
        request: Request,
    },
    /// 491: try again at `at` (§14.1).
    Retry { hold: bool, restart: bool, at: u64 },
}

#[derive(Debug)]
pub(crate) struct Session {
    handle: CallHandle,
    /// We generated the Call-ID (we sent the initial INVITE): decides the §14.1 delay range.
    owns_call_id: bool,
    local_sdp: String,
    we_hold: bool,
    peer_holds: bool,
    ours: Option<Ours>,
    /// The far end's re-INVITE or UPDATE whose answer the driver is preparing.
    theirs: Option<Request>,
}

pub(crate) const DTMF_DIGITS: &str = "0123456789*#ABCD";

impl Session {
    pub fn new(handle: CallHandle, owns_call_id: bool, local_sdp: &str, remote_sdp: &str) -> Session {
        Session {
            handle,
            owns_call_id,
            local_sdp: local_sdp.to_string(),
            we_hold: false,
            peer_holds: audio_direction(remote_sdp).is_hold(),
            ours: None,
            theirs: None,
        }
    }

    pub fn poll_timeout(&self) -> Option<u64> {
        match &self.ours {
            Some(Ours::Sent { deadline, .. }) => Some(*deadline),
            Some(Ours::Retry { at, .. }) => Some(*at),
            _ => None,
        }
    }

    /// Hold (`true`) or resume. Refused while another offer/answer exchange is in progress.
    pub fn set_hold(&mut self, ctx: &mut Ctx, hold: bool) -> Result<(), CallError> {
        if self.ours.is_some() || self.theirs.is_some() {
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
        self.request_offer(ctx, hold, false);
        Ok(())
    }

    /// ICE restart (RFC 8445 §9): a re-INVITE with the same directions and new ICE
    /// credentials, after a network change broke the media path. Refused while another
    /// offer/answer exchange is in progress. Its outcome is only logged: apps see no hold event.
    pub fn restart_ice(&mut self, ctx: &mut Ctx) -> Result<(), CallError> {
        if self.ours.is_some() || self.theirs.is_some() {
            return Err(CallError::WrongState("an offer/answer exchange is in progress"));
        }
        ctx.log(Level::Info, "restarting ICE (re-INVITE with new candidates)");
        self.request_offer(ctx, self.we_hold, true);
        Ok(())
    }

    fn request_offer(&mut self, ctx: &mut Ctx, hold: bool, restart: bool) {
        let direction = offer_direction(hold, self.peer_holds);
        self.ours = Some(Ours::Offering { hold, restart });
        ctx.out.push_back(Output::Media(MediaCommand::Reoffer {
            call: self.handle,
            direction,
            hold,
            ice_restart: restart,
        }));
    }

    /// Our SDP from the driver: the offer for our re-INVITE, or the answer to theirs.
    /// Returns false when nothing in the session waited for it.
    pub fn on_local_sdp(&mut self, ctx: &mut Ctx, dialog: &mut Dialog, sdp: &str) -> bool {
        if let Some(req) = self.theirs.take() {
            self.local_sdp = sdp.to_string();
            let mut ok = response_for(&req, 200, &dialog.local_tag);
            ok.headers.push("Contact", ctx.local.contact_uri());
            ok.headers.push("Allow", ALLOW);
            ok.headers.push("Content-Type", "application/sdp");
            ok.headers.push("User-Agent", ctx.local.user_agent);
            ok.body = sdp.to_string();
            ctx.send(&ok.to_string());
            return true;
        }
        if let Some(Ours::Offering { hold, restart }) = self.ours {
            self.local_sdp = sdp.to_string();
            let branch = ctx.rng.branch();
            let via = ctx.local.via(ctx.account, &branch);
            let mut req = dialog.request(Method::Invite, via, ctx.local.user_agent);
            req.headers.push("Contact", ctx.local.contact_uri());
            req.headers.push("Allow", ALLOW);
            req.headers.push("Content-Type", "application/sdp");
            req.body = sdp.to_string();
            ctx.send(&req.to_string());
            let cseq = dialog.local_cseq;
            self.ours = Some(Ours::Sent {
                hold,
                restart,
                cseq,
                deadline: ctx.now + REINVITE_TIMEOUT_MS,
                request: req,
            });
            return true;
        }
        false
    }

    /// A response to one of our requests in the dialog; `None` when it is not ours to handle.
    pub fn on_response(&mut self, ctx: &mut Ctx, dialog: &mut Dialog, resp: &Response) -> Option<Next> {
        let cseq = resp.cseq()?;
        if cseq.method != "INVITE" {
            if resp.status >= 300 && cseq.method == "INFO" {
                ctx.log(
                    Level::Warn,
                    &format!("INFO (DTMF) answered {} {}", resp.status, resp.reason),
                );
            }
            return Some(Next::Continue);
        }
        let Some(Ours::Sent {
            hold,
            restart,
            cseq: sent,
            request,
            ..
        }) = &self.ours
        else {
            // A retransmitted 2xx to a re-INVITE we already completed: acknowledge again.
            if (200..300).contains(&resp.status) {
                self.send_2xx_ack(ctx, dialog, cseq.seq);
            }
            return Some(Next::Continue);
        };
        if cseq.seq != *sent {
            return Some(Next::Continue);
        }
        if resp.status < 200 {
            return Some(Next::Continue);
        }
        let (hold, restart, sent, request) = (*hold, *restart, *sent, request.clone());
        if (200..300).contains(&resp.status) {
            self.ours = None;
            self.send_2xx_ack(ctx, dialog, sent);
            ctx.out.push_back(Output::Media(MediaCommand::ApplyAnswer {
                call: self.handle,
                sdp: resp.body.clone(),
                provisional: false,
            }));
            if restart {
                ctx.log(Level::Info, "ICE restart answered; media continues on the new path");
                return Some(Next::Continue);
            }
            self.we_hold = hold;
            ctx.emit(Event::Call(CallEvent::HoldChanged {
                call: self.handle,
                held: hold,
            }));
            return Some(Next::Continue);
        }
        ack_failure(ctx, &request, resp);
        self.rollback(ctx);
        match resp.status {
            491 => {
                // §14.1: owner of the Call-ID waits 2.1–4 s, the other side 0–2 s, in 10 ms units.
                let (base, span) = if self.owns_call_id { (2_100, 190) } else { (0, 200) };
                let delay = base + 10 * ctx.rng.below(span + 1);
                ctx.log(Level::Info, &format!("re-INVITE glare (491); retrying in {delay} ms"));
                self.ours = Some(Ours::Retry {
                    hold,
                    restart,
                    at: ctx.now + delay,
                });
                Some(Next::Continue)
            }
            // §14.1: these mean the dialog is gone.
            408 | 481 => {
                self.ours = None;
                Some(self.end_dialog(ctx, dialog, resp))
            }
            _ => {
                self.ours = None;
                let what = if restart { "ICE restart" } else { hold_word(hold) };
                ctx.log(Level::Warn, &format!("{what} failed: {} {}", resp.status, resp.reason));
                if restart {
                    return Some(Next::Continue);
                }
                ctx.emit(Event::Call(CallEvent::HoldFailed {
                    call: self.handle,
                    held: self.we_hold,
                }));
                Some(Next::Continue)
            }
        }
    }

    fn rollback(&self, ctx: &mut Ctx) {
        let direction = offer_direction(self.we_hold, self.peer_holds);
        ctx.out.push_back(Output::Media(MediaCommand::Rollback {
            call: self.handle,
            direction,
            hold: self.we_hold,
        }));
    }

    fn end_dialog(&mut self, ctx: &mut Ctx, dialog: &mut Dialog, resp: &Response) -> Next {
        let via = ctx.new_via();
        let mut bye = dialog.request(Method::Bye, via, ctx.local.user_agent);
        bye.headers.push("Reason", format!("SIP;cause={}", resp.status));
        ctx.send(&bye.to_string());
        Next::Ended(EndReason::RemoteHangup {
            reason: Some(format!("SIP;cause={}", resp.status)),
        })
    }

    pub fn on_timeout(&mut self, ctx: &mut Ctx) {
        match &self.ours {
            Some(Ours::Retry { hold, restart, at }) if *at <= ctx.now => {
                let (hold, restart) = (*hold, *restart);
                self.request_offer(ctx, hold, restart);
            }
            Some(Ours::Sent {
                hold,
                restart,
                deadline,
                ..
            }) if *deadline <= ctx.now => {
                let (hold, restart) = (*hold, *restart);
                self.ours = None;
                let what = if restart { "ICE restart" } else { hold_word(hold) };
                ctx.log(Level::Warn, &format!("{what}: no answer to the re-INVITE"));
                self.rollback(ctx);
                if restart {
                    return;
                }
                ctx.emit(Event::Call(CallEvent::HoldFailed {
                    call: self.handle,
                    held: self.we_hold,
                }));
            }
            _ => {}
        }
    }

    /// A request in the dialog other than BYE; `None` when the caller should handle it.
    pub fn on_request(&mut self, ctx: &mut Ctx, dialog: &mut Dialog, req: &Request) -> Option<Next> {
        let tag = dialog.local_tag.clone();
        match req.method {
            Method::Invite | Method::Update => {
                if self
                    .ours
                    .as_ref()
                    .is_some_and(|o| matches!(o, Ours::Sent { .. } | Ours::Offering { .. }))
                    || self.theirs.is_some()
                {
                    // §14.2: an offer while ours is outstanding is glare.
                    reply(ctx, req, 491, &tag);
                    return Some(Next::Continue);
                }
                if req.body.trim().is_empty() {
                    self.refresh_without_offer(ctx, req, &tag);
                    return Some(Next::Continue);
                }
                let offered = audio_direction(&req.body);
                let direction = answer_direction(offered, self.we_hold);
                if offered.is_hold() != self.peer_holds {
                    self.peer_holds = offered.is_hold();
                    ctx.emit(Event::Call(CallEvent::RemoteHold {
                        call: self.handle,
                        held: self.peer_holds,
                    }));
                }
                self.theirs = Some(req.clone());
                ctx.out.push_back(Output::Media(MediaCommand::AnswerReoffer {
                    call: self.handle,
                    sdp: req.body.clone(),
                    direction,
                }));
                Some(Next::Continue)
            }
            Method::Info => {
                let dtmf = req
                    .headers
                    .get("Content-Type")
                    .is_some_and(|c| c.trim().eq_ignore_ascii_case("application/dtmf-relay"));
                ctx.log(Level::Info, if dtmf { "DTMF INFO received" } else { "INFO received" });
                reply(ctx, req, 200, &tag);
                Some(Next::Continue)
            }
            _ => None,
        }
    }

    /// Session-timer refreshes (RFC 4028) arrive as an UPDATE without SDP, or a re-INVITE
    /// without SDP whose 200 must then carry our current SDP as the offer (§14.2).
    fn refresh_without_offer(&mut self, ctx: &mut Ctx, req: &Request, tag: &str) {
        let mut ok = response_for(req, 200, tag);
        ok.headers.push("Contact", ctx.local.contact_uri());
        if let Some(se) = req.headers.get("Session-Expires") {
            ok.headers.push("Session-Expires", se);
        }
        if req.method == Method::Invite {
            ok.headers.push("Content-Type", "application/sdp");
            ok.body = self.local_sdp.clone();
        }
        ok.headers.push("User-Agent", ctx.local.user_agent);
        ctx.send(&ok.to_string());
    }

    /// SIP INFO with `application/dtmf-relay` (what 3.0.10 always sends).
    pub fn send_info_dtmf(&mut self, ctx: &mut Ctx, dialog: &mut Dialog, digit: char) -> Result<(), CallError> {
        let digit = digit.to_ascii_uppercase();
        if !DTMF_DIGITS.chars().any(|d| d == digit) {
            return Err(CallError::WrongState("DTMF digits are 0-9, *, #, A-D"));
        }
        let via = ctx.new_via();
        let mut info = dialog.request(Method::Info, via, ctx.local.user_agent);
        info.headers.push("Content-Type", "application/dtmf-relay");
        info.body = format!("Signal={digit}\r\nDuration=240\r\n");
        ctx.send(&info.to_string());
        Ok(())
    }

    /// §13.2.2.4: the ACK for a 2xx to our re-INVITE carries the re-INVITE's CSeq number.
    fn send_2xx_ack(&self, ctx: &mut Ctx, dialog: &mut Dialog, cseq: u32) {
        let via = ctx.new_via();
        let saved = dialog.local_cseq;
        dialog.local_cseq = cseq - 1;
        let ack = dialog.request(Method::Ack, via, ctx.local.user_agent);
        dialog.local_cseq = saved;
        ctx.send(&ack.to_string());
    }
}

fn hold_word(hold: bool) -> &'static str {
    if hold {
        "hold"
    } else {
        "unhold"
    }
}

/// ACK for a non-2xx final to our re-INVITE: same branch, To from the response (§17.1.1.3).
fn ack_failure(ctx: &mut Ctx, request: &Request, resp: &Response) {
    let mut ack = request.clone();
    ack.method = Method::Ack;
    ack.body.clear();
    ack.headers.remove("CSeq");
    ack.headers.remove("Content-Type");
    ack.headers.remove("Contact");
    ack.headers.remove("Allow");
    if let Some(to) = resp.headers.get("To") {
        ack.headers.remove("To");
        ack.headers.push("To", to);
    }
    if let Some(c) = request.cseq() {
        ack.headers.push("CSeq", format!("{} ACK", c.seq));
    }
    ctx.send(&ack.to_string());
}
