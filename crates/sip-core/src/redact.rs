//! Secrets never leave the core in text: SIP traces pass through here before they are logged.

/// Headers whose values carry credentials or credential-derived digests.
const SECRET_HEADERS: &[&str] = &["authorization", "proxy-authorization"];

/// A copy of a SIP message text with every credential header value replaced by `<redacted>`.
pub fn redact_sip(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_head = true;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\r', '\n']);
        if in_head && bare.is_empty() {
            in_head = false;
        }
        if in_head {
            if let Some((name, _)) = bare.split_once(':') {
                if SECRET_HEADERS.iter().any(|s| s.eq_ignore_ascii_case(name.trim())) {
                    out.push_str(name);
                    out.push_str(": <redacted>");
                    // The line ending that `bare` left off.
                    out.push_str(line.get(bare.len()..).unwrap_or_default());
                    continue;
                }
            }
        }
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_authorization_values_only() {
        let m = "REGISTER sip:d SIP/2.0\r\nauthorization: Digest username=\"u\", response=\"abc\"\r\nProxy-Authorization: Digest x\r\nCall-ID: c\r\n\r\n";
        let r = redact_sip(m);
        assert!(!r.contains("response=") && !r.contains("Digest x"));
        assert!(r.contains("authorization: <redacted>\r\n") && r.contains("Call-ID: c\r\n"));
    }
}
