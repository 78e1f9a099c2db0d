//! A scripted registrar around one `UserAgent`, under virtual time.
#![allow(dead_code)]

pub mod calls;

use sip_core::auth::{digest_response, Algorithm};
use sip_core::message::{parse, Address, HeaderAccess, Headers, Message, Request, Response};
use sip_core::{Account, Event, MediaCommand, Output, RegistrationEvent, UserAgent};

pub const PASSWORD: &str = "s3cret-Pa55";

pub fn account() -> Account {
    Account {
        auth_user: "1001".into(),
        sip_domain: "example.test".into(),
        password: PASSWORD.into(),
        display_name: Some("Agent One".into()),
        ws_url: "wss://sbc.example.test:443/wss".into(),
    }
}

#[derive(Default)]
pub struct Seen {
    pub requests: Vec<Request>,
    pub responses: Vec<Response>,
    pub media: Vec<MediaCommand>,
    pub events: Vec<Event>,
    pub connects: usize,
    pub closes: usize,
    /// RFC 5626 keep-alive pings (double CRLF) the UA sent, and the single CRLFs it answered.
    pub pings: usize,
    pub pongs: usize,
    pub logs: Vec<String>,
}

pub struct Harness {
    pub ua: UserAgent,
    pub now: u64,
    pub seen: Seen,
}

impl Harness {
    pub fn new() -> Self {
        Harness {
            ua: UserAgent::new(account(), 42),
            now: 0,
            seen: Seen::default(),
        }
    }

    pub fn drain(&mut self) {
        while let Some(o) = self.ua.poll_output() {
            match o {
                Output::Connect { url } => {
                    assert_eq!(url, "wss://sbc.example.test:443/wss");
                    self.seen.connects += 1;
                }
                Output::Send(text) if text == "\r\n\r\n" => self.seen.pings += 1,
                Output::Send(text) if text == "\r\n" => self.seen.pongs += 1,
                Output::Send(text) => match parse(text.as_bytes()) {
                    Ok(Message::Request(r)) => self.seen.requests.push(r),
                    Ok(Message::Response(r)) => self.seen.responses.push(r),
                    Err(e) => panic!("UA sent an unparsable message ({e}):\n{text}"),
                },
                Output::Close => self.seen.closes += 1,
                Output::Media(m) => self.seen.media.push(m),
                Output::Event(e) => self.seen.events.push(e),
                Output::Log { message, .. } => {
                    assert!(!message.contains(PASSWORD), "password in a log line: {message}");
                    self.seen.logs.push(message);
                }
            }
        }
    }

    pub fn register(&mut self) {
        self.ua.register(self.now);
        self.drain();
    }

    pub fn unregister(&mut self) {
        self.ua.unregister(self.now);
        self.drain();
    }

    pub fn open(&mut self) {
        self.ua.handle_transport_open(self.now);
        self.drain();
    }

    pub fn close(&mut self) {
        self.ua.handle_transport_closed(self.now);
        self.drain();
    }

    /// Moves the clock to `t`, firing every timeout due on the way, in order.
    pub fn advance_to(&mut self, t: u64) {
        while let Some(due) = self.ua.poll_timeout().filter(|d| *d <= t) {
            self.now = self.now.max(due);
            self.ua.handle_timeout(self.now);
            self.drain();
        }
        self.now = t;
    }

    pub fn advance(&mut self, ms: u64) {
        self.advance_to(self.now + ms);
    }

    pub fn last(&self) -> &Request {
        self.seen.requests.last().expect("no request sent")
    }

    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.seen.events)
    }

    /// Answers the last request with `status` and extra headers, as a registrar would.
    pub fn reply(&mut self, status: u16, extra: &[(&str, &str)]) {
        let req = self.last().clone();
        let mut h = Headers::new();
        for name in ["Via", "From", "Call-ID", "CSeq"] {
            h.push(name, req.headers.get(name).unwrap());
        }
        h.push("To", format!("{};tag=reg1", req.headers.get("To").unwrap()));
        for (n, v) in extra {
            h.push(n, *v);
        }
        let resp = Response {
            status,
            reason: "Whatever".into(),
            headers: h,
            body: String::new(),
        };
        self.ua.handle_text(self.now, &resp.to_string());
        self.drain();
    }

    /// 200 OK echoing our Contact with the given expiry (and another UA's binding, as
    /// registrars list every binding of the AOR).
    pub fn reply_ok(&mut self, granted: u32) {
        let ours = self.our_contact();
        let contact = format!(
            "<sip:zz@other.invalid;transport=ws>;expires=77, {};expires={granted}",
            strip_expires(&ours)
        );
        self.reply(200, &[("Contact", &contact)]);
    }

    pub fn our_contact(&self) -> String {
        self.last().headers.get("Contact").unwrap().to_string()
    }

    pub fn challenge(&mut self, nonce: &str, stale: bool) {
        let v = format!(
            "Digest realm=\"example.test\", nonce=\"{nonce}\", opaque=\"op\", algorithm=MD5, qop=\"auth\"{}",
            if stale { ", stale=true" } else { "" }
        );
        self.reply(401, &[("WWW-Authenticate", &v)]);
    }
}

fn strip_expires(contact: &str) -> String {
    let a = Address::parse(contact).unwrap();
    let mut b = Address::new(a.uri.clone());
    for p in a.params.iter().filter(|p| p.name != "expires") {
        b.params.set(&p.name, p.value.as_deref());
    }
    b.to_string()
}

/// Checks an Authorization header the way a registrar does, returning its nonce count.
pub fn verify_authorization(req: &Request, nonce: &str) -> u32 {
    let v = req.headers.get("Authorization").expect("no Authorization");
    let field = |name: &str| -> String {
        let start = v
            .find(&format!("{name}="))
            .unwrap_or_else(|| panic!("no {name} in {v}"))
            + name.len()
            + 1;
        let rest = &v[start..];
        let rest = rest
            .strip_prefix('"')
            .map(|r| &r[..r.find('"').unwrap()])
            .unwrap_or_else(|| rest.split(',').next().unwrap());
        rest.trim().to_string()
    };
    assert_eq!(field("nonce"), nonce);
    assert_eq!(field("username"), "1001");
    assert_eq!(field("uri"), "sip:example.test");
    assert_eq!(field("opaque"), "op");
    let nc = field("nc");
    let expected = digest_response(
        Algorithm::Md5,
        "1001",
        "example.test",
        PASSWORD,
        "REGISTER",
        "sip:example.test",
        nonce,
        Some((&nc, &field("cnonce"))),
    );
    assert_eq!(field("response"), expected, "digest response does not verify");
    u32::from_str_radix(&nc, 16).unwrap()
}

pub fn expires_of(req: &Request) -> u32 {
    req.header_u32("Expires").unwrap()
}

/// The registration events seen since the last `take_events`, in order (others dropped).
pub fn reg_events(h: &mut Harness) -> Vec<RegistrationEvent> {
    h.take_events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Registration(r) => Some(r),
            _ => None,
        })
        .collect()
}
