//! Every prompt flinch sends is a file under `prompts/`, compiled into the
//! binary and addressed by [`PromptId`]. Placeholders are `{name}`; a
//! literal brace is written `{{` or `}}`. Each prompt declares the
//! placeholders it takes, and rendering checks that the file uses exactly
//! those and that every one is given.

use crate::error::{Error, Result};

macro_rules! prompts {
    ($( $(#[$doc:meta])* $id:ident => $file:literal [$($ph:literal),*] ),* $(,)?) => {
        /// A prompt file.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum PromptId { $( $(#[$doc])* $id ),* }

        impl PromptId {
            pub const ALL: &'static [PromptId] = &[$(PromptId::$id),*];

            /// File name under `prompts/`.
            pub fn file(self) -> &'static str {
                match self { $(PromptId::$id => $file),* }
            }

            /// The file's text as compiled in.
            pub fn text(self) -> &'static str {
                match self { $(PromptId::$id => include_str!(concat!("../../prompts/", $file))),* }
            }

            /// The placeholders the prompt takes.
            pub fn placeholders(self) -> &'static [&'static str] {
                match self { $(PromptId::$id => &[$($ph),*]),* }
            }
        }
    };
}

prompts! {
    /// What a calculator program looks like (shared by both prompt styles).
    CalculatorInstruction => "calculator-instruction.txt" [],
    /// One worked example of the calculator route.
    CalculatorExample => "calculator-example.txt" ["question", "program"],
    /// The calculator route's completion prompt for a base model.
    CalculatorCompletion => "calculator-completion.txt" ["instruction", "examples", "question"],
    /// A base model's answer to a multiple-choice question, continued to its option.
    ChoiceCompletion => "choice-completion.txt" ["prompt", "answer", "lead"],
    /// A chat model asked which option its answer was.
    ChoiceInstruction => "choice-instruction.txt" ["options"],
    /// Preamble of a base model's chat transcript when there is no system prompt.
    ChatPreamble => "chat-preamble.txt" [],
    /// A base model's chat transcript.
    ChatCompletion => "chat-completion.txt" ["preamble", "transcript"],
    /// The stronger system prompt used after a persona break.
    PersonaAnchor => "persona-anchor.txt" ["persona"],
    /// First draft of the constrained route.
    ConstrainedDraft => "constrained-draft.txt" ["request", "rules"],
    /// A revision naming the failed requirements.
    ConstrainedRefine => "constrained-refine.txt" ["request", "rules", "draft", "problems"],
    /// Puzzle → facts, few-shot (the logic route).
    LogicFacts => "logic-facts.txt" ["question"],
    /// Rejected facts and the solver's error → fixed facts.
    LogicFactsRepair => "logic-facts-repair.txt" ["question", "previous", "error"],
    /// Puzzle → SMT-LIB2, few-shot (measured against the facts form).
    LogicSmtlib => "logic-smtlib.txt" ["question"],
    /// A rejected script and Z3's error → fixed script.
    LogicSmtlibRepair => "logic-smtlib-repair.txt" ["question", "previous", "error"],
    /// The context a listed thing's name is scored after (the inventory reader).
    InventoryMember => "inventory-member.txt" ["category"],
    /// One worked example of step-by-step math reasoning.
    MathCotExample => "math-cot-example.txt" ["question", "reasoning", "answer"],
    /// Step-by-step math reasoning for a base model (the calculator's fallback).
    MathCotCompletion => "math-cot-completion.txt" ["examples", "question"],
}

/// A piece of a parsed prompt.
#[derive(Debug, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Brace(char),
    Slot(&'a str),
}

fn parse(text: &str) -> std::result::Result<Vec<Piece<'_>>, String> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(['{', '}']) {
        pieces.push(Piece::Text(&rest[..i]));
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            pieces.push(Piece::Brace(tail.as_bytes()[0] as char));
            rest = &tail[2..];
        } else if tail.starts_with('}') {
            return Err(format!(
                "unmatched `}}` at byte {}",
                text.len() - tail.len()
            ));
        } else {
            let end = tail
                .find('}')
                .ok_or_else(|| format!("unclosed `{{` at byte {}", text.len() - tail.len()))?;
            let name = &tail[1..end];
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!(
                    "bad placeholder `{{{name}}}` (write `{{{{` for a literal brace)"
                ));
            }
            pieces.push(Piece::Slot(name));
            rest = &tail[end + 1..];
        }
    }
    pieces.push(Piece::Text(rest));
    Ok(pieces)
}

impl PromptId {
    /// Check that the file parses and uses exactly its declared placeholders.
    pub fn check(self) -> Result<()> {
        let err = |reason: String| Error::Prompt {
            name: self.file(),
            reason,
        };
        let pieces = parse(self.text()).map_err(err)?;
        let used: Vec<&str> = pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Slot(s) => Some(*s),
                _ => None,
            })
            .collect();
        for u in &used {
            if !self.placeholders().contains(u) {
                return Err(err(format!(
                    "unknown placeholder `{{{u}}}` (it takes {:?})",
                    self.placeholders()
                )));
            }
        }
        for p in self.placeholders() {
            if !used.contains(p) {
                return Err(err(format!("placeholder `{{{p}}}` is never used")));
            }
        }
        Ok(())
    }

    /// The prompt with its placeholders filled. Every declared placeholder
    /// must be given, and nothing else.
    pub fn render(self, values: &[(&str, &str)]) -> Result<String> {
        let err = |reason: String| Error::Prompt {
            name: self.file(),
            reason,
        };
        for (k, _) in values {
            if !self.placeholders().contains(k) {
                return Err(err(format!("no placeholder `{{{k}}}`")));
            }
        }
        let mut out = String::with_capacity(self.text().len());
        for piece in parse(self.text()).map_err(err)? {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Brace(c) => out.push(c),
                Piece::Slot(name) => {
                    let value = values
                        .iter()
                        .find(|(k, _)| *k == name)
                        .ok_or_else(|| err(format!("no value for `{{{name}}}`")))?;
                    out.push_str(value.1);
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_prompt_file_uses_exactly_its_placeholders() {
        for id in PromptId::ALL {
            id.check().unwrap_or_else(|e| panic!("{e}"));
        }
    }

    #[test]
    fn render_fills_slots_and_unescapes_braces() {
        assert_eq!(
            parse("a {x} {{b}}").unwrap(),
            vec![
                Piece::Text("a "),
                Piece::Slot("x"),
                Piece::Text(" "),
                Piece::Brace('{'),
                Piece::Text("b"),
                Piece::Brace('}'),
                Piece::Text(""),
            ]
        );
        let out = PromptId::CalculatorExample
            .render(&[("question", "Q?"), ("program", "x = 1")])
            .unwrap();
        assert_eq!(out, "Question: Q?\nProgram:\nx = 1\n");
    }

    #[test]
    fn render_rejects_missing_and_unknown_values() {
        let e = PromptId::CalculatorExample
            .render(&[("question", "Q?")])
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "prompt `calculator-example.txt`: no value for `{program}`"
        );
        let e = PromptId::CalculatorExample
            .render(&[("question", "Q"), ("program", "p"), ("x", "1")])
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "prompt `calculator-example.txt`: no placeholder `{x}`"
        );
        assert_eq!(parse("oops } here").unwrap_err(), "unmatched `}` at byte 5");
    }
}
