//! Property tests for the message layer and the UA that reads it: no input panics, what parses
//! prints and reparses to the same message, and typed reads never panic.
//!
//! Seeds are the shared capture corpus (`../shared/sip-corpus/*.sip` beside the repository,
//! when present; a few embedded messages otherwise) plus the RFC 4475 torture messages.

use proptest::prelude::*;
use sip_core::auth::Challenge;
use sip_core::message::{
    parse, split_host_port, split_list, Address, CSeq, HeaderAccess, Headers, Message, Params, Request, Response, Uri,
    Via,
};
use sip_core::redact::redact_sip;
use sip_core::{Account, Output, UserAgent};
use std::path::Path;
use std::sync::OnceLock;

/// Used only when the shared corpus is not beside the repository.
const EMBEDDED: &[&str] = &[
    "REGISTER sip:voip.example.test SIP/2.0\r\nVia: SIP/2.0/WSS k3vd.invalid;branch=z9hG4bK3316215;rport\r\nMax-Forwards: 70\r\nTo: <sip:1001@voip.example.test>\r\nFrom: \"Agent\" <sip:1001@voip.example.test>;tag=a1lr7dt4bu\r\nCall-ID: 9mgjt5c0q6b6n0gk0q1r\r\nCSeq: 1 REGISTER\r\nContact: <sip:p8c1n2ve@k3vd.invalid;transport=ws>;+sip.instance=\"<urn:uuid:5e3b0c1a-8d3e-4b7a-9c2f-1a2b3c4d5e6f>\";reg-id=1;expires=300\r\nExpires: 300\r\nAllow: INVITE,ACK,CANCEL,BYE,OPTIONS\r\nSupported: path,gruu,outbound\r\nUser-Agent: test\r\nContent-Length: 0\r\n\r\n",
    "SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/WSS k3vd.invalid;received=203.0.113.45;rport=52341;branch=z9hG4bK3316215\r\nTo: <sip:1001@voip.example.test>;tag=37GkEhwl6\r\nFrom: <sip:1001@voip.example.test>;tag=a1lr7dt4bu\r\nCall-ID: 9mgjt5c0q6b6n0gk0q1r\r\nCSeq: 1 REGISTER\r\nWWW-Authenticate: Digest realm=\"voip.example.test\", nonce=\"Y2Fyb2xpbmU=\", opaque=\"5ccc069c\", algorithm=MD5, qop=\"auth\"\r\nContent-Length: 0\r\n\r\n",
    "INVITE sip:1001@k3vd.invalid;transport=ws SIP/2.0\r\nVia: SIP/2.0/WSS 198.51.100.7:443;branch=z9hG4bKnashds8;rport\r\nRecord-Route: <sip:198.51.100.7:443;transport=ws;lr>\r\nMax-Forwards: 69\r\nFrom: \"+91 98765 43210\" <sip:+919876543210@voip.example.test>;tag=N4F3\r\nTo: <sip:1001@voip.example.test>\r\nCall-ID: a84b4c76e66710@pc33.example.test\r\nCSeq: 314159 INVITE\r\nContact: <sip:gw@198.51.100.7:443;transport=ws>\r\nContent-Type: application/sdp\r\nContent-Length: 140\r\n\r\nv=0\r\no=- 2890844526 2890842807 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\n",
    "SIP/2.0 200 OK\r\nv: SIP/2.0/WSS k3vd.invalid;branch=z9hG4bK776asdhds\r\nf: <sip:1001@voip.example.test>;tag=a1lr7dt4bu\r\nt: <sip:1001@voip.example.test>;tag=reg1\r\ni: 9mgjt5c0q6b6n0gk0q1r\r\nCSeq: 2 REGISTER\r\nm: <sip:zz@other.invalid;transport=ws>;expires=77, <sip:p8c1n2ve@k3vd.invalid;transport=ws>;expires=300\r\nl: 0\r\n\r\n",
];

fn read_dir(dir: &Path, ext: &str) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .filter_map(|p| Some((p.display().to_string(), std::fs::read(&p).ok()?)))
        .collect();
    out.sort();
    out
}

/// Real traffic: the shared corpus, or the embedded messages when it is not there.
fn corpus() -> &'static [(String, Vec<u8>)] {
    static CORPUS: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/sip-corpus");
        let shared = read_dir(&dir, "sip");
        if !shared.is_empty() {
            return shared;
        }
        EMBEDDED
            .iter()
            .enumerate()
            .map(|(i, m)| (format!("embedded #{i}"), m.as_bytes().to_vec()))
            .collect()
    })
}

/// Mutation seeds: the corpus plus the RFC 4475 torture messages.
fn seeds() -> &'static [Vec<u8>] {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let torture = read_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/torture"), "dat");
        corpus().iter().chain(&torture).map(|(_, b)| b.clone()).collect()
    })
}

/// Fragments that steer mutations into the parser's decisions.
const TOKENS: &[&[u8]] = &[
    b"\r\n",
    b"\r\n\r\n",
    b"\n",
    b"\r",
    b"\r\n ",
    b" ",
    b"\t",
    b":",
    b";",
    b",",
    b"=",
    b"\"",
    b"\\",
    b"<",
    b">",
    b"@",
    b"?",
    b"%",
    b"/",
    b"[",
    b"]",
    b"\0",
    b"\xff",
    b"\xc3",
    "é".as_bytes(),
    "\u{feff}".as_bytes(),
    b"sip:",
    b"sips:",
    b"tel:",
    b"SIP/2.0",
    b"SIP/2.0 ",
    b"SIP/2.0/WSS ",
    b"Via: SIP/2.0/WSS a.invalid;branch=z9hG4bK",
    b";branch=",
    b";tag=",
    b";expires=",
    b";rport",
    b"Content-Length: ",
    b"l: 7",
    b"Content-Length: 18446744073709551616",
    b"CSeq: 4294967296 REGISTER",
    b"Contact: ",
    b"Expires: ",
    b"Min-Expires: 3600",
    b"WWW-Authenticate: Digest ",
    b"Proxy-Authenticate: Digest realm=\"r\", nonce=\"n\"",
    b"nonce=\"",
    b"realm=",
    b"qop=\"auth,auth-int\"",
    b"algorithm=SHA-256",
    b"stale=true",
    b"[::1]:",
    b":65536",
    b"4294967295",
    b"99999999999999999999",
];

#[derive(Debug, Clone)]
enum Op {
    Flip(usize, u8),
    Set(usize, u8),
    Insert(usize, u8),
    Token(usize, usize),
    Delete(usize, usize),
    Truncate(usize),
    /// Copies `len` bytes from one place to another (duplicated headers, parameters).
    Copy(usize, usize, usize),
}

fn op() -> impl Strategy<Value = Op> {
    let at = any::<usize>();
    prop_oneof![
        (at, 0u8..8).prop_map(|(i, b)| Op::Flip(i, b)),
        (at, any::<u8>()).prop_map(|(i, b)| Op::Set(i, b)),
        (at, any::<u8>()).prop_map(|(i, b)| Op::Insert(i, b)),
        (at, 0..TOKENS.len()).prop_map(|(i, t)| Op::Token(i, t)),
        (at, 1usize..64).prop_map(|(i, n)| Op::Delete(i, n)),
        at.prop_map(Op::Truncate),
        (at, at, 1usize..128).prop_map(|(f, t, n)| Op::Copy(f, t, n)),
    ]
}

fn apply(bytes: &mut Vec<u8>, op: &Op) {
    let pos = |i: usize, len: usize| if len == 0 { 0 } else { i % (len + 1) };
    let len = bytes.len();
    match *op {
        Op::Flip(i, bit) if len > 0 => bytes[i % len] ^= 1 << bit,
        Op::Set(i, b) if len > 0 => bytes[i % len] = b,
        Op::Insert(i, b) => bytes.insert(pos(i, len), b),
        Op::Token(i, t) => {
            let at = pos(i, len);
            bytes.splice(at..at, TOKENS[t].iter().copied());
        }
        Op::Delete(i, n) if len > 0 => {
            let at = i % len;
            bytes.drain(at..(at + n).min(len));
        }
        Op::Truncate(i) => bytes.truncate(pos(i, len)),
        Op::Copy(from, to, n) if len > 0 => {
            let from = from % len;
            let piece = bytes[from..(from + n).min(len)].to_vec();
            let at = pos(to, len);
            bytes.splice(at..at, piece);
        }
        _ => {}
    }
}

fn mutated() -> impl Strategy<Value = Vec<u8>> {
    (any::<usize>(), prop::collection::vec(op(), 1..8)).prop_map(|(seed, ops)| {
        let seeds = seeds();
        let mut bytes = seeds[seed % seeds.len()].clone();
        for op in &ops {
            apply(&mut bytes, op);
        }
        bytes
    })
}

/// Text made of SIP's own pieces: gets past the start line far more often than random bytes.
fn sipish() -> impl Strategy<Value = Vec<u8>> {
    const STARTS: &[&[u8]] = &[
        b"INVITE sip:a@b SIP/2.0\r\n",
        b"OPTIONS sip:a@b SIP/2.0\r\n",
        b"SIP/2.0 200 OK\r\n",
        b"SIP/2.0 401 Unauthorized\r\n",
        b"",
    ];
    (
        0..STARTS.len(),
        prop::collection::vec((0..TOKENS.len(), any::<u8>(), any::<bool>()), 0..64),
    )
        .prop_map(|(start, parts)| {
            let mut out = STARTS[start].to_vec();
            for (t, b, raw) in parts {
                if raw && b.is_ascii_graphic() {
                    out.push(b);
                } else {
                    out.extend_from_slice(TOKENS[t]);
                }
            }
            out
        })
}

fn without_length(m: &Message) -> Message {
    let mut m = m.clone();
    match &mut m {
        Message::Request(r) => r.headers.remove("Content-Length"),
        Message::Response(r) => r.headers.remove("Content-Length"),
    }
    m
}

/// Prints `m` and reads it back: the same message (Content-Length aside, which the printer
/// always computes and writes last), and printing the reread message changes nothing.
fn assert_round_trip(m: &Message) {
    let printed = m.to_string();
    let again = match parse(printed.as_bytes()) {
        Ok(a) => a,
        Err(e) => panic!("printed form does not parse ({e}):\n{printed:?}\nfrom {m:?}"),
    };
    assert_eq!(without_length(m), without_length(&again), "{printed:?}");
    assert_eq!(again.to_string(), printed);
}

fn read_everything(h: &impl HeaderAccess) {
    let _ = (h.call_id(), h.cseq(), h.from_addr(), h.to_addr(), h.top_via());
    let _ = h.contacts();
    for name in ["Expires", "Min-Expires", "Max-Forwards", "Content-Length"] {
        let _ = h.header_u32(name);
    }
}

fn read_value(v: &str) {
    if let Ok(a) = Uri::parse(v) {
        let p = a.to_string();
        match Uri::parse(&p) {
            Ok(b) => assert_eq!(a, b, "{v:?} -> {p:?}"),
            Err(e) => panic!("uri {v:?} -> {p:?}: {e}"),
        }
    }
    let _ = (Address::parse(v), Uri::parse(v), Via::parse(v), CSeq::parse(v));
    let _ = (split_host_port(v), Params::parse(v, b';'), Params::parse(v, b','));
    let _ = (Challenge::parse(v, false), Challenge::parse(v, true));
    for element in split_list(v) {
        let _ = (Address::parse(element), Via::parse(element));
    }
}

fn read_headers(h: &Headers) {
    for (_, v) in h.iter() {
        read_value(v);
    }
}

/// Every typed read of a parsed message, then the round trip.
fn check(m: &Message) {
    match m {
        Message::Request(Request { uri, headers, .. }) => {
            read_value(uri);
            read_headers(headers);
        }
        Message::Response(Response { headers, .. }) => read_headers(headers),
    }
    match m {
        Message::Request(r) => read_everything(r),
        Message::Response(r) => read_everything(r),
    }
    assert_round_trip(m);
}

fn fuzz_parse(bytes: &[u8]) {
    let _ = redact_sip(&String::from_utf8_lossy(bytes));
    if let Ok(m) = parse(bytes) {
        check(&m);
    }
}

#[test]
fn corpus_is_readable() {
    assert!(!corpus().is_empty());
    assert!(seeds().len() > corpus().len(), "torture messages missing");
}

/// (c) Each corpus message parses, reads, and round-trips.
#[test]
fn corpus_messages_round_trip() {
    for (name, bytes) in corpus() {
        let m = parse(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        check(&m);
        // Captured traffic is framed exactly: Content-Length counts every byte after the head.
        let head = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let length = m.headers().get("Content-Length").and_then(|l| l.parse().ok());
        assert_eq!(length, Some(bytes.len() - head), "{name}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// (a) Arbitrary bytes never panic the parser.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        fuzz_parse(&bytes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    /// (a) Nor do strings of SIP syntax in random order.
    #[test]
    fn sip_shaped_noise_never_panics(bytes in sipish()) {
        fuzz_parse(&bytes);
    }

    /// (b) Nor do real messages with bytes flipped, inserted, deleted, copied or cut; and what
    /// still parses reads and round-trips.
    #[test]
    fn mutated_messages_never_panic(bytes in mutated()) {
        fuzz_parse(&bytes);
    }
}

// -------------------------------------------------------------------------------------------
// (d) The UA: arbitrary and mutated input mid-registration never panics it, and everything it
// sends stays parsable.

fn account() -> Account {
    Account {
        auth_user: "1001".into(),
        sip_domain: "127.0.0.1".into(),
        password: "x".into(),
        display_name: None,
        ws_url: "ws://127.0.0.1:5066/ws".into(),
    }
}

/// Drains the UA, checking what it sends; returns the requests among it.
fn drain(ua: &mut UserAgent) -> Vec<Request> {
    let mut sent = Vec::new();
    while let Some(out) = ua.poll_output() {
        if let Output::Send(text) = out {
            if text.trim().is_empty() {
                continue; // RFC 5626 keep-alive ping or pong
            }
            match parse(text.as_bytes()) {
                Ok(Message::Request(r)) => sent.push(r),
                Ok(Message::Response(_)) => {}
                Err(e) => panic!("UA sent an unparsable frame ({e}):\n{text}"),
            }
        }
    }
    sent
}

/// A registrar's answer to `req`, as text.
fn answer(req: &Request, status: u16, extra: &[(&str, String)]) -> Vec<u8> {
    let mut h = Headers::new();
    for name in ["Via", "From", "Call-ID", "CSeq"] {
        if let Some(v) = req.headers.get(name) {
            h.push(name, v);
        }
    }
    if let Some(to) = req.headers.get("To") {
        h.push("To", format!("{to};tag=reg1"));
    }
    for (n, v) in extra {
        h.push(n, v.as_str());
    }
    Response {
        status,
        reason: "Whatever".into(),
        headers: h,
        body: String::new(),
    }
    .to_string()
    .into_bytes()
}

/// One registrar turn: a (mutated) challenge or final answer to the UA's last REGISTER.
fn turn(req: &Request, step: u8) -> Vec<u8> {
    let contact = req.headers.get("Contact").unwrap_or_default().to_string();
    match step % 5 {
        0 | 1 => answer(
            req,
            401,
            &[(
                "WWW-Authenticate",
                "Digest realm=\"127.0.0.1\", nonce=\"n1\", opaque=\"op\", algorithm=MD5, qop=\"auth\"".into(),
            )],
        ),
        2 => answer(req, 200, &[("Contact", format!("{contact};expires=60"))]),
        3 => answer(req, 423, &[("Min-Expires", "3600".into())]),
        _ => answer(
            req,
            407,
            &[(
                "Proxy-Authenticate",
                "Digest realm=\"p\", nonce=\"n2\", algorithm=SHA-256, stale=true".into(),
            )],
        ),
    }
}

#[derive(Debug, Clone)]
enum Input {
    /// Answer the last REGISTER, mutated.
    Reply(u8, Vec<Op>),
    /// A mutated seed message.
    Seed(usize, Vec<Op>),
    Bytes(Vec<u8>),
    Timeout(u64),
    Close,
    Open,
    /// The driver's network hints ('online', page visible again).
    CheckLink,
    /// A keep-alive frame from the server: its pong (CRLF) or its ping (CRLFCRLF).
    KeepAlive(bool),
}

fn input() -> impl Strategy<Value = Input> {
    let ops = || prop::collection::vec(op(), 0..4);
    prop_oneof![
        4 => (any::<u8>(), ops()).prop_map(|(s, o)| Input::Reply(s, o)),
        2 => (any::<usize>(), ops()).prop_map(|(s, o)| Input::Seed(s, o)),
        1 => prop::collection::vec(any::<u8>(), 0..512).prop_map(Input::Bytes),
        1 => (0u64..400_000).prop_map(Input::Timeout),
        1 => Just(Input::Close),
        1 => Just(Input::Open),
        1 => Just(Input::CheckLink),
        1 => any::<bool>().prop_map(Input::KeepAlive),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn user_agent_never_panics(inputs in prop::collection::vec(input(), 1..12)) {
        let mut ua = UserAgent::new(account(), 1);
        ua.register(0);
        ua.handle_transport_open(1);
        let mut now = 1;
        let mut last = drain(&mut ua).pop();
        for i in inputs {
            now += 1;
            let text = match i {
                Input::Reply(step, ops) => {
                    let Some(req) = &last else { continue };
                    let mut b = turn(req, step);
                    for op in &ops {
                        apply(&mut b, op);
                    }
                    b
                }
                Input::Seed(s, ops) => {
                    let mut b = seeds()[s % seeds().len()].clone();
                    for op in &ops {
                        apply(&mut b, op);
                    }
                    b
                }
                Input::Bytes(b) => b,
                Input::Timeout(dt) => {
                    now += dt;
                    ua.handle_timeout(now);
                    last = drain(&mut ua).pop().or(last);
                    continue;
                }
                Input::Close => {
                    ua.handle_transport_closed(now);
                    drain(&mut ua);
                    continue;
                }
                Input::Open => {
                    ua.handle_transport_open(now);
                    last = drain(&mut ua).pop().or(last);
                    continue;
                }
                Input::CheckLink => {
                    ua.check_link(now);
                    drain(&mut ua);
                    continue;
                }
                Input::KeepAlive(ping) => (if ping { "\r\n\r\n" } else { "\r\n" }).as_bytes().to_vec(),
            };
            // WebSocket text frames are UTF-8, so that is all handle_text can be given.
            ua.handle_text(now, &String::from_utf8_lossy(&text));
            last = drain(&mut ua).pop().or(last);
        }
        ua.unregister(now);
        drain(&mut ua);
    }
}
