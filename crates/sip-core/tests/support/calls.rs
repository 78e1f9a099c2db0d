//! A far end calling the UA through a record-routing proxy, and helpers for call scenarios.
#![allow(dead_code)]

use super::*;
use sip_core::message::{HeaderAccess, Response};
use sip_core::{CallEvent, Event};

pub const OFFER: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendrecv\r\n";
pub const ANSWER: &str =
    "v=0\r\no=- 2 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendrecv\r\n";

/// A far end calling through one record-routing proxy.
pub struct Far {
    pub call_id: String,
    pub branch: String,
    pub cseq: u32,
    pub to_tag: Option<String>,
}

impl Far {
    pub fn new(call_id: &str) -> Far {
        Far {
            call_id: call_id.into(),
            branch: format!("z9hG4bK-{call_id}"),
            cseq: 10,
            to_tag: None,
        }
    }

    pub fn invite(&self) -> String {
        self.invite_with("", Some(OFFER))
    }

    /// The INVITE with `extra` header lines (each ending in CRLF) and `body` as SDP, or no body.
    pub fn invite_with(&self, extra: &str, body: Option<&str>) -> String {
        let body = match body {
            Some(sdp) => format!("Content-Type: application/sdp\r\n\r\n{sdp}"),
            None => "\r\n".to_string(),
        };
        format!(
            "INVITE sip:ua@x.invalid;transport=ws SIP/2.0\r\n\
             Record-Route: <sip:127.0.0.1:5066;transport=ws;lr>\r\n\
             Via: SIP/2.0/WS 127.0.0.1:5066;branch={}\r\n\
             Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKfar\r\n\
             From: \"+91 98765\" <sip:+9198765@example.test>;tag=far1\r\n\
             To: <sip:1001@example.test>\r\n\
             Call-ID: {}\r\nCSeq: {} INVITE\r\n\
             Contact: <sip:far@10.0.0.5:5060>\r\n\
             X-Exotel-Callsid: CS-42\r\nLegSid: LEG-7\r\n{extra}{body}",
            self.branch, self.call_id, self.cseq
        )
    }

    pub fn cancel(&self) -> String {
        format!(
            "CANCEL sip:ua@x.invalid;transport=ws SIP/2.0\r\nVia: SIP/2.0/WS 127.0.0.1:5066;branch={}\r\n\
             From: \"+91 98765\" <sip:+9198765@example.test>;tag=far1\r\nTo: <sip:1001@example.test>\r\n\
             Call-ID: {}\r\nCSeq: {} CANCEL\r\nReason: SIP;cause=487;text=\"caller gave up\"\r\n\r\n",
            self.branch, self.call_id, self.cseq
        )
    }

    /// An in-dialog request (ACK, BYE, INFO...) with the next CSeq (ACK keeps the INVITE's).
    pub fn in_dialog(&mut self, method: &str) -> String {
        if method != "ACK" {
            self.cseq += 1;
        }
        let tag = self.to_tag.clone().expect("no dialog yet");
        format!(
            "{method} sip:ua@x.invalid;transport=ws SIP/2.0\r\nVia: SIP/2.0/WS 127.0.0.1:5066;branch=z9hG4bK-{method}-{}\r\n\
             From: <sip:+9198765@example.test>;tag=far1\r\nTo: <sip:1001@example.test>;tag={tag}\r\n\
             Call-ID: {}\r\nCSeq: {} {method}\r\nReason: Q.850;cause=16\r\n\r\n",
            self.cseq, self.call_id, self.cseq
        )
    }
}

pub fn feed(h: &mut Harness, text: &str) {
    h.ua.handle_text(h.now, text);
    h.drain();
}

pub fn statuses(h: &Harness) -> Vec<u16> {
    h.seen.responses.iter().map(|r| r.status).collect()
}

/// The last `n` responses the UA sent, newest first, as (status, CSeq method).
pub fn last_responses(h: &Harness, n: usize) -> Vec<(u16, String)> {
    h.seen
        .responses
        .iter()
        .rev()
        .take(n)
        .map(|r| (r.status, r.cseq().unwrap().method.to_string()))
        .collect()
}

pub fn last_response(h: &Harness) -> &Response {
    h.seen.responses.last().expect("no response sent")
}

pub fn call_events(h: &mut Harness) -> Vec<CallEvent> {
    h.take_events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Call(c) => Some(c),
            _ => None,
        })
        .collect()
}

pub fn registered_harness() -> Harness {
    let mut h = Harness::new();
    h.register();
    h.open();
    h.challenge("n1", false);
    h.reply_ok(300);
    h.take_events();
    h
}

/// Rings, answers, and completes the media steps; returns with our 200 OK sent.
pub fn answered(far: &mut Far) -> Harness {
    let mut h = registered_harness();
    feed(&mut h, &far.invite());
    far.to_tag = last_response(&h).to_addr().and_then(|a| a.tag().map(str::to_string));
    h.ua.answer(h.now, 1).unwrap();
    h.ua.media_mic_ready(h.now, 1);
    h.ua.media_local_sdp(h.now, 1, ANSWER);
    h.drain();
    h
}

impl Far {
    /// An in-dialog request with a body (re-INVITE or UPDATE with SDP, INFO).
    pub fn in_dialog_with(&mut self, method: &str, content_type: &str, body: &str) -> String {
        self.in_dialog_full(method, "", content_type, body)
    }

    /// An in-dialog request with `extra` header lines (each ending in CRLF) and a body.
    pub fn in_dialog_full(&mut self, method: &str, extra: &str, content_type: &str, body: &str) -> String {
        let head = self.in_dialog(method);
        let head = head.trim_end_matches("\r\n");
        let ct = if body.is_empty() {
            String::new()
        } else {
            format!("Content-Type: {content_type}\r\n")
        };
        format!("{head}\r\n{extra}{ct}Content-Length: {}\r\n\r\n{body}", body.len())
    }
}

/// Rings with `invite` (the far end's, as text), answers, and completes the media steps with
/// `sdp` as ours; returns with our 200 OK sent.
pub fn answered_with(far: &mut Far, invite: &str, sdp: &str) -> Harness {
    let mut h = registered_harness();
    feed(&mut h, invite);
    far.to_tag = h
        .seen
        .responses
        .iter()
        .rev()
        .find_map(|r| r.to_addr().and_then(|a| a.tag().map(str::to_string)));
    h.ua.answer(h.now, 1).unwrap();
    h.ua.media_mic_ready(h.now, 1);
    h.ua.media_local_sdp(h.now, 1, sdp);
    h.drain();
    h
}

/// The far end's answer to a request the UA sent (copies Via, From, To, Call-ID, CSeq).
pub fn answer_request(h: &mut Harness, req: &sip_core::message::Request, status: u16, body: &str) {
    let mut hd = Headers::new();
    for name in ["Via", "From", "To", "Call-ID", "CSeq"] {
        hd.push(name, req.headers.get(name).unwrap());
    }
    feed_response(h, status, hd, body);
}

/// Feeds the UA a response with `hd` and an SDP `body` (none when empty).
fn feed_response(h: &mut Harness, status: u16, mut hd: Headers, body: &str) {
    if !body.is_empty() {
        hd.push("Content-Type", "application/sdp");
    }
    let resp = Response {
        status,
        reason: "R".into(),
        headers: hd,
        body: body.into(),
    };
    h.ua.handle_text(h.now, &resp.to_string());
    h.drain();
}

/// Puts call 1 on hold with `sdp` as our offer; returns the re-INVITE that carries it.
pub fn our_hold_reinvite(h: &mut Harness, sdp: &str) -> sip_core::message::Request {
    h.ua.hold(h.now, 1, true).unwrap();
    h.ua.media_local_sdp(h.now, 1, sdp);
    h.drain();
    h.last().clone()
}

/// An answered, acknowledged incoming call (handle 1).
pub fn connected(far: &mut Far) -> Harness {
    let mut h = answered(far);
    feed(&mut h, &far.in_dialog("ACK"));
    h.take_events();
    h
}

// ---- Outgoing calls (makeCall) ---------------------------------------------------------------

/// The latest INVITE the UA sent.
pub fn last_invite(h: &Harness) -> sip_core::message::Request {
    h.seen
        .requests
        .iter()
        .rev()
        .find(|r| r.method == sip_core::message::Method::Invite)
        .cloned()
        .expect("no INVITE")
}

/// A response from the far end (fork `tag`) to our latest INVITE, through a record-routing
/// proxy, with `extra` headers.
pub fn respond_fork(h: &mut Harness, status: u16, body: &str, tag: &str, extra: &[(&str, &str)]) {
    let inv = last_invite(h);
    let mut hd = Headers::new();
    for name in ["Via", "From", "Call-ID", "CSeq"] {
        hd.push(name, inv.headers.get(name).unwrap());
    }
    if status > 100 {
        hd.push("Record-Route", "<sip:10.0.0.2;lr>");
        hd.push("Record-Route", "<sip:127.0.0.1:5066;transport=ws;lr>");
        hd.push("To", format!("{};tag={tag}", inv.headers.get("To").unwrap()));
        if !extra.iter().any(|(n, _)| n.eq_ignore_ascii_case("Contact")) {
            hd.push("Contact", format!("<sip:{tag}@10.0.0.9:5060>"));
        }
    } else {
        hd.push("To", inv.headers.get("To").unwrap());
    }
    for (n, v) in extra {
        hd.push(n, *v);
    }
    feed_response(h, status, hd, body);
}

/// `respond_fork` from the one callee (`tag=callee`).
pub fn respond(h: &mut Harness, status: u16, body: &str, extra: &[(&str, &str)]) {
    respond_fork(h, status, body, "callee", extra);
}

/// Registered, then `makeCall("1002")` through microphone and offer: the INVITE is out.
pub fn dialing() -> Harness {
    let mut h = registered_harness();
    let call = h.ua.make_call(h.now, "1002").unwrap();
    h.drain();
    assert_eq!(h.seen.media, [MediaCommand::AcquireMic { call }]);
    h.ua.media_mic_ready(h.now, call);
    h.drain();
    assert_eq!(h.seen.media[1], MediaCommand::CreateOffer { call });
    h.ua.media_local_sdp(h.now, call, OFFER);
    h.drain();
    h
}

/// An outgoing call the far end answered (handle 1), events taken.
pub fn out_connected() -> Harness {
    let mut h = dialing();
    respond(
        &mut h,
        200,
        ANSWER,
        &[("Allow", "INVITE, ACK, BYE, CANCEL, UPDATE, INFO")],
    );
    h.take_events();
    h
}

/// A request of the callee in the dialog of our outgoing call, with CSeq `cseq`.
pub fn callee_request(h: &Harness, method: &str, cseq: u32, content_type: &str, body: &str) -> String {
    let inv = last_invite(h);
    let ct = if body.is_empty() {
        String::new()
    } else {
        format!("Content-Type: {content_type}\r\n")
    };
    format!(
        "{method} sip:me@192.0.2.1;transport=wss SIP/2.0\r\nVia: SIP/2.0/WS 127.0.0.1;branch=z9hG4bK{method}{cseq}\r\n\
         From: <sip:1002@example.test>;tag=callee\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {cseq} {method}\r\n\
         Contact: <sip:callee@10.0.0.9:5060>\r\n{ct}Content-Length: {}\r\n\r\n{body}",
        inv.headers.get("From").unwrap(),
        inv.call_id().unwrap(),
        body.len()
    )
}

/// Feeds `callee_request(...)` to the UA.
pub fn callee_says(h: &mut Harness, method: &str, cseq: u32, content_type: &str, body: &str) {
    let text = callee_request(h, method, cseq, content_type, body);
    feed(h, &text);
}
