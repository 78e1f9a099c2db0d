//! Mid-call signalling: hold and resume, the far end's re-INVITEs and UPDATEs, glare,
//! session refreshes and SIP INFO DTMF.

mod support;

use sip_core::message::{HeaderAccess, Method};
use sip_core::sdp::Direction;
use sip_core::{CallError, CallEvent, EndReason, MediaCommand};
use support::calls::*;
use support::*;

const HELD_OFFER: &str =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendonly\r\n";
const NEW_SDP: &str =
    "v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendonly\r\n";

fn last_media(h: &Harness) -> MediaCommand {
    h.seen.media.last().cloned().expect("no media command")
}

#[test]
fn hold_and_resume_by_reinvite() {
    let mut far = Far::new("m1");
    let mut h = connected(&mut far);
    h.ua.hold(h.now, 1, true).unwrap();
    h.drain();
    assert_eq!(
        last_media(&h),
        MediaCommand::Reoffer {
            call: 1,
            direction: Direction::SendOnly,
            hold: true,
            ice_restart: false
        }
    );
    h.ua.media_local_sdp(h.now, 1, NEW_SDP);
    h.drain();
    let reinvite = h.last().clone();
    assert_eq!(reinvite.method, Method::Invite);
    assert_eq!(reinvite.body, NEW_SDP);
    assert_eq!(reinvite.uri, "sip:far@10.0.0.5:5060");
    assert_eq!(
        reinvite.headers.get("Route"),
        Some("<sip:127.0.0.1:5066;transport=ws;lr>")
    );
    assert_eq!(reinvite.to_addr().unwrap().tag(), Some("far1"));

    answer_request(&mut h, &reinvite, 200, ANSWER);
    let ack = h.last().clone();
    assert_eq!(ack.method, Method::Ack);
    assert_eq!(
        ack.cseq().unwrap().seq,
        reinvite.cseq().unwrap().seq,
        "ACK carries the re-INVITE's CSeq"
    );
    assert_eq!(
        last_media(&h),
        MediaCommand::ApplyAnswer {
            call: 1,
            sdp: ANSWER.into(),
            provisional: false
        }
    );
    assert_eq!(call_events(&mut h), [CallEvent::HoldChanged { call: 1, held: true }]);

    h.ua.hold(h.now, 1, true).unwrap();
    h.drain();
    assert!(
        !matches!(last_media(&h), MediaCommand::Reoffer { .. }),
        "already held: nothing to do"
    );
    h.ua.hold(h.now, 1, false).unwrap();
    h.drain();
    assert_eq!(
        last_media(&h),
        MediaCommand::Reoffer {
            call: 1,
            direction: Direction::SendRecv,
            hold: false,
            ice_restart: false
        }
    );
    h.ua.media_local_sdp(h.now, 1, OFFER);
    h.drain();
    let resume = h.last().clone();
    assert!(resume.cseq().unwrap().seq > reinvite.cseq().unwrap().seq);
    answer_request(&mut h, &resume, 200, ANSWER);
    assert_eq!(call_events(&mut h), [CallEvent::HoldChanged { call: 1, held: false }]);
}

#[test]
fn far_end_hold_is_answered_by_the_direction_table() {
    let mut far = Far::new("m2");
    let mut h = connected(&mut far);
    feed(&mut h, &far.in_dialog_with("INVITE", "application/sdp", HELD_OFFER));
    assert_eq!(
        last_media(&h),
        MediaCommand::AnswerReoffer {
            call: 1,
            sdp: HELD_OFFER.into(),
            direction: Direction::RecvOnly
        }
    );
    assert!(
        call_events(&mut h).is_empty(),
        "the hold counts once our 200 accepts it"
    );
    h.ua.media_local_sdp(h.now, 1, ANSWER);
    h.drain();
    let ok = last_response(&h).clone();
    assert_eq!((ok.status, ok.cseq().unwrap().method), (200, "INVITE"));
    assert_eq!(ok.body, ANSWER);
    assert_eq!(call_events(&mut h), [CallEvent::RemoteHold { call: 1, held: true }]);
    feed(&mut h, &far.in_dialog("ACK"));
    // Holding while held by the far end offers inactive (§8.4).
    h.ua.hold(h.now, 1, true).unwrap();
    h.drain();
    assert_eq!(
        last_media(&h),
        MediaCommand::Reoffer {
            call: 1,
            direction: Direction::Inactive,
            hold: true,
            ice_restart: false
        }
    );

    // UPDATE with SDP is answered the same way, in its 200.
    let mut far = Far::new("m3");
    let mut h = connected(&mut far);
    feed(&mut h, &far.in_dialog_with("UPDATE", "application/sdp", OFFER));
    assert!(matches!(
        last_media(&h),
        MediaCommand::AnswerReoffer {
            direction: Direction::SendRecv,
            ..
        }
    ));
    h.ua.media_local_sdp(h.now, 1, ANSWER);
    h.drain();
    assert_eq!(last_response(&h).cseq().unwrap().method, "UPDATE");
}

#[test]
fn glare_is_491_both_ways_and_retried_after_the_14_1_delay() {
    let mut far = Far::new("m4");
    let mut h = connected(&mut far);
    let ours = our_hold_reinvite(&mut h, NEW_SDP);
    // Their re-INVITE crosses ours.
    feed(&mut h, &far.in_dialog_with("INVITE", "application/sdp", OFFER));
    assert_eq!(last_response(&h).status, 491);
    // Ours gets 491 too: ACK, roll back, retry within 0-2 s (we did not create the Call-ID).
    answer_request(&mut h, &ours, 491, "");
    assert_eq!(h.last().method, Method::Ack);
    assert_eq!(
        last_media(&h),
        MediaCommand::Rollback {
            call: 1,
            direction: Direction::SendRecv,
            hold: false
        }
    );
    assert!(call_events(&mut h).is_empty(), "glare is not a failure yet");
    let retry_at = h.ua.poll_timeout().unwrap();
    assert!(retry_at - h.now <= 2_000, "{}", retry_at - h.now);
    h.advance_to(retry_at);
    assert_eq!(
        last_media(&h),
        MediaCommand::Reoffer {
            call: 1,
            direction: Direction::SendOnly,
            hold: true,
            ice_restart: false
        }
    );
}

#[test]
fn failed_hold_leaves_the_call_usable() {
    let mut far = Far::new("m5");
    let mut h = connected(&mut far);
    assert!(h.ua.hold(h.now, 1, true).is_ok());
    assert_eq!(
        h.ua.hold(h.now, 1, false),
        Err(CallError::WrongState("a hold or resume is already in progress"))
    );
    h.ua.media_local_sdp(h.now, 1, NEW_SDP);
    h.drain();
    let ours = h.last().clone();
    answer_request(&mut h, &ours, 500, "");
    assert_eq!(
        last_media(&h),
        MediaCommand::Rollback {
            call: 1,
            direction: Direction::SendRecv,
            hold: false
        }
    );
    assert_eq!(call_events(&mut h), [CallEvent::HoldFailed { call: 1, held: false }]);
    h.ua.hangup(h.now, 1).unwrap();
    h.drain();
    assert_eq!(h.last().method, Method::Bye, "the call still works");

    // 481 to a re-INVITE means the dialog is gone (§14.1): BYE and end.
    let mut far = Far::new("m6");
    let mut h = connected(&mut far);
    let ours = our_hold_reinvite(&mut h, NEW_SDP);
    answer_request(&mut h, &ours, 481, "");
    assert_eq!(h.last().method, Method::Bye);
    assert!(matches!(
        call_events(&mut h).last(),
        Some(CallEvent::Ended {
            reason: EndReason::RemoteHangup { .. },
            ..
        })
    ));
}

#[test]
fn an_offerless_update_refreshes_without_touching_media() {
    let mut far = Far::new("m7");
    let mut h = connected(&mut far);
    let media_before = h.seen.media.len();
    feed(&mut h, &far.in_dialog("UPDATE"));
    let ok = last_response(&h).clone();
    assert_eq!((ok.status, ok.body.as_str()), (200, ""));
    assert!(
        ok.headers.get("Contact").is_some(),
        "a 2xx to a target refresh has our Contact"
    );
    assert_eq!(ok.headers.get("Session-Expires"), None, "no timer asked, none granted");
    assert_eq!(h.seen.media.len(), media_before);
    assert!(call_events(&mut h).is_empty());
}

#[test]
fn info_dtmf_bodies() {
    let mut far = Far::new("m8");
    let mut h = connected(&mut far);
    h.ua.send_info_dtmf(h.now, 1, '5').unwrap();
    h.ua.send_info_dtmf(h.now, 1, 'a').unwrap();
    h.drain();
    let infos: Vec<_> = h
        .seen
        .requests
        .iter()
        .filter(|r| r.method == Method::Info)
        .cloned()
        .collect();
    assert_eq!(infos.len(), 2);
    assert_eq!(infos[0].headers.get("Content-Type"), Some("application/dtmf-relay"));
    assert_eq!(infos[0].body, "Signal=5\r\nDuration=240\r\n");
    assert_eq!(infos[1].body, "Signal=A\r\nDuration=240\r\n");
    assert!(infos[1].cseq().unwrap().seq > infos[0].cseq().unwrap().seq);
    assert!(h.ua.send_info_dtmf(h.now, 1, 'x').is_err());
    answer_request(&mut h, &infos[0], 200, "");
    assert!(call_events(&mut h).is_empty());

    let mut ringing = Harness::new();
    ringing.ua.handle_text(0, &Far::new("m9").invite());
    assert!(
        ringing.ua.send_info_dtmf(0, 1, '1').is_err(),
        "DTMF needs a connected call"
    );
}

#[test]
fn ice_restart_reoffers_with_the_same_direction_and_raises_no_hold_event() {
    let mut far = Far::new("m9");
    let mut h = connected(&mut far);
    h.ua.restart_ice(h.now, 1).unwrap();
    h.drain();
    assert_eq!(
        last_media(&h),
        MediaCommand::Reoffer {
            call: 1,
            direction: Direction::SendRecv,
            hold: false,
            ice_restart: true
        }
    );
    assert_eq!(
        h.ua.restart_ice(h.now, 1),
        Err(CallError::WrongState("an offer/answer exchange is in progress")),
        "one exchange at a time"
    );
    assert!(
        h.ua.hold(h.now, 1, true).is_err(),
        "no hold while the restart is in flight"
    );
    h.ua.media_local_sdp(h.now, 1, NEW_SDP);
    h.drain();
    let reinvite = h.last().clone();
    assert_eq!(reinvite.method, Method::Invite);
    answer_request(&mut h, &reinvite, 200, ANSWER);
    assert_eq!(h.last().method, Method::Ack);
    assert_eq!(
        last_media(&h),
        MediaCommand::ApplyAnswer {
            call: 1,
            sdp: ANSWER.into(),
            provisional: false
        }
    );
    assert_eq!(call_events(&mut h), [], "an ICE restart is not a hold");
    // The call is usable as before: hold works next.
    h.ua.hold(h.now, 1, true).unwrap();
    h.drain();
    assert!(matches!(
        last_media(&h),
        MediaCommand::Reoffer {
            hold: true,
            ice_restart: false,
            ..
        }
    ));
}

#[test]
fn a_refused_ice_restart_rolls_back_quietly() {
    let mut far = Far::new("m10");
    let mut h = connected(&mut far);
    h.ua.restart_ice(h.now, 1).unwrap();
    h.drain();
    h.ua.media_local_sdp(h.now, 1, NEW_SDP);
    h.drain();
    let reinvite = h.last().clone();
    answer_request(&mut h, &reinvite, 488, "");
    assert!(matches!(last_media(&h), MediaCommand::Rollback { hold: false, .. }));
    assert_eq!(call_events(&mut h), [], "no hold event for a failed restart");
    assert!(h.seen.logs.iter().any(|l| l.contains("ICE restart failed: 488")));
}

#[test]
fn ice_restart_needs_a_connected_call() {
    let mut h = Harness::new();
    assert_eq!(h.ua.restart_ice(h.now, 1), Err(CallError::NoSuchCall));
}

#[test]
fn ice_failure_restarts_ice_at_most_once_per_ten_seconds() {
    let mut far = Far::new("m11");
    let mut h = connected(&mut far);
    h.ua.media_state(h.now, 1, "ice_connection", "failed");
    h.drain();
    assert!(matches!(
        last_media(&h),
        MediaCommand::Reoffer { ice_restart: true, .. }
    ));
    h.ua.media_local_sdp(h.now, 1, NEW_SDP);
    h.drain();
    let reinvite = h.last().clone();
    answer_request(&mut h, &reinvite, 200, ANSWER);
    let offers = h
        .seen
        .media
        .iter()
        .filter(|m| matches!(m, MediaCommand::Reoffer { .. }))
        .count();
    h.advance(5_000);
    h.ua.media_state(h.now, 1, "ice_connection", "failed");
    h.drain();
    let again = h
        .seen
        .media
        .iter()
        .filter(|m| matches!(m, MediaCommand::Reoffer { .. }))
        .count();
    assert_eq!(again, offers, "no second restart within 10 s");
    h.advance(6_000);
    h.ua.media_state(h.now, 1, "ice_connection", "failed");
    h.drain();
    assert!(
        matches!(last_media(&h), MediaCommand::Reoffer { ice_restart: true, .. }),
        "a later failure restarts again"
    );
}
