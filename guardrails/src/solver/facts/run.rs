//! Answering the questions of a compiled facts program with the solver.

use crate::solver::error::{FactsError, Result};
use crate::solver::outcome::{
    Ambiguity, Asked, Entailment, GaveUp, Model, Timings, Uniqueness, UnknownReason, Value, Values,
};
use crate::solver::smt::{Claim, SmtSolver};

use super::compile::{Compiled, QuestionKind, compile_program};
use super::parse::parse_program;

/// Default largest facts program, in lines.
pub const DEFAULT_MAX_LINES: usize = 200;
/// Default largest facts program, in bytes.
pub const DEFAULT_MAX_BYTES: usize = 16 * 1024;

/// Size limits of a facts program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FactsLimits {
    pub max_lines: usize,
    pub max_bytes: usize,
}

impl Default for FactsLimits {
    fn default() -> Self {
        Self {
            max_lines: DEFAULT_MAX_LINES,
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

/// The answer to a value question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick<T> {
    /// Exactly one value is possible.
    Unique(T),
    /// More than one value is possible (the second is absent when the
    /// question's term is left free entirely).
    Ambiguous { first: T, second: Option<T> },
    /// The facts contradict each other.
    NoSolution,
    /// Z3 could not decide.
    GaveUp(GaveUp),
}

/// The answer to one question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// `ask <statement>` and `option` lines.
    Truth(Entailment),
    /// `ask sisters X`, `ask position X` …
    Number(Pick<i64>),
    /// `ask at K`: the item's name.
    Item(Pick<String>),
}

/// A question of the program with its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionAnswer {
    pub line: usize,
    pub label: Option<String>,
    pub answer: Answer,
}

/// Everything a facts run produced: the SMT-LIB2 it compiled to (for the
/// trace), one answer per question, and the time spent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactsOutcome {
    pub compiled: Compiled,
    pub answers: Vec<QuestionAnswer>,
    /// Sum over the solver calls.
    pub timings: Timings,
}

impl FactsOutcome {
    /// The label of the only option the facts entail, if exactly one does.
    pub fn chosen_option(&self) -> Option<&str> {
        let mut entailed = self
            .answers
            .iter()
            .filter(|a| a.label.is_some() && a.answer == Answer::Truth(Entailment::True));
        match (entailed.next(), entailed.next()) {
            (Some(one), None) => one.label.as_deref(),
            _ => None,
        }
    }
}

/// Parses and compiles a facts program (no solver).
pub fn compile(text: &str, limits: &FactsLimits) -> std::result::Result<Compiled, FactsError> {
    let lines = text.lines().count();
    if lines > limits.max_lines || text.len() > limits.max_bytes {
        return Err(FactsError::TooLarge {
            lines,
            bytes: text.len(),
            max_lines: limits.max_lines,
            max_bytes: limits.max_bytes,
        });
    }
    compile_program(&parse_program(text)?)
}

/// Parses, compiles and answers every question of a facts program.
pub fn solve_facts(solver: &SmtSolver, text: &str, limits: &FactsLimits) -> Result<FactsOutcome> {
    let compiled = compile(text, limits)?;
    let mut answers = Vec::new();
    let mut timings = Timings::default();
    for q in &compiled.questions {
        let answer = match &q.kind {
            QuestionKind::Holds { claim } => {
                let r = solver.entails(&compiled.premises, Claim::Term(claim))?;
                add(&mut timings, &r.timings);
                Answer::Truth(r.result)
            }
            QuestionKind::Number { term } => {
                let r = solve_value(solver, &compiled.premises, term)?;
                add(&mut timings, &r.1);
                Answer::Number(r.0)
            }
            QuestionKind::Item { term, items } => {
                let (pick, t) = solve_value(solver, &compiled.premises, term)?;
                add(&mut timings, &t);
                let name = |i: i64| {
                    usize::try_from(i - 1)
                        .ok()
                        .and_then(|i| items.get(i))
                        .cloned()
                        .unwrap_or_else(|| "none".to_string())
                };
                Answer::Item(match pick {
                    Pick::Unique(i) => Pick::Unique(name(i)),
                    Pick::Ambiguous { first, second } => Pick::Ambiguous {
                        first: name(first),
                        second: second.map(name),
                    },
                    Pick::NoSolution => Pick::NoSolution,
                    Pick::GaveUp(g) => Pick::GaveUp(g),
                })
            }
        };
        answers.push(QuestionAnswer {
            line: q.line,
            label: q.label.clone(),
            answer,
        });
    }
    Ok(FactsOutcome {
        compiled,
        answers,
        timings,
    })
}

/// Name of the constant a value question is read from.
const ANSWER: &str = "answer";

fn solve_value(solver: &SmtSolver, premises: &str, term: &str) -> Result<(Pick<i64>, Timings)> {
    let script = format!("{premises}(declare-const {ANSWER} Int)\n(assert (= {ANSWER} {term}))\n");
    let r = solver.find_values(
        &script,
        &Asked::Names(vec![ANSWER.to_string()]),
        Uniqueness::Check,
    )?;
    let int = |m: &Model| match m.get(ANSWER) {
        Some(Value::Int(n)) => Ok(*n),
        other => Err(GaveUp::Unknown(UnknownReason::Incomplete(format!(
            "the answer is not a small integer: {}",
            other.map_or_else(|| "any".to_string(), ToString::to_string)
        )))),
    };
    let pick = match &r.result {
        Values::Unique(m) | Values::Found(m) => int(m).map_or_else(Pick::GaveUp, Pick::Unique),
        Values::Ambiguous { first, other } => {
            let second = match other {
                Ambiguity::OtherModel(m) => int(m).ok(),
                Ambiguity::Unconstrained(_) => None,
            };
            match int(first) {
                Ok(first) => Pick::Ambiguous { first, second },
                Err(g) => Pick::GaveUp(g),
            }
        }
        Values::NoSolution => Pick::NoSolution,
        Values::GaveUp(g) => Pick::GaveUp(g.clone()),
        Values::UniquenessGaveUp { reason, .. } => Pick::GaveUp(reason.clone()),
    };
    Ok((pick, r.timings))
}

fn add(total: &mut Timings, t: &Timings) {
    total.check += t.check;
    total.parse += t.parse;
    total.solve += t.solve;
    total.total += t.total;
}
