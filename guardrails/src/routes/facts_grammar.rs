//! The logic facts' vocabulary as a logits hook: the model may only write
//! the facts language's keywords, words of the puzzle, small numbers and the
//! comparison signs, so it cannot invent names or drift into prose ("ask
//! David / answer / answer …" was a typical unconstrained 270M output). The
//! line structure is left to the facts parser, whose errors go back to the
//! model (the logic route's retries).

use std::sync::Arc;

use super::grammar::{ByteGrammar, GrammarConstraint, TokenTable};
use crate::solver::facts::{KEYWORDS, NUMBER_WORDS};

/// Most lines of facts.
pub const MAX_LINES: usize = 24;
/// Longest number literal (digits).
const MAX_DIGITS: usize = 3;

/// Words the facts language uses besides its keywords and number words.
const EXTRA_WORDS: &[&str] = &["END", "a", "an", "true", "false"];

/// The bytes facts are made of.
pub(crate) fn facts_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b' ' | b'\n' | b'=' | b'!' | b'<' | b'>')
}

fn word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// The words facts for `question` may use: the keywords, the extra words,
/// and every word of the question (as written and in lower case). Sorted.
pub fn allowed_words(question: &str) -> Vec<String> {
    let mut words: Vec<String> = KEYWORDS
        .iter()
        .chain(EXTRA_WORDS)
        .chain(NUMBER_WORDS)
        .map(|w| (*w).to_owned())
        .collect();
    for w in question.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if !w.is_empty() && !w.bytes().all(|b| b.is_ascii_digit()) {
            words.push(w.to_owned());
            words.push(w.to_ascii_lowercase());
        }
    }
    words.sort();
    words.dedup();
    words
}

/// Where the facts are.
#[derive(Debug, Clone, Default)]
pub struct Cursor {
    word: String,
    /// Bytes on the current line.
    line_len: usize,
    lines: usize,
    prev_space: bool,
    ended: bool,
}

/// The facts vocabulary for one question; see the module docs.
pub struct FactsGrammar {
    words: Vec<String>,
}

/// The facts vocabulary as the engine's logits hook.
pub type FactsConstraint = GrammarConstraint<FactsGrammar>;

impl GrammarConstraint<FactsGrammar> {
    /// The vocabulary `words` (see [`allowed_words`]).
    pub fn facts(table: Arc<TokenTable>, words: Vec<String>) -> Self {
        GrammarConstraint::new(FactsGrammar { words }, table, Cursor::default())
    }
}

impl FactsGrammar {
    fn is_prefix(&self, prefix: &str) -> bool {
        let at = self.words.partition_point(|w| w.as_str() < prefix);
        self.words.get(at).is_some_and(|w| w.starts_with(prefix))
    }

    fn is_number(word: &str) -> bool {
        !word.is_empty() && word.len() <= MAX_DIGITS && word.bytes().all(|b| b.is_ascii_digit())
    }

    fn is_word(&self, word: &str) -> bool {
        word.is_empty()
            || Self::is_number(word)
            || self
                .words
                .binary_search_by(|w| w.as_str().cmp(word))
                .is_ok()
    }
}

impl ByteGrammar for FactsGrammar {
    type Cursor = Cursor;

    fn step(&self, cur: &mut Cursor, b: u8) -> bool {
        if cur.ended {
            return false;
        }
        if word_byte(b) {
            cur.word.push(b as char);
            let ok = if cur.word.bytes().all(|d| d.is_ascii_digit()) {
                cur.word.len() <= MAX_DIGITS
            } else {
                self.is_prefix(&cur.word)
            };
            cur.line_len += 1;
            cur.prev_space = false;
            return ok;
        }
        if !self.is_word(&cur.word) {
            return false;
        }
        cur.word.clear();
        let ok = match b {
            b' ' => cur.line_len > 0 && !cur.prev_space,
            b'\n' if cur.line_len == 0 => {
                // a blank line ends the facts
                cur.ended = cur.lines > 0;
                cur.ended
            }
            b'\n' => {
                cur.lines += 1;
                cur.line_len = 0;
                cur.prev_space = false;
                return cur.lines <= MAX_LINES;
            }
            _ => cur.line_len > 0,
        };
        cur.prev_space = b == b' ';
        cur.line_len += 1;
        ok
    }

    fn complete(&self, cur: &Cursor) -> bool {
        cur.ended || cur.lines >= MAX_LINES
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::grammar::toy;

    fn table() -> (Arc<TokenTable>, Vec<String>) {
        toy::table(
            &[
                "\n",
                " =",
                "David",
                "sisters",
                "answer",
                "Dav",
                "ask",
                " brothers",
                "END",
                "12",
                "1234",
            ],
            facts_byte,
        )
    }

    #[test]
    fn only_keywords_question_words_and_small_numbers() {
        let (t, pieces) = table();
        let q = "David has three sisters. How many brothers does David have?";
        let mut c = FactsConstraint::facts(t, allowed_words(q));
        let start = toy::allowed(&mut c, &pieces, "");
        for want in ["David", "Dav", "ask", "sisters", "END"] {
            assert!(start.contains(&want.to_owned()), "{want} not allowed");
        }
        assert!(!start.contains(&"answer".to_owned()) && !start.contains(&" =".to_owned()));
        assert!(
            !start.contains(&"\n".to_owned()),
            "no blank line before the first fact"
        );
        let after = toy::allowed(&mut c, &pieces, "sisters David");
        assert!(after.contains(&" =".to_owned()) && after.contains(&"\n".to_owned()));
        let number = toy::allowed(&mut c, &pieces, "sisters David = ");
        assert!(number.contains(&"12".to_owned()) && !number.contains(&"1234".to_owned()));
        // "Dav" is no word: it must go on to "David" before a space.
        let partial = toy::allowed(&mut c, &pieces, "sisters David = 3\nboy Dav");
        assert!(partial.contains(&"i".to_owned()) && !partial.contains(&" ".to_owned()));
    }

    #[test]
    fn a_blank_line_ends_the_facts() {
        let (t, pieces) = table();
        let mut c = FactsConstraint::facts(t, allowed_words("David"));
        assert_eq!(toy::allowed(&mut c, &pieces, "boy David\n\n"), ["<done>"]);
    }
}
