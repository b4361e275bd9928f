//! A multiple-choice question gets one of its options. A question lists its
//! options as lettered items (`(A) …`, `(B) …`, one per line) or as dashed
//! items under an `Options:` line (`- Yes`, `- No`). When the guarded answer
//! names none of them, the model is asked which one it means. A base model's
//! answer is continued with "So the answer is (" (letters) or "So the answer
//! is" (words); a chat model is asked for the option. The reply is held to
//! the listed options by the logits hook. The model still chooses, but it can
//! no longer answer beside the options, as a 270M model does most of the time
//! ("I think it's the year of Christmas.").

use std::sync::LazyLock;
use std::time::Instant;

use flinch_engine::{GenerateRequest, Message, Prompt, Role};
use regex::Regex;

use crate::conversation::Conversation;
use crate::error::Result;
use crate::llm::Llm;
use crate::prompts::PromptId;
use crate::routes::calculator::generate_event;
use crate::routes::chat::{self, Anchor, CompletionPrompt};
use crate::routes::grammar::{ByteGrammar, GrammarConstraint};
use crate::trace::{Event, Trace};

static LABEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\(([A-Z])\)").expect("pattern is valid"));
/// An option as a lettered item: `(B) 12/25/1937` at the start of a line.
static ITEM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^[ \t]*\(([A-Z])\)").expect("pattern is valid"));
/// A dashed item of one to three words: `- Yes`.
static DASHED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[ \t]*- ([A-Za-z]+(?: [A-Za-z]+){0,2})[ \t]*$").expect("pattern is valid")
});
/// A reply that is a letter (a model without the logits hook): `B`, `(B)`, `B.`.
static REPLY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*\(?([A-Z])(?:[).]|\s|$)").expect("pattern is valid"));

/// How a question lists its options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Options {
    /// Lettered items, `A` first and none skipped: the letters.
    Letters(Vec<u8>),
    /// Dashed items under an `Options:` line: their words.
    Words(Vec<String>),
}

impl Options {
    /// How the options are shown in the chat model's question.
    fn shown(&self) -> String {
        match self {
            Options::Letters(ls) => ls
                .iter()
                .map(|&l| format!("({})", l as char))
                .collect::<Vec<_>>()
                .join(", "),
            Options::Words(ws) => ws.join(", "),
        }
    }
}

/// The options a question lists, at least two; `None` when it lists none
/// ("plan (A) or plan (B)" in a sentence lists nothing).
pub fn listed_options(question: &str) -> Option<Options> {
    let letters: Vec<u8> = ITEM
        .captures_iter(question)
        .map(|c| c[1].as_bytes()[0])
        .collect();
    let in_order = letters
        .iter()
        .enumerate()
        .all(|(i, &l)| l == b'A' + i as u8);
    if letters.len() >= 2 && in_order {
        return Some(Options::Letters(letters));
    }
    if !letters.is_empty() {
        return None;
    }
    let mut lines = question
        .lines()
        .skip_while(|l| !l.trim().eq_ignore_ascii_case("options:"));
    lines.next()?;
    let words: Vec<String> = lines
        .map_while(|l| DASHED.captures(l).map(|c| c[1].to_owned()))
        .collect();
    (words.len() >= 2).then_some(Options::Words(words))
}

/// The option the text names, if any: the last listed `(X)`, or a listed
/// word standing as a word (any case).
pub fn named_option(text: &str, options: &Options) -> Option<String> {
    match options {
        Options::Letters(ls) => LABEL
            .captures_iter(text)
            .map(|c| c[1].as_bytes()[0])
            .filter(|l| ls.contains(l))
            .last()
            .map(|l| format!("({})", l as char)),
        Options::Words(ws) => {
            let words: Vec<String> = text
                .split(|c: char| !c.is_ascii_alphabetic())
                .map(str::to_ascii_lowercase)
                .collect();
            ws.iter()
                .find(|w| {
                    let option: Vec<String> = w.split(' ').map(str::to_ascii_lowercase).collect();
                    words
                        .windows(option.len())
                        .any(|win| win == option.as_slice())
                })
                .cloned()
        }
    }
}

/// Exactly one of `options` (bytes), after at most one leading space.
struct OneOf {
    options: Vec<Vec<u8>>,
}

impl OneOf {
    fn text(cursor: &[u8]) -> &[u8] {
        cursor.strip_prefix(b" ").unwrap_or(cursor)
    }
}

impl ByteGrammar for OneOf {
    type Cursor = Vec<u8>;

    fn step(&self, cursor: &mut Vec<u8>, b: u8) -> bool {
        cursor.push(b);
        let text = Self::text(cursor);
        let ok = (text.is_empty() && cursor.len() == 1)
            || (!text.is_empty() && self.options.iter().any(|o| o.starts_with(text)));
        if !ok {
            cursor.pop();
        }
        ok
    }

    fn complete(&self, cursor: &Vec<u8>) -> bool {
        let text = Self::text(cursor);
        self.options.iter().any(|o| o == text)
    }
}

/// `answer` with "So the answer is (X)." (or "… is Yes.") added when the
/// question lists options and the answer names none of them; `answer`
/// unchanged otherwise, or when the model's reply is not one of the options
/// (a model without a logits hook).
pub fn settle(
    llm: &mut dyn Llm,
    conversation: &Conversation,
    completion: Option<&CompletionPrompt>,
    answer: String,
    seed: u64,
    trace: &mut Trace,
) -> Result<String> {
    let Some(options) = listed_options(conversation.last_question()?) else {
        return Ok(answer);
    };
    if named_option(&answer, &options).is_some() {
        return Ok(answer);
    }
    trace.note(Event::Note {
        text: format!(
            "the question lists the options {} and the answer names none: asking which",
            options.shown()
        ),
    });
    // What the reply may be, and what comes before it in a base model's prompt.
    let (choices, lead): (Vec<Vec<u8>>, &str) = match &options {
        Options::Letters(ls) => (ls.iter().map(|&l| vec![l]).collect(), " ("),
        Options::Words(ws) => (ws.iter().map(|w| w.as_bytes().to_vec()).collect(), ""),
    };
    // The answer continues the prompt it was generated from.
    let asked = match completion {
        Some(c) => Prompt::Text(c.text.clone()),
        None => chat::prompt(llm.prompt_style(), conversation, Anchor::Plain)?,
    };
    let prompt = match asked {
        Prompt::Text(p) => Prompt::Text(PromptId::ChoiceCompletion.render(&[
            ("prompt", &p),
            ("answer", answer.trim_end()),
            ("lead", lead),
        ])?),
        Prompt::Chat(mut messages) => {
            messages.push(Message::new(Role::Assistant, answer.trim_end().to_owned()));
            messages.push(Message::new(
                Role::User,
                PromptId::ChoiceInstruction
                    .render(&[("options", &options.shown())])?
                    .trim()
                    .to_owned(),
            ));
            Prompt::Chat(messages)
        }
    };
    let mut request = GenerateRequest::greedy(prompt, 4);
    request.seed = seed;
    if let Some(tables) = llm.token_tables() {
        request.constraint = Some(Box::new(GrammarConstraint::new(
            OneOf {
                options: choices.clone(),
            },
            tables.option_words.clone(),
            Vec::new(),
        )));
    }
    let start = Instant::now();
    let g = llm.generate(request, &mut |_| {})?;
    trace.record(generate_event("option", &g), start.elapsed());
    let chosen = match &options {
        Options::Letters(ls) => REPLY
            .captures(&g.text)
            .map(|c| c[1].as_bytes()[0])
            .filter(|l| ls.contains(l))
            .map(|l| format!("({})", l as char)),
        Options::Words(ws) => {
            let reply = g.text.trim().trim_end_matches(['.', '!']);
            ws.iter().find(|w| w.eq_ignore_ascii_case(reply)).cloned()
        }
    };
    Ok(match chosen {
        Some(label) => format!("{}{}", answer.trim_end(), settled_line(&label))
            .trim_start()
            .to_owned(),
        None => answer,
    })
}

/// The line added for the option `label` (`(B)`, `Yes`), with its leading
/// newline.
pub fn settled_line(label: &str) -> String {
    format!("\nSo the answer is {label}.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::ScriptedLlm;
    use crate::routes::grammar::toy;

    fn letters(s: &str) -> Option<Options> {
        Some(Options::Letters(s.as_bytes().to_vec()))
    }

    fn words(ws: &[&str]) -> Option<Options> {
        Some(Options::Words(ws.iter().map(|w| w.to_string()).collect()))
    }

    #[test]
    fn options_are_lettered_items_in_order_from_a() {
        let q = "Which is first?\nOptions:\n(A) the owl\n(B) the crow\n  (C) the hawk";
        assert_eq!(listed_options(q), letters("ABC"));
        assert_eq!(
            listed_options("Is it\n(A) true?"),
            None,
            "one item is not a list"
        );
        assert_eq!(
            listed_options("\n(B) x\n(C) y"),
            None,
            "a list starts at (A)"
        );
        assert_eq!(
            listed_options("\n(A) x\n(B) y\n(D) z"),
            None,
            "no letter skipped"
        );
        assert_eq!(
            listed_options("Compare plan (A) and plan (B)."),
            None,
            "labels in a sentence are not a list"
        );
    }

    #[test]
    fn options_are_dashed_items_under_an_options_line() {
        let q = "Take 3 steps. Turn around. Take 3 steps.\nOptions:\n- Yes\n- No";
        assert_eq!(listed_options(q), words(&["Yes", "No"]));
        assert_eq!(
            listed_options("Shopping list:\n- Milk\n- Eggs"),
            None,
            "a list without an Options: line"
        );
        assert_eq!(
            listed_options("Options:\n- Yes"),
            None,
            "one item is not a list"
        );
        assert_eq!(
            listed_options("Options:\n- Yes, if the steps cancel out\n- No"),
            None,
            "items of more than a few plain words stop the list"
        );
    }

    #[test]
    fn an_answer_names_an_option_only_among_the_listed() {
        let abc = letters("ABC").unwrap();
        assert_eq!(
            named_option("It is (B), not (A).", &abc).as_deref(),
            Some("(A)")
        );
        assert_eq!(
            named_option("So the answer is (C).", &abc).as_deref(),
            Some("(C)")
        );
        assert_eq!(named_option("Maybe (F).", &abc), None);
        assert_eq!(named_option("I think it's Christmas.", &abc), None);
        let yes_no = words(&["Yes", "No"]).unwrap();
        assert_eq!(
            named_option("yes, you do.", &yes_no).as_deref(),
            Some("Yes")
        );
        assert_eq!(
            named_option("I'm sorry, but this is not a good idea.", &yes_no),
            None
        );
    }

    #[test]
    fn the_model_is_asked_for_the_option_in_its_prompt_style() {
        let conversation = Conversation::question("Which one?\n(A) the owl\n(B) the crow");
        let mut trace = Trace::new();
        let mut base = ScriptedLlm::new(["B"]);
        let out = settle(
            &mut base,
            &conversation,
            None,
            "Not sure.".into(),
            0,
            &mut trace,
        )
        .unwrap();
        assert_eq!(out, "Not sure.\nSo the answer is (B).");
        assert!(
            base.prompts[0].ends_with("Assistant: Not sure.\nSo the answer is ("),
            "{}",
            base.prompts[0]
        );
        let mut chat = ScriptedLlm::chat(["(A)"]);
        let out = settle(
            &mut chat,
            &conversation,
            None,
            "Not sure.".into(),
            0,
            &mut trace,
        )
        .unwrap();
        assert_eq!(out, "Not sure.\nSo the answer is (A).");
        assert!(
            chat.prompts[0].ends_with(
                "Assistant: Not sure.\nUser: Which option is the answer: (A), (B)? Reply with that option only."
            ),
            "{}",
            chat.prompts[0]
        );
        // A reply that is not one of the options adds nothing.
        let mut wordy = ScriptedLlm::new(["Based on the date"]);
        let out = settle(
            &mut wordy,
            &conversation,
            None,
            "Not sure.".into(),
            0,
            &mut trace,
        )
        .unwrap();
        assert_eq!(out, "Not sure.");

        let walk = Conversation::question("Take 1 step. Turn left.\nOptions:\n- Yes\n- No");
        let mut base = ScriptedLlm::new([" No"]);
        let out = settle(
            &mut base,
            &walk,
            None,
            "Keep walking.".into(),
            0,
            &mut trace,
        )
        .unwrap();
        assert_eq!(out, "Keep walking.\nSo the answer is No.");
        assert!(base.prompts[0].ends_with("Assistant: Keep walking.\nSo the answer is"));

        // With the caller's completion prompt the answer continues that prompt,
        // whatever the model's prompt style.
        let few_shot = CompletionPrompt {
            text: "Q: Is it?\nA: Let's think. So the answer is Yes.\n\nQ: Which one?\nA:".into(),
            stop: vec!["Q:".into()],
        };
        let mut chat = ScriptedLlm::chat(["A"]);
        let out = settle(
            &mut chat,
            &conversation,
            Some(&few_shot),
            "Hmm.".into(),
            0,
            &mut trace,
        )
        .unwrap();
        assert_eq!(out, "Hmm.\nSo the answer is (A).");
        assert_eq!(
            chat.prompts[0],
            format!("{} Hmm.\nSo the answer is (", few_shot.text)
        );
    }

    #[test]
    fn the_grammar_allows_one_listed_option() {
        let (table, pieces) = toy::table(&["AB", "Bo", " Yes", "No", " N"], |b| {
            b.is_ascii_alphabetic() || b == b' '
        });
        let mut c = GrammarConstraint::new(
            OneOf {
                options: vec![b"A".to_vec(), b"B".to_vec(), b"C".to_vec()],
            },
            table.clone(),
            Vec::new(),
        );
        assert_eq!(toy::allowed(&mut c, &pieces, ""), [" ", "A", "B", "C"]);
        assert_eq!(toy::allowed(&mut c, &pieces, "B"), ["<done>"]);
        let mut c = GrammarConstraint::new(
            OneOf {
                options: vec![b"Yes".to_vec(), b"No".to_vec()],
            },
            table,
            Vec::new(),
        );
        assert_eq!(
            toy::allowed(&mut c, &pieces, ""),
            [" ", " Yes", " N", "N", "No", "Y"]
        );
        assert_eq!(toy::allowed(&mut c, &pieces, " N"), ["o"]);
        assert_eq!(toy::allowed(&mut c, &pieces, " No"), ["<done>"]);
    }
}
