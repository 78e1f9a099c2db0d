//! Whole-UA fuzzing with protocol invariants (issue 9): the short run, part of
//! `cargo test -p sip-core`, and the checker's own tests, each invariant shown to fire on a
//! planted violation and to stay quiet on the legal behaviour next to it.
//!
//! The long run is `make fuzz` (examples/ua_fuzz.rs). To look at one sequence:
//! `UA_FUZZ_REPRO=<seed> UA_FUZZ_PROFILE=<profile> cargo test -p sip-core --test ua_fuzz repro -- --nocapture`
//! shrinks its violations and prints each as Rust against the `UserAgent` API
//! (`UA_FUZZ_TRACE=<seed>` prints the whole run unshrunk).

#[path = "support/fuzz/mod.rs"]
mod fuzz;

use fuzz::checker::{Checker, Kind, Stimulus};
use fuzz::gen::Profile;
use fuzz::{rng, Findings};
use sip_core::message::{parse, Message};
use sip_core::{CallEvent, EndReason, Event, IncomingCall, MediaCommand, Output};

// -------------------------------------------------------------------------------------------
// The short run.

/// Sequences per profile in `cargo test` (about 150 inputs each; the long run does millions).
const SHORT_SEQUENCES: u64 = 1_200;
/// Findings shrunk and printed per profile, and reruns each may take.
const SHOWN: usize = 6;
const SHRINK_BUDGET: usize = 400;

fn short_run(profile: Profile, base: u64) {
    let sequences = std::env::var("UA_FUZZ_SEQUENCES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SHORT_SEQUENCES);
    let mut found = Findings::default();
    for n in 0..sequences {
        found.run_one(rng::sequence_seed(base, n), profile);
    }
    println!(
        "{} profile: {} sequences, {} inputs, {} distinct violations",
        profile.name(),
        found.sequences,
        found.inputs,
        found.by_sig.len()
    );
    if found.by_sig.is_empty() {
        return;
    }
    let mut summary = String::new();
    for (i, ((kind, sig), (finding, count))) in found.by_sig.iter().enumerate() {
        summary.push_str(&format!(
            "  {count:4}x [{}] {sig}  (seed {:#x})\n",
            kind.name(),
            finding.seed
        ));
        if i < SHOWN {
            println!("{}", fuzz::reproduce(finding, SHRINK_BUDGET));
        }
    }
    panic!(
        "{} profile: invariant violations (each shrunk and printed above, first {SHOWN}):\n{summary}",
        profile.name()
    );
}

#[test]
fn short_run_registration() {
    short_run(Profile::Registration, 0x5eed_0001);
}

#[test]
fn short_run_incoming_calls() {
    short_run(Profile::Incoming, 0x5eed_0002);
}

#[test]
fn short_run_outgoing_calls() {
    short_run(Profile::Outgoing, 0x5eed_0003);
}

#[test]
fn short_run_mixed() {
    short_run(Profile::Mixed, 0x5eed_0004);
}

/// A seed is all a failure needs to be seen again.
#[test]
fn sequences_are_deterministic() {
    for n in 0..20 {
        let seed = rng::sequence_seed(77, n);
        let profile = Profile::ALL[n as usize % 4];
        let a = fuzz::actions(seed, profile);
        assert_eq!(a, fuzz::actions(seed, profile));
        let one = fuzz::harness::run(seed, &a, true);
        let two = fuzz::harness::run(seed, &a, true);
        assert_eq!(one.inputs, two.inputs);
        assert_eq!(one.transcript, two.transcript);
        assert_eq!(one.violations, two.violations);
    }
}

/// `UA_FUZZ_REPRO=<seed> UA_FUZZ_PROFILE=<profile> [UA_FUZZ_SIG=<part of a signature>]`:
/// shrinks that sequence's violations and prints each as Rust.
#[test]
fn repro() {
    let Some(seed) = std::env::var("UA_FUZZ_REPRO").ok().and_then(|s| fuzz::parse_u64(&s)) else {
        return;
    };
    let profile = env_profile();
    let want = std::env::var("UA_FUZZ_SIG").unwrap_or_default();
    let actions = fuzz::actions(seed, profile);
    let out = fuzz::harness::run(seed, &actions, false);
    for v in out.violations.iter().filter(|v| v.sig.contains(&want)) {
        let f = fuzz::Finding {
            violation: v.clone(),
            seed,
            profile,
            actions: actions.clone(),
        };
        println!("{}", fuzz::reproduce(&f, 3_000));
    }
}

/// `UA_FUZZ_TRACE=<seed> UA_FUZZ_PROFILE=<profile>`: the whole run, unshrunk.
#[test]
fn trace() {
    let Some(seed) = std::env::var("UA_FUZZ_TRACE").ok().and_then(|s| fuzz::parse_u64(&s)) else {
        return;
    };
    let actions = fuzz::actions(seed, env_profile());
    let out = fuzz::harness::run(seed, &actions, true);
    for a in &actions {
        println!("{a:?}");
    }
    for l in &out.transcript {
        println!("{l}");
    }
    for v in &out.violations {
        println!("{v}");
    }
}

fn env_profile() -> Profile {
    std::env::var("UA_FUZZ_PROFILE")
        .ok()
        .and_then(|p| fuzz::profile_named(&p))
        .unwrap_or(Profile::Mixed)
}

// -------------------------------------------------------------------------------------------
// The checker: each invariant fires on a planted violation, and not on the legal case beside it.

const INVITE: &str = "INVITE sip:ua@192.0.2.1;transport=ws SIP/2.0\r\nVia: SIP/2.0/WSS 198.51.100.7:443;branch=z9hG4bKin1\r\nFrom: <sip:far@example.test>;tag=far1\r\nTo: <sip:1001@example.test>\r\nCall-ID: in-call\r\nCSeq: 10 INVITE\r\nContact: <sip:far@10.0.0.5>\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n";

/// Our response to INVITE with this status and To tag.
fn response_to_invite(status: u16, tag: &str) -> String {
    let to = if status == 100 {
        String::new()
    } else {
        format!(";tag={tag}")
    };
    format!("SIP/2.0 {status} X\r\nVia: SIP/2.0/WSS 198.51.100.7:443;branch=z9hG4bKin1\r\nFrom: <sip:far@example.test>;tag=far1\r\nTo: <sip:1001@example.test>{to}\r\nCall-ID: in-call\r\nCSeq: 10 INVITE\r\n\r\n")
}

/// The far end's ACK for our non-2xx final (same branch, §17.1.1.3).
const ACK_NON_2XX: &str = "ACK sip:ua@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/WSS 198.51.100.7:443;branch=z9hG4bKin1\r\nFrom: <sip:far@example.test>;tag=far1\r\nTo: <sip:1001@example.test>;tag=ua1\r\nCall-ID: in-call\r\nCSeq: 10 ACK\r\n\r\n";

/// An INVITE of ours, and what comes back and goes out for it.
fn our_invite(branch: &str, cseq: u32) -> String {
    format!("INVITE sip:bob@example.test SIP/2.0\r\nVia: SIP/2.0/WSS 192.0.2.9;branch={branch}\r\nFrom: <sip:1001@example.test>;tag=me\r\nTo: <sip:bob@example.test>\r\nCall-ID: out-call\r\nCSeq: {cseq} INVITE\r\nContact: <sip:x@192.0.2.9>\r\n\r\n")
}

fn ok_to_our_invite(branch: &str, cseq: u32, tag: &str) -> String {
    format!("SIP/2.0 200 OK\r\nVia: SIP/2.0/WSS 192.0.2.9;branch={branch}\r\nFrom: <sip:1001@example.test>;tag=me\r\nTo: <sip:bob@example.test>;tag={tag}\r\nCall-ID: out-call\r\nCSeq: {cseq} INVITE\r\nContact: <sip:bob@10.0.0.{}>\r\n\r\n", tag.len())
}

fn status_to_our_invite(branch: &str, cseq: u32, status: u16) -> String {
    format!("SIP/2.0 {status} X\r\nVia: SIP/2.0/WSS 192.0.2.9;branch={branch}\r\nFrom: <sip:1001@example.test>;tag=me\r\nTo: <sip:bob@example.test>;tag=t\r\nCall-ID: out-call\r\nCSeq: {cseq} INVITE\r\n\r\n")
}

fn our_request(method: &str, branch: &str, cseq: u32, to_tag: &str) -> String {
    let to = if to_tag.is_empty() {
        String::new()
    } else {
        format!(";tag={to_tag}")
    };
    format!("{method} sip:bob@10.0.0.5 SIP/2.0\r\nVia: SIP/2.0/WSS 192.0.2.9;branch={branch}\r\nFrom: <sip:1001@example.test>;tag=me\r\nTo: <sip:bob@example.test>{to}\r\nCall-ID: out-call\r\nCSeq: {cseq} {method}\r\n\r\n")
}

fn register(branch: &str, cseq: u32) -> String {
    format!("REGISTER sip:example.test SIP/2.0\r\nVia: SIP/2.0/WSS 192.0.2.9;branch={branch}\r\nFrom: <sip:1001@example.test>;tag=reg\r\nTo: <sip:1001@example.test>\r\nCall-ID: reg-call\r\nCSeq: {cseq} REGISTER\r\nContact: <sip:x@192.0.2.9>\r\n\r\n")
}

fn register_response(branch: &str, cseq: u32, status: u16) -> String {
    format!("SIP/2.0 {status} X\r\nVia: SIP/2.0/WSS 192.0.2.9;branch={branch}\r\nFrom: <sip:1001@example.test>;tag=reg\r\nTo: <sip:1001@example.test>;tag=r\r\nCall-ID: reg-call\r\nCSeq: {cseq} REGISTER\r\n\r\n")
}

fn msg(text: &str) -> Message {
    parse(text.as_bytes()).unwrap_or_else(|e| panic!("test message does not parse ({e}):\n{text}"))
}

/// A checker with the transport open, as after `handle_transport_open`.
fn open_checker() -> Checker {
    let mut c = Checker::new();
    c.output(&Output::Connect { url: "wss://x".into() }, None);
    c.input(0, Stimulus::Open);
    c
}

fn recv(c: &mut Checker, now: u64, text: &str) {
    let m = msg(text);
    c.input(now, Stimulus::Frame(text, Some(&m)));
}

fn send(c: &mut Checker, text: &str) {
    let m = parse(text.as_bytes()).ok();
    c.output(&Output::Send(text.to_string()), m.as_ref());
}

fn tick(c: &mut Checker, now: u64) {
    c.input(now, Stimulus::Other);
}

fn kinds(c: &mut Checker) -> Vec<Kind> {
    c.finish();
    c.violations().iter().map(|v| v.kind).collect()
}

fn sigs(c: &Checker) -> Vec<String> {
    c.violations().iter().map(|v| v.sig.clone()).collect()
}

#[test]
fn checker_panic_is_caught_with_where_it_happened() {
    // The harness's guard; an explicit overflow panic so the test means the
    // same with or without overflow checks (release builds have none).
    let err = fuzz::harness::guarded(|| {
        let x: u32 = std::hint::black_box(u32::MAX);
        let _ = std::hint::black_box(x.checked_add(1).expect("add overflow"));
    })
    .unwrap_err();
    assert!(err.contains("overflow"), "{err}");
    assert!(err.contains("ua_fuzz.rs:"), "{err}");
    assert!(fuzz::harness::guarded(|| {}).is_ok());
    let mut c = open_checker();
    c.panic(&err);
    assert_eq!(kinds(&mut c), [Kind::Panic]);
}

#[test]
fn checker_every_sent_frame_parses() {
    let mut c = open_checker();
    send(&mut c, &register("z9hG4bKr1", 1));
    send(&mut c, "\r\n\r\n");
    send(&mut c, "\r\n");
    tick(&mut c, 0);
    assert_eq!(kinds(&mut c), []);
    let mut c = open_checker();
    send(
        &mut c,
        "REGISTER sip:example.test SIP/2.0\r\nVia: SIP/2.0/WSS h;branch=z9hG4bKx\r\nContent-Length: 5\r\n\r\n",
    );
    assert_eq!(kinds(&mut c), [Kind::Unparsable]);
}

#[test]
fn checker_one_final_response_per_server_transaction() {
    // Legal: 100, 180, 200, and the 2xx retransmitted (§13.3.1.4), also after the ACK.
    let mut c = open_checker();
    recv(&mut c, 0, INVITE);
    for s in [100, 180, 200] {
        send(&mut c, &response_to_invite(s, "ua1"));
    }
    tick(&mut c, 500);
    send(&mut c, &response_to_invite(200, "ua1"));
    assert_eq!(kinds(&mut c), []);
    // Legal: a copy of the INVITE after the transaction ended (ACK of the 486) is a new
    // request to the UA; so is one 64·T1 after a 2xx (RFC 6026 Accepted state over).
    let mut c = open_checker();
    recv(&mut c, 0, INVITE);
    send(&mut c, &response_to_invite(486, "ua1"));
    recv(&mut c, 10, ACK_NON_2XX);
    recv(&mut c, 20, INVITE);
    send(&mut c, &response_to_invite(100, ""));
    send(&mut c, &response_to_invite(480, "ua2"));
    let mut c2 = open_checker();
    recv(&mut c2, 0, INVITE);
    send(&mut c2, &response_to_invite(200, "ua1"));
    recv(&mut c2, 32_000, INVITE);
    send(&mut c2, &response_to_invite(486, "ua9"));
    assert_eq!(kinds(&mut c), []);
    assert_eq!(kinds(&mut c2), []);
    // Legal: the far end reused the transaction's key for another message: no verdict.
    let mut c = open_checker();
    recv(&mut c, 0, INVITE);
    send(&mut c, &response_to_invite(486, "ua1"));
    recv(&mut c, 1, &INVITE.replace("v=0", "v=1"));
    send(&mut c, &response_to_invite(488, "ua1"));
    assert_eq!(kinds(&mut c), []);

    // Planted: two different finals (P0-1: 488 at answer, 480 at the ring timeout).
    let mut c = open_checker();
    recv(&mut c, 0, INVITE);
    send(&mut c, &response_to_invite(488, "ua1"));
    tick(&mut c, 60_000);
    send(&mut c, &response_to_invite(480, "ua1"));
    assert_eq!(kinds(&mut c), [Kind::FinalResponses]);
    assert_eq!(sigs(&c), ["INVITE: final 488 then 480"]);
    // Planted: a provisional after the final, for a retransmission inside the Accepted state.
    let mut c = open_checker();
    recv(&mut c, 0, INVITE);
    send(&mut c, &response_to_invite(200, "ua1"));
    recv(&mut c, 5_000, INVITE);
    send(&mut c, &response_to_invite(180, "ua2"));
    assert_eq!(kinds(&mut c), [Kind::FinalResponses]);
    // Planted: the same status with another To tag is another response, not a retransmission.
    let mut c = open_checker();
    recv(&mut c, 0, INVITE);
    send(&mut c, &response_to_invite(486, "ua1"));
    recv(&mut c, 1, INVITE);
    send(&mut c, &response_to_invite(486, "ua2"));
    assert_eq!(kinds(&mut c), [Kind::FinalResponses]);
    // Planted: non-INVITE transactions end at their final (Timer J = 0 on a reliable
    // transport), so a later, different final is a second one.
    let update = INVITE
        .replace("INVITE", "UPDATE")
        .replace("To: <sip:1001@example.test>", "To: <sip:1001@example.test>;tag=ua1");
    let mut c = open_checker();
    recv(&mut c, 0, &update);
    send(&mut c, &response_to_invite(491, "ua1").replace("INVITE", "UPDATE"));
    tick(&mut c, 10);
    send(&mut c, &response_to_invite(200, "ua1").replace("INVITE", "UPDATE"));
    assert_eq!(kinds(&mut c), [Kind::FinalResponses]);
}

#[test]
fn checker_every_invite_and_update_gets_a_final_response() {
    let update = INVITE
        .replace("INVITE", "UPDATE")
        .replace("To: <sip:1001@example.test>", "To: <sip:1001@example.test>;tag=ua1");
    // Legal: answered; or the transport failed before the answer (nowhere to send it);
    // or not well-formed (no To), so there is no one to answer.
    let mut c = open_checker();
    recv(&mut c, 0, INVITE);
    send(&mut c, &response_to_invite(180, "ua1"));
    send(&mut c, &response_to_invite(603, "ua1"));
    recv(&mut c, 1, &update);
    send(&mut c, &response_to_invite(200, "ua1").replace("INVITE", "UPDATE"));
    assert_eq!(kinds(&mut c), []);
    let mut c = open_checker();
    recv(&mut c, 0, INVITE);
    c.input(5, Stimulus::Closed);
    assert_eq!(kinds(&mut c), []);
    let mut c = open_checker();
    recv(&mut c, 0, &INVITE.replace("To: <sip:1001@example.test>\r\n", ""));
    assert_eq!(kinds(&mut c), []);
    // Legal: §17.2.3 matches a request to its transaction by branch, sent-by and method, so a
    // copy with a mangled From tag is the same transaction, answered once.
    let mut c = open_checker();
    recv(&mut c, 0, INVITE);
    recv(&mut c, 1, &INVITE.replace("tag=far1", "tag=f"));
    send(&mut c, &response_to_invite(486, "ua1"));
    assert_eq!(kinds(&mut c), []);

    // Planted: an INVITE with only provisionals (P0-3), an UPDATE with nothing.
    let mut c = open_checker();
    recv(&mut c, 0, INVITE);
    send(&mut c, &response_to_invite(180, "ua1"));
    assert_eq!(kinds(&mut c), [Kind::Unanswered]);
    let mut c = open_checker();
    recv(&mut c, 0, &update);
    assert_eq!(kinds(&mut c), [Kind::Unanswered]);
    assert_eq!(sigs(&c), ["in-dialog UPDATE never got a final response"]);
}

#[test]
fn checker_an_ack_for_every_2xx_on_its_dialog() {
    let b = "z9hG4bKo1";
    // Legal: each fork's 2xx ACKed on its own dialog (new branch, the INVITE's CSeq).
    let mut c = open_checker();
    send(&mut c, &our_invite(b, 1));
    recv(&mut c, 10, &ok_to_our_invite(b, 1, "A"));
    send(&mut c, &our_request("ACK", "z9hG4bKa1", 1, "A"));
    recv(&mut c, 20, &ok_to_our_invite(b, 1, "B"));
    send(&mut c, &our_request("ACK", "z9hG4bKa2", 1, "B"));
    send(&mut c, &our_request("BYE", "z9hG4bKb2", 2, "B"));
    assert_eq!(kinds(&mut c), []);
    // Legal: a 2xx after Timer B (no response within 64·T1) or after the transport failed
    // finds no transaction: nothing to ACK. A 2xx without Contact is malformed.
    let mut c = open_checker();
    send(&mut c, &our_invite(b, 1));
    recv(&mut c, 40_000, &ok_to_our_invite(b, 1, "A"));
    recv(&mut c, 40_001, &ok_to_our_invite(b, 1, "B"));
    assert_eq!(kinds(&mut c), []);
    let mut c = open_checker();
    send(&mut c, &our_invite(b, 1));
    recv(
        &mut c,
        10,
        &ok_to_our_invite(b, 1, "A").replace("Contact: <sip:bob@10.0.0.1>\r\n", ""),
    );
    assert_eq!(kinds(&mut c), []);
    // Legal: a 2xx after a non-2xx final finds the transaction completed.
    let mut c = open_checker();
    send(&mut c, &our_invite(b, 1));
    recv(&mut c, 10, &status_to_our_invite(b, 1, 487));
    send(&mut c, &our_request("ACK", b, 1, "t"));
    recv(&mut c, 20, &ok_to_our_invite(b, 1, "A"));
    assert_eq!(kinds(&mut c), []);
    // Legal: the ACK may wait for the answer (late offer), as long as it comes.
    let mut c = open_checker();
    send(&mut c, &our_invite(b, 1));
    recv(&mut c, 10, &ok_to_our_invite(b, 1, "A"));
    tick(&mut c, 20);
    send(&mut c, &our_request("ACK", "z9hG4bKa1", 1, "A"));
    assert_eq!(kinds(&mut c), []);

    // Planted: a second fork's 2xx ACKed on the first dialog (P2-8).
    let mut c = open_checker();
    send(&mut c, &our_invite(b, 1));
    recv(&mut c, 10, &ok_to_our_invite(b, 1, "A"));
    send(&mut c, &our_request("ACK", "z9hG4bKa1", 1, "A"));
    recv(&mut c, 20, &ok_to_our_invite(b, 1, "B"));
    send(&mut c, &our_request("ACK", "z9hG4bKa2", 1, "A"));
    assert_eq!(kinds(&mut c), [Kind::Ack]);
    assert_eq!(sigs(&c), ["2xx of a second fork ACKed on another dialog only"]);
    // Planted: a 2xx that crossed our CANCEL (§9.1) is still ACKed.
    let mut c = open_checker();
    send(&mut c, &our_invite(b, 1));
    recv(&mut c, 10, &status_to_our_invite(b, 1, 180));
    send(&mut c, &our_request("CANCEL", b, 1, ""));
    recv(&mut c, 20, &ok_to_our_invite(b, 1, "A"));
    assert_eq!(kinds(&mut c), [Kind::Ack]);
    // Planted: a 2xx with no ACK; a retransmitted 2xx with no second ACK; an ACK on the
    // INVITE's branch (the form for non-2xx finals).
    let mut c = open_checker();
    send(&mut c, &our_invite(b, 1));
    recv(&mut c, 10, &ok_to_our_invite(b, 1, "A"));
    assert_eq!(kinds(&mut c), [Kind::Ack]);
    let mut c = open_checker();
    send(&mut c, &our_invite(b, 1));
    recv(&mut c, 10, &ok_to_our_invite(b, 1, "A"));
    send(&mut c, &our_request("ACK", "z9hG4bKa1", 1, "A"));
    recv(&mut c, 510, &ok_to_our_invite(b, 1, "A"));
    assert_eq!(kinds(&mut c), [Kind::Ack]);
    assert_eq!(sigs(&c), ["retransmitted 2xx never ACKed"]);
    let mut c = open_checker();
    send(&mut c, &our_invite(b, 1));
    recv(&mut c, 10, &ok_to_our_invite(b, 1, "A"));
    send(&mut c, &our_request("ACK", b, 1, "A"));
    assert_eq!(kinds(&mut c), [Kind::Ack]);
}

#[test]
fn checker_local_cseq_strictly_increasing_per_dialog() {
    let b = "z9hG4bKo1";
    // Legal: INVITE 1, 401, INVITE 2, CANCEL and ACK reusing numbers, then in the dialogs of
    // two forks each BYE continuing from the INVITE (§12.1.2), and a retransmission.
    let mut c = open_checker();
    send(&mut c, &our_invite(b, 1));
    send(&mut c, &our_invite("z9hG4bKo2", 2));
    send(&mut c, &our_invite("z9hG4bKo2", 2));
    send(&mut c, &our_request("CANCEL", "z9hG4bKo2", 2, ""));
    send(&mut c, &our_request("ACK", "z9hG4bKa", 2, "A"));
    send(&mut c, &our_request("BYE", "z9hG4bKb1", 3, "A"));
    send(&mut c, &our_request("BYE", "z9hG4bKb2", 3, "B"));
    send(&mut c, &our_request("INFO", "z9hG4bKi1", 4, "A"));
    assert_eq!(kinds(&mut c), []);

    // Planted: the same number for two new requests; a dialog's request not above the INVITE;
    // a branch reused for another request.
    let mut c = open_checker();
    send(&mut c, &our_request("INFO", "z9hG4bKi1", 5, "A"));
    send(&mut c, &our_request("BYE", "z9hG4bKb1", 5, "A"));
    assert_eq!(kinds(&mut c), [Kind::CSeq]);
    let mut c = open_checker();
    send(&mut c, &our_invite(b, 7));
    send(&mut c, &our_request("BYE", "z9hG4bKb1", 7, "A"));
    assert_eq!(kinds(&mut c), [Kind::CSeq]);
    let mut c = open_checker();
    send(&mut c, &our_request("INFO", "z9hG4bKi1", 5, "A"));
    send(&mut c, &our_request("BYE", "z9hG4bKi1", 6, "A"));
    assert_eq!(kinds(&mut c), [Kind::CSeq]);
}

#[test]
fn checker_at_most_one_register_in_flight() {
    // Legal: challenged, re-sent; timed out after 64·T1, re-sent; transport lost, re-sent.
    let mut c = open_checker();
    send(&mut c, &register("z9hG4bKr1", 1));
    recv(&mut c, 10, &register_response("z9hG4bKr1", 1, 100));
    recv(&mut c, 20, &register_response("z9hG4bKr1", 1, 401));
    send(&mut c, &register("z9hG4bKr2", 2));
    tick(&mut c, 32_020);
    send(&mut c, &register("z9hG4bKr3", 3));
    c.input(32_030, Stimulus::Closed);
    c.output(&Output::Connect { url: "wss://x".into() }, None);
    c.input(32_040, Stimulus::Open);
    send(&mut c, &register("z9hG4bKr4", 4));
    assert_eq!(kinds(&mut c), []);

    // Planted: an un-REGISTER while a refresh is in flight.
    let mut c = open_checker();
    send(&mut c, &register("z9hG4bKr1", 1));
    recv(&mut c, 10, &register_response("z9hG4bKr1", 1, 180));
    tick(&mut c, 31_999);
    send(&mut c, &register("z9hG4bKr2", 2));
    assert_eq!(kinds(&mut c), [Kind::Register]);
}

fn incoming(call: u32) -> Output {
    Output::Event(Event::Call(CallEvent::Incoming(IncomingCall {
        call,
        call_id: "c".into(),
        from_display: None,
        from_user: None,
        from_uri: "sip:a@b".into(),
        headers: Vec::new(),
    })))
}

fn call_event(e: CallEvent) -> Output {
    Output::Event(Event::Call(e))
}

fn ended(call: u32) -> Output {
    call_event(CallEvent::Ended {
        call,
        reason: EndReason::LocalHangup,
    })
}

#[test]
fn checker_one_ended_per_call_and_nothing_after() {
    let mut c = open_checker();
    c.output(&incoming(1), None);
    c.output(&call_event(CallEvent::Ringing { call: 1 }), None);
    c.output(&ended(1), None);
    c.output(
        &call_event(CallEvent::Dialing {
            call: 2,
            call_id: "d".into(),
            target: "sip:x@y".into(),
        }),
        None,
    );
    c.output(&ended(2), None);
    assert_eq!(kinds(&mut c), []);

    let planted: [&[Output]; 4] = [
        &[incoming(1), ended(1), ended(1)],
        &[incoming(1), ended(1), call_event(CallEvent::Connected { call: 1 })],
        &[incoming(1)],
        &[ended(7)],
    ];
    for outputs in planted {
        let mut c = open_checker();
        for o in outputs {
            c.output(o, None);
        }
        assert_eq!(kinds(&mut c), [Kind::CallEvents], "{outputs:?}");
    }
}

#[test]
fn checker_every_media_close_matches_a_call() {
    let media = |m: MediaCommand| Output::Media(m);
    // Legal: the first media command of an outgoing call comes before its Dialing event.
    let mut c = open_checker();
    tick(&mut c, 0);
    c.output(&media(MediaCommand::AcquireMic { call: 3 }), None);
    c.output(
        &call_event(CallEvent::Dialing {
            call: 3,
            call_id: "d".into(),
            target: "sip:x@y".into(),
        }),
        None,
    );
    tick(&mut c, 1);
    c.output(&media(MediaCommand::Close { call: 3 }), None);
    c.output(&ended(3), None);
    assert_eq!(kinds(&mut c), []);

    let planted: [&[Output]; 4] = [
        &[media(MediaCommand::Close { call: 9 })],
        &[
            incoming(1),
            media(MediaCommand::Close { call: 1 }),
            media(MediaCommand::Close { call: 1 }),
            ended(1),
        ],
        &[
            incoming(1),
            media(MediaCommand::Close { call: 1 }),
            ended(1),
            media(MediaCommand::AcquireMic { call: 1 }),
        ],
        &[incoming(1), media(MediaCommand::AcquireMic { call: 1 }), ended(1)],
    ];
    for outputs in planted {
        let mut c = open_checker();
        tick(&mut c, 0);
        for o in outputs {
            c.output(o, None);
        }
        assert_eq!(kinds(&mut c), [Kind::MediaClose], "{outputs:?}");
    }
}

#[test]
fn checker_nothing_sent_while_the_transport_is_not_open() {
    let bye = our_request("BYE", "z9hG4bKb1", 2, "A");
    let mut c = open_checker();
    send(&mut c, &bye);
    assert_eq!(kinds(&mut c), []);
    // Planted: the socket closed (P1-1: a hangup after the WebSocket dropped).
    let mut c = open_checker().checking_sent_while_closed();
    c.input(5, Stimulus::Closed);
    c.output(&Output::Connect { url: "wss://x".into() }, None);
    send(&mut c, &bye);
    assert_eq!(kinds(&mut c), [Kind::SentWhileClosed]);
    assert_eq!(sigs(&c), ["BYE sent while the transport is connecting"]);
}
