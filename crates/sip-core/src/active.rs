//! The one call a user agent has at a time, either direction, behind one interface. Once
//! answered, both directions hand mid-call work to the same `Session`.

use crate::aftermath::Aftermath;
use crate::call::{CallError, CallHandle, MediaFailure, Next};
use crate::incoming::InboundCall;
use crate::message::{Request, Response};
use crate::outgoing::OutboundCall;
use crate::session::Session;
use crate::ua::Ctx;

#[derive(Debug)]
pub(crate) enum ActiveCall {
    In(InboundCall),
    Out(OutboundCall),
}

impl ActiveCall {
    pub fn handle(&self) -> CallHandle {
        match self {
            ActiveCall::In(c) => c.handle,
            ActiveCall::Out(c) => c.handle,
        }
    }

    pub fn poll_timeout(&self) -> Option<u64> {
        match self {
            ActiveCall::In(c) => c.poll_timeout(),
            ActiveCall::Out(c) => c.poll_timeout(),
        }
    }

    pub fn is_unanswered(&self) -> bool {
        match self {
            ActiveCall::In(c) => c.is_unanswered(),
            ActiveCall::Out(c) => c.is_unanswered(),
        }
    }

    pub fn answer(&mut self, ctx: &mut Ctx) -> Result<Next, CallError> {
        match self {
            ActiveCall::In(c) => c.answer(ctx).map(|()| Next::Continue),
            ActiveCall::Out(_) => Err(CallError::WrongState("an outgoing call is answered by the far end")),
        }
    }

    pub fn hangup(&mut self, ctx: &mut Ctx) -> Next {
        match self {
            ActiveCall::In(c) => c.hangup(ctx),
            ActiveCall::Out(c) => c.hangup(ctx),
        }
    }

    pub fn on_mic_ready(&mut self, ctx: &mut Ctx) -> Next {
        match self {
            ActiveCall::In(c) => c.on_mic_ready(ctx),
            ActiveCall::Out(c) => c.on_mic_ready(ctx),
        }
        Next::Continue
    }

    /// Our SDP is ready: an answer or offer of the call's first exchange, or a mid-call one.
    pub fn on_local_sdp(&mut self, ctx: &mut Ctx, sdp: &str) -> Next {
        match self {
            ActiveCall::In(c) => c.on_local_sdp(ctx, sdp),
            ActiveCall::Out(c) => c.on_local_sdp(ctx, sdp),
        }
        Next::Continue
    }

    pub fn on_media_failed(&mut self, ctx: &mut Ctx, failure: MediaFailure) -> Next {
        match self {
            ActiveCall::In(c) => c.on_media_failed(ctx, failure),
            ActiveCall::Out(c) => c.on_media_failed(ctx, failure),
        }
    }

    /// A link opened: an outgoing call's INVITE waiting for it goes; an answered call
    /// refreshes its dialog's target over it (the edge learns the new flow).
    /// Returns whether a target refresh went out, whose outcome `take_flow_outcome` gives later.
    pub fn on_link_up(&mut self, ctx: &mut Ctx) -> bool {
        if let ActiveCall::Out(c) = self {
            c.on_link_up(ctx);
        }
        self.session().is_some_and(|s| s.refresh_flow(ctx))
    }

    pub fn take_flow_outcome(&mut self) -> Option<bool> {
        self.session().and_then(Session::take_flow_outcome)
    }

    /// The call's path stayed lost past the reconnect limit: end it (BYE, CANCEL or a final
    /// response, held for the link if it is still down).
    pub fn abandon(&mut self, ctx: &mut Ctx) -> Next {
        match self {
            ActiveCall::In(c) => c.abandon(ctx),
            ActiveCall::Out(c) => c.abandon(ctx),
        }
    }

    pub fn on_timeout(&mut self, ctx: &mut Ctx) -> Next {
        match self {
            ActiveCall::In(c) => c.on_timeout(ctx),
            ActiveCall::Out(c) => c.on_timeout(ctx),
        }
    }

    pub fn owns_request(&self, req: &Request) -> bool {
        match self {
            ActiveCall::In(c) => c.owns(req),
            ActiveCall::Out(c) => c.owns_request(req),
        }
    }

    pub fn on_request(&mut self, ctx: &mut Ctx, req: &Request) -> Next {
        match self {
            ActiveCall::In(c) => c.on_request(ctx, req),
            ActiveCall::Out(c) => c.on_request(ctx, req),
        }
    }

    pub fn owns_response(&self, resp: &Response) -> bool {
        match self {
            ActiveCall::In(c) => c.owns_response(resp),
            ActiveCall::Out(c) => c.owns_response(resp),
        }
    }

    pub fn on_response(&mut self, ctx: &mut Ctx, resp: &Response) -> Next {
        match self {
            ActiveCall::In(c) => c.on_response(ctx, resp),
            ActiveCall::Out(c) => c.on_response(ctx, resp),
        }
    }

    /// What the call leaves behind when it ends (see aftermath.rs).
    pub fn aftermath(&self, now: u64) -> Aftermath {
        match self {
            ActiveCall::In(c) => c.aftermath(now),
            ActiveCall::Out(c) => c.aftermath(now),
        }
    }

    fn session(&mut self) -> Option<&mut Session> {
        match self {
            ActiveCall::In(c) => c.session(),
            ActiveCall::Out(c) => c.session(),
        }
    }

    pub fn set_hold(&mut self, ctx: &mut Ctx, hold: bool) -> Result<Next, CallError> {
        let session = self
            .session()
            .ok_or(CallError::WrongState("hold needs a connected call"))?;
        session.set_hold(ctx, hold).map(|()| Next::Continue)
    }

    pub fn restart_ice(&mut self, ctx: &mut Ctx) -> Result<Next, CallError> {
        let session = self
            .session()
            .ok_or(CallError::WrongState("ICE restart needs a connected call"))?;
        session.restart_ice(ctx).map(|()| Next::Continue)
    }

    pub fn send_info_dtmf(&mut self, ctx: &mut Ctx, digit: char) -> Result<Next, CallError> {
        let session = self
            .session()
            .ok_or(CallError::WrongState("DTMF needs a connected call"))?;
        session.send_info_dtmf(ctx, digit).map(|()| Next::Continue)
    }
}
