//! Core outputs as plain JS objects for the shim: `{type: "registration" | "link" | "log", ...}`.

use js_sys::{Object, Reflect};
use sip_core::{Event, Level, LinkState, RegistrationEvent, RegistrationFailure};
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

pub fn event_to_js(e: &Event) -> JsValue {
    match e {
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
