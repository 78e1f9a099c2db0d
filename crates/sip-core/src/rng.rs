//! Randomness for identifiers (branches, tags, Call-IDs, cnonces, the instance UUID) and
//! timer jitter: a ChaCha20 generator (RFC 8439 block function) with fast key erasure.
//!
//! The driver keys it with 32 bytes from `crypto.getRandomValues` ([`Rng::from_key`]), so an
//! identifier seen on the wire or in a log says nothing about the next one (the SplitMix64 this
//! replaces gave its whole state away in one `+sip.instance` UUID). Each block's first half
//! becomes the next key and only the second half is handed out, so a state read later cannot
//! recompute earlier outputs. Tests key it from a u64 ([`Rng::new`]) so traces repeat.

const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// Output bytes per block: the other half rekeys the generator.
const OUT: usize = 32;

pub struct Rng {
    key: [u32; 8],
    out: [u8; OUT],
    /// Bytes of `out` already handed out.
    used: usize,
}

// Hand-written: the key must not reach a log through `{:?}`.
impl std::fmt::Debug for Rng {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Rng(<key>)")
    }
}

impl Rng {
    /// A deterministic generator for tests and reproducible traces: the seed is the key's first
    /// eight bytes. Production keys come from [`Rng::from_key`].
    pub fn new(seed: u64) -> Self {
        let mut key = [0u8; 32];
        for (k, b) in key.iter_mut().zip(seed.to_le_bytes()) {
            *k = b;
        }
        Self::from_key(key)
    }

    /// A generator keyed with 32 random bytes (the driver's `crypto.getRandomValues`).
    pub fn from_key(key: [u8; 32]) -> Self {
        let mut words = [0u32; 8];
        for (i, w) in words.iter_mut().enumerate() {
            *w = u32::from_le_bytes([key[4 * i], key[4 * i + 1], key[4 * i + 2], key[4 * i + 3]]);
        }
        Rng {
            key: words,
            out: [0; OUT],
            used: OUT,
        }
    }

    /// Next block: words 0..8 replace the key, words 8..16 are the output.
    fn refill(&mut self) {
        let b = block(&self.key, 0, [0; 3]);
        self.key.copy_from_slice(&b[..8]);
        for (o, w) in self.out.chunks_exact_mut(4).zip(&b[8..]) {
            o.copy_from_slice(&w.to_le_bytes());
        }
        self.used = 0;
    }

    fn byte(&mut self) -> u8 {
        if self.used == OUT {
            self.refill();
        }
        let b = self.out[self.used];
        self.used += 1;
        b
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        for x in &mut b {
            *x = self.byte();
        }
        u64::from_le_bytes(b)
    }

    /// Uniform in `0..n` (n > 0); the modulo bias for our small `n` (< 2^32) is below 2^-32.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// `len` lowercase alphanumerics, uniform: a byte per character, bytes from 252 up
    /// (which would favour the first four characters) drawn again.
    pub fn token(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len);
        while s.len() < len {
            let b = self.byte();
            if b < 252 {
                s.push(ALPHABET[usize::from(b % 36)] as char);
            }
        }
        s
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

/// A column round, then a diagonal round: the state words each quarter round mixes.
const ROUNDS: [[usize; 4]; 8] = [
    [0, 4, 8, 12],
    [1, 5, 9, 13],
    [2, 6, 10, 14],
    [3, 7, 11, 15],
    [0, 5, 10, 15],
    [1, 6, 11, 12],
    [2, 7, 8, 13],
    [3, 4, 9, 14],
];

/// One quarter round; not inlined, so the 80 of a block share one copy. The `& 15` lets the
/// compiler drop the bounds checks.
#[inline(never)]
fn quarter(x: &mut [u32; 16], [a, b, c, d]: [usize; 4]) {
    let (a, b, c, d) = (a & 15, b & 15, c & 15, d & 15);
    x[a] = x[a].wrapping_add(x[b]);
    x[d] = (x[d] ^ x[a]).rotate_left(16);
    x[c] = x[c].wrapping_add(x[d]);
    x[b] = (x[b] ^ x[c]).rotate_left(12);
    x[a] = x[a].wrapping_add(x[b]);
    x[d] = (x[d] ^ x[a]).rotate_left(8);
    x[c] = x[c].wrapping_add(x[d]);
    x[b] = (x[b] ^ x[c]).rotate_left(7);
}

/// The ChaCha20 block function (RFC 8439 §2.3): 20 rounds over the constants, key, block
/// counter and nonce, plus the input state; the 16 words before serialisation.
fn block(key: &[u32; 8], counter: u32, nonce: [u32; 3]) -> [u32; 16] {
    let mut input = [0u32; 16];
    input[..4].copy_from_slice(&[0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574]);
    input[4..12].copy_from_slice(key);
    input[12] = counter;
    input[13..].copy_from_slice(&nonce);
    let mut x = input;
    for _ in 0..10 {
        for q in ROUNDS {
            quarter(&mut x, q);
        }
    }
    for (o, i) in x.iter_mut().zip(input) {
        *o = o.wrapping_add(i);
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(words: &[u32]) -> String {
        words
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// RFC 8439 §2.3.2's test vector: key 00..1f, nonce 000000090000004a00000000, block 1.
    /// The expected keystream was computed independently with
    /// `openssl enc -chacha20 -K 000102..1f -iv 01000000000000090000004a00000000` on zeros.
    #[test]
    fn block_function_matches_rfc_8439() {
        let mut key = [0u32; 8];
        for (i, w) in key.iter_mut().enumerate() {
            let b = (i * 4) as u8;
            *w = u32::from_le_bytes([b, b + 1, b + 2, b + 3]);
        }
        let nonce = [0x0900_0000, 0x4a00_0000, 0];
        assert_eq!(
            hex(&block(&key, 1, nonce)),
            "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e\
             d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e"
        );
    }

    #[test]
    fn same_seed_same_stream_and_valid_uuid() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        assert_eq!(a.token(10), b.token(10));
        let u = a.uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(Rng::new(7).token(20), Rng::new(8).token(20));
    }

    #[test]
    fn tokens_use_the_whole_alphabet_evenly() {
        let mut r = Rng::from_key([0x5a; 32]);
        let mut counts = [0u32; 36];
        for c in r.token(36_000).bytes() {
            let i = ALPHABET.iter().position(|&a| a == c).expect("alphabet character");
            counts[i] += 1;
        }
        // 1000 expected per character; ±200 is over six standard deviations.
        assert!(counts.iter().all(|&n| (800..1200).contains(&n)), "{counts:?}");
    }

    #[test]
    fn the_key_moves_on_so_earlier_output_is_not_recomputable() {
        let mut r = Rng::from_key([1; 32]);
        let first = r.token(32);
        let key_after = r.key;
        let mut replay = Rng {
            key: key_after,
            out: [0; OUT],
            used: OUT,
        };
        assert_ne!(replay.token(32), first, "the state after a block does not replay it");
        assert_ne!(key_after, Rng::from_key([1; 32]).key, "the key was replaced");
    }
}
