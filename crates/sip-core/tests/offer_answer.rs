//! Offer/answer in every shape real SBCs and B2BUAs use (RFC 3261 §13–§14, RFC 3264,
//! RFC 3311, RFC 3960): late offers, offerless re-INVITEs, early media, failed negotiations
//! answered and rolled back so the call stays usable, and requests that cross.

mod support;

use sip_core::message::{HeaderAccess, Method};
use sip_core::sdp::Direction;
use sip_core::{CallEvent, EndReason, MediaCommand, MediaFailure};
use support::calls::*;
use support::*;

const NEW_OFFER: &str =
    "v=0\r\no=- 3 3 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendrecv\r\n";
const REANCHOR_ANSWER: &str =
    "v=0\r\no=- 5 5 IN IP4 10.9.9.9\r\ns=-\r\nc=IN IP4 10.9.9.9\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0\r\na=sendrecv\r\n";
const HELD_ANSWER: &str =
    "v=0\r\no=- 5 6 IN IP4 10.9.9.9\r\ns=-\r\nc=IN IP4 10.9.9.9\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0\r\na=sendonly\r\n";

fn last_media(h: &Harness) -> MediaCommand {
    h.seen.media.last().cloned().expect("no media command")
}

/// Final responses the UA sent to the request with this CSeq method and number (of call "x"
/// when the number is shared: pass the Call-ID in `method` as "INVITE@call-id").
fn finals_to(h: &Harness, method: &str, seq: u32) -> Vec<u16> {
    let (method, call_id) = method.split_once('@').map_or((method, None), |(m, c)| (m, Some(c)));
    h.seen
        .responses
        .iter()
        .filter(|r| call_id.is_none_or(|c| r.call_id() == Some(c)))
        .filter(|r| r.status >= 200 && r.cseq().is_some_and(|c| c.method == method && c.seq == seq))
        .map(|r| r.status)
        .collect()
}

fn ended(h: &mut Harness) -> Option<EndReason> {
    call_events(h).into_iter().find_map(|e| match e {
        CallEvent::Ended { reason, .. } => Some(reason),
        _ => None,
    })
}

// ---- Late offer: an INVITE without SDP -------------------------------------------------------

#[test]
fn a_late_offer_gets_our_offer_in_the_200_and_its_answer_from_the_ack() {
    let mut far = Far::new("lo1");
    let mut h = registered_harness();
    feed(&mut h, &far.invite_with("", None));
    assert_eq!(statuses(&h), [100, 180], "it rings like any call");
    far.to_tag = last_response(&h).to_addr().unwrap().tag().map(str::to_string);
    h.ua.answer(h.now, 1).unwrap();
    h.ua.media_mic_ready(h.now, 1);
    h.drain();
    // RFC 3261 §13.2.1: no offer in the INVITE: ours goes in the first reliable response.
    assert_eq!(last_media(&h), MediaCommand::CreateOffer { call: 1 });
    h.ua.media_local_sdp(h.now, 1, OFFER);
    h.drain();
    let ok = last_response(&h).clone();
    assert_eq!((ok.status, ok.body.as_str()), (200, OFFER));
    assert_eq!(ok.headers.get("Content-Type"), Some("application/sdp"));
    h.take_events();
    feed(&mut h, &far.in_dialog_with("ACK", "application/sdp", REANCHOR_ANSWER));
    assert_eq!(
        last_media(&h),
        MediaCommand::ApplyAnswer {
            call: 1,
            sdp: REANCHOR_ANSWER.into(),
            provisional: false
        }
    );
    assert_eq!(call_events(&mut h), [CallEvent::Connected { call: 1 }]);
    assert_eq!(h.ua.current_call(), Some((1, false)));
    assert_eq!(finals_to(&h, "INVITE", 10), [200], "one final response to the INVITE");
}

#[test]
fn a_late_offer_acked_without_an_answer_is_ended_with_reason_488() {
    let mut far = Far::new("lo2");
    let invite = far.invite_with("", None);
    let mut h = answered_with(&mut far, &invite, OFFER);
    h.take_events();
    feed(&mut h, &far.in_dialog("ACK"));
    let bye = h.last().clone();
    assert_eq!(bye.method, Method::Bye);
    assert!(bye.headers.get("Reason").unwrap().starts_with("SIP;cause=488"));
    assert!(matches!(
        ended(&mut h),
        Some(EndReason::MediaFailed(MediaFailure::Answer(_)))
    ));
    assert_eq!(h.ua.current_call(), None);
}

#[test]
fn a_late_offer_never_blocks_the_next_caller() {
    // The review's P0-1: 488 at Answer, then 480 for the same INVITE, and 486 to everyone else.
    let far = Far::new("lo3");
    let mut h = registered_harness();
    feed(&mut h, &far.invite_with("", None));
    h.ua.hangup(h.now, 1).unwrap();
    h.drain();
    assert_eq!(finals_to(&h, "INVITE", 10), [486]);
    assert_eq!(h.ua.current_call(), None);
    let next = Far::new("lo4");
    feed(&mut h, &next.invite());
    assert_eq!(statuses(&h)[3..], [100, 180], "the next call rings");
    h.advance(61_000);
    assert_eq!(
        finals_to(&h, "INVITE@lo3", 10),
        [486],
        "still one final response for the first"
    );

    // Making our offer fails: 500 (the fault is ours, not their offer), once.
    let mut far = Far::new("lo5");
    let mut h = registered_harness();
    feed(&mut h, &far.invite_with("", None));
    far.to_tag = None;
    h.ua.answer(h.now, 1).unwrap();
    h.ua.media_mic_ready(h.now, 1);
    h.ua.media_failed(h.now, 1, MediaFailure::Negotiation("createOffer".into()));
    h.drain();
    assert_eq!(finals_to(&h, "INVITE", 10), [500]);
    assert_eq!(h.ua.current_call(), None);
}

// ---- re-INVITE without SDP -------------------------------------------------------------------

#[test]
fn an_offerless_reinvite_gets_a_fresh_offer_and_the_answer_from_the_ack_is_applied() {
    let mut far = Far::new("rn1");
    let mut h = connected(&mut far);
    feed(&mut h, &far.in_dialog("INVITE"));
    // §14.2: our 200 carries a new offer (not our old answer), made by the browser.
    assert_eq!(
        last_media(&h),
        MediaCommand::Reoffer {
            call: 1,
            direction: Direction::SendRecv,
            hold: false,
            ice_restart: false
        }
    );
    assert!(
        h.seen.responses.iter().all(|r| r.cseq().unwrap().seq != far.cseq),
        "no 200 before the offer"
    );
    h.ua.media_local_sdp(h.now, 1, NEW_OFFER);
    h.drain();
    let ok = last_response(&h).clone();
    assert_eq!((ok.status, ok.body.as_str()), (200, NEW_OFFER));
    // The 200 is retransmitted until the ACK (§13.3.1.4).
    h.advance(600);
    assert_eq!(last_response(&h).body, NEW_OFFER);
    let before = h.seen.responses.len();
    feed(&mut h, &far.in_dialog_with("ACK", "application/sdp", HELD_ANSWER));
    assert_eq!(
        last_media(&h),
        MediaCommand::ApplyAnswer {
            call: 1,
            sdp: HELD_ANSWER.into(),
            provisional: false
        }
    );
    assert_eq!(
        call_events(&mut h),
        [CallEvent::RemoteHold { call: 1, held: true }],
        "an answer that stops receiving is the far end's hold"
    );
    h.advance(10_000);
    assert_eq!(h.seen.responses.len(), before, "no retransmission after the ACK");
    h.ua.hangup(h.now, 1).unwrap();
    h.drain();
    assert_eq!(h.last().method, Method::Bye, "the call goes on");
}

#[test]
fn an_offerless_reinvite_acked_without_an_answer_rolls_back_and_hangs_up() {
    let mut far = Far::new("rn2");
    let mut h = connected(&mut far);
    feed(&mut h, &far.in_dialog("INVITE"));
    h.ua.media_local_sdp(h.now, 1, NEW_OFFER);
    h.drain();
    feed(&mut h, &far.in_dialog("ACK"));
    assert_eq!(h.last().method, Method::Bye);
    assert!(h.last().headers.get("Reason").unwrap().contains("488"));
    assert!(matches!(ended(&mut h), Some(EndReason::MediaFailed(_))));
}

// ---- Failed negotiations leave the call usable ---------------------------------------------

#[test]
fn a_reoffer_the_browser_cannot_answer_gets_488_and_the_call_goes_on() {
    let mut far = Far::new("rf1");
    let mut h = connected(&mut far);
    feed(&mut h, &far.in_dialog_with("INVITE", "application/sdp", OFFER));
    let seq = far.cseq;
    h.ua.media_failed(h.now, 1, MediaFailure::Negotiation("Failed to set SSL role".into()));
    h.drain();
    assert_eq!(
        finals_to(&h, "INVITE", seq),
        [488],
        "RFC 3261 §13.3.1: a final response"
    );
    assert!(matches!(last_media(&h), MediaCommand::Rollback { .. }));
    feed(&mut h, &far.in_dialog("ACK"));
    h.advance(40_000);
    assert_eq!(finals_to(&h, "INVITE", seq), [488], "exactly one");
    // The next re-INVITE is answered, not 491, and our own hold works.
    feed(&mut h, &far.in_dialog_with("INVITE", "application/sdp", OFFER));
    assert!(matches!(last_media(&h), MediaCommand::AnswerReoffer { .. }));
    h.ua.media_local_sdp(h.now, 1, ANSWER);
    h.drain();
    assert_eq!(finals_to(&h, "INVITE", far.cseq), [200]);
    feed(&mut h, &far.in_dialog("ACK"));
    assert!(h.ua.hold(h.now, 1, true).is_ok());
    assert_eq!(h.ua.current_call(), Some((1, false)));
}

#[test]
fn our_reoffer_that_cannot_be_made_reports_hold_failed_and_allows_the_next() {
    let mut far = Far::new("rf2");
    let mut h = connected(&mut far);
    h.ua.hold(h.now, 1, true).unwrap();
    h.ua.media_failed(h.now, 1, MediaFailure::Negotiation("createOffer".into()));
    h.drain();
    assert!(matches!(last_media(&h), MediaCommand::Rollback { hold: false, .. }));
    assert_eq!(call_events(&mut h), [CallEvent::HoldFailed { call: 1, held: false }]);
    assert!(h.ua.hold(h.now, 1, true).is_ok(), "no exchange left stuck");
    h.drain();
    assert!(matches!(last_media(&h), MediaCommand::Reoffer { hold: true, .. }));
}

#[test]
fn a_2xx_to_our_reinvite_without_an_answer_is_acked_and_rolled_back() {
    let mut far = Far::new("rf3");
    let mut h = connected(&mut far);
    let reinvite = our_hold_reinvite(&mut h, NEW_OFFER);
    answer_request(&mut h, &reinvite, 200, "");
    let ack = h.last().clone();
    assert_eq!(ack.method, Method::Ack);
    assert_eq!(ack.cseq().unwrap().seq, reinvite.cseq().unwrap().seq);
    assert!(matches!(last_media(&h), MediaCommand::Rollback { hold: false, .. }));
    assert_eq!(call_events(&mut h), [CallEvent::HoldFailed { call: 1, held: false }]);
    assert!(h.ua.hold(h.now, 1, true).is_ok());
}

#[test]
fn an_answer_to_our_reinvite_the_browser_refuses_is_rolled_back() {
    let mut far = Far::new("rf4");
    let mut h = connected(&mut far);
    let reinvite = our_hold_reinvite(&mut h, NEW_OFFER);
    answer_request(&mut h, &reinvite, 200, ANSWER);
    assert_eq!(call_events(&mut h), [CallEvent::HoldChanged { call: 1, held: true }]);
    h.ua.media_failed(h.now, 1, MediaFailure::Answer("bad fingerprint".into()));
    h.drain();
    assert!(matches!(last_media(&h), MediaCommand::Rollback { hold: false, .. }));
    assert_eq!(call_events(&mut h), [CallEvent::HoldFailed { call: 1, held: false }]);
    assert_eq!(h.ua.current_call(), Some((1, false)), "the call goes on");
}

// ---- Requests that cross -------------------------------------------------------------------

#[test]
fn an_offer_while_theirs_is_pending_gets_500_with_retry_after() {
    let mut far = Far::new("x1");
    let mut h = connected(&mut far);
    feed(&mut h, &far.in_dialog_with("INVITE", "application/sdp", OFFER));
    feed(&mut h, &far.in_dialog_with("UPDATE", "application/sdp", OFFER));
    let resp = last_response(&h).clone();
    assert_eq!(resp.status, 500, "RFC 3311 §5.2 / RFC 3261 §14.2");
    let after: u32 = resp.headers.get("Retry-After").unwrap().parse().unwrap();
    assert!(after <= 10);
}

#[test]
fn while_our_reinvite_is_out_an_offer_is_glare_but_a_refresh_is_fine() {
    let mut far = Far::new("x2");
    let mut h = connected(&mut far);
    our_hold_reinvite(&mut h, NEW_OFFER);
    feed(&mut h, &far.in_dialog("UPDATE"));
    assert_eq!(last_response(&h).status, 200, "an UPDATE without an offer is no glare");
    feed(&mut h, &far.in_dialog_with("UPDATE", "application/sdp", OFFER));
    assert_eq!(last_response(&h).status, 491);
}

#[test]
fn a_reinvite_that_times_out_ends_the_call() {
    let mut far = Far::new("x3");
    let mut h = connected(&mut far);
    our_hold_reinvite(&mut h, NEW_OFFER);
    h.advance(32_000);
    // RFC 3261 §14.1: no response at all to a re-INVITE: the UAC terminates the dialog.
    assert_eq!(h.last().method, Method::Bye);
    assert_eq!(ended(&mut h), Some(EndReason::Timeout));
}

#[test]
fn requests_before_our_200_is_acked() {
    let mut far = Far::new("x4");
    let mut h = answered(&mut far);
    feed(&mut h, &far.in_dialog("INFO"));
    assert_eq!(last_response(&h).status, 200);
    feed(&mut h, &far.in_dialog("UPDATE"));
    assert_eq!(last_response(&h).status, 200);
    feed(&mut h, &far.in_dialog_with("INVITE", "application/sdp", OFFER));
    let resp = last_response(&h).clone();
    assert_eq!(resp.status, 500, "§14.2: the first INVITE's exchange is not complete");
    assert!(resp.headers.get("Retry-After").is_some());
    h.take_events();
    far.cseq = 10; // the ACK for the INVITE's 200 carries the INVITE's number
    feed(&mut h, &far.in_dialog("ACK"));
    assert_eq!(call_events(&mut h), [CallEvent::Connected { call: 1 }]);
}

// ---- Early media ----------------------------------------------------------------------------

#[test]
fn early_media_is_a_pranswer_and_a_different_2xx_answer_replaces_it() {
    let mut h = dialing();
    respond_fork(&mut h, 183, ANSWER, "a", &[]);
    assert_eq!(
        last_media(&h),
        MediaCommand::ApplyAnswer {
            call: 1,
            sdp: ANSWER.into(),
            provisional: true
        }
    );
    respond_fork(&mut h, 183, ANSWER, "a", &[]);
    let applies = |h: &Harness| {
        h.seen
            .media
            .iter()
            .filter(|m| matches!(m, MediaCommand::ApplyAnswer { .. }))
            .count()
    };
    assert_eq!(applies(&h), 1, "an unchanged early SDP is not applied again");
    // An announcement from the network, then the callee answers from elsewhere.
    respond_fork(&mut h, 200, REANCHOR_ANSWER, "b", &[]);
    assert_eq!(
        last_media(&h),
        MediaCommand::ApplyAnswer {
            call: 1,
            sdp: REANCHOR_ANSWER.into(),
            provisional: false
        }
    );
    let ack = h.last().clone();
    assert_eq!(ack.method, Method::Ack);
    assert_eq!(ack.to_addr().unwrap().tag(), Some("b"), "ACKed on the 2xx's dialog");
}

#[test]
fn the_2xx_without_sdp_after_a_reliable_early_answer_uses_that_answer() {
    let mut h = dialing();
    respond(&mut h, 183, ANSWER, &[("Require", "100rel"), ("RSeq", "1")]);
    respond(&mut h, 200, "", &[]);
    assert_eq!(
        last_media(&h),
        MediaCommand::ApplyAnswer {
            call: 1,
            sdp: ANSWER.into(),
            provisional: false
        }
    );
    assert!(ended(&mut h).is_none());
}

#[test]
fn a_2xx_with_no_answer_at_all_is_acked_and_ended() {
    let mut h = dialing();
    respond(&mut h, 200, "", &[]);
    let sent: Vec<Method> = h.seen.requests.iter().rev().take(2).map(|r| r.method.clone()).collect();
    assert_eq!(sent, [Method::Bye, Method::Ack]);
    assert!(matches!(
        ended(&mut h),
        Some(EndReason::MediaFailed(MediaFailure::Answer(_)))
    ));
}

// ---- Bodies ---------------------------------------------------------------------------------

#[test]
fn only_the_sdp_of_a_multipart_invite_reaches_the_browser() {
    let far = Far::new("mp1");
    let body = format!(
        "--b1\r\nContent-Type: application/ISUP;version=itu-t92+\r\n\r\nISUP\r\n--b1\r\nContent-Type: application/sdp\r\n\r\n{OFFER}\r\n--b1--\r\n"
    );
    let invite = far.invite_with("", None).trim_end_matches("\r\n").to_string()
        + &format!("\r\nContent-Type: multipart/mixed;boundary=b1\r\n\r\n{body}");
    let mut h = registered_harness();
    feed(&mut h, &invite);
    h.ua.answer(h.now, 1).unwrap();
    h.ua.media_mic_ready(h.now, 1);
    h.drain();
    assert_eq!(
        last_media(&h),
        MediaCommand::AcceptOffer {
            call: 1,
            sdp: OFFER.into()
        }
    );
}

#[test]
fn an_invite_whose_body_we_cannot_read_or_answer_is_refused_at_once() {
    let far = Far::new("ct1");
    let mut h = registered_harness();
    let unknown = far.invite().replace(
        "Content-Type: application/sdp",
        "Content-Type: application/unknownformat",
    );
    feed(&mut h, &unknown);
    let resp = last_response(&h).clone();
    assert_eq!(resp.status, 415, "§8.2.3");
    assert_eq!(resp.headers.get("Accept"), Some("application/sdp"));
    assert_eq!(h.ua.current_call(), None);
    let far = Far::new("ct2");
    let picky = far.invite_with("Accept: text/nobodyKnowsThis\r\n", Some(OFFER));
    feed(&mut h, &picky);
    assert_eq!(last_response(&h).status, 406);
    assert_eq!(h.ua.current_call(), None);
}

#[test]
fn an_offer_without_audio_or_that_is_not_sdp_at_all_is_488_before_anything_rings() {
    for (name, body) in [
        ("video only", OFFER.replace("m=audio", "m=video")),
        ("garbage", "v=banana\r\nm=audio -1 NOPE\r\n".to_string()),
        ("rejected audio", OFFER.replace("m=audio 9", "m=audio 0")),
    ] {
        let far = Far::new(name);
        let mut h = registered_harness();
        feed(&mut h, &far.invite_with("", Some(&body)));
        assert_eq!(statuses(&h), [488], "{name}: refused at once, no 100/180");
        assert!(last_response(&h).headers.get("Warning").is_some(), "{name}: says why");
        assert!(
            h.take_events().iter().all(|e| !matches!(e, sip_core::Event::Call(_))),
            "{name}: the app hears of no call"
        );
        assert_eq!(h.ua.current_call(), None);
    }
}
