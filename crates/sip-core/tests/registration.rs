//! Registration scenarios against a scripted registrar, under virtual time.

mod support;

use sip_core::message::HeaderAccess;
use sip_core::registration::TIMER_F_MS;
use sip_core::{LinkState, RegistrationEvent as R, RegistrationFailure as F, RegistrationState};
use support::*;

/// Registers through one 401 and returns the harness in Registered with `granted` seconds.
fn registered(granted: u32) -> Harness {
    let mut h = Harness::new();
    h.register();
    h.open();
    h.challenge("n1", false);
    h.reply_ok(granted);
    assert_eq!(h.ua.registration_state(), &RegistrationState::Registered);
    h.take_events();
    h
}

#[test]
fn register_401_then_200_reports_each_change_once() {
    let mut h = Harness::new();
    h.register();
    assert_eq!(h.seen.connects, 1, "register opens the WebSocket");
    assert!(h.seen.requests.is_empty(), "nothing is sent before the socket opens");
    h.open();

    let first = h.last().clone();
    assert_eq!(first.uri, "sip:example.test");
    assert_eq!(expires_of(&first), 300);
    assert!(first.headers.get("Authorization").is_none());
    assert!(first.headers.get("Via").unwrap().starts_with("SIP/2.0/WSS "));
    let via = first.headers.get("Via").unwrap();
    assert!(
        via.starts_with("SIP/2.0/WSS 192.0.2.") && via.contains(";branch=z9hG4bK"),
        "{via}"
    );
    assert_eq!(
        first.headers.get("From").unwrap().split(";tag=").next(),
        Some("\"Agent One\" <sip:1001@example.test>")
    );
    let contact = first.contacts().pop().unwrap();
    assert!(contact.params.get("+sip.instance").unwrap().starts_with("<urn:uuid:"));

    h.challenge("n1", false);
    let second = h.last().clone();
    assert_eq!(second.cseq().unwrap().seq, first.cseq().unwrap().seq + 1);
    assert_eq!(second.call_id(), first.call_id());
    assert_ne!(
        second.top_via().unwrap().branch(),
        first.top_via().unwrap().branch(),
        "a retry is a new transaction"
    );
    assert_eq!(verify_authorization(&second, "n1"), 1);

    h.reply_ok(300);
    assert_eq!(reg_events(&mut h), [R::SentRequest, R::Registered { expires: 300 }]);
    assert_eq!(h.ua.link_state(), LinkState::Connected);
}

/// The instant (ms after `from`) of the next REGISTER, advancing the clock to it.
fn next_register_after(h: &mut Harness, from: u64) -> u64 {
    let sent = h.seen.requests.len();
    while h.seen.requests.len() == sent {
        let due = h.ua.poll_timeout().expect("a refresh must be armed");
        h.advance_to(due);
    }
    h.now - from
}

#[test]
fn refresh_follows_the_granted_expiry_not_the_requested_one() {
    let mut h = registered(120);
    let start = h.now;
    // 80 % of 120 s is 96 s, but a refresh must leave a minute (half the grant here) for a
    // throttled background tab: 60 s, up to 5 % earlier at random.
    let at = next_register_after(&mut h, start);
    assert!((57_000..=60_000).contains(&at), "refresh at {at} ms");
    let refresh = h.last().clone();
    assert_eq!(expires_of(&refresh), 300, "we still ask for 300");
    assert_eq!(
        verify_authorization(&refresh, "n1"),
        2,
        "cached credentials, next nonce count"
    );
    h.reply_ok(120);
    assert!(
        reg_events(&mut h).is_empty(),
        "a successful refresh is not a state change"
    );
    // And the next one again about 60 s later, not 240 s.
    let start = h.now;
    let at = next_register_after(&mut h, start);
    assert!((57_000..=60_000).contains(&at), "refresh at {at} ms");

    // A long grant: at 80 %, spread over the last 5 % of that.
    let mut h = registered(3600);
    let start = h.now;
    let at = next_register_after(&mut h, start);
    assert!((2_736_000..=2_880_000).contains(&at), "refresh at {at} ms");
    // Weeks granted: refreshed daily, never a deadline beyond a 32-bit timer.
    let mut h = registered(4_000_000);
    let start = h.now;
    let at = next_register_after(&mut h, start);
    assert!(at <= 86_400_000 * 8 / 10, "refresh at {at} ms");
}

#[test]
fn stale_nonce_on_refresh_is_answered_once_without_an_event() {
    let mut h = registered(300);
    h.advance(210_000);
    h.challenge("n2", true);
    assert_eq!(verify_authorization(h.last(), "n2"), 1, "a new nonce counts from 1");
    h.reply_ok(300);
    assert!(reg_events(&mut h).is_empty());
    assert_eq!(h.ua.registration_state(), &RegistrationState::Registered);
}

#[test]
fn wrong_password_fails_after_one_retry_and_never_loops() {
    let mut h = Harness::new();
    h.register();
    h.open();
    h.challenge("n1", false);
    h.challenge("n2", false); // not stale: our credentials are wrong
    let sent = h.seen.requests.len();
    assert_eq!(sent, 2);
    assert_eq!(
        reg_events(&mut h),
        [R::SentRequest, R::Failed(F::AuthenticationFailed { status: 401 })]
    );
    assert_eq!(h.seen.closes, 1, "nothing needs the socket after a permanent failure");

    // Nothing retries by itself...
    h.advance(600_000);
    assert_eq!(h.seen.requests.len(), sent);
    // ...and an app that calls DoRegister on every failure is paced by the backoff.
    h.register();
    h.open();
    h.challenge("n3", false);
    h.challenge("n4", false);
    let before = h.seen.requests.len();
    h.register();
    assert_eq!(h.seen.requests.len(), before, "the next attempt waits out the backoff");
    assert!(h.seen.logs.iter().any(|l| l.contains("next attempt in")));
    h.advance(2_000);
    h.open();
    assert_eq!(h.seen.requests.len(), before + 1);
}

#[test]
fn endless_stale_challenges_are_bounded() {
    let mut h = Harness::new();
    h.register();
    h.open();
    h.challenge("a", false);
    h.challenge("b", true);
    h.challenge("c", true);
    h.challenge("d", true);
    assert!(matches!(
        h.ua.registration_state(),
        RegistrationState::Failed(F::AuthenticationFailed { .. })
    ));
    assert_eq!(h.seen.requests.len(), 4);
}

#[test]
fn forbidden_is_a_typed_rejection() {
    let mut h = Harness::new();
    h.register();
    h.open();
    h.challenge("n1", false);
    h.reply(403, &[]);
    let events = reg_events(&mut h);
    assert_eq!(
        events.last(),
        Some(&R::Failed(F::Rejected {
            status: 403,
            reason: "Whatever".into()
        }))
    );
}

#[test]
fn interval_too_brief_retries_with_min_expires() {
    let mut h = Harness::new();
    h.register();
    h.open();
    h.reply(423, &[("Min-Expires", "600")]);
    assert_eq!(expires_of(h.last()), 600);
    h.reply_ok(600);
    assert_eq!(reg_events(&mut h), [R::SentRequest, R::Registered { expires: 600 }]);

    // A registrar that keeps answering 423 gets one retry, then a typed failure.
    let mut h = Harness::new();
    h.register();
    h.open();
    h.reply(423, &[("Min-Expires", "600")]);
    h.reply(423, &[("Min-Expires", "900")]);
    assert_eq!(
        reg_events(&mut h).last(),
        Some(&R::Failed(F::IntervalTooBrief { min_expires: Some(900) }))
    );
}

#[test]
fn timer_f_fails_the_attempt_then_backs_off_and_retries() {
    let mut h = Harness::new();
    h.register();
    h.open();
    h.advance(TIMER_F_MS - 1);
    assert_eq!(reg_events(&mut h), [R::SentRequest]);
    h.advance(1);
    assert_eq!(reg_events(&mut h), [R::Failed(F::Timeout)]);
    let sent = h.seen.requests.len();
    h.advance(1_000);
    assert_eq!(
        h.seen.requests.len(),
        sent + 1,
        "transient failures retry by themselves within the backoff"
    );
    h.reply_ok(300);
    assert_eq!(reg_events(&mut h), [R::SentRequest, R::Registered { expires: 300 }]);
}

#[test]
fn unregister_removes_the_binding_and_waits_for_the_200_before_closing() {
    let mut h = registered(300);
    h.unregister();
    let unreg = h.last().clone();
    assert_eq!(expires_of(&unreg), 0);
    assert!(unreg.headers.get("Contact").unwrap().ends_with(";expires=0"));
    assert_eq!(
        verify_authorization(&unreg, "n1"),
        2,
        "never reuse a nonce count (Kamailio rejects it)"
    );
    assert_eq!(h.seen.closes, 0, "the socket stays open until the 200 arrives");
    h.reply(200, &[]);
    assert_eq!(reg_events(&mut h), [R::SentRequest, R::Unregistered]);
    assert_eq!(h.seen.closes, 1);
    assert_eq!(h.ua.link_state(), LinkState::Disconnected);
    h.advance(3_600_000);
    assert_eq!(h.seen.requests.len(), 3, "no refresh after unregistering");
}

#[test]
fn unregister_while_registering_is_not_dropped() {
    let mut h = Harness::new();
    h.register();
    h.open();
    h.unregister();
    h.challenge("n1", false);
    h.reply_ok(300);
    assert_eq!(expires_of(h.last()), 0, "the un-REGISTER follows the REGISTER's 200");
    h.reply(200, &[]);
    let events = reg_events(&mut h);
    assert_eq!(events.last(), Some(&R::Unregistered));
}

#[test]
fn one_register_in_flight() {
    let mut h = Harness::new();
    h.register();
    h.register();
    assert_eq!(h.seen.connects, 1);
    h.open();
    h.register();
    assert_eq!(h.seen.requests.len(), 1);
    assert_eq!(reg_events(&mut h), [R::SentRequest]);
}

#[test]
fn lost_socket_reports_then_reconnects_and_reregisters() {
    let mut h = registered(300);
    h.close();
    assert_eq!(reg_events(&mut h), [R::Failed(F::TransportLost)]);
    assert_eq!(h.seen.connects, 1);
    h.advance(1_000);
    assert_eq!(h.seen.connects, 2, "reconnects within the first backoff step");
    h.open();
    assert_eq!(verify_authorization(h.last(), "n1"), 2, "cached credentials carry over");
    h.reply_ok(300);
    assert_eq!(reg_events(&mut h), [R::SentRequest, R::Registered { expires: 300 }]);
}

#[test]
fn socket_that_never_opens_times_out() {
    let mut h = Harness::new();
    h.register();
    h.advance(10_000);
    assert_eq!(h.seen.closes, 1);
    assert_eq!(reg_events(&mut h), [R::Failed(F::TransportFailed)]);
}

#[test]
fn options_is_answered_with_what_we_support_and_methods_are_checked() {
    let mut h = registered(300);
    let request = |method: &str, to_tag: &str| {
        format!("{method} sip:x@h.invalid SIP/2.0\r\nVia: SIP/2.0/WS k;branch=z9hG4bK{method}\r\nFrom: <sip:k@h>;tag=1\r\nTo: <sip:x@h>{to_tag}\r\nCall-ID: o1\r\nCSeq: 1 {method}\r\n\r\n")
    };
    let mut answer = |text: String| {
        h.ua.handle_text(h.now, &text);
        h.seen.responses.clear();
        h.drain();
        h.seen.responses.pop().expect("no response")
    };
    let ok = answer(request("OPTIONS", ""));
    assert_eq!(ok.status, 200);
    assert!(ok.to_addr().unwrap().tag().is_some());
    // RFC 3261 §11.2: Allow, Accept and Supported say what we can do.
    assert_eq!(ok.headers.get("Allow"), Some(sip_core::ua::ALLOW));
    assert_eq!(ok.headers.get("Accept"), Some("application/sdp"));
    assert_eq!(ok.headers.get("Supported"), Some("outbound"));
    // §11.2: an in-dialog OPTIONS gets what an INVITE would: no such dialog.
    assert_eq!(answer(request("OPTIONS", ";tag=dead")).status, 481);
    // §21.5.2: an unknown method is 501; a known one we do not take is 405 with Allow.
    assert_eq!(answer(request("FOO", "")).status, 501);
    let refused = answer(request("MESSAGE", ""));
    assert_eq!(refused.status, 405);
    assert!(refused.headers.get("Allow").is_some());
    assert_eq!(answer(request("SUBSCRIBE", ";tag=x")).status, 405);
    // §8.2.2.3: an extension we lack is 420 with Unsupported listing it.
    let ext = request("OPTIONS", "").replace("CSeq: 1 OPTIONS", "CSeq: 1 OPTIONS\r\nRequire: foo, timer");
    let bad_ext = answer(ext);
    assert_eq!((bad_ext.status, bad_ext.headers.get("Unsupported")), (420, Some("foo")));
    // §8.2.2.1: a Request-URI scheme we cannot handle is 416.
    let scheme = request("OPTIONS", "").replace("OPTIONS sip:x@h.invalid", "OPTIONS tel:+1234");
    assert_eq!(answer(scheme).status, 416);
    assert!(reg_events(&mut h).is_empty(), "none of this touches the registration");
}

#[test]
fn contact_transport_follows_the_websocket_scheme_and_can_be_set_to_ws() {
    // The harness account is wss://: Contact says transport=wss, as exotelsdk.js has since 3.0.6.
    let mut h = Harness::new();
    h.register();
    h.open();
    let contact = h.last().headers.get("Contact").unwrap().to_string();
    assert!(
        contact.contains("@192.0.2.") && contact.contains(";transport=wss>"),
        "{contact}"
    );

    let mut h = Harness::new();
    h.ua.set_contact_transport("ws");
    h.ua.set_contact_transport("udp"); // not a WebSocket transport: ignored
    h.register();
    h.open();
    let contact = h.last().headers.get("Contact").unwrap().to_string();
    assert!(contact.contains(";transport=ws>"), "{contact}");

    let mut ws = account();
    ws.ws_url = "ws://127.0.0.1:5066/ws".into();
    let mut ua = sip_core::UserAgent::new(ws, 1);
    ua.register(0);
    ua.handle_transport_open(1);
    let sent: Vec<String> = std::iter::from_fn(|| ua.poll_output())
        .filter_map(|o| match o {
            sip_core::Output::Send(t) => Some(t),
            _ => None,
        })
        .collect();
    assert!(sent.iter().any(|t| t.contains(";transport=ws>")), "{sent:?}");
}

#[test]
fn contact_and_via_host_are_3_0_10s_test_net_address_or_rfc_7118_invalid() {
    // 3.0.10 (SIP.js hackIpInContact) wrote a random 192.0.2.N into Contact and Via.
    let mut h = Harness::new();
    h.register();
    h.open();
    let req = h.last().clone();
    let host = req.contacts()[0].uri.host.clone();
    let n: u8 = host.strip_prefix("192.0.2.").unwrap().parse().unwrap();
    assert!((1..=254).contains(&n), "{host}");
    assert!(req.headers.get("Via").unwrap().contains(&format!(" {host};")));
    assert_eq!(req.headers.get("Supported"), Some("outbound, path, gruu"), "as 3.0.10");

    let mut h = Harness::new();
    h.ua.set_contact_host(sip_core::ContactHost::Invalid);
    h.register();
    h.open();
    let req = h.last().clone();
    let host = req.contacts()[0].uri.host.clone();
    assert!(host.ends_with(".invalid"), "{host}");
    assert!(req.headers.get("Via").unwrap().contains(&format!(" {host};")));
    h.ua.set_contact_host(sip_core::ContactHost::TestNet);
    h.ua.set_contact_host(sip_core::ContactHost::TestNet);
    h.reply(200, &[("Expires", "300")]);
    h.ua.unregister(h.now);
    h.drain();
    assert!(
        h.last().contacts()[0].uri.host.starts_with("192.0.2."),
        "switching back works"
    );
}

#[test]
fn a_registrar_that_rewrote_our_contact_host_still_registers_us() {
    // The review's P1-2: matched on user and host, so a rewritten host left us unregistered.
    let mut h = Harness::new();
    h.register();
    h.open();
    let ours = h.last().contacts()[0].clone();
    let user = ours.uri.user.clone().unwrap();
    let rewritten = format!("<sip:{user}@203.0.113.5:40000;transport=ws>;expires=120");
    h.reply(200, &[("Contact", &rewritten)]);
    assert_eq!(reg_events(&mut h), [R::SentRequest, R::Registered { expires: 120 }]);
    h.advance(60_000);
    assert_eq!(
        h.seen.requests.len(),
        2,
        "refreshed on what was granted to us, not the 300 s asked"
    );
}

#[test]
fn a_200_listing_only_other_bindings_never_leaves_us_idle() {
    let mut h = Harness::new();
    h.register();
    h.open();
    h.reply(200, &[("Contact", "<sip:someone-else@198.51.100.1>;expires=3600")]);
    assert_eq!(reg_events(&mut h), [R::SentRequest, R::Registered { expires: 300 }]);
    assert!(h.seen.logs.iter().any(|l| l.contains("not ours")), "said so in the log");
    h.advance(210_000);
    assert_eq!(h.seen.requests.len(), 2, "the asked expiry is refreshed as usual");
}

#[test]
fn retry_after_on_a_503_is_honoured() {
    let mut h = Harness::new();
    h.register();
    h.open();
    h.reply(503, &[("Retry-After", "120 (maintenance)")]);
    assert!(matches!(
        reg_events(&mut h).as_slice(),
        [R::SentRequest, R::Failed(F::Rejected { status: 503, .. })]
    ));
    let sent = h.seen.requests.len();
    h.advance(119_999);
    assert_eq!(h.seen.requests.len(), sent, "not before the server said");
    h.advance(501);
    assert_eq!(
        h.seen.requests.len(),
        sent + 1,
        "then within a jitter of the first backoff step, so agents told the same do not return together"
    );
    // Without Retry-After, our own backoff (0.5-1 s for a first failure).
    let mut h = Harness::new();
    h.register();
    h.open();
    h.reply(503, &[]);
    let sent = h.seen.requests.len();
    h.advance(1_000);
    assert_eq!(h.seen.requests.len(), sent + 1);
}
