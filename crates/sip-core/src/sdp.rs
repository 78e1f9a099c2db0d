//! The one thing the core reads in SDP: the media direction (RFC 3264 §5.1, §6.1, §8.4).
//! Everything else in the SDP belongs to the browser.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }

    fn from_flags(send: bool, recv: bool) -> Direction {
        match (send, recv) {
            (true, true) => Direction::SendRecv,
            (true, false) => Direction::SendOnly,
            (false, true) => Direction::RecvOnly,
            (false, false) => Direction::Inactive,
        }
    }

    /// Whether the peer that wrote this direction has put the other side on hold.
    pub fn is_hold(self) -> bool {
        !self.receives()
    }
}

/// Whether an offer could be answered with audio at all: SDP version 0 (RFC 4566 §5.1) and an
/// audio stream on a real port. Anything else is refused before the agent's phone rings.
pub fn offers_audio(sdp: &str) -> bool {
    let mut lines = sdp.lines().map(str::trim);
    if lines.next() != Some("v=0") {
        return false;
    }
    lines.filter_map(|l| l.strip_prefix("m=audio ")).any(|m| {
        let port = m.split_whitespace().next().unwrap_or("");
        let port = port.split('/').next().unwrap_or("");
        port.parse::<u16>().is_ok_and(|p| p > 0)
    })
}

/// The direction of the first audio stream: its own attribute, else the session-level one,
/// else sendrecv (RFC 3264 §5.1). `None` when there is no audio stream or it is rejected
/// (port 0): that is neither a hold nor a resume.
///
/// RFC 2543 hold, still sent by old gateways, is a connection address of 0.0.0.0 (RFC 3264
/// §8.4 asks answerers to understand it): the offerer then receives nothing, so it reads as
/// the direction without "receive".
pub fn audio_direction(sdp: &str) -> Option<Direction> {
    let mut session_dir = None;
    let mut session_zero = false;
    let mut audio: Option<(Option<Direction>, Option<bool>)> = None; // (direction, c= is 0.0.0.0)
    let mut in_audio = false;
    let mut seen_media = false;
    for line in sdp.lines().map(str::trim) {
        if let Some(m) = line.strip_prefix("m=") {
            if in_audio {
                break; // the first audio section ended
            }
            seen_media = true;
            let is_audio = m.starts_with("audio ");
            if is_audio && audio.is_none() {
                if m.split_whitespace().nth(1) == Some("0") {
                    return None;
                }
                audio = Some((None, None));
                in_audio = true;
            }
            continue;
        }
        let zero = line
            .strip_prefix("c=")
            .map(|c| c.split_whitespace().nth(2) == Some("0.0.0.0"));
        let dir = match line {
            "a=sendrecv" => Some(Direction::SendRecv),
            "a=sendonly" => Some(Direction::SendOnly),
            "a=recvonly" => Some(Direction::RecvOnly),
            "a=inactive" => Some(Direction::Inactive),
            _ => None,
        };
        match (&mut audio, in_audio, seen_media) {
            (Some((d, z)), true, _) => {
                if dir.is_some() {
                    *d = dir;
                }
                if zero.is_some() {
                    *z = zero;
                }
            }
            (_, _, false) => {
                if dir.is_some() {
                    session_dir = dir;
                }
                if let Some(zero) = zero {
                    session_zero = zero;
                }
            }
            _ => {}
        }
    }
    let (dir, zero) = audio?;
    let dir = dir.or(session_dir).unwrap_or(Direction::SendRecv);
    if zero.unwrap_or(session_zero) {
        return Some(Direction::from_flags(dir.sends(), false));
    }
    Some(dir)
}

/// RFC 3264 §6.1: the answer to an offered direction. We receive only what the peer sends,
/// send only what it will receive, and while we hold the call we do not want to receive.
pub fn answer_direction(offered: Direction, we_hold: bool) -> Direction {
    Direction::from_flags(offered.receives(), offered.sends() && !we_hold)
}

/// §8.4: the direction to offer. Holding offers sendonly (inactive when the peer holds us
/// too); resuming offers sendrecv (recvonly while the peer still holds us).
pub fn offer_direction(we_hold: bool, peer_holds: bool) -> Direction {
    Direction::from_flags(!peer_holds, !we_hold)
}

#[cfg(test)]
mod tests {
    use super::Direction::*;
    use super::*;

    #[test]
    fn an_offer_without_an_audio_stream_on_a_real_port_is_not_answerable() {
        let ok = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n";
        assert!(offers_audio(ok));
        assert!(offers_audio(
            &ok.replace("m=audio 9 ", "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nm=audio 9/2 ")
        ));
        assert!(!offers_audio(&ok.replace("m=audio", "m=video")), "video only");
        assert!(!offers_audio(&ok.replace("m=audio 9", "m=audio 0")), "rejected stream");
        assert!(!offers_audio("v=banana\r\nm=audio -1 NOPE\r\n\u{0}"), "garbage");
        assert!(!offers_audio(&ok.replace("m=audio 9", "m=audio -1")));
        assert!(!offers_audio(""));
    }

    #[test]
    fn answer_table_is_rfc3264_6_1() {
        // (offered, we_hold) -> answer, every combination.
        let table = [
            (SendRecv, false, SendRecv),
            (SendRecv, true, SendOnly),
            (SendOnly, false, RecvOnly),
            (SendOnly, true, Inactive),
            (RecvOnly, false, SendOnly),
            (RecvOnly, true, SendOnly),
            (Inactive, false, Inactive),
            (Inactive, true, Inactive),
        ];
        for (offered, hold, want) in table {
            assert_eq!(
                answer_direction(offered, hold),
                want,
                "offer {offered:?}, we hold: {hold}"
            );
        }
    }

    #[test]
    fn offers_for_hold_and_resume() {
        assert_eq!(offer_direction(true, false), SendOnly);
        assert_eq!(offer_direction(true, true), Inactive);
        assert_eq!(offer_direction(false, false), SendRecv);
        assert_eq!(offer_direction(false, true), RecvOnly);
    }

    #[test]
    fn reads_media_then_session_level() {
        let media = "v=0\r\na=sendrecv\r\nm=audio 4000 RTP/AVP 0\r\na=sendonly\r\n";
        assert_eq!(audio_direction(media), Some(SendOnly));
        let session = "v=0\r\na=inactive\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
        assert_eq!(audio_direction(session), Some(Inactive));
        assert_eq!(audio_direction("v=0\r\nm=audio 4000 RTP/AVP 0\r\n"), Some(SendRecv));
        let video_first = "v=0\r\nm=video 5000 RTP/AVP 96\r\na=recvonly\r\nm=audio 4000 RTP/AVP 0\r\n";
        assert_eq!(audio_direction(video_first), Some(SendRecv));
        assert!(SendOnly.is_hold() && Inactive.is_hold() && !RecvOnly.is_hold());
    }

    #[test]
    fn a_rejected_or_missing_audio_stream_is_not_a_hold() {
        assert_eq!(audio_direction("v=0\r\nm=audio 0 RTP/AVP 0\r\na=sendonly\r\n"), None);
        assert_eq!(audio_direction("v=0\r\nm=video 5000 RTP/AVP 96\r\n"), None);
        assert_eq!(audio_direction(""), None);
    }

    #[test]
    fn rfc2543_hold_is_a_zero_connection_address() {
        let session_c = "v=0\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
        assert_eq!(audio_direction(session_c), Some(SendOnly));
        let media_c = "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\na=recvonly\r\n";
        assert_eq!(audio_direction(media_c), Some(Inactive));
        let media_real = "v=0\r\nc=IN IP4 0.0.0.0\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 10.0.0.1\r\n";
        assert_eq!(
            audio_direction(media_real),
            Some(SendRecv),
            "the media-level address wins"
        );
    }
}
