//! The calculator route: the model translates the question into a step
//! program, the sandbox computes it exactly, and the values of several
//! sampled programs are voted on. The model never does the arithmetic.

use std::collections::HashMap;
use std::time::Instant;

use flinch_engine::{GenerateRequest, Generation, Message, Prompt, Role, Sampling};
use flinch_sandbox::{Sandbox, Value, ValueKind};
use serde::Serialize;

use crate::bank::{Retriever, numbers_in};
use crate::error::Result;
use crate::llm::{Llm, PromptStyle};
use crate::prompts::PromptId;
use crate::routes::program_grammar::{ProgramConstraint, allowed_numbers, program_fits};
use crate::trace::{Event, Trace};

/// Programs sampled per question (the first one greedy).
pub const DEFAULT_SAMPLES: usize = 5;
/// Worked examples retrieved into the prompt.
pub const DEFAULT_EXAMPLES: usize = 4;
/// Token budget of one program.
pub const DEFAULT_PROGRAM_TOKENS: usize = 200;
/// Temperature of the samples after the first.
pub const DEFAULT_TEMPERATURE: f32 = 0.7;

/// What to do when the vote is tied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TiePolicy {
    /// Give up on the route (the pipeline falls back).
    Fallback,
    /// Pick the tied value whose best program the model found most likely.
    MostLikely,
    /// Pick the tied value whose program uses the most of the numbers the
    /// question writes (then the most likely): a word problem's numbers are
    /// there to be used, and a 270M model's wrong programs often leave some out.
    Coverage,
}

/// How worked examples show their programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProgramStyle {
    /// Each step's sentence as a `#` comment above its assignment.
    Commented,
    /// Assignments only.
    Plain,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalculatorConfig {
    pub style: ProgramStyle,
    pub samples: usize,
    pub examples: usize,
    pub max_tokens: usize,
    pub temperature: f32,
    pub tie: TiePolicy,
    /// Decode programs under the program grammar (question numbers and
    /// defined names only; see [`super::program_grammar`]) when the model
    /// supports a token constraint.
    pub grammar: bool,
    /// Under the grammar, each number the question writes may be used once.
    pub single_use: bool,
}

impl Default for CalculatorConfig {
    fn default() -> Self {
        Self {
            style: ProgramStyle::Plain,
            samples: DEFAULT_SAMPLES,
            examples: DEFAULT_EXAMPLES,
            max_tokens: DEFAULT_PROGRAM_TOKENS,
            temperature: DEFAULT_TEMPERATURE,
            tie: TiePolicy::MostLikely,
            grammar: true,
            single_use: false,
        }
    }
}

/// The route's result.
#[derive(Debug, Clone, PartialEq)]
pub enum CalcOutcome {
    /// A value won the vote.
    Answer {
        /// The value as shown to the user (`280`, `2.5`, `1/3 (≈ 0.3333)`).
        value: String,
        /// The winning program (the most likely one computing that value).
        program: String,
        votes: usize,
        samples: usize,
    },
    /// No usable value; `reason` says why (for the trace and the fallback).
    GiveUp { reason: String },
}

/// One sampled program and what the sandbox made of it.
struct Candidate {
    program: String,
    value: Option<Value>,
    logprob: f64,
}

/// Run the calculator route on `question`.
pub fn answer(
    llm: &mut dyn Llm,
    sandbox: &Sandbox,
    bank: &Retriever,
    question: &str,
    config: &CalculatorConfig,
    seed: u64,
    trace: &mut Trace,
) -> Result<CalcOutcome> {
    let prompt = build_prompt(
        llm.prompt_style(),
        bank,
        question,
        config.examples,
        config.style,
    )?;
    let grammar = if config.grammar && config.style == ProgramStyle::Plain {
        llm.token_tables().map(|t| t.program.clone())
    } else {
        None
    };
    let numbers = allowed_numbers(question);
    let written = written_numbers(question);
    if grammar.is_some() {
        trace.note(Event::Note {
            text: format!("program grammar: numbers {}", numbers.join(" ")),
        });
    }
    let requests = (0..config.samples.max(1))
        .map(|i| {
            let mut r = GenerateRequest::greedy(prompt.clone(), config.max_tokens);
            // Ties between values go to the likelier program.
            r.logprob = true;
            if let Some(table) = &grammar {
                let mut c = ProgramConstraint::program(table.clone(), numbers.clone());
                if config.single_use {
                    c = c.with_single_use(written.clone());
                }
                r.constraint = Some(Box::new(c));
            }
            r.stop = vec!["\nQuestion:".to_owned(), "\n\n".to_owned()];
            r.seed = seed.wrapping_add(i as u64);
            if i > 0 {
                r.sampling = Sampling::Random {
                    temperature: config.temperature,
                    top_k: Some(40),
                    top_p: Some(0.95),
                };
            }
            r
        })
        .collect();
    let start = Instant::now();
    let generations = llm
        .generate_batch(requests)
        .into_iter()
        .collect::<Result<Vec<_>>>()?;
    let took = start.elapsed();
    let mut candidates = Vec::with_capacity(generations.len());
    for (i, generation) in generations.into_iter().enumerate() {
        trace.record(
            generate_event(&format!("program {}", i + 1), &generation),
            took / (i as u32 + 1).max(1),
        );
        candidates.push(run_program(sandbox, &generation, trace));
    }
    Ok(vote(&candidates, question, config.tie, trace))
}

/// Retrieved examples looked at per example shown.
const EXAMPLE_POOL: usize = 8;

/// A program without its `#` notes.
fn plain(program: &str) -> String {
    program
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The route's prompt: retrieved examples, most similar nearest the question.
fn build_prompt(
    style: PromptStyle,
    bank: &Retriever,
    question: &str,
    n: usize,
    program_style: ProgramStyle,
) -> Result<Prompt> {
    let shown = |program: &str| match program_style {
        ProgramStyle::Commented => program.to_owned(),
        ProgramStyle::Plain => plain(program),
    };
    // Examples whose programs use only their question's numbers and names
    // they define: what the program grammar lets the model write.
    let mut examples: Vec<_> = bank
        .nearest(question, n * EXAMPLE_POOL)
        .into_iter()
        .filter(|e| program_fits(&plain(&e.program), &e.question))
        .take(n)
        .collect();
    examples.reverse();
    let instruction = PromptId::CalculatorInstruction.render(&[])?;
    match style {
        PromptStyle::Completion => {
            let mut shots = String::new();
            for e in &examples {
                shots.push_str(
                    &PromptId::CalculatorExample
                        .render(&[("question", &e.question), ("program", &shown(&e.program))])?,
                );
                shots.push('\n');
            }
            Ok(Prompt::Text(PromptId::CalculatorCompletion.render(&[
                ("instruction", instruction.trim()),
                ("examples", &shots),
                ("question", question.trim()),
            ])?))
        }
        PromptStyle::Chat => {
            let mut messages = vec![Message::new(Role::System, instruction.trim())];
            for e in &examples {
                messages.push(Message::new(Role::User, e.question.clone()));
                messages.push(Message::new(Role::Assistant, shown(&e.program)));
            }
            messages.push(Message::new(Role::User, question.trim()));
            Ok(Prompt::Chat(messages))
        }
    }
}

pub(crate) fn generate_event(purpose: &str, g: &Generation) -> Event {
    Event::Generate {
        purpose: purpose.to_owned(),
        text: g.text.clone(),
        finish: match &g.finish {
            flinch_engine::FinishReason::Stop { sequence } => format!("stop {sequence:?}"),
            flinch_engine::FinishReason::Length => "length".to_owned(),
            flinch_engine::FinishReason::Eos => "eos".to_owned(),
            flinch_engine::FinishReason::Cancelled => "cancelled".to_owned(),
        },
        tokens: g.tokens.len(),
    }
}

/// The program in a generation: up to the first line that starts a new
/// question, without code fences and trailing blank lines.
pub fn extract_program(text: &str) -> String {
    let mut lines = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("Question:") || t.starts_with("Program:") && !lines.is_empty() {
            break;
        }
        if t.starts_with("```") || t == "Program:" {
            continue;
        }
        lines.push(line.trim_end());
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

fn run_program(sandbox: &Sandbox, generation: &Generation, trace: &mut Trace) -> Candidate {
    let program = extract_program(&generation.text);
    let start = Instant::now();
    let result = sandbox.eval(&program);
    let (outcome, ok) = match &result {
        Ok(v) => (display_value(v), true),
        Err(e) => (format!("{}: {e}", e.kind()), false),
    };
    trace.record(
        Event::Program {
            program: program.clone(),
            outcome,
            ok,
        },
        start.elapsed(),
    );
    Candidate {
        program,
        value: result.ok(),
        // Asked for; a model that gives none ranks last.
        logprob: generation.logprob.unwrap_or(f64::NEG_INFINITY),
    }
}

/// How a value is shown: integers and terminating decimals as they are,
/// other fractions with a rounded decimal.
pub fn display_value(v: &Value) -> String {
    match v.kind {
        ValueKind::Integer | ValueKind::Decimal => v.decimal.clone(),
        _ => format!("{} (≈ {})", v.exact, round_decimal(&v.decimal, 4)),
    }
}

fn round_decimal(decimal: &str, places: usize) -> String {
    match decimal.parse::<f64>() {
        // Too large or too small for `places` decimals to say anything.
        Ok(x) if x != 0.0 && !(1e-4..1e15).contains(&x.abs()) => format!("{x:.places$e}"),
        Ok(x) => {
            let s = format!("{x:.places$}");
            let s = s.trim_end_matches('0').trim_end_matches('.');
            s.to_owned()
        }
        Err(_) => decimal.to_owned(),
    }
}

/// Whether the question asks for a count of things (then a fractional or
/// negative value is implausible).
fn asks_for_count(question: &str) -> bool {
    let q = question.to_lowercase();
    q.contains("how many")
}

/// The numbers the question writes in digits (`1,200` as `1200`).
fn written_numbers(question: &str) -> Vec<String> {
    let mut out = numbers_in(question);
    out.sort();
    out.dedup();
    out
}

/// How many of `written` the program uses as literals (`step_2` is a name).
fn coverage(program: &str, written: &[String]) -> usize {
    let literals: Vec<&str> = program
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .filter(|t| t.starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    written
        .iter()
        .filter(|w| literals.contains(&w.as_str()))
        .count()
}

/// One value's entry in the vote: its votes, the best program's (coverage,
/// likelihood), that program and the value.
type Tally<'a> = (usize, (usize, f64), &'a Candidate, &'a Value);

fn vote(
    candidates: &[Candidate],
    question: &str,
    tie: TiePolicy,
    trace: &mut Trace,
) -> CalcOutcome {
    let counting = asks_for_count(question);
    let plausible = |v: &Value| !counting || (v.is_integer() && !v.exact.starts_with('-'));
    let valued: Vec<(&Candidate, &Value)> = candidates
        .iter()
        .filter_map(|c| c.value.as_ref().map(|v| (c, v)))
        .collect();
    if valued.is_empty() {
        trace.note(Event::Vote {
            tally: Vec::new(),
            winner: None,
        });
        return CalcOutcome::GiveUp {
            reason: format!("none of the {} programs ran", candidates.len()),
        };
    }
    // Vote among plausible values when there are any.
    let pool: Vec<(&Candidate, &Value)> = if valued.iter().any(|(_, v)| plausible(v)) {
        valued
            .iter()
            .copied()
            .filter(|(_, v)| plausible(v))
            .collect()
    } else {
        valued.clone()
    };
    let written = written_numbers(question);
    // Per value: votes, then the best program's (coverage, likelihood).
    let mut tally: HashMap<&str, Tally<'_>> = HashMap::new();
    for (c, v) in &pool {
        let cover = if tie == TiePolicy::Coverage {
            coverage(&c.program, &written)
        } else {
            0
        };
        let key = (cover, c.logprob);
        let entry = tally
            .entry(v.exact.as_str())
            .or_insert((0, (0, f64::NEG_INFINITY), c, v));
        entry.0 += 1;
        if key.0 > entry.1.0 || (key.0 == entry.1.0 && key.1 > entry.1.1) {
            entry.1 = key;
            entry.2 = c;
        }
    }
    let mut ranked: Vec<_> = tally.into_values().collect();
    ranked.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(b.1.0.cmp(&a.1.0))
            .then(b.1.1.total_cmp(&a.1.1))
    });
    let summary: Vec<(String, usize)> = ranked
        .iter()
        .map(|(n, _, _, v)| (display_value(v), *n))
        .collect();
    let tied = ranked.len() > 1 && ranked[0].0 == ranked[1].0;
    if tied && tie == TiePolicy::Fallback {
        trace.note(Event::Vote {
            tally: summary,
            winner: None,
        });
        return CalcOutcome::GiveUp {
            reason: format!(
                "the vote is tied between {} values",
                ranked.iter().filter(|r| r.0 == ranked[0].0).count()
            ),
        };
    }
    let (votes, _, best, value) = ranked[0];
    let shown = display_value(value);
    trace.note(Event::Vote {
        tally: summary,
        winner: Some(shown.clone()),
    });
    CalcOutcome::Answer {
        value: shown,
        program: best.program.clone(),
        votes,
        samples: candidates.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounded_decimals_keep_their_magnitude() {
        assert_eq!(round_decimal("0.33333333333333333333", 4), "0.3333");
        assert_eq!(round_decimal("2.5", 4), "2.5");
        assert_eq!(round_decimal("1.4142135623730950488e+40", 4), "1.4142e40");
        assert_eq!(round_decimal("0.0000012345", 4), "1.2345e-6");
        assert_eq!(round_decimal("-0.00000123", 4), "-1.2300e-6");
    }

    #[test]
    fn program_is_cut_at_the_next_question() {
        let text = "```\nbooks = 5*20\nbooks\n```\n\nQuestion: next one\nProgram:\nx = 1";
        assert_eq!(extract_program(text), "books = 5*20\nbooks");
        assert_eq!(extract_program("  \n"), "");
    }
}
