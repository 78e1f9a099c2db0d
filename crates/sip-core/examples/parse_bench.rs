//! `make bench` part (f): how long the SIP parser takes per message, over the shared corpus
//! (`../shared/sip-corpus/*.sip`), natively (release build). Also parse + print back, the
//! round trip a received request costs when we answer it. Numbers only, no pass/fail.
//!
//! Usage: cargo run --release -p sip-core --example parse_bench -- [CORPUS_DIR]

use sip_core::message::{parse, Message};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn per_message(total: Duration, n: usize) -> f64 {
    total.as_nanos() as f64 / n as f64
}

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "../shared/sip-corpus".into());
    let mut files: Vec<_> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "sip"))
            .collect(),
        Err(e) => {
            eprintln!("parse_bench: cannot read {dir}: {e}");
            std::process::exit(1);
        }
    };
    files.sort();
    let msgs: Vec<Vec<u8>> = files.iter().filter_map(|p| std::fs::read(p).ok()).collect();
    let parsed = msgs.iter().filter(|m| parse(m).is_ok()).count();
    let bytes: usize = msgs.iter().map(Vec::len).sum();
    if msgs.is_empty() {
        eprintln!("parse_bench: no .sip files in {dir}");
        std::process::exit(1);
    }

    // Enough rounds for ~0.5 s per measure, after a warm-up round.
    let rounds = 3_000;
    for m in &msgs {
        let _ = black_box(parse(black_box(m)));
    }
    let t = Instant::now();
    for _ in 0..rounds {
        for m in &msgs {
            let _ = black_box(parse(black_box(m)));
        }
    }
    let parse_time = t.elapsed();
    let t = Instant::now();
    for _ in 0..rounds {
        for m in &msgs {
            if let Ok(msg) = parse(black_box(m)) {
                let text = match msg {
                    Message::Request(r) => r.to_string(),
                    Message::Response(r) => r.to_string(),
                };
                black_box(text);
            }
        }
    }
    let round_trip = t.elapsed();
    let n = rounds * msgs.len();
    println!(
        "(f) SIP parser, native release build (opt-level z, as the wasm ships), {} corpus messages ({} parse, {} bytes, {:.0} B mean), {rounds} rounds\n",
        msgs.len(),
        parsed,
        bytes,
        bytes as f64 / msgs.len() as f64
    );
    println!("measure                         ns/message   MB/s");
    println!("------------------------------  ----------  -----");
    let mbs = |d: Duration| (bytes * rounds) as f64 / d.as_secs_f64() / 1e6;
    println!(
        "parse                           {:>10.0}  {:>5.0}",
        per_message(parse_time, n),
        mbs(parse_time)
    );
    println!(
        "parse + print back              {:>10.0}  {:>5.0}",
        per_message(round_trip, n),
        mbs(round_trip)
    );
}
