//! Digest credentials for the requests of one call (RFC 3261 §22.3): one per realm, so a
//! proxy's 407 and the far end's 401 can both be answered, each on its own header.

use crate::auth::{CachedChallenge, Challenge};
use crate::message::{Headers, Response};
use crate::ua::Ctx;

/// Stale-nonce retries allowed for one request, so a broken server cannot loop us.
const MAX_ATTEMPTS: u8 = 3;

#[derive(Debug, Default, Clone)]
pub(crate) struct Credentials {
    realms: Vec<CachedChallenge>,
}

impl Credentials {
    /// Takes the challenges of a 401 or 407 to a request already challenged `attempts` times.
    /// True when the request should be sent again with credentials: the first challenge, a
    /// realm we had no credentials for, or a stale nonce (RFC 2617 §3.2.1). Anything else
    /// means our credentials are wrong.
    pub fn on_challenge(&mut self, resp: &Response, attempts: u8) -> bool {
        let proxy = resp.status == 407;
        let header = if proxy {
            "Proxy-Authenticate"
        } else {
            "WWW-Authenticate"
        };
        let mut retry = false;
        // Several challenges may be offered (per proxy, or SHA-256 beside MD5): take, per realm,
        // the first we can answer.
        for c in resp
            .headers
            .get_all(header)
            .filter_map(|v| Challenge::parse(v, proxy).ok())
        {
            let known = self
                .realms
                .iter_mut()
                .find(|k| k.challenge.realm == c.realm && k.challenge.proxy == proxy);
            match known {
                None => {
                    self.realms.push(CachedChallenge::new(c));
                    retry = true;
                }
                Some(k) if k.challenge.nonce != c.nonce => {
                    retry |= attempts == 0 || (c.stale && attempts < MAX_ATTEMPTS);
                    *k = CachedChallenge::new(c);
                }
                Some(_) => retry |= attempts == 0,
            }
        }
        retry && attempts < MAX_ATTEMPTS
    }

    /// Adds an Authorization or Proxy-Authorization header per realm to a request.
    pub fn authorize(&mut self, ctx: &mut Ctx, method: &str, uri: &str, headers: &mut Headers) {
        for cred in &mut self.realms {
            let cnonce = ctx.rng.token(16);
            let value = cred.authorize(&ctx.account.auth_user, &ctx.account.password, method, uri, &cnonce);
            headers.push(cred.challenge.header_name(), value);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.realms.is_empty()
    }
}
