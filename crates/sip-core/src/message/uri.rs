//! SIP URIs (RFC 3261 §19.1), parsed tolerantly: what we do not understand we keep verbatim.

use super::params::Params;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uri {
    /// `sip`, `sips`, or anything else (`tel`, `urn`): then only `opaque` is meaningful.
    pub scheme: String,
    pub user: Option<String>,
    pub password: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    pub params: Params,
    /// `?a=b&c=d` part, verbatim without the `?`.
    pub headers: Option<String>,
    /// The whole text after `scheme:` for non-SIP schemes.
    pub opaque: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UriError(pub &'static str);

impl fmt::Display for UriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad URI: {}", self.0)
    }
}

impl Uri {
    pub fn sip(user: Option<&str>, host: &str) -> Self {
        Uri {
            scheme: "sip".into(),
            user: user.map(str::to_string),
            password: None,
            host: host.to_string(),
            port: None,
            params: Params::default(),
            headers: None,
            opaque: None,
        }
    }

    pub fn parse(s: &str) -> Result<Self, UriError> {
        let s = s.trim();
        let (scheme, rest) = s.split_once(':').ok_or(UriError("no scheme"))?;
        if scheme.is_empty() || !scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) {
            return Err(UriError("invalid scheme"));
        }
        if !scheme.eq_ignore_ascii_case("sip") && !scheme.eq_ignore_ascii_case("sips") {
            let mut u = Uri::sip(None, "");
            u.scheme = scheme.to_ascii_lowercase();
            u.opaque = Some(rest.to_string());
            return Ok(u);
        }
        // userinfo ends at the first '@': the grammar allows no other unescaped '@', and a user
        // may contain ';' and '?' (RFC 4475 §3.1.1.2), so find it before splitting those off.
        let (userinfo, hostpart) = match rest.split_once('@') {
            Some((userinfo, hostpart)) => (Some(userinfo), hostpart),
            None => (None, rest),
        };
        let (hostpart, headers) = match hostpart.split_once('?') {
            Some((hostpart, headers)) => (hostpart, Some(headers.to_string())),
            None => (hostpart, None),
        };
        let (user, password) = match userinfo {
            Some(ui) => match ui.split_once(':') {
                Some((user, password)) => (Some(user.to_string()), Some(password.to_string())),
                None => (Some(ui.to_string()), None),
            },
            None => (None, None),
        };
        let (hostport, params) = match hostpart.split_once(';') {
            Some((hostport, params)) => (hostport, Params::parse(params, b';')),
            None => (hostpart, Params::default()),
        };
        let (host, port) = split_host_port(hostport)?;
        if host.is_empty() {
            return Err(UriError("empty host"));
        }
        Ok(Uri {
            scheme: scheme.to_ascii_lowercase(),
            user,
            password,
            host: host.to_string(),
            port,
            params,
            headers,
            opaque: None,
        })
    }

    /// The value `sip:user@host` with no params: the form an AOR is compared in.
    pub fn aor(&self) -> String {
        match &self.user {
            Some(u) => format!("{}:{}@{}", self.scheme, u, self.host),
            None => format!("{}:{}", self.scheme, self.host),
        }
    }
}

/// Splits `host[:port]`, with IPv6 references in brackets.
pub fn split_host_port(s: &str) -> Result<(&str, Option<u16>), UriError> {
    let s = s.trim();
    let (host, port) = if s.starts_with('[') {
        let end = s.find(']').ok_or(UriError("unterminated IPv6 reference"))?;
        // `]` is ASCII: the split after it is on a char boundary.
        let (host, after) = s.split_at_checked(end + 1).unwrap_or((s, ""));
        let port = after.strip_prefix(':');
        if port.is_none() && !after.is_empty() {
            return Err(UriError("junk after IPv6 reference"));
        }
        (host, port)
    } else {
        match s.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (s, None),
        }
    };
    let port = match port {
        Some(p) => Some(p.parse::<u16>().map_err(|_| UriError("bad port"))?),
        None => None,
    };
    if host
        .bytes()
        .any(|b| b.is_ascii_whitespace() || b == b'<' || b == b'>' || b == b'"')
    {
        return Err(UriError("invalid host"));
    }
    Ok((host, port))
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(o) = &self.opaque {
            return write!(f, "{}:{}", self.scheme, o);
        }
        write!(f, "{}:", self.scheme)?;
        if let Some(u) = &self.user {
            f.write_str(u)?;
            if let Some(p) = &self.password {
                write!(f, ":{p}")?;
            }
            f.write_str("@")?;
        }
        f.write_str(&self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        let mut s = String::new();
        self.params.write_to(&mut s);
        f.write_str(&s)?;
        if let Some(h) = &self.headers {
            write!(f, "?{h}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_sip_uri() {
        let u = Uri::parse("sip:p8c1n2ve@k3vd9q2lsj7m.invalid:8443;transport=ws;lr?x=y").unwrap();
        assert_eq!(u.user.as_deref(), Some("p8c1n2ve"));
        assert_eq!(u.host, "k3vd9q2lsj7m.invalid");
        assert_eq!(u.port, Some(8443));
        assert_eq!(u.params.get("transport"), Some("ws"));
        assert!(u.params.contains("lr"));
        assert_eq!(
            u.to_string(),
            "sip:p8c1n2ve@k3vd9q2lsj7m.invalid:8443;transport=ws;lr?x=y"
        );
    }

    #[test]
    fn ipv6_and_tel() {
        let u = Uri::parse("sips:[2001:db8::1]:5061").unwrap();
        assert_eq!(u.host, "[2001:db8::1]");
        assert_eq!(u.port, Some(5061));
        let t = Uri::parse("tel:+919876543210").unwrap();
        assert_eq!(t.to_string(), "tel:+919876543210");
    }

    #[test]
    fn rejects_garbage() {
        assert!(Uri::parse("nocolon").is_err());
        assert!(Uri::parse("sip:").is_err());
        assert!(Uri::parse("sip:a@b:99999").is_err());
        assert!(Uri::parse("sip:[::1").is_err());
    }
}
