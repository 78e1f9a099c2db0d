//! Our requests in the dialog and their responses: re-INVITE and UPDATE offers (hold, ICE
//! restart, session refresh) with glare retries and rollback, INFO, challenges answered per
//! realm, and the ACK of every 2xx to our re-INVITE (RFC 3261 §14.1, §13.2.2.4, §22).

use super::{purpose_word, Applying, Ours, OursState, Purpose, Session, MAX_ACKS, TIMER_64T1_MS};
use crate::body;
use crate::call::{CallEvent, EndReason, MediaCommand, Next};
use crate::extensions::supported;
use crate::message::{HeaderAccess, Headers, Method, Request, Response};
use crate::sdp::offer_direction;
use crate::timer;
use crate::ua::{Ctx, Event, Level, Output, ALLOW};

impl Session {
    // ---- Our offers -----------------------------------------------------------------------

    pub(super) fn start_offer(&mut self, ctx: &mut Ctx, purpose: Purpose) {
        // A target refresh after reconnecting is a re-INVITE even where UPDATE is allowed:
        // RFC 3311 makes both target refreshes, but JsSIP 3.x moves its remote target only for
        // an INVITE (or an UPDATE with a body), and an offer works with every far end.
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
    pub(super) fn send_offer(&mut self, ctx: &mut Ctx, purpose: Purpose, sdp: Option<String>) {
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
    pub(super) fn new_request(&mut self, ctx: &mut Ctx, method: Method) -> Request {
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

    pub(super) fn send_request(&mut self, ctx: &mut Ctx, method: Method, body: Option<(&str, String)>) -> Request {
        let mut req = self.new_request(ctx, method);
        if let Some((content_type, body)) = body {
            req.headers.push("Content-Type", content_type);
            req.body = body;
        }
        ctx.send(&req.to_string());
        req
    }

    /// The same request again with a new CSeq and credentials, after a 401/407.
    pub(super) fn resend_with_credentials(&mut self, ctx: &mut Ctx, old: &Request) -> Request {
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
                    } else if let Some(old) = self
                        .abandoned_invite
                        .take_if(|r| r.cseq().is_some_and(|c| c.seq == seq))
                    {
                        // The answer to a re-INVITE we started again after a reconnect: ACK it;
                        // the one in progress decides the session.
                        self.send_2xx_ack(ctx, &old, seq);
                    }
                }
                Next::Continue
            }
            "INFO" => self.on_info_response(ctx, resp, seq),
            _ => Next::Continue,
        }
    }

    pub(super) fn on_info_response(&mut self, ctx: &mut Ctx, resp: &Response, seq: u32) -> Next {
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

    pub(super) fn ended_by_far_end(&mut self, ctx: &mut Ctx, resp: &Response) -> Next {
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

    pub(super) fn on_offer_response(&mut self, ctx: &mut Ctx, resp: &Response, seq: u32) -> Next {
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
            self.flow_refresh_ended(true);
            self.timer.restart(ctx.now, timer::as_uac(&resp.headers));
            if !is_invite {
                let what = if purpose == Purpose::FlowRefresh {
                    "the far end reaches the call over the new connection (UPDATE)"
                } else {
                    "session refreshed (UPDATE)"
                };
                ctx.log(Level::Debug, what);
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
                Purpose::FlowRefresh => ctx.log(Level::Info, "the far end reaches the call over the new connection"),
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
                // Refused, the far end still sends to the dead flow (430 Flow Failed from an
                // edge that routes by flow token): the UA ends the call, it cannot come back.
                self.flow_refresh_ended(false);
                Next::Continue
            }
        }
    }

    /// Ends the dialog after a 408/481 or a timeout: BYE (§14.1), then the call is over.
    pub(super) fn end_dialog(&mut self, ctx: &mut Ctx, status: u16) -> Next {
        let reason = format!("SIP;cause={status}");
        self.bye(ctx, &reason);
        if status == 408 {
            return Next::Ended(EndReason::Timeout);
        }
        Next::Ended(EndReason::RemoteHangup { reason: Some(reason) })
    }

    /// §13.2.2.4: the ACK for a 2xx to our re-INVITE carries its CSeq number and credentials.
    pub(super) fn send_2xx_ack(&mut self, ctx: &mut Ctx, invite: &Request, cseq: u32) {
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
pub(super) fn same_branch(req: &Request, resp: &Response) -> bool {
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
