//! Nothing the app or the network hands the user agent can add a header line (issue 10):
//! an injection corpus through every app-provided field, the printer's own guard, values
//! that print and parse back unchanged, and the limits on what comes in.

mod support;

use proptest::prelude::*;
use sip_core::message::{parse, quote, Address, Message, Method, Request};
use sip_core::{limits, wire, CallError, Output, UserAgent};
use support::calls::*;
use support::*;

const CORPUS: &[&str] = &[
    "\r",
    "\n",
    "\r\n",
    "\0",
    "\"",
    ">",
    "<",
    ";",
    "\t",
    " ",
    "\r\nRoute: <sip:attacker.example;lr>",
    "\nX-Exotel-Injected: 1",
    " SIP/2.0\r\nP-Asserted-Identity: <sip:+18005550000@example.test>\r\nX:",
    ">;tag=forged",
    "?Route=%3Csip:evil%3E",
    "\u{2028}",
];

/// Header names of a message, sorted (the set of lines a request is made of).
fn names(r: &Request) -> Vec<String> {
    let mut n: Vec<String> = r.headers.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
    n.sort();
    n
}

fn invite_for(target: &str) -> Result<Request, CallError> {
    let mut h = registered_harness();
    h.ua.make_call(h.now, target)?;
    h.drain();
    h.ua.media_mic_ready(h.now, 1);
    h.ua.media_local_sdp(h.now, 1, OFFER);
    h.drain();
    Ok(last_invite(&h))
}

#[test]
fn no_target_can_add_a_header_line_or_move_the_call() {
    let baseline = names(&invite_for("1002").unwrap());
    let templates = [
        "sip:1002{}@example.test",
        "sip:1002@example.test{}",
        "sip:1002@example.test;user=phone{}",
        "{}1002",
        "1002{}",
        "sip:{}@example.test",
    ];
    let mut refused = 0;
    for payload in CORPUS {
        for t in templates {
            let target = t.replace("{}", payload);
            match invite_for(&target) {
                Err(CallError::InvalidTarget(why)) => {
                    assert!(!why.is_empty());
                    refused += 1;
                }
                Err(e) => panic!("{target:?}: {e:?}"),
                Ok(invite) => {
                    assert_eq!(names(&invite), baseline, "{target:?} changed the header lines");
                    let printed = invite.to_string();
                    assert!(
                        !printed.contains("attacker") && !printed.contains("Injected"),
                        "{printed}"
                    );
                    assert!(
                        invite.uri.ends_with("@example.test") || invite.uri.contains("@example.test;"),
                        "{target:?} → {}",
                        invite.uri
                    );
                }
            }
        }
    }
    assert!(refused > 60, "nearly every payload is refused outright ({refused})");
}

#[test]
fn a_refused_target_sends_nothing() {
    let mut h = registered_harness();
    let sent = h.seen.requests.len();
    let err = h.ua.make_call(h.now, "sip:1002@example.test\r\nRoute: <sip:evil>");
    assert!(matches!(err, Err(CallError::InvalidTarget(_))));
    h.drain();
    assert_eq!(h.seen.requests.len(), sent);
    assert!(h.seen.media.is_empty(), "no microphone opened for it");
    assert_eq!(h.ua.current_call(), None);
}

#[test]
fn account_values_are_checked_and_the_printer_guards_anyway() {
    for payload in CORPUS {
        let mut a = account();
        a.display_name = Some(format!("Agent{payload}"));
        let checked = wire::check_account(&a);
        if payload.chars().any(char::is_control) {
            assert!(checked.is_err(), "{payload:?}");
        }
        // Even an unchecked account cannot add a line: the REGISTER keeps its header set.
        let mut ua = UserAgent::new(a, 7);
        ua.register(0);
        ua.handle_transport_open(0);
        let register = std::iter::from_fn(|| ua.poll_output())
            .find_map(|o| match o {
                Output::Send(t) => Some(t),
                _ => None,
            })
            .expect("REGISTER");
        let Ok(Message::Request(r)) = parse(register.as_bytes()) else {
            panic!("unparsable REGISTER for {payload:?}:\n{register}")
        };
        let mut plain = account();
        plain.display_name = Some("Agent".into());
        let mut ua = UserAgent::new(plain, 7);
        ua.register(0);
        ua.handle_transport_open(0);
        let baseline = std::iter::from_fn(|| ua.poll_output())
            .find_map(|o| match o {
                Output::Send(t) => parse(t.as_bytes()).ok(),
                _ => None,
            })
            .expect("REGISTER");
        let Message::Request(baseline) = baseline else { panic!() };
        assert_eq!(names(&r), names(&baseline), "{payload:?}");
    }
    let mut a = account();
    a.sip_domain = "example.test\r\nX: 1".into();
    assert!(wire::check_account(&a).is_err());
    a = account();
    a.password = "pass\r\nword".into();
    assert!(wire::check_account(&a).is_err());
}

#[test]
fn dtmf_takes_only_digits() {
    let mut far = Far::new("dt1");
    let mut h = connected(&mut far);
    for bad in ['\r', '\n', '\0', 'x', ' '] {
        assert!(h.ua.send_info_dtmf(h.now, 1, bad).is_err(), "{bad:?}");
    }
    h.drain();
    assert!(h.seen.requests.iter().all(|r| r.method != Method::Info));
}

#[test]
fn network_values_echoed_back_cannot_carry_a_line_break() {
    // A bare CR inside a header value (review finding 14) is refused, not echoed.
    let mut h = registered_harness();
    let sneaky = "OPTIONS sip:1001@x SIP/2.0\r\nVia: SIP/2.0/WS h;branch=z9hG4bKq\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:1001@x>\r\nCall-ID: c\rX-Two: 2\r\nCSeq: 1 OPTIONS\r\n\r\n";
    feed(&mut h, sneaky);
    let resp = last_response(&h).clone();
    assert_eq!(resp.status, 400);
    assert!(resp.headers.get("X-Two").is_none());
    assert!(resp.to_string().lines().all(|l| !l.contains("X-Two")), "{resp}");
}

proptest! {
    /// Any display name the checks accept prints as a quoted string that reads back the same.
    #[test]
    fn accepted_display_names_round_trip(name in "[^\\p{Cc}]{0,40}") {
        prop_assume!(wire::check_display_name(&name).is_ok());
        let printed = format!("{} <sip:1001@example.test>", quote(&name));
        let back = Address::parse(&printed).unwrap();
        prop_assert_eq!(back.display_name.unwrap_or_default(), name);
    }

    /// Any target the checks accept is the INVITE's Request-URI, exactly.
    #[test]
    fn accepted_targets_are_the_request_uri(
        user in "[a-zA-Z0-9+._~*'()!&=$,;?/-]{1,20}",
        host in "[a-z0-9-]{1,10}(\\.[a-z0-9-]{1,10}){0,2}",
        param in proptest::option::of("[a-z]{1,5}=[a-z0-9]{1,5}"),
    ) {
        let target = match &param {
            Some(p) => format!("sip:{user}@{host};{p}"),
            None => format!("sip:{user}@{host}"),
        };
        if let Ok(invite) = invite_for(&target) {
            let printed = invite.to_string();
            let Ok(Message::Request(again)) = parse(printed.as_bytes()) else { panic!("{printed}") };
            prop_assert_eq!(&again.uri, &invite.uri);
            prop_assert_eq!(again.uri, sip_core::message::Uri::parse(&target).unwrap().to_string());
        }
    }
}

// ---- Limits ----------------------------------------------------------------------------------

#[test]
fn an_oversized_request_gets_513_and_the_next_call_still_rings() {
    let mut h = registered_harness();
    let far = Far::new("big1");
    let padding = format!("X-Pad: {}\r\n", "a".repeat(7000)).repeat(10);
    let big = far.invite_with(&padding, Some(OFFER));
    assert!(big.len() > limits::MAX_MESSAGE_BYTES);
    feed(&mut h, &big);
    assert_eq!(last_response(&h).status, 513, "RFC 3261 §21.5.14");
    assert_eq!(h.ua.current_call(), None);
    assert!(h.seen.logs.iter().any(|l| l.contains("message limit")));
    // The driver passes only the start of a huge frame; the answer is the same.
    let mut h2 = registered_harness();
    h2.ua
        .handle_oversized_text(h2.now, &big[..limits::OVERSIZED_PREFIX_BYTES], 64 << 20);
    h2.drain();
    assert_eq!(last_response(&h2).status, 513);
    let next = Far::new("big2");
    feed(&mut h, &next.invite());
    assert_eq!(h.ua.current_call(), Some((1, true)), "still answers calls");
}

#[test]
fn long_lines_are_refused_and_traces_are_elided_in_logs() {
    let mut h = registered_harness();
    let far = Far::new("line1");
    let long_line = format!("X-Long: {}\r\n", "b".repeat(limits::MAX_LINE_BYTES + 1));
    feed(&mut h, &far.invite_with(&long_line, Some(OFFER)));
    assert_eq!(last_response(&h).status, 400);
    // A big but legal message: its trace in the log is cut at 4 KiB with a marker.
    let far = Far::new("line2");
    let padding = format!("X-Pad: {}\r\n", "c".repeat(4000)).repeat(10);
    feed(&mut h, &far.invite_with(&padding, Some(OFFER)));
    let recv = h.seen.logs.iter().rfind(|l| l.starts_with("recv:")).unwrap();
    assert!(recv.len() < limits::MAX_TRACE_BYTES + 100, "{} bytes", recv.len());
    assert!(recv.contains("more bytes not shown"));
}

#[test]
fn keep_alive_intervals_are_clamped() {
    let mut h = registered_harness();
    h.ua.set_keepalive_interval(h.now, 1); // 1 ms: ~900 pings/s before the clamp
    let pings = h.seen.pings;
    h.advance(60_000);
    let sent = h.seen.pings - pings;
    assert!(
        (1..=15).contains(&sent),
        "{sent} pings in a minute: no more often than every 4-5 s"
    );
    let mut h = registered_harness();
    h.reply(200, &[("Flow-Timer", "1")]);
    h.ua.set_keepalive_interval(h.now, u64::MAX);
    let pings = h.seen.pings;
    h.advance(7_200_000);
    assert!(h.seen.pings - pings >= 2, "at least hourly");
}

#[test]
fn a_2xx_with_cseq_0_on_a_confirmed_call_is_ignored() {
    // Review finding 7: `CSeq: 0 INVITE` underflowed in the ACK's CSeq.
    let mut far = Far::new("cs0");
    let mut h = connected(&mut far);
    let sent = h.seen.requests.len();
    let stray = format!(
        "SIP/2.0 200 OK\r\nVia: SIP/2.0/WSS h;branch=z9hG4bKnone\r\nFrom: <sip:1001@example.test>;tag={}\r\nTo: <sip:+9198765@example.test>;tag=far1\r\nCall-ID: cs0\r\nCSeq: 0 INVITE\r\n\r\n",
        far.to_tag.clone().unwrap()
    );
    feed(&mut h, &stray);
    assert_eq!(h.seen.requests.len(), sent, "nothing to ACK: we sent no INVITE 0");
    assert_eq!(h.ua.current_call(), Some((1, false)));
}
