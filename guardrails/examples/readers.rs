//! How often the fixed question readers fire on a GSM8K file, and how often
//! they are right when they do (the value computed in the sandbox against
//! the gold answer after `####`).
//!
//! `cargo run --release -p flinch-guardrails --example readers -- benchmarks/data/gsm8k/test.jsonl [--show]`

use std::io::BufRead;

use flinch_guardrails::routes::calculator::display_value;
use flinch_guardrails::routes::purchases::purchase_program;
use flinch_sandbox::{Limits, ModuleCache, Sandbox};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .ok_or("usage: readers GSM8K.jsonl [--show]")?;
    let show = args.iter().any(|a| a == "--show");
    let sandbox = Sandbox::new(Limits::default(), &ModuleCache::Off)?;
    let (mut items, mut fired, mut right) = (0, 0, 0);
    for (n, line) in std::io::BufReader::new(std::fs::File::open(path)?)
        .lines()
        .enumerate()
    {
        let item: serde_json::Value = serde_json::from_str(&line?)?;
        let question = item["question"].as_str().ok_or("no question")?;
        let gold = item["answer"]
            .as_str()
            .and_then(|a| a.rsplit("####").next())
            .ok_or("no answer")?
            .trim()
            .replace(',', "");
        items += 1;
        let Some(program) = purchase_program(question) else {
            continue;
        };
        fired += 1;
        let value = sandbox.eval(&program).map(|v| display_value(&v));
        let ok = value
            .as_ref()
            .is_ok_and(|v| v.parse::<f64>().ok() == gold.parse::<f64>().ok());
        right += usize::from(ok);
        if show || !ok {
            println!(
                "line {}: {} (gold {gold}) {}\n  {question}\n  {}",
                n + 1,
                if ok { "right" } else { "WRONG" },
                value.unwrap_or_else(|e| e.to_string()),
                program.replace('\n', "\n  ")
            );
        }
    }
    println!("{path}: {items} questions, the purchase reader read {fired}, right on {right}");
    Ok(())
}
