//! The browser driver for `sip-core`: the only crate that knows wasm-bindgen and web-sys.
//!
//! One [`Client`] per SIP account. Every browser callback feeds one input into the core in
//! two phases: with the core borrowed, handle the input and execute its transport and timer
//! outputs; then, with the borrow released, hand the collected events to JS. App code may
//! therefore call back into the SDK from inside an event; the events that call causes are
//! queued behind the ones already being delivered, so JS always sees them in order.

// Size guard, as in sip-core: no str slicing (docs/decisions/0002).
#![cfg_attr(not(test), warn(clippy::string_slice))]

// Public only for the browser tests (tests/web.rs); wasm-bindgen exports nothing from them.
#[doc(hidden)]
pub mod config;
mod devices;
mod env;
mod events;
#[doc(hidden)]
pub mod media;
#[doc(hidden)]
pub mod renegotiate;
#[doc(hidden)]
pub mod sdp;
mod ws;

use gloo_timers::callback::Timeout;
use media::{CallMedia, MediaInput, MediaSettings};
use sip_core::{CallError, MediaCommand, MediaFailure, Output, UserAgent};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use ws::{Socket, WsInput};

/// talc instead of std's dlmalloc: the same free-list-with-bins design in ~1 KB of wasm
/// instead of ~7 KB (docs/decisions/0002). The SDK is single-threaded wasm, which talc's
/// `WasmDynamicTalc` requires (it takes no lock) and checks at compile time.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

struct Inner {
    ua: UserAgent,
    clock: env::Clock,
    socket: Option<Socket>,
    timer: Option<(u64, Timeout)>,
    media: Vec<CallMedia>,
    settings: Rc<MediaSettings>,
    disposed: bool,
    /// Set by `__testTrap`: the next input traps inside the core's borrow.
    trap_armed: bool,
}

/// Events waiting for JS, delivered by whichever `feed` is outermost on the stack.
struct Outbox {
    queue: RefCell<VecDeque<JsValue>>,
    delivering: Cell<bool>,
    on_event: js_sys::Function,
    /// The shim's `keep(a, b)`: told of every socket, peer connection (with its audio element)
    /// and microphone request as it is made, so it can release them without this module if
    /// the module traps (the shim's recovery.js).
    keeper: RefCell<Option<js_sys::Function>>,
}

/// The key `__testTrap` wants: no app passes it by accident.
const TEST_TRAP_KEY: &str = "exotel-voice: trap for a test";

struct Shared {
    core: RefCell<Inner>,
    outbox: Outbox,
}

type Handle = Rc<Shared>;

#[wasm_bindgen]
pub struct Client {
    inner: Handle,
}

#[wasm_bindgen]
impl Client {
    /// `account`: `{authUser, sipdomain, secret, domain, security?, endpoint?, displayName?}`,
    /// and ours: `iceServers`, `noiseSuppression`, `keepAliveInterval`, `contactTransport`,
    /// `contactHost`.
    /// `on_event(obj)` receives registration, link and log events as plain objects.
    #[wasm_bindgen(constructor)]
    pub fn new(account: JsValue, on_event: js_sys::Function) -> Result<Client, JsError> {
        let settings = Rc::new(config::media_settings_from_js(&account));
        let keepalive_ms = config::keepalive_ms_from_js(&account);
        let contact_transport = config::field(&account, "contactTransport");
        let contact_host = config::contact_host_from_js(&account);
        let reconnect_limit_ms = config::reconnect_limit_ms_from_js(&account);
        let outbound = config::outbound_from_js(&account);
        let account = config::account_from_js(&account, env::page_is_https()).map_err(|e| JsError::new(&e))?;
        let mut ua = UserAgent::with_key(account, env::random_key());
        if let Some(ms) = keepalive_ms {
            ua.set_keepalive_interval(0, ms);
        }
        if let Some(t) = contact_transport {
            ua.set_contact_transport(&t);
        }
        if let Some(h) = contact_host {
            ua.set_contact_host(h);
        }
        if let Some(ms) = reconnect_limit_ms {
            ua.set_reconnect_limit(ms);
        }
        ua.set_outbound(outbound);
        let core = Inner {
            ua,
            clock: env::Clock::new(),
            socket: None,
            timer: None,
            media: Vec::new(),
            settings,
            disposed: false,
            trap_armed: false,
        };
        let outbox = Outbox {
            queue: RefCell::default(),
            delivering: Cell::new(false),
            on_event,
            keeper: RefCell::default(),
        };
        Ok(Client {
            inner: Rc::new(Shared {
                core: RefCell::new(core),
                outbox,
            }),
        })
    }

    pub fn register(&self) {
        feed(&self.inner, |ua, now| ua.register(now));
    }

    pub fn unregister(&self) {
        feed(&self.inner, |ua, now| ua.unregister(now));
    }

    /// Answers the ringing call `call` (the handle from its `incoming` event).
    pub fn answer(&self, call: u32) -> Result<(), JsError> {
        let mut result = Ok(());
        feed(&self.inner, |ua, now| result = ua.answer(now, call));
        result.map_err(call_error)
    }

    /// Puts the connected call on hold (`true`) or resumes it; the outcome arrives as a
    /// `hold_changed` or `hold_failed` event.
    pub fn hold(&self, call: u32, on: bool) -> Result<(), JsError> {
        let mut result = Ok(());
        feed(&self.inner, |ua, now| result = ua.hold(now, call, on));
        result.map_err(call_error)
    }

    /// Sends one DTMF digit as SIP INFO (`application/dtmf-relay`).
    #[wasm_bindgen(js_name = sendInfoDtmf)]
    pub fn send_info_dtmf(&self, call: u32, digit: &str) -> Result<(), JsError> {
        let mut chars = digit.chars();
        let (Some(d), None) = (chars.next(), chars.next()) else {
            return Err(JsError::new("one DTMF digit at a time"));
        };
        let mut result = Ok(());
        feed(&self.inner, |ua, now| result = ua.send_info_dtmf(now, call, d));
        result.map_err(call_error)
    }

    /// Places an outgoing call (ours): returns its handle; events follow as for incoming calls.
    #[wasm_bindgen(js_name = makeCall)]
    pub fn make_call(&self, target: &str) -> Result<u32, JsError> {
        let mut result = Err(CallError::NoSuchCall);
        feed(&self.inner, |ua, now| result = ua.make_call(now, target));
        result.map_err(call_error)
    }

    /// Rejects the ringing call or hangs up the answered one.
    pub fn hangup(&self, call: u32) -> Result<(), JsError> {
        let mut result = Ok(());
        feed(&self.inner, |ua, now| result = ua.hangup(now, call));
        result.map_err(call_error)
    }

    /// Noise suppression for the microphone of the next call (default off, as 3.0.10).
    #[wasm_bindgen(js_name = setNoiseSuppression)]
    pub fn set_noise_suppression(&self, enabled: bool) {
        if let Ok(i) = self.inner.core.try_borrow() {
            i.settings.noise_suppression.set(enabled);
        }
    }

    /// Mutes or unmutes the microphone of call `call` (`track.enabled`, no signalling). Holds
    /// from a muted call's answer until its end; a new call starts unmuted.
    #[wasm_bindgen(js_name = setMuted)]
    pub fn set_muted(&self, call: u32, muted: bool) -> Result<(), JsError> {
        with_media(&self.inner, call, |m| m.set_muted(muted)).ok_or_else(no_media)
    }

    /// Sends DTMF `tones` in RTP (RFC 4733, RTCDTMFSender: 100 ms tones, 70 ms gaps). `false`
    /// when the call cannot (telephone-event not negotiated, no sender yet): use SIP INFO then.
    #[wasm_bindgen(js_name = insertDtmf)]
    pub fn insert_dtmf(&self, call: u32, tones: &str) -> Result<bool, JsError> {
        with_media(&self.inner, call, |m| m.insert_dtmf(tones))
            .ok_or_else(no_media)?
            .map_err(|e| JsError::new(&format!("DTMF: {e}")))
    }

    /// Codec to put first in the next calls' offers and answers, as a MIME type (`audio/opus`,
    /// `audio/PCMU`, ...); an empty string restores the browser's order. Calls in progress keep
    /// theirs.
    #[wasm_bindgen(js_name = setPreferredCodec)]
    pub fn set_preferred_codec(&self, mime: &str) {
        if let Ok(i) = self.inner.core.try_borrow() {
            let mime = mime.trim();
            *i.settings.preferred_codec.borrow_mut() = (!mime.is_empty()).then(|| mime.to_string());
        }
    }

    /// Volume of the remote audio, clamped to [0, 1]: applies to the call in progress and to
    /// later ones. A value that is not a number is ignored (the shim reports it).
    #[wasm_bindgen(js_name = setCallVolume)]
    pub fn set_call_volume(&self, volume: f64) {
        if volume.is_nan() {
            return;
        }
        let volume = volume.clamp(0.0, 1.0);
        if let Ok(i) = self.inner.core.try_borrow() {
            i.settings.call_volume.set(volume);
            for m in i.media.iter().filter(|m| !m.is_closed()) {
                m.set_volume(volume);
            }
        }
    }

    /// Switches the microphone to `device_id` ("" for the system default). With a call that
    /// has its microphone, the new track replaces the old one on the sender (no renegotiation)
    /// and the old one is stopped; resolves `true` then, `false` when there is no such call
    /// and the choice waits for the next one. Rejects, changing nothing, when the device
    /// cannot be opened.
    #[wasm_bindgen(js_name = setInputDevice)]
    pub fn set_input_device(&self, device_id: String) -> js_sys::Promise {
        let rc = self.inner.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            devices::switch_input(&rc, device_id)
                .await
                .map(JsValue::from_bool)
                .map_err(|e| JsError::new(&e).into())
        })
    }

    /// Routes call audio to output device `device_id` ("" for the system default) with
    /// `setSinkId`: the call in progress and the later ones. Throws at once when the browser
    /// has no `setSinkId`; otherwise resolves `true` when a call's audio moved, `false` when the
    /// choice waits for the next call, and rejects, keeping the previous choice, when a call's
    /// audio refused the device.
    #[wasm_bindgen(js_name = setOutputDevice)]
    pub fn set_output_device(&self, device_id: &str) -> Result<js_sys::Promise, JsError> {
        devices::switch_output(&self.inner, device_id).map_err(|e| JsError::new(&e))
    }

    /// `RTCPeerConnection.getStats()` of call `call`, for the shim's media watchdog and apps.
    #[wasm_bindgen(js_name = callStats)]
    pub fn call_stats(&self, call: u32) -> Result<js_sys::Promise, JsError> {
        let pc = open_call(&self.inner, call)
            .and_then(|m| m.peer())
            .ok_or_else(no_media)?;
        Ok(pc.get_stats())
    }

    /// Restarts ICE on the connected call `call` (re-INVITE with new candidates), when the
    /// network changed under it. The driver also does it by itself when ICE fails.
    #[wasm_bindgen(js_name = restartIce)]
    pub fn restart_ice(&self, call: u32) -> Result<(), JsError> {
        let mut result = Ok(());
        feed(&self.inner, |ua, now| result = ua.restart_ice(now, call));
        result.map_err(call_error)
    }

    /// The network may have changed (page visible again; `network_back`: the browser's
    /// `online`): checks an open connection so a dead one is replaced within 10 s, reconnects a
    /// lost one now instead of after its backoff, and after `online` restarts a connected
    /// call's ICE (the core's one rate-limited policy).
    #[wasm_bindgen(js_name = checkLink)]
    pub fn check_link(&self, network_back: bool) {
        feed(&self.inner, |ua, now| {
            if network_back {
                ua.network_back(now)
            } else {
                ua.check_link(now)
            }
        });
    }

    /// The WebSocket URL built from the account (3.0.10's rules), for diagnostics.
    #[wasm_bindgen(js_name = websocketUrl)]
    pub fn websocket_url(&self) -> String {
        self.inner
            .core
            .try_borrow()
            .map(|i| i.ua.ws_url().to_string())
            .unwrap_or_default()
    }

    /// `disconnected` | `connecting` | `connected`.
    #[wasm_bindgen(js_name = linkState)]
    pub fn link_state(&self) -> String {
        self.inner
            .core
            .try_borrow()
            .map(|i| events::link_name(i.ua.link_state()))
            .unwrap_or("unknown")
            .into()
    }

    /// `unregistered` | `registering` | `registered` | `unregistering` | `failed`.
    #[wasm_bindgen(js_name = registrationState)]
    pub fn registration_state(&self) -> String {
        use sip_core::RegistrationState as S;
        let Ok(i) = self.inner.core.try_borrow() else {
            return "unknown".into();
        };
        match i.ua.registration_state() {
            S::Unregistered => "unregistered",
            S::Registering => "registering",
            S::Registered => "registered",
            S::Unregistering => "unregistering",
            S::Failed(_) => "failed",
        }
        .into()
    }

    /// `keep(a, b)` is called with every browser object that must not outlive a trapped module:
    /// a WebSocket, an RTCPeerConnection with its audio element, a getUserMedia promise.
    #[wasm_bindgen(js_name = onResource)]
    pub fn on_resource(&self, keep: js_sys::Function) {
        *self.inner.outbox.keeper.borrow_mut() = Some(keep);
    }

    /// Tests only (the key is `TEST_TRAP_KEY`): the next input traps inside the core's borrow,
    /// as an allocation failure would. That input may come from the browser (a frame, a timer,
    /// a media step) or from the shim (an API call).
    #[wasm_bindgen(js_name = __testTrap)]
    pub fn test_trap(&self, key: &str) {
        if key != TEST_TRAP_KEY {
            return;
        }
        if let Ok(mut i) = self.inner.core.try_borrow_mut() {
            i.trap_armed = true;
        }
    }

    /// Closes the socket and cancels the timer without signalling (page teardown). Use
    /// `unregister` first to remove the binding.
    pub fn dispose(&self) {
        if let Ok(mut i) = self.inner.core.try_borrow_mut() {
            i.disposed = true;
            i.socket = None;
            i.timer = None;
            i.media.clear();
        }
    }
}

fn call_error(e: CallError) -> JsError {
    JsError::new(&match e {
        CallError::NoSuchCall => "no such call".to_string(),
        CallError::WrongState(why) | CallError::InvalidTarget(why) => why.to_string(),
        CallError::Busy => "another call is in progress".to_string(),
    })
}

fn no_media() -> JsError {
    JsError::new("no call with media")
}

/// Phase one and two of one input (see the crate docs).
fn feed(rc: &Handle, input: impl FnOnce(&mut UserAgent, u64)) {
    feed_noted(rc, None, input)
}

/// `feed`, with a driver-side log line delivered ahead of the core's events.
fn feed_noted(rc: &Handle, note: Option<JsValue>, input: impl FnOnce(&mut UserAgent, u64)) {
    // One non-generic body for every input: only this small adapter is monomorphised.
    let mut input = Some(input);
    feed_dyn(rc, note, &mut |ua, now| {
        if let Some(f) = input.take() {
            f(ua, now)
        }
    })
}

fn feed_dyn(rc: &Handle, note: Option<JsValue>, input: &mut dyn FnMut(&mut UserAgent, u64)) {
    {
        let Ok(mut inner) = rc.core.try_borrow_mut() else {
            // Only reachable if a browser callback ran inside our own stack; never drop silently.
            console_error("exotel-voice: re-entrant input dropped");
            return;
        };
        if inner.disposed {
            return;
        }
        if inner.trap_armed {
            std::process::abort();
        }
        let now = inner.clock.now_ms();
        input(&mut inner.ua, now);
        let events = execute(&mut inner, rc, now);
        let mut queue = rc.outbox.queue.borrow_mut();
        queue.extend(note);
        queue.extend(events);
    }
    deliver(&rc.outbox);
}

/// Hands queued events to JS in order. A nested call (app code reacting to an event) only
/// queues; the outermost call keeps delivering until the queue is empty.
fn deliver(outbox: &Outbox) {
    if outbox.delivering.replace(true) {
        return;
    }
    loop {
        let next = outbox.queue.borrow_mut().pop_front();
        let Some(e) = next else { break };
        if let Err(err) = outbox.on_event.call1(&JsValue::NULL, &e) {
            // The shim isolates app callbacks; reaching here means the shim itself threw.
            console_error(&format!("exotel-voice: event handler threw: {}", ws::describe(&err)));
        }
    }
    outbox.delivering.set(false);
}

/// Drains the core's outputs: transport commands run now, events are returned for phase two.
fn execute(inner: &mut Inner, rc: &Handle, now: u64) -> Vec<JsValue> {
    let mut out = Vec::new();
    loop {
        let mut connect_failed = false;
        while let Some(o) = inner.ua.poll_output() {
            match o {
                Output::Connect { url } => {
                    let weak = Rc::downgrade(rc);
                    match Socket::open(&url, move |input| on_socket(&weak, input)) {
                        Ok(s) => {
                            keep(rc, s.raw(), &JsValue::UNDEFINED);
                            inner.socket = Some(s);
                        }
                        Err(e) => {
                            out.push(events::log_to_js(sip_core::Level::Error, &e));
                            connect_failed = true;
                        }
                    }
                }
                Output::Send(text) => {
                    let result = match &inner.socket {
                        Some(s) => s.send(&text),
                        None => Err("no WebSocket".into()),
                    };
                    if let Err(e) = result {
                        out.push(events::log_to_js(sip_core::Level::Warn, &format!("send failed: {e}")));
                    }
                }
                Output::Close => inner.socket = None,
                Output::Media(cmd) => run_media(inner, rc, cmd),
                Output::Event(e) => out.push(events::event_to_js(&e)),
                Output::Log { level, message } => out.push(events::log_to_js(level, &message)),
            }
        }
        if !connect_failed {
            break;
        }
        inner.socket = None;
        inner.ua.handle_transport_closed(now);
    }
    arm_timer(inner, rc, now);
    out
}

/// Starts a media step. Results come back through `feed`, from a later task, never from here.
fn run_media(inner: &mut Inner, rc: &Handle, cmd: MediaCommand) {
    let weak = Rc::downgrade(rc);
    match cmd {
        MediaCommand::AcquireMic { call } => {
            inner.media.push(CallMedia::new(call));
            let ns = inner.settings.noise_suppression.get();
            let device = inner.settings.input_device.borrow().clone();
            // `exact`: Chromium ignores a preferred-only deviceId. A chosen microphone that
            // cannot be opened (unplugged since) falls back to the default: the call goes on.
            let request = media::request_mic(ns, device.as_deref());
            if let Ok(p) = &request {
                keep(rc, p, &JsValue::UNDEFINED);
            }
            wasm_bindgen_futures::spawn_local(async move {
                let mut result = match request {
                    Ok(p) => media::settle(p).await,
                    Err(e) => Err(e),
                };
                if let (Err(e), Some(id)) = (&result, &device) {
                    if let Some(rc) = weak.upgrade() {
                        let why = format!("microphone {id}: {e}; the call uses the default one");
                        note(&rc, sip_core::Level::Warn, &why);
                    }
                    result = match media::request_mic(ns, None) {
                        Ok(p) => {
                            if let Some(rc) = weak.upgrade() {
                                keep(&rc, &p, &JsValue::UNDEFINED);
                            }
                            media::settle(p).await
                        }
                        Err(e) => Err(e),
                    };
                }
                let Some(rc) = weak.upgrade() else { return };
                match result {
                    Ok(stream) => {
                        let stream: web_sys::MediaStream = stream.unchecked_into();
                        // Never `stream.clone()`: web-sys maps that to MediaStream.clone(), a
                        // second stream whose tracks nobody would stop.
                        if with_media(&rc, call, |_| ()).is_some() {
                            with_media(&rc, call, move |m| m.adopt_mic(stream));
                            watch_mic(&rc, call);
                        } else {
                            media::stop_tracks(&stream);
                        }
                        feed(&rc, |ua, now| ua.media_mic_ready(now, call));
                    }
                    Err(e) => feed(&rc, |ua, now| ua.media_failed(now, call, MediaFailure::Microphone(e))),
                }
            });
        }
        MediaCommand::AcceptOffer { call, sdp } => {
            let settings = inner.settings.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let Some(rc) = weak.upgrade() else { return };
                let result = match open_peer(&rc, call, &settings) {
                    None => return, // the call ended meanwhile
                    Some(Err(e)) => Err(e),
                    Some(Ok((pc, last))) => {
                        let result = media::answer_offer(pc.clone(), sdp, last).await;
                        if result.is_ok() {
                            send_preferred_codec(&rc, &pc, &settings).await;
                        }
                        result
                    }
                };
                local_sdp_result(&rc, call, result);
            });
        }
        MediaCommand::CreateOffer { call } => {
            let settings = inner.settings.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let Some(rc) = weak.upgrade() else { return };
                let result = match open_peer(&rc, call, &settings) {
                    None => return,
                    Some(Err(e)) => Err(e),
                    Some(Ok((pc, last))) => media::make_offer(pc, last).await,
                };
                local_sdp_result(&rc, call, result);
            });
        }
        MediaCommand::ApplyAnswer { call, sdp, provisional } => {
            let pc = open_media(&mut inner.media, call).and_then(|m| m.peer());
            let Some(pc) = pc else { return };
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(e) = media::apply_answer(pc, sdp, provisional).await {
                    if let Some(rc) = weak.upgrade() {
                        feed(&rc, |ua, now| ua.media_failed(now, call, MediaFailure::Answer(e)));
                    }
                }
            });
        }
        MediaCommand::Reoffer {
            call,
            direction,
            hold,
            ice_restart,
        } => {
            // The far end on hold must not hear the agent (3.0.10 kept sending the microphone).
            let peer = open_media(&mut inner.media, call).and_then(|m| {
                m.set_held(hold);
                m.peer().map(|pc| (pc, ice_restart.then(|| m.last_candidate_at())))
            });
            let Some((pc, restart)) = peer else { return };
            wasm_bindgen_futures::spawn_local(async move {
                let result = renegotiate::reoffer(pc, direction, restart).await;
                if let Some(rc) = weak.upgrade() {
                    local_sdp_result(&rc, call, result);
                }
            });
        }
        MediaCommand::AnswerReoffer { call, sdp, direction } => {
            let peer = open_media(&mut inner.media, call).and_then(|m| m.peer().map(|pc| (pc, m.last_candidate_at())));
            let Some((pc, last)) = peer else { return };
            wasm_bindgen_futures::spawn_local(async move {
                let result = renegotiate::answer_reoffer(pc, sdp, direction, last).await;
                if let Some(rc) = weak.upgrade() {
                    local_sdp_result(&rc, call, result);
                }
            });
        }
        MediaCommand::Rollback { call, direction, hold } => {
            let pc = open_media(&mut inner.media, call).and_then(|m| {
                m.set_held(hold);
                m.peer()
            });
            let Some(pc) = pc else { return };
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(e) = renegotiate::rollback(pc, direction).await {
                    if let Some(rc) = weak.upgrade() {
                        feed(&rc, |ua, now| ua.media_failed(now, call, MediaFailure::Negotiation(e)));
                    }
                }
            });
        }
        MediaCommand::Close { call } => inner.media.retain(|m| m.call != call),
    }
}

/// A new peer connection and the clock of its latest ICE candidate.
type Peer = (web_sys::RtcPeerConnection, Rc<std::cell::Cell<f64>>);

/// Creates the call's peer connection, with listeners that feed media states to the core.
/// `None` when the call has ended meanwhile.
fn open_peer(rc: &Handle, call: u32, settings: &MediaSettings) -> Option<Result<Peer, String>> {
    let w = Rc::downgrade(rc);
    let report = move |input: MediaInput| {
        let MediaInput::State { kind, state } = input;
        if let Some(rc) = w.upgrade() {
            feed(&rc, |ua, now| ua.media_state(now, call, kind, &state));
        }
    };
    let peer = with_media(rc, call, |m| {
        m.create_peer(settings, report).map(|pc| (pc, m.last_candidate_at()))
    });
    if let Some(Ok((pc, _))) = &peer {
        let audio = with_media(rc, call, |m| m.audio()).flatten();
        keep(rc, pc, &audio.map_or(JsValue::UNDEFINED, JsValue::from));
        devices::route_new_call_audio(rc, call, settings);
    }
    if let Some(Ok((pc, _))) = &peer {
        let preferred = settings.preferred_codec.borrow().clone();
        if let Some(mime) = preferred {
            match media::prefer_codec(pc, &mime) {
                Ok(line) => note(rc, sip_core::Level::Debug, &line),
                Err(why) => note(rc, sip_core::Level::Warn, &why),
            }
        }
    }
    peer
}

/// Tells the core (and so the app, as a `call_media` event `microphone`/`ended`) when the
/// call's microphone stops by itself: the call would go on silent.
fn watch_mic(rc: &Handle, call: u32) {
    let w = Rc::downgrade(rc);
    if let Some(mut m) = open_call(rc, call) {
        m.watch_mic(move |_| {
            if let Some(rc) = w.upgrade() {
                feed(&rc, |ua, now| ua.media_state(now, call, "microphone", "ended"));
            }
        });
    }
}

/// After our answer: we would send the offer's first codec (RFC 3264 6.1), so pin the sender to
/// the preferred one when both sides have it. Before the answer goes out, so media starts with it.
async fn send_preferred_codec(rc: &Handle, pc: &web_sys::RtcPeerConnection, settings: &MediaSettings) {
    let preferred = settings.preferred_codec.borrow().clone();
    let Some(mime) = preferred else { return };
    match media::pin_send_codec(pc, &mime).await {
        Ok(line) => note(rc, sip_core::Level::Debug, &line),
        Err(why) => note(rc, sip_core::Level::Info, &why),
    }
}

/// Tells the shim of browser objects to release if this module traps (`Client::on_resource`).
fn keep(rc: &Handle, a: &JsValue, b: &JsValue) {
    if let Some(f) = rc.outbox.keeper.borrow().as_ref() {
        let _ = f.call2(&JsValue::NULL, a, b);
    }
}

/// A driver-side log line, delivered now (from an async step, outside any core borrow).
fn note(rc: &Handle, level: sip_core::Level, message: &str) {
    rc.outbox
        .queue
        .borrow_mut()
        .push_back(events::log_to_js(level, message));
    deliver(&rc.outbox);
}

fn local_sdp_result(rc: &Handle, call: u32, result: Result<String, String>) {
    match result {
        Ok(sdp) => feed(rc, |ua, now| ua.media_local_sdp(now, call, &sdp)),
        Err(e) => feed(rc, |ua, now| ua.media_failed(now, call, MediaFailure::Negotiation(e))),
    }
}

/// Runs `f` on the open media of `call`, if the call still has any.
fn with_media<T>(rc: &Handle, call: u32, f: impl FnOnce(&mut CallMedia) -> T) -> Option<T> {
    open_call(rc, call).map(|mut m| f(&mut m))
}

/// The open media of `call`, borrowed from the core; non-generic, for callers that would
/// otherwise add a `with_media` copy per closure.
fn open_call(rc: &Handle, call: u32) -> Option<std::cell::RefMut<'_, CallMedia>> {
    let inner = rc.core.try_borrow_mut().ok()?;
    std::cell::RefMut::filter_map(inner, |i| open_media(&mut i.media, call)).ok()
}

/// The open media of `call`. One non-generic copy for `with_media` and `run_media`.
fn open_media(media: &mut [CallMedia], call: u32) -> Option<&mut CallMedia> {
    media.iter_mut().find(|m| m.call == call && !m.is_closed())
}

/// Keeps exactly one browser timer, armed for the core's next deadline.
fn arm_timer(inner: &mut Inner, rc: &Handle, now: u64) {
    let next = inner.ua.poll_timeout();
    if inner.timer.as_ref().map(|(at, _)| *at) == next {
        return;
    }
    inner.timer = next.map(|at| {
        let weak: Weak<Shared> = Rc::downgrade(rc);
        // setTimeout takes a signed 32-bit delay: a longer one fires at once, in a loop (review
        // finding 5). The core re-arms a far deadline at each wake-up anyway.
        let delay = at.saturating_sub(now).min(i32::MAX as u64) as u32;
        let t = Timeout::new(delay, move || {
            if let Some(rc) = weak.upgrade() {
                if let Ok(mut i) = rc.core.try_borrow_mut() {
                    i.timer = None; // this one has fired
                }
                feed(&rc, |ua, now| ua.handle_timeout(now));
            }
        });
        (at, t)
    });
}

fn on_socket(weak: &Weak<Shared>, input: WsInput) {
    let Some(rc) = weak.upgrade() else { return };
    match input {
        WsInput::Open => feed(&rc, |ua, now| ua.handle_transport_open(now)),
        WsInput::Text(t) => feed(&rc, |ua, now| ua.handle_text(now, &t)),
        WsInput::Oversized { prefix, len } => feed(&rc, |ua, now| ua.handle_oversized_text(now, &prefix, len)),
        WsInput::Closed { code, reason } => {
            if let Ok(mut i) = rc.core.try_borrow_mut() {
                i.socket = None;
            }
            let sep = if reason.is_empty() { "" } else { ", " };
            let note = events::log_to_js(
                sip_core::Level::Info,
                &format!("WebSocket closed (code {code}{sep}{reason})"),
            );
            feed_noted(&rc, Some(note), |ua, now| ua.handle_transport_closed(now));
        }
    }
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(s: &str);
}
