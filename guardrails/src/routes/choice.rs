//! A multiple-choice question gets one of its options. When a question lists
//! options `(A) … (B) …` and the guarded answer names none of them, the
//! model is asked for the letter: its answer is continued with "So the
//! answer is (" (a base model) or it is asked which option it meant (a chat
//! model), and the next token is held to the listed letters by the logits
//! hook. The model still chooses; it can no longer answer beside the
//! options, as a 270M model does most of the time ("I think it's the year of
//! Christmas.").

use std::sync::LazyLock;
use std::time::Instant;

use flinch_engine::{GenerateRequest, Message, Prompt, Role};
use regex::Regex;

use crate::conversation::Conversation;
use crate::error::Result;
use crate::llm::Llm;
use crate::prompts::PromptId;
use crate::routes::calculator::generate_event;
use crate::routes::chat::{self, Anchor};
use crate::routes::grammar::{ByteGrammar, GrammarConstraint};
use crate::trace::{Event, Trace};

static LABEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\(([A-Z])\)").expect("pattern is valid"));
/// An option as a list item: `(B) 12/25/1937` at the start of a line.
static ITEM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^[ \t]*\(([A-Z])\)").expect("pattern is valid"));
/// A reply that is a letter (a model without the logits hook): `B`, `(B)`, `B.`.
static REPLY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*\(?([A-Z])(?:[).]|\s|$)").expect("pattern is valid"));

/// The option letters a question lists as items, one per line: `(A) …`,
/// `(B) …`, …, at least two, `A` first and none skipped; empty otherwise
/// ("plan (A) or plan (B)" in a sentence lists nothing).
pub fn listed_options(question: &str) -> Vec<u8> {
    let letters: Vec<u8> = ITEM
        .captures_iter(question)
        .map(|c| c[1].as_bytes()[0])
        .collect();
    let in_order = letters
        .iter()
        .enumerate()
        .all(|(i, &l)| l == b'A' + i as u8);
    if letters.len() < 2 || !in_order {
        return Vec::new();
    }
    letters
}

/// The last listed option the text names as `(X)`, if any.
pub fn named_option(text: &str, letters: &[u8]) -> Option<u8> {
    LABEL
        .captures_iter(text)
        .map(|c| c[1].as_bytes()[0])
        .filter(|l| letters.contains(l))
        .last()
}

/// Exactly one of the listed letters.
struct OneLetter {
    letters: Vec<u8>,
}

impl ByteGrammar for OneLetter {
    type Cursor = Option<u8>;

    fn step(&self, cursor: &mut Option<u8>, b: u8) -> bool {
        if cursor.is_some() || !self.letters.contains(&b) {
            return false;
        }
        *cursor = Some(b);
        true
    }

    fn complete(&self, cursor: &Option<u8>) -> bool {
        cursor.is_some()
    }
}

/// `answer` with "So the answer is (X)." added when the question lists
/// options and the answer names none of them; `answer` unchanged otherwise,
/// or when the model's reply is not one of the letters (a model without a
/// logits hook).
pub fn settle(
    llm: &mut dyn Llm,
    conversation: &Conversation,
    answer: String,
    seed: u64,
    trace: &mut Trace,
) -> Result<String> {
    let letters = listed_options(conversation.last_question()?);
    if letters.is_empty() || named_option(&answer, &letters).is_some() {
        return Ok(answer);
    }
    trace.note(Event::Note {
        text: format!(
            "the question lists options (A) to ({}) and the answer names none: asking for its letter",
            *letters.last().unwrap_or(&b'A') as char
        ),
    });
    let prompt = match chat::prompt(llm.prompt_style(), conversation, Anchor::Plain)? {
        Prompt::Text(p) => Prompt::Text(
            PromptId::ChoiceCompletion.render(&[("prompt", &p), ("answer", answer.trim_end())])?,
        ),
        Prompt::Chat(mut messages) => {
            let listed: Vec<String> = letters
                .iter()
                .map(|&l| format!("({})", l as char))
                .collect();
            messages.push(Message::new(Role::Assistant, answer.trim_end().to_owned()));
            messages.push(Message::new(
                Role::User,
                PromptId::ChoiceInstruction
                    .render(&[("letters", &listed.join(", "))])?
                    .trim()
                    .to_owned(),
            ));
            Prompt::Chat(messages)
        }
    };
    let mut request = GenerateRequest::greedy(prompt, 2);
    request.seed = seed;
    if let Some(tables) = llm.token_tables() {
        let grammar = OneLetter {
            letters: letters.clone(),
        };
        request.constraint = Some(Box::new(GrammarConstraint::new(
            grammar,
            tables.letters.clone(),
            None,
        )));
    }
    let start = Instant::now();
    let g = llm.generate(request, &mut |_| {})?;
    trace.record(generate_event("option letter", &g), start.elapsed());
    let chosen = REPLY
        .captures(&g.text)
        .map(|c| c[1].as_bytes()[0])
        .filter(|b| letters.contains(b));
    Ok(match chosen {
        Some(l) => format!("{}{}", answer.trim_end(), settled_line(l))
            .trim_start()
            .to_owned(),
        None => answer,
    })
}

/// The line added for option `letter`, with its leading newline.
pub fn settled_line(letter: u8) -> String {
    format!("\nSo the answer is ({}).", letter as char)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::grammar::toy;

    #[test]
    fn options_are_the_labels_in_order_from_a() {
        let q = "Which is first?\nOptions:\n(A) the owl\n(B) the crow\n  (C) the hawk";
        assert_eq!(listed_options(q), b"ABC");
        assert_eq!(
            listed_options("Is it\n(A) true?"),
            b"",
            "one item is not a list"
        );
        assert_eq!(
            listed_options("\n(B) x\n(C) y"),
            b"",
            "a list starts at (A)"
        );
        assert_eq!(
            listed_options("\n(A) x\n(B) y\n(D) z"),
            b"",
            "no letter skipped"
        );
        assert_eq!(
            listed_options("Compare plan (A) and plan (B)."),
            b"",
            "labels in a sentence are not a list"
        );
    }

    #[test]
    fn an_answer_names_an_option_only_among_the_listed() {
        assert_eq!(named_option("It is (B), not (A).", b"AB"), Some(b'A'));
        assert_eq!(named_option("So the answer is (C).", b"ABC"), Some(b'C'));
        assert_eq!(named_option("Maybe (F).", b"ABC"), None);
        assert_eq!(named_option("I think it's Christmas.", b"ABC"), None);
    }

    #[test]
    fn the_model_is_asked_for_the_letter_in_its_prompt_style() {
        use crate::llm::ScriptedLlm;
        let conversation = Conversation::question("Which one?\n(A) the owl\n(B) the crow");
        let mut trace = Trace::new();
        let mut base = ScriptedLlm::new(["B"]);
        let out = settle(&mut base, &conversation, "Not sure.".into(), 0, &mut trace).unwrap();
        assert_eq!(out, "Not sure.\nSo the answer is (B).");
        assert!(
            base.prompts[0].ends_with("Assistant: Not sure.\nSo the answer is ("),
            "{}",
            base.prompts[0]
        );
        let mut chat = ScriptedLlm::chat(["(A)"]);
        let out = settle(&mut chat, &conversation, "Not sure.".into(), 0, &mut trace).unwrap();
        assert_eq!(out, "Not sure.\nSo the answer is (A).");
        assert!(
            chat.prompts[0].ends_with(
                "Assistant: Not sure.\nUser: Which option is the answer: (A), (B)? Reply with its letter only."
            ),
            "{}",
            chat.prompts[0]
        );
        // A reply that is not one letter adds nothing.
        let mut wordy = ScriptedLlm::new(["Based on the date"]);
        let out = settle(&mut wordy, &conversation, "Not sure.".into(), 0, &mut trace).unwrap();
        assert_eq!(out, "Not sure.");
    }

    #[test]
    fn the_grammar_allows_one_listed_letter() {
        let (table, pieces) = toy::table(&["AB", "Bo"], |b| b.is_ascii_uppercase());
        let mut c = GrammarConstraint::new(
            OneLetter {
                letters: b"ABC".to_vec(),
            },
            table,
            None,
        );
        assert_eq!(toy::allowed(&mut c, &pieces, ""), ["A", "B", "C"]);
        assert_eq!(toy::allowed(&mut c, &pieces, "B"), ["<done>"]);
    }
}
