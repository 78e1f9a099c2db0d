//! The SIP message model, a tolerant parser and a printer.
//!
//! Headers are kept as text in wire order and parsed into typed values only when read, so an
//! odd header the core never looks at cannot make a message unreadable (see
//! docs/decisions/0001-message-layer.md for why this is ours and not rsip).

mod address;
mod header;
mod params;
mod parse;
mod uri;
mod via;

pub use address::Address;
pub use header::{canonical_name, split_list, Headers};
pub use params::{quote, Param, Params};
pub use parse::{parse, salvage_request, ParseError};
pub use uri::{split_host_port, Uri, UriError};
pub use via::{CSeq, Via};

use std::fmt;

/// `(&s[..i], &s[i + 1..])` for the index of an ASCII byte found by a byte search, without
/// str indexing: in the wasm build, one possible str-slicing panic links its message code, the
/// Unicode printable tables with it (~8 KB, docs/decisions/0002).
pub(crate) fn split_around(s: &str, i: usize) -> (&str, &str) {
    (s.get(..i).unwrap_or_default(), s.get(i + 1..).unwrap_or_default())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    Invite,
    Ack,
    Bye,
    Cancel,
    Register,
    Options,
    Info,
    Update,
    Prack,
    Message,
    Notify,
    Refer,
    Subscribe,
    Other(String),
}

impl Method {
    pub fn parse(s: &str) -> Method {
        match s {
            "INVITE" => Method::Invite,
            "ACK" => Method::Ack,
            "BYE" => Method::Bye,
            "CANCEL" => Method::Cancel,
            "REGISTER" => Method::Register,
            "OPTIONS" => Method::Options,
            "INFO" => Method::Info,
            "UPDATE" => Method::Update,
            "PRACK" => Method::Prack,
            "MESSAGE" => Method::Message,
            "NOTIFY" => Method::Notify,
            "REFER" => Method::Refer,
            "SUBSCRIBE" => Method::Subscribe,
            other => Method::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Cancel => "CANCEL",
            Method::Register => "REGISTER",
            Method::Options => "OPTIONS",
            Method::Info => "INFO",
            Method::Update => "UPDATE",
            Method::Prack => "PRACK",
            Method::Message => "MESSAGE",
            Method::Notify => "NOTIFY",
            Method::Refer => "REFER",
            Method::Subscribe => "SUBSCRIBE",
            Method::Other(s) => s,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    /// Request-URI as written; parse with [`Uri::parse`] when needed.
    pub uri: String,
    pub headers: Headers,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    pub headers: Headers,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Request(Request),
    Response(Response),
}

impl Message {
    pub fn headers(&self) -> &Headers {
        match self {
            Message::Request(r) => &r.headers,
            Message::Response(r) => &r.headers,
        }
    }
}

/// Typed reads shared by requests and responses. Each returns `None` when the header is
/// missing or malformed; callers decide whether that makes the message unusable.
pub trait HeaderAccess {
    fn hdrs(&self) -> &Headers;

    fn call_id(&self) -> Option<&str> {
        self.hdrs().get("Call-ID").map(str::trim).filter(|s| !s.is_empty())
    }
    fn cseq(&self) -> Option<CSeq<'_>> {
        self.hdrs().get("CSeq").and_then(|v| CSeq::parse(v).ok())
    }
    // "from" here is the From header, not a conversion.
    #[allow(clippy::wrong_self_convention)]
    fn from_addr(&self) -> Option<Address> {
        self.hdrs().get("From").and_then(|v| Address::parse(v).ok())
    }
    fn to_addr(&self) -> Option<Address> {
        self.hdrs().get("To").and_then(|v| Address::parse(v).ok())
    }
    /// Whether this message carries `call_id` and, in From, `tag`: for a response, that it
    /// answers a request of the dialog side whose tag that is (another dialog may share the
    /// Call-ID, §12).
    fn answers_dialog_of(&self, call_id: &str, tag: &str) -> bool {
        self.call_id() == Some(call_id) && self.from_addr().is_some_and(|f| f.tag() == Some(tag))
    }
    fn top_via(&self) -> Option<Via> {
        self.hdrs().list("Via").next().and_then(|v| Via::parse(v).ok())
    }
    fn contacts(&self) -> Vec<Address> {
        self.hdrs()
            .list("Contact")
            .filter_map(|v| Address::parse(v).ok())
            .collect()
    }
    /// A decimal header such as Expires or Min-Expires.
    fn header_u32(&self, name: &str) -> Option<u32> {
        self.hdrs().get(name).and_then(|v| v.trim().parse().ok())
    }
}

impl HeaderAccess for Request {
    fn hdrs(&self) -> &Headers {
        &self.headers
    }
}

impl HeaderAccess for Response {
    fn hdrs(&self) -> &Headers {
        &self.headers
    }
}

/// Appends `value` without CR and LF: whatever a value holds, it can never end its line and
/// start a header of its own. Values from the app are checked before they get here (wire.rs),
/// and the parser refuses them from the network; this is the guard for everything else.
fn push_line_safe(out: &mut String, value: &str) {
    if value.bytes().any(|b| b == b'\r' || b == b'\n') {
        out.extend(value.chars().filter(|c| *c != '\r' && *c != '\n'));
    } else {
        out.push_str(value);
    }
}

fn write_headers_and_body(out: &mut String, headers: &Headers, body: &str) {
    for (name, value) in headers.iter() {
        if name.eq_ignore_ascii_case("Content-Length") {
            continue;
        }
        push_line_safe(out, name);
        out.push_str(": ");
        push_line_safe(out, value);
        out.push_str("\r\n");
    }
    // Always computed, never trusted from the header list: a wrong length desynchronises a stream.
    out.push_str("Content-Length: ");
    out.push_str(&body.len().to_string());
    out.push_str("\r\n\r\n");
    out.push_str(body);
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        push_line_safe(&mut out, self.method.as_str());
        out.push(' ');
        // A Request-URI holds no space either: it would shift the request line's fields.
        out.extend(self.uri.chars().filter(|c| !c.is_control() && *c != ' '));
        out.push_str(" SIP/2.0\r\n");
        write_headers_and_body(&mut out, &self.headers, &self.body);
        f.write_str(&out)
    }
}

impl fmt::Display for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = format!("SIP/2.0 {} ", self.status);
        push_line_safe(&mut out, &self.reason);
        out.push_str("\r\n");
        write_headers_and_body(&mut out, &self.headers, &self.body);
        f.write_str(&out)
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Message::Request(r) => r.fmt(f),
            Message::Response(r) => r.fmt(f),
        }
    }
}

/// Default reason phrases for the status codes this UA sends.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Trying",
        180 => "Ringing",
        183 => "Session Progress",
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        406 => "Not Acceptable",
        415 => "Unsupported Media Type",
        416 => "Unsupported URI Scheme",
        420 => "Bad Extension",
        422 => "Session Interval Too Small",
        423 => "Interval Too Brief",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        469 => "Bad Info Package",
        491 => "Request Pending",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "Version Not Supported",
        513 => "Message Too Large",
        603 => "Decline",
        _ => "Unknown",
    }
}
