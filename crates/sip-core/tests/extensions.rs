//! The extensions SBCs use: option tags (420), reliable provisional responses (RFC 3262) in
//! both roles, session timers (RFC 4028) in both roles, forking and redirects.

mod support;

use sip_core::message::{HeaderAccess, Method, Request};
use sip_core::{CallEvent, EndReason, MediaCommand};
use support::calls::*;
use support::*;

fn ended(h: &mut Harness) -> Option<EndReason> {
    call_events(h).into_iter().find_map(|e| match e {
        CallEvent::Ended { reason, .. } => Some(reason),
        _ => None,
    })
}

fn sent(h: &Harness, method: Method) -> Vec<Request> {
    h.seen.requests.iter().filter(|r| r.method == method).cloned().collect()
}

fn responses_with(h: &Harness, status: u16) -> usize {
    h.seen.responses.iter().filter(|r| r.status == status).count()
}

// ---- Option tags ----------------------------------------------------------------------------

#[test]
fn an_extension_we_lack_is_refused_with_420_naming_it() {
    let far = Far::new("r1");
    let mut h = registered_harness();
    feed(
        &mut h,
        &far.invite_with("Require: 100rel, precondition\r\n", Some(OFFER)),
    );
    let resp = last_response(&h).clone();
    assert_eq!(resp.status, 420, "RFC 3261 §8.2.2.3");
    assert_eq!(resp.headers.get("Unsupported"), Some("precondition"));
    assert_eq!(h.ua.current_call(), None);
    assert!(call_events(&mut h).is_empty(), "no call rang");
}

// ---- 100rel as UAS --------------------------------------------------------------------------

fn prack(far: &mut Far, rack: &str) -> String {
    far.in_dialog_full("PRACK", &format!("RAck: {rack}\r\n"), "", "")
}

#[test]
fn a_100rel_invite_gets_a_reliable_180_and_our_200_waits_for_the_prack() {
    let mut far = Far::new("rel1");
    let mut h = registered_harness();
    feed(
        &mut h,
        &far.invite_with("Require: 100rel\r\nSupported: 100rel\r\n", Some(OFFER)),
    );
    let ringing = last_response(&h).clone();
    assert_eq!(ringing.status, 180);
    assert_eq!(ringing.headers.get("Require"), Some("100rel"), "RFC 3262 §3");
    let rseq: u32 = ringing.headers.get("RSeq").unwrap().parse().unwrap();
    assert!((1..1 << 31).contains(&rseq));
    far.to_tag = ringing.to_addr().unwrap().tag().map(str::to_string);
    // Re-sent at T1, then 2·T1... until the PRACK.
    h.advance(500);
    assert_eq!(responses_with(&h, 180), 2);
    h.advance(1_000);
    assert_eq!(responses_with(&h, 180), 3);
    // The agent answers before the PRACK: the 200 waits.
    h.ua.answer(h.now, 1).unwrap();
    h.ua.media_mic_ready(h.now, 1);
    h.ua.media_local_sdp(h.now, 1, ANSWER);
    h.drain();
    assert_eq!(responses_with(&h, 200), 0, "no 2xx before the PRACK");
    // A PRACK for something else: 481.
    feed(&mut h, &prack(&mut far, &format!("{} 10 INVITE", rseq.wrapping_add(5))));
    assert_eq!(last_response(&h).status, 481);
    feed(&mut h, &prack(&mut far, &format!("{rseq} 10 INVITE")));
    let tail = last_responses(&h, 2);
    assert_eq!(tail, [(200, "INVITE".into()), (200, "PRACK".into())]);
    let retransmitted = responses_with(&h, 180);
    h.advance(8_000);
    assert_eq!(responses_with(&h, 180), retransmitted, "no 180 after its PRACK");
    far.cseq = 10;
    feed(&mut h, &far.in_dialog("ACK"));
    assert!(call_events(&mut h).contains(&CallEvent::Connected { call: 1 }));
}

#[test]
fn a_reliable_180_never_pracked_ends_the_call_with_500() {
    let far = Far::new("rel2");
    let mut h = registered_harness();
    feed(&mut h, &far.invite_with("Require: 100rel\r\n", Some(OFFER)));
    h.advance(32_000);
    assert_eq!(last_response(&h).status, 500, "RFC 3262 §3: a 5xx after 64·T1");
    assert_eq!(ended(&mut h), Some(EndReason::NoPrack));
}

#[test]
fn a_late_offer_that_requires_100rel_rings_without_a_180() {
    let far = Far::new("rel3");
    let mut h = registered_harness();
    feed(&mut h, &far.invite_with("Require: 100rel\r\n", None));
    assert_eq!(statuses(&h), [100], "a reliable 180 would have to carry our offer");
    assert!(call_events(&mut h).contains(&CallEvent::Ringing { call: 1 }));
    h.ua.answer(h.now, 1).unwrap();
    h.ua.media_mic_ready(h.now, 1);
    h.ua.media_local_sdp(h.now, 1, OFFER);
    h.drain();
    assert_eq!(last_response(&h).status, 200);
}

// ---- 100rel as UAC --------------------------------------------------------------------------

#[test]
fn reliable_provisionals_we_receive_are_pracked_once_and_in_order() {
    let mut h = dialing();
    let invite = last_invite(&h);
    assert!(invite.headers.get("Supported").unwrap().contains("100rel"));
    respond(&mut h, 183, ANSWER, &[("Require", "100rel"), ("RSeq", "7")]);
    let pracks = sent(&h, Method::Prack);
    assert_eq!(pracks.len(), 1);
    let p = &pracks[0];
    assert_eq!(
        p.headers.get("RAck"),
        Some(format!("7 {} INVITE", invite.cseq().unwrap().seq).as_str())
    );
    assert!(p.cseq().unwrap().seq > invite.cseq().unwrap().seq);
    assert_eq!(p.uri, "sip:callee@10.0.0.9:5060", "to the 183's Contact");
    assert_eq!(p.to_addr().unwrap().tag(), Some("callee"), "in the early dialog");
    respond(&mut h, 183, ANSWER, &[("Require", "100rel"), ("RSeq", "7")]);
    respond(&mut h, 180, "", &[("Require", "100rel"), ("RSeq", "9")]);
    assert_eq!(
        sent(&h, Method::Prack).len(),
        1,
        "a repeat and a gap are discarded (§4)"
    );
    respond(&mut h, 180, "", &[("Require", "100rel"), ("RSeq", "8")]);
    assert_eq!(sent(&h, Method::Prack).len(), 2);
    let last_prack = sent(&h, Method::Prack).pop().unwrap().cseq().unwrap().seq;
    respond(&mut h, 200, "", &[]);
    h.ua.hangup(h.now, 1).unwrap();
    h.drain();
    let bye = h.last().clone();
    assert_eq!(bye.method, Method::Bye);
    assert!(
        bye.cseq().unwrap().seq > last_prack,
        "CSeq keeps rising across the PRACKs"
    );
}

// ---- Session timers -------------------------------------------------------------------------

#[test]
fn as_uas_the_far_end_refreshes_when_it_can_and_an_unrefreshed_session_ends() {
    let mut far = Far::new("st1");
    let invite = far.invite_with("Supported: timer\r\nSession-Expires: 90\r\n", Some(OFFER));
    let mut h = answered_with(&mut far, &invite, ANSWER);
    let ok = last_response(&h).clone();
    assert_eq!(ok.headers.get("Session-Expires"), Some("90;refresher=uac"));
    assert_eq!(ok.headers.get("Require"), Some("timer"), "RFC 4028 §9");
    far.cseq = 10;
    feed(&mut h, &far.in_dialog("ACK"));
    far.cseq = 10;
    // A refresh at 40 s restarts the interval.
    h.advance(40_000);
    feed(
        &mut h,
        &far.in_dialog_full("UPDATE", "Session-Expires: 90;refresher=uac\r\n", "", ""),
    );
    let ok = last_response(&h).clone();
    assert_eq!(
        (ok.status, ok.headers.get("Session-Expires")),
        (200, Some("90;refresher=uac"))
    );
    h.take_events();
    h.advance(59_000);
    assert_eq!(h.ua.current_call(), Some((1, false)));
    // No refresh since: BYE at 90 − 30 s after the last one (§10).
    h.advance(1_000);
    let bye = h.last().clone();
    assert_eq!(bye.method, Method::Bye);
    assert_eq!(ended(&mut h), Some(EndReason::SessionExpired));
}

#[test]
fn as_uas_we_refresh_when_the_caller_cannot_by_update_or_reinvite() {
    // No `Supported: timer`: a proxy asked for the timer; we must refresh (§9).
    let mut far = Far::new("st2");
    let invite = far.invite_with(
        "Session-Expires: 120\r\nAllow: INVITE, ACK, BYE, UPDATE\r\n",
        Some(OFFER),
    );
    let mut h = answered_with(&mut far, &invite, ANSWER);
    let ok = last_response(&h).clone();
    assert_eq!(ok.headers.get("Session-Expires"), Some("120;refresher=uas"));
    assert_eq!(ok.headers.get("Require"), None);
    far.cseq = 10;
    feed(&mut h, &far.in_dialog("ACK"));
    h.advance(60_000);
    let update = h.last().clone();
    assert_eq!(
        update.method,
        Method::Update,
        "RFC 4028 §10 prefers UPDATE when allowed"
    );
    assert_eq!(update.body, "");
    assert_eq!(update.headers.get("Session-Expires"), Some("120;refresher=uac"));
    let mut ok = sip_core::message::Response {
        status: 200,
        reason: "OK".into(),
        headers: sip_core::message::Headers::new(),
        body: String::new(),
    };
    for name in ["Via", "From", "To", "Call-ID", "CSeq"] {
        ok.headers.push(name, update.headers.get(name).unwrap());
    }
    ok.headers.push("Session-Expires", "120;refresher=uac");
    feed(&mut h, &ok.to_string());
    h.advance(59_000);
    assert_eq!(sent(&h, Method::Update).len(), 1);
    h.advance(1_000);
    assert_eq!(sent(&h, Method::Update).len(), 2, "and again half an interval later");

    // Without UPDATE in the caller's Allow, the refresh is a re-INVITE with our SDP.
    let mut far = Far::new("st3");
    let invite = far.invite_with("Session-Expires: 120\r\n", Some(OFFER));
    let mut h = answered_with(&mut far, &invite, ANSWER);
    far.cseq = 10;
    feed(&mut h, &far.in_dialog("ACK"));
    h.advance(60_000);
    assert!(matches!(
        h.seen.media.last(),
        Some(MediaCommand::Reoffer {
            hold: false,
            ice_restart: false,
            ..
        })
    ));
    h.ua.media_local_sdp(h.now, 1, ANSWER);
    h.drain();
    let reinvite = h.last().clone();
    assert_eq!(reinvite.method, Method::Invite);
    assert_eq!(reinvite.headers.get("Session-Expires"), Some("120;refresher=uac"));
    assert!(call_events(&mut h)
        .iter()
        .all(|e| !matches!(e, CallEvent::HoldChanged { .. })));
}

#[test]
fn a_session_interval_below_90_s_is_422_for_a_caller_that_can_retry() {
    let far = Far::new("st4");
    let mut h = registered_harness();
    feed(
        &mut h,
        &far.invite_with("Supported: timer\r\nSession-Expires: 30\r\n", Some(OFFER)),
    );
    let resp = last_response(&h).clone();
    assert_eq!((resp.status, resp.headers.get("Min-SE")), (422, Some("90")));
    assert_eq!(h.ua.current_call(), None);
}

#[test]
fn as_uac_a_422_is_retried_with_min_se_and_we_refresh_as_told() {
    let mut h = dialing();
    let first = last_invite(&h);
    assert!(first.headers.get("Session-Expires").is_none());
    respond(&mut h, 422, "", &[("Min-SE", "600")]);
    let second = last_invite(&h);
    assert!(second.cseq().unwrap().seq > first.cseq().unwrap().seq);
    assert_eq!(second.headers.get("Session-Expires"), Some("600"));
    assert_eq!(second.headers.get("Min-SE"), Some("600"));
    respond(
        &mut h,
        200,
        ANSWER,
        &[
            ("Session-Expires", "600;refresher=uac"),
            ("Require", "timer"),
            ("Allow", "INVITE, UPDATE"),
        ],
    );
    h.advance(299_000);
    assert!(sent(&h, Method::Update).is_empty());
    h.advance(1_000);
    assert_eq!(sent(&h, Method::Update).len(), 1, "we refresh at half the interval");
}

// ---- Forking and redirects ------------------------------------------------------------------

#[test]
fn every_2xx_is_acked_on_its_own_dialog_and_the_extra_forks_are_ended() {
    let mut h = dialing();
    respond_fork(&mut h, 180, "", "a", &[]);
    respond_fork(&mut h, 180, "", "b", &[]);
    respond_fork(&mut h, 200, ANSWER, "a", &[]);
    let ack_a = h.last().clone();
    assert_eq!(
        (ack_a.method.clone(), ack_a.uri.as_str()),
        (Method::Ack, "sip:a@10.0.0.9:5060")
    );
    respond_fork(&mut h, 200, ANSWER, "b", &[]);
    let tail: Vec<Request> = h.seen.requests.iter().rev().take(2).cloned().collect();
    assert_eq!(tail[1].method, Method::Ack);
    assert_eq!(
        tail[1].to_addr().unwrap().tag(),
        Some("b"),
        "§13.2.2.4: on its own dialog"
    );
    assert_eq!(tail[1].uri, "sip:b@10.0.0.9:5060");
    assert_eq!(tail[0].method, Method::Bye);
    assert_eq!(tail[0].to_addr().unwrap().tag(), Some("b"));
    // A's retransmitted 2xx is ACKed again on A; B's gets its ACK again, not a second BYE.
    respond_fork(&mut h, 200, ANSWER, "a", &[]);
    assert_eq!(h.last().to_addr().unwrap().tag(), Some("a"));
    respond_fork(&mut h, 200, ANSWER, "b", &[]);
    assert_eq!(h.last().method, Method::Ack);
    assert_eq!(sent(&h, Method::Bye).len(), 1);
    assert_eq!(h.ua.current_call(), Some((1, false)), "the call with A goes on");
}

#[test]
fn a_redirect_is_followed_and_a_loop_is_not() {
    let mut h = dialing();
    let first = last_invite(&h);
    respond(&mut h, 302, "", &[("Contact", "<sip:1002@gw2.example.test>")]);
    let second = last_invite(&h);
    assert_eq!(second.uri, "sip:1002@gw2.example.test");
    assert_eq!(
        second.headers.get("To"),
        first.headers.get("To"),
        "To stays what was dialled"
    );
    assert_eq!(second.call_id(), first.call_id());
    assert!(second.cseq().unwrap().seq > first.cseq().unwrap().seq);
    respond(&mut h, 302, "", &[("Contact", "<sip:1002@example.test>")]);
    assert_eq!(sent(&h, Method::Invite).len(), 2, "back to a tried target: no loop");
    assert!(matches!(ended(&mut h), Some(EndReason::Rejected { status: 302, .. })));
}

#[test]
fn a_prack_while_we_still_ring_leaves_the_call_answerable() {
    // The usual order with an SBC: 180 (reliable), PRACK, and the agent answers later.
    let mut far = Far::new("rel4");
    let mut h = registered_harness();
    feed(&mut h, &far.invite_with("Require: 100rel\r\n", Some(OFFER)));
    let ringing = last_response(&h).clone();
    far.to_tag = ringing.to_addr().unwrap().tag().map(str::to_string);
    let rseq = ringing.headers.get("RSeq").unwrap().to_string();
    feed(&mut h, &prack(&mut far, &format!("{rseq} 10 INVITE")));
    assert_eq!(last_response(&h).status, 200);
    assert!(h.ua.answer(h.now, 1).is_ok(), "still ringing after the PRACK");
    h.ua.media_mic_ready(h.now, 1);
    h.ua.media_local_sdp(h.now, 1, ANSWER);
    h.drain();
    let ok = last_response(&h).clone();
    assert_eq!((ok.status, ok.cseq().unwrap().method), (200, "INVITE"));
}
