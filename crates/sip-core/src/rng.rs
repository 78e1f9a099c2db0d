//! Deterministic randomness for identifiers (branches, tags, Call-IDs, cnonces).
//! The driver seeds it from `crypto.getRandomValues`; tests seed it fixed so traces repeat.
//! SplitMix64: tiny, fast, and good enough for identifiers that must be unique, not secret.

#[derive(Debug, Clone)]
pub struct Rng(u64);

const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0); the bias for our small `n` is negligible.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// `len` lowercase alphanumerics.
    pub fn token(&mut self, len: usize) -> String {
        (0..len).map(|_| ALPHABET[self.below(36) as usize] as char).collect()
    }

    /// A new Via branch: RFC 3261's magic cookie and 16 random characters.
    pub fn branch(&mut self) -> String {
        format!("z9hG4bK{}", self.token(16))
    }

    /// A random (version 4) UUID in its text form.
    pub fn uuid(&mut self) -> String {
        let (a, b) = (self.next_u64(), self.next_u64());
        let b = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
        let a = (a & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xFFFF,
            a & 0xFFFF,
            b >> 48,
            b & 0xFFFF_FFFF_FFFF
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_valid_uuid() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        assert_eq!(a.token(10), b.token(10));
        let u = a.uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
    }
}
