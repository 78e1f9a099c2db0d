//! HTTP digest authentication for SIP (RFC 3261 §22, RFC 7616 for SHA-256, RFC 8760 in SIP).
//!
//! The credentials cache is per realm: a refresh re-uses the last challenge with the next
//! nonce count, so most refreshes cost one round trip, and a server that counts nonces
//! (Kamailio can) never sees a count twice.

use crate::message::{split_list, Params};
use md5::Md5;
use sha2::{Digest, Sha256};
use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Md5,
    Sha256,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub realm: String,
    pub nonce: String,
    pub opaque: Option<String>,
    pub algorithm: Algorithm,
    /// Whether the server offered `qop=auth` (we never use `auth-int`).
    pub qop_auth: bool,
    pub stale: bool,
    /// 407 (Proxy-Authenticate → Proxy-Authorization) rather than 401.
    pub proxy: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChallengeError {
    NotDigest,
    MissingNonce,
    UnsupportedAlgorithm,
    /// Only `auth-int` offered: it would need the body hash of every request.
    UnsupportedQop,
}

impl Challenge {
    /// Parses a `WWW-Authenticate` / `Proxy-Authenticate` value.
    pub fn parse(value: &str, proxy: bool) -> Result<Self, ChallengeError> {
        let value = value.trim();
        let (scheme, rest) = value
            .split_once(|c: char| c.is_ascii_whitespace())
            .unwrap_or((value, ""));
        if !scheme.eq_ignore_ascii_case("Digest") {
            return Err(ChallengeError::NotDigest);
        }
        let mut params = Params::default();
        for p in split_list(rest) {
            let parsed = Params::parse(p, b';');
            for param in parsed.iter() {
                params.set(&param.name, param.value.as_deref());
            }
        }
        let nonce = params
            .get("nonce")
            .filter(|n| !n.is_empty())
            .ok_or(ChallengeError::MissingNonce)?;
        let algorithm = match params.get("algorithm") {
            None => Algorithm::Md5,
            Some(a) if a.eq_ignore_ascii_case("MD5") => Algorithm::Md5,
            Some(a) if a.eq_ignore_ascii_case("SHA-256") => Algorithm::Sha256,
            Some(_) => return Err(ChallengeError::UnsupportedAlgorithm),
        };
        let qop = params.get("qop");
        let qop_auth = qop.is_some_and(|q| q.split(',').any(|t| t.trim().eq_ignore_ascii_case("auth")));
        if qop.is_some() && !qop_auth {
            return Err(ChallengeError::UnsupportedQop);
        }
        Ok(Challenge {
            realm: params.get("realm").unwrap_or("").to_string(),
            nonce: nonce.to_string(),
            opaque: params.get("opaque").map(str::to_string),
            algorithm,
            qop_auth,
            stale: params.get("stale").is_some_and(|s| s.eq_ignore_ascii_case("true")),
            proxy,
        })
    }

    pub fn header_name(&self) -> &'static str {
        if self.proxy {
            "Proxy-Authorization"
        } else {
            "Authorization"
        }
    }
}

fn hex_hash(alg: Algorithm, parts: &[&str]) -> String {
    let mut input = parts.join(":");
    let bytes: Vec<u8> = match alg {
        Algorithm::Md5 => Md5::digest(input.as_bytes()).to_vec(),
        Algorithm::Sha256 => Sha256::digest(input.as_bytes()).to_vec(),
    };
    // HA1's input is user:realm:password: no copy of the password outlives the hash.
    crate::account::wipe(&mut input);
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The digest `response` value (RFC 2617 §3.2.2.1 / RFC 7616 §3.4.1) for qop=auth or no qop.
#[allow(clippy::too_many_arguments)]
pub fn digest_response(
    alg: Algorithm,
    username: &str,
    realm: &str,
    password: &str,
    method: &str,
    uri: &str,
    nonce: &str,
    qop_auth: Option<(&str, &str)>,
) -> String {
    let ha1 = hex_hash(alg, &[username, realm, password]);
    let ha2 = hex_hash(alg, &[method, uri]);
    match qop_auth {
        Some((nc, cnonce)) => hex_hash(alg, &[&ha1, nonce, nc, cnonce, "auth", &ha2]),
        None => hex_hash(alg, &[&ha1, nonce, &ha2]),
    }
}

/// The challenge we answer plus the nonce count already used with it.
#[derive(Debug, Clone)]
pub struct CachedChallenge {
    pub challenge: Challenge,
    pub nonce_count: u32,
}

impl CachedChallenge {
    pub fn new(challenge: Challenge) -> Self {
        CachedChallenge {
            challenge,
            nonce_count: 0,
        }
    }

    /// Builds the Authorization header value for one request and advances the nonce count.
    pub fn authorize(&mut self, username: &str, password: &str, method: &str, uri: &str, cnonce: &str) -> String {
        self.nonce_count = self.nonce_count.wrapping_add(1);
        let c = &self.challenge;
        let nc = format!("{:08x}", self.nonce_count);
        let qop = c.qop_auth.then_some((nc.as_str(), cnonce));
        let response = digest_response(c.algorithm, username, &c.realm, password, method, uri, &c.nonce, qop);
        let mut v = String::from("Digest ");
        let _ = write!(
            v,
            "username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\", response=\"{}\"",
            esc(username),
            esc(&c.realm),
            esc(&c.nonce),
            esc(uri),
            response
        );
        v.push_str(match c.algorithm {
            Algorithm::Md5 => ", algorithm=MD5",
            Algorithm::Sha256 => ", algorithm=SHA-256",
        });
        if let Some(o) = &c.opaque {
            let _ = write!(v, ", opaque=\"{}\"", esc(o));
        }
        if c.qop_auth {
            let _ = write!(v, ", qop=auth, nc={nc}, cnonce=\"{}\"", esc(cnonce));
        }
        v
    }
}

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2617_md5_vector() {
        // RFC 2617 §3.5 example (HTTP, but the arithmetic is the same).
        let r = digest_response(
            Algorithm::Md5,
            "Mufasa",
            "testrealm@host.com",
            "Circle Of Life",
            "GET",
            "/dir/index.html",
            "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            Some(("00000001", "0a4f113b")),
        );
        assert_eq!(r, "6629fae49393a05397450978507c4ef1");
    }

    #[test]
    fn rfc7616_sha256_vector() {
        // RFC 7616 §3.9.1 example.
        let r = digest_response(
            Algorithm::Sha256,
            "Mufasa",
            "http-auth@example.org",
            "Circle of Life",
            "GET",
            "/dir/index.html",
            "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
            Some(("00000001", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ")),
        );
        assert_eq!(r, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
    }

    #[test]
    fn parses_challenge_with_commas_in_quotes() {
        let c = Challenge::parse(
            r#"Digest realm="a, b", nonce="n1", opaque="o", algorithm=SHA-256, qop="auth,auth-int", stale=TRUE"#,
            false,
        )
        .unwrap();
        assert_eq!(c.realm, "a, b");
        assert_eq!(c.algorithm, Algorithm::Sha256);
        assert!(c.qop_auth && c.stale);
        assert_eq!(Challenge::parse("Basic realm=x", false), Err(ChallengeError::NotDigest));
        assert_eq!(
            Challenge::parse("Digest realm=x", false),
            Err(ChallengeError::MissingNonce)
        );
        assert_eq!(
            Challenge::parse(r#"Digest nonce="n", qop="auth-int""#, false),
            Err(ChallengeError::UnsupportedQop)
        );
        assert_eq!(
            Challenge::parse(r#"Digest nonce="n", algorithm=SHA-512-256"#, false),
            Err(ChallengeError::UnsupportedAlgorithm)
        );
    }

    #[test]
    fn nonce_count_advances_per_request() {
        let ch = Challenge::parse(r#"Digest realm="r", nonce="n", qop="auth""#, false).unwrap();
        let mut cached = CachedChallenge::new(ch);
        let a = cached.authorize("u", "p", "REGISTER", "sip:r", "c");
        let b = cached.authorize("u", "p", "REGISTER", "sip:r", "c");
        assert!(a.contains("nc=00000001") && b.contains("nc=00000002"));
        assert!(!a.contains("\"p\""), "the password itself is never sent");
    }
}
