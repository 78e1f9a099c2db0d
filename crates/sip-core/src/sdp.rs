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

/// The direction of the first audio stream: its own attribute, else the session-level one,
/// else sendrecv (§5.1). A port of zero (rejected stream) reads as inactive.
pub fn audio_direction(sdp: &str) -> Direction {
    let mut session = None;
    let mut section: Option<bool> = None; // None: session level; Some(is_audio) inside an m= section
    for line in sdp.lines().map(str::trim) {
        if let Some(m) = line.strip_prefix("m=") {
            if section == Some(true) {
                break; // the first audio section ended without a direction attribute
            }
            let audio = m.starts_with("audio ");
            if audio && m.split_whitespace().nth(1) == Some("0") {
                return Direction::Inactive;
            }
            section = Some(audio);
            continue;
        }
        let dir = match line {
            "a=sendrecv" => Direction::SendRecv,
            "a=sendonly" => Direction::SendOnly,
            "a=recvonly" => Direction::RecvOnly,
            "a=inactive" => Direction::Inactive,
            _ => continue,
        };
        match section {
            None => session = Some(dir),
            Some(true) => return dir,
            Some(false) => {}
        }
    }
    session.unwrap_or(Direction::SendRecv)
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
        assert_eq!(audio_direction(media), SendOnly);
        let session = "v=0\r\na=inactive\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
        assert_eq!(audio_direction(session), Inactive);
        assert_eq!(audio_direction("v=0\r\nm=audio 4000 RTP/AVP 0\r\n"), SendRecv);
        assert_eq!(audio_direction("v=0\r\nm=audio 0 RTP/AVP 0\r\n"), Inactive);
        let video_first = "v=0\r\nm=video 5000 RTP/AVP 96\r\na=recvonly\r\nm=audio 4000 RTP/AVP 0\r\n";
        assert_eq!(audio_direction(video_first), SendRecv);
        assert!(SendOnly.is_hold() && Inactive.is_hold() && !RecvOnly.is_hold());
    }
}
