//! Measure the logic route's two translation forms against each other: the
//! model writes facts (one per line, under the facts grammar) or SMT-LIB2
//! (unconstrained); Z3 answers either. Runs the model's part of the route
//! only (no Boolean-expression or family-puzzle shortcut) on BIG-Bench Hard
//! items, which the prompts' examples are not taken from.
//!
//! `cargo run --release -p flinch-guardrails --example tune_logic -- MODEL.gguf N [TASK …]`
//! (default tasks: web_of_lies logical_deduction_three_objects; the first N items of each)

use std::time::Instant;

use flinch_engine::{Engine, LoadOptions};
use flinch_guardrails::routes::logic::{self, DEFAULT_RETRIES, LogicForm, LogicOutcome};
use flinch_guardrails::solver::{SmtSolver, SolverLimits};
use flinch_guardrails::trace::Trace;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [model, n, tasks @ ..] = args.as_slice() else {
        return Err("usage: tune_logic MODEL N [TASK …]".into());
    };
    let n: usize = n.parse()?;
    let default = [
        "web_of_lies".to_owned(),
        "logical_deduction_three_objects".to_owned(),
    ];
    let tasks = if tasks.is_empty() {
        &default[..]
    } else {
        tasks
    };
    let mut engine = Engine::load(std::path::Path::new(model), LoadOptions::default())?;
    let solver = SmtSolver::new(SolverLimits::default());
    for form in [LogicForm::Facts, LogicForm::SmtLib] {
        for task in tasks {
            let data: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(
                format!("benchmarks/data/bbh/{task}.json"),
            )?)?;
            let items = data["examples"].as_array().ok_or("no examples")?;
            let (mut right, mut answered) = (0, 0);
            let start = Instant::now();
            for item in items.iter().take(n) {
                let question = item["input"].as_str().ok_or("no input")?;
                let target = item["target"].as_str().ok_or("no target")?;
                let mut trace = Trace::default();
                let outcome = logic::translate(
                    &mut engine,
                    &solver,
                    question,
                    form,
                    DEFAULT_RETRIES,
                    0,
                    &mut trace,
                )?;
                if let LogicOutcome::Answer { text, .. } = outcome {
                    answered += 1;
                    let said = text
                        .trim_start_matches("The answer is ")
                        .trim_end_matches('.');
                    right += usize::from(said.eq_ignore_ascii_case(target));
                }
            }
            println!(
                "{form:?} {task}: {right}/{} right, {answered} answered, {:.1} s per item",
                n.min(items.len()),
                start.elapsed().as_secs_f64() / n.min(items.len()).max(1) as f64
            );
        }
    }
    Ok(())
}
