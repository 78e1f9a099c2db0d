//! Random but plausible input sequences for one `UserAgent`.
//!
//! A sequence is a list of [`Action`]s drawn from a seed *before* it runs. An action names what
//! happens ("the far end answers the UA's latest INVITE", "the driver reports the SDP the UA
//! asked for last") and is resolved against what the UA has sent so far only when it runs. So
//! any action can be deleted from a sequence and the rest still means something: shrinking a
//! failure is deleting actions while it still fails.
//!
//! Sequences are stories (register, take a call, place a call, mid-call exchanges) whose steps
//! are sometimes skipped, repeated or shuffled, with random single actions in between.

use super::rng::Rng;

/// Which call an API call or media result names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandleSel {
    /// `ua.current_call()`, else the last call that started.
    Current,
    /// A call that started earlier (most likely ended): a stale handle.
    Stale(u8),
    /// A handle no call ever had, or the next one the UA will give out.
    Bogus(u32),
}

/// Which media command a media result answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaSel {
    /// The latest command still waiting for its result (what a working driver answers).
    Pending,
    /// The `n`th command from the end of everything asked so far: a duplicate or late result.
    Old(u8),
    /// Whatever call `HandleSel` names.
    Handle(HandleSel),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaResult {
    /// Success of the kind the command asks for (microphone, or local SDP of variant `u8`).
    Auto(u8),
    Mic,
    Sdp(u8),
    FailMic,
    FailNegotiation,
    /// The far end's answer (the latest `ApplyAnswer` of the call) could not be applied.
    FailAnswer,
}

/// Which request of the UA's the far end answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReqSel {
    /// The latest request of the UA without a final response yet (ACK aside).
    Open,
    /// The latest REGISTER.
    Register,
    /// The latest INVITE (initial or re-INVITE).
    Invite,
    /// The `n`th request from the end, answered or not.
    Old(u8),
}

/// Which dialog the far end sends a request in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogSel {
    /// The latest dialog the far end knows (its own call, or one the UA started).
    Latest,
    /// The `n`th from the end.
    Old(u8),
    /// No dialog at all: a request with a To tag and Call-ID nobody knows.
    Dead,
}

/// Byte-level mutations of a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Flip(u32, u8),
    Set(u32, u8),
    Token(u32, u8),
    Delete(u32, u8),
    Truncate(u32),
    Copy(u32, u32, u8),
    /// Replaces one header line by a copy of another header line.
    SwapLine(u32, u32),
    /// Deletes one whole line.
    DropLine(u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    // The app.
    Register,
    Unregister,
    CheckLink,
    Answer(HandleSel),
    Hangup(HandleSel),
    Hold(HandleSel, bool),
    Dtmf(HandleSel, char),
    RestartIce(HandleSel),
    /// Index into `TARGETS`.
    MakeCall(u8),
    Keepalive(u64),
    // The driver's media work.
    Media(MediaSel, MediaResult),
    MediaState(HandleSel, u8, u8),
    // The transport, as the browser reports it.
    /// The socket the UA asked for opens (ignored unless one is being opened).
    Open,
    /// The socket closes or fails (ignored when none is open or opening).
    Close,
    /// `handle_transport_open` / `_closed` whatever the socket's state: a confused driver.
    SpuriousOpen,
    SpuriousClose,
    // Time.
    /// Moves the clock, firing each timer when it is due.
    Advance(u64),
    /// Jumps the clock (a sleeping tab): timers fire late, once.
    Sleep(u64),
    // The far end and the proxy: `detail` seeds every choice inside the frame.
    Reply(ReqSel, u64),
    Invite(u64),
    Cancel(DialogSel),
    Ack(DialogSel, u64),
    InDialog(DialogSel, u64),
    /// PRACK for the UA's latest reliable provisional (RFC 3262).
    Prack(DialogSel),
    OutOfDialog(u64),
    /// A response to nothing the UA sent.
    StrayResponse(u64),
    /// One of the far end's earlier frames again (`n`th from the end).
    Retransmit(u8),
    /// A frame an inner action would send, mutated.
    Mutated(Box<Action>, Vec<Op>),
    /// A corpus or RFC 4475 torture message, mutated.
    Corpus(u16, Vec<Op>),
    /// A keep-alive from the server: its pong (CRLF) or its ping (CRLFCRLF).
    KeepAlive(bool),
}

impl Action {
    /// Whether the action is a frame from the far end (delivered only on an open socket).
    pub fn is_frame(&self) -> bool {
        matches!(
            self,
            Action::Reply(..)
                | Action::Invite(_)
                | Action::Cancel(_)
                | Action::Ack(..)
                | Action::InDialog(..)
                | Action::Prack(_)
                | Action::OutOfDialog(_)
                | Action::StrayResponse(_)
                | Action::Retransmit(_)
                | Action::Mutated(..)
                | Action::Corpus(..)
                | Action::KeepAlive(_)
        )
    }
}

/// Targets for `make_call`: valid ones first, then hostile ones.
pub const TARGETS: &[&str] = &[
    "1002",
    "+919876543210",
    "sip:bob@example.test",
    "sips:carol@example.test:5061;transport=tls",
    "agent_7",
    "*97#",
    "sip:dave@[2001:db8::1]:5060",
    "sip:eve@example.test;user=phone?X-Hdr=1",
    "",
    "   ",
    "sip:",
    "sip:@",
    "tel:+1234",
    "bob smith",
    "sip:a@b\r\nX-Injected: yes",
    "sip:a@b>;tag=x",
    "1002\r\n",
    "sip:\"quoted\"@example.test",
    "é",
    "sip:a@b;lr;lr;lr;lr;lr;lr;lr;lr;lr;lr;lr;lr;lr;lr;lr;lr;lr;lr;lr;lr;lr;lr;lr;lr",
    "99999999999999999999999999999999999999999999999999999999999999999999999999999999999999",
];

const DTMF: &[char] = &['1', '5', '9', '0', '*', '#', 'A', 'd', 'x', ' ', '\n', 'é', '\0'];

/// What a sequence concentrates on. The long run cycles through all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Registration, the transport and time: no call API, and INVITEs only from the corpus
    /// and mutated frames.
    Registration,
    /// Calls from the far end to the UA.
    Incoming,
    /// Calls the UA places.
    Outgoing,
    /// Everything, including corpus mutations and hostile frames.
    Mixed,
}

impl Profile {
    pub const ALL: [Profile; 4] = [
        Profile::Registration,
        Profile::Incoming,
        Profile::Outgoing,
        Profile::Mixed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Profile::Registration => "registration",
            Profile::Incoming => "incoming",
            Profile::Outgoing => "outgoing",
            Profile::Mixed => "mixed",
        }
    }
}

fn handle(r: &mut Rng) -> HandleSel {
    match r.weighted(&[85, 10, 5]) {
        0 => HandleSel::Current,
        1 => HandleSel::Stale(r.below(4) as u8),
        _ => HandleSel::Bogus(*r.pick(&[0, 1, 2, 3, 9, 1000, u32::MAX])),
    }
}

fn media_sel(r: &mut Rng) -> MediaSel {
    match r.weighted(&[80, 12, 8]) {
        0 => MediaSel::Pending,
        1 => MediaSel::Old(r.below(6) as u8),
        _ => MediaSel::Handle(handle(r)),
    }
}

fn media_result(r: &mut Rng) -> MediaResult {
    match r.weighted(&[66, 5, 5, 8, 10, 6]) {
        0 => MediaResult::Auto(r.below(256) as u8),
        1 => MediaResult::Mic,
        2 => MediaResult::Sdp(r.below(256) as u8),
        3 => MediaResult::FailMic,
        4 => MediaResult::FailNegotiation,
        _ => MediaResult::FailAnswer,
    }
}

fn advance(r: &mut Rng) -> Action {
    match r.weighted(&[50, 25, 15, 6, 4]) {
        0 => Action::Advance(r.below(1_000)),
        1 => Action::Advance(r.below(10_000)),
        2 => Action::Advance(30_000 + r.below(40_000)),
        3 => Action::Advance(r.below(700_000)),
        _ => Action::Sleep(*r.pick(&[3_600_000, 86_400_000, 30 * 86_400_000, 10_000_000_000])),
    }
}

fn ops(r: &mut Rng, max: u64) -> Vec<Op> {
    let n = 1 + r.below(max);
    (0..n)
        .map(|_| {
            let at = r.next_u64() as u32;
            match r.weighted(&[10, 10, 25, 12, 4, 10, 15, 14]) {
                0 => Op::Flip(at, r.below(8) as u8),
                1 => Op::Set(at, r.next_u64() as u8),
                2 => Op::Token(at, r.next_u64() as u8),
                3 => Op::Delete(at, 1 + r.below(40) as u8),
                4 => Op::Truncate(at),
                5 => Op::Copy(at, r.next_u64() as u32, 1 + r.below(120) as u8),
                6 => Op::SwapLine(at, r.next_u64() as u32),
                _ => Op::DropLine(at),
            }
        })
        .collect()
}

fn dialog(r: &mut Rng) -> DialogSel {
    match r.weighted(&[80, 12, 8]) {
        0 => DialogSel::Latest,
        1 => DialogSel::Old(r.below(4) as u8),
        _ => DialogSel::Dead,
    }
}

/// One far-end frame, chosen for `profile`.
fn frame(r: &mut Rng, profile: Profile) -> Action {
    let d = r.next_u64();
    let w: &[u32] = match profile {
        // Reply, Invite, Cancel, Ack, InDialog, OutOfDialog, Stray, Retransmit, Mutated, Corpus,
        // KeepAlive, Prack
        Profile::Registration => &[50, 0, 0, 0, 0, 8, 6, 8, 14, 6, 8, 0],
        Profile::Incoming => &[12, 18, 8, 16, 26, 4, 2, 6, 5, 2, 1, 5],
        Profile::Outgoing => &[40, 3, 2, 8, 20, 3, 2, 8, 10, 2, 2, 3],
        Profile::Mixed => &[25, 10, 5, 10, 20, 5, 3, 6, 10, 5, 2, 3],
    };
    match r.weighted(w) {
        0 => Action::Reply(
            match r.weighted(&[70, 10, 10, 10]) {
                0 => ReqSel::Open,
                1 => ReqSel::Register,
                2 => ReqSel::Invite,
                _ => ReqSel::Old(r.below(6) as u8),
            },
            d,
        ),
        1 => Action::Invite(d),
        2 => Action::Cancel(dialog(r)),
        3 => Action::Ack(dialog(r), d),
        4 => Action::InDialog(dialog(r), d),
        5 => Action::OutOfDialog(d),
        6 => Action::StrayResponse(d),
        7 => Action::Retransmit(r.below(6) as u8),
        8 => {
            let inner = frame(r, profile);
            let inner = if matches!(inner, Action::Mutated(..)) {
                Action::Invite(d)
            } else {
                inner
            };
            Action::Mutated(Box::new(inner), ops(r, 4))
        }
        9 => Action::Corpus(r.next_u64() as u16, if r.chance(20) { Vec::new() } else { ops(r, 4) }),
        10 => Action::KeepAlive(r.chance(50)),
        _ => Action::Prack(dialog(r)),
    }
}

/// One action of any kind, chosen for `profile`.
fn single(r: &mut Rng, profile: Profile) -> Action {
    let calls = profile != Profile::Registration;
    // register, unregister, check_link, keepalive, open, close, spurious, time, frame, call api, media
    let w: &[u32] = if calls {
        &[3, 2, 2, 1, 6, 3, 1, 14, 40, 14, 14]
    } else {
        &[8, 6, 4, 2, 12, 6, 2, 20, 40, 0, 0]
    };
    match r.weighted(w) {
        0 => Action::Register,
        1 => Action::Unregister,
        2 => Action::CheckLink,
        3 => Action::Keepalive(*r.pick(&[0, 1, 1_000, 30_000, 120_000])),
        4 => Action::Open,
        5 => Action::Close,
        6 => {
            if r.chance(50) {
                Action::SpuriousOpen
            } else {
                Action::SpuriousClose
            }
        }
        7 => advance(r),
        8 => frame(r, profile),
        9 => match r.weighted(&[14, 16, 12, 8, 6, 10, 4]) {
            0 => Action::Answer(handle(r)),
            1 => Action::Hangup(handle(r)),
            2 => Action::Hold(handle(r), r.chance(60)),
            3 => Action::Dtmf(handle(r), *r.pick(DTMF)),
            4 => Action::RestartIce(handle(r)),
            5 => Action::MakeCall(if r.chance(75) {
                r.below(8) as u8
            } else {
                r.below(TARGETS.len() as u64) as u8
            }),
            _ => Action::MediaState(handle(r), r.below(4) as u8, r.below(8) as u8),
        },
        _ => Action::Media(media_sel(r), media_result(r)),
    }
}

fn register_story(r: &mut Rng) -> Vec<Action> {
    let mut s = vec![Action::Register, Action::Open];
    if r.chance(70) {
        s.push(Action::Reply(ReqSel::Register, 1)); // challenge
    }
    s.push(Action::Reply(ReqSel::Register, 0)); // 200 echoing our binding
    s
}

fn incoming_story(r: &mut Rng) -> Vec<Action> {
    let mut s = vec![Action::Invite(r.next_u64())];
    if r.chance(35) {
        s.push(Action::Prack(DialogSel::Latest)); // for a reliable 180 (Require: 100rel)
    }
    if r.chance(15) {
        s.push(Action::Advance(r.below(3_000)));
    }
    s.push(Action::Answer(HandleSel::Current));
    s.push(Action::Media(MediaSel::Pending, MediaResult::Auto(r.below(256) as u8)));
    s.push(Action::Media(MediaSel::Pending, MediaResult::Auto(r.below(256) as u8)));
    s.push(Action::Ack(DialogSel::Latest, r.next_u64()));
    s
}

fn outgoing_story(r: &mut Rng) -> Vec<Action> {
    let target = if r.chance(90) {
        r.below(8) as u8
    } else {
        r.below(TARGETS.len() as u64) as u8
    };
    let mut s = vec![
        Action::MakeCall(target),
        Action::Open,
        Action::Media(MediaSel::Pending, MediaResult::Auto(r.below(256) as u8)),
        Action::Media(MediaSel::Pending, MediaResult::Auto(r.below(256) as u8)),
    ];
    for _ in 0..1 + r.below(4) {
        s.push(Action::Reply(ReqSel::Invite, r.next_u64()));
    }
    if r.chance(8) {
        s.push(Action::Media(MediaSel::Pending, MediaResult::FailAnswer));
    }
    s
}

fn midcall_story(r: &mut Rng) -> Vec<Action> {
    match r.below(8) {
        0 | 1 => vec![
            Action::Hold(HandleSel::Current, r.chance(70)),
            Action::Media(MediaSel::Pending, media_ok_or_fail(r)),
            Action::Reply(ReqSel::Invite, r.next_u64()),
            Action::Media(MediaSel::Pending, media_ok_or_fail(r)),
        ],
        2 | 3 => vec![
            Action::InDialog(DialogSel::Latest, r.next_u64()),
            Action::Media(MediaSel::Pending, media_ok_or_fail(r)),
            Action::Ack(DialogSel::Latest, r.next_u64()),
        ],
        4 => vec![
            Action::RestartIce(HandleSel::Current),
            Action::Media(MediaSel::Pending, media_ok_or_fail(r)),
            Action::Reply(ReqSel::Invite, r.next_u64()),
        ],
        5 => vec![
            Action::Dtmf(HandleSel::Current, *r.pick(DTMF)),
            Action::Reply(ReqSel::Open, r.next_u64()),
        ],
        6 => vec![
            Action::Hangup(HandleSel::Current),
            Action::Reply(ReqSel::Open, r.next_u64()),
        ],
        _ => vec![Action::InDialog(DialogSel::Latest, r.next_u64())],
    }
}

fn media_ok_or_fail(r: &mut Rng) -> MediaResult {
    match r.weighted(&[78, 12, 4, 6]) {
        0 => MediaResult::Auto(r.below(256) as u8),
        1 => MediaResult::FailNegotiation,
        2 => MediaResult::FailMic,
        _ => MediaResult::FailAnswer,
    }
}

/// The actions of one sequence.
pub fn sequence(seed: u64, profile: Profile, max_len: usize) -> Vec<Action> {
    let mut r = Rng::new(seed);
    let target = 8 + r.index(max_len.saturating_sub(8).max(1));
    let mut out = Vec::with_capacity(target + 8);
    if r.chance(85) {
        out.extend(register_story(&mut r));
    }
    while out.len() < target {
        let story = match profile {
            Profile::Registration => match r.below(4) {
                0 => register_story(&mut r),
                _ => vec![single(&mut r, profile)],
            },
            Profile::Incoming => match r.below(8) {
                0 | 1 => incoming_story(&mut r),
                2 | 3 => midcall_story(&mut r),
                _ => vec![single(&mut r, profile)],
            },
            Profile::Outgoing => match r.below(8) {
                0 | 1 => outgoing_story(&mut r),
                2 | 3 => midcall_story(&mut r),
                _ => vec![single(&mut r, profile)],
            },
            Profile::Mixed => match r.below(10) {
                0 => register_story(&mut r),
                1 | 2 => incoming_story(&mut r),
                3 | 4 => outgoing_story(&mut r),
                5 | 6 => midcall_story(&mut r),
                _ => vec![single(&mut r, profile)],
            },
        };
        for a in story {
            // Steps are skipped, doubled, or have something random happen before them.
            if r.chance(8) {
                continue;
            }
            if r.chance(12) {
                out.push(single(&mut r, profile));
            }
            if r.chance(10) {
                out.push(advance(&mut r));
            }
            if r.chance(4) {
                out.push(a.clone());
            }
            out.push(a);
        }
    }
    out
}
