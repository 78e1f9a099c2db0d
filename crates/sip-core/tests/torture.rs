//! RFC 4475 (SIP Torture Test Messages) against our parser.
//!
//! Every message of RFC 4475 §3 is a file under `tests/torture/` (CRLF, bytes as on the wire;
//! see `tests/torture/README.md` for how they were reproduced). Each case below says in one
//! comment what RFC 4475 expects and what we do. The rule: never panic, tolerate what real
//! stacks send, refuse what would be wrong to accept (framing we would have to guess).

use sip_core::message::{
    parse, split_list, Address, CSeq, HeaderAccess, Message, Method, ParseError, Request, Response, Uri, Via,
};
use sip_core::{Account, Output, UserAgent};

fn data(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/torture/{name}.dat", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn request(name: &str) -> Request {
    match parse(&data(name)) {
        Ok(Message::Request(r)) => r,
        other => panic!("{name}: expected a request, got {other:?}"),
    }
}

fn response(name: &str) -> Response {
    match parse(&data(name)) {
        Ok(Message::Response(r)) => r,
        other => panic!("{name}: expected a response, got {other:?}"),
    }
}

fn rejected(name: &str) -> ParseError {
    match parse(&data(name)) {
        Err(e) => e,
        Ok(m) => panic!("{name}: expected a parse error, got {m:?}"),
    }
}

fn vias(headers: &impl HeaderAccess) -> Vec<Via> {
    headers
        .hdrs()
        .list("Via")
        .map(|v| Via::parse(v).unwrap_or_else(|e| panic!("Via {v:?}: {e}")))
        .collect()
}

fn ruri(r: &Request) -> Uri {
    Uri::parse(&r.uri).unwrap_or_else(|e| panic!("Request-URI {:?}: {e}", r.uri))
}

/// Messages the parser accepts (§3.1.1 all; §3.1.2–§3.4 where the error is tolerable or
/// semantic and shows up in a typed read instead).
const ACCEPTED: &[&str] = &[
    // §3.1.1 valid
    "wsinv",
    "intmeth",
    "esc01",
    "escnull",
    "esc02",
    "lwsdisp",
    "longreq",
    "dblreq",
    "semiuri",
    "transports",
    "mpart01",
    "unreason",
    "noreason",
    // §3.1.2 invalid, tolerated at the syntax layer
    "badinv01",
    "scalar02",
    "scalarlg",
    "quotbal",
    "ltgtruri",
    "lwsstart",
    "trws",
    "escruri",
    "baddate",
    "regbadct",
    "badaspec",
    "baddn",
    "mismatch01",
    "mismatch02",
    // §3.2 transaction layer, §3.3 application layer, §3.4 backward compatibility
    "badbranch",
    "insuf",
    "unkscm",
    "novelsc",
    "unksm2",
    "bext01",
    "invut",
    "regaut01",
    "multi01",
    "bcast",
    "zeromf",
    "cparam01",
    "cparam02",
    "regescrt",
    "sdp01",
    "inv2543",
];

/// Messages `parse` refuses, with the reason it gives.
const REJECTED: &[(&str, &str)] = &[
    ("clerr", "body shorter than Content-Length"),
    ("ncl", "bad Content-Length"),
    ("lwsruri", "bad request line"),
    ("badvers", "unsupported SIP version"),
    ("bigcode", "bad status code"),
    ("mcl01", "conflicting Content-Length"),
];

#[test]
fn every_file_is_classified_and_parses_as_listed() {
    let dir = format!("{}/tests/torture", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".dat").map(str::to_string)
        })
        .collect();
    files.sort();
    let mut listed: Vec<String> = ACCEPTED
        .iter()
        .copied()
        .chain(REJECTED.iter().map(|(n, _)| *n))
        .map(str::to_string)
        .collect();
    listed.sort();
    assert_eq!(files, listed, "tests/torture/*.dat and the case lists differ");
    for name in ACCEPTED {
        if let Err(e) = parse(&data(name)) {
            panic!("{name}: refused ({e})");
        }
    }
    for (name, why) in REJECTED {
        assert_eq!(rejected(name), ParseError(why), "{name}");
    }
}

/// What we print reads back as the same message. Content-Length is set aside: the printer
/// always writes the computed one, last.
#[test]
fn every_accepted_message_prints_and_reparses_equal() {
    fn without_length(m: &Message) -> Message {
        let mut m = m.clone();
        match &mut m {
            Message::Request(r) => r.headers.remove("Content-Length"),
            Message::Response(r) => r.headers.remove("Content-Length"),
        }
        m
    }
    for name in ACCEPTED {
        let first = parse(&data(name)).unwrap();
        let printed = first.to_string();
        let again = parse(printed.as_bytes())
            .unwrap_or_else(|e| panic!("{name}: printed form does not parse ({e}):\n{printed}"));
        assert_eq!(without_length(&first), without_length(&again), "{name}");
        assert_eq!(again.to_string(), printed, "{name}: printing is not stable");
    }
}

/// The UA on top answers each message as RFC 4475 expects of a UA (and RFC 3261 §8.2's
/// order of checks): every frame it sends parses, nothing panics, and responses get nothing.
/// Where RFC 4475 leaves the answer to the application, the UA's policy is pinned: a valid
/// INVITE rings, REGISTER is not ours (405), a request for a dialog we lack is 481.
#[test]
fn user_agent_answers_torture_messages_as_rfc_4475_expects() {
    const RINGS: &[u16] = &[100, 180];
    let expected: &[(&str, &[u16])] = &[
        // §3.1.1 valid: answered by what they ask for.
        ("wsinv", &[481]), // has a To tag: a dialog we do not have
        ("intmeth", &[501]),
        ("esc01", RINGS),
        ("escnull", &[405]),
        ("esc02", &[501]), // RE%47IST%45R is not REGISTER: an unknown method
        ("lwsdisp", &[200]),
        ("longreq", RINGS),
        ("dblreq", &[405]),
        ("semiuri", &[200]),
        ("transports", &[200]),
        ("mpart01", &[405]),
        ("unreason", &[]),
        ("noreason", &[]),
        // §3.1.2 invalid: 400, 505 or 501 as the RFC asks; tolerable errors are accepted.
        ("badinv01", RINGS),
        ("clerr", &[400]),
        ("scalar02", &[400]),
        ("scalarlg", &[]),
        ("quotbal", &[400]),
        ("ltgtruri", &[400]),
        ("lwsruri", &[400]),
        ("lwsstart", RINGS),
        ("trws", &[200]),
        ("escruri", RINGS),
        ("baddate", RINGS),
        ("regbadct", &[405]),
        ("badaspec", &[200]),
        ("baddn", &[200]),
        ("badvers", &[505]),
        ("mismatch01", &[400]),
        ("mismatch02", &[501]),
        ("bigcode", &[]),
        // §3.2 transaction layer, §3.3 application layer.
        ("badbranch", &[200]),
        ("insuf", &[400]),
        ("unkscm", &[416]),
        ("novelsc", &[416]),
        ("unksm2", &[405]),
        ("bext01", &[420]),
        ("invut", &[415]),
        ("regaut01", &[405]),
        ("multi01", &[400]),
        ("ncl", &[400]),
        ("mcl01", &[400]),
        ("bcast", &[]),
        ("zeromf", &[200]),
        ("cparam01", &[405]),
        ("cparam02", &[405]),
        ("regescrt", &[405]),
        ("sdp01", &[406]),
        // §3.4: an RFC 2543 INVITE (no From tag) is still a call (§12.1.1).
        ("inv2543", RINGS),
    ];
    let listed: Vec<&str> = expected.iter().map(|(n, _)| *n).collect();
    let mut all: Vec<&str> = ACCEPTED
        .iter()
        .copied()
        .chain(REJECTED.iter().map(|(n, _)| *n))
        .collect();
    all.sort();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(sorted, all, "every torture file has an expected answer");
    for (name, want) in expected {
        let account = Account {
            auth_user: "1001".into(),
            sip_domain: "127.0.0.1".into(),
            password: "x".into(),
            display_name: None,
            ws_url: "ws://127.0.0.1:5066/ws".into(),
        };
        let mut ua = UserAgent::new(account, 1);
        // Frames arrive over an open link (the UA holds what it sends while none is up).
        ua.register(0);
        ua.handle_transport_open(0);
        while ua.poll_output().is_some() {}
        // A WebSocket text frame is UTF-8: mpart01's binary part cannot arrive as one as is.
        ua.handle_text(0, &String::from_utf8_lossy(&data(name)));
        let mut statuses = Vec::new();
        while let Some(out) = ua.poll_output() {
            if let Output::Send(text) = out {
                match parse(text.as_bytes()) {
                    Ok(Message::Response(r)) => statuses.push(r.status),
                    other => panic!("{name}: UA sent {other:?}:\n{text}"),
                }
            }
        }
        assert_eq!(statuses, *want, "{name}");
    }
}

// ---------------------------------------------------------------------------------------------
// §3.1.1 Valid messages: every one must parse, with the values RFC 4475 describes.

/// §3.1.1.1 wsinv: folding, LWS around ':' ';' '=' and '/', escaped quotes, empty Subject,
/// mixed compact/long names, leading zeros. RFC: well formed. We: accept, every typed read works.
#[test]
fn wsinv() {
    let r = request("wsinv");
    assert_eq!(r.method, Method::Invite);
    assert_eq!(r.uri, "sip:vivekg@chair-dnrc.example.com;unknownparam");
    assert!(ruri(&r).params.contains("unknownparam"));

    let to = r.to_addr().expect("To with LWS before ';'");
    assert_eq!(to.display_name, None);
    assert_eq!(to.uri.aor(), "sip:vivekg@chair-dnrc.example.com");
    assert_eq!(to.tag(), Some("1918181833n"));
    let from = r.from_addr().unwrap();
    assert_eq!(from.display_name.as_deref(), Some(r#"J Rosenberg \""#));
    assert_eq!(from.uri.aor(), "sip:jdrosen@example.com");
    assert_eq!(from.tag(), Some("98asjd8"));

    assert_eq!(r.header_u32("Max-Forwards"), Some(68));
    assert_eq!(r.call_id(), Some("wsinv.ndaksdj@192.0.2.1"));
    assert_eq!(
        r.cseq(),
        Some(CSeq {
            seq: 9,
            method: "INVITE"
        })
    );
    let v: Vec<_> = vias(&r)
        .into_iter()
        .map(|v| (v.transport.clone(), v.host.clone(), v.branch().map(String::from)))
        .collect();
    assert_eq!(
        v,
        [
            ("UDP".into(), "192.0.2.2".into(), Some("390skdjuw".into())),
            ("TCP".into(), "spindle.example.com".into(), Some("z9hG4bK9ikj8".into())),
            ("UDP".into(), "192.168.255.111".into(), Some("z9hG4bK30239".into())),
        ]
    );
    assert_eq!(r.top_via().unwrap().branch(), Some("390skdjuw"));

    assert_eq!(r.headers.get("Subject"), Some(""));
    assert_eq!(
        r.headers.get("NewFangledHeader"),
        Some("newfangled value continued newfangled value")
    );
    assert_eq!(r.headers.get("UnknownHeaderWithUnusualValue"), Some(";;,,;;,;"));
    let route = Address::parse(r.headers.get("Route").unwrap()).unwrap();
    assert_eq!(route.uri.host, "services.example.com");
    assert!(route.uri.params.contains("lr"));
    assert_eq!(route.uri.params.get("unknownwith"), Some("value"));
    assert_eq!(route.uri.params.get("unknown-no-value"), Some(""));

    let contacts = r.contacts();
    assert_eq!(contacts.len(), 1);
    let m = &contacts[0];
    assert_eq!(m.display_name.as_deref(), Some(r#"Quoted string """#));
    assert_eq!(m.uri.aor(), "sip:jdrosen@example.com");
    assert_eq!(m.params.get("newparam"), Some("newvalue"));
    assert_eq!(m.params.get("secondparam"), Some(""));
    assert_eq!(m.params.get("q"), Some("0.33"));

    assert_eq!(r.headers.get("Content-Type"), Some("application/sdp"));
    assert_eq!(r.body.len(), 150);
    assert!(r.body.starts_with("v=0\r\n") && r.body.ends_with("a=rtpmap:31 LPC\r\n"));
}

/// §3.1.1.2 intmeth: every token character in the method, Via branch, tag and header name;
/// a user part holding ';' and '?'; quoted NUL/BEL/DEL; UTF-8 values. RFC: well formed (an
/// endpoint answers the unknown method with 501). We: accept, the odd URI splits correctly.
#[test]
fn intmeth() {
    const METHOD: &str = "!interesting-Method0123456789_*+`.%indeed'~";
    const USER: &str = "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*";
    let r = request("intmeth");
    assert_eq!(r.method, Method::Other(METHOD.into()));
    let u = ruri(&r);
    assert_eq!(u.user.as_deref(), Some(USER));
    assert_eq!(
        u.password.as_deref(),
        Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
    );
    assert_eq!(u.host, "example.com");
    assert_eq!((u.headers, u.params.iter().count()), (None, 0));

    assert_eq!(r.top_via().unwrap().branch(), Some("z9hG4bK-.!%66*_+`'~"));
    let to = r.to_addr().unwrap();
    assert_eq!(to.display_name.as_deref(), Some("BEL:\u{7} NUL:\u{0} DEL:\u{7f}"));
    assert_eq!(
        (to.uri.user.as_deref(), to.uri.host.as_str()),
        (Some(USER), "example.com")
    );
    assert_eq!(to.tag(), None);
    let from = r.from_addr().unwrap();
    assert_eq!(from.display_name.as_deref(), Some("token1~` token2'+_ token3*%!.-"));
    assert_eq!(from.params.get("fromParam''~+*_!.-%"), Some("работающий"));
    assert_eq!(from.tag(), Some("_token~1'+`*%!-."));
    assert_eq!(r.call_id(), Some(r#"intmeth.word%ZK-!.*_+'@word`~)(><:\/"][?}{"#));
    assert_eq!(
        r.cseq(),
        Some(CSeq {
            seq: 139122385,
            method: METHOD
        })
    );
    assert_eq!(r.header_u32("Max-Forwards"), Some(255));
    assert_eq!(r.headers.get("extensionHeader-!.%*+_`'~"), Some("\u{feff}大停電"));
    assert_eq!(r.body, "");
}

/// §3.1.1.3 esc01: %HH escapes in Request-URI user, To/From users and Contact URI params.
/// RFC: well formed; the application compares escaped and plain forms as equal. We: accept and
/// keep escapes verbatim. Deviation: nothing unescapes, so `%75se%72` and `user` compare
/// different; the URIs a UA compares are its own, which it writes without escapes.
#[test]
fn esc01() {
    let r = request("esc01");
    assert_eq!(ruri(&r).user.as_deref(), Some("sips%3Auser%40example.com"));
    assert_eq!(ruri(&r).host, "example.net");
    assert_eq!(r.to_addr().unwrap().uri.user.as_deref(), Some("%75se%72"));
    let from = r.from_addr().unwrap();
    assert_eq!(from.uri.user.as_deref(), Some("I%20have%20spaces"));
    assert_eq!(from.tag(), Some("938"));
    assert_eq!(r.call_id(), Some("esc01.239409asdfakjkn23onasd0-3234"));
    assert_eq!(r.headers.get("Content-Type"), Some("application/sdp"));
    let c = &r.contacts()[0];
    assert_eq!(c.uri.user.as_deref(), Some("cal%6Cer"));
    assert_eq!(c.uri.params.get("%6C%72"), Some(""));
    assert_eq!(c.uri.params.get("n%61me"), Some("v%61lue%25%34%31"));
    assert_eq!(r.body.len(), 150);
}

/// §3.1.1.4 escnull: `%00` in users. RFC: well formed; do not shorten the AOR at the NUL; the
/// two Contacts are distinct. We: accept; escapes are kept as text so nothing is cut.
#[test]
fn escnull() {
    let r = request("escnull");
    assert_eq!(r.method, Method::Register);
    assert_eq!(r.to_addr().unwrap().uri.aor(), "sip:null-%00-null@example.com");
    assert_eq!(r.from_addr().unwrap().tag(), Some("839923423"));
    let users: Vec<_> = r.contacts().into_iter().map(|c| c.uri.user).collect();
    assert_eq!(users, [Some("%00".into()), Some("%00%00".into())]);
    assert_eq!(r.header_u32("Content-Length"), Some(0));
}

/// §3.1.1.5 esc02: '%' where it is not an escape (method, display name, branch, header name).
/// RFC: well formed; unknown method, two Contacts, `C%6Fntact` is another header. We: same.
#[test]
fn esc02() {
    let r = request("esc02");
    assert_eq!(r.method, Method::Other("RE%47IST%45R".into()));
    assert_eq!(r.to_addr().unwrap().display_name.as_deref(), Some("%Z%45"));
    assert_eq!(r.from_addr().unwrap().display_name.as_deref(), Some("%Z%45"));
    assert_eq!(r.top_via().unwrap().branch(), Some("z9hG4bK209%fzsnel234"));
    assert_eq!(r.cseq().unwrap().method, "RE%47IST%45R");
    let hosts: Vec<_> = r.contacts().into_iter().map(|c| c.uri.host).collect();
    assert_eq!(hosts, ["host1.example.com", "host3.example.com"]);
    assert_eq!(r.headers.get("C%6Fntact"), Some("<sip:alias2@host2.example.com>"));
}

/// §3.1.1.6 lwsdisp: no LWS between display-name token and '<'. RFC: accept (spec bug). We:
/// accept.
#[test]
fn lwsdisp() {
    let r = request("lwsdisp");
    let from = r.from_addr().unwrap();
    assert_eq!(from.display_name.as_deref(), Some("caller"));
    assert_eq!(from.uri.aor(), "sip:caller@example.com");
    assert_eq!(from.tag(), Some("323"));
}

/// §3.1.1.7 longreq: very long names, values and 34 Via values in many spellings. RFC: well
/// formed. We: accept; nothing is truncated.
#[test]
fn longreq() {
    let r = request("longreq");
    let to = r.to_addr().unwrap();
    assert_eq!(
        to.display_name.unwrap(),
        format!("I have a user name of {} proportion", "extreme".repeat(10))
    );
    assert_eq!(to.uri.port, Some(6000));
    assert_eq!(to.uri.params.iter().count(), 3);
    assert_eq!(
        to.uri.params.get("unknownparam1").unwrap(),
        format!("very{}value", "long".repeat(20))
    );
    assert_eq!(
        to.uri.params.get(&format!("longparam{}", "name".repeat(25))),
        Some("shortvalue")
    );
    assert_eq!(
        to.uri
            .params
            .get(&format!("very{}ParameterNameWithNoValue", "long".repeat(25))),
        Some("")
    );
    let from = r.from_addr().unwrap();
    let caller = "amazinglylongcallername".repeat(5);
    assert_eq!(from.uri.user.as_deref(), Some(caller.as_str()));
    assert_eq!(from.tag().unwrap(), format!("12{}424", "982".repeat(50)));
    assert_eq!(from.params.iter().count(), 3);
    assert_eq!(
        r.call_id().unwrap(),
        format!("longreq.one{}longcallid", "really".repeat(20))
    );
    let name = format!("Unknown-{}-Name", "Long".repeat(20));
    assert!(r.headers.get(&name).unwrap().starts_with("unknown-long"));

    let v = vias(&r);
    assert_eq!(v.len(), 34);
    for (i, via) in v.iter().take(33).enumerate() {
        assert_eq!(via.host, format!("sip{}.example.com", 33 - i));
        assert_eq!(via.branch(), None);
    }
    assert_eq!(v[33].params.get("received"), Some("192.0.2.5"));
    assert_eq!(v[33].branch().unwrap(), format!("very{}branchvalue", "long".repeat(50)));
    assert_eq!(r.contacts()[0].uri.user.as_deref(), Some(caller.as_str()));
    assert_eq!(r.body.len(), 150);
}

/// §3.1.1.8 dblreq: a REGISTER with Content-Length 0 followed, in the same datagram, by bytes
/// that look like an INVITE. RFC: handle the REGISTER, ignore the rest. We: the same.
#[test]
fn dblreq() {
    let r = request("dblreq");
    assert_eq!(r.method, Method::Register);
    assert_eq!(r.call_id(), Some("dblreq.0ha0isndaksdj99sdfafnl3lk233412"));
    assert_eq!(r.to_addr().unwrap().uri.aor(), "sip:j.user@example.com");
    assert_eq!(r.contacts()[0].uri.host, "host.example.com");
    assert_eq!(r.top_via().unwrap().branch(), Some("z9hG4bKkdjuw23492"));
    assert_eq!(r.body, "");
    assert!(r.headers.get_all("CSeq").eq(["8 REGISTER"]));
}

/// §3.1.1.9 semiuri: ';' inside the Request-URI user part. RFC: user is
/// `user;par=u%40example.net`. We: same (no URI parameters).
#[test]
fn semiuri() {
    let r = request("semiuri");
    let u = ruri(&r);
    assert_eq!(u.user.as_deref(), Some("user;par=u%40example.net"));
    assert_eq!(u.host, "example.com");
    assert_eq!(u.params.iter().count(), 0);
    let accept: Vec<_> = r.headers.list("Accept").collect();
    assert_eq!(accept.len(), 6);
    assert_eq!(accept[5], "message/sipfrag");
}

/// §3.1.1.10 transports: Via with UDP, SCTP, TLS, an unknown transport and TCP. RFC: well
/// formed. We: accept; the transport token is kept, whatever it is.
#[test]
fn transports() {
    let r = request("transports");
    let t: Vec<_> = vias(&r).into_iter().map(|v| v.transport).collect();
    assert_eq!(t, ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]);
    assert_eq!(r.call_id(), Some("transports.kijh4akdnaqjkwendsasfdj"));
}

/// §3.1.1.11 mpart01: multipart body whose second part is binary DER with NUL bytes. RFC: frame
/// by Content-Length and accept. We: frame the 553 bytes exactly, then decode the body lossily
/// into a String (invalid UTF-8 becomes U+FFFD; NUL survives). Deviation: the binary part is not
/// kept octet for octet; a WebSocket text frame (RFC 7118) cannot carry it anyway.
#[test]
fn mpart01() {
    let r = request("mpart01");
    assert_eq!(r.method, Method::Message);
    let via = r.top_via().unwrap();
    assert_eq!(via.host, "127.0.0.1:5070");
    assert_eq!(via.params.get("rport"), Some(""));
    assert_eq!(
        r.headers.get("Content-Type"),
        Some("multipart/mixed;boundary=7a9cbec02ceef655")
    );
    assert!(r.body.starts_with("--7a9cbec02ceef655\r\n"));
    assert!(r.body.ends_with("\r\n--7a9cbec02ceef655--\r\n"));
    assert!(r.body.contains("\r\n\r\nHello\r\n") && r.body.contains('\0'));
}

/// §3.1.1.12 unreason: a reason phrase with UTF-8. RFC: accept. We: accept, kept as text.
#[test]
fn unreason() {
    let r = response("unreason");
    assert_eq!(r.status, 200);
    assert_eq!(r.reason, "= 2**3 * 5**2 но сто девяносто девять - простое");
    assert_eq!(r.to_addr().unwrap().tag(), Some("2229"));
    assert_eq!(r.body.len(), 154);
}

/// §3.1.1.13 noreason: `SIP/2.0 100 ` with an empty reason. RFC: accept. We: accept (also
/// without the trailing SP).
#[test]
fn noreason() {
    let r = response("noreason");
    assert_eq!((r.status, r.reason.as_str()), (100, ""));
    assert_eq!(r.top_via().unwrap().branch(), Some("z9hG4bK2398ndaoe"));
    assert_eq!(r.from_addr().unwrap().tag(), Some("39ansfi3"));
    assert_eq!(r.to_addr().unwrap().tag(), Some("902jndnke3"));
    assert!(r.to_string().starts_with("SIP/2.0 100 \r\n"));
}

// ---------------------------------------------------------------------------------------------
// §3.1.2 Invalid messages.

/// §3.1.2.1 badinv01: empty Via params and list elements (`;;,;,,`), empty Contact params.
/// RFC: 400. We: tolerate at the syntax layer; the top Via has no branch, the stray `;` element
/// is not a Via, and the empty Contact params are skipped.
#[test]
fn badinv01() {
    let r = request("badinv01");
    let elements: Vec<_> = r.headers.list("Via").collect();
    assert_eq!(elements, ["SIP/2.0/UDP 192.0.2.15;;", ";"]);
    let top = r.top_via().unwrap();
    assert_eq!((top.host.as_str(), top.branch()), ("192.0.2.15", None));
    assert!(Via::parse(elements[1]).is_err());
    let c = &r.contacts()[0];
    assert_eq!(c.display_name.as_deref(), Some("Joe"));
    assert_eq!(c.params.iter().count(), 0);
}

/// §3.1.2.2 clerr: Content-Length 9999 with a 154-byte body (ostensibly UDP). RFC: 400 (UDP);
/// on a stream, wait for more. We: refuse — a WebSocket frame is a whole message, like UDP.
#[test]
fn clerr() {
    assert_eq!(rejected("clerr"), ParseError("body shorter than Content-Length"));
}

/// §3.1.2.3 ncl: Content-Length -999. RFC: error, never use it as a count. We: refuse.
#[test]
fn ncl() {
    assert_eq!(rejected("ncl"), ParseError("bad Content-Length"));
}

/// §3.1.2.4 scalar02: CSeq > 2^32-1, Max-Forwards 300, huge Expires and expires param. RFC: 400
/// for the CSeq; the others may read as absent/default. We: accept the message; `cseq()` and the
/// expiries read as None (so the UA answers 400). Max-Forwards reads 300: we never forward.
#[test]
fn scalar02() {
    let r = request("scalar02");
    assert_eq!(r.cseq(), None);
    assert_eq!(r.header_u32("Expires"), None);
    assert_eq!(r.header_u32("Max-Forwards"), Some(300));
    let expires = r.contacts()[0].params.get("expires").unwrap().to_string();
    assert_eq!(expires, "280297596632815");
    assert!(expires.parse::<u32>().is_err());
}

/// §3.1.2.5 scalarlg: a response with CSeq > 2^32-1, huge Retry-After, 4-digit warn-code. RFC:
/// discard. We: accept the text; `cseq()` is None so it matches no transaction and is dropped.
#[test]
fn scalarlg() {
    let r = response("scalarlg");
    assert_eq!(r.status, 503);
    assert_eq!(r.cseq(), None);
    assert_eq!(r.header_u32("Retry-After"), None);
}

/// §3.1.2.6 quotbal: unterminated quote in the To display name. RFC: 400 (or infer carefully).
/// We: accept the message; `to_addr()` is None (no guessing), so the UA answers 400.
#[test]
fn quotbal() {
    let r = request("quotbal");
    assert!(r.to_addr().is_none());
    // The RFC's warning case for anyone inferring the quote: no guess is safe, none is made.
    assert!(Address::parse(r#""Mr J. User <sip:j.user@example.com> <sip:realj@example.net>"#).is_err());
    assert!(r.from_addr().is_some());
}

/// §3.1.2.7 ltgtruri: Request-URI inside '<>'. RFC: reasonable to 400, or ignore the brackets.
/// We: accept the start line (the Request-URI is kept as text); `Uri::parse` refuses it.
#[test]
fn ltgtruri() {
    let r = request("ltgtruri");
    assert_eq!(r.uri, "<sip:user@example.com>");
    assert!(Uri::parse(&r.uri).is_err());
}

/// §3.1.2.8 lwsruri: LWS inside the Request-URI (`sip:user@example.com; lr`). RFC: 400. We:
/// refuse (four elements on the request line).
#[test]
fn lwsruri() {
    assert_eq!(rejected("lwsruri"), ParseError("bad request line"));
}

/// §3.1.2.9 lwsstart: several SP between request-line elements. RFC: may reject or ignore the
/// extra SP, never forward it. We: accept; the printed start line has single SPs.
#[test]
fn lwsstart() {
    let r = request("lwsstart");
    assert_eq!(
        (r.method.clone(), r.uri.as_str()),
        (Method::Invite, "sip:user@example.com")
    );
    assert!(r.to_string().starts_with("INVITE sip:user@example.com SIP/2.0\r\n"));
}

/// §3.1.2.10 trws: SP after SIP-Version. RFC: may reject or ignore. We: accept; printed without.
#[test]
fn trws() {
    let r = request("trws");
    assert_eq!(r.uri, "sip:remote-target@example.com");
    assert!(r
        .to_string()
        .starts_with("OPTIONS sip:remote-target@example.com SIP/2.0\r\n"));
}

/// §3.1.2.11 escruri: escaped headers in the Request-URI. RFC: may 400, or ignore them (never
/// turn them into real headers). We: accept; they stay in `Uri::headers`, which nothing applies.
#[test]
fn escruri() {
    let r = request("escruri");
    let u = ruri(&r);
    assert_eq!(u.aor(), "sip:user@example.com");
    assert_eq!(u.headers.as_deref(), Some("Route=%3Csip:example.com%3E"));
    assert!(r.headers.get("Route").is_none());
}

/// §3.1.2.12 baddate: Date with a non-GMT zone. RFC: reject only if Date matters, else ignore.
/// We: accept; Date is never interpreted (kept as text).
#[test]
fn baddate() {
    let r = request("baddate");
    assert_eq!(r.headers.get("Date"), Some("Fri, 01 Jan 2010 16:00:00 EST"));
    assert!(r.to_addr().is_some() && r.cseq().is_some());
}

/// §3.1.2.13 regbadct: addr-spec Contact with URI headers (`?Route=...`) outside '<>'. RFC: may
/// 400, or infer the brackets since it is unambiguous here. We: infer them.
#[test]
fn regbadct() {
    let r = request("regbadct");
    let c = &r.contacts()[0];
    assert_eq!(c.uri.aor(), "sip:user@example.com");
    assert_eq!(c.uri.headers.as_deref(), Some("Route=%3Csip:sip.example.com%3E"));
}

/// §3.1.2.14 badaspec: SP inside '<>' around the To URI. RFC: may 400, or ignore the spaces.
/// We: ignore them.
#[test]
fn badaspec() {
    let r = request("badaspec");
    let to = r.to_addr().unwrap();
    assert_eq!(to.display_name.as_deref(), Some("Watson, Thomas"));
    assert_eq!(to.uri.aor(), "sip:t.watson@example.org");
}

/// §3.1.2.15 baddn: unquoted display names with non-token characters (`Bell, Alexander`). RFC:
/// reasonable to 400; may infer the quotes but must not propagate the error. We: infer them
/// (From/To are single values, so the comma does not split); printing quotes the name.
#[test]
fn baddn() {
    let r = request("baddn");
    let from = r.from_addr().unwrap();
    assert_eq!(from.display_name.as_deref(), Some("Bell, Alexander"));
    assert_eq!(from.tag(), Some("43"));
    assert!(from.to_string().starts_with("\"Bell, Alexander\" <sip:"));
    assert_eq!(r.to_addr().unwrap().display_name.as_deref(), Some("Watson, Thomas"));
}

/// §3.1.2.16 badvers: SIP/7.0. RFC: 505 Version Not Supported. We: refuse the frame. Deviation:
/// no 505 goes back (the UA logs the drop); an unknown version's headers are not ours to read.
#[test]
fn badvers() {
    assert_eq!(rejected("badvers"), ParseError("unsupported SIP version"));
}

/// §3.1.2.17 mismatch01: OPTIONS with `CSeq: 8 INVITE`. RFC: 400. We: the message parses; the
/// UA compares the CSeq method with the request method and answers 400.
#[test]
fn mismatch01() {
    let r = request("mismatch01");
    assert_eq!(r.method, Method::Options);
    assert_ne!(r.cseq().unwrap().method, r.method.as_str());
}

/// §3.1.2.18 mismatch02: unknown method with a CSeq for INVITE. RFC: 501 preferred, 400 fine.
/// We: parses; the UA's mismatch check answers 400.
#[test]
fn mismatch02() {
    let r = request("mismatch02");
    assert_eq!(r.method, Method::Other("NEWMETHOD".into()));
    assert_eq!(r.cseq().unwrap().method, "INVITE");
    assert_eq!(r.body.len(), 138);
}

/// §3.1.2.19 bigcode: status 4294967301. RFC: drop. We: refuse (codes are 100..=699).
#[test]
fn bigcode() {
    assert_eq!(rejected("bigcode"), ParseError("bad status code"));
}

// ---------------------------------------------------------------------------------------------
// §3.2 Transaction layer, §3.3 application layer, §3.4 backward compatibility: all parse; the
// checks are the element's, so each case shows the typed read the element decides on.

/// §3.2.1 badbranch: `branch=z9hG4bK` (magic cookie, no id). RFC: must not break; may 400 or
/// fall back to RFC 2543 matching. We: accept; the branch reads as the bare cookie.
#[test]
fn badbranch() {
    let r = request("badbranch");
    assert_eq!(r.top_via().unwrap().branch(), Some("z9hG4bK"));
    assert_eq!(r.call_id(), Some("badbranch.sadonfo23i420jv0as0derf3j3n"));
}

/// §3.3.1 insuf: no To, From, Call-ID or Max-Forwards. RFC: do not break; ideally 400. We:
/// parse; those reads are None, and the UA answers 400 along the Via.
#[test]
fn insuf() {
    let r = request("insuf");
    assert!(r.to_addr().is_none() && r.from_addr().is_none() && r.call_id().is_none());
    assert_eq!(r.header_u32("Max-Forwards"), None);
    assert_eq!(r.top_via().unwrap().branch(), Some("z9hG4bKkdj.insuf"));
}

/// §3.3.2 unkscm: unknown Request-URI scheme. RFC: well formed; 416. We: parse; the URI is
/// kept opaque with its scheme (our UA does not route on the Request-URI, so it does not 416).
#[test]
fn unkscm() {
    let u = ruri(&request("unkscm"));
    assert_eq!(u.scheme, "nobodyknowsthisscheme");
    assert_eq!(u.opaque.as_deref(), Some("totallyopaquecontent"));
}

/// §3.3.3 novelsc: `soap.beep://` Request-URI. RFC: well formed; 416 or 404. We: parse, opaque.
#[test]
fn novelsc() {
    let u = ruri(&request("novelsc"));
    assert_eq!(u.scheme, "soap.beep");
    assert_eq!(u.opaque.as_deref(), Some("//192.0.2.103:3002"));
}

/// §3.3.4 unksm2: isbn:/http:/name: URIs in To, From and Contact. RFC: well formed (a
/// registrar would 400 the non-SIP AOR). We: parse each as an opaque URI.
#[test]
fn unksm2() {
    let r = request("unksm2");
    assert_eq!(r.to_addr().unwrap().uri.to_string(), "isbn:2983792873");
    let from = r.from_addr().unwrap();
    assert_eq!(from.uri.scheme, "http");
    assert_eq!(from.tag(), Some("3234233"));
    assert_eq!(r.contacts()[0].uri.to_string(), "name:John_Smith");
}

/// §3.3.5 bext01: Require and Proxy-Require with unknown option tags. RFC: 420 Bad Extension
/// (a UAS for Require). We: parse; the tags list out (the 420 check belongs to the UA).
#[test]
fn bext01() {
    let r = request("bext01");
    let require: Vec<_> = r.headers.list("Require").collect();
    assert_eq!(require, ["nothingSupportsThis", "nothingSupportsThisEither"]);
    assert_eq!(r.headers.list("Proxy-Require").count(), 2);
}

/// §3.3.6 invut: body of unknown type. RFC: well formed; a UAS answers 415. We: parse.
#[test]
fn invut() {
    let r = request("invut");
    assert_eq!(r.headers.get("Content-Type"), Some("application/unknownformat"));
    assert_eq!(r.body, "<audio>\r\n <pcmu port=\"443\"/>\r\n</audio>\r\n");
}

/// §3.3.7 regaut01: Authorization with an unknown scheme. RFC: well formed. We: parse; the
/// header is kept as text (we only ever read challenges, never Authorization).
#[test]
fn regaut01() {
    let r = request("regaut01");
    assert_eq!(
        r.headers.get("Authorization"),
        Some("NoOneKnowsThisScheme opaque-data=here")
    );
    assert_eq!(r.body, "");
}

/// §3.3.8 multi01: two values each of CSeq, Call-ID, From, To, Max-Forwards. RFC: 400. We:
/// parse; typed reads take the first, and the duplicates stay visible to whoever checks.
#[test]
fn multi01() {
    let r = request("multi01");
    for name in ["CSeq", "Call-ID", "From", "To", "Max-Forwards"] {
        assert_eq!(r.headers.get_all(name).count(), 2, "{name}");
    }
    assert_eq!(r.call_id(), Some("multi01.98asdh@192.0.2.1"));
    assert_eq!(r.cseq().unwrap().seq, 5);
    assert_eq!(r.body.len(), 154);
}

/// §3.3.9 mcl01: Content-Length 13 and 5. RFC: framing error, reject. We: refuse ("conflicting
/// Content-Length"; this used to take the first silently).
#[test]
fn mcl01() {
    assert_eq!(rejected("mcl01"), ParseError("conflicting Content-Length"));
}

/// §3.3.10 bcast: 200 OK whose second Via is 255.255.255.255. RFC: well formed; an endpoint
/// discards it. We: parse; both Vias read (a UA only ever sends with one Via).
#[test]
fn bcast() {
    let r = response("bcast");
    let hosts: Vec<_> = vias(&r).into_iter().map(|v| v.host).collect();
    assert_eq!(hosts, ["192.0.2.198", "255.255.255.255"]);
}

/// §3.3.11 zeromf: Max-Forwards 0. RFC: an endpoint processes it normally. We: parse, reads 0.
#[test]
fn zeromf() {
    assert_eq!(request("zeromf").header_u32("Max-Forwards"), Some(0));
}

/// §3.3.12 cparam01: `Contact: sip:...;unknownparam` without '<>'. RFC: the parameter belongs
/// to the Contact, not the URI. We: same.
#[test]
fn cparam01() {
    let c = &request("cparam01").contacts()[0];
    assert!(c.params.contains("unknownparam"));
    assert_eq!(c.uri.params.iter().count(), 0);
    assert_eq!(c.uri.user.as_deref(), Some("+19725552222"));
}

/// §3.3.13 cparam02: the same inside '<>'. RFC: a URI parameter. We: same.
#[test]
fn cparam02() {
    let c = &request("cparam02").contacts()[0];
    assert!(c.uri.params.contains("unknownparam"));
    assert_eq!(c.params.iter().count(), 0);
}

/// §3.3.14 regescrt: Contact URI with an escaped Route header, in '<>'. RFC: well formed. We:
/// parse; the headers part is kept verbatim.
#[test]
fn regescrt() {
    let r = request("regescrt");
    let c = &r.contacts()[0];
    assert_eq!(c.uri.headers.as_deref(), Some("Route=%3Csip:sip.example.com%3E"));
    assert_eq!(r.header_u32("Content-Length"), Some(0));
}

/// §3.3.15 sdp01: INVITE whose Accept excludes application/sdp. RFC: 406 (or 400). We: parse.
#[test]
fn sdp01() {
    let r = request("sdp01");
    assert!(r.headers.list("Accept").eq(["text/nobodyKnowsThis"]));
    assert_eq!(r.body.len(), 150);
}

/// §3.4.1 inv2543: RFC 2543 INVITE — no branch, no From tag, no Max-Forwards, no
/// Content-Length. RFC: accept for backward compatibility; the body is the rest of the
/// datagram. We: same.
#[test]
fn inv2543() {
    let r = request("inv2543");
    assert_eq!(r.top_via().unwrap().branch(), None);
    assert_eq!(r.from_addr().unwrap().tag(), None);
    assert_eq!(r.header_u32("Max-Forwards"), None);
    assert_eq!(r.headers.get("Content-Length"), None);
    assert!(r.body.starts_with("v=0\r\n") && r.body.ends_with("m=audio 49217 RTP/AVP 0\r\n"));
    assert_eq!(split_list(r.headers.get("To").unwrap()).count(), 1);
}
