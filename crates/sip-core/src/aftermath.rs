//! What an ended call (or a refused INVITE) leaves behind for a while: the transactions that
//! outlive the call (RFC 3261 Timers H, J, F, and INVITE client transactions in Proceeding).
//!
//! - A retransmitted request gets our final response again (§17.2.1, §17.2.2), not a new call
//!   or a 481; its ACK is absorbed.
//! - Our BYE, challenged after the call was let go, goes again with credentials (§22.2), so the
//!   far leg is not left up.
//! - A late 2xx to one of our INVITEs is ACKed on its own dialog (§13.2.2.4): a retransmission
//!   of one we ACKed, a 2xx to our last re-INVITE, or another fork's answer, which is then ended
//!   with BYE.

use crate::credentials::Credentials;
use crate::dialog::Dialog;
use crate::message::{HeaderAccess, Headers, Method, Request, Response};
use crate::session::copy_credentials;
use crate::ua::Ctx;

/// A final response we sent, and the request it answered.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    branch: Option<String>,
    method: Method,
    seq: u32,
    pub text: String,
}

impl Reply {
    pub fn new(req: &Request, text: &str) -> Reply {
        Reply {
            branch: branch(req),
            method: req.method.clone(),
            seq: req.cseq().map_or(0, |c| c.seq),
            text: text.to_string(),
        }
    }

    /// Whether `req` is a retransmission of the request this answered (§17.2.3: same branch
    /// and method; RFC 2543 peers without a branch: same CSeq too).
    pub fn answers(&self, req: &Request) -> bool {
        self.method == req.method && self.branch == branch(req) && req.cseq().is_some_and(|c| c.seq == self.seq)
    }

    /// Whether two requests are the same transaction (§17.2.3).
    pub fn same_transaction(a: &Request, b: &Request) -> bool {
        a.method == b.method && branch(a) == branch(b) && a.cseq().map(|c| c.seq) == b.cseq().map(|c| c.seq)
    }
}

/// Our last few final responses in a dialog, re-sent when their request is retransmitted
/// (§17.2.1, §17.2.2): a retransmission must not be taken for a new, out-of-order request.
#[derive(Debug, Default, Clone)]
pub(crate) struct Replies(Vec<Reply>);

/// Responses remembered per dialog.
const MAX_REPLIES: usize = 4;

impl Replies {
    /// Sends `resp` (a final response to `req`) with our User-Agent, and remembers it.
    pub fn send(&mut self, ctx: &mut Ctx, req: &Request, mut resp: Response) -> String {
        resp.headers.push("User-Agent", ctx.local.user_agent);
        let text = resp.to_string();
        ctx.send(&text);
        self.remember(req, &text);
        text
    }

    pub fn remember(&mut self, req: &Request, text: &str) {
        if self.0.len() >= MAX_REPLIES {
            self.0.remove(0);
        }
        self.0.push(Reply::new(req, text));
    }

    /// Re-sends our response when `req` is a retransmission; true if it was.
    pub fn resend(&self, ctx: &mut Ctx, req: &Request) -> bool {
        let Some(r) = self.0.iter().rev().find(|r| r.answers(req)) else {
            return false;
        };
        let text = r.text.clone();
        ctx.send(&text);
        true
    }

    pub fn all(&self) -> impl Iterator<Item = &Reply> {
        self.0.iter()
    }
}

fn branch(req: &Request) -> Option<String> {
    req.top_via().and_then(|v| v.transaction_key())
}

#[derive(Debug, Default)]
pub(crate) struct Aftermath {
    call_id: String,
    until: u64,
    /// Our final responses in the call's last server transactions.
    pub replies: Vec<Reply>,
    /// Our BYE and the challenges answered for it.
    pub bye: Option<(Request, u8)>,
    pub credentials: Credentials,
    /// Our INVITE that created the call (outgoing calls).
    pub invite: Option<Request>,
    /// The call's confirmed dialog.
    pub dialog: Option<Dialog>,
    /// Our last re-INVITE in that dialog.
    pub reinvite: Option<Request>,
    /// The highest local CSeq the call used (INVITE, PRACKs, in-dialog requests): a BYE to a
    /// late fork goes above it.
    pub local_cseq: u32,
    /// To tags of other forks' 2xx already ACKed and ended.
    pub ended_tags: Vec<String>,
    /// One of our INVITEs was still unanswered when the call ended: its transaction has no
    /// timer once a provisional came (§17.1.1.2), so its 2xx may come any time. Remembered
    /// until newer calls push it out.
    pub invite_pending: bool,
}

/// How long an ended call is remembered. Timers H and J are 64·T1, but an INVITE client
/// transaction that had a provisional has no timer at all (§17.1.1.2): a 2xx to it may come
/// after we gave up on it, and still needs its ACK. Three minutes, for four calls at most.
const LIFETIME_MS: u64 = 180_000;

/// At most this many late forks are ended; more are only logged.
const MAX_TAGS: usize = 8;

impl Aftermath {
    pub fn new(now: u64, call_id: &str) -> Aftermath {
        Aftermath {
            call_id: call_id.to_string(),
            until: now + LIFETIME_MS,
            ..Aftermath::default()
        }
    }

    /// An INVITE refused without a call: its retransmissions get the same refusal.
    pub fn refused(now: u64, invite: &Request, text: &str) -> Aftermath {
        let mut a = Aftermath::new(now, invite.call_id().unwrap_or(""));
        a.replies.push(Reply::new(invite, text));
        a
    }

    pub fn expired(&self, now: u64) -> bool {
        now >= self.until && !self.invite_pending
    }

    /// An INVITE we refused: nothing of ours is in flight, only our answer to repeat.
    pub fn is_refusal(&self) -> bool {
        self.invite.is_none() && self.dialog.is_none() && self.bye.is_none()
    }

    /// A response to one of our requests of the ended call (a refused INVITE sent none).
    pub fn owns_response(&self, resp: &Response) -> bool {
        if self.is_refusal() {
            return false;
        }
        // Our tag in From: another dialog (a newer call) may share the Call-ID.
        let tag = self.dialog.as_ref().map(|d| d.local_tag.clone()).or_else(|| {
            let from = self.invite.as_ref()?.from_addr()?;
            from.tag().map(str::to_string)
        });
        match tag {
            Some(tag) => resp.answers_dialog_of(&self.call_id, &tag),
            None => resp.call_id() == Some(self.call_id.as_str()),
        }
    }

    /// A request for the ended call. True when it was a retransmission (answered again) or
    /// the ACK of one of our final responses (absorbed).
    pub fn on_request(&mut self, ctx: &mut Ctx, req: &Request) -> bool {
        if req.call_id() != Some(self.call_id.as_str()) {
            return false;
        }
        if req.method == Method::Ack {
            let acks_ours = self
                .replies
                .iter()
                .any(|r| r.method == Method::Invite && r.seq == req.cseq().map_or(0, |c| c.seq));
            return acks_ours;
        }
        self.resend_reply(ctx, req)
    }

    /// Re-sends our final response when `req` is a retransmission of a request it answered.
    pub fn resend_reply(&self, ctx: &mut Ctx, req: &Request) -> bool {
        if req.call_id() != Some(self.call_id.as_str()) {
            return false;
        }
        let Some(reply) = self.replies.iter().find(|r| r.answers(req)) else {
            return false;
        };
        ctx.send(&reply.text);
        true
    }

    pub fn on_response(&mut self, ctx: &mut Ctx, resp: &Response) {
        let Some(cseq) = resp.cseq() else { return };
        match cseq.method {
            "BYE" if matches!(resp.status, 401 | 407) => self.on_bye_challenged(ctx, resp, cseq.seq),
            "INVITE" if (200..300).contains(&resp.status) => self.on_late_2xx(ctx, resp, cseq.seq),
            _ => {}
        }
    }

    fn on_bye_challenged(&mut self, ctx: &mut Ctx, resp: &Response, seq: u32) {
        let Some((bye, attempts)) = self.bye.take() else { return };
        if bye.cseq().map(|c| c.seq) != Some(seq) || !self.credentials.on_challenge(resp, attempts) {
            self.bye = Some((bye, attempts));
            return;
        }
        let mut h = Headers::new();
        h.push("Via", ctx.new_via());
        for (name, value) in bye.headers.iter() {
            if !matches!(name, "Via" | "CSeq" | "Authorization" | "Proxy-Authorization") {
                h.push(name, value);
            }
        }
        h.push("CSeq", format!("{} BYE", seq.wrapping_add(1)));
        let uri = bye.uri.clone();
        self.credentials.authorize(ctx, "BYE", &uri, &mut h);
        let again = Request {
            method: Method::Bye,
            uri,
            headers: h,
            body: String::new(),
        };
        ctx.send(&again.to_string());
        self.bye = Some((again, attempts + 1));
    }

    fn on_late_2xx(&mut self, ctx: &mut Ctx, resp: &Response, seq: u32) {
        let initial = self.invite.as_ref().filter(|i| i.cseq().is_some_and(|c| c.seq == seq));
        let Some(invite) = initial else {
            // A 2xx to our re-INVITE, in the call's own dialog.
            if let Some(dialog) = &self.dialog {
                let credentials = self
                    .reinvite
                    .as_ref()
                    .filter(|r| r.cseq().is_some_and(|c| c.seq == seq));
                send_ack(ctx, dialog, seq, credentials);
            }
            return;
        };
        let Some(fork) = Dialog::new_uac(invite, resp) else {
            return;
        };
        let answered = self.dialog.as_ref().is_some_and(|d| d.remote_tag == fork.remote_tag);
        let seen = answered || self.ended_tags.contains(&fork.remote_tag);
        if !seen && self.ended_tags.len() >= MAX_TAGS {
            return;
        }
        send_ack(ctx, &fork, seq, Some(invite));
        if seen {
            return; // a retransmission: the ACK again; its dialog was ended already
        }
        ctx.log(
            crate::ua::Level::Info,
            "a 2xx arrived after the call ended; ACK and BYE",
        );
        let mut d = fork;
        d.local_cseq = seq.max(self.local_cseq);
        let mut bye = d.request(Method::Bye, ctx.new_via(), ctx.local.user_agent);
        bye.headers.push("Reason", "SIP;cause=200;text=\"Call already ended\"");
        ctx.send(&bye.to_string());
        self.ended_tags.push(d.remote_tag);
    }
}

/// The ACK for a 2xx to our INVITE numbered `seq`, in `dialog`, with that INVITE's credentials.
fn send_ack(ctx: &mut Ctx, dialog: &Dialog, seq: u32, invite: Option<&Request>) {
    let mut d = dialog.clone();
    d.local_cseq = seq.saturating_sub(1);
    let mut ack = d.request(Method::Ack, ctx.new_via(), ctx.local.user_agent);
    if let Some(invite) = invite {
        copy_credentials(invite, &mut ack.headers);
    }
    ctx.send(&ack.to_string());
}
