//! The one edit the driver makes to an SDP: refusing the non-audio streams of a remote offer.

/// `offer` with every non-audio m= section refused as an offerer removes a stream, port 0
/// (RFC 3264 §8.2): the browser answers those with port 0 and opens nothing for them. The SDK
/// is voice only, and a far-end video stream must not reach the call audio. Stopping the
/// transceiver after setRemoteDescription is not enough: Chromium 156 and Firefox 153 answer
/// a stopping transceiver `a=inactive` on a live port. The refused mids leave the BUNDLE
/// group and lose `a=bundle-only` (port 0 with it means "bundled", RFC 8843 §6). `None`
/// when the offer has audio only.
pub fn refuse_non_audio(offer: &str) -> Option<String> {
    let refused = non_audio_mids(offer)?;
    let mut out = String::with_capacity(offer.len());
    let mut in_refused = false;
    for line in offer.lines() {
        if let Some(m) = line.strip_prefix("m=") {
            in_refused = !m.starts_with("audio ");
            if let (true, Some((media, rest))) = (in_refused, m.split_once(' ')) {
                let proto = rest.split_once(' ').map_or("", |(_, p)| p);
                push_line(&mut out, &["m=", media, " 0 ", proto]);
                continue;
            }
        } else if in_refused && line == "a=bundle-only" {
            continue;
        } else if let Some(mids) = line.strip_prefix("a=group:BUNDLE") {
            let mut group = String::from("a=group:BUNDLE");
            for mid in mids.split(' ').filter(|m| !m.is_empty() && !refused.contains(m)) {
                group.push(' ');
                group.push_str(mid);
            }
            if group.len() > "a=group:BUNDLE".len() {
                push_line(&mut out, &[&group]);
            }
            continue;
        }
        push_line(&mut out, &[line]);
    }
    Some(out)
}

/// The mids of the offer's non-audio m= sections; `None` when it has none.
fn non_audio_mids(offer: &str) -> Option<Vec<&str>> {
    let mut mids = Vec::new();
    let mut any = false;
    let mut in_other = false;
    for line in offer.lines() {
        if let Some(m) = line.strip_prefix("m=") {
            in_other = !m.starts_with("audio ");
            any |= in_other;
        } else if let (true, Some(mid)) = (in_other, line.strip_prefix("a=mid:")) {
            mids.push(mid);
        }
    }
    any.then_some(mids)
}

fn push_line(out: &mut String, parts: &[&str]) {
    for p in parts {
        out.push_str(p);
    }
    out.push_str("\r\n");
}
