//! The media adapter's offer/answer steps in real browsers (`wasm-pack test --headless
//! --chrome --firefox`): our call's peer connection (`CallMedia`, as the driver builds it)
//! against a plain RTCPeerConnection far end in the same page, connected over loopback ICE.
//! The SIP side is the core's, tested natively; here each step is what the driver runs for a
//! `MediaCommand`, and the checks are the browser's own state: signaling state, the SDP we
//! produce, the remote audio element and RTP statistics.
#![cfg(target_arch = "wasm32")]

use exotel_voice::media::{self, CallMedia, MediaSettings};
use exotel_voice::{renegotiate, sdp};
use gloo_timers::future::TimeoutFuture;
use js_sys::{Array, Function, Object, Reflect};
use sip_core::sdp::Direction;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{
    MediaStream, MediaStreamTrack, RtcConfiguration, RtcPeerConnection, RtcSdpType, RtcSessionDescriptionInit,
};

wasm_bindgen_test_configure!(run_in_browser);

fn prop(v: &JsValue, name: &str) -> JsValue {
    Reflect::get(v, &name.into()).unwrap_or(JsValue::UNDEFINED)
}

fn text(v: &JsValue, name: &str) -> String {
    prop(v, name).as_string().unwrap_or_default()
}

/// Calls `obj.name(args...)` and awaits the promise it returns.
async fn call(obj: &JsValue, name: &str, args: &Array) -> Result<JsValue, String> {
    let f: Function = prop(obj, name).dyn_into().map_err(|_| format!("{name} is missing"))?;
    let p = Reflect::apply(&f, obj, args).map_err(|e| media::error_text(&e))?;
    JsFuture::from(js_sys::Promise::resolve(&p))
        .await
        .map_err(|e| media::error_text(&e))
}

/// No ICE servers: host candidates on loopback are all a same-page call needs.
fn settings() -> MediaSettings {
    MediaSettings {
        ice_servers: Array::new().into(),
        noise_suppression: Cell::new(false),
        call_volume: Cell::new(1.0),
        preferred_codec: RefCell::new(None),
        input_device: RefCell::new(None),
        output_device: RefCell::new(None),
    }
}

async fn user_media(video: bool) -> MediaStream {
    let constraints = Object::new();
    Reflect::set(&constraints, &"audio".into(), &JsValue::TRUE).unwrap();
    Reflect::set(&constraints, &"video".into(), &JsValue::from_bool(video)).unwrap();
    let devices = prop(&prop(&js_sys::global(), "navigator"), "mediaDevices");
    call(&devices, "getUserMedia", &Array::of1(&constraints))
        .await
        .expect("getUserMedia (fake devices from webdriver.json)")
        .unchecked_into()
}

/// Our side of a call as the driver sets it up: microphone first (AcquireMic), then the peer.
async fn our_call() -> (CallMedia, RtcPeerConnection) {
    let mut m = CallMedia::new(1);
    m.adopt_mic(user_media(false).await);
    let pc = m.create_peer(&settings(), |_| {}).expect("peer connection");
    (m, pc)
}

/// A far end sending the fake microphone (and camera with `video`), all in one stream.
async fn far_end(video: bool) -> RtcPeerConnection {
    let config = RtcConfiguration::new();
    config.set_ice_servers(&Array::new());
    let pc = RtcPeerConnection::new_with_configuration(&config).unwrap();
    let stream = user_media(video).await;
    for t in stream.get_tracks().iter() {
        pc.add_track_0(&t.unchecked_into::<MediaStreamTrack>(), &stream);
    }
    pc
}

fn desc(kind: RtcSdpType, sdp: &str) -> RtcSessionDescriptionInit {
    let d = RtcSessionDescriptionInit::new(kind);
    d.set_sdp(sdp);
    d
}

async fn set_remote(pc: &RtcPeerConnection, kind: RtcSdpType, sdp: &str) {
    JsFuture::from(pc.set_remote_description(&desc(kind, sdp)))
        .await
        .expect("setRemoteDescription");
}

async fn set_local(pc: &RtcPeerConnection, kind: RtcSdpType, sdp: &str) {
    JsFuture::from(pc.set_local_description(&desc(kind, sdp)))
        .await
        .expect("setLocalDescription");
}

/// The far end's offer, once its candidates are in (non-trickle, like an SBC's).
async fn far_offer(pc: &RtcPeerConnection, options: &Object) -> String {
    let offer = call(pc, "createOffer", &Array::of1(options)).await.unwrap();
    set_local(pc, RtcSdpType::Offer, &text(&offer, "sdp")).await;
    media::gathered_sdp(pc, Rc::new(Cell::new(0.0))).await.unwrap()
}

async fn far_answer(pc: &RtcPeerConnection) -> String {
    text(&call(pc, "createAnswer", &Array::new()).await.unwrap(), "sdp")
}

fn signaling(pc: &RtcPeerConnection) -> String {
    text(pc, "signalingState")
}

fn audio_transceiver(pc: &RtcPeerConnection) -> JsValue {
    pc.get_transceivers()
        .iter()
        .find(media::is_audio)
        .expect("an audio transceiver")
}

/// `field` summed over the peer's inbound audio RTP streams.
async fn inbound_audio(pc: &RtcPeerConnection, field: &str) -> f64 {
    let report = JsFuture::from(pc.get_stats()).await.expect("getStats");
    let mut sum = 0.0;
    for entry in js_sys::try_iter(&report).unwrap().expect("iterable report") {
        let s = Array::from(&entry.unwrap()).get(1);
        if text(&s, "type") == "inbound-rtp" && text(&s, "kind") == "audio" {
            sum += prop(&s, field).as_f64().unwrap_or(0.0);
        }
    }
    sum
}

async fn wait_inbound_audio(pc: &RtcPeerConnection, what: &str) {
    let mut waited = 0;
    while inbound_audio(pc, "packetsReceived").await < 10.0 {
        assert!(waited < 10_000, "{what}: no inbound audio RTP within 10 s");
        TimeoutFuture::new(100).await;
        waited += 100;
    }
}

/// The call's audio element plays a stream of audio tracks only.
fn assert_plays_audio_only(m: &CallMedia) {
    let audio = m.audio().expect("the call's audio element");
    let stream = audio.src_object().expect("the remote audio is attached");
    let kinds: Vec<String> = stream
        .get_tracks()
        .iter()
        .map(|t| t.unchecked_into::<MediaStreamTrack>().kind())
        .collect();
    assert_eq!(kinds, ["audio"], "only the far end's audio is on the element");
    assert!(!audio.paused(), "the element plays");
}

/// Lines of `sdp` starting with `prefix`.
fn lines<'a>(sdp: &'a str, prefix: &str) -> Vec<&'a str> {
    sdp.lines().filter(|l| l.starts_with(prefix)).collect()
}

#[wasm_bindgen_test]
async fn a_remote_offer_with_video_is_answered_audio_only_and_its_audio_plays() {
    let far = far_end(true).await;
    let offer = far_offer(&far, &Object::new()).await;
    assert_eq!(
        lines(&offer, "m=").len(),
        2,
        "the far end offers audio and video: {offer}"
    );

    let (m, pc) = our_call().await;
    let answer = media::answer_offer(pc.clone(), offer, m.last_candidate_at())
        .await
        .expect("answer");
    let video = lines(&answer, "m=video");
    assert_eq!(video.len(), 1, "{answer}");
    assert!(
        video[0].starts_with("m=video 0 "),
        "video rejected with port 0: {}",
        video[0]
    );
    let audio = lines(&answer, "m=audio");
    assert!(
        audio.len() == 1 && !audio[0].starts_with("m=audio 0 "),
        "audio accepted: {audio:?}"
    );
    assert!(
        !lines(&answer, "a=candidate:").is_empty(),
        "the answer carries candidates"
    );

    set_remote(&far, RtcSdpType::Answer, &answer).await;
    wait_inbound_audio(&pc, "our side").await;
    wait_inbound_audio(&far, "the far end").await;
    assert_plays_audio_only(&m);
    far.close();
}

/// Whether this browser applies a remote `pranswer` (Chromium does; Firefox 153 does not).
async fn pranswer_supported() -> bool {
    let probe = RtcPeerConnection::new().unwrap();
    probe.add_transceiver_with_str("audio");
    let offer = call(&probe, "createOffer", &Array::new()).await.unwrap();
    set_local(&probe, RtcSdpType::Offer, &text(&offer, "sdp")).await;
    let answer = text(&offer, "sdp").replace("a=sendrecv", "a=recvonly");
    let ok = JsFuture::from(probe.set_remote_description(&desc(RtcSdpType::Pranswer, &answer)))
        .await
        .is_ok();
    probe.close();
    ok
}

/// Outgoing call (and a late-offer incoming one: the same CreateOffer step) with early media:
/// the 18x's SDP as `pranswer`, then the 2xx's as the final answer. With `final_differs` the
/// 18x says `sendonly` (the far end's network plays ringback, as SBCs do) and the 2xx
/// `sendrecv`; otherwise both carry the same SDP.
async fn pranswer_then_answer(final_differs: bool) {
    let (m, pc) = our_call().await;
    let offer = media::make_offer(pc.clone(), m.last_candidate_at())
        .await
        .expect("our offer");
    let far = far_end(false).await;
    set_remote(&far, RtcSdpType::Offer, &offer).await;
    let answer = far_answer(&far).await;
    set_local(&far, RtcSdpType::Answer, &answer).await;
    let last = media::gathered_sdp(&far, Rc::default()).await.unwrap();
    let early = if final_differs {
        last.replace("a=sendrecv", "a=sendonly")
    } else {
        last.clone()
    };

    media::apply_answer(pc.clone(), early, true).await.expect("pranswer");
    // Firefox 153 has no pranswer: there early media goes in as the answer.
    let state = signaling(&pc);
    assert!(
        state == "have-remote-pranswer" || (state == "stable" && !pranswer_supported().await),
        "after early media: {state}"
    );
    wait_inbound_audio(&pc, "early media").await;
    assert_plays_audio_only(&m);
    if final_differs {
        assert_eq!(
            inbound_audio(&far, "packetsReceived").await,
            0.0,
            "ringback only: we send nothing yet"
        );
    }

    media::apply_answer(pc.clone(), last, false)
        .await
        .expect("final answer");
    assert_eq!(signaling(&pc), "stable");
    assert_eq!(
        text(&audio_transceiver(&pc), "currentDirection"),
        "sendrecv",
        "the final answer is in force"
    );
    wait_inbound_audio(&far, "the far end hears us after the final answer").await;
    wait_inbound_audio(&pc, "our side after the final answer").await;
    assert_plays_audio_only(&m);
    far.close();
}

#[wasm_bindgen_test]
async fn pranswer_then_a_different_final_answer() {
    pranswer_then_answer(true).await;
}

#[wasm_bindgen_test]
async fn pranswer_then_the_same_final_answer() {
    pranswer_then_answer(false).await;
}

/// A connected incoming call: the far end offered, we answered (stable on both sides).
async fn answered_call() -> (CallMedia, RtcPeerConnection, RtcPeerConnection) {
    let far = far_end(false).await;
    let offer = far_offer(&far, &Object::new()).await;
    let (m, pc) = our_call().await;
    let answer = media::answer_offer(pc.clone(), offer, m.last_candidate_at())
        .await
        .unwrap();
    set_remote(&far, RtcSdpType::Answer, &answer).await;
    (m, pc, far)
}

#[wasm_bindgen_test]
async fn rollback_succeeds_in_stable_and_undoes_either_side_s_offer() {
    let (_m, pc, far) = answered_call().await;
    let agreed = pc.remote_description().unwrap().sdp();
    let direction = |pc: &RtcPeerConnection| text(&audio_transceiver(pc), "direction");

    // Nothing to undo: stable stays stable, no error.
    renegotiate::rollback(pc.clone(), Direction::SendRecv)
        .await
        .expect("rollback in stable");
    assert_eq!(signaling(&pc), "stable");

    // A far-end re-offer the browser refuses leaves it stable; the core's rollback is quiet.
    let bad = renegotiate::answer_reoffer(
        pc.clone(),
        "v=0\r\nnot sdp\r\n".into(),
        Direction::SendRecv,
        Rc::default(),
    )
    .await;
    assert!(bad.is_err(), "an unusable re-offer fails");
    assert_eq!(signaling(&pc), "stable");
    renegotiate::rollback(pc.clone(), Direction::SendRecv)
        .await
        .expect("rollback after a refused re-offer");

    // The far end's re-offer applied (have-remote-offer), its answer never made: undone,
    // together with the video it added.
    far.add_transceiver_with_str("video");
    let reoffer = far_offer(&far, &Object::new()).await;
    set_remote(&pc, RtcSdpType::Offer, &reoffer).await;
    assert_eq!(signaling(&pc), "have-remote-offer");
    renegotiate::rollback(pc.clone(), Direction::SendRecv)
        .await
        .expect("rollback in have-remote-offer");
    assert_eq!(signaling(&pc), "stable");
    assert_eq!(
        pc.remote_description().unwrap().sdp(),
        agreed,
        "the agreed session again"
    );
    assert!(
        pc.get_transceivers().iter().all(|t| media::is_audio(&t)),
        "the re-offer's video transceiver is gone"
    );

    // Our hold offer pending (have-local-offer): undone, the direction restored.
    renegotiate::reoffer(pc.clone(), Direction::SendOnly, None)
        .await
        .expect("hold offer");
    assert_eq!(signaling(&pc), "have-local-offer");
    assert_eq!(direction(&pc), "sendonly");
    renegotiate::rollback(pc.clone(), Direction::SendRecv)
        .await
        .expect("rollback in have-local-offer");
    assert_eq!(signaling(&pc), "stable");
    assert_eq!(direction(&pc), "sendrecv");
    far.close();
}

#[wasm_bindgen_test]
async fn a_far_end_ice_restart_is_answered_with_new_candidates() {
    let (m, pc, far) = answered_call().await;
    wait_inbound_audio(&pc, "before the restart").await;
    let before = pc.local_description().unwrap().sdp();

    let restart = Object::new();
    Reflect::set(&restart, &"iceRestart".into(), &JsValue::TRUE).unwrap();
    let offer = far_offer(&far, &restart).await;
    let answer = renegotiate::answer_reoffer(pc.clone(), offer, Direction::SendRecv, m.last_candidate_at())
        .await
        .expect("answer to the restart");
    assert_ne!(
        lines(&answer, "a=ice-ufrag:"),
        lines(&before, "a=ice-ufrag:"),
        "new ICE credentials"
    );
    assert!(
        !lines(&answer, "a=candidate:").is_empty(),
        "the answer waits for the new candidates: {answer}"
    );
    set_remote(&far, RtcSdpType::Answer, &answer).await;
    let received = inbound_audio(&pc, "packetsReceived").await;
    let mut waited = 0;
    while inbound_audio(&pc, "packetsReceived").await < received + 10.0 {
        assert!(waited < 10_000, "audio after the restart");
        TimeoutFuture::new(100).await;
        waited += 100;
    }
    far.close();
}

#[wasm_bindgen_test]
fn only_the_non_audio_streams_of_an_offer_are_refused() {
    let offer = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n\
                 m=audio 4000 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=sendrecv\r\n\
                 m=video 4000 UDP/TLS/RTP/SAVPF 96 97\r\na=mid:1\r\na=bundle-only\r\na=sendrecv\r\n";
    assert_eq!(
        sdp::refuse_non_audio(offer).as_deref(),
        Some(
            "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n\
             m=audio 4000 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=sendrecv\r\n\
             m=video 0 UDP/TLS/RTP/SAVPF 96 97\r\na=mid:1\r\na=sendrecv\r\n"
        )
    );
    assert_eq!(
        sdp::refuse_non_audio("v=0\r\nm=audio 4000 RTP/AVP 0\r\n"),
        None,
        "audio only: untouched"
    );
    assert_eq!(
        sdp::refuse_non_audio("v=0\r\nm=audio 4000 RTP/AVP 0\r\nm=image 4002 udptl t38\r\n").as_deref(),
        Some("v=0\r\nm=audio 4000 RTP/AVP 0\r\nm=image 0 udptl t38\r\n"),
        "a T.38 re-offer's image stream is refused too"
    );
}
