//! Text measures shared by the verifiers, with IFEval's (Python's) semantics.

use std::sync::LazyLock;

use regex::Regex;

use super::verdict::Location;

/// IFEval's word: a `\w+` run (nltk `RegexpTokenizer(r"\w+")`). Both Python and the
/// `regex` crate use Unicode word characters.
static WORD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\w+").expect("valid word regex"));

/// Number of `\w+` words, as IFEval's `count_words`.
pub(crate) fn count_words(text: &str) -> usize {
    WORD.find_iter(text).count()
}

/// Line and word number of byte offset `byte` in `text`.
pub(crate) fn location(text: &str, byte: usize) -> Location {
    let byte = byte.min(text.len());
    let line = text.as_bytes()[..byte]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1;
    // The word containing or following `byte`: words that end at or before it come first.
    let word = WORD.find_iter(text).take_while(|m| m.end() <= byte).count() + 1;
    Location { line, word }
}

/// The `\w+` word containing or following byte offset `byte`, or the text from there.
pub(crate) fn word_at(text: &str, byte: usize) -> String {
    WORD.find_iter(text)
        .find(|m| m.end() > byte)
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| text[byte.min(text.len())..].chars().take(20).collect())
}

/// Python's `str.isupper()`: no lowercase (or titlecase) character, and at least one
/// uppercase one. Titlecase letters (e.g. `ǅ`) are treated as uncased: the standard
/// library has no titlecase predicate.
pub(crate) fn py_isupper(s: &str) -> bool {
    let mut cased = false;
    for c in s.chars() {
        if c.is_lowercase() {
            return false;
        }
        cased |= c.is_uppercase();
    }
    cased
}

/// Python's `str.islower()`: no uppercase character, and at least one lowercase one.
pub(crate) fn py_islower(s: &str) -> bool {
    let mut cased = false;
    for c in s.chars() {
        if c.is_uppercase() {
            return false;
        }
        cased |= c.is_lowercase();
    }
    cased
}

/// Python's `str.strip()` (whitespace).
pub(crate) fn strip(s: &str) -> &str {
    s.trim()
}

/// Lines that contain something other than whitespace.
pub(crate) fn non_blank_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter(|l| !l.trim().is_empty())
}

/// Byte offset of the first character at which `a` and `b` differ, compared after
/// lowercasing both (as a case-insensitive `startswith`); `None` if `b` is a prefix of `a`.
pub(crate) fn first_difference_ci(a: &str, b: &str) -> Option<usize> {
    let mut ai = a.char_indices();
    for bc in b.chars() {
        match ai.next() {
            Some((i, ac)) => {
                if !ac.to_lowercase().eq(bc.to_lowercase()) {
                    return Some(i);
                }
            }
            None => return Some(a.len()),
        }
    }
    None
}

/// A short excerpt of `text` from byte `start`, for failure messages.
pub(crate) fn excerpt(text: &str, start: usize, max_chars: usize) -> String {
    let start = start.min(text.len());
    let start = (0..=start)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let rest = &text[start..];
    let mut out: String = rest.chars().take(max_chars).collect();
    if rest.chars().count() > max_chars {
        out.push('…');
    }
    out
}

/// The last `max_chars` characters of `text`.
pub(crate) fn tail(text: &str, max_chars: usize) -> String {
    let n = text.chars().count();
    text.chars().skip(n.saturating_sub(max_chars)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_backslash_w_runs() {
        assert_eq!(count_words("Hello, world! It's 3.5 km_h."), 7);
        assert_eq!(count_words(""), 0);
        assert_eq!(count_words("Ça va? Très bien."), 4);
    }

    #[test]
    fn locations_count_lines_and_words_from_one() {
        let text = "one two\nthree four";
        assert_eq!(location(text, 0), Location { line: 1, word: 1 });
        assert_eq!(location(text, 14), Location { line: 2, word: 4 });
        assert_eq!(word_at(text, 9), "three");
    }

    #[test]
    fn python_case_predicates() {
        assert!(py_isupper("HELLO, WORLD 42"));
        assert!(!py_isupper("HELLO World"));
        assert!(!py_isupper("42 !"));
        assert!(py_islower("hello, world 42"));
        assert!(!py_islower("hello I"));
        assert!(!py_islower("..."));
    }

    #[test]
    fn case_insensitive_prefix_difference() {
        assert_eq!(first_difference_ci("Hello there", "hello"), None);
        assert_eq!(first_difference_ci("Help me", "hello"), Some(3));
        assert_eq!(first_difference_ci("He", "hello"), Some(2));
    }
}
