//! Device switching for the call in progress and the next ones: the microphone through
//! `RTCRtpSender.replaceTrack` (no re-INVITE: the far end sees the same stream), the speaker
//! through `setSinkId` on the call's audio element.

use crate::media::{self, MediaSettings};
use crate::{keep, note, open_call, Handle};
use js_sys::{Array, Function, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

const BUSY: &str = "the SDK is busy; try again";

/// "" and "default" both mean the system default.
fn chosen(device_id: &str) -> Option<String> {
    let id = device_id.trim();
    (!id.is_empty() && id != "default").then(|| id.to_string())
}

/// See `Client::set_input_device`. The choice is stored only once it worked, so a failed
/// switch leaves the call exactly as it was.
pub async fn switch_input(rc: &Handle, device_id: String) -> Result<bool, String> {
    let device = chosen(&device_id);
    let (noise_suppression, call) = {
        let inner = rc.core.try_borrow().map_err(|_| BUSY)?;
        let call = inner
            .media
            .iter()
            .find(|m| !m.is_closed() && m.has_mic())
            .map(|m| m.call);
        let Some(call) = call else {
            // No microphone open: the next call opens the chosen one.
            *inner.settings.input_device.borrow_mut() = device;
            return Ok(false);
        };
        (inner.settings.noise_suppression.get(), call)
    };
    let request = media::request_mic(noise_suppression, device.as_deref())?;
    keep(rc, &request, &JsValue::UNDEFINED);
    let stream = media::settle(request).await?;
    let stream: web_sys::MediaStream = stream.unchecked_into();
    let live = replace_mic(rc, call, &stream).await;
    match live {
        Ok(true) => {
            // Never `stream.clone()` (a second MediaStream nobody would stop): moved in here.
            if let Some(old) = open_call(rc, call).and_then(|mut m| m.swap_mic(stream)) {
                media::stop_tracks(&old);
            }
            crate::watch_mic(rc, call);
        }
        _ => media::stop_tracks(&stream),
    }
    let live = live?;
    let inner = rc.core.try_borrow().map_err(|_| BUSY)?;
    *inner.settings.input_device.borrow_mut() = device;
    Ok(live)
}

/// Puts the new microphone track on the call's sender. `Ok(false)` when the call ended
/// meanwhile; `Ok(true)` when the caller should adopt the stream.
async fn replace_mic(rc: &Handle, call: u32, stream: &web_sys::MediaStream) -> Result<bool, String> {
    let track = media::audio_track(stream).ok_or("the device gave no audio track")?;
    let Some((sender, enabled)) = open_call(rc, call).map(|m| (m.audio_sender(), m.send_enabled())) else {
        return Ok(false);
    };
    // Muted or held calls stay silent from the new track's first packet.
    track.set_enabled(enabled);
    if let Some(sender) = sender {
        media::settle(sender.replace_track(Some(&track)))
            .await
            .map_err(|e| format!("replaceTrack: {e}"))?;
    }
    Ok(open_call(rc, call).is_some())
}

/// See `Client::set_output_device`.
pub fn switch_output(rc: &Handle, device_id: &str) -> Result<Promise, String> {
    let supported = Reflect::get(&js_sys::global(), &"HTMLMediaElement".into())
        .and_then(|c| Reflect::get(&c, &"prototype".into()))
        .and_then(|p| Reflect::has(&p, &"setSinkId".into()))
        .unwrap_or(false);
    if !supported {
        return Err(media::NO_SINK.into());
    }
    let device = chosen(device_id);
    let inner = rc.core.try_borrow().map_err(|_| BUSY)?;
    let sink = device.as_deref().unwrap_or_default();
    let pending = Array::new();
    for audio in inner.media.iter().filter(|m| !m.is_closed()).filter_map(|m| m.audio()) {
        pending.push(&media::set_sink(&audio, sink)?.into());
    }
    // Stored only once every live element took it, so a refused device is never tried again
    // by the next call; resolves to whether a call switched.
    let live = pending.length() > 0;
    let settings = inner.settings.clone();
    let store = Closure::once_into_js(move |_: JsValue| -> JsValue {
        *settings.output_device.borrow_mut() = device;
        JsValue::from_bool(live)
    });
    let all = Promise::all(&pending);
    let then: Function = Reflect::get(&all, &"then".into())
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or("Promise.then is missing")?;
    then.call1(&all, &store)
        .map(JsCast::unchecked_into)
        .map_err(|e| media::error_text(&e))
}

/// Sends a new call's audio to the chosen speaker; a failure is logged and the call plays on
/// the default one.
pub fn route_new_call_audio(rc: &Handle, call: u32, settings: &MediaSettings) {
    let Some(sink) = settings.output_device.borrow().clone() else {
        return;
    };
    let Some(audio) = open_call(rc, call).and_then(|m| m.audio()) else {
        return;
    };
    let weak = std::rc::Rc::downgrade(rc);
    let pending = media::set_sink(&audio, &sink);
    wasm_bindgen_futures::spawn_local(async move {
        let result = match pending {
            Ok(p) => media::settle(p).await.map(|_: JsValue| ()),
            Err(e) => Err(e),
        };
        let (Some(rc), Err(e)) = (weak.upgrade(), result) else {
            return;
        };
        note(
            &rc,
            sip_core::Level::Warn,
            &format!("call audio stays on the default output: output device {sink}: {e}"),
        );
    });
}
