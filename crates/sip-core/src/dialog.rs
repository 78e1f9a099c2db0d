//! A dialog (RFC 3261 §12): created by an INVITE we accepted (§12.1.1) or by a response to
//! ours (§12.1.2), its remote target refreshed by target refresh requests (§12.2), and the
//! in-dialog requests we send in it (§12.2.1.1).

use crate::message::{Address, HeaderAccess, Headers, Method, Request, Response};

#[derive(Debug, Clone)]
pub struct Dialog {
    pub call_id: String,
    pub local_tag: String,
    pub remote_tag: String,
    /// Our identity in the dialog: the INVITE's To, printed back with our tag.
    pub local: String,
    /// The peer's identity: the INVITE's From, with its tag.
    pub remote: String,
    /// Where in-dialog requests go: the Contact URI of the INVITE.
    pub remote_target: String,
    /// Record-Route of the INVITE, in order (§12.1.1: the UAS keeps them as received).
    pub route_set: Vec<String>,
    pub local_cseq: u32,
    pub remote_cseq: u32,
}

impl Dialog {
    /// The dialog state of an incoming INVITE; `None` when it lacks what a dialog needs.
    /// RFC 2543 peers (RFC 4475 inv2543) send no From tag (§12.1.1: a null remote tag) and
    /// may omit Contact; then in-dialog requests go to the From URI.
    pub fn new_uas(invite: &Request, local_tag: &str) -> Option<Dialog> {
        let from = invite.from_addr()?;
        let remote_tag = from.tag().unwrap_or("").to_string();
        let remote_target = match invite.contacts().first().and_then(request_uri) {
            Some(target) => target,
            None => from.uri.to_string(),
        };
        let route_set = invite.headers.list("Record-Route").map(str::to_string).collect();
        let to = invite.headers.get("To")?;
        Some(Dialog {
            call_id: invite.call_id()?.to_string(),
            local_tag: local_tag.to_string(),
            remote_tag,
            local: format!("{to};tag={local_tag}"),
            remote: invite.headers.get("From")?.to_string(),
            remote_target,
            route_set,
            local_cseq: 0,
            remote_cseq: invite.cseq()?.seq,
        })
    }

    /// The dialog a response to our INVITE creates (§12.1.2): early from a 1xx with a To tag,
    /// confirmed from a 2xx. The route set is the response's Record-Route in reverse, the
    /// remote target its Contact. A response missing either (a broken far end) still gets a
    /// dialog, aimed at the Request-URI with an empty tag, so it can be ACKed and ended.
    pub fn new_uac(invite: &Request, resp: &Response) -> Option<Dialog> {
        let remote_tag = resp.to_addr()?.tag().unwrap_or("").to_string();
        let remote_target = match resp.contacts().first().and_then(request_uri) {
            Some(target) => target,
            None => invite.uri.clone(),
        };
        let local_tag = invite.from_addr()?.tag()?.to_string();
        let mut route_set: Vec<String> = resp.headers.list("Record-Route").map(str::to_string).collect();
        route_set.reverse();
        Some(Dialog {
            call_id: invite.call_id()?.to_string(),
            local_tag,
            remote_tag,
            local: invite.headers.get("From")?.to_string(),
            remote: resp.headers.get("To")?.to_string(),
            remote_target,
            route_set,
            local_cseq: invite.cseq()?.seq,
            remote_cseq: 0,
        })
    }

    /// §12.2.1.2 / §12.2.2: a target refresh request we accepted, or the 2xx to ours, replaces
    /// the remote target with its Contact (a SIP URI; anything else is no target for us).
    pub fn refresh_target(&mut self, msg: &impl HeaderAccess) {
        if let Some(target) = msg.contacts().first().and_then(request_uri) {
            self.remote_target = target;
        }
    }

    /// Whether `req` belongs to this dialog (Call-ID and both tags, §12.2.2).
    pub fn matches(&self, req: &Request) -> bool {
        let tag_of = |a: Option<Address>| a.map(|a| a.tag().unwrap_or("").to_string());
        req.call_id() == Some(self.call_id.as_str())
            && tag_of(req.from_addr()).as_deref() == Some(self.remote_tag.as_str())
            && tag_of(req.to_addr()).as_deref() == Some(self.local_tag.as_str())
    }

    /// A new in-dialog request with the next local CSeq, routed by the route set
    /// (loose routing; a strict first hop takes the Request-URI, §12.2.1.1).
    pub fn request(&mut self, method: Method, via: String, user_agent: &str) -> Request {
        self.local_cseq += 1;
        // A strict first hop (no `lr`) takes the Request-URI, the target moving to the end.
        let strict_first = self
            .route_set
            .first()
            .and_then(|r| Address::parse(r).ok())
            .filter(|a| !a.uri.params.contains("lr"))
            .and_then(|a| request_uri(&a));
        let (uri, routes): (String, Vec<String>) = if let Some(first) = strict_first {
            let mut rest: Vec<String> = self.route_set.iter().skip(1).cloned().collect();
            rest.push(format!("<{}>", self.remote_target));
            (first, rest)
        } else {
            (self.remote_target.clone(), self.route_set.clone())
        };
        let mut h = Headers::new();
        h.push("Via", via);
        h.push("Max-Forwards", "70");
        for r in routes {
            h.push("Route", r);
        }
        h.push("From", self.local.clone());
        h.push("To", self.remote.clone());
        h.push("Call-ID", self.call_id.clone());
        h.push("CSeq", format!("{} {}", self.local_cseq, method));
        h.push("User-Agent", user_agent);
        Request {
            method,
            uri,
            headers: h,
            body: String::new(),
        }
    }
}

/// The URI of `addr` as a Request-URI: a SIP URI whose printed form can sit in a request
/// line (no space or control character). A Contact from the network that is not one is no
/// target for us.
pub fn request_uri(addr: &Address) -> Option<String> {
    if addr.uri.scheme != "sip" && addr.uri.scheme != "sips" {
        return None;
    }
    let text = addr.uri.to_string();
    text.bytes().all(|b| b > b' ' && b != 0x7f).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{parse, Message};

    const INVITE: &str = "INVITE sip:me@h.invalid;transport=ws SIP/2.0\r\n\
        Record-Route: <sip:10.0.0.1;transport=ws;lr>, <sip:10.0.0.2;lr>\r\n\
        Via: SIP/2.0/WSS 10.0.0.1;branch=z9hG4bKa\r\n\
        From: \"Caller\" <sip:+9198@exotel.test>;tag=rt\r\n\
        To: <sip:1001@exotel.test>\r\n\
        Call-ID: c1\r\nCSeq: 7 INVITE\r\n\
        Contact: <sip:gw@10.0.0.9:5080;transport=udp>\r\n\r\n";

    fn invite() -> Request {
        match parse(INVITE.as_bytes()) {
            Ok(Message::Request(r)) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bye_goes_to_the_contact_through_the_route_set() {
        let mut d = Dialog::new_uas(&invite(), "lt").unwrap();
        let bye = d.request(Method::Bye, "SIP/2.0/WS x.invalid;branch=z9hG4bKb".into(), "ua");
        assert_eq!(bye.uri, "sip:gw@10.0.0.9:5080;transport=udp");
        let routes: Vec<_> = bye.headers.get_all("Route").collect();
        assert_eq!(routes, ["<sip:10.0.0.1;transport=ws;lr>", "<sip:10.0.0.2;lr>"]);
        assert_eq!(bye.headers.get("From"), Some("<sip:1001@exotel.test>;tag=lt"));
        assert_eq!(bye.headers.get("To"), Some("\"Caller\" <sip:+9198@exotel.test>;tag=rt"));
        assert_eq!(bye.headers.get("CSeq"), Some("1 BYE"));
    }

    #[test]
    fn strict_route_takes_the_request_uri() {
        let mut inv = invite();
        inv.headers.remove("Record-Route");
        inv.headers.push("Record-Route", "<sip:10.0.0.1>");
        let mut d = Dialog::new_uas(&inv, "lt").unwrap();
        let bye = d.request(Method::Bye, "v".into(), "ua");
        assert_eq!(bye.uri, "sip:10.0.0.1");
        assert_eq!(bye.headers.get("Route"), Some("<sip:gw@10.0.0.9:5080;transport=udp>"));
    }

    #[test]
    fn matching_needs_both_tags() {
        let d = Dialog::new_uas(&invite(), "lt").unwrap();
        let raw = |to_tag: &str| {
            format!("BYE sip:me@h SIP/2.0\r\nVia: SIP/2.0/WS a;branch=z9hG4bKc\r\nFrom: <sip:+9198@exotel.test>;tag=rt\r\nTo: <sip:1001@exotel.test>;tag={to_tag}\r\nCall-ID: c1\r\nCSeq: 8 BYE\r\n\r\n")
        };
        let req = |s: String| match parse(s.as_bytes()) {
            Ok(Message::Request(r)) => r,
            other => panic!("{other:?}"),
        };
        assert!(d.matches(&req(raw("lt"))));
        assert!(!d.matches(&req(raw("other"))));
    }
}
