//! What calls share: handles, media commands and failures, events, end reasons, and the
//! small helpers both directions use. The machines are `incoming.rs` and `outgoing.rs`.
//!
//! Media work is asked for with commands that name the call; its results come back as inputs.
//! A result for a call that has ended meanwhile is dropped with a log line.

use crate::message::{Request, Response};
use crate::reply::response_for;
use crate::sdp::Direction;
use crate::ua::Ctx;

pub type CallHandle = u32;

/// An unanswered call is released with 480 after this long (3.0.10: 60 s).
pub const NO_ANSWER_MS: u64 = 60_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaCommand {
    /// Open the microphone for this call.
    AcquireMic { call: CallHandle },
    /// Create the peer connection, apply the remote offer, produce a local answer once ICE
    /// gathering has completed (or a short cap passed), and report it with `media_answer`.
    AcceptOffer { call: CallHandle, sdp: String },
    /// Create the peer connection with the microphone, make our offer once ICE gathering
    /// allows, and report it with `media_local_sdp`: an outgoing call's INVITE, or the offer
    /// in our 200 to an INVITE that carried none (late offer, RFC 3261 §13.2.1).
    CreateOffer { call: CallHandle },
    /// Apply the far end's answer to our offer. `provisional`: early media from an unreliable
    /// 18x, applied as `pranswer` (RFC 3960); the final answer (2xx, ACK, reliable 18x)
    /// follows as `provisional: false`.
    ApplyAnswer {
        call: CallHandle,
        sdp: String,
        provisional: bool,
    },
    /// Mid-call: offer again with this audio direction (hold or resume); `hold` says whether
    /// the microphone must go silent (the far end on hold must not hear the agent);
    /// `ice_restart` asks for new ICE credentials and candidates (RFC 8445 §9), after gathering.
    Reoffer {
        call: CallHandle,
        direction: Direction,
        hold: bool,
        ice_restart: bool,
    },
    /// Mid-call: answer the far end's new offer with this audio direction (RFC 3264 §6.1).
    AnswerReoffer {
        call: CallHandle,
        sdp: String,
        direction: Direction,
    },
    /// Mid-call: our offer failed; return to the last agreed session (rollback) and to the
    /// audio direction and microphone state in force before it.
    Rollback {
        call: CallHandle,
        direction: Direction,
        hold: bool,
    },
    /// Release the peer connection, the tracks and the remote audio of this call.
    Close { call: CallHandle },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaFailure {
    /// getUserMedia refused (NotAllowedError) or no device (NotFoundError).
    Microphone(String),
    /// The offer could not be applied or answered, or ours could not be made.
    Negotiation(String),
    /// The far end's answer to our offer could not be applied.
    Answer(String),
}

/// For logs: `microphone: NotAllowedError: ...`. Written out rather than `{:?}`, whose string
/// escaping would cost the wasm build about a KiB.
impl std::fmt::Display for MediaFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (what, detail) = match self {
            MediaFailure::Microphone(m) => ("microphone", m),
            MediaFailure::Negotiation(m) => ("negotiation", m),
            MediaFailure::Answer(m) => ("answer", m),
        };
        f.write_str(what)?;
        f.write_str(": ")?;
        f.write_str(detail)
    }
}

/// Who or what ended a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndReason {
    /// We sent BYE (Hangup on a connected call).
    LocalHangup,
    /// We rejected the ringing call (Hangup before answering).
    LocalReject,
    /// The far end sent BYE; its Reason header, if any.
    RemoteHangup { reason: Option<String> },
    /// The caller cancelled before we answered; its Reason header, if any.
    Cancelled { reason: Option<String> },
    /// Nobody answered in time (480).
    NoAnswer,
    /// The microphone or the SDP negotiation failed while answering.
    MediaFailed(MediaFailure),
    /// Our 200 OK was never acknowledged (§13.3.1.4).
    NoAck,
    /// Outgoing: we hung up before the far end answered (CANCEL).
    LocalCancel,
    /// Outgoing: the far end or the network answered with a failure.
    Rejected { status: u16, reason: String },
    /// No response at all to our INVITE or re-INVITE (Timer B), or a 408 to a re-INVITE
    /// (RFC 3261 §14.1).
    Timeout,
    /// Session timers (RFC 4028): the far end stopped refreshing the session.
    SessionExpired,
    /// Our reliable 180 was never acknowledged with PRACK (RFC 3262 §3): 500 to the INVITE.
    NoPrack,
    /// The call's signalling or media path stayed lost for longer than the reconnect limit.
    ConnectionLost,
}

impl EndReason {
    /// True when the far end, not this side, ended the call.
    pub fn is_remote(&self) -> bool {
        matches!(
            self,
            EndReason::RemoteHangup { .. }
                | EndReason::Cancelled { .. }
                | EndReason::Rejected { .. }
                | EndReason::SessionExpired
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingCall {
    pub call: CallHandle,
    pub call_id: String,
    pub from_display: Option<String>,
    pub from_user: Option<String>,
    pub from_uri: String,
    /// Every header of the INVITE, in order, as received.
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallEvent {
    Incoming(IncomingCall),
    /// Outgoing: our call was placed (the INVITE follows once the offer is ready).
    Dialing {
        call: CallHandle,
        call_id: String,
        target: String,
    },
    /// Incoming: 180 Ringing went out. Outgoing: the far end sent 180 or 183.
    Ringing {
        call: CallHandle,
    },
    /// Outgoing: the far end's network plays media before answering (183 with SDP).
    EarlyMedia {
        call: CallHandle,
    },
    /// 200 OK with our answer went out.
    Accepted {
        call: CallHandle,
    },
    /// Our hold or resume was accepted: `held` is the state now.
    HoldChanged {
        call: CallHandle,
        held: bool,
    },
    /// Our hold or resume failed; `held` is the unchanged state. The call goes on.
    HoldFailed {
        call: CallHandle,
        held: bool,
    },
    /// The far end put us on hold, or resumed.
    RemoteHold {
        call: CallHandle,
        held: bool,
    },
    /// The far end acknowledged our 200: the dialog is confirmed.
    Connected {
        call: CallHandle,
    },
    /// The call lost its signalling (WebSocket) or media (ICE) path; it is being recovered.
    Reconnecting {
        call: CallHandle,
    },
    /// Both paths are back after `Reconnecting`.
    Reconnected {
        call: CallHandle,
    },
    Ended {
        call: CallHandle,
        reason: EndReason,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    NoSuchCall,
    /// Answer on a call that is not ringing, and the like.
    WrongState(&'static str),
    /// makeCall while another call is in progress.
    Busy,
    InvalidTarget(&'static str),
}

/// Outcome of handling an input: whether the call has ended (and must be dropped).
pub(crate) enum Next {
    Continue,
    Ended(EndReason),
}

pub(crate) fn send_response(ctx: &mut Ctx, mut resp: Response) {
    resp.headers.push("User-Agent", ctx.local.user_agent);
    ctx.send(&resp.to_string());
}

pub(crate) fn reply(ctx: &mut Ctx, req: &Request, status: u16, tag: &str) {
    send_response(ctx, response_for(req, status, tag));
}
