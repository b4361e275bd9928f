//! The logic route: the model rewrites the puzzle as facts (one per line, a
//! tiny language it can copy words into), flinch compiles them to SMT-LIB
//! and Z3 answers. A rejected line is fed back to the model with the exact
//! error, up to [`DEFAULT_RETRIES`] times. A question that is already a
//! Boolean expression goes to Z3 without the model, and so do family-counting
//! puzzles and truth-teller chains in their usual phrasing ([`super::family`],
//! [`super::truth`]).

use std::sync::LazyLock;
use std::time::Instant;

use flinch_engine::{GenerateRequest, Message, Prompt, Role};
use regex::Regex;

use crate::error::Result;
use crate::llm::{Llm, PromptStyle};
use crate::prompts::PromptId;
use crate::routes::calculator::generate_event;
use crate::routes::facts_grammar::{FactsConstraint, allowed_words};
use crate::routes::family::family_facts;
use crate::routes::smtlib_grammar::{SmtLibConstraint, allowed_names, whole_commands};
use crate::routes::truth::truth_facts;
use crate::solver::facts::{Answer, FactsLimits, FactsOutcome, Pick, solve_facts};
use crate::solver::{Asked, Claim, Entailment, SmtSolver, SolverError, Uniqueness, Value, Values};
use crate::trace::{Event, Trace};

/// Times a rejected facts program is sent back with its error.
pub const DEFAULT_RETRIES: usize = 2;
/// Token budget of a facts program.
pub const DEFAULT_FACTS_TOKENS: usize = 200;

/// The route's result.
#[derive(Debug, Clone, PartialEq)]
pub enum LogicOutcome {
    Answer {
        text: String,
        /// What the solver ran: the facts and the SMT-LIB they compiled to.
        facts: String,
        script: String,
    },
    GiveUp {
        reason: String,
    },
}

static BOOLEAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*((?:not|and|or|true|false|\(|\)|\s)+?)\s*(?:is)?\s*\??\s*$")
        .expect("pattern is valid")
});

/// A Boolean expression over `True`/`False` as an SMT-LIB term (`not` binds
/// tightest, then `and`, then `or`, as in Python).
pub fn boolean_term(question: &str) -> Option<String> {
    let body = BOOLEAN.captures(question)?.get(1)?.as_str();
    let spaced = body.replace('(', " ( ").replace(')', " ) ");
    let tokens: Vec<String> = spaced.split_whitespace().map(str::to_lowercase).collect();
    if !tokens.iter().any(|t| t == "true" || t == "false") {
        return None;
    }
    let mut pos = 0;
    let term = parse_or(&tokens, &mut pos)?;
    (pos == tokens.len()).then_some(term)
}

fn parse_or(t: &[String], pos: &mut usize) -> Option<String> {
    let mut left = parse_and(t, pos)?;
    while t.get(*pos).is_some_and(|x| x == "or") {
        *pos += 1;
        left = format!("(or {left} {})", parse_and(t, pos)?);
    }
    Some(left)
}

fn parse_and(t: &[String], pos: &mut usize) -> Option<String> {
    let mut left = parse_not(t, pos)?;
    while t.get(*pos).is_some_and(|x| x == "and") {
        *pos += 1;
        left = format!("(and {left} {})", parse_not(t, pos)?);
    }
    Some(left)
}

fn parse_not(t: &[String], pos: &mut usize) -> Option<String> {
    match t.get(*pos).map(String::as_str) {
        Some("not") => {
            *pos += 1;
            Some(format!("(not {})", parse_not(t, pos)?))
        }
        Some("(") => {
            *pos += 1;
            let inner = parse_or(t, pos)?;
            (t.get(*pos).map(String::as_str) == Some(")")).then(|| {
                *pos += 1;
                inner
            })
        }
        Some(v @ ("true" | "false")) => {
            *pos += 1;
            Some(v.to_owned())
        }
        _ => None,
    }
}

/// Reads a puzzle's facts without the model, when it is in a known phrasing.
type FactsReader = fn(&str) -> Option<String>;

pub fn answer(
    llm: &mut dyn Llm,
    solver: &SmtSolver,
    question: &str,
    retries: usize,
    seed: u64,
    trace: &mut Trace,
) -> Result<LogicOutcome> {
    if let Some(term) = boolean_term(question) {
        let start = Instant::now();
        // Z3 needs a script to hold the claim against; `true` adds nothing.
        let result = solver.entails("(assert true)", Claim::Term(&term));
        let (outcome, text) = match &result {
            Ok(r) => match r.result {
                Entailment::True => ("true".to_owned(), Some("True")),
                Entailment::False => ("false".to_owned(), Some("False")),
                ref other => (format!("{other:?}"), None),
            },
            Err(e) => (e.to_string(), None),
        };
        trace.record(
            Event::Solve {
                script: term.clone(),
                outcome,
                ok: text.is_some(),
            },
            start.elapsed(),
        );
        if let Some(text) = text {
            return Ok(LogicOutcome::Answer {
                text: format!("The answer is {text}."),
                facts: String::new(),
                script: term,
            });
        }
    }

    // Readers are tried in turn, each only if the one before did not answer.
    let readers: [(FactsReader, &str); 2] = [
        (
            family_facts,
            "a family-counting puzzle in a known phrasing: facts read without the model",
        ),
        (
            truth_facts,
            "a truth-teller chain in a known phrasing: facts read without the model",
        ),
    ];
    for (read, note) in readers {
        let Some(facts) = read(question) else {
            continue;
        };
        trace.note(Event::Note {
            text: note.to_owned(),
        });
        let start = Instant::now();
        let solved = solve_facts(solver, &facts, &FactsLimits::default());
        let phrased = solved
            .as_ref()
            .map(|o| phrase(o, question))
            .map_err(|e| e.to_string());
        trace.record(
            Event::Solve {
                script: facts.clone(),
                outcome: match &solved {
                    Ok(o) => describe(o),
                    Err(e) => e.to_string(),
                },
                ok: matches!(phrased, Ok(Ok(_))),
            },
            start.elapsed(),
        );
        if let (Ok(outcome), Ok(Ok(text))) = (solved, phrased) {
            return Ok(LogicOutcome::Answer {
                text,
                facts,
                script: outcome.compiled.premises,
            });
        }
    }

    translate(
        llm,
        solver,
        question,
        LogicForm::Facts,
        retries,
        seed,
        trace,
    )
}

/// What the model writes for the solver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogicForm {
    /// One fact per line in the facts language, under its grammar (the
    /// route's form).
    Facts,
    /// An SMT-LIB2 script (`prompts/logic-smtlib.txt`): `answer`, `claim` or
    /// `option_a` … constants carry the answer. Written under the SMT-LIB
    /// grammar ([`crate::routes::smtlib_grammar`]) when the model's
    /// vocabulary is known; kept to measure the two forms against each
    /// other.
    SmtLib,
}

/// The model's part of the route alone: translate the puzzle into `form`,
/// solve, feed errors back up to `retries` times.
pub fn translate(
    llm: &mut dyn Llm,
    solver: &SmtSolver,
    question: &str,
    form: LogicForm,
    retries: usize,
    seed: u64,
    trace: &mut Trace,
) -> Result<LogicOutcome> {
    if form == LogicForm::SmtLib {
        return translate_smtlib(llm, solver, question, retries, seed, trace);
    }
    let style = llm.prompt_style();
    let mut previous: Option<(String, String)> = None;
    for attempt in 0..=retries {
        let mut r = attempt_request(
            style,
            (PromptId::LogicFacts, PromptId::LogicFactsRepair),
            question,
            previous.as_ref(),
            DEFAULT_FACTS_TOKENS,
            seed.wrapping_add(attempt as u64),
        )?;
        r.stop = vec!["END".to_owned(), "\nPuzzle:".to_owned(), "\n\n".to_owned()];
        if let Some(tables) = llm.token_tables() {
            r.constraint = Some(Box::new(FactsConstraint::facts(
                tables.facts.clone(),
                allowed_words(question),
            )));
        }
        let start = Instant::now();
        let g = llm.generate(r, &mut |_| {})?;
        trace.record(
            generate_event(
                if attempt == 0 {
                    "facts"
                } else {
                    "facts (retry)"
                },
                &g,
            ),
            start.elapsed(),
        );
        let facts = g.text.trim().to_owned();
        let start = Instant::now();
        match solve_facts(solver, &facts, &FactsLimits::default()) {
            Ok(outcome) => {
                let phrased = phrase(&outcome, question);
                trace.record(
                    Event::Solve {
                        script: outcome.compiled.premises.clone(),
                        outcome: describe(&outcome),
                        ok: phrased.is_ok(),
                    },
                    start.elapsed(),
                );
                return Ok(match phrased {
                    Ok(text) => LogicOutcome::Answer {
                        text,
                        facts,
                        script: outcome.compiled.premises,
                    },
                    Err(reason) => LogicOutcome::GiveUp { reason },
                });
            }
            Err(SolverError::Facts(e)) => {
                trace.record(
                    Event::Solve {
                        script: facts.clone(),
                        outcome: format!("rejected: {e}"),
                        ok: false,
                    },
                    start.elapsed(),
                );
                previous = Some((facts, e.to_string()));
            }
            Err(e) => {
                trace.record(
                    Event::Solve {
                        script: facts,
                        outcome: e.to_string(),
                        ok: false,
                    },
                    start.elapsed(),
                );
                return Ok(LogicOutcome::GiveUp {
                    reason: format!("the solver failed: {e}"),
                });
            }
        }
    }
    Ok(LogicOutcome::GiveUp {
        reason: format!(
            "the facts were rejected {} times; last error: {}",
            retries + 1,
            previous.map(|p| p.1).unwrap_or_default()
        ),
    })
}

/// The greedy request of one translation attempt: the first prompt of
/// `prompts`, or its repair prompt with the previous attempt and its error.
fn attempt_request(
    style: PromptStyle,
    (first, repair): (PromptId, PromptId),
    question: &str,
    previous: Option<&(String, String)>,
    max_tokens: usize,
    seed: u64,
) -> Result<GenerateRequest> {
    let text = match previous {
        None => first.render(&[("question", question.trim())])?,
        Some((written, error)) => repair.render(&[
            ("question", question.trim()),
            ("previous", written),
            ("error", error),
        ])?,
    };
    let prompt = match style {
        PromptStyle::Completion => Prompt::Text(text),
        PromptStyle::Chat => {
            Prompt::Chat(vec![Message::new(Role::User, text.trim_end().to_owned())])
        }
    };
    let mut r = GenerateRequest::greedy(prompt, max_tokens);
    r.seed = seed;
    Ok(r)
}

/// Token budget of an SMT-LIB script (they are longer than facts).
const SMTLIB_TOKENS: usize = 400;

fn translate_smtlib(
    llm: &mut dyn Llm,
    solver: &SmtSolver,
    question: &str,
    retries: usize,
    seed: u64,
    trace: &mut Trace,
) -> Result<LogicOutcome> {
    let style = llm.prompt_style();
    let mut previous: Option<(String, String)> = None;
    for attempt in 0..=retries {
        let mut r = attempt_request(
            style,
            (PromptId::LogicSmtlib, PromptId::LogicSmtlibRepair),
            question,
            previous.as_ref(),
            SMTLIB_TOKENS,
            seed.wrapping_add(attempt as u64),
        )?;
        let tables = llm.token_tables();
        // Under the grammar `END` ends the script only where the grammar
        // allows it (a comment or a puzzle's word may hold the letters).
        r.stop = vec!["\nPuzzle:".to_owned()];
        if tables.is_none() {
            r.stop.push("END".to_owned());
        }
        if let Some(tables) = &tables {
            r.constraint = Some(Box::new(SmtLibConstraint::smtlib(
                tables.smtlib.clone(),
                allowed_names(question),
            )));
        }
        let start = Instant::now();
        let g = llm.generate(r, &mut |_| {})?;
        let purpose = if attempt == 0 {
            "smtlib"
        } else {
            "smtlib (retry)"
        };
        trace.record(generate_event(purpose, &g), start.elapsed());
        let script = if tables.is_some() {
            // under the grammar only a last command cut off by the budget
            // can be incomplete: drop it
            whole_commands(&g.text).trim().to_owned()
        } else {
            g.text.trim().to_owned()
        };
        let start = Instant::now();
        let read = read_script(solver, &script, question);
        trace.record(
            Event::Solve {
                script: script.clone(),
                outcome: match &read {
                    Ok(Ok(text)) => text.clone(),
                    Ok(Err(reason)) => reason.clone(),
                    Err(error) => format!("rejected: {error}"),
                },
                ok: matches!(read, Ok(Ok(_))),
            },
            start.elapsed(),
        );
        match read {
            Ok(Ok(text)) => {
                return Ok(LogicOutcome::Answer {
                    text,
                    facts: String::new(),
                    script,
                });
            }
            Ok(Err(reason)) => return Ok(LogicOutcome::GiveUp { reason }),
            Err(error) => previous = Some((script, error)),
        }
    }
    Ok(LogicOutcome::GiveUp {
        reason: format!(
            "the script was rejected {} times; last error: {}",
            retries + 1,
            previous.map(|p| p.1).unwrap_or_default()
        ),
    })
}

/// The answer a model-written script gives through its `option_*`, `claim`
/// or `answer` constants: `Err` for an error worth sending back to the model
/// (parse error, refused command, no answer constant), `Ok(Err)` for a
/// solver verdict without a single answer.
fn read_script(
    solver: &SmtSolver,
    script: &str,
    question: &str,
) -> std::result::Result<std::result::Result<String, String>, String> {
    let checked = solver.check(script).map_err(|e| e.to_string())?;
    let names: Vec<&str> = checked.constants.iter().map(|c| c.name.as_str()).collect();
    let options: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| n.starts_with("option_"))
        .collect();
    if !options.is_empty() {
        let mut follow = Vec::new();
        for option in options {
            let e = solver
                .entails(script, Claim::Constant(option))
                .map_err(|e| e.to_string())?;
            if e.result == Entailment::True {
                follow.push(option["option_".len()..].to_uppercase());
            }
        }
        return Ok(match follow.as_slice() {
            [one] => Ok(format!("The answer is ({one}).")),
            [] => Err("no option follows from the script".to_owned()),
            _ => Err(format!("several options follow: {}", follow.join(", "))),
        });
    }
    if names.contains(&"claim") {
        let e = solver
            .entails(script, Claim::Constant("claim"))
            .map_err(|e| e.to_string())?;
        let yes_no = starts_with_aux(question);
        return Ok(match e.result {
            Entailment::True => Ok(verdict(if yes_no { "Yes" } else { "True" })),
            Entailment::False => Ok(verdict(if yes_no { "No" } else { "False" })),
            Entailment::Unknown => {
                Ok("Unknown: the script neither implies it nor rules it out.".to_owned())
            }
            other => Err(format!("the solver could not decide: {other:?}")),
        });
    }
    if names.contains(&"answer") {
        let found = solver
            .find_values(
                script,
                &Asked::Names(vec!["answer".to_owned()]),
                Uniqueness::Check,
            )
            .map_err(|e| e.to_string())?;
        return Ok(match found.result {
            Values::Unique(model) => match model.get("answer") {
                Some(Value::Int(n)) => Ok(format!("The answer is {n}.")),
                Some(Value::Bool(b)) => Ok(format!("The answer is {b}.")),
                Some(Value::Text(t)) => Ok(format!("The answer is {t}.")),
                None => Err("the model leaves answer free".to_owned()),
            },
            Values::Ambiguous { .. } => Err("ambiguous: more than one answer fits".to_owned()),
            Values::NoSolution => Err("the script contradicts itself".to_owned()),
            other => Err(format!("the solver could not decide: {other:?}")),
        });
    }
    Err("declare the answer as a constant named answer, claim or option_a, option_b, …".to_owned())
}

fn describe(outcome: &FactsOutcome) -> String {
    outcome
        .answers
        .iter()
        .map(|a| match &a.label {
            Some(l) => format!("option {l}: {:?}", a.answer),
            None => format!("line {}: {:?}", a.line, a.answer),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A decided yes/no or true/false answer, stated as every answer of the
/// route is ("The answer is …."), so a reader finds it in one place.
fn verdict(word: &str) -> String {
    format!("The answer is {word}.")
}

/// The answer in words, or why there is none worth giving.
fn phrase(outcome: &FactsOutcome, question: &str) -> std::result::Result<String, String> {
    if outcome.answers.iter().any(|a| a.label.is_some()) {
        return outcome
            .chosen_option()
            .map(|l| format!("The answer is ({l})."))
            .ok_or_else(|| "the facts do not single out one option".to_owned());
    }
    let first = outcome.answers.first().ok_or("the facts ask no question")?;
    if asks_for_number(question) && matches!(first.answer, Answer::Truth(_)) {
        return Err("the question asks for a number; the facts asked a yes/no question".to_owned());
    }
    let yes_no = starts_with_aux(question);
    match &first.answer {
        Answer::Truth(Entailment::True) => Ok(verdict(if yes_no { "Yes" } else { "True" })),
        Answer::Truth(Entailment::False) => Ok(verdict(if yes_no { "No" } else { "False" })),
        Answer::Truth(Entailment::Unknown) => {
            Ok("Unknown: the facts neither imply it nor rule it out.".to_owned())
        }
        Answer::Truth(other) => Err(format!("the solver could not decide: {other:?}")),
        Answer::Number(Pick::Unique(n)) => Ok(format!("The answer is {n}.")),
        Answer::Item(Pick::Unique(name)) => {
            Ok(format!("The answer is {}.", restore_case(name, question)))
        }
        Answer::Number(pick) => Err(pick_problem(pick)),
        Answer::Item(pick) => Err(pick_problem(pick)),
    }
}

fn pick_problem<T: std::fmt::Debug>(pick: &Pick<T>) -> String {
    match pick {
        Pick::Ambiguous { first, second } => {
            format!("ambiguous: {first:?} and {second:?} both fit the facts")
        }
        Pick::NoSolution => "the facts contradict each other".to_owned(),
        Pick::GaveUp(g) => format!("the solver gave up: {g:?}"),
        Pick::Unique(_) => "unique".to_owned(),
    }
}

fn asks_for_number(question: &str) -> bool {
    let q = question.to_lowercase();
    q.contains("how many") || q.contains("how much")
}

fn starts_with_aux(question: &str) -> bool {
    let last_sentence = question
        .trim()
        .rsplit(['.', '!', '\n'])
        .find(|s| !s.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_lowercase();
    let last_sentence = last_sentence
        .strip_prefix("question:")
        .unwrap_or(&last_sentence)
        .trim()
        .to_owned();
    [
        "does ", "do ", "is ", "are ", "can ", "was ", "were ", "did ", "will ", "has ", "have ",
    ]
    .iter()
    .any(|a| last_sentence.starts_with(a))
}

/// The name as the question wrote it (`blue_jay` → `Blue jay` is not
/// attempted; only a case-insensitive match of the whole word).
fn restore_case(name: &str, question: &str) -> String {
    let plain = name.replace('_', " ");
    let lower = question.to_lowercase();
    match lower.find(&plain) {
        Some(i) if question.is_char_boundary(i) && question.is_char_boundary(i + plain.len()) => {
            question[i..i + plain.len()].to_owned()
        }
        _ => plain,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boolean_expressions_follow_python_precedence() {
        assert_eq!(
            boolean_term("not ( True ) and ( True ) is").as_deref(),
            Some("(and (not true) true)")
        );
        assert_eq!(
            boolean_term("True or False and False is").as_deref(),
            Some("(or true (and false false))")
        );
        assert_eq!(
            boolean_term("not not True is").as_deref(),
            Some("(not (not true))")
        );
        assert_eq!(boolean_term("True and is"), None);
        assert_eq!(boolean_term("Is Tom a cat?"), None);
    }

    fn smtlib(replies: &[&str], question: &str) -> (LogicOutcome, Trace) {
        let mut llm = crate::llm::ScriptedLlm::new(replies.iter().copied());
        let solver = SmtSolver::new(crate::solver::SolverLimits::default());
        let mut trace = Trace::default();
        let outcome = translate(
            &mut llm,
            &solver,
            question,
            LogicForm::SmtLib,
            2,
            0,
            &mut trace,
        )
        .unwrap();
        (outcome, trace)
    }

    fn text(outcome: &LogicOutcome) -> &str {
        match outcome {
            LogicOutcome::Answer { text, .. } => text,
            LogicOutcome::GiveUp { reason } => reason,
        }
    }

    #[test]
    fn smtlib_scripts_answer_through_options_claims_and_answers() {
        let options = "(declare-const a Int)\n(declare-const b Int)\n(assert (distinct a b))\n(assert (and (<= 1 a 2) (<= 1 b 2)))\n(assert (< a b))\n(declare-const option_a Bool)\n(declare-const option_b Bool)\n(assert (= option_a (= a 2)))\n(assert (= option_b (= b 2)))\n(check-sat)";
        let (o, _) = smtlib(&[options], "Options: (A) a is second (B) b is second");
        assert_eq!(text(&o), "The answer is (B).");
        let claim = "(declare-const bob Bool)\n(declare-const claim Bool)\n(assert (not bob))\n(assert (= claim bob))";
        let (o, _) = smtlib(&[claim], "Bob lies. Does Bob tell the truth?");
        assert_eq!(text(&o), "The answer is No.");
        let answer =
            "(declare-const answer Int)\n(assert (= answer (+ 2 3)))\n(get-value (answer))";
        let (o, _) = smtlib(&[answer], "How many?");
        assert_eq!(text(&o), "The answer is 5.");
        let loose = "(declare-const answer Int)\n(assert (> answer 3))";
        let (o, _) = smtlib(&[loose], "How many?");
        assert!(
            matches!(&o, LogicOutcome::GiveUp { reason } if reason.starts_with("ambiguous")),
            "{o:?}"
        );
    }

    #[test]
    fn a_rejected_smtlib_script_is_sent_back_with_the_error() {
        let bad = "(declare-const answer Int)\n(assert (= answer bob))";
        let good = "(declare-const answer Int)\n(assert (= answer 4))";
        let (o, trace) = smtlib(&[bad, good], "How many?");
        assert_eq!(text(&o), "The answer is 4.");
        let rejected = trace.steps().iter().any(|s| {
            matches!(&s.event, Event::Solve { outcome, ok: false, .. } if outcome.contains("bob"))
        });
        assert!(rejected, "{trace:?}");
        let (o, _) = smtlib(&["(exit)", "(exit)", "(exit)"], "How many?");
        assert!(
            matches!(&o, LogicOutcome::GiveUp { reason } if reason.contains("rejected 3 times")),
            "{o:?}"
        );
    }

    #[test]
    fn yes_no_questions_are_recognised() {
        assert!(starts_with_aux("Alice lies. Does Bob tell the truth?"));
        assert!(starts_with_aux("Question: Fidel lies. Is Jerry honest?"));
        assert!(!starts_with_aux("True or false: Max is a dumpus."));
        assert_eq!(restore_case("red_cup", "The Red cup is left."), "Red cup");
    }
}
