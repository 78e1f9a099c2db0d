//! Whole-UA fuzzing with protocol invariants (issue 9).
//!
//! - `gen`: random but plausible action sequences from a seed (API calls, media results,
//!   transport events, time, and far-end frames, plain and mutated).
//! - `peer`: the scripted far end that turns frame actions into SIP text, reacting to what
//!   the UA sent.
//! - `harness`: runs a sequence on one `UserAgent` under virtual time, as a driver would.
//! - `checker`: the invariants over inputs and outputs.
//!
//! Shared by the short run (`tests/ua_fuzz.rs`, part of `cargo test -p sip-core`) and the long
//! run (`examples/ua_fuzz.rs`, `make fuzz`). A failure names its seed; [`reproduce`] shrinks
//! the sequence and prints it as Rust code against the `UserAgent` API.
#![allow(dead_code)]

pub mod checker;
pub mod gen;
pub mod harness;
pub mod peer;
pub mod rng;

use checker::{Kind, Violation};
use gen::{Action, Profile};
use std::collections::BTreeMap;

/// Longest sequence drawn (in actions; stories make the actual count vary).
pub const MAX_LEN: usize = 60;

/// The actions of sequence `seed`.
pub fn actions(seed: u64, profile: Profile) -> Vec<Action> {
    gen::sequence(seed, profile, MAX_LEN)
}

/// A violation, where it was first seen, and the sequence that shows it.
#[derive(Debug, Clone)]
pub struct Finding {
    pub violation: Violation,
    pub seed: u64,
    pub profile: Profile,
    pub actions: Vec<Action>,
}

/// Distinct violations (by invariant and signature) over many sequences, the first seed each.
#[derive(Default)]
pub struct Findings {
    pub by_sig: BTreeMap<(Kind, String), (Finding, u64)>,
    pub sequences: u64,
    pub inputs: u64,
    /// What the UA did, sampled on one sequence in `COVERAGE_EVERY`: label → sequences.
    pub coverage: BTreeMap<String, u64>,
    pub sampled: u64,
}

/// One sequence in this many also records what the UA did.
pub const COVERAGE_EVERY: u64 = 8;

impl Findings {
    pub fn run_one(&mut self, seed: u64, profile: Profile) {
        let actions = actions(seed, profile);
        let sample = self.sequences.is_multiple_of(COVERAGE_EVERY);
        let out = harness::run_with(seed, &actions, false, sample);
        self.sequences += 1;
        self.inputs += out.inputs;
        if sample {
            self.sampled += 1;
            for label in out.coverage {
                *self.coverage.entry(label).or_default() += 1;
            }
        }
        for v in out.violations {
            let key = (v.kind, v.sig.clone());
            self.by_sig.entry(key).and_modify(|e| e.1 += 1).or_insert_with(|| {
                (
                    Finding {
                        violation: v,
                        seed,
                        profile,
                        actions: actions.clone(),
                    },
                    1,
                )
            });
        }
    }

    pub fn merge(&mut self, other: Findings) {
        self.sequences += other.sequences;
        self.inputs += other.inputs;
        self.sampled += other.sampled;
        for (label, n) in other.coverage {
            *self.coverage.entry(label).or_default() += n;
        }
        for (k, (f, n)) in other.by_sig {
            match self.by_sig.get_mut(&k) {
                Some(e) => {
                    e.1 += n;
                    if f.seed < e.0.seed && f.actions.len() <= e.0.actions.len() {
                        e.0 = f;
                    }
                }
                None => {
                    self.by_sig.insert(k, (f, n));
                }
            }
        }
    }
}

fn still_fails(seed: u64, actions: &[Action], target: &Violation) -> bool {
    harness::run(seed, actions, false)
        .violations
        .iter()
        .any(|v| v.kind == target.kind && v.sig == target.sig)
}

/// Simpler forms of one action, tried while shrinking.
fn simpler(a: &Action) -> Vec<Action> {
    match a {
        Action::Mutated(inner, ops) => {
            let mut out = vec![(**inner).clone()];
            for i in 0..ops.len() {
                let mut fewer = ops.clone();
                fewer.remove(i);
                out.push(Action::Mutated(inner.clone(), fewer));
            }
            out
        }
        Action::Corpus(i, ops) if !ops.is_empty() => (0..ops.len())
            .map(|k| {
                let mut fewer = ops.clone();
                fewer.remove(k);
                Action::Corpus(*i, fewer)
            })
            .collect(),
        Action::Sleep(ms) => vec![Action::Advance(*ms)],
        Action::Advance(ms) if *ms > 1_000 => vec![Action::Advance(ms / 2), Action::Advance(1_000)],
        _ => Vec::new(),
    }
}

/// Deletes actions (halves, quarters, ... single ones) and simplifies the rest while the
/// sequence still shows a violation of the same invariant and signature. `budget`: runs.
pub fn shrink(seed: u64, actions: &[Action], target: &Violation, budget: usize) -> Vec<Action> {
    let mut cur = actions.to_vec();
    let mut runs = 0;
    let mut chunk = cur.len().div_ceil(2).max(1);
    loop {
        let mut progress = false;
        let mut i = 0;
        while i < cur.len() && runs < budget {
            let end = (i + chunk).min(cur.len());
            let mut cand = cur[..i].to_vec();
            cand.extend_from_slice(&cur[end..]);
            runs += 1;
            if still_fails(seed, &cand, target) {
                cur = cand;
                progress = true;
            } else {
                i += chunk;
            }
        }
        if runs >= budget {
            break;
        }
        if chunk == 1 && !progress {
            break;
        }
        if !progress {
            chunk = chunk.div_ceil(2);
        }
    }
    // Then each remaining action in a simpler form.
    let mut i = 0;
    while i < cur.len() && runs < budget {
        let mut replaced = false;
        for s in simpler(&cur[i]) {
            if runs >= budget {
                break;
            }
            let mut cand = cur.clone();
            cand[i] = s;
            runs += 1;
            if still_fails(seed, &cand, target) {
                cur = cand;
                replaced = true;
                break;
            }
        }
        if !replaced {
            i += 1;
        }
    }
    cur
}

/// A finding shrunk and written out: the seed, the minimal actions, and the run as Rust.
pub fn reproduce(f: &Finding, budget: usize) -> String {
    let small = shrink(f.seed, &f.actions, &f.violation, budget);
    let out = harness::run(f.seed, &small, true);
    let shown = out
        .violations
        .iter()
        .find(|v| v.kind == f.violation.kind && v.sig == f.violation.sig)
        .unwrap_or(&f.violation);
    let mut s = String::new();
    s.push_str(&format!("VIOLATION {shown}\n"));
    s.push_str(&format!(
        "  seed {:#x} (profile {}), {} of {} actions left after shrinking\n",
        f.seed,
        f.profile.name(),
        small.len(),
        f.actions.len()
    ));
    s.push_str(&format!(
        "  rerun: UA_FUZZ_REPRO={:#x} UA_FUZZ_PROFILE={} cargo test -p sip-core --test ua_fuzz repro -- --nocapture\n",
        f.seed,
        f.profile.name()
    ));
    s.push_str(&format!(
        "     or: cargo run --profile fuzz -p sip-core --example ua_fuzz -- --repro {:#x} --profile {}\n",
        f.seed,
        f.profile.name()
    ));
    s.push_str("  actions:\n");
    for a in &small {
        s.push_str(&format!("    {a:?}\n"));
    }
    s.push_str("  as Rust (each line an input; `//   ->` what the UA emitted):\n");
    for line in &out.transcript {
        s.push_str("    ");
        s.push_str(line);
        s.push('\n');
    }
    s
}

pub fn profile_named(name: &str) -> Option<Profile> {
    Profile::ALL.into_iter().find(|p| p.name() == name)
}

/// `0x1f` or `31`.
pub fn parse_u64(s: &str) -> Option<u64> {
    let s = s.trim();
    match s.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}
