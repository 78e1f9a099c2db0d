//! Frames a call produces while the link is down (a hangup's BYE, a 200, a re-INVITE): held
//! in order and sent first on the next link, so a reconnect loses none of them. Bounded in
//! number, bytes and age, so an outage that never ends cannot grow it without limit.

use std::collections::VecDeque;

const MAX_FRAMES: usize = 64;
const MAX_BYTES: usize = 256 * 1024;
/// How long a frame may wait for a link: by then the far end has given up on it anyway
/// (its transaction timed out, its session or RTP timers ended the call).
pub const LIFETIME_MS: u64 = 300_000;

#[derive(Debug, Default)]
pub(crate) struct Held {
    frames: VecDeque<(u64, String)>,
    bytes: usize,
}

impl Held {
    /// Holds `text`; returns how many older frames had to go to make room.
    pub fn push(&mut self, now: u64, text: &str) -> usize {
        self.frames.push_back((now, text.to_string()));
        self.bytes += text.len();
        let mut dropped = 0;
        while self.frames.len() > MAX_FRAMES || (self.bytes > MAX_BYTES && self.frames.len() > 1) {
            if let Some((_, old)) = self.frames.pop_front() {
                self.bytes -= old.len();
                dropped += 1;
            }
        }
        dropped
    }

    /// Every frame still within its lifetime, oldest first, and how many expired.
    pub fn take(&mut self, now: u64) -> (Vec<String>, usize) {
        self.bytes = 0;
        let all = std::mem::take(&mut self.frames);
        let total = all.len();
        let fresh: Vec<String> = all
            .into_iter()
            .filter(|(at, _)| now < at.saturating_add(LIFETIME_MS))
            .map(|(_, f)| f)
            .collect();
        let expired = total - fresh.len();
        (fresh, expired)
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// When the oldest frame expires (the UA then forgets them).
    pub fn expires_at(&self) -> Option<u64> {
        self.frames.front().map(|(at, _)| at.saturating_add(LIFETIME_MS))
    }

    /// Drops the frames whose lifetime is over; returns how many.
    pub fn expire(&mut self, now: u64) -> usize {
        let mut n = 0;
        while self
            .frames
            .front()
            .is_some_and(|(at, _)| now >= at.saturating_add(LIFETIME_MS))
        {
            if let Some((_, f)) = self.frames.pop_front() {
                self.bytes -= f.len();
                n += 1;
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_in_order_bounded_and_aged() {
        let mut h = Held::default();
        assert_eq!(h.push(0, "BYE"), 0);
        assert_eq!(h.push(1, "INFO"), 0);
        let (frames, expired) = h.take(2);
        assert_eq!((frames, expired), (vec!["BYE".to_string(), "INFO".to_string()], 0));
        assert!(h.is_empty());
        for i in 0..70 {
            h.push(i, "x");
        }
        assert_eq!(h.frames.len(), MAX_FRAMES);
        assert_eq!(h.expire(LIFETIME_MS + 10), 5, "frames 6 to 10 (0 to 5 made room)");
        let big = "y".repeat(200 * 1024);
        let mut h = Held::default();
        h.push(0, &big);
        assert_eq!(h.push(0, &big), 1, "over the byte budget, the oldest goes");
    }
}
