//! Regenerate `prompts/calculator-bank.jsonl`, the calculator route's example
//! bank, from GSM8K *train* (never test): every solution is converted to a
//! step program, run in the sandbox, and kept only if it computes the
//! solution's final answer.
//!
//! Run from the repository root:
//! `cargo run --release -p flinch-benchmarks --bin make-calculator-bank`

use std::io::Write;

use anyhow::Context;
use flinch_guardrails::bank::{Example, program_from_solution};
use flinch_sandbox::{Limits, ModuleCache, Sandbox};

const TRAIN: &str = "benchmarks/data/gsm8k/train.jsonl";
const OUT: &str = "prompts/calculator-bank.jsonl";

#[derive(serde::Deserialize)]
struct Row {
    question: String,
    answer: String,
}

fn main() -> anyhow::Result<()> {
    let text = std::fs::read_to_string(TRAIN)
        .with_context(|| format!("reading {TRAIN} (run from the repository root)"))?;
    let sandbox = Sandbox::new(Limits::default(), &ModuleCache::Off)?;
    let mut kept = Vec::new();
    let (mut total, mut unconverted, mut wrong) = (0, 0, 0);
    for (i, line) in text.lines().enumerate() {
        total += 1;
        let row: Row =
            serde_json::from_str(line).with_context(|| format!("{TRAIN} line {}", i + 1))?;
        let gold = row
            .answer
            .rsplit("####")
            .next()
            .unwrap_or("")
            .trim()
            .replace(',', "");
        let Some(program) = program_from_solution(&row.question, &row.answer) else {
            unconverted += 1;
            continue;
        };
        match sandbox.eval(&program) {
            Ok(v) if v.decimal == gold => kept.push(Example {
                source: format!("gsm8k-train:{}", i + 1),
                question: row.question,
                program,
                answer: gold,
            }),
            _ => wrong += 1,
        }
    }
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(OUT).with_context(|| format!("creating {OUT}"))?,
    );
    for e in &kept {
        writeln!(out, "{}", serde_json::to_string(e)?)?;
    }
    out.flush()?;
    eprintln!(
        "{total} train solutions: {} kept, {unconverted} without usable annotations, {wrong} whose program did not compute the answer → {OUT}",
        kept.len()
    );
    Ok(())
}
