//! `flinch ask`: answer one question through the guardrails pipeline.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use flinch_guardrails::trace;
use flinch_guardrails::{Answer, AnswerOptions, Conversation, Evidence, ProgramSource};

use super::setup::{self, EngineOpts, RouteArg};

#[derive(Debug, Args)]
pub struct AskArgs {
    /// The question.
    pub question: String,
    #[command(flatten)]
    pub engine: EngineOpts,
    /// Route to take [default: auto, the router decides].
    #[arg(long, value_enum, default_value_t = RouteArg::Auto)]
    pub route: RouteArg,
    /// Skip every guardrail: plain generation, for comparison.
    #[arg(long, conflicts_with = "route")]
    pub raw: bool,
    /// Print every stage (route and why, programs, values, votes, verdicts,
    /// retries, timings) before the answer.
    #[arg(long)]
    pub trace: bool,
    /// Print the whole Answer (text, route, evidence, trace) as JSON.
    #[arg(long)]
    pub json: bool,
    /// System prompt (e.g. a persona); persona breaks are caught and regenerated.
    #[arg(long, value_name = "TEXT", conflicts_with = "persona")]
    pub system: Option<String>,
    /// Read the system prompt from a file.
    #[arg(long, value_name = "FILE")]
    pub persona: Option<PathBuf>,
    /// Seed of sampled generations.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// The system prompt from `--system` or `--persona FILE`.
pub fn system_prompt(
    system: &Option<String>,
    persona: &Option<PathBuf>,
) -> anyhow::Result<Option<String>> {
    match (system, persona) {
        (Some(s), _) => Ok(Some(s.clone())),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the persona file {}", path.display()))?;
            anyhow::ensure!(
                !text.trim().is_empty(),
                "the persona file {} is empty",
                path.display()
            );
            Ok(Some(text.trim().to_owned()))
        }
        (None, None) => Ok(None),
    }
}

pub fn run(args: AskArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        !args.question.trim().is_empty(),
        "the question is empty: give the question as the argument, e.g. flinch ask \"What is 17 * 23?\""
    );
    let mut conversation = Conversation::default();
    conversation.set_system(system_prompt(&args.system, &args.persona)?);
    conversation.push_user(args.question.clone());
    let engine = args.engine.load()?;
    let mut pipeline = setup::pipeline(engine)?;
    let options = AnswerOptions {
        route: args.route.choice(args.raw),
        seed: args.seed,
        ..AnswerOptions::default()
    };
    let answer = pipeline.answer(&conversation, &options, &mut |_| {})?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&answer)?);
    } else {
        print_answer(&answer, args.trace);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn print_answer(answer: &Answer, with_trace: bool) {
    if with_trace {
        println!("── trace ──");
        print!("{}", trace::render(&answer.trace));
        println!("── answer ──");
    }
    println!("{}", answer.text);
    match &answer.evidence {
        Evidence::None => {}
        Evidence::Program {
            program,
            value,
            source,
            votes,
            samples,
        } => {
            let by = match source {
                ProgramSource::Question => "the question as written".to_owned(),
                ProgramSource::Reader => "read from the question without the model".to_owned(),
                ProgramSource::Sorted => {
                    "read from the question; the model only said which things count".to_owned()
                }
                ProgramSource::Model => format!("{votes} of {samples} sampled programs agree"),
            };
            println!("\nevidence: this program computes {value} in the sandbox ({by}):");
            for line in program.lines() {
                println!("    {line}");
            }
        }
        Evidence::Solver { facts, script } => {
            if !facts.is_empty() {
                println!("\nevidence: Z3 solved these facts:");
                for line in facts.lines() {
                    println!("    {line}");
                }
            } else {
                println!("\nevidence: Z3 evaluated {script}");
            }
        }
        Evidence::Verdicts {
            verdicts,
            draft,
            drafts,
        } => {
            println!("\nevidence: draft {draft} of {drafts}, checked against every requirement:");
            for v in verdicts {
                println!(
                    "    [{}] {}: {}",
                    if v.pass { "pass" } else { "FAIL" },
                    v.requirement,
                    v.verdict
                );
            }
        }
        Evidence::Arithmetic {
            equations,
            corrected_answer,
        } => {
            if !equations.is_empty() {
                println!("\nevidence: the calculations above, recomputed in the sandbox:");
                for e in equations {
                    let verdict = match &e.computed {
                        Some(c) if e.is_wrong() => format!("wrong, it is {c}"),
                        Some(_) => "right".to_owned(),
                        None => "not computable".to_owned(),
                    };
                    println!("    {} → {verdict}", e.written);
                }
            }
            if let Some(c) = corrected_answer {
                println!("    the stated answer was corrected to {c}");
            }
        }
    }
}
