//! What the driver reads from the browser environment: the clock, entropy, the page scheme.
//! Read through the global object so the SDK also works in workers, where there is no `window`.

use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};

fn global_field(name: &str) -> Option<JsValue> {
    Reflect::get(&js_sys::global(), &JsValue::from_str(name))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

/// Monotonic milliseconds (`performance.now()`), or `Date.now()` where there is no Performance.
pub struct Clock(Option<web_sys::Performance>);

impl Clock {
    pub fn new() -> Self {
        Clock(global_field("performance").and_then(|p| p.dyn_into().ok()))
    }

    pub fn now_ms(&self) -> u64 {
        let t = match &self.0 {
            Some(p) => p.now(),
            None => js_sys::Date::now(),
        };
        t.max(0.0) as u64
    }
}

/// 32 bytes from `crypto.getRandomValues`: the key of the core's identifier generator.
/// Without Web Crypto (no browser ships without it; some test runtimes do) the clock and
/// `Math.random` fill in, which is no better than the old 64-bit seed.
pub fn random_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    let crypto: Option<web_sys::Crypto> = global_field("crypto").and_then(|c| c.dyn_into().ok());
    if crypto.is_some_and(|c| c.get_random_values_with_u8_array(&mut key).is_ok()) {
        return key;
    }
    let now = js_sys::Date::now() as u64;
    for (i, chunk) in key.chunks_exact_mut(8).enumerate() {
        let mix = (js_sys::Math::random() * u64::MAX as f64) as u64 ^ now.rotate_left(i as u32 * 16);
        chunk.copy_from_slice(&mix.to_le_bytes());
    }
    key
}

/// Whether the page was served over https (3.0.10 picks the default WebSocket port from it).
pub fn page_is_https() -> bool {
    global_field("location")
        .and_then(|l| Reflect::get(&l, &JsValue::from_str("protocol")).ok())
        .and_then(|p| p.as_string())
        .is_some_and(|p| p == "https:")
}
