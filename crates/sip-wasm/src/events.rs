//! Core outputs as plain JS objects for the shim: `{type: "registration" | "link" | "log", ...}`.

use js_sys::Array;
use js_sys::{Object, Reflect};
use sip_core::{CallEvent, EndReason, Event, Level, LinkState, MediaFailure, RegistrationEvent, RegistrationFailure};
use wasm_bindgen::JsValue;

fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o.into()
}

fn s(v: &str) -> JsValue {
    JsValue::from_str(v)
}

pub fn link_name(l: LinkState) -> &'static str {
    match l {
        LinkState::Disconnected => "disconnected",
        LinkState::Connecting => "connecting",
        LinkState::Connected => "connected",
    }
}

fn failure_code(f: &RegistrationFailure) -> &'static str {
    match f {
        RegistrationFailure::AuthenticationFailed { .. } => "auth_failed",
        RegistrationFailure::Rejected { .. } => "rejected",
        RegistrationFailure::IntervalTooBrief { .. } => "interval_too_brief",
        RegistrationFailure::Timeout => "timeout",
        RegistrationFailure::TransportFailed => "transport_failed",
        RegistrationFailure::TransportLost => "transport_lost",
    }
}

fn opt(v: &Option<String>) -> JsValue {
    v.as_deref().map_or(JsValue::NULL, JsValue::from_str)
}

fn end_reason(r: &EndReason) -> (&'static str, JsValue) {
    match r {
        EndReason::LocalHangup => ("local_hangup", JsValue::NULL),
        EndReason::LocalReject => ("local_reject", JsValue::NULL),
        EndReason::RemoteHangup { reason } => ("remote_hangup", opt(reason)),
        EndReason::Cancelled { reason } => ("cancelled", opt(reason)),
        EndReason::NoAnswer => ("no_answer", JsValue::NULL),
        EndReason::MediaFailed(MediaFailure::Microphone(m)) => ("microphone_failed", s(m)),
        EndReason::MediaFailed(MediaFailure::Negotiation(m) | MediaFailure::Answer(m)) => ("negotiation_failed", s(m)),
        EndReason::NoAck => ("no_ack", JsValue::NULL),
        EndReason::LocalCancel => ("local_cancel", JsValue::NULL),
        EndReason::Rejected { status, reason } => ("rejected", s(&format!("{status} {reason}"))),
        EndReason::Timeout => ("timeout", JsValue::NULL),
        EndReason::SessionExpired => ("session_expired", JsValue::NULL),
        EndReason::NoPrack => ("no_prack", JsValue::NULL),
        EndReason::ConnectionLost => ("connection_lost", JsValue::NULL),
    }
}

fn hold_event(name: &str, call: u32, held: bool) -> JsValue {
    obj(&[
        ("type", s("call")),
        ("event", s(name)),
        ("call", JsValue::from(call)),
        ("held", JsValue::from(held)),
    ])
}

fn call_event_to_js(e: &CallEvent) -> JsValue {
    let simple = |name: &str, call: u32| obj(&[("type", s("call")), ("event", s(name)), ("call", JsValue::from(call))]);
    match e {
        CallEvent::Incoming(i) => {
            let headers = Array::new();
            for (n, v) in &i.headers {
                headers.push(&Array::of2(&s(n), &s(v)));
            }
            obj(&[
                ("type", s("call")),
                ("event", s("incoming")),
                ("call", JsValue::from(i.call)),
                ("callId", s(&i.call_id)),
                ("fromDisplay", opt(&i.from_display)),
                ("fromUser", opt(&i.from_user)),
                ("fromUri", s(&i.from_uri)),
                ("headers", headers.into()),
            ])
        }
        CallEvent::Dialing { call, call_id, target } => obj(&[
            ("type", s("call")),
            ("event", s("dialing")),
            ("call", JsValue::from(*call)),
            ("callId", s(call_id)),
            ("target", s(target)),
        ]),
        CallEvent::Ringing { call } => simple("ringing", *call),
        CallEvent::EarlyMedia { call } => simple("early_media", *call),
        CallEvent::HoldChanged { call, held } => hold_event("hold_changed", *call, *held),
        CallEvent::HoldFailed { call, held } => hold_event("hold_failed", *call, *held),
        CallEvent::RemoteHold { call, held } => hold_event("remote_hold", *call, *held),
        CallEvent::Accepted { call } => simple("accepted", *call),
        CallEvent::Connected { call } => simple("connected", *call),
        CallEvent::Reconnecting { call } => simple("reconnecting", *call),
        CallEvent::Reconnected { call } => simple("reconnected", *call),
        CallEvent::Ended { call, reason } => {
            let (code, detail) = end_reason(reason);
            obj(&[
                ("type", s("call")),
                ("event", s("ended")),
                ("call", JsValue::from(*call)),
                ("reason", s(code)),
                ("detail", detail),
                ("remote", JsValue::from(reason.is_remote())),
            ])
        }
    }
}

pub fn event_to_js(e: &Event) -> JsValue {
    match e {
        Event::Call(c) => call_event_to_js(c),
        Event::CallMedia { call, kind, state } => obj(&[
            ("type", s("call_media")),
            ("call", JsValue::from(*call)),
            ("kind", s(kind)),
            ("state", s(state)),
        ]),
        Event::Link(l) => obj(&[("type", s("link")), ("state", s(link_name(*l)))]),
        Event::Registration(r) => match r {
            RegistrationEvent::SentRequest => obj(&[("type", s("registration")), ("state", s("sent_request"))]),
            RegistrationEvent::Registered { expires } => obj(&[
                ("type", s("registration")),
                ("state", s("registered")),
                ("expires", JsValue::from(*expires)),
            ]),
            RegistrationEvent::Unregistered => obj(&[("type", s("registration")), ("state", s("unregistered"))]),
            RegistrationEvent::Failed(f) => {
                let status = match f {
                    RegistrationFailure::AuthenticationFailed { status }
                    | RegistrationFailure::Rejected { status, .. } => JsValue::from(*status),
                    _ => JsValue::NULL,
                };
                obj(&[
                    ("type", s("registration")),
                    ("state", s("failed")),
                    ("reason", s(failure_code(f))),
                    ("status", status),
                    ("message", s(&f.to_string())),
                    ("transient", JsValue::from(f.is_transient())),
                ])
            }
        },
    }
}

pub fn log_to_js(level: Level, message: &str) -> JsValue {
    let level = match level {
        Level::Debug => "debug",
        Level::Info => "info",
        Level::Warn => "warn",
        Level::Error => "error",
    };
    obj(&[("type", s("log")), ("level", s(level)), ("message", s(message))])
}
