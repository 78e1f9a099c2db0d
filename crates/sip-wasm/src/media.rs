//! The media adapter of one call: microphone, RTCPeerConnection, remote audio element, and
//! their listeners. Each step is an async browser operation whose result is fed back to the
//! core as an input naming the call; `close` releases everything the call holds.

use gloo_timers::future::TimeoutFuture;
use js_sys::{Array, Function, Object, Reflect};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Event, HtmlAudioElement, MediaDevices, MediaStream, MediaStreamConstraints, MediaStreamTrack, RtcConfiguration,
    RtcIceGatheringState, RtcPeerConnection, RtcPeerConnectionIceEvent, RtcRtpSender, RtcSdpType,
    RtcSessionDescriptionInit, RtcTrackEvent,
};

/// Non-trickle ICE: the answer waits for gathering, but never for an unreachable STUN server.
/// It goes out when gathering completes, or once candidates have stopped coming for
/// `QUIET_MS`, or at `CAP_MS` at the latest.
const QUIET_MS: f64 = 250.0;
const CAP_MS: f64 = 2_000.0;

/// RFC 4733 tone length and inter-tone gap (ms) for `insertDTMF`.
const DTMF_DURATION_MS: u32 = 100;
const DTMF_GAP_MS: u32 = 70;

/// What the adapter reports back; the driver turns each into a core input.
pub enum MediaInput {
    State { kind: &'static str, state: String },
}

pub struct MediaSettings {
    pub ice_servers: JsValue,
    /// Read at each answer, so `setNoiseSuppression` applies to the next call.
    pub noise_suppression: Cell<bool>,
    /// Volume [0, 1] of the remote audio: the current call's element and every later one.
    pub call_volume: Cell<f64>,
    /// MIME type (`audio/opus`) put first in each new peer's codec preferences; `None` leaves
    /// the browser's order.
    pub preferred_codec: RefCell<Option<String>>,
    /// Microphone (`deviceId`) for the next call, `None` for the system default. The live call
    /// switches through `CallMedia::swap_mic`.
    pub input_device: RefCell<Option<String>>,
    /// Speaker (`setSinkId`) of the next calls' audio, `None` for the system default.
    pub output_device: RefCell<Option<String>>,
}

type Listener = Closure<dyn FnMut(Event)>;

pub struct CallMedia {
    pub call: u32,
    pc: Option<RtcPeerConnection>,
    mic: Option<MediaStream>,
    audio: Option<HtmlAudioElement>,
    listeners: Vec<Closure<dyn FnMut(Event)>>,
    /// The `ended` listener on the microphone track that is being sent.
    mic_watch: Option<(MediaStreamTrack, Listener)>,
    last_candidate_at: Rc<Cell<f64>>,
    closed: bool,
    /// The app's mute and the call's hold; the microphone is sent only when neither applies.
    muted: bool,
    held: bool,
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
            mic_watch: None,
            last_candidate_at: Rc::new(Cell::new(0.0)),
            closed: false,
            muted: false,
            held: false,
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
            self.apply_send_enabled(); // muted before the microphone arrived
        }
    }

    /// The app's mute (`Call.Mute`): no signalling, only `track.enabled`.
    pub fn set_muted(&mut self, muted: bool) {
        self.muted = muted;
        self.apply_send_enabled();
    }

    /// Hold silences the microphone too, independently of mute: unmuting a held call keeps it
    /// silent, and unholding a muted call keeps it muted.
    pub fn set_held(&mut self, held: bool) {
        self.held = held;
        self.apply_send_enabled();
    }

    /// The one place that sets `track.enabled` on the outgoing audio: the microphone's tracks and
    /// whatever track each sender carries (they differ after a replaceTrack). Call it again after
    /// any track is attached or replaced, or a new track would go out unmuted (3.0.10 bug 12).
    fn apply_send_enabled(&self) {
        let enabled = self.send_enabled();
        if let Some(mic) = &self.mic {
            for t in mic.get_audio_tracks().iter() {
                t.unchecked_into::<MediaStreamTrack>().set_enabled(enabled);
            }
        }
        if let Some(pc) = &self.pc {
            for s in pc.get_senders().iter() {
                if let Some(t) = s.unchecked_into::<RtcRtpSender>().track() {
                    if t.kind() == "audio" {
                        t.set_enabled(enabled);
                    }
                }
            }
        }
    }

    /// Whether the microphone is sent now (neither muted nor held).
    pub fn send_enabled(&self) -> bool {
        !self.muted && !self.held
    }

    /// True once the call's microphone stream has arrived.
    pub fn has_mic(&self) -> bool {
        self.mic.is_some()
    }

    /// The peer's audio sender, if the peer exists and has one.
    pub fn audio_sender(&self) -> Option<RtcRtpSender> {
        self.pc
            .as_ref()?
            .get_senders()
            .iter()
            .map(JsCast::unchecked_into::<RtcRtpSender>)
            .find(|s| s.track().is_some_and(|t| t.kind() == "audio"))
    }

    /// Makes `stream` the call's microphone (the sender already carries its track, or the
    /// peer is not created yet) and returns the previous one for the caller to stop. Mute and
    /// hold are re-applied, so a muted call stays muted on the new device (3.0.10 bug 12).
    pub fn swap_mic(&mut self, stream: MediaStream) -> Option<MediaStream> {
        let old = self.mic.replace(stream);
        self.apply_send_enabled();
        old
    }

    /// Calls `on_ended` if the microphone track being sent ends by itself (device unplugged,
    /// permission revoked); our own `stop()` fires no `ended`. Replaces the previous watch.
    pub fn watch_mic(&mut self, on_ended: impl FnMut(Event) + 'static) {
        self.unwatch_mic();
        let Some(track) = self.mic.as_ref().and_then(audio_track) else {
            return;
        };
        let c = Closure::<dyn FnMut(Event)>::new(on_ended);
        let _ = track.add_event_listener_with_callback("ended", c.as_ref().unchecked_ref());
        self.mic_watch = Some((track, c));
    }

    fn unwatch_mic(&mut self) {
        if let Some((track, c)) = self.mic_watch.take() {
            let _ = track.remove_event_listener_with_callback("ended", c.as_ref().unchecked_ref());
        }
    }

    /// This call's remote audio element, once the peer exists.
    pub fn audio(&self) -> Option<HtmlAudioElement> {
        self.audio.clone()
    }

    /// Volume of this call's remote audio (already clamped to [0, 1] by the caller).
    pub fn set_volume(&self, volume: f64) {
        if let Some(a) = &self.audio {
            a.set_volume(volume);
        }
    }

    /// Queues `tones` on the audio sender's RTCDTMFSender (RFC 4733). `Ok(false)` when this call
    /// cannot send DTMF in RTP: no peer or sender yet, the answer is not applied, or the far end
    /// did not negotiate telephone-event (the caller then uses SIP INFO).
    pub fn insert_dtmf(&self, tones: &str) -> Result<bool, String> {
        let Some(dtmf) = self.pc.as_ref().and_then(dtmf_sender) else {
            return Ok(false);
        };
        // Absent in old browsers: then insertDTMF itself tells (it throws InvalidStateError).
        if prop(&dtmf, "canInsertDTMF").as_bool() == Some(false) {
            return Ok(false);
        }
        let insert: Function = prop(&dtmf, "insertDTMF")
            .dyn_into()
            .map_err(|_| "RTCDTMFSender.insertDTMF is missing".to_string())?;
        // insertDTMF replaces the queue: append, so quick key presses all go out, in order.
        let queued = prop(&dtmf, "toneBuffer").as_string().unwrap_or_default();
        // Called through Reflect, not web-sys: a throw must come back as an Err, not unwind wasm.
        insert
            .call3(
                &dtmf,
                &JsValue::from_str(&format!("{queued}{tones}")),
                &JsValue::from(DTMF_DURATION_MS),
                &JsValue::from(DTMF_GAP_MS),
            )
            .map_err(|e| error_text(&e))?;
        Ok(true)
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
        audio.set_volume(settings.call_volume.get());

        let a = audio.clone();
        self.listen(&pc, "track", move |e: Event| {
            let track = e.unchecked_into::<RtcTrackEvent>().track();
            // Audio only, in a stream of its own: a far-end video track (or a remote stream
            // that carries one) must not take the call audio's place (P2-18).
            if track.kind() != "audio" {
                return;
            }
            let Ok(stream) = MediaStream::new_with_tracks(&Array::of1(&track)) else {
                return;
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
        self.apply_send_enabled();
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
        self.unwatch_mic();
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

fn prop(v: &JsValue, name: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// The RTCDTMFSender of the peer's first sender that has one (video senders have none).
fn dtmf_sender(pc: &RtcPeerConnection) -> Option<JsValue> {
    pc.get_senders()
        .iter()
        .map(|s| prop(&s, "dtmf"))
        .find(|d| d.is_object())
}

/// Puts `mime` (e.g. `audio/opus`) first in the codec preferences of the peer's audio
/// transceivers, keeping every other codec (telephone-event and CN included) in the browser's
/// order. Call it after addTrack and before the offer or answer is made. The SDP itself is
/// never edited (3.0.10 rewrote it: bug 11). Returns a line for the log.
pub fn prefer_codec(pc: &RtcPeerConnection, mime: &str) -> Result<String, String> {
    let receiver = global("RTCRtpReceiver").unwrap_or(JsValue::UNDEFINED);
    let Ok(get_caps) = prop(&receiver, "getCapabilities").dyn_into::<Function>() else {
        return Err(format!(
            "{mime} not preferred: RTCRtpReceiver.getCapabilities is unavailable"
        ));
    };
    let caps = get_caps
        .call1(&receiver, &JsValue::from_str("audio"))
        .map_err(|e| format!("{mime} not preferred: getCapabilities: {}", error_text(&e)))?;
    let codecs = prop(&caps, "codecs");
    if !Array::is_array(&codecs) {
        return Err(format!("{mime} not preferred: the browser lists no audio codecs"));
    }
    let is_preferred = |c: &JsValue| {
        prop(c, "mimeType")
            .as_string()
            .is_some_and(|m| m.eq_ignore_ascii_case(mime))
    };
    let (first, rest): (Vec<JsValue>, Vec<JsValue>) = codecs.unchecked_into::<Array>().iter().partition(is_preferred);
    if first.is_empty() {
        return Err(format!("{mime} not preferred: this browser does not support it"));
    }
    let ordered: Array = first.into_iter().chain(rest).collect();
    let mut applied = 0;
    for t in pc.get_transceivers().iter().filter(is_audio) {
        let Ok(set) = prop(&t, "setCodecPreferences").dyn_into::<Function>() else {
            return Err(format!(
                "{mime} not preferred: RTCRtpTransceiver.setCodecPreferences is unavailable"
            ));
        };
        // Through Reflect: it throws InvalidModificationError on a list it dislikes.
        set.call1(&t, &ordered)
            .map_err(|e| format!("{mime} not preferred: setCodecPreferences: {}", error_text(&e)))?;
        applied += 1;
    }
    if applied == 0 {
        return Err(format!("{mime} not preferred: the call has no audio transceiver"));
    }
    Ok(format!("codec preference: {mime} first"))
}

/// Makes the audio sender send `mime` (RTCRtpEncodingParameters.codec), where the browser
/// supports choosing it and the negotiation kept it. Call once the local answer is set; the
/// SDP is untouched. Returns a line for the log.
pub async fn pin_send_codec(pc: &RtcPeerConnection, mime: &str) -> Result<String, String> {
    let fail = |why: String| format!("sending {mime}: {why}; the far end's first codec is sent");
    let sender = pc
        .get_senders()
        .iter()
        .find(|s| prop(&prop(s, "track"), "kind").as_string().as_deref() == Some("audio"))
        .ok_or_else(|| fail("no audio sender".into()))?;
    let call = |name: &str, arg: &JsValue| -> Result<JsValue, String> {
        let f: Function = prop(&sender, name)
            .dyn_into()
            .map_err(|_| fail(format!("RTCRtpSender.{name} is unavailable")))?;
        f.call1(&sender, arg)
            .map_err(|e| fail(format!("{name}: {}", error_text(&e))))
    };
    let params = call("getParameters", &JsValue::UNDEFINED)?;
    let codecs = prop(&params, "codecs");
    let codec = Array::is_array(&codecs)
        .then(|| codecs.unchecked_into::<Array>())
        .and_then(|a| {
            a.iter().find(|c| {
                prop(c, "mimeType")
                    .as_string()
                    .is_some_and(|m| m.eq_ignore_ascii_case(mime))
            })
        })
        .ok_or_else(|| fail("the far end did not offer it".into()))?;
    let encodings = prop(&params, "encodings");
    let first = Array::is_array(&encodings)
        .then(|| encodings.unchecked_into::<Array>().get(0))
        .filter(|e| e.is_object())
        .ok_or_else(|| fail("no encoding to set".into()))?;
    let _ = Reflect::set(&first, &"codec".into(), &codec);
    let done = call("setParameters", &params)?;
    JsFuture::from(js_sys::Promise::resolve(&done))
        .await
        .map_err(|e| fail(format!("setParameters: {}", error_text(&e))))?;
    // Browsers without per-encoding codecs drop the member silently.
    let after = call("getParameters", &JsValue::UNDEFINED)?;
    let pinned = prop(&prop(&prop(&after, "encodings"), "0"), "codec");
    if pinned.is_object() {
        Ok(format!("codec preference: sending {mime}"))
    } else {
        Err(fail("this browser cannot choose the send codec".into()))
    }
}

pub fn stop_tracks(stream: &MediaStream) {
    for t in stream.get_tracks().iter() {
        t.unchecked_into::<MediaStreamTrack>().stop();
    }
}

/// getUserMedia for a call: echo cancellation on, noise suppression as configured, and the
/// chosen microphone, `exact`: fail rather than open another one (the caller decides).
/// Returns the pending getUserMedia (one copy of this code for answer and switch; each caller
/// awaits it with `settle`).
pub fn request_mic(noise_suppression: bool, device: Option<&str>) -> Result<js_sys::Promise, String> {
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
    if let Some(id) = device {
        let exact = Object::new();
        let _ = Reflect::set(&exact, &"exact".into(), &JsValue::from_str(id));
        let _ = Reflect::set(&audio, &"deviceId".into(), &exact);
    }
    let constraints = MediaStreamConstraints::new();
    constraints.set_audio(&audio);
    constraints.set_video(&JsValue::FALSE);
    devices
        .get_user_media_with_constraints(&constraints)
        .map_err(|e| error_text(&e))
}

/// The outcome of a browser promise, its rejection as `name: message`.
pub async fn settle(p: js_sys::Promise) -> Result<JsValue, String> {
    JsFuture::from(p).await.map_err(|e| error_text(&e))
}

/// Starts routing `audio` to output device `id` ("" for the system default) with
/// `setSinkId`, called through Reflect because browsers without it (Safari < 18, Firefox
/// < 116) must get an error, not a trap.
pub fn set_sink(audio: &HtmlAudioElement, id: &str) -> Result<js_sys::Promise, String> {
    let set: Function = prop(audio, "setSinkId").dyn_into().map_err(|_| NO_SINK.to_string())?;
    let p = set.call1(audio, &JsValue::from_str(id)).map_err(|e| error_text(&e))?;
    Ok(js_sys::Promise::resolve(&p))
}

pub const NO_SINK: &str = "this browser cannot choose the audio output device (no HTMLMediaElement.setSinkId)";

/// The first audio track of `stream`.
pub fn audio_track(stream: &MediaStream) -> Option<MediaStreamTrack> {
    let tracks = stream.get_audio_tracks();
    (tracks.length() > 0).then(|| tracks.get(0).unchecked_into())
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

/// Applies the far end's answer to our offer. `provisional` (early media from an unreliable
/// 18x) goes in as `pranswer`, which the final answer replaces (RFC 3960). Firefox 153 has no
/// pranswer (NotSupportedError): early media is then applied as the answer, and a final
/// answer that differs from it goes onto a new local offer of the same session.
pub async fn apply_answer(pc: RtcPeerConnection, answer: String, provisional: bool) -> Result<(), String> {
    let fail = |e: JsValue| format!("remote answer: {}", error_text(&e));
    if provisional {
        match set_remote(&pc, RtcSdpType::Pranswer, &answer).await {
            Err(e) if prop(&e, "name").as_string().is_some_and(|n| n == "NotSupportedError") => {}
            done => return done.map_err(fail),
        }
    } else if prop(&pc, "signalingState").as_string().is_some_and(|s| s == "stable") {
        // Early media went in as the answer; the same SDP again (or a repeat) changes nothing.
        if pc.remote_description().is_some_and(|d| d.sdp() == answer) {
            return Ok(());
        }
        // Implicit offer (no sdp): the browser makes it from the session as it stands.
        let again = RtcSessionDescriptionInit::new(RtcSdpType::Offer);
        JsFuture::from(pc.set_local_description(&again)).await.map_err(fail)?;
    }
    set_remote(&pc, RtcSdpType::Answer, &answer).await.map_err(fail)
}

async fn set_remote(pc: &RtcPeerConnection, kind: RtcSdpType, sdp: &str) -> Result<(), JsValue> {
    let desc = RtcSessionDescriptionInit::new(kind);
    desc.set_sdp(sdp);
    JsFuture::from(pc.set_remote_description(&desc)).await.map(|_| ())
}

/// Whether `transceiver` carries audio (its receiver's track kind, fixed at creation).
pub fn is_audio(transceiver: &JsValue) -> bool {
    prop(&prop(&prop(transceiver, "receiver"), "track"), "kind")
        .as_string()
        .is_some_and(|k| k == "audio")
}

/// Applies a remote offer, its non-audio streams refused (see `sdp::refuse_non_audio`).
pub async fn set_remote_offer(pc: &RtcPeerConnection, offer: &str) -> Result<(), String> {
    let audio_only = crate::sdp::refuse_non_audio(offer);
    set_remote(pc, RtcSdpType::Offer, audio_only.as_deref().unwrap_or(offer))
        .await
        .map_err(|e| error_text(&e))
}

/// Applies the remote offer and returns our answer once ICE gathering allows (see CAP_MS).
pub async fn answer_offer(
    pc: RtcPeerConnection,
    offer: String,
    last_candidate_at: Rc<Cell<f64>>,
) -> Result<String, String> {
    set_remote_offer(&pc, &offer)
        .await
        .map_err(|e| format!("remote offer: {e}"))?;
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
pub async fn gathered_sdp(pc: &RtcPeerConnection, last_candidate_at: Rc<Cell<f64>>) -> Result<String, String> {
    let started = now_ms();
    loop {
        let sdp = pc.local_description().map(|d| d.sdp()).ok_or("no local description")?;
        // Right after an ICE restart the state still reads `complete` from the old generation:
        // only a description that has candidates is gathered.
        // (A line scan: `str::contains(&str)` would link the two-way searcher, ~8 KB.)
        let complete = pc.ice_gathering_state() == RtcIceGatheringState::Complete
            && sdp.lines().any(|l| l.starts_with("a=candidate:"));
        let now = now_ms();
        let last = last_candidate_at.get();
        if complete || (last > 0.0 && now - last >= QUIET_MS) || now - started >= CAP_MS {
            return Ok(sdp);
        }
        TimeoutFuture::new(20).await;
    }
}

/// The default ICE servers when the account names none: what 3.0.10 used.
pub fn default_ice_servers() -> JsValue {
    let server = Object::new();
    let _ = Reflect::set(&server, &"urls".into(), &"stun:stun.l.google.com:19302".into());
    Array::of1(&server).into()
}
