//! The long whole-UA fuzz run (`make fuzz`): millions of inputs through the same generator,
//! harness and invariants as the short run in `tests/ua_fuzz.rs`, on every core.
//!
//! ```text
//! cargo run --profile fuzz -p sip-core --example ua_fuzz -- --inputs 10000000
//!     [--seed N] [--threads N] [--shrink N] [--repro SEED --profile NAME]
//! ```
//!
//! The `fuzz` profile is release with debug assertions, overflow checks and unwinding panics,
//! so arithmetic overflow is found and reported instead of wrapping or aborting. Prints the
//! rate as it goes, then every distinct violation shrunk to a minimal sequence, as Rust. Exits
//! 1 when there was any.

#[path = "../tests/support/fuzz/mod.rs"]
mod fuzz;

use fuzz::gen::Profile;
use fuzz::{rng, Finding, Findings};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

struct Args {
    inputs: u64,
    seed: u64,
    threads: usize,
    shrink: usize,
    repro: Option<u64>,
    profile: Profile,
}

fn usage() -> ! {
    eprintln!(
        "usage: ua_fuzz [--inputs N] [--seed N] [--threads N] [--shrink RUNS] [--repro SEED --profile registration|incoming|outgoing|mixed]"
    );
    std::process::exit(2)
}

fn args() -> Args {
    let mut a = Args {
        inputs: 10_000_000,
        seed: 0x00c0_ffee,
        threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
        shrink: 1_500,
        repro: None,
        profile: Profile::Mixed,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| usage());
        let number = || fuzz::parse_u64(&value).unwrap_or_else(|| usage());
        match flag.as_str() {
            "--inputs" => a.inputs = number(),
            "--seed" => a.seed = number(),
            "--threads" => a.threads = (number() as usize).max(1),
            "--shrink" => a.shrink = number() as usize,
            "--repro" => a.repro = Some(number()),
            "--profile" => a.profile = fuzz::profile_named(&value).unwrap_or_else(|| usage()),
            _ => usage(),
        }
    }
    a
}

fn main() {
    let a = args();
    if let Some(seed) = a.repro {
        let actions = fuzz::actions(seed, a.profile);
        let out = fuzz::harness::run(seed, &actions, false);
        for v in &out.violations {
            let f = Finding {
                violation: v.clone(),
                seed,
                profile: a.profile,
                actions: actions.clone(),
            };
            println!("{}", fuzz::reproduce(&f, a.shrink));
        }
        println!("{} violations", out.violations.len());
        std::process::exit(i32::from(!out.violations.is_empty()));
    }

    println!(
        "ua_fuzz: {} inputs, base seed {:#x}, {} threads, profiles cycled per sequence",
        a.inputs, a.seed, a.threads
    );
    let next = AtomicU64::new(0);
    let inputs = AtomicU64::new(0);
    let done = AtomicBool::new(false);
    let all = Mutex::new(Findings::default());
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..a.threads {
            s.spawn(|| {
                let mut mine = Findings::default();
                while inputs.load(Ordering::Relaxed) < a.inputs {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let before = mine.inputs;
                    mine.run_one(
                        rng::sequence_seed(a.seed, n),
                        Profile::ALL[n as usize % Profile::ALL.len()],
                    );
                    inputs.fetch_add(mine.inputs - before, Ordering::Relaxed);
                }
                if let Ok(mut all) = all.lock() {
                    all.merge(mine);
                }
            });
        }
        s.spawn(|| {
            let mut last = Instant::now();
            while !done.load(Ordering::Relaxed) && inputs.load(Ordering::Relaxed) < a.inputs {
                std::thread::sleep(Duration::from_millis(200));
                if last.elapsed() >= Duration::from_secs(5) {
                    last = Instant::now();
                    let n = inputs.load(Ordering::Relaxed);
                    let secs = start.elapsed().as_secs_f64();
                    println!(
                        "  {:>11} inputs, {:>8} sequences, {:>6.0} s, {:>8.0} inputs/s",
                        n,
                        next.load(Ordering::Relaxed),
                        secs,
                        n as f64 / secs
                    );
                }
            }
        });
    });
    done.store(true, Ordering::Relaxed);
    let secs = start.elapsed().as_secs_f64();
    let found = all.into_inner().unwrap_or_default();
    println!(
        "ua_fuzz: {} sequences, {} inputs in {:.1} s: {:.0} inputs/s ({} threads); {} distinct violations",
        found.sequences,
        found.inputs,
        secs,
        found.inputs as f64 / secs,
        a.threads,
        found.by_sig.len()
    );
    println!(
        "what the UA did (sequences of {} sampled, one in {}):",
        found.sampled,
        fuzz::COVERAGE_EVERY
    );
    let mut line = String::new();
    for (label, n) in &found.coverage {
        let item = format!("{label}: {n}; ");
        if line.len() + item.len() > 110 {
            println!("  {line}");
            line.clear();
        }
        line.push_str(&item);
    }
    println!("  {line}");
    for ((kind, sig), (f, count)) in &found.by_sig {
        println!(
            "  {count:7}x [{}] {sig}  (seed {:#x}, profile {})",
            kind.name(),
            f.seed,
            f.profile.name()
        );
    }
    if found.by_sig.is_empty() {
        return;
    }
    // Shrink every distinct violation, spread over the threads.
    println!(
        "\nshrinking {} findings ({} reruns each at most)...\n",
        found.by_sig.len(),
        a.shrink
    );
    let findings: Vec<&Finding> = found.by_sig.values().map(|(f, _)| f).collect();
    let reports = Mutex::new(vec![String::new(); findings.len()]);
    let next = AtomicU64::new(0);
    std::thread::scope(|s| {
        for _ in 0..a.threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some(f) = findings.get(i) else { break };
                let text = fuzz::reproduce(f, a.shrink);
                if let Ok(mut r) = reports.lock() {
                    r[i] = text;
                }
            });
        }
    });
    for r in reports.into_inner().unwrap_or_default() {
        println!("{r}");
    }
    std::process::exit(1);
}
