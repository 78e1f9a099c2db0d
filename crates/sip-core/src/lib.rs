//! A sans-IO SIP user agent for browsers (SIP over WebSocket, RFC 7118).
//!
//! Nothing here reads a clock, opens a socket or spawns a task: the driver feeds in what
//! happened and when, and executes what comes out. See `ua::UserAgent`.

// Size guard for the wasm build: one str-slicing panic links ~8 KB (docs/decisions/0002).
// Tests may slice; library code uses split_once, get, strip_prefix and the like.
#![cfg_attr(not(test), warn(clippy::string_slice))]
// The one exception is `account::wipe` (volatile writes that erase the password).
#![deny(unsafe_code)]

pub mod account;
mod active;
mod aftermath;
pub mod auth;
mod backoff;
mod body;
pub mod call;
mod credentials;
mod dialog;
pub mod extensions;
mod held;
mod incoming;
pub mod keepalive;
pub mod limits;
pub mod message;
mod outgoing;
mod path;
pub mod redact;
pub mod registration;
mod reply;
mod resend;
pub mod rng;
pub mod sdp;
mod session;
pub mod timer;
pub mod ua;
pub mod wire;

pub use account::{websocket_url, Account};
pub use call::{CallError, CallEvent, CallHandle, EndReason, IncomingCall, MediaCommand, MediaFailure};
pub use registration::{RegistrationEvent, RegistrationFailure, RegistrationState};
pub use ua::{ContactHost, Event, Level, LinkState, Output, UserAgent};
