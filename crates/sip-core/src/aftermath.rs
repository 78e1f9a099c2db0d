//! What an ended call leaves behind for 64·T1 (RFC 3261 Timers F and H): our BYE, challenged
//! after the call was already let go, goes again with credentials (§22.2), so the far leg is
//! not left up; and a late 2xx to our INVITE (another fork, or one that crossed our giving
//! up) is ACKed on its own dialog and ended with BYE (§13.2.2.4).

use crate::credentials::Credentials;
use crate::dialog::Dialog;
use crate::message::{HeaderAccess, Headers, Method, Request, Response};
use crate::session::{copy_credentials, TIMER_64T1_MS};
use crate::ua::Ctx;

#[derive(Debug)]
pub(crate) struct Aftermath {
    call_id: String,
    until: u64,
    /// Our BYE and the challenges answered for it.
    bye: Option<(Request, u8)>,
    credentials: Credentials,
    /// Our INVITE, for 2xx that arrive after the call ended.
    invite: Option<Request>,
    /// To tags of the late 2xx already ACKed and ended.
    ended_tags: Vec<String>,
}

/// At most this many late forks are ended; more are only logged.
const MAX_TAGS: usize = 8;

impl Aftermath {
    pub fn new(
        now: u64,
        call_id: &str,
        bye: Option<Request>,
        invite: Option<Request>,
        credentials: Credentials,
    ) -> Aftermath {
        Aftermath {
            call_id: call_id.to_string(),
            until: now + TIMER_64T1_MS,
            bye: bye.map(|b| (b, 0)),
            credentials,
            invite,
            ended_tags: Vec::new(),
        }
    }

    pub fn expired(&self, now: u64) -> bool {
        now >= self.until
    }

    pub fn owns(&self, resp: &Response) -> bool {
        resp.call_id() == Some(self.call_id.as_str())
    }

    pub fn on_response(&mut self, ctx: &mut Ctx, resp: &Response) {
        let Some(cseq) = resp.cseq() else { return };
        match cseq.method {
            "BYE" if matches!(resp.status, 401 | 407) => self.on_bye_challenged(ctx, resp, cseq.seq),
            "INVITE" if (200..300).contains(&resp.status) => self.on_late_2xx(ctx, resp),
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

    fn on_late_2xx(&mut self, ctx: &mut Ctx, resp: &Response) {
        let Some(invite) = &self.invite else { return };
        let Some(mut dialog) = Dialog::new_uac(invite, resp) else {
            return;
        };
        let seen = self.ended_tags.contains(&dialog.remote_tag);
        if !seen && self.ended_tags.len() >= MAX_TAGS {
            return;
        }
        let invite_cseq = dialog.local_cseq;
        dialog.local_cseq = invite_cseq.saturating_sub(1);
        let mut ack = dialog.request(Method::Ack, ctx.new_via(), ctx.local.user_agent);
        copy_credentials(invite, &mut ack.headers);
        ctx.send(&ack.to_string());
        if seen {
            return; // a retransmission: the ACK again, the BYE went already
        }
        ctx.log(
            crate::ua::Level::Info,
            "a 2xx arrived after the call ended; ACK and BYE",
        );
        let mut bye = dialog.request(Method::Bye, ctx.new_via(), ctx.local.user_agent);
        bye.headers.push("Reason", "SIP;cause=200;text=\"Call already ended\"");
        ctx.send(&bye.to_string());
        self.ended_tags.push(dialog.remote_tag);
    }
}
