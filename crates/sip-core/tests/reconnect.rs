//! Calls that survive the network and a tab that lasts a shift (issue 11), under virtual
//! time: the link lost during ringing, a call, our re-INVITE and a hangup; reconnects within
//! and beyond the limit; paced reconnects; hours of refreshes, late timers included.

mod support;

use sip_core::message::{HeaderAccess, Method, Request};
use sip_core::{CallEvent, EndReason, MediaCommand, RegistrationEvent as R};
use support::calls::*;
use support::*;

/// Drops the link and waits for the UA to connect again (returns how long that took).
fn drop_and_reconnect(h: &mut Harness) -> u64 {
    h.close();
    wait_for_connect(h)
}

fn wait_for_connect(h: &mut Harness) -> u64 {
    let (start, connects) = (h.now, h.seen.connects);
    while h.seen.connects == connects {
        let due = h.ua.poll_timeout().expect("a reconnect must be armed");
        h.advance_to(due);
    }
    h.now - start
}

fn sent_since(h: &Harness, n: usize) -> Vec<Request> {
    h.seen.requests[n..].to_vec()
}

/// The registrar answers the REGISTER on the new flow; then the call's target refresh goes: a
/// re-INVITE with our current session (no hold, no ICE restart). Returns it.
fn target_refresh(h: &mut Harness) -> Request {
    h.reply_ok(300);
    assert!(matches!(
        h.seen.media.last(),
        Some(MediaCommand::Reoffer {
            hold: false,
            ice_restart: false,
            ..
        })
    ));
    h.ua.media_local_sdp(h.now, 1, OFFER);
    h.drain();
    let refresh = h.last().clone();
    assert_eq!(refresh.method, Method::Invite);
    refresh
}

#[test]
fn a_call_whose_link_drops_is_reconnecting_and_refreshes_its_target_on_the_new_flow() {
    let mut far = Far::new("rc1");
    let invite = far.invite_with("Allow: INVITE, ACK, BYE, UPDATE\r\n", Some(OFFER));
    let mut h = answered_with(&mut far, &invite, ANSWER);
    far.cseq = 10;
    feed(&mut h, &far.in_dialog("ACK"));
    h.ua.media_state(h.now, 1, "ice_connection", "connected");
    h.drain();
    h.take_events();
    h.close();
    assert_eq!(call_events(&mut h), [CallEvent::Reconnecting { call: 1 }]);
    let waited = wait_for_connect(&mut h);
    assert!(
        waited <= 500,
        "first reconnect within 0.5 s (full jitter), took {waited} ms"
    );
    let n = h.seen.requests.len();
    h.open();
    let methods: Vec<Method> = sent_since(&h, n).into_iter().map(|r| r.method).collect();
    assert_eq!(
        methods,
        [Method::Register],
        "re-register first: the refresh waits until the edge knows the new flow"
    );
    // Then the target refresh: a re-INVITE even though the far end allows UPDATE (JsSIP moves
    // its target only for an INVITE or an UPDATE with a body).
    let refresh = target_refresh(&mut h);
    assert!(
        refresh.headers.get("Contact").is_some(),
        "a target refresh carries our Contact"
    );
    assert_eq!(
        call_events(&mut h),
        [],
        "not reconnected before the far end can reach us"
    );
    answer_request(&mut h, &refresh, 200, ANSWER);
    assert_eq!(h.last().method, Method::Ack);
    assert_eq!(call_events(&mut h), [CallEvent::Reconnected { call: 1 }]);
    assert_eq!(h.ua.current_call(), Some((1, false)));
    // The far end's BYE now reaches us and ends the call.
    feed(&mut h, &far.in_dialog("BYE"));
    assert_eq!(last_response(&h).status, 200);
}

#[test]
fn without_update_the_target_refresh_is_a_reinvite_with_our_current_session() {
    let mut far = Far::new("rc2");
    let mut h = connected(&mut far);
    drop_and_reconnect(&mut h);
    h.open();
    let reinvite = target_refresh(&mut h);
    answer_request(&mut h, &reinvite, 200, ANSWER);
    assert_eq!(h.last().method, Method::Ack);
    assert!(
        call_events(&mut h)
            .iter()
            .all(|e| !matches!(e, CallEvent::HoldChanged { .. })),
        "no hold event for a target refresh"
    );
}

#[test]
fn a_hangup_during_the_outage_goes_out_first_on_the_new_flow() {
    let mut far = Far::new("rc3");
    let mut h = connected(&mut far);
    h.close();
    let n = h.seen.requests.len();
    h.ua.hangup(h.now, 1).unwrap();
    h.drain();
    assert_eq!(h.seen.requests.len(), n, "nothing sent on a closed link");
    assert!(matches!(
        call_events(&mut h).last(),
        Some(CallEvent::Ended {
            reason: EndReason::LocalHangup,
            ..
        })
    ));
    wait_for_connect(&mut h);
    h.open();
    let sent = sent_since(&h, n);
    assert_eq!(sent[0].method, Method::Bye, "the held BYE before anything else");
    assert_eq!(sent[1].method, Method::Register);
}

#[test]
fn an_outage_past_the_limit_ends_the_call_and_its_bye_waits_for_the_link() {
    let mut far = Far::new("rc4");
    let mut h = connected(&mut far);
    h.ua.set_reconnect_limit(30_000);
    let start = h.now;
    h.close();
    // The server refuses every connection for a minute.
    while h.now < start + 60_000 {
        let due = h.ua.poll_timeout().unwrap();
        h.advance_to(due);
        if h.ua.link_state() == sip_core::LinkState::Connecting {
            h.ua.handle_transport_closed(h.now);
            h.drain();
        }
    }
    let events = call_events(&mut h);
    assert_eq!(events.first(), Some(&CallEvent::Reconnecting { call: 1 }));
    assert!(
        events.contains(&CallEvent::Ended {
            call: 1,
            reason: EndReason::ConnectionLost
        }),
        "{events:?}"
    );
    assert!(
        h.seen.requests.iter().all(|r| r.method != Method::Bye),
        "no link: nothing sent yet"
    );
    wait_for_connect(&mut h);
    let n = h.seen.requests.len();
    h.open();
    assert_eq!(
        sent_since(&h, n)[0].method,
        Method::Bye,
        "the BYE goes out once the link is back"
    );
}

#[test]
fn a_call_ringing_when_the_link_drops_can_be_answered_and_its_200_goes_out_on_the_new_flow() {
    let mut far = Far::new("rc5");
    let mut h = registered_harness();
    feed(&mut h, &far.invite());
    far.to_tag = last_response(&h).to_addr().unwrap().tag().map(str::to_string);
    h.take_events();
    h.close();
    assert_eq!(call_events(&mut h), [CallEvent::Reconnecting { call: 1 }]);
    h.ua.answer(h.now, 1).unwrap();
    h.ua.media_mic_ready(h.now, 1);
    h.ua.media_local_sdp(h.now, 1, ANSWER);
    h.drain();
    let responses = h.seen.responses.len();
    wait_for_connect(&mut h);
    h.open();
    assert_eq!(h.seen.responses[responses].status, 200, "the held 200 first");
    far.cseq = 10;
    feed(&mut h, &far.in_dialog("ACK"));
    assert!(call_events(&mut h).contains(&CallEvent::Connected { call: 1 }));
}

#[test]
fn our_reinvite_lost_with_the_link_is_sent_again_on_the_new_flow() {
    let mut far = Far::new("rc6");
    let mut h = connected(&mut far);
    let first = our_hold_reinvite(&mut h, OFFER);
    drop_and_reconnect(&mut h);
    h.open();
    h.reply_ok(300);
    // The answer to the first is lost with the old flow: the hold goes again.
    assert!(matches!(
        h.seen.media.last(),
        Some(MediaCommand::Reoffer { hold: true, .. })
    ));
    h.ua.media_local_sdp(h.now, 1, OFFER);
    h.drain();
    let again = h.last().clone();
    assert_eq!(again.method, Method::Invite);
    assert!(again.cseq().unwrap().seq > first.cseq().unwrap().seq);
    answer_request(&mut h, &again, 200, ANSWER);
    assert!(call_events(&mut h).contains(&CallEvent::HoldChanged { call: 1, held: true }));
    // A late 2xx to the first one still gets its ACK.
    let acks = h.seen.requests.iter().filter(|r| r.method == Method::Ack).count();
    answer_request(&mut h, &first, 200, ANSWER);
    assert_eq!(
        h.seen.requests.iter().filter(|r| r.method == Method::Ack).count(),
        acks + 1
    );
    assert_eq!(h.ua.current_call(), Some((1, false)));
}

#[test]
fn ten_minutes_of_refused_connections_give_a_bounded_jittered_number_of_attempts() {
    let mut h = Harness::new();
    h.register();
    let start = h.now;
    let mut attempts = vec![h.now];
    while h.now < start + 600_000 {
        h.ua.handle_transport_closed(h.now); // refused
        h.drain();
        wait_for_connect(&mut h);
        attempts.push(h.now);
    }
    let n = attempts.len();
    // Full jitter under a 30 s cap: ~15 s on average once the cap is reached.
    assert!((20..=60).contains(&n), "{n} attempts in 10 minutes");
    let gaps: Vec<u64> = attempts.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps.iter().all(|g| *g <= 30_000), "{gaps:?}");
    let late = &gaps[gaps.len() / 2..];
    assert!(late.iter().min() < late.iter().max(), "spread by jitter: {late:?}");
}

#[test]
fn check_link_cuts_a_wait_short_once_not_in_a_loop() {
    let mut h = Harness::new();
    h.register();
    for _ in 0..8 {
        h.ua.handle_transport_closed(h.now);
        h.drain();
        wait_for_connect(&mut h);
    }
    h.ua.handle_transport_closed(h.now);
    h.drain();
    let connects = h.seen.connects;
    if h.ua.poll_timeout().is_some_and(|t| t > h.now) {
        h.ua.check_link(h.now);
        h.drain();
        assert_eq!(h.seen.connects, connects + 1, "online: reconnect now");
        h.ua.handle_transport_closed(h.now);
        h.drain();
        let connects = h.seen.connects;
        h.ua.check_link(h.now);
        h.drain();
        assert!(
            h.seen.connects == connects || h.ua.poll_timeout().is_none_or(|t| t <= h.now),
            "a second 'online' does not skip the backoff again"
        );
    }
}

/// Answers every REGISTER like a registrar that challenges each refresh with a fresh nonce
/// (Exotel's edge does), granting `granted` s; returns how many REGISTERs went out.
fn serve_registrations(h: &mut Harness, until: u64, granted: u32, late_ms: impl Fn(u64) -> u64) -> Vec<u64> {
    let mut registered_at = Vec::new();
    let mut nonce = 0;
    while h.now < until {
        let due = h.ua.poll_timeout().expect("something is always armed while registered");
        // A throttled background tab: the timer fires late.
        let fire = due + late_ms(due);
        h.now = h.now.max(fire);
        h.ua.handle_timeout(h.now);
        h.drain();
        let last = h.last().clone();
        if last.method == Method::Register && h.seen.responses.len() < usize::MAX {
            let answered = registered_at.len();
            if last
                .headers
                .get("Authorization")
                .is_none_or(|a| !a.contains(&format!("nonce=\"n{nonce}\"")))
            {
                nonce += 1;
                h.challenge(&format!("n{nonce}"), true);
            }
            if h.last().method == Method::Register && registered_at.len() == answered {
                h.reply_ok(granted);
                registered_at.push(h.now);
            }
        }
        let pings = h.seen.pings;
        if pings > 0 {
            h.ua.handle_text(h.now, "\r\n");
            h.drain();
        }
    }
    registered_at
}

#[test]
fn eight_hours_of_refreshes_with_re_challenges_never_let_the_binding_lapse() {
    let mut h = Harness::new();
    h.register();
    h.open();
    h.challenge("n0", false);
    h.reply_ok(300);
    let eight_hours = 8 * 3_600_000;
    let at = serve_registrations(&mut h, eight_hours, 300, |_| 0);
    assert!(at.len() >= 8 * 3600 / 300, "{} refreshes", at.len());
    let gaps: Vec<u64> = at.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(
        gaps.iter().all(|g| *g < 300_000),
        "every refresh within the 300 s granted: {gaps:?}"
    );
    assert!(reg_events(&mut h)
        .iter()
        .all(|e| !matches!(e, R::Failed(_) | R::Unregistered)));
}

#[test]
fn a_background_tab_whose_timers_fire_a_minute_late_still_keeps_its_binding() {
    // Chrome's intensive throttling: a hidden tab's timers run once a minute at most.
    let mut h = Harness::new();
    h.register();
    h.open();
    h.challenge("n0", false);
    h.reply_ok(300);
    let at = serve_registrations(&mut h, 8 * 3_600_000, 300, |due| 60_000 - due % 60_000);
    let gaps: Vec<u64> = at.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(!gaps.is_empty());
    assert!(
        gaps.iter().all(|g| *g < 300_000),
        "a refresh before each binding lapsed: {gaps:?}"
    );
}

#[test]
fn a_connection_check_on_a_server_that_never_pongs_is_a_register_whose_silence_reconnects() {
    // Kamailio's WebSocket module ignores CRLF pings: after a network change the page checks
    // its flow with a REGISTER refresh, which every registrar answers.
    let mut far = Far::new("rc7");
    let mut h = connected(&mut far);
    let n = h.seen.requests.len();
    h.ua.check_link(h.now);
    h.drain();
    assert_eq!(
        sent_since(&h, n).iter().map(|r| &r.method).collect::<Vec<_>>(),
        [&Method::Register]
    );
    // Answered: the flow lives.
    h.reply_ok(300);
    h.advance(20_000);
    assert_eq!(h.seen.closes, 0);
    // Unanswered (the path changed under the socket): closed and replaced after 5 s.
    h.ua.check_link(h.now);
    h.drain();
    assert_eq!(h.last().method, Method::Register);
    let asked = h.now;
    h.advance(4_999);
    assert_eq!(h.seen.closes, 0);
    h.advance(1);
    assert_eq!(h.seen.closes, 1, "dead 5 s after the unanswered check");
    assert_eq!(call_events(&mut h).first(), Some(&CallEvent::Reconnecting { call: 1 }));
    let waited = wait_for_connect(&mut h);
    assert!(
        h.now - asked <= 5_000 + waited && waited <= 500,
        "reconnect within 0.5 s"
    );
}

#[test]
fn a_refresh_waits_for_the_register_but_not_for_a_registrar_that_refuses_it() {
    let mut far = Far::new("rc8");
    let mut h = connected(&mut far);
    drop_and_reconnect(&mut h);
    let media = h.seen.media.len();
    h.open();
    assert_eq!(h.last().method, Method::Register);
    assert_eq!(h.seen.media.len(), media, "no offer before the registrar answers");
    h.reply(403, &[]);
    assert!(
        matches!(h.seen.media.last(), Some(MediaCommand::Reoffer { .. })),
        "the call refreshes its target anyway"
    );
}

#[test]
fn a_refused_target_refresh_ends_the_call_as_connection_lost() {
    // An edge that routes in-dialog requests by flow token answers 430 Flow Failed: the far end
    // can never reach the call again, so it ends now rather than look reconnected.
    let mut far = Far::new("rc9");
    let mut h = connected(&mut far);
    drop_and_reconnect(&mut h);
    h.open();
    let refresh = target_refresh(&mut h);
    answer_request(&mut h, &refresh, 430, "");
    let events = call_events(&mut h);
    assert!(!events.contains(&CallEvent::Reconnected { call: 1 }), "{events:?}");
    assert!(
        events.contains(&CallEvent::Ended {
            call: 1,
            reason: EndReason::ConnectionLost
        }),
        "{events:?}"
    );
    assert_eq!(
        h.last().method,
        Method::Bye,
        "a BYE all the same, for edges that route it"
    );
    assert_eq!(h.ua.current_call(), None);
}

#[test]
fn the_network_back_restarts_a_connected_calls_ice_once_within_the_rate_limit() {
    let mut far = Far::new("rc10");
    let mut h = connected(&mut far);
    let ice_restarts = |h: &Harness| {
        h.seen
            .media
            .iter()
            .filter(|m| matches!(m, MediaCommand::Reoffer { ice_restart: true, .. }))
            .count()
    };
    h.ua.network_back(h.now);
    h.drain();
    assert_eq!(ice_restarts(&h), 1, "a new path for the media on the new network");
    let reinvite = {
        h.ua.media_local_sdp(h.now, 1, OFFER);
        h.drain();
        h.last().clone()
    };
    answer_request(&mut h, &reinvite, 200, ANSWER);
    // ICE then fails as well (the same network change): one policy, one restart per 10 s.
    h.advance(3_000);
    h.ua.media_state(h.now, 1, "ice_connection", "failed");
    h.ua.network_back(h.now);
    h.drain();
    assert_eq!(ice_restarts(&h), 1, "rate-limited");
    h.advance(10_000);
    h.ua.network_back(h.now);
    h.drain();
    assert_eq!(ice_restarts(&h), 2);

    // A call still ringing has no media path to restart.
    let far = Far::new("rc11");
    let mut h = registered_harness();
    feed(&mut h, &far.invite());
    h.ua.network_back(h.now);
    h.drain();
    assert_eq!(ice_restarts(&h), 0);
}
