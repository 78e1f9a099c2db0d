//! The driver in real browsers (`wasm-pack test --headless --chrome --firefox`), against real
//! WebSockets: an unreachable port and the test Kamailio that `make test-wasm` starts and
//! names through SIP_TEST_WS_PORT at compile time.
#![cfg(target_arch = "wasm32")]

use exotel_voice::Client;
use gloo_timers::future::TimeoutFuture;
use js_sys::{Object, Reflect};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

type Log = Rc<RefCell<Vec<JsValue>>>;

fn account(port: &str, user: &str, pass: &str) -> JsValue {
    let o = Object::new();
    for (k, v) in [
        ("authUser", user),
        ("sipdomain", "127.0.0.1"),
        ("secret", pass),
        ("domain", &format!("127.0.0.1:{port}")),
        ("security", "ws"),
        ("endpoint", "ws"),
    ] {
        Reflect::set(&o, &k.into(), &v.into()).unwrap();
    }
    o.into()
}

fn recorder(then: impl Fn(&JsValue) + 'static) -> (js_sys::Function, Log) {
    let log: Log = Rc::default();
    let l = log.clone();
    let f = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
        l.borrow_mut().push(e.clone());
        then(&e);
    });
    (f.into_js_value().unchecked_into(), log)
}

fn field(e: &JsValue, k: &str) -> String {
    Reflect::get(e, &k.into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// "type:state" of every non-log event so far.
fn states(log: &Log) -> Vec<String> {
    log.borrow()
        .iter()
        .filter(|e| field(e, "type") != "log")
        .map(|e| format!("{}:{}", field(e, "type"), field(e, "state")))
        .collect()
}

async fn wait_for(log: &Log, want: &str, timeout_ms: u32) {
    let mut waited = 0;
    while !states(log).iter().any(|s| s == want) {
        assert!(
            waited < timeout_ms,
            "no {want} within {timeout_ms} ms; saw {:?}",
            states(log)
        );
        TimeoutFuture::new(20).await;
        waited += 20;
    }
}

#[wasm_bindgen_test]
fn bad_account_is_refused_with_the_field_named_and_no_secret() {
    let (cb, _) = recorder(|_| {});
    let missing = account("5066", "", "hunter2-secret");
    let err = Client::new(missing, cb.clone())
        .err()
        .expect("empty authUser must be refused");
    let msg = format!("{:?}", JsValue::from(err));
    assert!(msg.contains("authUser"), "{msg}");
    assert!(!msg.contains("hunter2-secret"));

    let bad_port = account("99999", "1001", "hunter2-secret");
    let msg = format!(
        "{:?}",
        JsValue::from(Client::new(bad_port, cb.clone()).err().expect("bad port"))
    );
    assert!(msg.contains("domain") && !msg.contains("hunter2-secret"), "{msg}");
    assert!(Client::new(JsValue::from_str("nope"), cb.clone()).is_err());
    // A display name that would add a header line is refused with the reason, before any socket.
    let injected = account("5060", "1001", "hunter2-secret");
    Reflect::set(&injected, &"displayName".into(), &"Agent\r\nX-Evil: 1".into()).unwrap();
    let msg = format!(
        "{:?}",
        JsValue::from(Client::new(injected, cb).err().expect("CR/LF in displayName"))
    );
    assert!(msg.contains("displayName") && !msg.contains("hunter2-secret"), "{msg}");
}

#[wasm_bindgen_test]
async fn unreachable_server_is_a_transient_transport_failure() {
    let (cb, log) = recorder(|_| {});
    // Port 9 (discard) on loopback: nothing listens, the browser refuses at once.
    let client = Client::new(account("9", "1001", "pw"), cb).unwrap();
    client.register();
    wait_for(&log, "registration:failed", 5_000).await;
    let failed = log
        .borrow()
        .iter()
        .find(|e| field(e, "state") == "failed")
        .cloned()
        .unwrap();
    assert_eq!(field(&failed, "reason"), "transport_failed");
    assert_eq!(Reflect::get(&failed, &"transient".into()).unwrap(), JsValue::TRUE);
    assert_eq!(client.registration_state(), "failed");
    // Transient: the core reconnects on its own jittered backoff (0-0.5 s for the first retry),
    // so the link may already be connecting again.
    let link = client.link_state();
    assert!(link == "disconnected" || link == "connecting", "{link}");
    client.dispose();
}

#[wasm_bindgen_test]
async fn app_code_may_call_the_client_from_inside_an_event() {
    let slot: Rc<RefCell<Option<Rc<Client>>>> = Rc::default();
    let s = slot.clone();
    let (cb, log) = recorder(move |e| {
        if field(e, "type") == "link" && field(e, "state") == "connecting" {
            // Phase two runs with the core released: this must work, not throw or be dropped.
            if let Some(c) = s.borrow().as_ref() {
                c.unregister();
            }
        }
    });
    let client = Rc::new(Client::new(account("9", "1001", "pw"), cb).unwrap());
    *slot.borrow_mut() = Some(client.clone());
    client.register();
    wait_for(&log, "registration:unregistered", 2_000).await;
    assert_eq!(client.link_state(), "disconnected");
    TimeoutFuture::new(300).await;
    assert!(
        !states(&log).contains(&"registration:failed".to_string()),
        "the closed socket was detached: {:?}",
        states(&log)
    );
    *slot.borrow_mut() = None;
}

#[wasm_bindgen_test]
async fn registers_and_unregisters_against_kamailio() {
    let Some(port) = option_env!("SIP_TEST_WS_PORT") else {
        panic!("build with SIP_TEST_WS_PORT set to a running test Kamailio (make test-wasm does)");
    };
    let (cb, log) = recorder(|_| {});
    let client = Client::new(account(port, "1003", "pass1003"), cb).unwrap();
    client.register();
    wait_for(&log, "registration:registered", 5_000).await;
    assert_eq!(client.registration_state(), "registered");
    assert_eq!(client.link_state(), "connected");
    let registered = log
        .borrow()
        .iter()
        .find(|e| field(e, "state") == "registered")
        .cloned()
        .unwrap();
    assert_eq!(
        Reflect::get(&registered, &"expires".into()).unwrap().as_f64(),
        Some(300.0)
    );
    // Nothing the core logged carries the password or a digest response.
    for e in log.borrow().iter().filter(|e| field(e, "type") == "log") {
        let m = field(e, "message");
        assert!(
            !m.contains("pass1003") && !m.contains("response="),
            "secret in log: {m}"
        );
    }

    client.unregister();
    wait_for(&log, "registration:unregistered", 5_000).await;
    wait_for(&log, "link:disconnected", 1_000).await;
    let s = states(&log);
    assert_eq!(s.iter().filter(|x| *x == "registration:registered").count(), 1, "{s:?}");
    assert_eq!(
        s.iter().filter(|x| *x == "registration:sent_request").count(),
        2,
        "{s:?}"
    );
}

/// The browser build uses sha2's compact SHA-256 and talc as allocator (docs/decisions/0002):
/// the RFC vectors must hold in wasm, not only in the native `cargo test`.
#[wasm_bindgen_test]
fn digest_vectors_hold_in_the_wasm_build() {
    use sip_core::auth::{digest_response, Algorithm};
    // RFC 7616 §3.9.1 (SHA-256) and RFC 2617 §3.5 (MD5).
    let sha = digest_response(
        Algorithm::Sha256,
        "Mufasa",
        "http-auth@example.org",
        "Circle of Life",
        "GET",
        "/dir/index.html",
        "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
        Some(("00000001", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ")),
    );
    assert_eq!(sha, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
    let md5 = digest_response(
        Algorithm::Md5,
        "Mufasa",
        "testrealm@host.com",
        "Circle Of Life",
        "GET",
        "/dir/index.html",
        "dcd98b7102dd2f0e8b11d0f600bfb0c093",
        Some(("00000001", "0a4f113b")),
    );
    assert_eq!(md5, "6629fae49393a05397450978507c4ef1");
    // A user name longer than many 64-byte blocks (expected value from Python's hashlib).
    let long = digest_response(
        Algorithm::Sha256,
        &"x".repeat(1000),
        "r",
        "p",
        "REGISTER",
        "sip:r",
        "n",
        None,
    );
    assert_eq!(long, "97f7342e118540459406a034447d455344513d32d8e64cfcc252e3a576d73965");
}

#[wasm_bindgen_test]
async fn device_and_media_calls_without_a_call_fail_cleanly_or_wait_for_the_next_call() {
    let (on_event, _log) = recorder(|_| {});
    let client = Client::new(account("9", "1001", "pass1001"), on_event).unwrap();
    // No call: both device choices are stored for the next call (false = not switched now).
    let input = wasm_bindgen_futures::JsFuture::from(client.set_input_device("some-device".into()))
        .await
        .unwrap();
    assert_eq!(input.as_bool(), Some(false));
    match client.set_output_device("") {
        // Browsers with setSinkId: an empty join, resolved; without: a clear error at once.
        Ok(p) => assert!(wasm_bindgen_futures::JsFuture::from(p).await.is_ok()),
        Err(e) => {
            let msg = JsValue::from(e).as_string().unwrap_or_default();
            assert!(msg.is_empty() || msg.contains("setSinkId"), "{msg}");
        }
    }
    // Per-call operations on a call that does not exist are errors, never panics.
    assert!(client.call_stats(7).is_err());
    assert!(client.restart_ice(7).is_err());
    assert!(client.set_muted(7, true).is_err());
    client.check_link(true); // link down, nothing registered: nothing to do
    client.dispose();
}

/// The first REGISTER the client logged as sent (the core traces every frame as `send:`).
fn sent_register(log: &Log) -> String {
    log.borrow()
        .iter()
        .map(|e| field(e, "message"))
        .find(|m| m.starts_with("send:\nREGISTER "))
        .expect("a REGISTER was sent")
}

/// The host of the Via and of the Contact URI of `msg`, in that order.
fn via_and_contact_hosts(msg: &str) -> (String, String) {
    let header = |name: &str| {
        msg.lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in {msg}"))
            .to_string()
    };
    let via = header("Via: ");
    let via_host = via
        .split(' ')
        .nth(1)
        .and_then(|h| h.split(';').next())
        .unwrap_or_default();
    let contact = header("Contact: ");
    let contact_host = contact
        .split('@')
        .nth(1)
        .and_then(|h| h.split([';', '>']).next())
        .unwrap_or_default();
    (via_host.to_string(), contact_host.to_string())
}

/// Registers `user` with `contactHost` (absent when `None`), returns the hosts it sent.
async fn registered_hosts(port: &str, user: &str, pass: &str, contact_host: Option<&str>) -> (String, String) {
    let account = account(port, user, pass);
    if let Some(h) = contact_host {
        Reflect::set(&account, &"contactHost".into(), &h.into()).unwrap();
    }
    let (cb, log) = recorder(|_| {});
    let client = Client::new(account, cb).unwrap();
    client.register();
    wait_for(&log, "registration:registered", 5_000).await;
    client.unregister();
    wait_for(&log, "registration:unregistered", 5_000).await;
    via_and_contact_hosts(&sent_register(&log))
}

#[wasm_bindgen_test]
async fn contact_and_via_hosts_are_3_0_10_s_test_net_address_unless_contact_host_invalid() {
    let Some(port) = option_env!("SIP_TEST_WS_PORT") else {
        panic!("build with SIP_TEST_WS_PORT set to a running test Kamailio (make test-wasm does)");
    };
    let (via, contact) = registered_hosts(port, "1003", "pass1003", None).await;
    assert!(via.starts_with("192.0.2."), "default Via host: {via}");
    assert_eq!(contact, via, "Contact and Via share the host");
    let (via, contact) = registered_hosts(port, "1003", "pass1003", Some("testnet")).await;
    assert!(
        via.starts_with("192.0.2.") && contact == via,
        "testnet: {via} {contact}"
    );
    let (via, contact) = registered_hosts(port, "1003", "pass1003", Some("invalid")).await;
    assert!(via.ends_with(".invalid"), "RFC 7118 Via host: {via}");
    assert_eq!(contact, via, "Contact and Via share the host");
}

#[wasm_bindgen_test]
fn new_options_are_parsed() {
    use exotel_voice::config::{contact_host_from_js, media_settings_from_js};
    use sip_core::ContactHost;
    let with = |k: &str, v: JsValue| {
        let a = account("5066", "1001", "pw");
        Reflect::set(&a, &k.into(), &v).unwrap();
        a
    };
    let plain = account("5066", "1001", "pw");
    assert_eq!(contact_host_from_js(&plain), None, "absent: the core's default");
    let testnet = with("contactHost", "testnet".into());
    assert_eq!(contact_host_from_js(&testnet), Some(ContactHost::TestNet));
    let invalid = with("contactHost", "invalid".into());
    assert_eq!(contact_host_from_js(&invalid), Some(ContactHost::Invalid));
    // The shim refuses other values; here they keep the default, as contactTransport's do.
    assert_eq!(contact_host_from_js(&with("contactHost", "192.0.2.1".into())), None);

    // Noise suppression: off unless asked (3.0.10's default).
    assert!(!media_settings_from_js(&plain).noise_suppression.get());
    let on = with("noiseSuppression", JsValue::TRUE);
    assert!(media_settings_from_js(&on).noise_suppression.get());
}
