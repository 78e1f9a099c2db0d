//! Mid-call offer/answer on an existing peer connection: our hold/resume offers, answers to
//! the far end's re-offers, and rollback. ICE is already running, so no gathering wait unless
//! either side restarts it.

use crate::media::{error_text, gathered_sdp, is_audio, set_remote_offer};
use js_sys::{Function, Object, Promise, Reflect};
use sip_core::sdp::Direction;
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    RtcPeerConnection, RtcRtpTransceiver, RtcRtpTransceiverDirection, RtcSdpType, RtcSessionDescriptionInit,
};

fn to_web(d: Direction) -> RtcRtpTransceiverDirection {
    match d {
        Direction::SendRecv => RtcRtpTransceiverDirection::Sendrecv,
        Direction::SendOnly => RtcRtpTransceiverDirection::Sendonly,
        Direction::RecvOnly => RtcRtpTransceiverDirection::Recvonly,
        Direction::Inactive => RtcRtpTransceiverDirection::Inactive,
    }
}

/// Sets the direction of every audio transceiver: the browser's offer or answer then says
/// exactly what the core decided (RFC 3264 §6.1 / §8.4).
pub fn set_direction(pc: &RtcPeerConnection, direction: Direction) {
    for t in pc.get_transceivers().iter().filter(is_audio) {
        t.unchecked_into::<RtcRtpTransceiver>().set_direction(to_web(direction));
    }
}

async fn set_local(pc: &RtcPeerConnection, kind: RtcSdpType, sdp: &str) -> Result<(), String> {
    let desc = RtcSessionDescriptionInit::new(kind);
    desc.set_sdp(sdp);
    JsFuture::from(pc.set_local_description(&desc))
        .await
        .map(|_| ())
        .map_err(|e| error_text(&e))
}

fn sdp_of(desc: &wasm_bindgen::JsValue) -> String {
    Reflect::get(desc, &"sdp".into())
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

/// A new offer with `direction` (hold: sendonly or inactive; resume: sendrecv). With
/// `ice_restart` (the clock of the call's latest candidate), the offer carries new ICE
/// credentials and waits for the new candidates, as the first offer did (no trickle).
pub async fn reoffer(
    pc: RtcPeerConnection,
    direction: Direction,
    ice_restart: Option<Rc<Cell<f64>>>,
) -> Result<String, String> {
    set_direction(&pc, direction);
    let options = Object::new();
    if ice_restart.is_some() {
        let _ = Reflect::set(&options, &"iceRestart".into(), &JsValue::TRUE);
    }
    // createOffer(options) through Reflect: web-sys would need one more feature for it.
    let create: Function = Reflect::get(&pc, &"createOffer".into())
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or("re-offer: RTCPeerConnection.createOffer is missing")?;
    let promise: Promise = create
        .call1(&pc, &options)
        .map_err(|e| format!("re-offer: {}", error_text(&e)))?
        .unchecked_into();
    let offer = JsFuture::from(promise)
        .await
        .map_err(|e| format!("re-offer: {}", error_text(&e)))?;
    let sdp = sdp_of(&offer);
    if let Some(last) = &ice_restart {
        last.set(0.0); // candidates before the restart do not count
    }
    set_local(&pc, RtcSdpType::Offer, &sdp).await?;
    match ice_restart {
        Some(last) => gathered_sdp(&pc, last).await,
        None => Ok(pc.local_description().map(|d| d.sdp()).unwrap_or(sdp)),
    }
}

/// The first `a=ice-ufrag:` line: a new one in an offer is an ICE restart (RFC 8839 §4.4.1.1.1).
fn ice_ufrag(sdp: &str) -> Option<&str> {
    sdp.lines().find(|l| l.starts_with("a=ice-ufrag:"))
}

/// Our answer to the far end's re-offer, limited to `direction`. When the offer restarts ICE,
/// the answer waits for our new candidates as the first one did (`last_candidate_at`: the
/// call's candidate clock); otherwise ICE goes on and the answer is ready at once.
pub async fn answer_reoffer(
    pc: RtcPeerConnection,
    offer: String,
    direction: Direction,
    last_candidate_at: Rc<Cell<f64>>,
) -> Result<String, String> {
    let agreed = pc.remote_description().map(|d| d.sdp()).unwrap_or_default();
    let ice_restart = ice_ufrag(&offer) != ice_ufrag(&agreed);
    set_remote_offer(&pc, &offer)
        .await
        .map_err(|e| format!("re-offer from far end: {e}"))?;
    set_direction(&pc, direction);
    let answer = JsFuture::from(pc.create_answer())
        .await
        .map_err(|e| format!("answer: {}", error_text(&e)))?;
    let sdp = sdp_of(&answer);
    if ice_restart {
        last_candidate_at.set(0.0); // candidates before the restart do not count
    }
    set_local(&pc, RtcSdpType::Answer, &sdp).await?;
    if ice_restart {
        return gathered_sdp(&pc, last_candidate_at).await;
    }
    Ok(pc.local_description().map(|d| d.sdp()).unwrap_or(sdp))
}

/// Returns to the last agreed session with `direction`: our pending offer is rolled back
/// locally, the far end's remotely. In `stable` there is nothing to undo (the offer failed
/// before it was applied, or its answer already was), and that is no error: the browser's
/// InvalidStateError for it would end a call that is fine.
pub async fn rollback(pc: RtcPeerConnection, direction: Direction) -> Result<(), String> {
    let state = Reflect::get(&pc, &"signalingState".into())
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default();
    let desc = RtcSessionDescriptionInit::new(RtcSdpType::Rollback);
    let pending = match state.as_str() {
        "stable" => None,
        "have-local-offer" => Some(pc.set_local_description(&desc)),
        "have-remote-offer" => Some(pc.set_remote_description(&desc)),
        _ => return Err(format!("rollback: not possible in signaling state {state}")),
    };
    if let Some(p) = pending {
        JsFuture::from(p)
            .await
            .map_err(|e| format!("rollback: {}", error_text(&e)))?;
    }
    set_direction(&pc, direction);
    Ok(())
}
