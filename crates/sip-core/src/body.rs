//! The session description in a message body (RFC 3261 §7.4, RFC 3264): the one body the
//! core reads. `application/sdp` as is; the `application/sdp` part of a multipart body
//! (RFC 5621: SIP-I gateways put ISUP beside it); anything else is a type we cannot use.

use crate::message::{Headers, Params};

/// A body of a type that carries no SDP we can use: answer 415 with `Accept: application/sdp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported;

/// The SDP of a message: `Ok(None)` when there is no body, `Err` when the body is of a type
/// we do not understand (§8.2.3: 415).
pub fn sdp(headers: &Headers, body: &str) -> Result<Option<String>, Unsupported> {
    if body.trim().is_empty() {
        return Ok(None);
    }
    let Some(content_type) = headers.get("Content-Type") else {
        // §7.4.1 makes Content-Type mandatory with a body; an SDP without one is still an SDP.
        return if body.trim_start().starts_with("v=") {
            Ok(Some(body.to_string()))
        } else {
            Err(Unsupported)
        };
    };
    let (media_type, params) = media_type(content_type);
    if media_type == "application/sdp" {
        return Ok(Some(body.to_string()));
    }
    if media_type.starts_with("multipart/") {
        let boundary = params.get("boundary").filter(|b| !b.is_empty()).ok_or(Unsupported)?;
        return multipart_sdp(body, boundary).map(Some).ok_or(Unsupported);
    }
    Err(Unsupported)
}

/// Whether a request's `Accept` lets our response carry SDP (§8.2.3: else 406). No `Accept`
/// means `application/sdp` (§20.1).
pub fn accepts_sdp(headers: &Headers) -> bool {
    if headers.get("Accept").is_none() {
        return true;
    }
    headers.list("Accept").any(|range| {
        let (t, _) = media_type(range);
        matches!(t.as_str(), "application/sdp" | "application/*" | "*/*")
    })
}

/// `type/subtype` in lower case and the parameters of a Content-Type or Accept element.
fn media_type(value: &str) -> (String, Params) {
    let (t, params) = value.split_once(';').unwrap_or((value, ""));
    (t.trim().to_ascii_lowercase(), Params::parse(params, b';'))
}

/// The first `application/sdp` part of a multipart body (RFC 2046 §5.1).
fn multipart_sdp(body: &str, boundary: &str) -> Option<String> {
    let delimiter = format!("--{boundary}");
    // The preamble before the first delimiter and the epilogue after the last are ignored.
    let (_, mut rest) = split_at_str(body, &delimiter)?;
    loop {
        if rest.starts_with("--") {
            return None; // the close delimiter
        }
        let (part, next) = split_at_str(rest, &delimiter).unwrap_or((rest, ""));
        if let Some(sdp) = sdp_part(part) {
            return Some(sdp);
        }
        if next.is_empty() {
            return None;
        }
        rest = next;
    }
}

/// The content of one body part when it is `application/sdp`.
fn sdp_part(part: &str) -> Option<String> {
    let part = part.strip_prefix("\r\n").or_else(|| part.strip_prefix('\n'))?;
    let (head, content) = split_at_str(part, "\r\n\r\n").or_else(|| split_at_str(part, "\n\n"))?;
    let is_sdp = head.lines().any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            crate::message::canonical_name(name.trim()) == "Content-Type" && media_type(value).0 == "application/sdp"
        })
    });
    // The CRLF before the next delimiter belongs to the delimiter (RFC 2046 §5.1.1).
    let content = content
        .strip_suffix("\r\n")
        .or_else(|| content.strip_suffix('\n'))
        .unwrap_or(content);
    is_sdp.then(|| content.to_string())
}

/// `s` split around the first `needle`: the text before and after it. A byte search, not
/// `str::find`: that links the two-way searcher and a str-slicing panic into the wasm build
/// (docs/decisions/0002). `needle` is ASCII here, so both sides stay on char boundaries.
fn split_at_str<'a>(s: &'a str, needle: &str) -> Option<(&'a str, &'a str)> {
    let n = needle.len();
    let i = s.as_bytes().windows(n.max(1)).position(|w| w == needle.as_bytes())?;
    Some((s.get(..i)?, s.get(i + n..)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Headers {
        let mut h = Headers::new();
        for (n, v) in pairs {
            h.push(n, *v);
        }
        h
    }

    const SDP: &str = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nm=audio 4000 RTP/AVP 0\r\n";

    #[test]
    fn plain_sdp_and_no_body() {
        let h = headers(&[("Content-Type", "Application/SDP")]);
        assert_eq!(sdp(&h, SDP), Ok(Some(SDP.to_string())));
        assert_eq!(sdp(&h, "  \r\n"), Ok(None));
        assert_eq!(sdp(&Headers::new(), SDP), Ok(Some(SDP.to_string())));
        assert_eq!(sdp(&Headers::new(), "hello"), Err(Unsupported));
    }

    #[test]
    fn the_sdp_part_of_a_multipart_body() {
        let body = format!(
            "preamble\r\n--b1\r\nContent-Type: application/ISUP;version=itu-t92+\r\n\r\n\x01\x02\r\n--b1\r\nContent-Type: application/sdp\r\n\r\n{SDP}\r\n--b1--\r\n"
        );
        let h = headers(&[("Content-Type", "multipart/mixed;boundary=b1")]);
        assert_eq!(sdp(&h, &body), Ok(Some(SDP.to_string())));
        let quoted = headers(&[("Content-Type", "multipart/mixed; boundary=\"b1\"")]);
        assert_eq!(sdp(&quoted, &body), Ok(Some(SDP.to_string())));
        let no_sdp = "--b1\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b1--\r\n";
        assert_eq!(sdp(&h, no_sdp), Err(Unsupported));
        let no_boundary = headers(&[("Content-Type", "multipart/mixed")]);
        assert_eq!(sdp(&no_boundary, &body), Err(Unsupported));
    }

    #[test]
    fn other_types_are_unsupported() {
        let h = headers(&[("Content-Type", "application/unknownformat")]);
        assert_eq!(sdp(&h, "<audio/>"), Err(Unsupported));
    }

    #[test]
    fn accept_decides_whether_we_may_answer_with_sdp() {
        assert!(accepts_sdp(&Headers::new()));
        assert!(accepts_sdp(&headers(&[("Accept", "application/sdp, text/html")])));
        assert!(accepts_sdp(&headers(&[("Accept", "*/*;q=0.1")])));
        assert!(!accepts_sdp(&headers(&[("Accept", "text/nobodyKnowsThis")])));
    }
}
