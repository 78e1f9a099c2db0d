//! The SIP account an SDK client registers, and the WebSocket URL 3.0.10 derives from it.

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    /// Digest username and the user part of our address of record.
    pub auth_user: String,
    /// AOR domain and registrar (`sip:<sip_domain>`).
    pub sip_domain: String,
    /// Read only to compute digest responses; overwritten with zeros when the account is
    /// dropped (the client freed or re-initialised), so it does not linger in wasm memory.
    pub password: String,
    /// Display name for From, when the app gave one.
    pub display_name: Option<String>,
    /// `ws://` or `wss://` URL of the SIP WebSocket server.
    pub ws_url: String,
}

// Hand-written so the password can never reach a log through `{:?}`.
impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("auth_user", &self.auth_user)
            .field("sip_domain", &self.sip_domain)
            .field("password", &"<redacted>")
            .field("display_name", &self.display_name)
            .field("ws_url", &self.ws_url)
            .finish()
    }
}

impl Drop for Account {
    fn drop(&mut self) {
        wipe(&mut self.password);
    }
}

/// Overwrites the string's bytes with zeros in place. Volatile writes, because plain stores
/// into memory that is freed right after are dead stores the optimiser may remove; the fence
/// keeps them before the deallocation. What the `zeroize` crate does on wasm32, in a few lines
/// and ~1 B of brotli instead of 270 (docs/decisions/0003).
#[allow(unsafe_code)]
pub(crate) fn wipe(s: &mut String) {
    // SAFETY: only bytes within the string's length are written, and zeros are valid UTF-8.
    for b in unsafe { s.as_mut_vec() }.iter_mut() {
        // SAFETY: `b` is a valid, aligned, exclusive reference.
        unsafe { std::ptr::write_volatile(b, 0) };
    }
    std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
}

impl Account {
    /// `wss` → the `WSS` Via transport token (RFC 7118 §5.1).
    pub fn via_transport(&self) -> &'static str {
        if self.ws_url.starts_with("wss:") {
            "WSS"
        } else {
            "WS"
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlError(pub String);

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The URL exactly as exotelsdk.js 3.0.10 builds it: `<security>://<host>:<port>/<endpoint>`,
/// with host and port from `domain`; no port means 8089 on an https page and 8088 otherwise;
/// `security` and `endpoint` both default to `wss`.
pub fn websocket_url(
    domain: &str,
    security: Option<&str>,
    endpoint: Option<&str>,
    page_is_https: bool,
) -> Result<String, UrlError> {
    let domain = domain.trim();
    let scheme = security
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("wss")
        .to_ascii_lowercase();
    if scheme != "ws" && scheme != "wss" {
        return Err(UrlError(format!(
            "security must be \"ws\" or \"wss\", not \"{scheme}\""
        )));
    }
    let (host, port) =
        crate::message::split_host_port(domain).map_err(|e| UrlError(format!("domain \"{domain}\": {}", e.0)))?;
    if host.is_empty() || host.as_bytes().contains(&b'/') {
        return Err(UrlError(format!("domain \"{domain}\" is not host[:port]")));
    }
    let port = port.unwrap_or(if page_is_https { 8089 } else { 8088 });
    let endpoint = endpoint.map(str::trim).filter(|s| !s.is_empty()).unwrap_or("wss");
    let endpoint = endpoint.trim_start_matches('/');
    Ok(format!("{scheme}://{host}:{port}/{endpoint}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_like_3_0_10() {
        assert_eq!(
            websocket_url("voip.qaexotel.com:443", Some("wss"), None, true).unwrap(),
            "wss://voip.qaexotel.com:443/wss"
        );
        assert_eq!(
            websocket_url("127.0.0.1:5066", Some("ws"), Some("ws"), false).unwrap(),
            "ws://127.0.0.1:5066/ws"
        );
        assert_eq!(websocket_url("h", None, None, true).unwrap(), "wss://h:8089/wss");
        assert_eq!(websocket_url("h", Some(""), None, false).unwrap(), "wss://h:8088/wss");
        assert!(websocket_url("h:99999", None, None, false).is_err());
        assert!(websocket_url("h", Some("udp"), None, false).is_err());
        assert!(websocket_url("", None, None, false).is_err());
    }

    #[test]
    fn wipe_zeroes_every_byte_in_place() {
        let mut s = String::from("Sup3r-Secret!");
        let (ptr, len) = (s.as_ptr(), s.len());
        wipe(&mut s);
        assert_eq!((s.as_ptr(), s.len()), (ptr, len), "in place, length kept");
        assert!(s.bytes().all(|b| b == 0), "{s:?}");
    }

    #[test]
    fn debug_hides_password() {
        let a = Account {
            auth_user: "1001".into(),
            sip_domain: "d".into(),
            password: "hunter2".into(),
            display_name: None,
            ws_url: "ws://d:1/ws".into(),
        };
        assert!(!format!("{a:?}").contains("hunter2"));
    }
}
