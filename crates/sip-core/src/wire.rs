//! What app-provided values may reach the wire (RFC 3261 §25.1): the checks behind the typed
//! errors of `make_call` and account set-up. App code passes CRM data straight in, so a
//! click-to-call number must never be able to add a header line or change where the INVITE
//! goes. The printer (message/mod.rs) is the last guard: it never emits a control character.

use crate::account::Account;
use crate::message::Uri;

/// Longest target, display name or user name we take: ample for any real number or URI.
pub const MAX_VALUE_LEN: usize = 256;

fn is_mark(b: u8) -> bool {
    b"-_.!~*'()".contains(&b)
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || is_mark(b)
}

/// `%XX` escapes are well formed, and every other byte is in `allowed`.
fn escaped_or(s: &str, allowed: impl Fn(u8) -> bool) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = |j: usize| b.get(j).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i + 1) && hex(i + 2)) {
                return false;
            }
            i += 3;
        } else if allowed(b[i]) {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

/// §25.1 `user`: unreserved, escaped, or `& = + $ , ; ? /`.
pub fn valid_user(s: &str) -> bool {
    !s.is_empty() && escaped_or(s, |b| is_unreserved(b) || b"&=+$,;?/".contains(&b))
}

/// §25.1 `host`: a host name, an IPv4 address, or an IPv6 reference in brackets.
pub fn valid_host(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(b'['), Some(b']')) => {
            b.len() > 2
                && b[1..b.len() - 1]
                    .iter()
                    .all(|c| c.is_ascii_hexdigit() || b":.".contains(c))
        }
        (Some(_), _) => b.iter().all(|c| c.is_ascii_alphanumeric() || b"-.".contains(c)),
        (None, _) => false,
    }
}

/// §25.1 `uri-parameter`: name and value of paramchars.
fn valid_param_part(s: &str) -> bool {
    escaped_or(s, |b| is_unreserved(b) || b"[]/:&+$".contains(&b))
}

/// A SIP URI we may put in a Request-URI and a To header: `sip:`/`sips:`, a valid user and
/// host, valid parameters, no `?headers` (§19.1.5 forbids them in a Request-URI), no password.
pub fn check_target(uri: &Uri, text: &str) -> Result<(), &'static str> {
    if text.len() > MAX_VALUE_LEN {
        return Err("the SIP URI is longer than 256 characters");
    }
    if uri.scheme != "sip" && uri.scheme != "sips" {
        return Err("only sip: and sips: URIs can be called");
    }
    if uri.headers.is_some() {
        return Err("a SIP URI to call may not carry ?headers");
    }
    if uri.password.is_some() {
        return Err("a SIP URI to call may not carry a password");
    }
    if uri.user.as_deref().is_some_and(|u| !valid_user(u)) {
        return Err("the user part of the SIP URI has characters SIP does not allow");
    }
    if !valid_host(&uri.host) {
        return Err("the host of the SIP URI is not a host name or IP address");
    }
    let params_ok = uri.params.iter().all(|p| {
        !p.name.is_empty() && valid_param_part(&p.name) && !p.quoted && p.value.as_deref().is_none_or(valid_param_part)
    });
    if !params_ok {
        return Err("a parameter of the SIP URI has characters SIP does not allow");
    }
    Ok(())
}

/// A display name: printable text (it is printed as a quoted string, §25.1 `quoted-string`,
/// which cannot hold CR, LF or other control characters).
pub fn check_display_name(s: &str) -> Result<(), &'static str> {
    if s.len() > MAX_VALUE_LEN {
        return Err("displayName is longer than 256 characters");
    }
    if s.chars().any(char::is_control) {
        return Err("displayName may not contain control characters (line breaks, tabs, NUL)");
    }
    Ok(())
}

/// The account fields printed in From, To, the REGISTER Request-URI and the digest.
pub fn check_account(a: &Account) -> Result<(), &'static str> {
    if a.auth_user.len() > MAX_VALUE_LEN || !valid_user(&a.auth_user) {
        return Err("the SIP user name has characters SIP does not allow in a URI");
    }
    if !valid_host(&a.sip_domain) {
        return Err("sipdomain is not a host name or IP address");
    }
    if a.password.chars().any(|c| c == '\r' || c == '\n' || c == '\0') {
        return Err("the password may not contain line breaks or NUL");
    }
    match &a.display_name {
        Some(n) => check_display_name(n),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(s: &str) -> Result<(), &'static str> {
        let uri = Uri::parse(s).map_err(|_| "unparsable")?;
        check_target(&uri, s)
    }

    #[test]
    fn ordinary_targets_pass() {
        for ok in [
            "sip:1002@example.test",
            "sip:+919876543210@example.test;user=phone",
            "sips:agent_7@[2001:db8::1]:5061;transport=ws",
            "sip:bob%20smith@10.0.0.1",
            "sip:example.test",
        ] {
            assert_eq!(target(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn injection_attempts_are_refused() {
        for bad in [
            "sip:1002@example.test\r\nRoute: <sip:evil>",
            "sip:bob SIP/2.0\r\nX-Injected: evil\r\nY: @example.test",
            "sip:bob>;tag=forged@example.test",
            "sip:a@b;user=phone SIP/2.0",
            "sip:a@b?Route=%3Csip:evil%3E",
            "sip:a:secret@b",
            "sip:a\u{0}@b",
            "sip:a@b;x=\"q\"",
            "sip:a%zz@b",
            "tel:+123",
        ] {
            assert!(target(bad).is_err(), "{bad:?}");
        }
        assert!(target(&format!("sip:{}@b", "1".repeat(300))).is_err());
    }

    #[test]
    fn display_names_and_accounts() {
        assert_eq!(check_display_name("Agent \"One\" (desk 4)"), Ok(()));
        assert!(check_display_name("Agent\r\nX-Evil: 1").is_err());
        assert!(check_display_name("tab\there").is_err());
        let mut a = Account {
            auth_user: "1001".into(),
            sip_domain: "example.test".into(),
            password: "p w!\"".into(),
            display_name: Some("Agent".into()),
            ws_url: "wss://h:443/wss".into(),
        };
        assert_eq!(check_account(&a), Ok(()));
        a.sip_domain = "example.test\r\nX: 1".into();
        assert!(check_account(&a).is_err());
        a.sip_domain = "example.test".into();
        a.auth_user = "10 01".into();
        assert!(check_account(&a).is_err());
    }
}
