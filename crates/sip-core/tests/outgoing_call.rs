//! Outgoing-call scenarios (makeCall, ours): the UA calls through a record-routing proxy.

mod support;

use sip_core::message::{HeaderAccess, Method, Request};
use sip_core::{CallError, CallEvent, EndReason, MediaCommand};
use support::calls::{call_events, dialing, last_invite, our_hold_reinvite, respond, ANSWER, OFFER};
use support::*;

#[test]
fn invite_ring_early_media_answer_ack() {
    let mut h = dialing();
    let inv = last_invite(&h);
    assert_eq!(inv.uri, "sip:1002@example.test");
    assert_eq!(inv.body, OFFER);
    assert_eq!(inv.headers.get("To"), Some("<sip:1002@example.test>"));
    assert!(inv.headers.get("Contact").unwrap().contains("@192.0.2."));
    let events = call_events(&mut h);
    assert!(matches!(&events[0], CallEvent::Dialing { call: 1, target, .. } if target == "sip:1002@example.test"));

    respond(&mut h, 100, "", &[]);
    respond(&mut h, 180, "", &[]);
    assert_eq!(call_events(&mut h), [CallEvent::Ringing { call: 1 }]);
    respond(&mut h, 183, ANSWER, &[]);
    assert_eq!(
        h.seen.media.last(),
        Some(&MediaCommand::ApplyAnswer {
            call: 1,
            sdp: ANSWER.into(),
            provisional: true
        })
    );
    assert_eq!(
        call_events(&mut h),
        [CallEvent::Ringing { call: 1 }, CallEvent::EarlyMedia { call: 1 }]
    );

    respond(&mut h, 200, ANSWER, &[]);
    let ack = h.last().clone();
    assert_eq!(ack.method, Method::Ack);
    assert_eq!(ack.uri, "sip:callee@10.0.0.9:5060", "ACK for a 2xx goes to the Contact");
    let routes: Vec<_> = ack.headers.get_all("Route").collect();
    assert_eq!(
        routes,
        ["<sip:127.0.0.1:5066;transport=ws;lr>", "<sip:10.0.0.2;lr>"],
        "Record-Route reversed"
    );
    assert_eq!(
        ack.cseq().unwrap().seq,
        inv.cseq().unwrap().seq,
        "ACK keeps the INVITE's CSeq number"
    );
    assert_ne!(
        ack.top_via().unwrap().branch(),
        inv.top_via().unwrap().branch(),
        "2xx ACK is a new transaction"
    );
    assert_eq!(call_events(&mut h), [CallEvent::Connected { call: 1 }]);
    let applies: Vec<bool> = h
        .seen
        .media
        .iter()
        .filter_map(|m| match m {
            MediaCommand::ApplyAnswer { provisional, .. } => Some(*provisional),
            _ => None,
        })
        .collect();
    assert_eq!(
        applies,
        [true, false],
        "the 183's SDP is a pranswer; the 2xx's, even when equal, makes it final (RFC 3960)"
    );

    // A retransmitted 200 (our ACK lost) is acknowledged again.
    let acks = h.seen.requests.iter().filter(|r| r.method == Method::Ack).count();
    respond(&mut h, 200, ANSWER, &[]);
    assert_eq!(
        h.seen.requests.iter().filter(|r| r.method == Method::Ack).count(),
        acks + 1
    );
}

#[test]
fn proxy_challenge_is_answered_once() {
    let mut h = dialing();
    let first = last_invite(&h);
    let ch = "Digest realm=\"example.test\", nonce=\"pn\", qop=\"auth\"";
    respond(&mut h, 407, "", &[("Proxy-Authenticate", ch)]);
    let ack = h
        .seen
        .requests
        .iter()
        .rev()
        .find(|r| r.method == Method::Ack)
        .unwrap()
        .clone();
    assert_eq!(
        ack.top_via().unwrap().branch(),
        first.top_via().unwrap().branch(),
        "non-2xx ACK: same branch"
    );
    let second = last_invite(&h);
    assert_eq!(second.cseq().unwrap().seq, first.cseq().unwrap().seq + 1);
    assert_eq!(second.call_id(), first.call_id());
    assert!(second
        .headers
        .get("Proxy-Authorization")
        .unwrap()
        .contains("uri=\"sip:1002@example.test\""));
    respond(
        &mut h,
        407,
        "",
        &[("Proxy-Authenticate", "Digest realm=\"example.test\", nonce=\"pn2\"")],
    );
    let ended = call_events(&mut h).pop().unwrap();
    assert!(matches!(
        ended,
        CallEvent::Ended {
            reason: EndReason::Rejected { status: 407, .. },
            ..
        }
    ));
}

#[test]
fn hangup_while_ringing_cancels() {
    let mut h = dialing();
    respond(&mut h, 180, "", &[]);
    h.take_events();
    h.ua.hangup(h.now, 1).unwrap();
    h.drain();
    let cancel = h.last().clone();
    let inv = last_invite(&h);
    assert_eq!(cancel.method, Method::Cancel);
    assert_eq!(cancel.top_via().unwrap().branch(), inv.top_via().unwrap().branch());
    assert_eq!(cancel.cseq().unwrap().seq, inv.cseq().unwrap().seq);
    respond(&mut h, 487, "", &[]);
    assert_eq!(h.last().method, Method::Ack);
    assert_eq!(
        call_events(&mut h),
        [CallEvent::Ended {
            call: 1,
            reason: EndReason::LocalCancel
        }]
    );
}

#[test]
fn hangup_before_any_provisional_waits_to_cancel() {
    let mut h = dialing();
    h.ua.hangup(h.now, 1).unwrap();
    h.drain();
    assert!(
        !h.seen.requests.iter().any(|r| r.method == Method::Cancel),
        "§9.1: no CANCEL before a 1xx"
    );
    respond(&mut h, 100, "", &[]);
    assert_eq!(h.last().method, Method::Cancel);
}

#[test]
fn answer_crossing_our_cancel_is_acked_and_hung_up() {
    let mut h = dialing();
    respond(&mut h, 180, "", &[]);
    h.ua.hangup(h.now, 1).unwrap();
    h.drain();
    h.take_events();
    respond(&mut h, 200, ANSWER, &[]);
    let tail: Vec<_> = h.seen.requests.iter().rev().take(2).map(|r| r.method.clone()).collect();
    assert_eq!(tail, [Method::Bye, Method::Ack]);
    assert_eq!(
        call_events(&mut h),
        [
            CallEvent::Connected { call: 1 },
            CallEvent::Ended {
                call: 1,
                reason: EndReason::LocalCancel
            }
        ]
    );
}

#[test]
fn busy_and_timeout_end_with_typed_reasons() {
    let mut h = dialing();
    respond(&mut h, 486, "", &[]);
    assert_eq!(h.last().method, Method::Ack);
    let ended = call_events(&mut h).pop().unwrap();
    assert_eq!(
        ended,
        CallEvent::Ended {
            call: 1,
            reason: EndReason::Rejected {
                status: 486,
                reason: "R".into()
            }
        }
    );

    let mut h = dialing();
    h.take_events();
    h.advance(32_000);
    assert_eq!(
        call_events(&mut h),
        [CallEvent::Ended {
            call: 1,
            reason: EndReason::Timeout
        }]
    );
}

#[test]
fn connected_call_ends_by_either_side() {
    let mut h = dialing();
    respond(&mut h, 200, ANSWER, &[]);
    h.take_events();
    h.ua.hangup(h.now, 1).unwrap();
    h.drain();
    let bye = h.last().clone();
    assert_eq!(
        (bye.method.clone(), bye.uri.as_str()),
        (Method::Bye, "sip:callee@10.0.0.9:5060")
    );
    assert!(bye.cseq().unwrap().seq > last_invite(&h).cseq().unwrap().seq);
    assert_eq!(
        call_events(&mut h),
        [CallEvent::Ended {
            call: 1,
            reason: EndReason::LocalHangup
        }]
    );

    let mut h = dialing();
    respond(&mut h, 200, ANSWER, &[]);
    h.take_events();
    let inv = last_invite(&h);
    let bye = format!(
        "BYE sip:me@x.invalid SIP/2.0\r\nVia: SIP/2.0/WS 127.0.0.1;branch=z9hG4bKbye\r\nFrom: <sip:1002@example.test>;tag=callee\r\n\
         To: {}\r\nCall-ID: {}\r\nCSeq: 1 BYE\r\n\r\n",
        inv.headers.get("From").unwrap(),
        inv.call_id().unwrap()
    );
    h.ua.handle_text(h.now, &bye);
    h.drain();
    assert_eq!(h.seen.responses.last().unwrap().status, 200);
    assert_eq!(
        call_events(&mut h),
        [CallEvent::Ended {
            call: 1,
            reason: EndReason::RemoteHangup { reason: None }
        }]
    );
}

#[test]
fn misuse_is_refused_at_once() {
    let mut h = dialing();
    assert_eq!(h.ua.make_call(h.now, "1003"), Err(CallError::Busy));
    assert!(h.ua.answer(h.now, 1).is_err(), "the far end answers an outgoing call");
    let mut fresh = Harness::new();
    assert!(matches!(
        fresh.ua.make_call(0, "12 34"),
        Err(CallError::InvalidTarget(_))
    ));
    assert!(matches!(
        fresh.ua.make_call(0, "sip:"),
        Err(CallError::InvalidTarget(_))
    ));
    assert!(fresh.ua.make_call(0, "sip:bob@example.org;transport=ws").is_ok());
    fresh.drain();
    assert_eq!(
        fresh.seen.connects, 1,
        "a call opens the socket even when not registered"
    );
}

#[test]
fn glare_on_our_own_call_waits_2_1_to_4_s() {
    let mut h = dialing();
    respond(&mut h, 200, ANSWER, &[]);
    h.take_events();
    let reinvite = our_hold_reinvite(&mut h, OFFER);
    assert_eq!(reinvite.method, Method::Invite);
    assert!(reinvite.cseq().unwrap().seq > last_invite_before(&h, &reinvite).cseq().unwrap().seq);
    support::calls::answer_request(&mut h, &reinvite, 491, "");
    let wait = h.ua.poll_timeout().unwrap() - h.now;
    assert!((2_100..=4_000).contains(&wait), "we own the Call-ID: {wait} ms");
}

/// The INVITE sent before `req` (the initial one, for CSeq comparison).
fn last_invite_before(h: &Harness, req: &Request) -> Request {
    let earlier = |r: &&Request| r.method == Method::Invite && r.cseq() != req.cseq();
    h.seen.requests.iter().rev().find(earlier).cloned().unwrap()
}
