//! Step-by-step reasoning for a math question, used when the calculator
//! route gives up: the model reasons in words with retrieved worked
//! examples, and the arithmetic check recomputes every calculation it wrote.

use std::sync::LazyLock;
use std::time::Instant;

use flinch_engine::{GenerateRequest, Message, Prompt, Role};
use flinch_sandbox::Sandbox;
use regex::Regex;

use crate::arith::{self, ArithReport};
use crate::bank::{Example, Retriever};
use crate::error::Result;
use crate::llm::{Llm, PromptStyle};
use crate::prompts::PromptId;
use crate::routes::calculator::generate_event;
use crate::trace::{Event, Trace};

/// Token budget of the reasoning.
pub const DEFAULT_COT_TOKENS: usize = 256;

/// The reasoning and what the check made of it.
#[derive(Debug, Clone, PartialEq)]
pub struct CotAnswer {
    pub reasoning: String,
    /// The final number, after the arithmetic check's correction if any.
    pub answer: Option<String>,
    pub report: ArithReport,
}

/// An example's reasoning in words: its program's comment lines.
pub fn reasoning_of(example: &Example) -> String {
    example
        .program
        .lines()
        .filter_map(|l| l.strip_prefix("# "))
        .collect::<Vec<_>>()
        .join(" ")
}

fn build_prompt(style: PromptStyle, bank: &Retriever, question: &str, n: usize) -> Result<Prompt> {
    let mut examples = bank.nearest(question, n);
    examples.reverse();
    let render = |e: &Example| {
        PromptId::MathCotExample.render(&[
            ("question", e.question.trim()),
            ("reasoning", &reasoning_of(e)),
            ("answer", &e.answer),
        ])
    };
    match style {
        PromptStyle::Completion => {
            let mut shots = String::new();
            for e in &examples {
                shots.push_str(&render(e)?);
                shots.push('\n');
            }
            Ok(Prompt::Text(PromptId::MathCotCompletion.render(&[
                ("examples", &shots),
                ("question", question.trim()),
            ])?))
        }
        PromptStyle::Chat => {
            let mut messages = Vec::new();
            for e in &examples {
                let shot = render(e)?;
                let (q, a) = shot.split_once("\nAnswer: ").unwrap_or((&shot, ""));
                messages.push(Message::new(
                    Role::User,
                    q.trim_start_matches("Question: ").to_owned(),
                ));
                messages.push(Message::new(Role::Assistant, a.trim().to_owned()));
            }
            messages.push(Message::new(Role::User, question.trim()));
            Ok(Prompt::Chat(messages))
        }
    }
}

static ANSWER_IS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)the (?:final )?answer is[:\s]*\$?\s*(-?\d[\d,]*(?:\.\d+)?)")
        .expect("pattern is valid")
});
static NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"-?\d[\d,]*(?:\.\d+)?").expect("pattern is valid"));

/// The final number of a reasoning: after the last "The answer is", else the
/// last number in the text. Commas are removed; a trailing `.0…` is dropped.
pub fn final_number(text: &str) -> Option<String> {
    let raw = ANSWER_IS
        .captures_iter(text)
        .last()
        .and_then(|c| c.get(1))
        .or_else(|| NUMBER.find_iter(text).last())?
        .as_str()
        .replace(',', "");
    let trimmed = if raw.contains('.') {
        raw.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        raw
    };
    Some(trimmed)
}

pub fn answer(
    llm: &mut dyn Llm,
    sandbox: &Sandbox,
    bank: &Retriever,
    question: &str,
    examples: usize,
    seed: u64,
    trace: &mut Trace,
) -> Result<CotAnswer> {
    let mut request = GenerateRequest::greedy(
        build_prompt(llm.prompt_style(), bank, question, examples)?,
        DEFAULT_COT_TOKENS,
    );
    request.seed = seed;
    request.stop = vec!["\nQuestion:".to_owned(), "\n\n".to_owned()];
    let start = Instant::now();
    let generation = llm.generate(request, &mut |_| {})?;
    trace.record(generate_event("reasoning", &generation), start.elapsed());
    let reasoning = generation.text.trim().to_owned();
    let stated = final_number(&reasoning);
    let start = Instant::now();
    let report = arith::check(&reasoning, stated.as_deref(), sandbox);
    let wrong = report.equations.iter().filter(|e| e.is_wrong()).count();
    trace.record(
        Event::PostPass {
            name: "arithmetic_check".to_owned(),
            verdict: format!(
                "{} calculation(s), {wrong} wrong; stated answer {}",
                report.equations.len(),
                stated.as_deref().unwrap_or("none")
            ),
            action: match &report.corrected_answer {
                Some(c) => format!("repair: answer {c}"),
                None => "keep".to_owned(),
            },
        },
        start.elapsed(),
    );
    let answer = report.corrected_answer.clone().or(stated);
    Ok(CotAnswer {
        reasoning,
        answer,
        report,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_number_prefers_the_answer_phrase() {
        assert_eq!(
            final_number("5 + 3 = 8. The answer is 1,280."),
            Some("1280".to_owned())
        );
        assert_eq!(
            final_number("We get 12 and then 14.50"),
            Some("14.5".to_owned())
        );
        assert_eq!(final_number("The answer is $7.00"), Some("7".to_owned()));
        assert_eq!(final_number("no digits"), None);
    }
}
