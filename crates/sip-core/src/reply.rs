//! Responses to requests we receive (RFC 3261 §8.2.6.2): the mandatory headers copied from
//! the request, a To tag added when the request had none.

use crate::message::{reason_phrase, Headers, Request, Response};

/// Builds a response to `req` with the default reason phrase for `status`.
pub fn response_for(req: &Request, status: u16, to_tag: &str) -> Response {
    let mut headers = Headers::new();
    for via in req.headers.get_all("Via") {
        headers.push("Via", via);
    }
    for name in ["From", "Call-ID", "CSeq"] {
        if let Some(v) = req.headers.get(name) {
            headers.push(name, v);
        }
    }
    if let Some(to) = req.headers.get("To") {
        // A 100 (Trying) never carries a new tag; any other response adds ours if absent.
        let has_tag = crate::message::Address::parse(to).is_ok_and(|a| a.tag().is_some());
        if has_tag || status == 100 {
            headers.push("To", to);
        } else {
            headers.push("To", format!("{to};tag={to_tag}"));
        }
    }
    Response {
        status,
        reason: reason_phrase(status).to_string(),
        headers,
        body: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{parse, Message};

    #[test]
    fn copies_vias_in_order_and_tags_to() {
        let raw = "OPTIONS sip:u@h SIP/2.0\r\nVia: SIP/2.0/WSS a;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP b;branch=z9hG4bK2\r\nFrom: <sip:s@h>;tag=f\r\nTo: <sip:u@h>\r\nCall-ID: c\r\nCSeq: 5 OPTIONS\r\n\r\n";
        let Ok(Message::Request(req)) = parse(raw.as_bytes()) else {
            panic!("parse")
        };
        let resp = response_for(&req, 200, "t1");
        let vias: Vec<_> = resp.headers.get_all("Via").collect();
        assert_eq!(vias, ["SIP/2.0/WSS a;branch=z9hG4bK1", "SIP/2.0/UDP b;branch=z9hG4bK2"]);
        assert_eq!(resp.headers.get("To"), Some("<sip:u@h>;tag=t1"));
        assert_eq!(resp.headers.get("CSeq"), Some("5 OPTIONS"));
    }
}
