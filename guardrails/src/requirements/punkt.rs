//! Sentence splitting as IFEval counts sentences: NLTK's Punkt sentence tokenizer
//! with its pretrained English parameters (`data/punkt/english.json`, see SOURCE.md).
//!
//! Written for flinch from the published algorithm (Kiss & Strunk 2006) and the
//! behaviour of NLTK 3.10's `PunktSentenceTokenizer.tokenize` (candidate contexts,
//! first and second annotation passes, boundary realignment), including the curly
//! quotes NLTK 3.10 treats as closing punctuation. Divergences from Python: `\s`
//! is Rust's Unicode `White_Space` (Python also counts U+001C–U+001F), and
//! titlecase letters count as neither upper- nor lowercase.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;

const ORTHO_BEG_UC: u32 = 1 << 1;
const ORTHO_MID_UC: u32 = 1 << 2;
const ORTHO_UNK_UC: u32 = 1 << 3;
const ORTHO_BEG_LC: u32 = 1 << 4;
const ORTHO_MID_LC: u32 = 1 << 5;
const ORTHO_UNK_LC: u32 = 1 << 6;
const ORTHO_UC: u32 = ORTHO_BEG_UC | ORTHO_MID_UC | ORTHO_UNK_UC;
const ORTHO_LC: u32 = ORTHO_BEG_LC | ORTHO_MID_LC | ORTHO_UNK_LC;

/// The pretrained parameters, as stored in `english.json`.
#[derive(Deserialize)]
struct RawParams {
    sentence_starters: Vec<String>,
    abbrev_types: Vec<String>,
    collocations: Vec<(String, String)>,
    ortho_context: HashMap<String, u32>,
}

struct Params {
    sent_starters: HashSet<String>,
    abbrev_types: HashSet<String>,
    collocations: HashSet<(String, String)>,
    ortho_context: HashMap<String, u32>,
}

impl Params {
    fn ortho(&self, typ: &str) -> u32 {
        self.ortho_context.get(typ).copied().unwrap_or(0)
    }
}

/// Parsed once; the embedded file is checked by a unit test.
static PARAMS: LazyLock<Params> = LazyLock::new(|| {
    let raw: RawParams = serde_json::from_str(include_str!("data/punkt/english.json"))
        .expect("embedded Punkt parameters are valid JSON");
    Params {
        sent_starters: raw.sentence_starters.into_iter().collect(),
        abbrev_types: raw.abbrev_types.into_iter().collect(),
        collocations: raw.collocations.into_iter().collect(),
        ortho_context: raw.ortho_context,
    }
});

static NUMERIC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^-?[.,]?\d[\d,.\-]*\.?$").expect("valid numeric regex"));

/// Characters that cannot appear within words (NLTK 3.10 `_re_non_word_chars`).
fn is_non_word(c: char) -> bool {
    matches!(
        c,
        ')' | '"'
            | ';'
            | '}'
            | ']'
            | '*'
            | ':'
            | '@'
            | '\''
            | '('
            | '{'
            | '['
            | '\u{2018}'
            | '\u{2019}'
            | '\u{201c}'
            | '\u{201d}'
            | '\u{ab}'
            | '\u{bb}'
            | '?'
            | '!'
    )
}

/// Characters a word token may not start with (`_re_word_start` negated).
fn cannot_start_word(c: char) -> bool {
    matches!(
        c,
        '(' | '"'
            | '`'
            | '{'
            | '['
            | ':'
            | ';'
            | '&'
            | '#'
            | '*'
            | '@'
            | ')'
            | '}'
            | ']'
            | '-'
            | ','
    )
}

/// Closing punctuation moved back onto the sentence it follows.
fn is_realign_char(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | ')'
            | ']'
            | '}'
            | '\u{2018}'
            | '\u{2019}'
            | '\u{201c}'
            | '\u{201d}'
            | '\u{ab}'
            | '\u{bb}'
    )
}

/// End (char index) of multi-character punctuation starting at `j`: `--+`, `..+`, `. . .`.
fn multi_char_at(chars: &[char], j: usize) -> Option<usize> {
    let at = |k: usize| chars.get(k).copied();
    match (at(j), at(j + 1)) {
        (Some('-'), Some('-')) => {
            let mut k = j;
            while at(k) == Some('-') {
                k += 1;
            }
            Some(k)
        }
        (Some('.'), Some('.')) => {
            let mut k = j;
            while at(k) == Some('.') {
                k += 1;
            }
            Some(k)
        }
        (Some('.'), Some(w)) if w.is_whitespace() => {
            // (?:\.\s){2,}\.  with backtracking
            let mut pairs = 0;
            while at(j + 2 * pairs) == Some('.')
                && at(j + 2 * pairs + 1).is_some_and(char::is_whitespace)
            {
                pairs += 1;
            }
            if pairs >= 2 && at(j + 2 * pairs) == Some('.') {
                Some(j + 2 * pairs + 1)
            } else if pairs >= 3 {
                Some(j + 2 * (pairs - 1) + 1)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Punkt word tokens of one line (no newline inside), as strings.
fn word_tokenize_line(line: &str) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    let n = chars.len();
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let c = chars[i];
        if let Some(end) = multi_char_at(&chars, i) {
            out.push(chars[i..end].iter().collect());
            i = end;
            continue;
        }
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if cannot_start_word(c) {
            out.push(c.to_string());
            i += 1;
            continue;
        }
        let ends_word = |j: usize| -> bool {
            if j >= n {
                return true;
            }
            let d = chars[j];
            if d.is_whitespace() || is_non_word(d) || multi_char_at(&chars, j).is_some() {
                return true;
            }
            d == ','
                && (j + 1 >= n
                    || chars[j + 1].is_whitespace()
                    || is_non_word(chars[j + 1])
                    || multi_char_at(&chars, j + 1).is_some())
        };
        let mut j = i + 1;
        while !ends_word(j) {
            j += 1;
        }
        out.push(chars[i..j].iter().collect());
        i = j;
    }
    out
}

/// A word token with its Punkt annotations.
struct Token {
    tok: String,
    typ: String,
    period_final: bool,
    sentbreak: bool,
    abbr: bool,
    ellipsis: bool,
}

impl Token {
    fn new(tok: String) -> Token {
        let lower = tok.to_lowercase();
        let typ = if NUMERIC.is_match(&lower) {
            "##number##".to_string()
        } else {
            lower
        };
        let period_final = tok.ends_with('.');
        Token {
            tok,
            typ,
            period_final,
            sentbreak: false,
            abbr: false,
            ellipsis: false,
        }
    }

    fn type_no_period(&self) -> &str {
        if self.typ.chars().count() > 1 && self.typ.ends_with('.') {
            &self.typ[..self.typ.len() - 1]
        } else {
            &self.typ
        }
    }

    fn type_no_sentperiod(&self) -> &str {
        if self.sentbreak {
            self.type_no_period()
        } else {
            &self.typ
        }
    }

    fn first_upper(&self) -> bool {
        self.tok.chars().next().is_some_and(char::is_uppercase)
    }

    fn first_lower(&self) -> bool {
        self.tok.chars().next().is_some_and(char::is_lowercase)
    }

    fn is_ellipsis(&self) -> bool {
        self.tok.len() >= 2 && self.tok.chars().all(|c| c == '.')
    }

    /// `[^\W\d]\.` : one letter (or underscore) and a period.
    fn is_initial(&self) -> bool {
        let mut cs = self.tok.chars();
        matches!((cs.next(), cs.next(), cs.next()), (Some(c), Some('.'), None) if c.is_alphabetic() || c == '_')
    }
}

/// Tokens of a text, line by line, skipping blank lines (NLTK `_tokenize_words`).
fn tokenize_words(text: &str) -> Vec<Token> {
    text.split('\n')
        .filter(|line| !line.trim().is_empty())
        .flat_map(word_tokenize_line)
        .map(Token::new)
        .collect()
}

fn first_pass(tok: &mut Token, params: &Params) {
    if matches!(tok.tok.as_str(), "." | "?" | "!") {
        tok.sentbreak = true;
    } else if tok.is_ellipsis() {
        tok.ellipsis = true;
    } else if tok.period_final && !tok.tok.ends_with("..") {
        let stem = tok.tok[..tok.tok.len() - 1].to_lowercase();
        let last = stem.rsplit('-').next().unwrap_or("");
        if params.abbrev_types.contains(&stem) || params.abbrev_types.contains(last) {
            tok.abbr = true;
        } else {
            tok.sentbreak = true;
        }
    }
}

#[derive(PartialEq)]
enum Starter {
    Yes,
    No,
    Unknown,
}

fn ortho_heuristic(tok: &Token, params: &Params) -> Starter {
    if matches!(tok.tok.as_str(), ";" | ":" | "," | "." | "!" | "?") {
        return Starter::No;
    }
    let ortho = params.ortho(tok.type_no_sentperiod());
    if tok.first_upper() && ortho & ORTHO_LC != 0 && ortho & ORTHO_MID_UC == 0 {
        return Starter::Yes;
    }
    if tok.first_lower() && (ortho & ORTHO_UC != 0 || ortho & ORTHO_BEG_LC == 0) {
        return Starter::No;
    }
    Starter::Unknown
}

/// Second pass over the pair (`toks[i]`, `toks[i + 1]`), updating `toks[i]`.
fn second_pass(toks: &mut [Token], i: usize, params: &Params) {
    let (head, rest) = toks.split_at_mut(i + 1);
    let tok1 = &mut head[i];
    let Some(tok2) = rest.first() else { return };
    if !tok1.period_final {
        return;
    }
    let typ = tok1.type_no_period().to_string();
    let next_typ = tok2.type_no_sentperiod().to_string();
    let is_initial = tok1.is_initial();

    if params
        .collocations
        .contains(&(typ.clone(), next_typ.clone()))
    {
        tok1.sentbreak = false;
        tok1.abbr = true;
        return;
    }
    if (tok1.abbr || tok1.ellipsis) && !is_initial {
        if ortho_heuristic(tok2, params) == Starter::Yes {
            tok1.sentbreak = true;
            return;
        }
        if tok2.first_upper() && params.sent_starters.contains(&next_typ) {
            tok1.sentbreak = true;
            return;
        }
    }
    if is_initial || typ == "##number##" {
        let starter = ortho_heuristic(tok2, params);
        if starter == Starter::No {
            tok1.sentbreak = false;
            tok1.abbr = true;
            return;
        }
        if starter == Starter::Unknown
            && is_initial
            && tok2.first_upper()
            && params.ortho(&next_typ) & ORTHO_LC == 0
        {
            tok1.sentbreak = false;
            tok1.abbr = true;
        }
    }
}

/// Whether a context string holds a sentence break before its last token.
fn contains_sentbreak(context: &str, params: &Params) -> bool {
    let mut toks = tokenize_words(context);
    for t in toks.iter_mut() {
        first_pass(t, params);
    }
    for i in 0..toks.len() {
        second_pass(&mut toks, i, params);
    }
    let mut found = false;
    for t in &toks {
        if found {
            return true;
        }
        if t.sentbreak {
            found = true;
        }
    }
    false
}

/// A candidate boundary: the sentence-ending character at `start`, and what follows.
struct Candidate {
    start: usize,
    end: usize,
    /// End of the lookahead (`after_tok`).
    after_end: usize,
    /// Start of the next token when whitespace follows.
    next_tok: Option<usize>,
}

fn candidates(text: &str) -> Vec<Candidate> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    for (k, &(pos, c)) in chars.iter().enumerate() {
        if !matches!(c, '.' | '?' | '!') {
            continue;
        }
        let end = pos + c.len_utf8();
        let Some(&(_, next)) = chars.get(k + 1) else {
            continue;
        };
        if is_non_word(next) {
            out.push(Candidate {
                start: pos,
                end,
                after_end: end + next.len_utf8(),
                next_tok: None,
            });
        } else if next.is_whitespace() {
            let mut m = k + 1;
            while chars.get(m).is_some_and(|&(_, d)| d.is_whitespace()) {
                m += 1;
            }
            let Some(&(tok_start, _)) = chars.get(m) else {
                continue;
            };
            while chars.get(m).is_some_and(|&(_, d)| !d.is_whitespace()) {
                m += 1;
            }
            let after_end = chars.get(m).map_or(text.len(), |&(p, _)| p);
            out.push(Candidate {
                start: pos,
                end,
                after_end,
                next_tok: Some(tok_start),
            });
        }
    }
    out
}

/// Index of the last ASCII whitespace character in `s`, or 0 (Python `string.whitespace`).
fn last_whitespace_index(s: &str) -> usize {
    s.bytes()
        .rposition(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
        .unwrap_or(0)
}

/// Byte spans of the sentences of `text`, as NLTK's English Punkt tokenizer finds them.
pub(crate) fn sentence_spans(text: &str) -> Vec<(usize, usize)> {
    let params = &*PARAMS;
    // Candidate contexts: the word before the candidate, the candidate, and what follows.
    let mut contexts: Vec<(&Candidate, String)> = Vec::new();
    let cands = candidates(text);
    let mut prev: Option<(&Candidate, (usize, usize))> = None;
    let context_of = |c: &Candidate, word: (usize, usize)| {
        format!("{}{}", &text[word.0..word.1], &text[c.start..c.after_end])
    };
    for cand in &cands {
        let prev_stop = prev.map_or(0, |(_, s)| s.1);
        let prev_start = prev.map_or(0, |(_, s)| s.0);
        let before = &text[prev_stop..cand.start];
        let idx = last_whitespace_index(before);
        let word_start = if idx != 0 {
            prev_stop + idx + 1
        } else {
            prev_start
        };
        let word = (word_start, cand.start);
        if let Some((p, pslice)) = prev
            && pslice.1 <= word.0
        {
            contexts.push((p, context_of(p, pslice)));
        }
        prev = Some((cand, word));
    }
    if let Some((p, pslice)) = prev {
        contexts.push((p, context_of(p, pslice)));
    }

    let mut slices = Vec::new();
    let mut last_break = 0;
    for (cand, context) in contexts {
        if contains_sentbreak(&context, params) {
            slices.push((last_break, cand.end));
            last_break = cand.next_tok.unwrap_or(cand.end);
        }
    }
    slices.push((last_break, text.trim_end().len()));
    realign(text, &slices)
}

/// Move closing quotes and brackets that open a sentence back onto the previous one.
fn realign(text: &str, slices: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let non_empty = |s: (usize, usize)| s.0 < s.1;
    let mut out = Vec::new();
    let mut shift = 0;
    for (k, &(start, stop)) in slices.iter().enumerate() {
        let s1 = (start + shift, stop);
        let Some(&(s2_start, s2_stop)) = slices.get(k + 1) else {
            if non_empty(s1) {
                out.push(s1);
            }
            continue;
        };
        let s2_text = if s2_start < s2_stop {
            &text[s2_start..s2_stop]
        } else {
            ""
        };
        match realignment_match(s2_text) {
            Some((closing_len, match_len)) => {
                out.push((s1.0, s2_start + closing_len));
                shift = match_len;
            }
            None => {
                shift = 0;
                if non_empty(s1) {
                    out.push(s1);
                }
            }
        }
    }
    out
}

/// `["')\]}‘’“”«»]+?(?:\s+|(?=--)|$)` matched at the start of `s`: (bytes of the
/// closing characters, bytes of the whole match).
fn realignment_match(s: &str) -> Option<(usize, usize)> {
    let mut closing = 0;
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if !is_realign_char(c) {
            return None;
        }
        closing += c.len_utf8();
        rest = &rest[c.len_utf8()..];
        let ws: usize = rest
            .chars()
            .take_while(|d| d.is_whitespace())
            .map(char::len_utf8)
            .sum();
        if ws > 0 {
            return Some((closing, closing + ws));
        }
        if rest.is_empty() || rest.starts_with("--") {
            return Some((closing, closing));
        }
    }
    None
}

/// Number of sentences, as IFEval's `count_sentences`.
pub(crate) fn count_sentences(text: &str) -> usize {
    sentence_spans(text).len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentences(text: &str) -> Vec<&str> {
        sentence_spans(text)
            .into_iter()
            .map(|(a, b)| &text[a..b])
            .collect()
    }

    #[test]
    fn embedded_parameters_load() {
        let p = &*PARAMS;
        assert_eq!(p.abbrev_types.len(), 156);
        assert_eq!(p.sent_starters.len(), 39);
        assert_eq!(p.collocations.len(), 37);
        assert_eq!(p.ortho_context.len(), 20366);
        assert!(p.abbrev_types.contains("mr"));
    }

    #[test]
    fn abbreviations_and_initials_do_not_end_sentences() {
        let text = "Punkt knows that the periods in Mr. Smith and Johann S. Bach\ndo not mark sentence boundaries.  And sometimes sentences\ncan start with non-capitalized words.  i is a good variable\nname.";
        assert_eq!(
            sentences(text),
            vec![
                "Punkt knows that the periods in Mr. Smith and Johann S. Bach\ndo not mark sentence boundaries.",
                "And sometimes sentences\ncan start with non-capitalized words.",
                "i is a good variable\nname."
            ]
        );
    }

    #[test]
    fn closing_punctuation_is_realigned() {
        let text = "(How does it deal with this parenthesis?)  \"It should be part of the\nprevious sentence.\" \"(And the same with this one.)\" ('And this one!')\n\"('(And (this)) '?)\" [(and this. )]";
        assert_eq!(
            sentences(text),
            vec![
                "(How does it deal with this parenthesis?)",
                "\"It should be part of the\nprevious sentence.\"",
                "\"(And the same with this one.)\"",
                "('And this one!')",
                "\"('(And (this)) '?)\"",
                "[(and this. )]"
            ]
        );
    }

    #[test]
    fn repeated_marks_make_one_boundary() {
        assert_eq!(
            sentences("Very bad acting!!! I promise."),
            vec!["Very bad acting!!!", "I promise."]
        );
    }

    #[test]
    fn lines_without_punctuation_are_one_sentence() {
        assert_eq!(count_sentences("The sea is wide\nThe sky is blue"), 1);
        assert_eq!(count_sentences(""), 0);
        assert_eq!(count_sentences("   \n "), 0);
    }

    #[test]
    fn word_tokens_split_punctuation_but_not_periods() {
        assert_eq!(
            word_tokenize_line("Hello, (world) e.g. end... -- x?"),
            vec![
                "Hello", ",", "(", "world", ")", "e.g.", "end", "...", "--", "x", "?"
            ]
        );
    }
}
