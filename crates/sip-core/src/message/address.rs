//! `name-addr` / `addr-spec` values with header parameters: From, To, Contact, Route.

use super::params::{push_quoted, unquote, Params};
use super::split_around;
use super::uri::{Uri, UriError};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub display_name: Option<String>,
    pub uri: Uri,
    /// Header parameters after the URI (`;tag=`, `;expires=`, `;+sip.instance=`).
    pub params: Params,
}

impl Address {
    pub fn new(uri: Uri) -> Self {
        Address {
            display_name: None,
            uri,
            params: Params::default(),
        }
    }

    /// Parses one element (already split from a list). Accepts `"Name" <uri>;p`, `Name <uri>;p`,
    /// `<uri>;p` and the bare `uri;p` form, where per RFC 3261 §20 the parameters belong to
    /// the header, not the URI.
    pub fn parse(s: &str) -> Result<Self, UriError> {
        let s = s.trim();
        if let Some(lt) = find_unquoted(s, b'<') {
            let (name, tail) = split_around(s, lt);
            let (uri, rest) = tail.split_once('>').ok_or(UriError("missing '>'"))?;
            let name = name.trim();
            let display_name = if name.is_empty() { None } else { Some(unquote(name).0) };
            let uri = Uri::parse(uri)?;
            let rest = rest.trim_start();
            let params = match rest.strip_prefix(';') {
                Some(p) => Params::parse(p, b';'),
                None if rest.is_empty() => Params::default(),
                None => return Err(UriError("junk after '>'")),
            };
            Ok(Address {
                display_name,
                uri,
                params,
            })
        } else {
            let (uri, params) = match s.split_once(';') {
                Some((uri, params)) => (uri, Params::parse(params, b';')),
                None => (s, Params::default()),
            };
            // LWS may surround the ';' (RFC 3261 SEMI = SWS ";" SWS): `sip:a@b ;tag=1`.
            let uri = uri.trim_end();
            if uri.as_bytes().contains(&b' ') {
                return Err(UriError("space in addr-spec"));
            }
            Ok(Address {
                display_name: None,
                uri: Uri::parse(uri)?,
                params,
            })
        }
    }

    pub fn tag(&self) -> Option<&str> {
        self.params.get("tag")
    }
}

fn find_unquoted(s: &str, needle: u8) -> Option<usize> {
    let mut in_quotes = false;
    let mut escaped = false;
    for (i, b) in s.bytes().enumerate() {
        if in_quotes {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_quotes = false,
                _ => {}
            }
        } else if b == b'"' {
            in_quotes = true;
        } else if b == needle {
            return Some(i);
        }
    }
    None
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        if let Some(n) = &self.display_name {
            push_quoted(&mut s, n);
            s.push(' ');
        }
        s.push('<');
        s.push_str(&self.uri.to_string());
        s.push('>');
        self.params.write_to(&mut s);
        f.write_str(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_addr_with_quoted_display_and_params() {
        let a = Address::parse(r#""+91 98, x" <sip:+919876543210@voip.exotel.in>;tag=N4F3"#).unwrap();
        assert_eq!(a.display_name.as_deref(), Some("+91 98, x"));
        assert_eq!(a.uri.user.as_deref(), Some("+919876543210"));
        assert_eq!(a.tag(), Some("N4F3"));
    }

    #[test]
    fn addr_spec_params_belong_to_header() {
        let a = Address::parse("sip:alice@example.com;tag=abc").unwrap();
        assert_eq!(a.tag(), Some("abc"));
        assert!(a.uri.params.get("tag").is_none());
    }

    #[test]
    fn contact_with_instance_prints_back() {
        let raw =
            r#"<sip:k3l9x2@df7jal23ls0d.invalid;transport=ws>;+sip.instance="<urn:uuid:5e3b>";reg-id=1;expires=300"#;
        let a = Address::parse(raw).unwrap();
        assert_eq!(a.params.get("+sip.instance"), Some("<urn:uuid:5e3b>"));
        assert_eq!(a.to_string(), raw);
    }

    #[test]
    fn unquoted_display_name_token() {
        let a = Address::parse("Bob Smith <sip:bob@b.com>").unwrap();
        assert_eq!(a.display_name.as_deref(), Some("Bob Smith"));
        assert!(Address::parse("<sip:bob@b.com").is_err());
        assert!(Address::parse("<sip:bob@b.com> junk").is_err());
    }
}
