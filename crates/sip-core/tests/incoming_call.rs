//! Incoming-call scenarios: a far end behind a record-routing proxy calls the registered UA.

mod support;

use sip_core::message::{HeaderAccess, Method};
use sip_core::{CallEvent, EndReason, MediaCommand, MediaFailure};
use support::calls::*;
use support::*;

#[test]
fn ring_answer_ack_connects() {
    let mut h = registered_harness();
    let mut far = Far::new("c1");
    feed(&mut h, &far.invite());
    assert_eq!(statuses(&h), [100, 180], "100 at once, then 180");
    let ringing = last_response(&h).clone();
    let tag = ringing.to_addr().unwrap().tag().unwrap().to_string();
    assert_eq!(
        ringing.headers.get("Record-Route"),
        Some("<sip:127.0.0.1:5066;transport=ws;lr>")
    );
    assert!(
        ringing.headers.get("Contact").unwrap().contains("@192.0.2."),
        "3.0.10's TEST-NET Contact host by default"
    );
    assert_eq!(
        h.seen.responses[0].to_addr().unwrap().tag(),
        None,
        "100 Trying carries no tag"
    );
    let events = call_events(&mut h);
    let CallEvent::Incoming(incoming) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(incoming.call_id, "c1");
    assert_eq!(incoming.from_display.as_deref(), Some("+91 98765"));
    assert_eq!(incoming.from_user.as_deref(), Some("+9198765"));
    assert!(incoming
        .headers
        .iter()
        .any(|(n, v)| n == "X-Exotel-Callsid" && v == "CS-42"));
    assert_eq!(events[1], CallEvent::Ringing { call: 1 });

    h.ua.answer(h.now, 1).unwrap();
    h.drain();
    assert_eq!(h.seen.media, [MediaCommand::AcquireMic { call: 1 }]);
    assert!(
        h.ua.answer(h.now, 1).is_err(),
        "a second Answer is misuse, not a second answer"
    );
    h.ua.media_mic_ready(h.now, 1);
    h.drain();
    assert_eq!(
        h.seen.media[1],
        MediaCommand::AcceptOffer {
            call: 1,
            sdp: OFFER.into()
        }
    );
    h.ua.media_local_sdp(h.now, 1, ANSWER);
    h.drain();
    let ok = last_response(&h).clone();
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body, ANSWER);
    assert_eq!(ok.headers.get("Content-Type"), Some("application/sdp"));
    assert_eq!(ok.to_addr().unwrap().tag(), Some(tag.as_str()), "same tag as the 180");
    assert_eq!(call_events(&mut h), [CallEvent::Accepted { call: 1 }]);

    far.to_tag = Some(tag);
    feed(&mut h, &far.in_dialog("ACK"));
    assert_eq!(call_events(&mut h), [CallEvent::Connected { call: 1 }]);
    let sent = h.seen.responses.len();
    h.advance(40_000);
    assert_eq!(h.seen.responses.len(), sent, "no 200 retransmission after the ACK");
}

#[test]
fn reject_while_ringing_sends_486() {
    let mut h = registered_harness();
    feed(&mut h, &Far::new("c2").invite());
    h.take_events();
    h.ua.hangup(h.now, 1).unwrap();
    h.drain();
    assert_eq!(last_response(&h).status, 486);
    assert_eq!(h.seen.media, [MediaCommand::Close { call: 1 }]);
    assert_eq!(
        call_events(&mut h),
        [CallEvent::Ended {
            call: 1,
            reason: EndReason::LocalReject
        }]
    );
    assert!(h.ua.hangup(h.now, 1).is_err(), "the call is gone");
}

#[test]
fn remote_bye_ends_the_call_with_its_reason() {
    let mut far = Far::new("c3");
    let mut h = answered(&mut far);
    feed(&mut h, &far.in_dialog("ACK"));
    h.take_events();
    feed(&mut h, &far.in_dialog("BYE"));
    let ok = last_response(&h);
    assert_eq!((ok.status, ok.cseq().unwrap().method), (200, "BYE"));
    assert_eq!(
        call_events(&mut h),
        [CallEvent::Ended {
            call: 1,
            reason: EndReason::RemoteHangup {
                reason: Some("Q.850;cause=16".into())
            }
        }]
    );
    assert!(h.seen.media.contains(&MediaCommand::Close { call: 1 }));
}

#[test]
fn local_hangup_sends_bye_through_the_route_set() {
    let mut far = Far::new("c4");
    let mut h = answered(&mut far);
    feed(&mut h, &far.in_dialog("ACK"));
    h.take_events();
    h.ua.hangup(h.now, 1).unwrap();
    h.drain();
    let bye = h.last().clone();
    assert_eq!(bye.method, Method::Bye);
    assert_eq!(bye.uri, "sip:far@10.0.0.5:5060", "to the remote target");
    assert_eq!(bye.headers.get("Route"), Some("<sip:127.0.0.1:5066;transport=ws;lr>"));
    assert_eq!(bye.to_addr().unwrap().tag(), Some("far1"));
    assert_eq!(bye.from_addr().unwrap().tag(), far.to_tag.as_deref());
    assert!(bye.headers.get("Reason").unwrap().starts_with("Q.850;cause=16"));
    assert_eq!(
        call_events(&mut h),
        [CallEvent::Ended {
            call: 1,
            reason: EndReason::LocalHangup
        }]
    );
}

#[test]
fn cancel_before_answer_gets_200_and_487() {
    let mut h = registered_harness();
    let far = Far::new("c5");
    feed(&mut h, &far.invite());
    h.ua.answer(h.now, 1).unwrap(); // the agent clicked, the microphone is still opening
    h.take_events();
    feed(&mut h, &far.cancel());
    let tail = last_responses(&h, 2);
    assert_eq!(tail, [(487, "INVITE".to_string()), (200, "CANCEL".to_string())]);
    let reason = Some("SIP;cause=487;text=\"caller gave up\"".to_string());
    assert_eq!(
        call_events(&mut h),
        [CallEvent::Ended {
            call: 1,
            reason: EndReason::Cancelled { reason }
        }]
    );
    // The microphone arriving late is dropped, not applied to a dead call.
    h.ua.media_mic_ready(h.now, 1);
    h.drain();
    assert!(!h
        .seen
        .media
        .iter()
        .any(|m| matches!(m, MediaCommand::AcceptOffer { .. })));
}

#[test]
fn cancel_crossing_our_200_leaves_the_call_up() {
    let mut far = Far::new("c6");
    let mut h = answered(&mut far);
    h.take_events();
    feed(&mut h, &far.cancel());
    assert_eq!(last_response(&h).status, 200);
    assert!(!statuses(&h).contains(&487));
    feed(&mut h, &far.in_dialog("ACK"));
    assert_eq!(call_events(&mut h), [CallEvent::Connected { call: 1 }]);
}

#[test]
fn lost_ack_retransmits_the_200_then_hangs_up() {
    let mut far = Far::new("c7");
    let mut h = answered(&mut far);
    h.take_events();
    let t0 = h.now;
    let count_200 = |h: &Harness| h.seen.responses.iter().filter(|r| r.status == 200).count();
    let mut sends = Vec::new();
    for _ in 0..40_000 / 250 {
        let before = count_200(&h);
        h.advance(250);
        if count_200(&h) > before {
            sends.push(h.now - t0);
        }
    }
    // T1 doubling up to T2: 0.5, 1.5, 3.5, 7.5, then every 4 s until 64*T1.
    assert_eq!(&sends[..6], [500, 1_500, 3_500, 7_500, 11_500, 15_500]);
    assert!(sends.iter().all(|t| *t < 32_000));
    assert!(
        h.seen.requests.iter().any(|r| r.method == Method::Bye),
        "BYE after 32 s without ACK"
    );
    assert_eq!(
        call_events(&mut h),
        [CallEvent::Ended {
            call: 1,
            reason: EndReason::NoAck
        }]
    );
}

#[test]
fn hangup_before_the_ack_waits_for_it() {
    let mut far = Far::new("c8");
    let mut h = answered(&mut far);
    h.take_events();
    h.ua.hangup(h.now, 1).unwrap();
    h.drain();
    assert!(
        !h.seen.requests.iter().any(|r| r.method == Method::Bye),
        "§15: no BYE before the ACK"
    );
    feed(&mut h, &far.in_dialog("ACK"));
    assert_eq!(h.last().method, Method::Bye);
    assert_eq!(
        call_events(&mut h),
        [
            CallEvent::Connected { call: 1 },
            CallEvent::Ended {
                call: 1,
                reason: EndReason::LocalHangup
            }
        ]
    );
}

#[test]
fn second_invite_during_a_call_is_busy() {
    let mut far = Far::new("c9");
    let mut h = answered(&mut far);
    feed(&mut h, &far.in_dialog("ACK"));
    h.take_events();
    feed(&mut h, &Far::new("other").invite());
    assert_eq!(last_response(&h).status, 486);
    assert_eq!(last_response(&h).call_id(), Some("other"));
    assert!(call_events(&mut h).is_empty(), "the current call is untouched");
}

#[test]
fn garbage_in_dialog_gets_the_right_errors() {
    let mut far = Far::new("c10");
    let mut h = answered(&mut far);
    feed(&mut h, &far.in_dialog("ACK"));
    let mut stranger = Far::new("nope");
    stranger.to_tag = Some("zzz".into());
    feed(&mut h, &stranger.in_dialog("BYE"));
    assert_eq!(last_response(&h).status, 481, "BYE for no dialog");
    feed(&mut h, &far.in_dialog("MESSAGE"));
    let refused = last_response(&h).clone();
    assert_eq!(refused.status, 405, "MESSAGE is known but not supported (§21.4.6)");
    assert!(refused.headers.get("Allow").unwrap().contains("UPDATE"));
    feed(&mut h, &far.in_dialog("FOO"));
    assert_eq!(last_response(&h).status, 501, "an unknown method (§21.5.2)");
    feed(&mut h, &far.in_dialog("INFO"));
    assert_eq!(
        last_response(&h).status,
        200,
        "INFO (DTMF from the far end) is accepted"
    );
    far.cseq -= 5;
    feed(&mut h, &far.in_dialog("OPTIONS"));
    assert_eq!(last_response(&h).status, 500, "CSeq lower than one already seen");
    feed(&mut h, "BYE sip:x SIP/2.0\r\nVia: SIP/2.0/WS h;branch=z9hG4bKq\r\n\r\n");
    assert_eq!(last_response(&h).status, 400, "no From/To/Call-ID/CSeq");
    feed(&mut h, "\u{0}\u{1}garbage");
    assert!(h.ua.current_call().is_some(), "garbage never ends a call");
}

#[test]
fn unanswered_call_is_released_with_480() {
    let mut h = registered_harness();
    feed(&mut h, &Far::new("c11").invite());
    h.take_events();
    h.advance(59_999);
    assert_eq!(last_response(&h).status, 180);
    h.advance(1);
    assert_eq!(last_response(&h).status, 480);
    assert_eq!(
        call_events(&mut h),
        [CallEvent::Ended {
            call: 1,
            reason: EndReason::NoAnswer
        }]
    );
}

#[test]
fn microphone_refused_answers_480_and_says_why() {
    let mut h = registered_harness();
    feed(&mut h, &Far::new("c12").invite());
    h.ua.answer(h.now, 1).unwrap();
    h.take_events();
    let failure = MediaFailure::Microphone("NotAllowedError: Permission denied".into());
    h.ua.media_failed(h.now, 1, failure.clone());
    h.drain();
    assert_eq!(last_response(&h).status, 480);
    assert_eq!(
        call_events(&mut h),
        [CallEvent::Ended {
            call: 1,
            reason: EndReason::MediaFailed(failure)
        }]
    );
}

#[test]
fn unregister_during_a_call_keeps_the_socket_until_the_call_ends() {
    let mut far = Far::new("c13");
    let mut h = answered(&mut far);
    feed(&mut h, &far.in_dialog("ACK"));
    h.unregister();
    h.reply(200, &[]);
    assert_eq!(h.seen.closes, 0, "the call still needs the socket");
    feed(&mut h, &far.in_dialog("BYE"));
    assert_eq!(h.seen.closes, 1);
}
