//! Measure the logic route's two translation forms against each other: the
//! model writes facts (one per line, under the facts grammar) or SMT-LIB2
//! (under the SMT-LIB grammar); Z3 answers either. Runs the model's part of
//! the route only (no Boolean-expression or family-puzzle shortcut) on
//! BIG-Bench Hard items, which the prompts' examples are not taken from.
//!
//! `cargo run --release -p flinch-guardrails --example tune_logic -- MODEL.gguf N [--form=facts|smtlib] [TASK …]`
//! (default tasks: web_of_lies logical_deduction_three_objects; the first N items of each;
//! both forms unless `--form` names one). Each item's outcome goes to stderr.

use std::time::Instant;

use flinch_engine::{Engine, LoadOptions};
use flinch_guardrails::routes::logic::{self, DEFAULT_RETRIES, LogicForm, LogicOutcome};
use flinch_guardrails::solver::{SmtSolver, SolverLimits};
use flinch_guardrails::trace::Trace;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [model, n, rest @ ..] = args.as_slice() else {
        return Err("usage: tune_logic MODEL N [--form=facts|smtlib] [TASK …]".into());
    };
    let n: usize = n.parse()?;
    let mut forms = vec![LogicForm::Facts, LogicForm::SmtLib];
    let mut tasks = Vec::new();
    for arg in rest {
        match arg.strip_prefix("--form=") {
            Some("facts") => forms = vec![LogicForm::Facts],
            Some("smtlib") => forms = vec![LogicForm::SmtLib],
            Some(other) => return Err(format!("unknown form {other:?}: facts or smtlib").into()),
            None => tasks.push(arg.clone()),
        }
    }
    let default = [
        "web_of_lies".to_owned(),
        "logical_deduction_three_objects".to_owned(),
    ];
    let tasks = if tasks.is_empty() {
        &default[..]
    } else {
        &tasks[..]
    };
    let mut engine = Engine::load(std::path::Path::new(model), LoadOptions::default())?;
    let solver = SmtSolver::new(SolverLimits::default());
    for form in forms {
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
                match outcome {
                    LogicOutcome::Answer { text, .. } => {
                        answered += 1;
                        let said = text
                            .trim_start_matches("The answer is ")
                            .trim_end_matches('.');
                        right += usize::from(said.eq_ignore_ascii_case(target));
                        eprintln!("{task}: answered {said:?}, gold {target:?}");
                    }
                    other => {
                        eprintln!("{task}: {other:?}");
                        if std::env::var_os("TUNE_TRACE").is_some() {
                            eprintln!("{}", flinch_guardrails::trace::render(trace.steps()));
                        }
                    }
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
