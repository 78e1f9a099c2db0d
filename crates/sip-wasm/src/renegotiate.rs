//! Mid-call offer/answer on an existing peer connection: our hold/resume offers, answers to
//! the far end's re-offers, and rollback. ICE is already running, so no gathering wait.

use crate::media::{error_text, gathered_sdp};
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
    for t in pc.get_transceivers().iter() {
        let t: RtcRtpTransceiver = t.unchecked_into();
        let kind = Reflect::get(&t.receiver().track(), &"kind".into())
            .ok()
            .and_then(|k| k.as_string());
        if kind.as_deref() == Some("audio") {
            t.set_direction(to_web(direction));
        }
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

/// Our answer to the far end's re-offer, limited to `direction`.
pub async fn answer_reoffer(pc: RtcPeerConnection, offer: String, direction: Direction) -> Result<String, String> {
    let desc = RtcSessionDescriptionInit::new(RtcSdpType::Offer);
    desc.set_sdp(&offer);
    JsFuture::from(pc.set_remote_description(&desc))
        .await
        .map_err(|e| format!("re-offer from far end: {}", error_text(&e)))?;
    set_direction(&pc, direction);
    let answer = JsFuture::from(pc.create_answer())
        .await
        .map_err(|e| format!("answer: {}", error_text(&e)))?;
    let sdp = sdp_of(&answer);
    set_local(&pc, RtcSdpType::Answer, &sdp).await?;
    Ok(pc.local_description().map(|d| d.sdp()).unwrap_or(sdp))
}

/// Abandons our pending offer and restores the agreed direction.
pub async fn rollback(pc: RtcPeerConnection, direction: Direction) -> Result<(), String> {
    let desc = RtcSessionDescriptionInit::new(RtcSdpType::Rollback);
    JsFuture::from(pc.set_local_description(&desc))
        .await
        .map_err(|e| format!("rollback: {}", error_text(&e)))?;
    set_direction(&pc, direction);
    Ok(())
}
