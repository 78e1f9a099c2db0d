//! SIP option tags (RFC 3261 §19.2): which extensions a request `Require`s or a peer
//! `Supported`s, and the ones we implement.

use crate::message::Headers;

/// Option tags a request may `Require` of us: reliable provisional responses (RFC 3262),
/// session timers (RFC 4028) and `outbound`, which 3.0.10 advertised and we do too.
const IMPLEMENTED: &[&str] = &["100rel", "timer", "outbound"];

/// `Supported` on our REGISTER: what 3.0.10 (SIP.js 0.20) sent Exotel's registrar.
pub const SUPPORTED_REGISTER: &str = "outbound, path, gruu";
/// `Supported` on our responses and in-dialog requests, as 3.0.10 sent it.
pub const SUPPORTED_DIALOG: &str = "outbound";
/// `Supported` on our responses to INVITE/UPDATE and our in-dialog requests: 3.0.10's, plus
/// `timer` while a session timer runs (RFC 4028 §7.1, §9).
pub fn supported(timer: bool) -> &'static str {
    if timer {
        "outbound, timer"
    } else {
        SUPPORTED_DIALOG
    }
}

/// `Supported` on an INVITE we send (3.0.10 placed no calls): the extensions we implement.
pub const SUPPORTED_INVITE: &str = "outbound, 100rel, timer";

/// Whether the option-tag list header `name` (Require, Supported) of `headers` has `tag`.
pub fn has(headers: &Headers, name: &str, tag: &str) -> bool {
    headers.list(name).any(|t| t.eq_ignore_ascii_case(tag))
}

/// §8.2.2.3: the `Require` tags of a request that we do not implement, for a 420 with an
/// `Unsupported` header listing them. Empty when we can process the request.
pub fn unsupported_required(headers: &Headers) -> Vec<String> {
    headers
        .list("Require")
        .filter(|t| !IMPLEMENTED.iter().any(|i| i.eq_ignore_ascii_case(t)))
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_required_tags_are_listed_known_ones_are_not() {
        let mut h = Headers::new();
        h.push("Require", "100rel, nothingSupportsThis");
        h.push("Require", "Timer, nothingSupportsThisEither");
        assert_eq!(
            unsupported_required(&h),
            ["nothingSupportsThis", "nothingSupportsThisEither"]
        );
        assert!(has(&h, "Require", "timer"));
        assert!(!has(&h, "Supported", "timer"));
        assert!(unsupported_required(&Headers::new()).is_empty());
    }
}
