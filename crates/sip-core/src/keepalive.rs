//! Keep-alive on the WebSocket flow (RFC 5626 §4.4.1, as RFC 7118 §6 allows): a double-CRLF
//! "ping" at a random 80–100 % of the interval, and a single-CRLF "pong" expected within 10 s.
//!
//! Browsers cannot send WebSocket ping frames, and a flow can die without a close (NAT timeout,
//! a proxy that dropped it, a laptop that slept): the page would look registered while the
//! server can no longer reach it, and calls would be missed until the next re-REGISTER. The
//! pong timeout turns that into a prompt reconnect.
//!
//! Not every server answers pings (Kamailio does; some SBCs do not). A missing pong is only
//! fatal once this server has answered one: until then pings still go out (they keep NAT
//! bindings open) but their silence proves nothing.

use crate::rng::Rng;

/// "If a pong is not received within 10 seconds after sending a ping ... the UA MUST treat
/// the flow as failed" (RFC 5626 §4.4.1).
pub const PONG_TIMEOUT_MS: u64 = 10_000;

/// Default upper bound of the ping interval. Under 50 s, so Chrome's one-wake-up-per-minute
/// throttling of background tabs cannot starve it.
pub const DEFAULT_INTERVAL_MS: u64 = 30_000;

/// The ping frame; the server answers with one CRLF.
pub const PING: &str = "\r\n\r\n";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeepAliveAction {
    /// Send `PING` now.
    Ping,
    /// The flow is dead: close it and reconnect.
    Dead,
    /// The first ping without an answer: the server does not answer pings.
    ServerSilent,
}

#[derive(Debug)]
pub struct KeepAlive {
    /// Upper bound of the interval; 0 turns keep-alive off.
    interval_ms: u64,
    /// From the registrar's `Flow-Timer` (RFC 5626 §4.4.1), which takes precedence.
    flow_timer_ms: Option<u64>,
    link_up: bool,
    next_ping: Option<u64>,
    pong_deadline: Option<u64>,
    /// This server has answered a ping: from now on a missing pong means a dead flow.
    server_answers: bool,
    /// Whether the absence of pongs was already reported.
    silence_reported: bool,
    /// The pending deadline awaits the answer to a request of ours (a REGISTER probe), which
    /// every server gives: its silence means a dead flow even from a server that never pongs.
    awaiting_request: bool,
}

impl KeepAlive {
    pub fn new(interval_ms: u64) -> Self {
        KeepAlive {
            interval_ms,
            flow_timer_ms: None,
            link_up: false,
            next_ping: None,
            pong_deadline: None,
            server_answers: false,
            silence_reported: false,
            awaiting_request: false,
        }
    }

    pub fn set_interval(&mut self, interval_ms: u64, now: u64, rng: &mut Rng) {
        self.interval_ms = interval_ms;
        if self.link_up {
            self.schedule(now, rng);
        }
    }

    /// The registrar's `Flow-Timer`, in seconds: pings then go out at 80–100 % of it.
    pub fn set_flow_timer(&mut self, seconds: u32, now: u64, rng: &mut Rng) {
        let ms = crate::limits::keepalive_ms(u64::from(seconds).saturating_mul(1000));
        if ms > 0 && self.flow_timer_ms != Some(ms) {
            self.flow_timer_ms = Some(ms);
            if self.link_up {
                self.schedule(now, rng);
            }
        }
    }

    fn bound(&self) -> u64 {
        if self.interval_ms == 0 {
            0
        } else {
            self.flow_timer_ms.unwrap_or(self.interval_ms)
        }
    }

    fn schedule(&mut self, now: u64, rng: &mut Rng) {
        let bound = self.bound();
        self.next_ping = (bound > 0).then(|| now + bound - rng.below(bound / 5 + 1));
    }

    pub fn on_link_up(&mut self, now: u64, rng: &mut Rng) {
        self.link_up = true;
        self.pong_deadline = None;
        self.schedule(now, rng);
    }

    pub fn on_link_down(&mut self) {
        self.link_up = false;
        self.next_ping = None;
        self.pong_deadline = None;
        self.awaiting_request = false;
    }

    /// Whether a missing pong proves a dead flow with this server.
    pub fn server_answers(&self) -> bool {
        self.server_answers
    }

    /// A request went out as a probe (see `UserAgent::check_link`): some frame must arrive
    /// within `within_ms`, or the flow is dead.
    pub fn expect_answer(&mut self, now: u64, within_ms: u64) {
        if self.link_up {
            self.pong_deadline = Some(now + within_ms);
            self.awaiting_request = true;
        }
    }

    /// A frame arrived: the flow is alive. `pong` when it was a bare CRLF keep-alive.
    pub fn on_frame(&mut self, pong: bool) {
        if pong && self.pong_deadline.is_some() && !self.awaiting_request {
            self.server_answers = true;
        }
        self.pong_deadline = None;
        self.awaiting_request = false;
    }

    /// Check the flow now (the page became visible again, the network came back): a ping
    /// whose pong is due in 10 s. `None` when keep-alive is off, the link is down, or a ping
    /// already waits for its pong.
    pub fn check_now(&mut self, now: u64, rng: &mut Rng) -> Option<KeepAliveAction> {
        if self.next_ping.is_none() || self.pong_deadline.is_some() {
            return None;
        }
        self.ping(now, rng)
    }

    fn ping(&mut self, now: u64, rng: &mut Rng) -> Option<KeepAliveAction> {
        // The oldest unanswered ping sets the deadline: with an interval under 10 s, later
        // pings must not keep pushing it back.
        self.pong_deadline.get_or_insert(now + PONG_TIMEOUT_MS);
        self.schedule(now, rng);
        Some(KeepAliveAction::Ping)
    }

    pub fn poll_timeout(&self) -> Option<u64> {
        [self.next_ping, self.pong_deadline].into_iter().flatten().min()
    }

    pub fn on_timeout(&mut self, now: u64, rng: &mut Rng) -> Option<KeepAliveAction> {
        if self.pong_deadline.is_some_and(|d| d <= now) {
            self.pong_deadline = None;
            if self.server_answers || std::mem::take(&mut self.awaiting_request) {
                self.on_link_down();
                return Some(KeepAliveAction::Dead);
            }
            if !self.silence_reported {
                self.silence_reported = true;
                return Some(KeepAliveAction::ServerSilent);
            }
        }
        if self.next_ping.is_some_and(|t| t <= now) {
            return self.ping(now, rng);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up(interval: u64) -> (KeepAlive, Rng) {
        let mut rng = Rng::new(7);
        let mut k = KeepAlive::new(interval);
        k.on_link_up(0, &mut rng);
        (k, rng)
    }

    #[test]
    fn pings_at_80_to_100_percent_of_the_interval() {
        for seed in 0..50 {
            let mut rng = Rng::new(seed);
            let mut k = KeepAlive::new(30_000);
            k.on_link_up(1_000, &mut rng);
            let at = k.poll_timeout().unwrap();
            assert!((1_000 + 24_000..=1_000 + 30_000).contains(&at), "{at}");
        }
    }

    #[test]
    fn off_when_the_interval_is_zero() {
        let (k, _) = up(0);
        assert_eq!(k.poll_timeout(), None);
    }

    #[test]
    fn a_silent_server_is_reported_once_and_never_kills_the_flow() {
        let (mut k, mut rng) = up(30_000);
        let t = k.poll_timeout().unwrap();
        assert_eq!(k.on_timeout(t, &mut rng), Some(KeepAliveAction::Ping));
        let deadline = t + PONG_TIMEOUT_MS;
        assert_eq!(k.on_timeout(deadline, &mut rng), Some(KeepAliveAction::ServerSilent));
        let t2 = k.poll_timeout().unwrap();
        assert_eq!(k.on_timeout(t2, &mut rng), Some(KeepAliveAction::Ping));
        assert_eq!(k.on_timeout(t2 + PONG_TIMEOUT_MS, &mut rng), None, "reported once");
    }

    #[test]
    fn once_the_server_answered_a_missing_pong_means_a_dead_flow() {
        let (mut k, mut rng) = up(30_000);
        let t = k.poll_timeout().unwrap();
        assert_eq!(k.on_timeout(t, &mut rng), Some(KeepAliveAction::Ping));
        k.on_frame(true);
        let t2 = k.poll_timeout().unwrap();
        assert!(t2 > t + 20_000, "next ping, not a pong deadline");
        assert_eq!(k.on_timeout(t2, &mut rng), Some(KeepAliveAction::Ping));
        assert_eq!(k.poll_timeout(), Some(t2 + PONG_TIMEOUT_MS));
        assert_eq!(k.on_timeout(t2 + PONG_TIMEOUT_MS - 1, &mut rng), None);
        assert_eq!(
            k.on_timeout(t2 + PONG_TIMEOUT_MS, &mut rng),
            Some(KeepAliveAction::Dead)
        );
        assert_eq!(k.poll_timeout(), None, "nothing until the link is up again");
    }

    #[test]
    fn any_frame_proves_the_flow_alive_but_only_a_crlf_counts_as_a_pong() {
        let (mut k, mut rng) = up(30_000);
        let t = k.poll_timeout().unwrap();
        k.on_timeout(t, &mut rng);
        k.on_frame(false); // a SIP message while waiting
        assert!(k.poll_timeout().unwrap() > t + 20_000);
        let t2 = k.poll_timeout().unwrap();
        k.on_timeout(t2, &mut rng);
        assert_eq!(
            k.on_timeout(t2 + PONG_TIMEOUT_MS, &mut rng),
            Some(KeepAliveAction::ServerSilent),
            "no pong learned from a SIP message"
        );
    }

    #[test]
    fn pings_more_often_than_the_pong_timeout_do_not_postpone_it() {
        let (mut k, mut rng) = up(1_000);
        let t = k.poll_timeout().unwrap();
        k.on_timeout(t, &mut rng);
        k.on_frame(true);
        let first = k.poll_timeout().unwrap();
        let mut now = first;
        let mut dead_at = None;
        while now < first + 20_000 {
            if k.on_timeout(now, &mut rng) == Some(KeepAliveAction::Dead) {
                dead_at = Some(now);
                break;
            }
            now = k.poll_timeout().unwrap();
        }
        assert_eq!(dead_at, Some(first + PONG_TIMEOUT_MS));
    }

    #[test]
    fn flow_timer_sets_the_bound() {
        let (mut k, mut rng) = up(30_000);
        k.set_flow_timer(10, 5_000, &mut rng);
        let at = k.poll_timeout().unwrap();
        assert!((5_000 + 8_000..=5_000 + 10_000).contains(&at), "{at}");
    }

    #[test]
    fn an_unanswered_probe_request_means_a_dead_flow_even_from_a_server_that_never_pongs() {
        let (mut k, mut rng) = up(30_000);
        k.expect_answer(1_000, 5_000);
        assert_eq!(k.poll_timeout(), Some(6_000));
        assert_eq!(k.on_timeout(5_999, &mut rng), None);
        assert_eq!(k.on_timeout(6_000, &mut rng), Some(KeepAliveAction::Dead));
        // Answered in time, the flow lives and a later silent ping is not fatal.
        let (mut k, mut rng) = up(30_000);
        k.expect_answer(1_000, 5_000);
        k.on_frame(false);
        assert!(!k.server_answers(), "a response is not a pong");
        let t = k.poll_timeout().unwrap();
        assert_eq!(k.on_timeout(t, &mut rng), Some(KeepAliveAction::Ping));
        assert_eq!(
            k.on_timeout(t + PONG_TIMEOUT_MS, &mut rng),
            Some(KeepAliveAction::ServerSilent)
        );
    }

    #[test]
    fn check_now_pings_at_once_unless_a_pong_is_awaited() {
        let (mut k, mut rng) = up(30_000);
        assert_eq!(k.check_now(100, &mut rng), Some(KeepAliveAction::Ping));
        assert_eq!(k.check_now(200, &mut rng), None);
        let mut down = KeepAlive::new(30_000);
        assert_eq!(down.check_now(0, &mut rng), None, "link down: nothing to check");
    }
}
