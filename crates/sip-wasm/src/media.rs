//! The media adapter of one call: microphone, RTCPeerConnection, remote audio element, and
//! their listeners. Each step is an async browser operation whose result is fed back to the
//! core as an input naming the call; `close` releases everything the call holds.

use gloo_timers::future::TimeoutFuture;
use js_sys::{Array, Object, Reflect};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Event, HtmlAudioElement, MediaDevices, MediaStream, MediaStreamConstraints, MediaStreamTrack, RtcConfiguration,
    RtcIceGatheringState, RtcPeerConnection, RtcPeerConnectionIceEvent, RtcSdpType, RtcSessionDescriptionInit,
    RtcTrackEvent,
};

/// Non-trickle ICE: the answer waits for gathering, but never for an unreachable STUN server.
/// It goes out when gathering completes, or once candidates have stopped coming for
/// `QUIET_MS`, or at `CAP_MS` at the latest.
const QUIET_MS: f64 = 250.0;
const CAP_MS: f64 = 2_000.0;

/// What the adapter reports back; the driver turns each into a core input.
pub enum MediaInput {
    State { kind: &'static str, state: String },
}

pub struct MediaSettings {
    pub ice_servers: JsValue,
    /// Read at each answer, so `setNoiseSuppression` applies to the next call.
    pub noise_suppression: Cell<bool>,
}

pub struct CallMedia {
    pub call: u32,
    pc: Option<RtcPeerConnection>,
    mic: Option<MediaStream>,
    audio: Option<HtmlAudioElement>,
    listeners: Vec<Closure<dyn FnMut(Event)>>,
    last_candidate_at: Rc<Cell<f64>>,
    closed: bool,
}

fn global(name: &str) -> Option<JsValue> {
    Reflect::get(&js_sys::global(), &JsValue::from_str(name))
        .ok()
        .filter(|v| !v.is_undefined())
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// `name: message` of a DOMException or Error.
pub fn error_text(e: &JsValue) -> String {
    let get = |k: &str| Reflect::get(e, &JsValue::from_str(k)).ok().and_then(|v| v.as_string());
    match (get("name"), get("message")) {
        (Some(n), Some(m)) if !m.is_empty() => format!("{n}: {m}"),
        (Some(n), _) => n,
        (None, Some(m)) => m,
        _ => e.as_string().unwrap_or_else(|| "unknown error".into()),
    }
}

impl CallMedia {
    pub fn new(call: u32) -> Self {
        CallMedia {
            call,
            pc: None,
            mic: None,
            audio: None,
            listeners: Vec::new(),
            last_candidate_at: Rc::new(Cell::new(0.0)),
            closed: false,
        }
    }

    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Keeps the microphone stream, or stops it at once if the call is gone.
    pub fn adopt_mic(&mut self, stream: MediaStream) {
        if self.closed {
            stop_tracks(&stream);
        } else {
            self.mic = Some(stream);
        }
    }

    /// Creates the peer connection with the microphone track attached and the listeners that
    /// report states and play remote audio. `report` receives state changes.
    pub fn create_peer(
        &mut self,
        settings: &MediaSettings,
        report: impl Fn(MediaInput) + Clone + 'static,
    ) -> Result<RtcPeerConnection, String> {
        let config = RtcConfiguration::new();
        config.set_ice_servers(&settings.ice_servers);
        let pc = RtcPeerConnection::new_with_configuration(&config).map_err(|e| error_text(&e))?;
        if let Some(mic) = &self.mic {
            for track in mic.get_audio_tracks().iter() {
                let track: MediaStreamTrack = track.unchecked_into();
                pc.add_track_0(&track, mic);
            }
        }
        let audio = HtmlAudioElement::new().map_err(|e| error_text(&e))?;
        audio.set_autoplay(true);

        let a = audio.clone();
        self.listen(&pc, "track", move |e: Event| {
            let e: RtcTrackEvent = e.unchecked_into();
            let streams = e.streams();
            let stream = if streams.length() > 0 {
                streams.get(0).unchecked_into::<MediaStream>()
            } else {
                let s = MediaStream::new().unwrap_or_else(|_| JsValue::NULL.unchecked_into());
                s.add_track(&e.track());
                s
            };
            a.set_src_object(Some(&stream));
            // play() rejects when autoplay is blocked; the element starts on the next gesture.
            if let Ok(p) = a.play() {
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = JsFuture::from(p).await;
                });
            }
        });
        let last = self.last_candidate_at.clone();
        self.listen(&pc, "icecandidate", move |e: Event| {
            let e: RtcPeerConnectionIceEvent = e.unchecked_into();
            let candidate = Reflect::get(&e, &"candidate".into()).unwrap_or(JsValue::NULL);
            if !candidate.is_null() && !candidate.is_undefined() {
                last.set(now_ms());
            }
        });
        let (p, r) = (pc.clone(), report.clone());
        self.listen(&pc, "icegatheringstatechange", move |_| {
            let state = match p.ice_gathering_state() {
                RtcIceGatheringState::New => "new",
                RtcIceGatheringState::Gathering => "gathering",
                RtcIceGatheringState::Complete => "complete",
                _ => "unknown",
            };
            r(MediaInput::State {
                kind: "ice_gathering",
                state: state.into(),
            });
        });
        let (p, r) = (pc.clone(), report.clone());
        self.listen(&pc, "iceconnectionstatechange", move |_| {
            let state = Reflect::get(&p, &"iceConnectionState".into())
                .ok()
                .and_then(|s| s.as_string());
            r(MediaInput::State {
                kind: "ice_connection",
                state: state.unwrap_or_default(),
            });
        });
        let (p, r) = (pc.clone(), report);
        self.listen(&pc, "connectionstatechange", move |_| {
            let state = Reflect::get(&p, &"connectionState".into())
                .ok()
                .and_then(|s| s.as_string());
            r(MediaInput::State {
                kind: "connection",
                state: state.unwrap_or_default(),
            });
        });
        self.pc = Some(pc.clone());
        self.audio = Some(audio);
        Ok(pc)
    }

    fn listen(&mut self, pc: &RtcPeerConnection, event: &str, f: impl FnMut(Event) + 'static) {
        let c = Closure::<dyn FnMut(Event)>::new(f);
        let _ = pc.add_event_listener_with_callback(event, c.as_ref().unchecked_ref());
        self.listeners.push(c);
    }

    pub fn peer(&self) -> Option<RtcPeerConnection> {
        self.pc.clone()
    }

    pub fn last_candidate_at(&self) -> Rc<Cell<f64>> {
        self.last_candidate_at.clone()
    }

    /// Releases the peer connection, the microphone, the audio element and every listener.
    pub fn close(&mut self) {
        self.closed = true;
        if let Some(pc) = self.pc.take() {
            for (event, c) in [
                "track",
                "icecandidate",
                "icegatheringstatechange",
                "iceconnectionstatechange",
                "connectionstatechange",
            ]
            .iter()
            .zip(&self.listeners)
            {
                let _ = pc.remove_event_listener_with_callback(event, c.as_ref().unchecked_ref());
            }
            pc.close();
        }
        self.listeners.clear();
        if let Some(mic) = self.mic.take() {
            stop_tracks(&mic);
        }
        if let Some(a) = self.audio.take() {
            let _ = a.pause();
            a.set_src_object(None);
        }
    }
}

impl Drop for CallMedia {
    fn drop(&mut self) {
        self.close();
    }
}

pub fn stop_tracks(stream: &MediaStream) {
    for t in stream.get_tracks().iter() {
        t.unchecked_into::<MediaStreamTrack>().stop();
    }
}

/// getUserMedia for a call: echo cancellation on, noise suppression as configured.
pub async fn acquire_mic(noise_suppression: bool) -> Result<MediaStream, String> {
    let devices: MediaDevices = global("navigator")
        .and_then(|n| Reflect::get(&n, &"mediaDevices".into()).ok())
        .filter(|d| !d.is_undefined())
        .ok_or("NotSupportedError: this browser has no navigator.mediaDevices (is the page served over https?)")?
        .unchecked_into();
    let audio = Object::new();
    for (k, v) in [
        ("echoCancellation", true),
        ("noiseSuppression", noise_suppression),
        ("autoGainControl", true),
    ] {
        let _ = Reflect::set(&audio, &k.into(), &JsValue::from_bool(v));
    }
    let constraints = MediaStreamConstraints::new();
    constraints.set_audio(&audio);
    constraints.set_video(&JsValue::FALSE);
    let promise = devices
        .get_user_media_with_constraints(&constraints)
        .map_err(|e| error_text(&e))?;
    let stream = JsFuture::from(promise).await.map_err(|e| error_text(&e))?;
    Ok(stream.unchecked_into())
}

/// Makes our offer and returns it once ICE gathering allows (see CAP_MS).
pub async fn make_offer(pc: RtcPeerConnection, last_candidate_at: Rc<Cell<f64>>) -> Result<String, String> {
    let offer = JsFuture::from(pc.create_offer())
        .await
        .map_err(|e| format!("create offer: {}", error_text(&e)))?;
    let sdp = Reflect::get(&offer, &"sdp".into())
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default();
    let local = RtcSessionDescriptionInit::new(RtcSdpType::Offer);
    local.set_sdp(&sdp);
    JsFuture::from(pc.set_local_description(&local))
        .await
        .map_err(|e| format!("local offer: {}", error_text(&e)))?;
    gathered_sdp(&pc, last_candidate_at).await
}

/// Applies the far end's answer to our offer.
pub async fn apply_answer(pc: RtcPeerConnection, answer: String) -> Result<(), String> {
    let desc = RtcSessionDescriptionInit::new(RtcSdpType::Answer);
    desc.set_sdp(&answer);
    JsFuture::from(pc.set_remote_description(&desc))
        .await
        .map_err(|e| format!("remote answer: {}", error_text(&e)))?;
    Ok(())
}

/// Applies the remote offer and returns our answer once ICE gathering allows (see CAP_MS).
pub async fn answer_offer(
    pc: RtcPeerConnection,
    offer: String,
    last_candidate_at: Rc<Cell<f64>>,
) -> Result<String, String> {
    let desc = RtcSessionDescriptionInit::new(RtcSdpType::Offer);
    desc.set_sdp(&offer);
    JsFuture::from(pc.set_remote_description(&desc))
        .await
        .map_err(|e| format!("remote offer: {}", error_text(&e)))?;
    let answer = JsFuture::from(pc.create_answer())
        .await
        .map_err(|e| format!("create answer: {}", error_text(&e)))?;
    let sdp = Reflect::get(&answer, &"sdp".into())
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default();
    let local = RtcSessionDescriptionInit::new(RtcSdpType::Answer);
    local.set_sdp(&sdp);
    JsFuture::from(pc.set_local_description(&local))
        .await
        .map_err(|e| format!("local answer: {}", error_text(&e)))?;
    gathered_sdp(&pc, last_candidate_at).await
}

/// The local description once gathering completed, went quiet, or hit the cap.
async fn gathered_sdp(pc: &RtcPeerConnection, last_candidate_at: Rc<Cell<f64>>) -> Result<String, String> {
    let started = now_ms();
    loop {
        if pc.ice_gathering_state() == RtcIceGatheringState::Complete {
            break;
        }
        let now = now_ms();
        let last = last_candidate_at.get();
        if (last > 0.0 && now - last >= QUIET_MS) || now - started >= CAP_MS {
            break;
        }
        TimeoutFuture::new(20).await;
    }
    pc.local_description()
        .map(|d| d.sdp())
        .ok_or_else(|| "no local description".to_string())
}

/// The default ICE servers when the account names none: what 3.0.10 used.
pub fn default_ice_servers() -> JsValue {
    let server = Object::new();
    let _ = Reflect::set(&server, &"urls".into(), &"stun:stun.l.google.com:19302".into());
    Array::of1(&server).into()
}
