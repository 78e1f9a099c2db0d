//! The far end and the proxy in front of it, scripted: they answer what the UA sent (its
//! REGISTERs, INVITEs, in-dialog requests), call it, and send requests in the dialogs that
//! exist, with the options SBCs use (100rel, Session-Expires, forks, late offer) and the
//! mistakes peers make (dead dialogs, old CSeqs, stray responses). Every choice inside a frame
//! comes from the action's `detail` seed.

use super::gen::{DialogSel, Op, ReqSel};
use super::rng::Rng;
use sip_core::message::{HeaderAccess, Headers, Message, Method, Request, Response};
use std::path::Path;
use std::sync::OnceLock;

const DOMAIN: &str = "example.test";
const PROXY_VIA: &str = "SIP/2.0/WSS 198.51.100.7:443";

/// A request the UA sent, and what the far end has answered so far.
#[derive(Debug)]
pub struct UaRequest {
    pub req: Request,
    pub provisionals: u32,
    pub finals: u32,
}

/// A dialog as the far end sees it (its own call to the UA, or one the UA placed).
#[derive(Debug, Clone)]
pub struct PeerDialog {
    pub call_id: String,
    /// Our side (From of our requests), with our tag.
    pub ours: String,
    pub our_tag: String,
    /// The UA's side (To of our requests), without its tag.
    pub theirs: String,
    pub their_tag: Option<String>,
    /// Request-URI of our in-dialog requests: the UA's Contact.
    pub target: String,
    pub cseq: u32,
    /// Our INVITE that created the dialog: branch, CSeq, request-URI, To as sent.
    pub invite: Option<(String, u32)>,
    /// Our latest INVITE in the dialog (initial or re-): branch, CSeq, whether it had SDP,
    /// and the UA's final status to it once seen.
    pub last_invite: Option<(String, u32, bool, Option<u16>)>,
    /// The RSeq of the UA's latest reliable provisional, for PRACK.
    pub rseq: Option<u32>,
}

#[derive(Default)]
pub struct Peer {
    /// Every frame given to the UA, for retransmissions.
    pub frames: Vec<String>,
    pub requests: Vec<UaRequest>,
    pub dialogs: Vec<PeerDialog>,
    counter: u64,
}

pub fn sdp(version: u64, ip: &str, direction: &str) -> String {
    format!(
        "v=0\r\no=- {version} {version} IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio 4000 RTP/SAVPF 111 0 101\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:101 telephone-event/48000\r\na=ice-ufrag:u{version}\r\na=ice-pwd:p{version}pppppppppppppppppppp\r\na=fingerprint:sha-256 00:11:22\r\na=setup:actpass\r\na={direction}\r\n"
    )
}

/// A body for an offer or answer: mostly plausible SDP, sometimes not.
fn body(r: &mut Rng, ip: &str) -> (String, String) {
    let v = r.below(1_000_000);
    match r.weighted(&[70, 8, 6, 5, 3, 3, 3, 2]) {
        0 => ("application/sdp".into(), sdp(v, ip, "sendrecv")),
        1 => ("application/sdp".into(), sdp(v, ip, "sendonly")),
        2 => ("application/sdp".into(), sdp(v, ip, "inactive")),
        3 => ("application/sdp".into(), sdp(v, ip, "recvonly")),
        4 => ("application/sdp".into(), "v=0\r\nthis is not sdp\r\n".into()),
        5 => (
            "multipart/mixed;boundary=b1".into(),
            format!("--b1\r\nContent-Type: application/sdp\r\n\r\n{}--b1\r\nContent-Type: application/isup\r\n\r\nxx\r\n--b1--\r\n", sdp(v, ip, "sendrecv")),
        ),
        6 => ("text/plain".into(), "hello".into()),
        _ => ("application/sdp".into(), sdp(v, "0.0.0.0", "sendrecv")),
    }
}

/// A byte string the mutations splice in: SIP's own syntax and the headers calls depend on.
const TOKENS: &[&str] = &[
    "\r\n",
    "\r\n\r\n",
    "\n",
    " ",
    ":",
    ";",
    ",",
    "=",
    "\"",
    "<",
    ">",
    "@",
    "\0",
    "é",
    ";tag=",
    ";tag=x",
    ";branch=z9hG4bK",
    ";branch=",
    ";lr",
    ";expires=0",
    "sip:",
    "SIP/2.0",
    "SIP/2.0/WSS h;branch=z9hG4bKx",
    "\r\nVia: SIP/2.0/WSS h;branch=z9hG4bKdup",
    "\r\nTo: <sip:1001@example.test>;tag=other",
    "\r\nFrom: <sip:x@y>",
    "\r\nCall-ID: other",
    "\r\nCSeq: 0 INVITE",
    "\r\nCSeq: 4294967295 INVITE",
    "\r\nCSeq: 1 ACK",
    "\r\nCSeq: 2 BYE",
    "\r\nContent-Length: 0",
    "\r\nContent-Length: 99999",
    "\r\nContent-Type: application/sdp",
    "\r\nContact: *",
    "\r\nContact: <sip:new@10.9.9.9>",
    "\r\nRequire: 100rel",
    "\r\nRequire: timer, foo",
    "\r\nRSeq: 0",
    "\r\nRAck: 1 1 INVITE",
    "\r\nSession-Expires: 1;refresher=uas",
    "\r\nMin-SE: 99999",
    "\r\nRecord-Route: <sip:10.0.0.1>",
    "\r\nExpires: 0",
    "\r\nRetry-After: 4294967296",
    "\r\nMax-Forwards: 0",
    "\r\nWWW-Authenticate: Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\"",
    "\r\nProxy-Authenticate: Digest realm=\"p\", nonce=\"n2\", algorithm=SHA-256, stale=true",
    "INVITE",
    "ACK",
    "BYE",
    "SIP/2.0 200 OK",
    "SIP/2.0 180 Ringing",
    "4294967296",
    "-1",
];

pub fn mutate(text: &str, ops: &[Op]) -> String {
    let mut b = text.as_bytes().to_vec();
    let pos = |i: u32, len: usize| if len == 0 { 0 } else { i as usize % (len + 1) };
    for op in ops {
        let len = b.len();
        match *op {
            Op::Flip(i, bit) if len > 0 => b[i as usize % len] ^= 1 << (bit % 8),
            Op::Set(i, v) if len > 0 => b[i as usize % len] = v,
            Op::Token(i, t) => {
                let at = pos(i, len);
                let tok = TOKENS[t as usize % TOKENS.len()].as_bytes();
                b.splice(at..at, tok.iter().copied());
            }
            Op::Delete(i, n) if len > 0 => {
                let at = i as usize % len;
                b.drain(at..(at + n as usize).min(len));
            }
            Op::Truncate(i) => b.truncate(pos(i, len)),
            Op::Copy(from, to, n) if len > 0 => {
                let from = from as usize % len;
                let piece = b[from..(from + n as usize).min(len)].to_vec();
                let at = pos(to, len);
                b.splice(at..at, piece);
            }
            Op::SwapLine(a, c) | Op::DropLine(a @ c) => {
                let s = String::from_utf8_lossy(&b).into_owned();
                let Some((head, rest)) = s.split_once("\r\n\r\n") else {
                    continue;
                };
                let mut lines: Vec<&str> = head.split("\r\n").collect();
                if lines.len() < 3 {
                    continue;
                }
                let n = lines.len() - 1;
                let a = 1 + a as usize % n;
                let c = 1 + c as usize % n;
                if matches!(op, Op::DropLine(_)) {
                    lines.remove(a);
                } else {
                    lines[a] = lines[c];
                }
                b = format!("{}\r\n\r\n{rest}", lines.join("\r\n")).into_bytes();
            }
            _ => {}
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

fn read_dir(dir: &Path, ext: &str) -> Vec<Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    paths.sort();
    paths.iter().filter_map(|p| std::fs::read(p).ok()).collect()
}

/// The shared capture corpus (beside the repository) and the RFC 4475 torture messages.
pub fn corpus() -> &'static [Vec<u8>] {
    static CORPUS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut all = read_dir(&root.join("../../../shared/sip-corpus"), "sip");
        all.extend(read_dir(&root.join("tests/torture"), "dat"));
        if all.is_empty() {
            all.push(b"OPTIONS sip:1001@example.test SIP/2.0\r\nVia: SIP/2.0/WSS h;branch=z9hG4bKc\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:1001@example.test>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n".to_vec());
        }
        all
    })
}

fn tag_of(value: &str) -> Option<String> {
    sip_core::message::Address::parse(value)
        .ok()
        .and_then(|a| a.tag().map(str::to_string))
}

fn contact_uri(m: &impl HeaderAccess) -> Option<String> {
    m.contacts().first().map(|c| c.uri.to_string())
}

impl Peer {
    fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    /// Learns from what the UA sent: its requests (to answer) and its responses (its tags,
    /// its Contact, its final status, RSeq).
    pub fn observe(&mut self, m: &Message) {
        match m {
            Message::Request(req) => {
                self.requests.push(UaRequest {
                    req: req.clone(),
                    provisionals: 0,
                    finals: 0,
                });
                if self.requests.len() > 64 {
                    self.requests.remove(0);
                }
            }
            Message::Response(resp) => {
                let Some(call_id) = resp.call_id() else { return };
                let from_tag = resp.headers.get("From").and_then(tag_of);
                let to_tag = resp.headers.get("To").and_then(tag_of);
                let cseq = resp.cseq().map(|c| (c.seq, c.method.to_string()));
                for d in self
                    .dialogs
                    .iter_mut()
                    .filter(|d| d.call_id == call_id && from_tag.as_deref() == Some(d.our_tag.as_str()))
                {
                    if resp.status > 100 && d.their_tag.is_none() {
                        d.their_tag.clone_from(&to_tag);
                    }
                    if let Some(c) = contact_uri(resp) {
                        d.target = c;
                    }
                    if let Some(rseq) = resp.header_u32("RSeq") {
                        d.rseq = Some(rseq);
                    }
                    if let (Some((seq, method)), Some(last)) = (&cseq, d.last_invite.as_mut()) {
                        if method == "INVITE" && *seq == last.1 && resp.status >= 200 && last.3.is_none() {
                            last.3 = Some(resp.status);
                        }
                    }
                }
            }
        }
    }

    fn pick_request(&self, sel: ReqSel) -> Option<usize> {
        let reqs = &self.requests;
        let open = |r: &UaRequest| r.finals == 0 && r.req.method != Method::Ack;
        match sel {
            ReqSel::Open => reqs.iter().rposition(open),
            ReqSel::Register => reqs.iter().rposition(|r| r.req.method == Method::Register),
            ReqSel::Invite => reqs.iter().rposition(|r| r.req.method == Method::Invite),
            ReqSel::Old(n) => {
                let candidates: Vec<usize> = (0..reqs.len()).filter(|i| reqs[*i].req.method != Method::Ack).collect();
                if candidates.is_empty() {
                    None
                } else {
                    Some(candidates[candidates.len() - 1 - (n as usize % candidates.len().min(8))])
                }
            }
        }
    }

    fn pick_dialog(&self, sel: DialogSel) -> Option<usize> {
        let n = self.dialogs.len();
        match sel {
            _ if n == 0 => None,
            DialogSel::Latest => Some(n - 1),
            DialogSel::Old(k) => Some(n - 1 - (k as usize % n.min(6))),
            DialogSel::Dead => None,
        }
    }

    /// The far end's answer to one of the UA's requests.
    pub fn reply(&mut self, sel: ReqSel, detail: u64) -> Option<String> {
        let i = self.pick_request(sel)?;
        let mut r = Rng::new(detail);
        let (req, provisionals, finals) = {
            let u = &self.requests[i];
            (u.req.clone(), u.provisionals, u.finals)
        };
        let in_dialog = req.to_addr().is_some_and(|a| a.tag().is_some());
        let mut extra: Vec<(&str, String)> = Vec::new();
        let mut body_of: Option<(String, String)> = None;
        let mut fork = 0;
        let status: u16 = match req.method {
            Method::Ack => return None,
            Method::Register => {
                // detail 0 and 1: the scripted registrar's own answers (200, then a challenge).
                let choice = match detail {
                    0 => 1,
                    1 => 6,
                    _ => r.weighted(&[3, 30, 4, 4, 3, 3, 15, 8, 4, 2, 6, 4, 2, 5, 5, 3, 2, 1, 1]),
                };
                let contact = req.headers.get("Contact").unwrap_or("").to_string();
                let bare = contact
                    .rsplit_once(";expires=")
                    .map_or(contact.as_str(), |(b, _)| b)
                    .to_string();
                let challenge = |r: &mut Rng, stale: bool| {
                    let alg = *r.pick(&["MD5", "MD5", "MD5", "SHA-256", "MD5-sess", "XYZ"]);
                    let qop = *r.pick(&[", qop=\"auth\"", ", qop=\"auth\"", "", ", qop=\"auth-int\""]);
                    let nonce = format!("n{}", r.below(4));
                    format!(
                        "Digest realm=\"{DOMAIN}\", nonce=\"{nonce}\", opaque=\"op\", algorithm={alg}{qop}{}",
                        if stale { ", stale=true" } else { "" }
                    )
                };
                match choice {
                    0 => 100,
                    1 => {
                        let exp = *r.pick(&["300", "300", "60", "3600", "0", "1", "4294967295", "x"]);
                        let mut c = format!("{bare};expires={exp}");
                        if r.chance(30) {
                            c = format!("<sip:zz@other.invalid;transport=ws>;expires=77, {c}");
                        }
                        extra.push(("Contact", c));
                        if r.chance(20) {
                            extra.push(("Flow-Timer", r.pick(&["0", "25", "120", "x"]).to_string()));
                        }
                        200
                    }
                    2 => 200,
                    3 => {
                        // The registrar rewrote the Contact (received=, another host).
                        let uri = req.contacts().first().map(|c| c.uri.clone());
                        let user = uri.and_then(|u| u.user).unwrap_or_default();
                        extra.push((
                            "Contact",
                            format!(
                                "<sip:{user}@203.0.113.9:5060;transport=ws>;expires=300;received=\"sip:203.0.113.9\""
                            ),
                        ));
                        200
                    }
                    4 => {
                        extra.push(("Contact", "<sip:zz@other.invalid;transport=ws>;expires=77".into()));
                        extra.push(("Expires", "300".into()));
                        200
                    }
                    5 => {
                        extra.push(("Contact", format!("{bare};expires=300")));
                        extra.push(("Service-Route", "<sip:orig@10.0.0.1;lr>".into()));
                        202
                    }
                    6 | 8 => {
                        let stale = choice == 8;
                        extra.push(("WWW-Authenticate", challenge(&mut r, stale)));
                        401
                    }
                    7 => {
                        let stale = r.chance(30);
                        extra.push(("Proxy-Authenticate", challenge(&mut r, stale)));
                        407
                    }
                    9 => {
                        extra.push(("WWW-Authenticate", "Basic realm=\"x\"".into()));
                        401
                    }
                    10 => {
                        extra.push(("Min-Expires", r.pick(&["600", "3600", "0", "99999999999"]).to_string()));
                        423
                    }
                    11 => 403,
                    12 => 404,
                    13 => 503,
                    14 => {
                        extra.push(("Retry-After", r.pick(&["0", "5", "120", "86400", "soon"]).to_string()));
                        503
                    }
                    15 => 500,
                    16 => 408,
                    17 => 480,
                    _ => 603,
                }
            }
            Method::Invite if !in_dialog => {
                // The far end's progress: provisionals first, then a final (or a fork's).
                let w: &[u32] = if provisionals == 0 && finals == 0 {
                    &[14, 20, 5, 10, 3, 5, 20, 2, 3, 2, 4, 3, 2, 2, 2, 1, 1, 1, 1, 1, 1]
                } else {
                    &[2, 8, 3, 5, 2, 3, 36, 3, 8, 2, 3, 2, 2, 3, 2, 2, 1, 1, 2, 1, 1]
                };
                fork = if r.chance(85) { 0 } else { 1 + r.below(2) };
                let ip = format!("10.0.0.{}", 5 + fork);
                match r.weighted(w) {
                    0 => 100,
                    1 => 180,
                    2 => {
                        extra.push(("Require", "100rel".into()));
                        extra.push(("RSeq", (1 + r.below(1000)).to_string()));
                        180
                    }
                    3 => {
                        body_of = Some(("application/sdp".into(), sdp(7, &ip, "sendrecv")));
                        183
                    }
                    4 => 183,
                    5 => {
                        extra.push(("Require", "100rel".into()));
                        extra.push(("RSeq", (1 + r.below(1000)).to_string()));
                        body_of = Some(("application/sdp".into(), sdp(7, &ip, "sendrecv")));
                        183
                    }
                    6 => {
                        body_of = Some(body(&mut r, &ip));
                        200
                    }
                    7 => 200,
                    8 => {
                        fork = 1 + r.below(2);
                        body_of = Some(("application/sdp".into(), sdp(9, "10.0.0.99", "sendrecv")));
                        200
                    }
                    9 => {
                        extra.push(("Contact", "<sip:redirected@example.test>".into()));
                        302
                    }
                    10 => {
                        extra.push((
                            "WWW-Authenticate",
                            format!(
                                "Digest realm=\"{DOMAIN}\", nonce=\"in{}\", algorithm=MD5, qop=\"auth\"",
                                r.below(3)
                            ),
                        ));
                        401
                    }
                    11 => {
                        extra.push((
                            "Proxy-Authenticate",
                            format!(
                                "Digest realm=\"{DOMAIN}\", nonce=\"ip{}\", algorithm=MD5{}",
                                r.below(3),
                                if r.chance(30) { ", stale=true" } else { "" }
                            ),
                        ));
                        407
                    }
                    12 => 404,
                    13 => 486,
                    14 => 487,
                    15 => 488,
                    16 => 491,
                    17 => 408,
                    18 => 480,
                    19 => 503,
                    _ => 603,
                }
            }
            Method::Invite => match r.weighted(&[4, 50, 6, 12, 8, 5, 4, 5, 3, 3]) {
                // A re-INVITE of the UA's.
                0 => 100,
                1 => {
                    body_of = Some(body(&mut r, "10.0.0.5"));
                    200
                }
                2 => 200,
                3 => 491,
                4 => 488,
                5 => 481,
                6 => 408,
                7 => 500,
                8 => {
                    extra.push(("Proxy-Authenticate", format!("Digest realm=\"{DOMAIN}\", nonce=\"rp\"")));
                    407
                }
                _ => 180,
            },
            Method::Cancel => {
                if r.chance(85) {
                    200
                } else {
                    481
                }
            }
            _ => *r.pick(&[
                200, 200, 200, 200, 200, 200, 481, 408, 500, 501, 401, 487, 100, 491, 415,
            ]),
        };
        // The To tag: the request's, else the dialog this (fork of the) far end creates.
        let to = req.headers.get("To").unwrap_or("").to_string();
        let to = if status == 100 || in_dialog || req.method != Method::Invite {
            if status == 100 || in_dialog {
                to
            } else {
                format!("{to};tag=t{}", r.below(1_000_000))
            }
        } else {
            format!("{to};tag=fork{fork}")
        };
        let mut h = Headers::new();
        for via in req.headers.get_all("Via") {
            if r.chance(20) && via.contains(";rport") {
                h.push(
                    "Via",
                    format!("{};received=203.0.113.45", via.replace(";rport", ";rport=52341")),
                );
            } else {
                h.push("Via", via);
            }
        }
        // The proxy's Record-Route: one per call, whatever the fork.
        let rr = req.call_id().map_or(0, |c| c.len() % 3);
        if req.method == Method::Invite && !in_dialog && (101..300).contains(&status) {
            if rr >= 1 {
                h.push("Record-Route", "<sip:127.0.0.1:5066;transport=ws;lr;r2=on>");
            }
            if rr == 2 {
                h.push("Record-Route", "<sip:10.0.0.1;lr;r2=on>");
            }
        }
        for name in ["From", "Call-ID", "CSeq"] {
            if let Some(v) = req.headers.get(name) {
                h.push(name, v);
            }
        }
        h.push("To", to.clone());
        let dialog_forming = matches!(req.method, Method::Invite | Method::Update) && (101..300).contains(&status);
        if dialog_forming && !extra.iter().any(|(n, _)| *n == "Contact") && r.chance(97) {
            h.push("Contact", format!("<sip:far@10.0.0.{}:5060;transport=ws>", 5 + fork));
        }
        for (n, v) in &extra {
            h.push(n, v.clone());
        }
        if let Some((ct, _)) = &body_of {
            h.push("Content-Type", ct.clone());
        }
        let resp = Response {
            status,
            reason: sip_core::message::reason_phrase(status).into(),
            headers: h,
            body: body_of.map(|(_, b)| b).unwrap_or_default(),
        };
        let u = &mut self.requests[i];
        if status >= 200 {
            u.finals += 1;
        } else {
            u.provisionals += 1;
        }
        // An 18x or 2xx to the UA's INVITE makes a dialog the far end can send requests in.
        if req.method == Method::Invite && !in_dialog && status > 100 && status < 300 {
            let tag = format!("fork{fork}");
            let call_id = req.call_id().unwrap_or("").to_string();
            if !self.dialogs.iter().any(|d| d.call_id == call_id && d.our_tag == tag) {
                let target = contact_uri(&req).unwrap_or_else(|| format!("sip:1001@{DOMAIN}"));
                self.dialogs.push(PeerDialog {
                    call_id,
                    ours: to,
                    our_tag: tag,
                    theirs: strip_tag(req.headers.get("From").unwrap_or("")),
                    their_tag: req.headers.get("From").and_then(tag_of),
                    target,
                    cseq: 1 + r.below(500) as u32,
                    invite: None,
                    last_invite: None,
                    rseq: None,
                });
            }
        }
        Some(resp.to_string())
    }

    /// A new call to the UA.
    pub fn invite(&mut self, detail: u64) -> String {
        let mut r = Rng::new(detail);
        let n = self.next();
        // Now and then the far end reuses the Call-ID of one of its own earlier calls (never
        // one of the UA's: no peer could know it outside that dialog).
        let own: Vec<&PeerDialog> = self.dialogs.iter().filter(|d| d.invite.is_some()).collect();
        let call_id = if r.chance(4) && !own.is_empty() {
            own[r.index(own.len())].call_id.clone()
        } else {
            format!("pc{n}-{}@far.example", r.below(1 << 40))
        };
        let our_tag = format!("pt{n}");
        let from = if r.chance(3) {
            "\"+91 98765\" <sip:+9198765@example.test>".to_string()
        } else {
            format!("\"+91 98765\" <sip:+9198765@{DOMAIN}>;tag={our_tag}")
        };
        let to = format!("<sip:1001@{DOMAIN}>");
        let branch = format!("z9hG4bKpi{n}");
        let seq = *r.pick(&[1u32, 1, 10, 101, 3000, 0, 2_147_483_647, 4_294_967_295]);
        let mut h = vec![format!("Via: {PROXY_VIA};branch={branch};rport")];
        if r.chance(50) {
            h.push("Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKfarside".into());
        }
        match r.below(5) {
            0 => {}
            1 => h.push("Record-Route: <sip:127.0.0.1:5066;transport=ws;lr>".into()),
            2 => h.push("Record-Route: <sip:127.0.0.1:5066;transport=ws;lr;r2=on>, <sip:10.0.0.1;lr;r2=on>".into()),
            3 => h.push("Record-Route: <sip:10.0.0.1>".into()),
            _ => {
                h.push("Record-Route: <sip:127.0.0.1:5066;transport=ws;lr>".into());
                h.push("Record-Route: <sip:10.0.0.2;lr>".into());
            }
        }
        h.push("Max-Forwards: 69".into());
        h.push(format!("From: {from}"));
        h.push(format!("To: {to}"));
        h.push(format!("Call-ID: {call_id}"));
        h.push(format!("CSeq: {seq} INVITE"));
        if r.chance(97) {
            h.push("Contact: <sip:far@10.0.0.5:5060;transport=udp>".into());
        }
        h.push("X-Exotel-Callsid: CS-42".into());
        match r.weighted(&[70, 10, 8, 6, 6]) {
            0 => {}
            1 => h.push("Supported: 100rel, timer, replaces".into()),
            2 => h.push("Require: 100rel".into()),
            3 => h.push("Require: foo-ext".into()),
            _ => h.push("Require: timer".into()),
        }
        if r.chance(15) {
            h.push(format!(
                "Session-Expires: {}",
                r.pick(&["1800", "90;refresher=uac", "1800;refresher=uas", "0", "x"])
            ));
        }
        if r.chance(8) {
            h.push(format!("Expires: {}", r.pick(&["0", "5", "120", "99999999999"])));
        }
        h.push("Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, PRACK".into());
        let has_sdp = !r.chance(15);
        let body = if has_sdp {
            let (ct, b) = body(&mut r, "10.0.0.5");
            h.push(format!("Content-Type: {ct}"));
            b
        } else {
            String::new()
        };
        let text = format!(
            "INVITE sip:1001@192.0.2.1;transport=ws SIP/2.0\r\n{}\r\nContent-Length: {}\r\n\r\n{body}",
            h.join("\r\n"),
            body.len()
        );
        self.dialogs.push(PeerDialog {
            call_id,
            ours: from,
            our_tag,
            theirs: to,
            their_tag: None,
            target: "sip:1001@192.0.2.1;transport=ws".into(),
            cseq: seq,
            invite: Some((branch.clone(), seq)),
            last_invite: Some((branch, seq, has_sdp, None)),
            rseq: None,
        });
        text
    }

    fn dead_dialog(&mut self) -> PeerDialog {
        let n = self.next();
        PeerDialog {
            call_id: format!("dead{n}@far.example"),
            ours: format!("<sip:+9198765@{DOMAIN}>;tag=dt{n}"),
            our_tag: format!("dt{n}"),
            theirs: format!("<sip:1001@{DOMAIN}>"),
            their_tag: Some(format!("gone{n}")),
            target: "sip:1001@192.0.2.1;transport=ws".into(),
            cseq: 5,
            invite: Some((format!("z9hG4bKdead{n}"), 4)),
            last_invite: Some((format!("z9hG4bKdead{n}"), 4, true, Some(200))),
            rseq: None,
        }
    }

    fn request_text(
        d: &PeerDialog,
        method: &str,
        branch: &str,
        seq: u32,
        with_to_tag: bool,
        extra: &[String],
        body: Option<(String, String)>,
    ) -> String {
        let to = match (&d.their_tag, with_to_tag) {
            (Some(t), true) => format!("{};tag={t}", d.theirs),
            _ => d.theirs.clone(),
        };
        let mut h = vec![
            format!("Via: {PROXY_VIA};branch={branch};rport"),
            "Max-Forwards: 70".to_string(),
            format!("From: {}", d.ours),
            format!("To: {to}"),
            format!("Call-ID: {}", d.call_id),
            format!("CSeq: {seq} {method}"),
        ];
        h.extend(extra.iter().cloned());
        let body = match body {
            Some((ct, b)) => {
                h.push(format!("Content-Type: {ct}"));
                b
            }
            None => String::new(),
        };
        format!(
            "{method} {} SIP/2.0\r\n{}\r\nContent-Length: {}\r\n\r\n{body}",
            d.target,
            h.join("\r\n"),
            body.len()
        )
    }

    /// CANCEL of the far end's INVITE (same branch and CSeq number, §9.1).
    pub fn cancel(&mut self, sel: DialogSel) -> Option<String> {
        let d = match self
            .pick_dialog(sel)
            .and_then(|i| self.dialogs[..=i].iter().rposition(|d| d.invite.is_some()))
        {
            Some(i) => self.dialogs[i].clone(),
            None => self.dead_dialog(),
        };
        let (branch, seq) = d.invite.clone()?;
        let extra = vec!["Reason: SIP;cause=487;text=\"caller gave up\"".to_string()];
        Some(Self::request_text(&d, "CANCEL", &branch, seq, false, &extra, None))
    }

    /// ACK for the far end's latest INVITE in a dialog: on the INVITE's branch after a
    /// non-2xx, as a new transaction after a 2xx (with the answer when the INVITE had no offer).
    pub fn ack(&mut self, sel: DialogSel, detail: u64) -> Option<String> {
        let mut r = Rng::new(detail);
        let d = match self.pick_dialog(sel) {
            Some(i) => self.dialogs[i].clone(),
            None => self.dead_dialog(),
        };
        let n = self.next();
        let (branch, seq, had_sdp, status) =
            d.last_invite
                .clone()
                .unwrap_or((format!("z9hG4bKx{n}"), d.cseq, true, None));
        let non2xx = status.is_some_and(|s| s >= 300);
        let branch = if non2xx { branch } else { format!("z9hG4bKpa{n}") };
        let seq = if r.chance(5) { seq.wrapping_add(1) } else { seq };
        let body = if !non2xx && (if had_sdp { r.chance(10) } else { r.chance(85) }) {
            Some(body(&mut r, "10.0.0.5"))
        } else {
            None
        };
        Some(Self::request_text(&d, "ACK", &branch, seq, true, &[], body))
    }

    /// A request in a dialog (or in a dead one).
    pub fn in_dialog(&mut self, sel: DialogSel, detail: u64) -> Option<String> {
        self.in_dialog_request(sel, detail, false)
    }

    /// PRACK (RFC 3262) for the UA's latest reliable provisional in a dialog.
    pub fn prack(&mut self, sel: DialogSel) -> Option<String> {
        self.in_dialog_request(sel, 0, true)
    }

    fn in_dialog_request(&mut self, sel: DialogSel, detail: u64, prack: bool) -> Option<String> {
        let mut r = Rng::new(detail);
        let idx = self.pick_dialog(sel);
        let mut d = match idx {
            Some(i) => self.dialogs[i].clone(),
            None => self.dead_dialog(),
        };
        let n = self.next();
        let seq = match if prack { 0 } else { r.weighted(&[82, 6, 5, 2, 5]) } {
            0 => d.cseq.wrapping_add(1),
            1 => d.cseq,
            2 => d.cseq.saturating_sub(1 + r.below(3) as u32),
            3 => u32::MAX,
            _ => d.cseq.wrapping_add(1000),
        };
        d.cseq = d.cseq.max(seq);
        let branch = format!("z9hG4bKpd{n}");
        let mut extra = vec![format!("Contact: <sip:far@10.0.0.{}:5060>", 5 + r.below(3))];
        let choice = if prack {
            9
        } else {
            r.weighted(&[14, 16, 6, 8, 8, 8, 8, 3, 6, 5, 2, 2, 2, 1, 2, 3])
        };
        let (method, body) = match choice {
            0 => {
                extra.push("Reason: Q.850;cause=16".into());
                ("BYE", None)
            }
            1 => ("INVITE", Some(body(&mut r, "10.0.0.5"))),
            2 => ("INVITE", None),
            3 => (
                "INVITE",
                Some(("application/sdp".into(), sdp(r.below(1000), "10.0.0.5", "sendonly"))),
            ),
            4 => ("UPDATE", Some(body(&mut r, "10.0.0.5"))),
            5 => ("UPDATE", None),
            6 => (
                "INFO",
                Some(("application/dtmf-relay".into(), "Signal=5\r\nDuration=160\r\n".into())),
            ),
            7 => ("INFO", Some(("application/x-foo".into(), "x".into()))),
            8 => ("OPTIONS", None),
            9 => {
                let rseq = d.rseq.unwrap_or(1);
                let iseq = d.last_invite.as_ref().map_or(1, |l| l.1);
                extra.push(format!("RAck: {rseq} {iseq} INVITE"));
                ("PRACK", None)
            }
            10 => ("MESSAGE", Some(("text/plain".into(), "hi".into()))),
            11 => {
                extra.push("Refer-To: <sip:transfer@example.test>".into());
                ("REFER", None)
            }
            12 => {
                extra.push("Event: talk".into());
                ("NOTIFY", None)
            }
            13 => ("FOO", None),
            14 => {
                extra.push("Require: foo-ext".into());
                ("INVITE", Some(body(&mut r, "10.0.0.5")))
            }
            _ => {
                extra.push(format!(
                    "Session-Expires: {}",
                    r.pick(&["90;refresher=uac", "1800;refresher=uas", "1800"])
                ));
                extra.push("Supported: timer".into());
                if r.chance(50) {
                    ("UPDATE", None)
                } else {
                    ("INVITE", Some(body(&mut r, "10.0.0.5")))
                }
            }
        };
        if method == "INVITE" {
            d.last_invite = Some((branch.clone(), seq, body.is_some(), None));
        }
        let text = Self::request_text(&d, method, &branch, seq, true, &extra, body);
        if let Some(i) = idx {
            self.dialogs[i] = d;
        }
        Some(text)
    }

    /// A request outside any dialog.
    pub fn out_of_dialog(&mut self, detail: u64) -> String {
        let mut r = Rng::new(detail);
        let n = self.next();
        let method = *r.pick(&[
            "OPTIONS",
            "OPTIONS",
            "OPTIONS",
            "MESSAGE",
            "NOTIFY",
            "SUBSCRIBE",
            "REFER",
            "REGISTER",
            "FOO",
            "BYE",
            "CANCEL",
            "INFO",
            "UPDATE",
            "PRACK",
        ]);
        let d = PeerDialog {
            call_id: format!("ood{n}@far.example"),
            ours: format!("<sip:probe@{DOMAIN}>;tag=o{n}"),
            our_tag: format!("o{n}"),
            theirs: format!("<sip:1001@{DOMAIN}>"),
            their_tag: None,
            target: "sip:1001@192.0.2.1;transport=ws".into(),
            cseq: 1,
            invite: None,
            last_invite: None,
            rseq: None,
        };
        let body = (method == "MESSAGE").then(|| ("text/plain".to_string(), "hi".to_string()));
        Self::request_text(
            &d,
            method,
            &format!("z9hG4bKpo{n}"),
            1 + r.below(100) as u32,
            false,
            &[],
            body,
        )
    }

    /// A response nobody asked for: another transaction on a Call-ID of ours, or none at all.
    pub fn stray(&mut self, detail: u64) -> String {
        let mut r = Rng::new(detail);
        let n = self.next();
        let status = *r.pick(&[100u16, 180, 200, 401, 407, 481, 486, 500]);
        let method = *r.pick(&["INVITE", "REGISTER", "BYE", "INFO"]);
        let (call_id, from) = match self.requests.last() {
            Some(u) if r.chance(50) => (
                u.req.call_id().unwrap_or("x").to_string(),
                u.req.headers.get("From").unwrap_or("<sip:a@b>;tag=z").to_string(),
            ),
            _ => (format!("stray{n}"), "<sip:1001@example.test>;tag=zz".to_string()),
        };
        format!(
            "SIP/2.0 {status} Stray\r\nVia: SIP/2.0/WSS 192.0.2.1;branch=z9hG4bKstray{n}\r\nFrom: {from}\r\nTo: <sip:x@{DOMAIN}>;tag=s{n}\r\nCall-ID: {call_id}\r\nCSeq: {} {method}\r\nContact: <sip:s@10.0.0.8>\r\nContent-Length: 0\r\n\r\n",
            r.below(20)
        )
    }

    pub fn retransmit(&self, k: u8) -> Option<String> {
        let n = self.frames.len();
        if n == 0 {
            return None;
        }
        Some(self.frames[n - 1 - (k as usize % n.min(8))].clone())
    }
}

fn strip_tag(v: &str) -> String {
    match v.rsplit_once(";tag=") {
        Some((head, rest)) if !rest.contains('>') => head.to_string(),
        _ => v.to_string(),
    }
}
