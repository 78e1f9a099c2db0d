//! One in-dialog machine for both call directions (RFC 3261 §12–§15): what the far end may
//! send in a call we placed, target refresh, challenges to our in-dialog requests, responses
//! that end the dialog, and the INVITE transaction's edges (challenges, Expires, a 2xx we
//! cannot use).

mod support;

use sip_core::message::{HeaderAccess, Method, Request};
use sip_core::sdp::Direction;
use sip_core::{CallEvent, EndReason, MediaCommand};
use support::calls::*;
use support::*;

const HELD_OFFER: &str =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendonly\r\n";

fn last_media(h: &Harness) -> MediaCommand {
    h.seen.media.last().cloned().expect("no media command")
}

fn ended(h: &mut Harness) -> Option<EndReason> {
    call_events(h).into_iter().find_map(|e| match e {
        CallEvent::Ended { reason, .. } => Some(reason),
        _ => None,
    })
}

fn proxy_challenge(realm: &str, nonce: &str) -> String {
    format!("Digest realm=\"{realm}\", nonce=\"{nonce}\", algorithm=MD5, qop=\"auth\"")
}

#[test]
fn calls_we_placed_take_every_mid_call_request_of_the_far_end() {
    // The review's P0-2: re-INVITE and UPDATE got 488, INFO 501.
    let mut h = out_connected();
    callee_says(&mut h, "INVITE", 2, "application/sdp", HELD_OFFER);
    assert_eq!(
        last_media(&h),
        MediaCommand::AnswerReoffer {
            call: 1,
            sdp: HELD_OFFER.into(),
            direction: Direction::RecvOnly
        }
    );
    h.ua.media_local_sdp(h.now, 1, ANSWER);
    h.drain();
    assert_eq!(last_response(&h).status, 200);
    assert_eq!(call_events(&mut h), [CallEvent::RemoteHold { call: 1, held: true }]);
    callee_says(&mut h, "ACK", 2, "", "");
    callee_says(&mut h, "UPDATE", 3, "", "");
    assert_eq!(last_response(&h).status, 200, "session refresh by UPDATE");
    callee_says(
        &mut h,
        "INFO",
        4,
        "application/dtmf-relay",
        "Signal=5\r\nDuration=160\r\n",
    );
    assert_eq!(last_response(&h).status, 200);
    callee_says(&mut h, "INFO", 3, "", "");
    assert_eq!(last_response(&h).status, 500, "§12.2.2: an older CSeq is out of order");
    callee_says(&mut h, "INVITE", 5, "", "");
    assert!(
        matches!(last_media(&h), MediaCommand::Reoffer { .. }),
        "an offerless re-INVITE asks us for an offer"
    );
    callee_says(&mut h, "OPTIONS", 6, "", "");
    assert_eq!(last_response(&h).status, 200, "dialog keep-alive (Kamailio ka_timer)");
}

#[test]
fn a_target_refresh_moves_where_our_requests_go() {
    let mut far = Far::new("t1");
    let mut h = connected(&mut far);
    let reinvite = far.in_dialog_with("INVITE", "application/sdp", OFFER).replace(
        "CSeq: 11 INVITE\r\n",
        "CSeq: 11 INVITE\r\nContact: <sip:newfar@10.0.0.77>\r\n",
    );
    feed(&mut h, &reinvite);
    h.ua.media_local_sdp(h.now, 1, ANSWER);
    h.drain();
    feed(&mut h, &far.in_dialog("ACK"));
    h.ua.send_info_dtmf(h.now, 1, '1').unwrap();
    h.drain();
    assert_eq!(h.last().uri, "sip:newfar@10.0.0.77", "§12.2.2: the re-INVITE's Contact");

    // The 2xx to our own re-INVITE refreshes it too (§12.2.1.2).
    let ours = our_hold_reinvite(&mut h, OFFER);
    let mut ok = sip_core::message::Response {
        status: 200,
        reason: "OK".into(),
        headers: sip_core::message::Headers::new(),
        body: ANSWER.into(),
    };
    for name in ["Via", "From", "To", "Call-ID", "CSeq"] {
        ok.headers.push(name, ours.headers.get(name).unwrap());
    }
    ok.headers.push("Contact", "<sip:moved@10.0.0.88:5070>");
    ok.headers.push("Content-Type", "application/sdp");
    feed(&mut h, &ok.to_string());
    h.ua.hangup(h.now, 1).unwrap();
    h.drain();
    assert_eq!(h.last().method, Method::Bye);
    assert_eq!(h.last().uri, "sip:moved@10.0.0.88:5070");
}

#[test]
fn a_481_to_our_info_means_the_dialog_is_gone() {
    let mut far = Far::new("g1");
    let mut h = connected(&mut far);
    h.ua.send_info_dtmf(h.now, 1, '7').unwrap();
    h.drain();
    let info = h.last().clone();
    answer_request(&mut h, &info, 481, "");
    assert!(
        matches!(ended(&mut h), Some(EndReason::RemoteHangup { reason: Some(r) }) if r.contains("481")),
        "RFC 5057 §5.1"
    );
    assert_eq!(h.ua.current_call(), None);

    let mut far = Far::new("g2");
    let mut h = connected(&mut far);
    h.ua.send_info_dtmf(h.now, 1, '7').unwrap();
    h.drain();
    let info = h.last().clone();
    answer_request(&mut h, &info, 488, "");
    assert_eq!(
        h.ua.current_call(),
        Some((1, false)),
        "other failures only lose the digit"
    );
}

#[test]
fn challenged_requests_in_the_dialog_are_sent_again_with_credentials() {
    let mut far = Far::new("a1");
    let mut h = connected(&mut far);
    let reinvite = our_hold_reinvite(&mut h, OFFER);
    let mut resp = far_response(&reinvite, 407);
    resp.headers
        .push("Proxy-Authenticate", proxy_challenge("example.test", "pn1"));
    feed(&mut h, &resp.to_string());
    let sent: Vec<Request> = h.seen.requests.iter().rev().take(2).cloned().collect();
    assert_eq!(sent[1].method, Method::Ack, "the 407 is ACKed (§17.1.1.3)");
    let again = &sent[0];
    assert_eq!(again.method, Method::Invite);
    assert!(
        again.cseq().unwrap().seq > reinvite.cseq().unwrap().seq,
        "§22.2: a new CSeq"
    );
    assert!(again
        .headers
        .get("Proxy-Authorization")
        .unwrap()
        .contains("nonce=\"pn1\""));
    assert_eq!(again.body, OFFER);
    answer_request(&mut h, again, 200, ANSWER);
    let ack = h.last().clone();
    assert_eq!(ack.method, Method::Ack);
    assert!(
        ack.headers.get("Proxy-Authorization").is_some(),
        "§13.2.2.4: the ACK carries the INVITE's credentials"
    );
    assert_eq!(call_events(&mut h), [CallEvent::HoldChanged { call: 1, held: true }]);

    // An INFO challenged by the far end (401) goes again, with both realms now.
    h.ua.send_info_dtmf(h.now, 1, '3').unwrap();
    h.drain();
    let info = h.last().clone();
    let mut resp = far_response(&info, 401);
    resp.headers
        .push("WWW-Authenticate", proxy_challenge("far.test", "wn1"));
    feed(&mut h, &resp.to_string());
    let again = h.last().clone();
    assert_eq!(again.method, Method::Info);
    assert!(again
        .headers
        .get("Authorization")
        .unwrap()
        .contains("realm=\"far.test\""));
    assert!(
        again.headers.get("Proxy-Authorization").is_some(),
        "RFC 3261 §22.3: per realm"
    );
    // The same challenge again: the credentials are wrong; no loop.
    let mut resp = far_response(&again, 401);
    resp.headers
        .push("WWW-Authenticate", proxy_challenge("far.test", "wn1"));
    let sent = h.seen.requests.len();
    feed(&mut h, &resp.to_string());
    assert_eq!(h.seen.requests.len(), sent);
}

#[test]
fn our_invite_challenged_by_a_proxy_then_the_far_end_is_answered_for_both() {
    let mut h = dialing();
    let first = last_invite(&h);
    respond(
        &mut h,
        407,
        "",
        &[("Proxy-Authenticate", &proxy_challenge("proxy.test", "p1"))],
    );
    let second = last_invite(&h);
    assert!(second.cseq().unwrap().seq > first.cseq().unwrap().seq);
    assert!(second.headers.get("Proxy-Authorization").is_some());
    respond(
        &mut h,
        401,
        "",
        &[("WWW-Authenticate", &proxy_challenge("far.test", "w1"))],
    );
    let third = last_invite(&h);
    assert!(
        third.headers.get("Proxy-Authorization").is_some(),
        "the proxy realm is kept"
    );
    assert!(third.headers.get("Authorization").is_some());
    respond(&mut h, 200, ANSWER, &[]);
    let ack = h.last().clone();
    assert_eq!(ack.method, Method::Ack);
    assert!(
        ack.headers.get("Proxy-Authorization").is_some() && ack.headers.get("Authorization").is_some(),
        "§13.2.2.4: the ACK carries the credentials of the INVITE"
    );
}

#[test]
fn a_hangup_before_the_first_response_is_not_lost_to_a_challenge() {
    // The review's P1-9: the INVITE went out again with credentials and the call connected.
    let mut h = dialing();
    h.ua.hangup(h.now, 1).unwrap();
    h.drain();
    let invites = h.seen.requests.iter().filter(|r| r.method == Method::Invite).count();
    respond(
        &mut h,
        407,
        "",
        &[("Proxy-Authenticate", &proxy_challenge("proxy.test", "p1"))],
    );
    assert_eq!(h.last().method, Method::Ack);
    assert_eq!(
        h.seen.requests.iter().filter(|r| r.method == Method::Invite).count(),
        invites,
        "no INVITE after the hangup"
    );
    assert_eq!(ended(&mut h), Some(EndReason::LocalCancel));
    assert_eq!(h.ua.current_call(), None);
}

#[test]
fn a_2xx_without_contact_is_acked_then_ended() {
    let mut h = dialing();
    let inv = last_invite(&h);
    let mut ok = far_response(&inv, 200);
    ok.headers.remove("To");
    ok.headers
        .push("To", format!("{};tag=nocontact", inv.headers.get("To").unwrap()));
    ok.headers.push("Content-Type", "application/sdp");
    ok.body = ANSWER.into();
    feed(&mut h, &ok.to_string());
    let sent: Vec<Method> = h.seen.requests.iter().rev().take(2).map(|r| r.method.clone()).collect();
    assert_eq!(
        sent,
        [Method::Bye, Method::Ack],
        "the far end stops retransmitting its 200"
    );
    assert_eq!(h.last().uri, inv.uri, "no Contact: the Request-URI is all we have");
    assert!(matches!(ended(&mut h), Some(EndReason::Rejected { .. })));
}

#[test]
fn an_invite_expires_lapse_is_487_and_our_own_limit_480() {
    let far = Far::new("e1");
    let mut h = registered_harness();
    feed(&mut h, &far.invite_with("Expires: 20\r\n", Some(OFFER)));
    h.advance(20_000);
    assert_eq!(last_response(&h).status, 487, "§13.3.1");
    let far = Far::new("e2");
    feed(&mut h, &far.invite());
    h.advance(60_000);
    assert_eq!(last_response(&h).status, 480, "3.0.10's 60 s no-answer");
}

#[test]
fn a_bye_crossing_their_pending_reinvite_completes_it_with_487() {
    let mut far = Far::new("b1");
    let mut h = connected(&mut far);
    feed(&mut h, &far.in_dialog_with("INVITE", "application/sdp", OFFER));
    let reinvite_seq = far.cseq;
    feed(&mut h, &far.in_dialog("BYE"));
    let finals = last_responses(&h, 2);
    assert!(finals.contains(&(200, "BYE".to_string())));
    assert!(finals.contains(&(487, "INVITE".to_string())), "{finals:?}");
    assert!(h
        .seen
        .responses
        .iter()
        .any(|r| r.status == 487 && r.cseq().unwrap().seq == reinvite_seq));
}

/// A bare response of the far end to `req` (Via, From, To, Call-ID, CSeq copied).
fn far_response(req: &Request, status: u16) -> sip_core::message::Response {
    let mut h = sip_core::message::Headers::new();
    for name in ["Via", "From", "To", "Call-ID", "CSeq"] {
        for v in req.headers.get_all(name) {
            h.push(name, v);
        }
    }
    sip_core::message::Response {
        status,
        reason: "R".into(),
        headers: h,
        body: String::new(),
    }
}

#[test]
fn a_bye_challenged_after_the_call_ended_is_sent_again_with_credentials() {
    let mut far = Far::new("af1");
    let mut h = connected(&mut far);
    h.ua.hangup(h.now, 1).unwrap();
    h.drain();
    assert_eq!(h.ua.current_call(), None, "the call ends at once for the app");
    let bye = h.last().clone();
    let mut resp = far_response(&bye, 407);
    resp.headers
        .push("Proxy-Authenticate", proxy_challenge("example.test", "bn1"));
    feed(&mut h, &resp.to_string());
    let again = h.last().clone();
    assert_eq!(
        again.method,
        Method::Bye,
        "the far leg must not stay up (RFC 3261 §22.2)"
    );
    assert_eq!(again.cseq().unwrap().seq, bye.cseq().unwrap().seq + 1);
    assert!(again.headers.get("Proxy-Authorization").unwrap().contains("bn1"));
    assert_eq!(again.headers.get("Reason"), bye.headers.get("Reason"));
    assert_ne!(again.top_via().unwrap().branch(), bye.top_via().unwrap().branch());
    // Once only for credentials that keep failing.
    let mut resp = far_response(&again, 407);
    resp.headers
        .push("Proxy-Authenticate", proxy_challenge("example.test", "bn1"));
    let count = h.seen.requests.len();
    feed(&mut h, &resp.to_string());
    assert_eq!(h.seen.requests.len(), count);
}

#[test]
fn a_2xx_from_another_fork_after_the_call_ended_is_acked_and_ended() {
    let mut h = dialing();
    respond_fork(&mut h, 200, ANSWER, "a", &[]);
    h.ua.hangup(h.now, 1).unwrap();
    h.drain();
    respond_fork(&mut h, 200, ANSWER, "late", &[]);
    let tail: Vec<Request> = h.seen.requests.iter().rev().take(2).cloned().collect();
    assert_eq!(tail[1].method, Method::Ack);
    assert_eq!(tail[1].to_addr().unwrap().tag(), Some("late"));
    assert_eq!(tail[0].method, Method::Bye);
    assert_eq!(tail[0].to_addr().unwrap().tag(), Some("late"));
    respond_fork(&mut h, 200, ANSWER, "late", &[]);
    assert_eq!(
        h.last().method,
        Method::Ack,
        "its retransmission gets the ACK again only"
    );
    h.advance(180_000);
    let count = h.seen.requests.iter().filter(|r| r.method != Method::Register).count();
    respond_fork(&mut h, 200, ANSWER, "later", &[]);
    assert_eq!(
        h.seen.requests.iter().filter(|r| r.method != Method::Register).count(),
        count,
        "forgotten after three minutes"
    );
}

// ---- Transactions found by the long fuzz run (issue 10) ---------------------------------------

#[test]
fn an_invite_reusing_a_calls_branch_from_another_sent_by_is_a_transaction_of_its_own() {
    // §17.2.3: branch *and* sent-by identify a server transaction.
    let far = Far::new("t1");
    let mut h = registered_harness();
    feed(&mut h, &far.invite());
    assert_eq!(last_response(&h).status, 180);
    let other = far
        .invite()
        .replace("Via: SIP/2.0/WS 127.0.0.1:5066;", "Via: SIP/2.0/WS 127.0.0.9:5066;");
    feed(&mut h, &other);
    let resp = last_response(&h);
    assert_eq!(resp.status, 486, "a second INVITE, not a retransmission of the first");
    assert_eq!(resp.top_via().unwrap().host, "127.0.0.9:5066");
    assert_eq!(h.ua.current_call(), Some((1, true)), "the first call still rings");
}

#[test]
fn a_retransmitted_request_we_refused_gets_the_same_refusal_once_its_dialog_exists() {
    // The callee's early re-INVITE arrives before our redirected INVITE made its dialog: 481.
    // Retransmitted after the dialog exists, it is the same transaction: 481 again.
    let mut h = dialing();
    respond(&mut h, 180, "", &[]);
    respond_fork(&mut h, 302, "", "other", &[("Contact", "<sip:1002@gw2.example.test>")]);
    let early = callee_request(&h, "INVITE", 435, "", "");
    feed(&mut h, &early);
    assert_eq!(last_response(&h).status, 481);
    respond(&mut h, 200, ANSWER, &[]);
    assert_eq!(h.last().method, Method::Ack);
    let media = h.seen.media.len();
    feed(&mut h, &early);
    assert_eq!(
        last_responses(&h, 2),
        [(481, "INVITE".to_string()), (481, "INVITE".to_string())]
    );
    assert_eq!(h.seen.media.len(), media, "not taken for a new offerless re-INVITE");
}

#[test]
fn a_late_2xx_to_an_ended_calls_reinvite_is_acked_while_a_call_with_the_same_call_id_rings() {
    let mut far = Far::new("t3");
    let mut h = connected(&mut far);
    let reinvite = our_hold_reinvite(&mut h, OFFER);
    h.ua.hangup(h.now, 1).unwrap();
    h.drain();
    // Another dialog of the same Call-ID (§12: the tags tell them apart).
    let second = far
        .invite()
        .replace("tag=far1", "tag=far2")
        .replace("branch=z9hG4bK-t3", "branch=z9hG4bK-t3b");
    feed(&mut h, &second);
    assert_eq!(h.ua.current_call(), Some((2, true)));
    let acks = h.seen.requests.iter().filter(|r| r.method == Method::Ack).count();
    answer_request(&mut h, &reinvite, 200, ANSWER);
    let ack = h.last();
    assert_eq!(ack.method, Method::Ack, "the ended call's late 2xx gets its ACK");
    assert_eq!(ack.cseq().unwrap().seq, reinvite.cseq().unwrap().seq);
    assert_eq!(
        h.seen.requests.iter().filter(|r| r.method == Method::Ack).count(),
        acks + 1
    );
    assert_eq!(h.ua.current_call(), Some((2, true)), "the ringing call is untouched");
}
