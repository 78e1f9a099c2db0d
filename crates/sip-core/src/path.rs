//! Whether a call can still reach the far end: its signalling (the WebSocket to the edge) and
//! its media (ICE). Either one lost makes the call `Reconnecting`; both back make it
//! `Reconnected`; lost for longer than the limit ends it (Twilio's Voice SDK behaves alike,
//! with the same 30 s default).

use crate::call::{CallEvent, CallHandle};

/// How long a call may stay without a path before it is ended (`set_reconnect_limit`).
pub const DEFAULT_LIMIT_MS: u64 = 30_000;

#[derive(Debug)]
pub(crate) struct CallPath {
    pub call: CallHandle,
    signalling_lost: bool,
    media_lost: bool,
    /// Since when the path is lost, while it is.
    since: Option<u64>,
}

impl CallPath {
    pub fn new(call: CallHandle) -> CallPath {
        CallPath {
            call,
            signalling_lost: false,
            media_lost: false,
            since: None,
        }
    }

    /// The WebSocket went down (`false`) or came back.
    pub fn signalling(&mut self, ok: bool, now: u64) -> Option<CallEvent> {
        self.signalling_lost = !ok;
        self.update(now)
    }

    /// ICE lost its connection (`disconnected`, `failed`) or has one again.
    pub fn media(&mut self, ok: bool, now: u64) -> Option<CallEvent> {
        self.media_lost = !ok;
        self.update(now)
    }

    fn update(&mut self, now: u64) -> Option<CallEvent> {
        let lost = self.signalling_lost || self.media_lost;
        match (lost, self.since) {
            (true, None) => {
                self.since = Some(now);
                Some(CallEvent::Reconnecting { call: self.call })
            }
            (false, Some(_)) => {
                self.since = None;
                Some(CallEvent::Reconnected { call: self.call })
            }
            _ => None,
        }
    }

    /// When the call must end if its path is not back by then.
    pub fn deadline(&self, limit_ms: u64) -> Option<u64> {
        self.since.map(|t| t.saturating_add(limit_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconnecting_once_until_both_paths_are_back() {
        let mut p = CallPath::new(3);
        assert_eq!(p.media(true, 0), None);
        assert_eq!(p.signalling(false, 10), Some(CallEvent::Reconnecting { call: 3 }));
        assert_eq!(p.media(false, 20), None, "already reconnecting");
        assert_eq!(p.deadline(30_000), Some(30_010));
        assert_eq!(p.signalling(true, 30), None, "media still lost");
        assert_eq!(p.media(true, 40), Some(CallEvent::Reconnected { call: 3 }));
        assert_eq!(p.deadline(30_000), None);
    }
}
