//! The bounds the user agent keeps on what it takes in and how often it wakes: a hostile
//! server or a careless app can cost memory and CPU only up to here.

/// Largest SIP message we read (Kamailio's WebSocket buffer is the same 64 KiB): anything
/// longer is answered 513 when its head says where to (RFC 3261 §21.5.14), else dropped.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// How much of an oversized frame the driver hands over: enough for any real header section.
pub const OVERSIZED_PREFIX_BYTES: usize = 16 * 1024;
/// Longest header line (after unfolding).
pub const MAX_LINE_BYTES: usize = 8 * 1024;
/// Longest SIP trace in a log line; the rest is elided with a marker.
pub const MAX_TRACE_BYTES: usize = 4 * 1024;
/// Keep-alive ping bounds (`keepAliveInterval`, `Flow-Timer`): no more often than every 5 s,
/// and at least hourly.
pub const MIN_KEEPALIVE_MS: u64 = 5_000;
pub const MAX_KEEPALIVE_MS: u64 = 3_600_000;
/// Longest registration we schedule a refresh for: a registrar granting weeks is refreshed daily.
pub const MAX_REGISTRATION_S: u32 = 86_400;

/// `text` cut to `max` bytes (at a char boundary) with a marker saying how much was left out.
pub fn elide(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if text.len() <= max {
        return text.into();
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let kept = text.get(..cut).unwrap_or_default();
    format!("{kept}\n[… {} more bytes not shown]", text.len() - cut).into()
}

/// A keep-alive bound in ms: 0 stays off, anything else is brought within [5 s, 1 h].
pub fn keepalive_ms(ms: u64) -> u64 {
    if ms == 0 {
        0
    } else {
        ms.clamp(MIN_KEEPALIVE_MS, MAX_KEEPALIVE_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elide_keeps_short_text_and_marks_what_it_cuts() {
        assert_eq!(elide("abc", 5), "abc");
        let long = "é".repeat(10); // 20 bytes, 2 per char
        let cut = elide(&long, 5);
        assert!(cut.starts_with("éé\n[… 16 more bytes not shown]"), "{cut}");
    }

    #[test]
    fn keepalive_bounds() {
        assert_eq!(keepalive_ms(0), 0);
        assert_eq!(keepalive_ms(1), 5_000);
        assert_eq!(keepalive_ms(u64::MAX), 3_600_000);
        assert_eq!(keepalive_ms(30_000), 30_000);
    }
}
