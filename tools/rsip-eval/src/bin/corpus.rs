//! Correctness probe for rsip 0.4 (native build).
//!
//! Usage: corpus [CORPUS_DIR]   (default: /work/shared/sip-corpus)
//!
//! For every `*.sip` file in the corpus and every built-in extra case it:
//!   1. parses the message with `rsip::SipMessage::try_from(&bytes[..])`,
//!   2. runs rsip's typed parser on every Contact, From, To and Via header,
//!   3. flags header values rsip accepted but lost information from (multi-value
//!      headers collapse into one value), compact header names rsip did not map,
//!      and a body length that disagrees with Content-Length.
//! Prints a Markdown table plus a numbered list of the error texts.

use rsip::prelude::*;
use rsip::Header;
use std::convert::TryFrom;
use std::fmt::Write as _;

/// Extra cases beyond the corpus. Written with `\n`; converted to CRLF before parsing
/// (except where `crlf` is false) because that is what arrives on the WebSocket.
struct Extra {
    name: &'static str,
    crlf: bool,
    text: &'static str,
}

const EXTRAS: &[Extra] = &[
    Extra {
        name: "x01 SIP.js REGISTER Contact (+sip.instance, reg-id, expires)",
        crlf: true,
        text: "REGISTER sip:voip.example.invalid SIP/2.0\n\
Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK4812411\n\
Max-Forwards: 70\n\
To: <sip:alice@voip.example.invalid>\n\
From: <sip:alice@voip.example.invalid>;tag=9ab3c1\n\
Call-ID: r4nd0mc4ll1d\n\
CSeq: 1 REGISTER\n\
Contact: <sip:k3l9x2@df7jal23ls0d.invalid;transport=ws>;+sip.instance=\"<urn:uuid:5e3b0a2c-1111-4222-8333-944455556666>\";reg-id=1;expires=300\n\
Expires: 300\n\
Supported: path,gruu,outbound\n\
User-Agent: SIP.js/0.20.0\n\
Content-Length: 0\n\n",
    },
    Extra {
        name: "x02 200 OK with two bindings in one Contact header",
        crlf: true,
        text: "SIP/2.0 200 OK\n\
Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK4812411;received=192.0.2.7;rport=50111\n\
To: <sip:alice@voip.example.invalid>;tag=srv1\n\
From: <sip:alice@voip.example.invalid>;tag=9ab3c1\n\
Call-ID: r4nd0mc4ll1d\n\
CSeq: 1 REGISTER\n\
Contact: <sip:a@b.invalid;transport=ws>;expires=300, <sip:c@d.invalid;transport=ws>;expires=120\n\
Content-Length: 0\n\n",
    },
    Extra {
        name: "x03 INVITE in compact form (v f t i m l c k)",
        crlf: true,
        text: "INVITE sip:bob@voip.example.invalid SIP/2.0\n\
v: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK77aa\n\
Max-Forwards: 70\n\
f: \"Alice\" <sip:alice@voip.example.invalid>;tag=f00\n\
t: <sip:bob@voip.example.invalid>\n\
i: c0mp4ct\n\
CSeq: 1 INVITE\n\
m: <sip:k3l9x2@df7jal23ls0d.invalid;transport=ws;ob>\n\
k: replaces,outbound\n\
c: application/sdp\n\
l: 10\n\
\n\
v=0\r\ns=-\r\n",
    },
    Extra {
        name: "x04 REGISTER remove-all `Contact: *`",
        crlf: true,
        text: "REGISTER sip:voip.example.invalid SIP/2.0\n\
Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK99\n\
Max-Forwards: 70\n\
To: <sip:alice@voip.example.invalid>\n\
From: <sip:alice@voip.example.invalid>;tag=a1\n\
Call-ID: unreg1\n\
CSeq: 9 REGISTER\n\
Contact: *\n\
Expires: 0\n\
Content-Length: 0\n\n",
    },
    Extra {
        name: "x05 Contact/To without angle brackets",
        crlf: true,
        text: "SIP/2.0 200 OK\n\
Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK4812411\n\
To: sip:alice@voip.example.invalid;tag=srv2\n\
From: <sip:alice@voip.example.invalid>;tag=9ab3c1\n\
Call-ID: r4nd0mc4ll1d\n\
CSeq: 2 REGISTER\n\
Contact: sip:k3l9x2@192.0.2.4;expires=60\n\
Content-Length: 0\n\n",
    },
    Extra {
        name: "x06 quoted display names containing , ; < and escaped quote",
        crlf: true,
        text: "INVITE sip:bob@voip.example.invalid SIP/2.0\n\
Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK1d\n\
Max-Forwards: 70\n\
From: \"Doe, John; Support <L1>\" <sip:john@voip.example.invalid>;tag=q1\n\
To: \"Say \\\"hi\\\"\" <sip:bob@voip.example.invalid>\n\
Call-ID: dn1\n\
CSeq: 1 INVITE\n\
Contact: \"Agent, 1001\" <sip:k3l9x2@df7jal23ls0d.invalid;transport=ws>\n\
Content-Length: 0\n\n",
    },
    Extra {
        name: "x07 two Via values in one header line",
        crlf: true,
        text: "SIP/2.0 180 Ringing\n\
Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKc1;received=192.0.2.7, SIP/2.0/UDP 198.51.100.5:5060;branch=z9hG4bKc2\n\
To: <sip:bob@voip.example.invalid>;tag=b1\n\
From: <sip:alice@voip.example.invalid>;tag=a1\n\
Call-ID: vv1\n\
CSeq: 1 INVITE\n\
Contact: <sip:bob@198.51.100.9:5060>\n\
Content-Length: 0\n\n",
    },
    Extra {
        name: "x08 folded (multi-line) Contact header",
        crlf: true,
        text: "SIP/2.0 200 OK\n\
Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKf1\n\
To: <sip:bob@voip.example.invalid>;tag=b1\n\
From: <sip:alice@voip.example.invalid>;tag=a1\n\
Call-ID: fold1\n\
CSeq: 1 INVITE\n\
Contact: <sip:bob@198.51.100.9:5060>\n\
 ;expires=60\n\
Content-Length: 0\n\n",
    },
    Extra {
        name: "x09 odd case + space before colon (`VIA :`, `contact:`)",
        crlf: true,
        text: "SIP/2.0 200 OK\n\
VIA : SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKcc\n\
to: <sip:bob@voip.example.invalid>;tag=b1\n\
FROM: <sip:alice@voip.example.invalid>;tag=a1\n\
call-id: case1\n\
cseq: 1 INVITE\n\
contact: <sip:bob@198.51.100.9:5060>\n\
content-length: 0\n\n",
    },
    Extra {
        name: "x10 LF-only line endings (not converted)",
        crlf: false,
        text: "SIP/2.0 200 OK\n\
Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKlf\n\
To: <sip:bob@voip.example.invalid>;tag=b1\n\
From: <sip:alice@voip.example.invalid>;tag=a1\n\
Call-ID: lf1\n\
CSeq: 1 INVITE\n\
Contact: <sip:bob@198.51.100.9:5060>\n\
Content-Length: 0\n\n",
    },
    Extra {
        name: "x11 IPv6 Via with received + valueless rport",
        crlf: true,
        text: "OPTIONS sip:bob@voip.example.invalid SIP/2.0\n\
Via: SIP/2.0/WSS [2001:db8::1]:8443;branch=z9hG4bK6a;rport;received=2001:db8::9\n\
Max-Forwards: 70\n\
To: <sip:bob@voip.example.invalid>\n\
From: <sip:alice@[2001:db8::1]>;tag=a6\n\
Call-ID: v6\n\
CSeq: 1 OPTIONS\n\
Contact: <sip:alice@[2001:db8::1]:8443;transport=ws>;q=0.7\n\
Content-Length: 0\n\n",
    },
    Extra {
        name: "x12 unquoted multi-word display name, GRUU Contact",
        crlf: true,
        text: "SIP/2.0 200 OK\n\
Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKg1\n\
To: Alice Agent <sip:alice@voip.example.invalid>;tag=s9\n\
From: Alice Agent <sip:alice@voip.example.invalid>;tag=9ab3c1\n\
Call-ID: gruu1\n\
CSeq: 3 REGISTER\n\
Contact: <sip:k3l9x2@df7jal23ls0d.invalid;transport=ws>;pub-gruu=\"sip:alice@voip.example.invalid;gr=urn:uuid:5e3b0a2c-1111-4222-8333-944455556666\";+sip.instance=\"<urn:uuid:5e3b0a2c-1111-4222-8333-944455556666>\";expires=300\n\
Content-Length: 0\n\n",
    },
];

/// Single header values, to pin down which construct trips the typed parsers.
const ISOLATED: &[(&str, &str)] = &[
    ("Contact", "<sip:a@b.invalid;transport=ws>;reg-id=1;expires=300"),
    ("Contact", "<sip:a@b.invalid;transport=ws>;+sip.ice"),
    ("Contact", "<sip:a@b.invalid;transport=ws>;+sip.instance=\"abc\""),
    ("Contact", "<sip:a@b.invalid;transport=ws>;+sip.instance=\"<urn:uuid:5e3b0a2c-1111-4222-8333-944455556666>\""),
    ("Contact", "<sip:a@b.invalid;transport=ws>;received=\"sip:203.0.113.45:52341;transport=ws\""),
    ("Contact", "<sip:a@b.invalid;transport=ws>;expires=300, <sip:c@d.invalid;transport=ws>;expires=120"),
    ("Contact", "<sip:a@b.invalid>,<sip:c@d.invalid>"),
    ("Contact", "*"),
    ("Contact", "sip:k3l9x2@192.0.2.4;expires=60"),
    ("Contact", "\"Agent, 1001\" <sip:a@b.invalid>"),
    ("Contact", "<sip:a@[2001:db8::1]>"),
    ("Contact", "<sip:a@[2001:db8::1]:8443>"),
    ("From", "\"Doe, John\" <sip:john@b.invalid>;tag=q1"),
    ("From", "\"Support <L1>\" <sip:john@b.invalid>;tag=q1"),
    ("Via", "SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK6a;rport"),
    ("Via", "SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK6a;received=2001:db8::9"),
    ("Via", "SIP/2.0/WSS [2001:db8::1]:8443;branch=z9hG4bK6a"),
    ("Via", "SIP/2.0/WSS a.invalid;branch=z9hG4bKc1, SIP/2.0/UDP 198.51.100.5:5060;branch=z9hG4bKc2"),
];

/// Whole-message variants, to pin down which construct trips the message tokenizer.
const ISOLATED_MSG: &[(&str, &str)] = &[
    ("all-lowercase header names", "SIP/2.0 200 OK\r\nvia: SIP/2.0/WSS a.invalid;branch=z9hG4bK1\r\nto: <sip:b@c.invalid>;tag=1\r\nfrom: <sip:a@c.invalid>;tag=2\r\ncall-id: x\r\ncseq: 1 INVITE\r\ncontent-length: 0\r\n\r\n"),
    ("space before colon (`Via :`)", "SIP/2.0 200 OK\r\nVia : SIP/2.0/WSS a.invalid;branch=z9hG4bK1\r\nTo: <sip:b@c.invalid>;tag=1\r\nFrom: <sip:a@c.invalid>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"),
    ("no space after colon (`Via:SIP/2.0/...`)", "SIP/2.0 200 OK\r\nVia:SIP/2.0/WSS a.invalid;branch=z9hG4bK1\r\nTo:<sip:b@c.invalid>;tag=1\r\nFrom:<sip:a@c.invalid>;tag=2\r\nCall-ID:x\r\nCSeq:1 INVITE\r\nContent-Length:0\r\n\r\n"),
    ("tab-folded header", "SIP/2.0 200 OK\r\nVia: SIP/2.0/WSS a.invalid;branch=z9hG4bK1\r\nTo: <sip:b@c.invalid>;tag=1\r\nFrom: <sip:a@c.invalid>\r\n\t;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"),
    ("body longer than Content-Length", "SIP/2.0 200 OK\r\nVia: SIP/2.0/WSS a.invalid;branch=z9hG4bK1\r\nTo: <sip:b@c.invalid>;tag=1\r\nFrom: <sip:a@c.invalid>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 4\r\n\r\nabcdEXTRA"),
];

fn isolated_rows() -> Vec<String> {
    let mut out = Vec::new();
    for (kind, v) in ISOLATED {
        let r = match *kind {
            "Contact" => rsip::headers::Contact::new(*v).typed().map(|t| {
                let exp = t
                    .expires()
                    .map(|e| e.to_string())
                    .unwrap_or_else(|| "none".into());
                format!("uri=`{}` params={} expires={exp}", t.uri, t.params.len())
            }),
            "From" => rsip::headers::From::new(*v)
                .typed()
                .map(|t| format!("display={:?} uri=`{}`", t.display_name, t.uri)),
            "Via" => rsip::headers::Via::new(*v).typed().map(|t| {
                format!(
                    "sent-by=`{}` params={}",
                    t.uri,
                    t.params.iter().map(|p| p.to_string()).collect::<String>()
                )
            }),
            _ => unreachable!(),
        };
        let r = match r {
            Ok(s) => format!("ok: {s}"),
            Err(e) => format!(
                "**ERR**: {}",
                e.to_string().chars().take(90).collect::<String>()
            ),
        };
        out.push(format!("| {kind} | `{v}` | {} |", r.replace('|', "\\|")));
    }
    for (what, m) in ISOLATED_MSG {
        let r = match rsip::SipMessage::try_from(m.as_bytes()) {
            Ok(msg) => format!(
                "ok: {} headers, body {} bytes",
                msg.headers().iter().count(),
                msg.body().len()
            ),
            Err(e) => format!(
                "**ERR**: {}",
                e.to_string().chars().take(90).collect::<String>()
            ),
        };
        out.push(format!(
            "| message | {what} | {} |",
            r.replace('|', "\\|")
                .replace('\r', "\\r")
                .replace('\n', "\\n")
        ));
    }
    out
}

/// Compact forms (RFC 3261 §7.3.3 plus common extensions) mapped to their long names.
fn compact_long(name: &str) -> Option<&'static str> {
    Some(match name.to_ascii_lowercase().as_str() {
        "m" => "Contact",
        "f" => "From",
        "t" => "To",
        "v" => "Via",
        "i" => "Call-ID",
        "l" => "Content-Length",
        "c" => "Content-Type",
        "k" => "Supported",
        "e" => "Content-Encoding",
        "s" => "Subject",
        _ => return None,
    })
}

/// Top-level comma-separated element count of a header value (outside quotes / <>).
fn element_count(v: &str) -> usize {
    let (mut n, mut q, mut a, mut esc) = (1, false, 0i32, false);
    for ch in v.chars() {
        if esc {
            esc = false;
            continue;
        }
        match ch {
            '\\' if q => esc = true,
            '"' => q = !q,
            '<' if !q => a += 1,
            '>' if !q => a -= 1,
            ',' if !q && a == 0 => n += 1,
            _ => {}
        }
    }
    n
}

#[derive(Default)]
struct Cell {
    n: usize,
    ok: usize,
    err: usize,
    lossy: usize,
    unmapped: usize,
}

impl Cell {
    fn render(&self) -> String {
        if self.n == 0 {
            return "-".into();
        }
        let mut s = String::new();
        if self.err == 0 && self.lossy == 0 && self.unmapped == 0 {
            return format!("ok {}/{}", self.ok, self.n);
        }
        let _ = write!(s, "ok {}/{}", self.ok, self.n);
        if self.err > 0 {
            let _ = write!(s, " **ERR {}**", self.err);
        }
        if self.lossy > 0 {
            let _ = write!(s, " **LOSSY {}**", self.lossy);
        }
        if self.unmapped > 0 {
            let _ = write!(s, " **UNMAPPED {}**", self.unmapped);
        }
        s
    }
}

struct Report {
    rows: Vec<String>,
    notes: Vec<String>,
    totals: [usize; 4], // messages, msg ok, header values checked, header values clean
}

impl Report {
    fn note(&mut self, s: String) -> usize {
        self.notes.push(s);
        self.notes.len()
    }
}

fn typed_check<T, E: std::fmt::Display>(
    res: Result<T, E>,
    raw: &str,
    kind: &str,
    cell: &mut Cell,
    rep: &mut Report,
    refs: &mut Vec<usize>,
) {
    let elems = element_count(raw);
    match res {
        Ok(_) if elems > 1 => {
            // rsip has no list type for these headers: one value comes back, the rest is
            // either swallowed into the last param or silently dropped.
            cell.lossy += 1;
            refs.push(rep.note(format!(
                "{kind}: typed parse returned ONE value for a header holding {elems} comma-separated values: `{raw}`"
            )));
        }
        Ok(_) => cell.ok += 1,
        Err(e) => {
            cell.err += 1;
            refs.push(rep.note(format!("{kind}: `{raw}` -> {e}")));
        }
    }
}

fn check(name: &str, bytes: &[u8], crlf_note: &str, rep: &mut Report) {
    rep.totals[0] += 1;
    let msg = match rsip::SipMessage::try_from(bytes) {
        Ok(m) => m,
        Err(e) => {
            let r = rep.note(format!("{name}: SipMessage::try_from -> {e}"));
            rep.rows.push(format!(
                "| {name} | {crlf_note} | **ERR** [{r}] | - | - | - | - | - |"
            ));
            return;
        }
    };
    rep.totals[1] += 1;
    let (mut c, mut f, mut t, mut v) = (
        Cell::default(),
        Cell::default(),
        Cell::default(),
        Cell::default(),
    );
    let mut refs = Vec::new();
    let mut cl: Option<usize> = None;
    for h in msg.headers().iter() {
        match h {
            Header::Contact(x) => {
                c.n += 1;
                typed_check(x.typed(), x.value(), "Contact", &mut c, rep, &mut refs);
            }
            Header::From(x) => {
                f.n += 1;
                typed_check(x.typed(), x.value(), "From", &mut f, rep, &mut refs)
            }
            Header::To(x) => {
                t.n += 1;
                typed_check(x.typed(), x.value(), "To", &mut t, rep, &mut refs)
            }
            Header::Via(x) => {
                v.n += 1;
                typed_check(x.typed(), x.value(), "Via", &mut v, rep, &mut refs)
            }
            Header::ContentLength(x) => cl = x.value().trim().parse().ok(),
            Header::Other(hn, hv) => {
                if let Some(long) = compact_long(hn) {
                    // Would the value even parse if rsip mapped the name?
                    let as_long = match long {
                        "Contact" => Some(
                            rsip::headers::Contact::new(hv.clone())
                                .typed()
                                .map(|_| ())
                                .map_err(|e| e.to_string()),
                        ),
                        "From" => Some(
                            rsip::headers::From::new(hv.clone())
                                .typed()
                                .map(|_| ())
                                .map_err(|e| e.to_string()),
                        ),
                        "To" => Some(
                            rsip::headers::To::new(hv.clone())
                                .typed()
                                .map(|_| ())
                                .map_err(|e| e.to_string()),
                        ),
                        "Via" => Some(
                            rsip::headers::Via::new(hv.clone())
                                .typed()
                                .map(|_| ())
                                .map_err(|e| e.to_string()),
                        ),
                        _ => None,
                    };
                    let cell = match long {
                        "Contact" => Some(&mut c),
                        "From" => Some(&mut f),
                        "To" => Some(&mut t),
                        "Via" => Some(&mut v),
                        _ => None,
                    };
                    if let Some(cell) = cell {
                        cell.n += 1;
                        cell.unmapped += 1;
                    }
                    if long == "Content-Length" {
                        cl = hv.trim().parse().ok();
                    }
                    let tail = match as_long {
                        Some(Ok(())) => {
                            " (the value itself parses when wrapped as the long-form type by hand)"
                                .to_string()
                        }
                        Some(Err(e)) => {
                            format!(" (and the value fails even as the long form: {e})")
                        }
                        None => String::new(),
                    };
                    refs.push(rep.note(format!(
                        "compact `{hn}:` ({long}) is not recognised: rsip stores it as Header::Other, so `{}_header()` / typed accessors do not see it{tail}",
                        long.to_ascii_lowercase().replace('-', "_")
                    )));
                }
            }
            _ => {}
        }
    }
    for cell in [&c, &f, &t, &v] {
        rep.totals[2] += cell.n;
        rep.totals[3] += cell.ok;
    }
    let body = msg.body().len();
    let body_cell = match cl {
        Some(n) if n == body => format!("{body} = CL"),
        Some(n) => {
            refs.push(rep.note(format!(
                "{name}: body is {body} bytes but Content-Length says {n}"
            )));
            format!("**{body} != CL {n}**")
        }
        None => format!("{body}, no CL"),
    };
    let refs_s = if refs.is_empty() {
        String::new()
    } else {
        format!(
            " [{}]",
            refs.iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .join(",")
        )
    };
    rep.rows.push(format!(
        "| {name} | {crlf_note} | ok{refs_s} | {} | {} | {} | {} | {body_cell} |",
        c.render(),
        f.render(),
        t.render(),
        v.render()
    ));
}

fn to_crlf(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + 64);
    for (i, &b) in s.iter().enumerate() {
        if b == b'\n' && (i == 0 || s[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/work/shared/sip-corpus".into());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().map_or(false, |x| x == "sip"))
        .collect();
    files.sort();

    let mut rep = Report {
        rows: Vec::new(),
        notes: Vec::new(),
        totals: [0; 4],
    };
    let header = "| message | line ends | SipMessage::try_from | Contact typed | From typed | To typed | Via typed | body vs Content-Length |\n|---|---|---|---|---|---|---|---|";

    for p in &files {
        let raw = std::fs::read(p).unwrap();
        let lf = raw.iter().filter(|&&b| b == b'\n').count();
        let crlf = raw.windows(2).filter(|w| w == b"\r\n").count();
        let (bytes, note) = if crlf == lf {
            (raw, "CRLF")
        } else {
            (to_crlf(&raw), "LF->CRLF")
        };
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        check(&name, &bytes, note, &mut rep);
    }
    let corpus_rows = std::mem::take(&mut rep.rows);
    let corpus_totals = rep.totals;
    rep.totals = [0; 4];

    for x in EXTRAS {
        let bytes = if x.crlf {
            to_crlf(x.text.as_bytes())
        } else {
            x.text.as_bytes().to_vec()
        };
        check(x.name, &bytes, if x.crlf { "CRLF" } else { "LF" }, &mut rep);
    }

    println!("## rsip {} on {dir} ({} files)\n", "0.4.0", files.len());
    println!("{header}");
    for r in &corpus_rows {
        println!("{r}");
    }
    println!(
        "\nCorpus: {}/{} messages parse; {}/{} Contact/From/To/Via values typed-parse cleanly.\n",
        corpus_totals[1], corpus_totals[0], corpus_totals[3], corpus_totals[2]
    );
    println!("## Extra cases (shapes SIP.js sends / registrars echo)\n");
    println!("{header}");
    for r in &rep.rows {
        println!("{r}");
    }
    println!(
        "\nExtras: {}/{} messages parse; {}/{} Contact/From/To/Via values typed-parse cleanly.\n",
        rep.totals[1], rep.totals[0], rep.totals[3], rep.totals[2]
    );
    println!("## Isolated constructs (what exactly trips rsip)\n");
    println!("| header | value | rsip typed result |\n|---|---|---|");
    for r in isolated_rows() {
        println!("{r}");
    }
    println!();
    println!("## Notes (error texts)\n");
    for (i, n) in rep.notes.iter().enumerate() {
        println!("{}. {}", i + 1, n.replace('\r', "\\r").replace('\n', "\\n"));
    }

    // Sanity: the wasm probe's logic, run natively on the corpus.
    let mut fails = 0;
    for p in &files {
        let s = String::from_utf8(std::fs::read(p).unwrap()).unwrap();
        if rsip_eval::parse_impl(&s) == u32::MAX {
            fails += 1;
        }
    }
    println!(
        "\n(probe `parse_impl` native run: {} of {} corpus files rejected)",
        fails,
        files.len()
    );
}
