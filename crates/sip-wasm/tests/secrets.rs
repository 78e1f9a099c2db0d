//! The SIP password in wasm memory (issue 10, item 5): one copy while the client lives, none
//! once it is freed. The memory is searched from JS (a copy into wasm memory would hold the
//! password itself), and the password is built in JS so that no Rust literal or string holds it.
#![cfg(target_arch = "wasm32")]

use exotel_voice::Client;
use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The JS string `shifted` names with every character one code point lower: the password is
/// written shifted so that no Rust literal in the data section holds its bytes.
fn js_string(shifted: &str) -> JsValue {
    let units: Vec<u16> = shifted.encode_utf16().map(|u| u - 1).collect();
    js_sys::JsString::from_char_code(&units).into()
}

/// How many times the UTF-8 bytes of `needle` occur in this module's linear memory.
fn occurrences(needle: &JsValue) -> u32 {
    let count = Function::new_with_args(
        "mem, needle",
        "const hay = new Uint8Array(mem.buffer); const n = new TextEncoder().encode(needle);
         let c = 0;
         outer: for (let i = hay.indexOf(n[0]); i !== -1; i = hay.indexOf(n[0], i + 1)) {
           for (let j = 1; j < n.length; j++) if (hay[i + j] !== n[j]) continue outer;
           c++;
         }
         return c;",
    );
    count
        .call2(&JsValue::NULL, &wasm_bindgen::memory(), needle)
        .unwrap()
        .as_f64()
        .unwrap() as u32
}

fn account(port: &str, user: &str, secret: &JsValue) -> JsValue {
    let o = Object::new();
    for (k, v) in [
        ("authUser", user),
        ("sipdomain", "127.0.0.1"),
        ("domain", &format!("127.0.0.1:{port}")),
        ("security", "ws"),
        ("endpoint", "ws"),
    ] {
        Reflect::set(&o, &k.into(), &v.into()).unwrap();
    }
    Reflect::set(&o, &"secret".into(), secret).unwrap();
    o.into()
}

fn ignore_events() -> Function {
    Closure::<dyn FnMut(JsValue)>::new(|_| {})
        .into_js_value()
        .unchecked_into()
}

#[wasm_bindgen_test]
fn the_password_is_zeroed_when_the_client_is_freed() {
    let secret = js_string("[r8.xjqf.nf.:yL"); // Zq7-wipe-me-9xK
    assert_eq!(occurrences(&secret), 0, "not in memory before the client exists");
    let client = Client::new(account("9", "1001", &secret), ignore_events()).unwrap();
    assert_eq!(
        occurrences(&secret),
        1,
        "the core keeps one copy while the client lives"
    );
    drop(client); // what the shim's free() does
    assert_eq!(occurrences(&secret), 0, "zeroed when the client is freed");
}
