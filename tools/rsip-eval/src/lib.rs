//! Size probe for docs/decisions/0001-message-layer.md.
//!
//! One export, `parse(s) -> u32`, with the same signature in every variant so the
//! wasm-bindgen glue is identical and the .wasm delta is what the parser costs:
//!
//! * default features      : trivial hand-split baseline (split lines, count headers,
//!                           check a Contact line has a `<...>` URI).
//! * `with-rsip`           : rsip 0.4 full message parse + typed Contact parse.
//! * `with-rsip,typed-all` : as above + typed From, To, Via, CSeq (what a UA core
//!                           really needs for dialog/transaction matching).
//!
//! Return value: `(header_count << 1) | contact_ok`, or `u32::MAX` if the message
//! did not parse at all.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub fn parse(s: &str) -> u32 {
    parse_impl(s)
}

#[cfg(not(feature = "with-rsip"))]
pub fn parse_impl(s: &str) -> u32 {
    let head = match s.find("\r\n\r\n") {
        Some(i) => &s[..i],
        None => s,
    };
    let mut lines = head.split("\r\n");
    let start = lines.next().unwrap_or("");
    if !(start.starts_with("SIP/2.0 ") || start.ends_with(" SIP/2.0")) {
        return u32::MAX;
    }
    let mut count = 0u32;
    let mut contact_ok = false;
    for line in lines {
        if line.starts_with(' ') || line.starts_with('\t') {
            continue; // folded continuation of the previous header
        }
        let Some((name, value)) = line.split_once(':') else {
            return u32::MAX;
        };
        count += 1;
        let name = name.trim();
        if name.eq_ignore_ascii_case("contact") || name.eq_ignore_ascii_case("m") {
            let v = value.trim();
            contact_ok = v == "*" || (v.contains('<') && v.contains('>'));
        }
    }
    (count << 1) | contact_ok as u32
}

#[cfg(feature = "with-rsip")]
pub fn parse_impl(s: &str) -> u32 {
    use rsip::prelude::*;
    use rsip::Header;
    use std::convert::TryFrom;

    let msg = match rsip::SipMessage::try_from(s) {
        Ok(m) => m,
        Err(_) => return u32::MAX,
    };
    let headers = msg.headers();
    let mut count = 0u32;
    let mut contact_ok = true;
    let mut saw_contact = false;
    for h in headers.iter() {
        count += 1;
        match h {
            Header::Contact(c) => {
                saw_contact = true;
                contact_ok &= c.typed().is_ok();
            }
            #[cfg(feature = "typed-all")]
            Header::From(x) => contact_ok &= x.typed().is_ok(),
            #[cfg(feature = "typed-all")]
            Header::To(x) => contact_ok &= x.typed().is_ok(),
            #[cfg(feature = "typed-all")]
            Header::Via(x) => contact_ok &= x.typed().is_ok(),
            #[cfg(feature = "typed-all")]
            Header::CSeq(x) => contact_ok &= x.typed().is_ok(),
            _ => {}
        }
    }
    (count << 1) | (saw_contact && contact_ok) as u32
}
