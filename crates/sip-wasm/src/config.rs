//! The account object the JS shim hands over, validated into a `sip_core::Account`.
//! Errors name the field and never echo the secret.

use crate::media::{default_ice_servers, MediaSettings};
use js_sys::Reflect;
use sip_core::{websocket_url, Account, ContactHost};
use wasm_bindgen::JsValue;

pub fn field(obj: &JsValue, name: &str) -> Option<String> {
    Reflect::get(obj, &JsValue::from_str(name))
        .ok()
        .and_then(|v| v.as_string())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn required(obj: &JsValue, name: &str) -> Result<String, String> {
    field(obj, name).ok_or_else(|| format!("sipAccountInfo.{name} is missing or empty"))
}

/// Reads `{authUser, sipdomain, secret, domain, security?, endpoint?, displayName?}`.
pub fn account_from_js(obj: &JsValue, page_is_https: bool) -> Result<Account, String> {
    if !obj.is_object() {
        return Err("sipAccountInfo must be an object".into());
    }
    let auth_user = required(obj, "authUser")?;
    let sip_domain = required(obj, "sipdomain")?;
    // The secret is kept exactly as given: spaces can be part of a password.
    let password = Reflect::get(obj, &JsValue::from_str("secret"))
        .ok()
        .and_then(|v| v.as_string())
        .filter(|s| !s.is_empty())
        .ok_or("sipAccountInfo.secret is missing or empty")?;
    let domain = required(obj, "domain")?;
    let ws_url = websocket_url(
        &domain,
        field(obj, "security").as_deref(),
        field(obj, "endpoint").as_deref(),
        page_is_https,
    )
    .map_err(|e| format!("sipAccountInfo: {e}"))?;
    if auth_user
        .bytes()
        .any(|b| b.is_ascii_whitespace() || b"@:;<>\"".contains(&b))
    {
        return Err("sipAccountInfo.authUser must be a plain SIP user name".into());
    }
    if sip_domain
        .bytes()
        .any(|b| b.is_ascii_whitespace() || b"@;<>\"/".contains(&b))
    {
        return Err("sipAccountInfo.sipdomain must be a host name".into());
    }
    let account = Account {
        auth_user,
        sip_domain,
        password,
        display_name: field(obj, "displayName"),
        ws_url,
    };
    // What is printed on the wire is checked here, once, with the reason (RFC 3261 §25.1).
    sip_core::wire::check_account(&account).map_err(|e| format!("sipAccountInfo: {e}"))?;
    Ok(account)
}

/// Media options: `iceServers` (ours; an RTCIceServer array, default 3.0.10's Google STUN)
/// and `noiseSuppression` (set by the shim's setNoiseSuppression; default off, as 3.0.10).
pub fn media_settings_from_js(obj: &JsValue) -> MediaSettings {
    let ice = Reflect::get(obj, &JsValue::from_str("iceServers")).unwrap_or(JsValue::UNDEFINED);
    let ice_servers = if js_sys::Array::is_array(&ice) {
        ice
    } else {
        default_ice_servers()
    };
    let ns = Reflect::get(obj, &JsValue::from_str("noiseSuppression"))
        .ok()
        .and_then(|v| v.as_bool());
    MediaSettings {
        ice_servers,
        noise_suppression: std::cell::Cell::new(ns.unwrap_or(false)),
        call_volume: std::cell::Cell::new(1.0),
        preferred_codec: std::cell::RefCell::new(None),
        input_device: std::cell::RefCell::new(None),
        output_device: std::cell::RefCell::new(None),
    }
}

/// `reconnectTimeout` (ours): seconds a call may stay without a signalling or media path
/// before it ends; absent or not a finite number ≥ 0 keeps the core's default (30 s).
pub fn reconnect_limit_ms_from_js(obj: &JsValue) -> Option<u64> {
    let v = Reflect::get(obj, &JsValue::from_str("reconnectTimeout"))
        .ok()?
        .as_f64()?;
    (v.is_finite() && v >= 0.0).then_some((v * 1000.0) as u64)
}

/// `outbound` (ours): RFC 5626 outbound (`reg-id`, `ob`); off unless `true`.
pub fn outbound_from_js(obj: &JsValue) -> bool {
    Reflect::get(obj, &JsValue::from_str("outbound"))
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

/// `keepAliveInterval` (ours): the upper bound of the keep-alive ping interval in seconds, 0
/// for none; absent or not a finite number ≥ 0 keeps the core's default (30 s).
pub fn keepalive_ms_from_js(obj: &JsValue) -> Option<u64> {
    let v = Reflect::get(obj, &JsValue::from_str("keepAliveInterval"))
        .ok()?
        .as_f64()?;
    (v.is_finite() && v >= 0.0).then_some((v * 1000.0) as u64)
}

/// `contactHost` (ours, checked by the shim): the host of our Contact and Via, `"testnet"` (a
/// random 192.0.2.N, what 3.0.10 sends; the core's default) or `"invalid"` (RFC 7118
/// `.invalid`). Anything else keeps the default, as `contactTransport` does.
pub fn contact_host_from_js(obj: &JsValue) -> Option<ContactHost> {
    match field(obj, "contactHost").as_deref() {
        Some("testnet") => Some(ContactHost::TestNet),
        Some("invalid") => Some(ContactHost::Invalid),
        _ => None,
    }
}
