//! Via (RFC 3261 §20.42) and CSeq (§20.16) values.

use super::params::Params;
use super::uri::UriError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// `UDP`, `TCP`, `WS`, `WSS`, ...
    pub transport: String,
    pub host: String,
    pub params: Params,
}

impl Via {
    /// Parses one Via element, e.g. `SIP/2.0/WSS df7j.invalid;branch=z9hG4bK1;rport`.
    pub fn parse(s: &str) -> Result<Self, UriError> {
        // RFC 3261 allows linear white space around the slashes: "SIP / 2.0 / UDP host".
        let mut parts = s.trim().splitn(3, '/');
        let (name, version, tail) = (
            parts.next(),
            parts.next(),
            parts.next().ok_or(UriError("Via without transport"))?,
        );
        if !name.is_some_and(|n| n.trim().eq_ignore_ascii_case("SIP")) || version.map(str::trim) != Some("2.0") {
            return Err(UriError("Via protocol is not SIP/2.0"));
        }
        let tail = tail.trim_start();
        let (transport, rest) = tail
            .split_once(|c: char| c.is_ascii_whitespace())
            .ok_or(UriError("Via without host"))?;
        if transport.is_empty() {
            return Err(UriError("Via without transport"));
        }
        let rest = rest.trim();
        let (host, params) = match rest.split_once(';') {
            Some((host, params)) => (host.trim(), Params::parse(params, b';')),
            None => (rest, Params::default()),
        };
        if host.is_empty() {
            return Err(UriError("Via without host"));
        }
        Ok(Via {
            transport: transport.to_ascii_uppercase(),
            host: host.to_string(),
            params,
        })
    }

    pub fn branch(&self) -> Option<&str> {
        self.params.get("branch")
    }

    /// What identifies a server transaction (§17.2.3): the branch *and* the sent-by, so a
    /// request that reuses a branch from another host is a transaction of its own. `None`
    /// without a branch (RFC 2543 peers; callers then match on CSeq).
    pub fn transaction_key(&self) -> Option<String> {
        self.branch().map(|b| format!("{b} {}", self.host.to_ascii_lowercase()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CSeq<'a> {
    pub seq: u32,
    pub method: &'a str,
}

impl<'a> CSeq<'a> {
    pub fn parse(s: &'a str) -> Result<Self, UriError> {
        let mut it = s.split_ascii_whitespace();
        let seq = it
            .next()
            .and_then(|n| n.parse::<u32>().ok())
            .ok_or(UriError("bad CSeq number"))?;
        let method = it.next().ok_or(UriError("CSeq without method"))?;
        if it.next().is_some() {
            return Err(UriError("junk after CSeq method"));
        }
        Ok(CSeq { seq, method })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn via_with_received_and_rport() {
        let v = Via::parse("SIP/2.0/WSS k3vd.invalid;received=203.0.113.45;rport=52341;branch=z9hG4bK98").unwrap();
        assert_eq!(v.transport, "WSS");
        assert_eq!(v.host, "k3vd.invalid");
        assert_eq!(v.branch(), Some("z9hG4bK98"));
        assert_eq!(v.params.get("rport"), Some("52341"));
        let spaced = Via::parse("SIP / 2.0 / UDP 1.2.3.4:5060 ; branch = z9hG4bKx").unwrap();
        assert_eq!(
            (spaced.transport.as_str(), spaced.host.as_str()),
            ("UDP", "1.2.3.4:5060")
        );
        assert_eq!(spaced.branch(), Some("z9hG4bKx"));
        assert!(Via::parse("SIP/3.0/UDP h").is_err());
    }

    #[test]
    fn cseq_forms() {
        assert_eq!(
            CSeq::parse("2 REGISTER").unwrap(),
            CSeq {
                seq: 2,
                method: "REGISTER"
            }
        );
        assert!(CSeq::parse("x REGISTER").is_err());
        assert!(CSeq::parse("99999999999 INVITE").is_err());
    }
}
