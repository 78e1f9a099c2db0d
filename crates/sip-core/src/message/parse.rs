//! Bytes → [`Message`]. Tolerant of what real stacks send (compact names, folded lines, bare
//! LF, odd spacing), strict where accepting would be wrong (a body shorter than Content-Length,
//! a start line that is neither request nor response). Never panics: every index comes from a
//! search for an ASCII byte, so every slice is on a char boundary.

use super::{Headers, Message, Method, Request, Response};
use std::fmt;

/// Why a message was refused. The text names the problem; it never echoes header values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub &'static str);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed SIP message: {}", self.0)
    }
}

/// The most headers a message may carry. Real messages have ~20; the cap bounds the work a
/// hostile peer can cause per frame.
const MAX_HEADERS: usize = 256;

pub fn parse(bytes: &[u8]) -> Result<Message, ParseError> {
    // Leading CRLFs between messages are allowed on streams (RFC 3261 §7.5).
    let start = bytes
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .ok_or(ParseError("empty"))?;
    let bytes = &bytes[start..];
    let (head, body) = split_head_body(bytes);
    let head = std::str::from_utf8(head).map_err(|_| ParseError("header section is not UTF-8"))?;

    let lines = unfold(head);
    // A bare CR, NUL or other control character inside a line would be echoed into our
    // responses and logs, where a reader could take it for a line break (tab is allowed, §25.1).
    if lines.iter().enumerate().any(|(i, l)| has_bare_control(l, i == 0)) {
        return Err(ParseError("control character in the header section"));
    }
    if lines.iter().any(|l| l.len() > crate::limits::MAX_LINE_BYTES) {
        return Err(ParseError("header line longer than 8 KiB"));
    }
    let mut lines = lines.into_iter();
    let first = lines.next().ok_or(ParseError("empty"))?;
    let mut headers = Headers::new();
    for line in lines {
        if headers.len() >= MAX_HEADERS {
            return Err(ParseError("too many headers"));
        }
        let (name, value) = line.split_once(':').ok_or(ParseError("header line without ':'"))?;
        let name = name.trim();
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return Err(ParseError("invalid header name"));
        }
        headers.push(name, value.trim());
    }

    let body = take_body(body, &headers)?;
    if let Some(rest) = first.strip_prefix("SIP/") {
        let (version, rest) = rest.split_once(' ').ok_or(ParseError("bad status line"))?;
        if version != "2.0" {
            return Err(ParseError("unsupported SIP version"));
        }
        let rest = rest.trim_start();
        let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
        let status: u16 = code.parse().map_err(|_| ParseError("bad status code"))?;
        if !(100..=699).contains(&status) {
            return Err(ParseError("status code out of range"));
        }
        Ok(Message::Response(Response {
            status,
            reason: reason.trim().to_string(),
            headers,
            body,
        }))
    } else {
        let mut parts = first.split(' ').filter(|p| !p.is_empty());
        let (method, uri, version) = (parts.next(), parts.next(), parts.next());
        let (Some(method), Some(uri), Some(version)) = (method, uri, version) else {
            return Err(ParseError("bad request line"));
        };
        if parts.next().is_some() {
            return Err(ParseError("bad request line"));
        }
        if version != "SIP/2.0" {
            return Err(ParseError("unsupported SIP version"));
        }
        if !method.bytes().all(is_token_byte) || !uri.as_bytes().contains(&b':') {
            return Err(ParseError("bad request line"));
        }
        Ok(Message::Request(Request {
            method: Method::parse(method),
            uri: uri.to_string(),
            headers,
            body,
        }))
    }
}

/// The method and headers of a request `parse` refused, read leniently, so the refusal can be
/// answered (400, 505) instead of leaving the sender to time out. `None` for responses and
/// for text that is no request at all. The body and Request-URI are not kept.
pub fn salvage_request(bytes: &[u8]) -> Option<Request> {
    let start = bytes.iter().position(|&b| b != b'\r' && b != b'\n')?;
    let (head, _) = split_head_body(bytes.get(start..)?);
    let head = std::str::from_utf8(head).ok()?;
    let mut lines = unfold(head).into_iter();
    let first = lines.next()?;
    let method = first
        .split(' ')
        .next()
        .filter(|m| !m.is_empty() && m.bytes().all(is_token_byte))?;
    if first.starts_with("SIP/") {
        return None;
    }
    let mut headers = Headers::new();
    for line in lines.take(MAX_HEADERS) {
        if has_bare_control(&line, false) {
            continue; // never echoed back
        }
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim();
            if !name.is_empty() && name.bytes().all(is_token_byte) {
                headers.push(name, value.trim());
            }
        }
    }
    Some(Request {
        method: Method::parse(method),
        uri: String::new(),
        headers,
        body: String::new(),
    })
}

/// A control character a line may not hold: CR and LF anywhere (they would end the line
/// wherever the value is echoed), others unless escaped as a quoted-pair (RFC 3261 §25.1;
/// RFC 4475 intmeth quotes NUL, BEL and DEL). Tab is whitespace, except in the start line.
fn has_bare_control(line: &str, start_line: bool) -> bool {
    let mut escaped = false;
    for b in line.bytes() {
        let control = b < b' ' || b == 0x7f;
        if b == b'\r' || b == b'\n' || (control && !escaped && (start_line || b != b'\t')) {
            return true;
        }
        escaped = !escaped && b == b'\\';
    }
    false
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

/// Splits at the first empty line (CRLF CRLF, or LF LF from sloppy peers).
fn split_head_body(bytes: &[u8]) -> (&[u8], &[u8]) {
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\n' {
            let next = &bytes[i + 1..];
            if next.starts_with(b"\r\n") {
                return (&bytes[..i + 1], &next[2..]);
            }
            if next.starts_with(b"\n") {
                return (&bytes[..i + 1], &next[1..]);
            }
        }
        i += 1;
    }
    (bytes, &[])
}

/// Lines of the header section with continuation lines (leading SP/HT) joined by one space.
fn unfold(head: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for raw in head.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.is_empty() {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.push(' ');
                last.push_str(line.trim());
                continue;
            }
        }
        out.push(line.to_string());
    }
    out
}

fn take_body(body: &[u8], headers: &Headers) -> Result<String, ParseError> {
    // Two different lengths leave the framing to a guess (RFC 4475 §3.3.9): refuse it.
    let mut lengths = headers.get_all("Content-Length").map(str::trim);
    if let Some(first) = lengths.next() {
        if lengths.any(|l| l != first) {
            return Err(ParseError("conflicting Content-Length"));
        }
    }
    let body = match headers.get("Content-Length") {
        Some(v) => {
            let len: usize = v.trim().parse().map_err(|_| ParseError("bad Content-Length"))?;
            if len > body.len() {
                return Err(ParseError("body shorter than Content-Length"));
            }
            &body[..len]
        }
        None => body,
    };
    Ok(String::from_utf8_lossy(body).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::HeaderAccess;

    fn req(s: &str) -> Request {
        match parse(s.as_bytes()).unwrap() {
            Message::Request(r) => r,
            other => panic!("expected request, got {other:?}"),
        }
    }

    #[test]
    fn compact_folded_and_bare_lf() {
        let r = req("OPTIONS sip:a@b SIP/2.0\nv: SIP/2.0/WS x.invalid\n ;branch=z9hG4bKa\ni: abc\nl: 0\n\n");
        assert_eq!(r.call_id(), Some("abc"));
        assert_eq!(r.top_via().unwrap().branch(), Some("z9hG4bKa"));
    }

    #[test]
    fn content_length_bounds_body() {
        let r = req("MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 3\r\n\r\nabcdef");
        assert_eq!(r.body, "abc");
        let short = parse(b"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 9\r\n\r\nabc");
        assert_eq!(short, Err(ParseError("body shorter than Content-Length")));
    }

    #[test]
    fn response_and_print_round_trip() {
        let raw = "SIP/2.0 401 Unauthorized\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n";
        let m = parse(raw.as_bytes()).unwrap();
        assert_eq!(m.to_string(), raw);
    }

    #[test]
    fn refuses_non_sip() {
        assert!(parse(b"GET / HTTP/1.1\r\n\r\n").is_err());
        assert!(parse(b"SIP/2.0 99 Low\r\n\r\n").is_err());
        assert!(parse(b"\r\n\r\n").is_err());
        assert!(parse(b"INVITE sip:a@b SIP/2.0\r\nNo colon here\r\n\r\n").is_err());
    }
}
