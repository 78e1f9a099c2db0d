//! The far end's requests in the dialog (RFC 3261 §12.2.2, §14.2, RFC 3311, RFC 4028 §9):
//! CSeq order and retransmissions, BYE, OPTIONS, INFO, re-INVITE and UPDATE with or without an
//! offer, the ACK and the answer it may carry, and the responses we send.

use super::{AckWait, Applying, OursState, Session, Theirs, T2_MS};
use crate::aftermath::Reply;
use crate::body;
use crate::call::{CallEvent, EndReason, MediaCommand, MediaFailure, Next};
use crate::extensions::{supported, SUPPORTED_DIALOG};
use crate::message::{HeaderAccess, Headers, Method, Request};
use crate::reply::response_for;
use crate::resend::Resend;
use crate::sdp::{answer_direction, audio_direction, offer_direction, Direction};
use crate::timer;
use crate::ua::{Ctx, Event, Level, Output, ALLOW};

impl Session {
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

    pub(super) fn on_info(&mut self, ctx: &mut Ctx, req: &Request) {
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
    pub(super) fn on_offer_request(&mut self, ctx: &mut Ctx, req: &Request) {
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

    pub(super) fn start_reoffer_for_them(&mut self, ctx: &mut Ctx) {
        ctx.out.push_back(Output::Media(MediaCommand::Reoffer {
            call: self.handle,
            direction: offer_direction(self.we_hold, self.peer_holds),
            hold: self.we_hold,
            ice_restart: false,
        }));
    }

    /// Our SDP for their request is ready: the 200 goes out (and for an INVITE, waits for ACK).
    pub(super) fn answer_theirs(&mut self, ctx: &mut Ctx, theirs: Theirs, sdp: &str) {
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
                resend: Resend::new(ctx.now, text, T2_MS),
                expects_answer: theirs.offer_holds.is_none(),
                initial: false,
            });
        }
    }

    pub(super) fn set_peer_holds(&mut self, ctx: &mut Ctx, held: bool) {
        if held != self.peer_holds {
            self.peer_holds = held;
            ctx.emit(Event::Call(CallEvent::RemoteHold {
                call: self.handle,
                held,
            }));
        }
    }

    pub(super) fn on_ack(&mut self, ctx: &mut Ctx, ack: &Request, seq: u32) -> Next {
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

    pub(super) fn respond(&mut self, ctx: &mut Ctx, req: &Request, status: u16, extra: &[(&str, &str)]) {
        let mut h = Headers::new();
        for (n, v) in extra {
            h.push(n, *v);
        }
        self.respond_with(ctx, req, status, h, None);
    }

    /// Sends a response to an in-dialog request; a 2xx to INVITE/UPDATE carries our Contact,
    /// Allow and Supported. Returns the text, for retransmission.
    pub(super) fn respond_with(
        &mut self,
        ctx: &mut Ctx,
        req: &Request,
        status: u16,
        extra: Headers,
        sdp: Option<&str>,
    ) -> String {
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
}
