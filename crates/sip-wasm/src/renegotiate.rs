//! Mid-call offer/answer on an existing peer connection: our hold/resume offers, answers to
//! the far end's re-offers, and rollback. ICE is already running, so no gathering wait.

use crate::media::error_text;
use js_sys::Reflect;
use sip_core::sdp::Direction;
use wasm_bindgen::JsCast;
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

/// A new offer with `direction` (hold: sendonly or inactive; resume: sendrecv).
pub async fn reoffer(pc: RtcPeerConnection, direction: Direction) -> Result<String, String> {
    set_direction(&pc, direction);
    let offer = JsFuture::from(pc.create_offer())
        .await
        .map_err(|e| format!("re-offer: {}", error_text(&e)))?;
    let sdp = sdp_of(&offer);
    set_local(&pc, RtcSdpType::Offer, &sdp).await?;
    Ok(pc.local_description().map(|d| d.sdp()).unwrap_or(sdp))
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
