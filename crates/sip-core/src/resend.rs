//! A response the UAS core re-sends itself until the far end confirms it: our 2xx to an INVITE
//! until its ACK (RFC 3261 §13.3.1.4: T1 doubling up to T2) and a reliable provisional until its
//! PRACK (RFC 3262 §3: T1 doubling). Both give up after 64·T1. These are end-to-end
//! retransmissions, so they run over reliable transports too.

use crate::session::{T1_MS, TIMER_64T1_MS};

#[derive(Debug)]
pub(crate) struct Resend {
    pub text: String,
    next: u64,
    interval: u64,
    /// The interval stops doubling here (T2 for a 2xx; none for a reliable provisional).
    cap: u64,
    give_up: u64,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Tick {
    Wait,
    /// Send `text` again now.
    Resend,
    /// 64·T1 passed without a confirmation.
    GiveUp,
}

impl Resend {
    /// `text` just went out at `now`.
    pub fn new(now: u64, text: String, cap: u64) -> Resend {
        Resend {
            text,
            next: now + T1_MS,
            interval: T1_MS,
            cap,
            give_up: now + TIMER_64T1_MS,
        }
    }

    pub fn poll_timeout(&self) -> u64 {
        self.next.min(self.give_up)
    }

    pub fn on_timeout(&mut self, now: u64) -> Tick {
        if self.give_up <= now {
            return Tick::GiveUp;
        }
        if self.next > now {
            return Tick::Wait;
        }
        self.interval = (self.interval * 2).min(self.cap);
        self.next = now + self.interval;
        Tick::Resend
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sends(cap: u64) -> Vec<u64> {
        let mut r = Resend::new(0, "x".into(), cap);
        let mut at = Vec::new();
        loop {
            let now = r.poll_timeout();
            match r.on_timeout(now) {
                Tick::Resend => at.push(now),
                Tick::GiveUp => return at,
                Tick::Wait => unreachable!("polled at its own deadline"),
            }
        }
    }

    #[test]
    fn doubles_from_t1_up_to_the_cap_and_gives_up_at_64_t1() {
        assert_eq!(
            sends(4_000),
            [500, 1_500, 3_500, 7_500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500]
        );
        assert_eq!(sends(u64::MAX), [500, 1_500, 3_500, 7_500, 15_500, 31_500]);
    }
}
