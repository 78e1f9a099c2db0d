//! Header names and the header list of a message.

/// RFC 3261 §7.3.3 compact forms, plus the ones later RFCs registered that real traffic uses.
const COMPACT: &[(u8, &str)] = &[
    (b'a', "Accept-Contact"),
    (b'b', "Referred-By"),
    (b'c', "Content-Type"),
    (b'e', "Content-Encoding"),
    (b'f', "From"),
    (b'i', "Call-ID"),
    (b'k', "Supported"),
    (b'l', "Content-Length"),
    (b'm', "Contact"),
    (b'o', "Event"),
    (b'r', "Refer-To"),
    (b's', "Subject"),
    (b't', "To"),
    (b'u', "Allow-Events"),
    (b'v', "Via"),
    (b'x', "Session-Expires"),
];

/// Spellings we print, so that `call-id` from the wire reads back as `Call-ID`.
const CANONICAL: &[&str] = &[
    "Accept",
    "Allow",
    "Authorization",
    "Call-ID",
    "Contact",
    "Content-Length",
    "Content-Type",
    "CSeq",
    "Expires",
    "From",
    "Max-Forwards",
    "Min-Expires",
    "Proxy-Authenticate",
    "Proxy-Authorization",
    "Reason",
    "Record-Route",
    "Route",
    "Supported",
    "To",
    "User-Agent",
    "Via",
    "WWW-Authenticate",
];

/// Full header name for a name read off the wire: expands compact forms and normalises the
/// spelling of the headers the core reads, so lookups are plain case-insensitive compares.
pub fn canonical_name(name: &str) -> String {
    if name.len() == 1 {
        let c = name.as_bytes()[0].to_ascii_lowercase();
        if let Some((_, full)) = COMPACT.iter().find(|(k, _)| *k == c) {
            return (*full).to_string();
        }
    }
    match CANONICAL.iter().find(|n| n.eq_ignore_ascii_case(name)) {
        Some(n) => (*n).to_string(),
        None => name.to_string(),
    }
}

/// Headers in wire order. Names keep their canonical spelling; values are raw text with
/// folding already undone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<(String, String)>);

impl Headers {
    pub fn new() -> Self {
        Self(Vec::new())
    }

    pub fn push(&mut self, name: &str, value: impl Into<String>) {
        self.0.push((canonical_name(name), value.into()));
    }

    /// First value of `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every header line named `name`, in order, each as written (not split at commas).
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every element of a comma-separated list header (RFC 3261 §7.3.1), across all its lines.
    /// Commas inside quotes or `<...>` do not split.
    pub fn list<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.get_all(name).flat_map(split_list)
    }

    pub fn remove(&mut self, name: &str) {
        self.0.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Splits a header value at top-level commas, trimming each element and dropping empty ones.
pub fn split_list(value: &str) -> impl Iterator<Item = &str> {
    split_top_level(value, b',')
        .into_iter()
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Splits at `sep` outside double quotes (with backslash escapes) and angle brackets.
pub(crate) fn split_top_level(value: &str, sep: u8) -> Vec<&str> {
    let bytes = value.as_bytes();
    let mut parts = Vec::new();
    let (mut start, mut in_quotes, mut in_angle, mut escaped) = (0, false, false, false);
    for (i, &b) in bytes.iter().enumerate() {
        if in_quotes {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_quotes = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_quotes = true,
            b'<' => in_angle = true,
            b'>' => in_angle = false,
            _ if b == sep && !in_angle => {
                // `sep` is ASCII, so `i` and `i + 1` are char boundaries.
                parts.push(value.get(start..i).unwrap_or_default());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(value.get(start..).unwrap_or_default());
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_and_case_variants_become_canonical() {
        assert_eq!(canonical_name("i"), "Call-ID");
        assert_eq!(canonical_name("M"), "Contact");
        assert_eq!(canonical_name("call-id"), "Call-ID");
        assert_eq!(canonical_name("cseq"), "CSeq");
        assert_eq!(canonical_name("X-Exotel-Callsid"), "X-Exotel-Callsid");
    }

    #[test]
    fn list_split_respects_quotes_and_brackets() {
        let v = r#"<sip:a@b;x=1,2>;expires=3, "Doe, J" <sip:c@d>;p="q,r""#;
        let parts: Vec<_> = split_list(v).collect();
        assert_eq!(parts, [r#"<sip:a@b;x=1,2>;expires=3"#, r#""Doe, J" <sip:c@d>;p="q,r""#]);
    }

    #[test]
    fn lookups_are_case_insensitive_across_lines() {
        let mut h = Headers::new();
        h.push("v", "SIP/2.0/WS a;branch=z9hG4bK1, SIP/2.0/WS b;branch=z9hG4bK2");
        h.push("VIA", "SIP/2.0/UDP c;branch=z9hG4bK3");
        assert_eq!(h.list("Via").count(), 3);
        assert_eq!(
            h.get("via"),
            Some("SIP/2.0/WS a;branch=z9hG4bK1, SIP/2.0/WS b;branch=z9hG4bK2")
        );
    }
}
