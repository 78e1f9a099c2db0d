//! Retry pacing without storms: exponential backoff with full jitter (every wait uniform in
//! [0, cap], the cap doubling from 0.5 s to 30 s), reset only once things went well again. A
//! thousand agents behind one edge that comes back return spread over the cap, not at once.

use crate::rng::Rng;

const BASE_MS: u64 = 500;
const MAX_MS: u64 = 30_000;
/// A link that stayed up this long counts as recovered even without a registration.
const STABLE_MS: u64 = 60_000;

#[derive(Debug, Default)]
pub(crate) struct Backoff {
    failures: u32,
    next_at: Option<u64>,
    /// The wait was cut short once since the last success (`online`, a visible page).
    shortcut_used: bool,
    /// When the current link opened.
    up_since: Option<u64>,
}

impl Backoff {
    /// The wait cap after `failures` consecutive failures (1-based).
    pub fn cap_ms(failures: u32) -> u64 {
        (BASE_MS << failures.saturating_sub(1).min(6)).min(MAX_MS)
    }

    /// A failure: the next attempt waits a random share of the cap. Returns the wait.
    pub fn failed(&mut self, now: u64, rng: &mut Rng) -> u64 {
        if self.up_since.is_some_and(|t| now >= t.saturating_add(STABLE_MS)) {
            self.succeeded();
        }
        self.up_since = None;
        self.failures = self.failures.saturating_add(1);
        let delay = rng.below(Self::cap_ms(self.failures) + 1);
        self.next_at = Some(now + delay);
        delay
    }

    /// The link opened.
    pub fn connected(&mut self, now: u64) {
        self.up_since = Some(now);
        self.next_at = None;
    }

    /// Things went well (a registration succeeded): the next failure starts from the base.
    pub fn succeeded(&mut self) {
        self.failures = 0;
        self.shortcut_used = false;
    }

    pub fn ready(&self, now: u64) -> bool {
        self.next_at.is_none_or(|t| t <= now)
    }

    /// The instant the wait ends, while one is running.
    pub fn waiting_until(&self) -> Option<u64> {
        self.next_at
    }

    /// An attempt starts now: the wait is over.
    pub fn attempt(&mut self) {
        self.next_at = None;
    }

    /// The network may be back: end the current wait, once per run of failures (so a page
    /// flapping between online and offline cannot turn it into a loop). True when cut.
    pub fn cut_short(&mut self, now: u64) -> bool {
        if self.shortcut_used || self.next_at.is_none_or(|t| t <= now) {
            return false;
        }
        self.shortcut_used = true;
        self.next_at = Some(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_full_jitter_under_a_doubling_cap() {
        assert_eq!(
            (1..=8).map(Backoff::cap_ms).collect::<Vec<_>>(),
            [500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]
        );
        let mut b = Backoff::default();
        let mut rng = Rng::new(1);
        let waits: Vec<u64> = (0..40).map(|_| b.failed(0, &mut rng)).collect();
        assert!(waits.iter().all(|w| *w <= 30_000));
        assert!(
            waits[10..].iter().any(|w| *w < 10_000) && waits[10..].iter().any(|w| *w > 20_000),
            "{waits:?}"
        );
    }

    #[test]
    fn resets_after_success_or_a_stable_link_and_cuts_short_once() {
        let mut b = Backoff::default();
        let mut rng = Rng::new(2);
        for _ in 0..6 {
            b.failed(0, &mut rng);
        }
        b.connected(1_000);
        b.failed(30_000, &mut rng); // up 29 s: not stable
        assert_eq!(b.failures, 7);
        b.connected(40_000);
        b.failed(100_000, &mut rng); // up 60 s: stable
        assert_eq!(b.failures, 1);
        b.next_at = Some(5_000);
        assert!(b.cut_short(0));
        assert!(b.ready(0));
        b.next_at = Some(5_000);
        assert!(!b.cut_short(0), "once per run of failures");
        b.succeeded();
        assert!(b.cut_short(0));
    }
}
