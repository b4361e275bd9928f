//! Measure calculator-route settings on GSM8K *train* items (never test):
//! the bank's retrieval skips the item's own question, so an item is never
//! its own example.
//!
//! `cargo run --release -p flinch-guardrails --example tune_calculator -- MODEL.gguf N STRIDE [key=value …]`
//! keys: style=plain|commented grammar=on|off samples=K examples=E tokens=T temperature=X tie=fallback|likely|coverage

use std::time::Instant;

use flinch_engine::{Engine, LoadOptions};
use flinch_guardrails::bank::Retriever;
use flinch_guardrails::pipeline::load_bank;
use flinch_guardrails::routes::calculator::{
    self, CalcOutcome, CalculatorConfig, ProgramStyle, TiePolicy,
};
use flinch_guardrails::trace::Trace;
use flinch_sandbox::{Limits, ModuleCache, Sandbox};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [model, n, stride, rest @ ..] = args.as_slice() else {
        return Err("usage: tune_calculator MODEL N STRIDE [key=value …]".into());
    };
    let (n, stride): (usize, usize) = (n.parse()?, stride.parse()?);
    let mut config = CalculatorConfig::default();
    for kv in rest {
        let (k, v) = kv.split_once('=').ok_or("key=value expected")?;
        match k {
            "style" => {
                config.style = if v == "plain" {
                    ProgramStyle::Plain
                } else {
                    ProgramStyle::Commented
                }
            }
            "samples" => config.samples = v.parse()?,
            "grammar" => config.grammar = v == "on",
            "single_use" => config.single_use = v == "on",
            "examples" => config.examples = v.parse()?,
            "tokens" => config.max_tokens = v.parse()?,
            "temperature" => config.temperature = v.parse()?,
            "tie" => {
                config.tie = match v {
                    "fallback" => TiePolicy::Fallback,
                    "coverage" => TiePolicy::Coverage,
                    _ => TiePolicy::MostLikely,
                }
            }
            _ => return Err(format!("unknown key {k}").into()),
        }
    }
    let mut engine = Engine::load(std::path::Path::new(model), LoadOptions::default())?;
    let sandbox = Sandbox::new(Limits::default(), &ModuleCache::Off)?;
    let bank = Retriever::new(load_bank());
    let train = std::fs::read_to_string("benchmarks/data/gsm8k/train.jsonl")?;
    let rows: Vec<serde_json::Value> = train
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let (mut right, mut gave_up, mut any_right) = (0, 0, 0);
    let start = Instant::now();
    for (done, row) in rows.iter().step_by(stride).take(n).enumerate() {
        let q = row["question"].as_str().unwrap_or_default();
        let gold = row["answer"]
            .as_str()
            .unwrap_or_default()
            .rsplit("####")
            .next()
            .unwrap_or("")
            .trim()
            .replace(',', "");
        let mut trace = Trace::new();
        let outcome = calculator::answer(&mut engine, &sandbox, &bank, q, &config, 0, &mut trace)?;
        let values: Vec<String> = trace
            .steps()
            .iter()
            .filter_map(|s| match &s.event {
                flinch_guardrails::trace::Event::Program {
                    outcome, ok: true, ..
                } => Some(outcome.clone()),
                _ => None,
            })
            .collect();
        if values.contains(&gold) {
            any_right += 1;
        }
        match outcome {
            CalcOutcome::Answer { value, .. } if value == gold => right += 1,
            CalcOutcome::GiveUp { .. } => gave_up += 1,
            _ => {}
        }
        eprintln!(
            "[{}/{n}] right {right} gave_up {gave_up} oracle {any_right} ({:.1} s/item)",
            done + 1,
            start.elapsed().as_secs_f64() / (done + 1) as f64
        );
    }
    println!(
        "{config:?}\nn={n} accuracy={:.3} oracle(any sample right)={:.3} gave_up={gave_up} seconds/item={:.1}",
        right as f64 / n as f64,
        any_right as f64 / n as f64,
        start.elapsed().as_secs_f64() / n as f64
    );
    Ok(())
}
