//! RFC 5626 §4.4.1 keep-alive on the registered flow, under virtual time: pings, pongs, a dead
//! flow noticed within the pong timeout, servers that never answer, Flow-Timer, and the
//! driver's "check the link now" input (network back online, page visible again).

mod support;

use sip_core::keepalive::PONG_TIMEOUT_MS;
use sip_core::{RegistrationEvent as R, RegistrationFailure as F, RegistrationState};
use support::{reg_events, Harness};

fn registered_with(extra: &[(&str, &str)]) -> Harness {
    let mut h = Harness::new();
    h.register();
    h.open();
    h.challenge("n1", false);
    let ours = h.our_contact();
    let contact = format!("{ours};expires=300");
    let mut headers = vec![("Contact", contact.as_str())];
    headers.extend_from_slice(extra);
    h.reply(200, &headers);
    assert_eq!(h.ua.registration_state(), &RegistrationState::Registered);
    h.take_events();
    h
}

/// Advances, one due timeout at a time, until the next ping goes out; returns its instant.
fn next_ping(h: &mut Harness) -> u64 {
    let pings = h.seen.pings;
    for _ in 0..1000 {
        let due = h.ua.poll_timeout().expect("a timer is armed while registered");
        h.advance_to(due);
        if h.seen.pings > pings {
            return due;
        }
    }
    panic!("no ping after 1000 timeouts");
}

fn pong(h: &mut Harness) {
    h.ua.handle_text(h.now, "\r\n");
    h.drain();
}

#[test]
fn a_registered_flow_is_pinged_every_24_to_30_s() {
    let mut h = registered_with(&[]);
    let start = h.now;
    let first = next_ping(&mut h);
    assert!(
        (start + 24_000..=start + 30_000).contains(&first),
        "first ping at {first}"
    );
    pong(&mut h);
    let second = next_ping(&mut h);
    assert!(
        (first + 24_000..=first + 30_000).contains(&second),
        "second ping at {second}"
    );
    assert_eq!(h.seen.closes, 0);
}

#[test]
fn a_missing_pong_after_the_server_answered_one_reconnects_and_reregisters() {
    let mut h = registered_with(&[]);
    next_ping(&mut h);
    pong(&mut h); // the server answers pings: from now on silence means a dead flow
    let ping = next_ping(&mut h);
    h.advance_to(ping + PONG_TIMEOUT_MS - 1_000);
    assert_eq!(h.seen.closes, 0, "still waiting for the pong");
    h.advance_to(ping + PONG_TIMEOUT_MS);
    assert_eq!(h.seen.closes, 1, "the dead flow is closed at the pong timeout");
    assert_eq!(reg_events(&mut h), [R::Failed(F::TransportLost)]);
    assert!(h
        .seen
        .logs
        .iter()
        .any(|l| l.contains("no answer to the ping within 10 s")));
    let connects = h.seen.connects;
    h.advance(1_000);
    assert_eq!(
        h.seen.connects,
        connects + 1,
        "reconnects within the first backoff step"
    );
    h.open();
    h.reply_ok(300);
    assert_eq!(reg_events(&mut h), [R::SentRequest, R::Registered { expires: 300 }]);
}

#[test]
fn a_server_that_never_answers_pings_is_not_disconnected() {
    let mut h = registered_with(&[]);
    for _ in 0..5 {
        next_ping(&mut h);
    }
    assert_eq!(h.seen.closes, 0);
    let silent = h
        .seen
        .logs
        .iter()
        .filter(|l| l.contains("does not answer pings"))
        .count();
    assert_eq!(silent, 1, "said once");
    assert_eq!(h.ua.registration_state(), &RegistrationState::Registered);
}

#[test]
fn any_inbound_message_also_proves_the_flow_alive() {
    let mut h = registered_with(&[]);
    next_ping(&mut h);
    pong(&mut h);
    next_ping(&mut h);
    // An OPTIONS from the server instead of the pong.
    let opts = "OPTIONS sip:x@h.invalid SIP/2.0\r\nVia: SIP/2.0/WS k;branch=z9hG4bKo\r\nFrom: <sip:k@h>;tag=1\r\nTo: <sip:x@h>\r\nCall-ID: o1\r\nCSeq: 1 OPTIONS\r\n\r\n";
    h.ua.handle_text(h.now, opts);
    h.drain();
    h.advance(PONG_TIMEOUT_MS + 1_000);
    assert_eq!(h.seen.closes, 0);
}

#[test]
fn the_servers_ping_is_answered_with_one_crlf() {
    let mut h = registered_with(&[]);
    h.ua.handle_text(h.now, "\r\n\r\n");
    h.drain();
    assert_eq!(h.seen.pongs, 1);
}

#[test]
fn flow_timer_bounds_the_interval() {
    let mut h = registered_with(&[("Flow-Timer", "10")]);
    let start = h.now;
    let first = next_ping(&mut h);
    assert!(
        (start + 8_000..=start + 10_000).contains(&first),
        "first ping at {first}"
    );
}

#[test]
fn keep_alive_can_be_turned_off() {
    let mut h = registered_with(&[]);
    h.ua.set_keepalive_interval(h.now, 0);
    h.advance(120_000);
    assert_eq!(h.seen.pings, 0);
}

#[test]
fn check_link_pings_an_open_flow_at_once_when_the_server_answers_pings() {
    let mut h = registered_with(&[]);
    next_ping(&mut h);
    pong(&mut h);
    let (pings, requests) = (h.seen.pings, h.seen.requests.len());
    h.ua.check_link(h.now);
    h.drain();
    assert_eq!(h.seen.pings, pings + 1);
    h.ua.check_link(h.now);
    h.drain();
    assert_eq!(h.seen.pings, pings + 1, "one ping awaiting its pong at a time");
    assert_eq!(h.seen.requests.len(), requests, "a ping, not a REGISTER");
}

#[test]
fn check_link_sends_one_register_when_the_server_never_answered_a_ping() {
    let mut h = registered_with(&[]);
    let (pings, requests) = (h.seen.pings, h.seen.requests.len());
    h.ua.check_link(h.now);
    h.ua.check_link(h.now);
    h.drain();
    assert_eq!(h.seen.requests.len(), requests + 1, "one check at a time");
    assert_eq!(h.last().method.as_str(), "REGISTER");
    assert_eq!(h.seen.pings, pings);
}

#[test]
fn check_link_skips_the_backoff_of_a_lost_flow() {
    let mut h = registered_with(&[]);
    // Fail a few times so the backoff is long.
    for _ in 0..4 {
        h.close();
        let connects = h.seen.connects;
        while h.seen.connects == connects {
            h.advance(1_000);
        }
        h.ua.handle_transport_closed(h.now);
        h.drain();
    }
    let connects = h.seen.connects;
    h.advance(500);
    assert_eq!(h.seen.connects, connects, "waiting out the backoff");
    h.ua.check_link(h.now);
    h.drain();
    assert_eq!(h.seen.connects, connects + 1, "the network is back: reconnect now");
    h.open();
    assert_eq!(h.last().method.as_str(), "REGISTER");
}
