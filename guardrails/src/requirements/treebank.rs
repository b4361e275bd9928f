//! Word tokens as `nltk.word_tokenize` makes them (Punkt sentences, then NLTK's
//! improved Treebank rules), which IFEval's `capital_word_frequency` counts.
//!
//! Written for flinch from the rule list of NLTK 3.10's `NLTKWordTokenizer`.
//! The callers test `isupper` on each token, so only token boundaries matter;
//! the rules are applied in NLTK's order. Possessive quantifiers are replaced by
//! greedy ones (equivalent here), and the two rules with lookaround are applied
//! by hand. Parentheses are not converted to `-LRB-` (NLTK's default too).

use std::sync::LazyLock;

use regex::Regex;

use super::punkt;

struct Rules {
    starting: Vec<(Regex, &'static str)>,
    punctuation: Vec<(Regex, &'static str)>,
    brackets: Regex,
    ending: Vec<(Regex, &'static str)>,
    contractions: Vec<Regex>,
}

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("valid treebank regex")
}

static RULES: LazyLock<Rules> = LazyLock::new(|| Rules {
    starting: vec![
        (re("([«“‘„]|[`]+)"), " $1 "),
        (re(r#"^""#), " `` "),
        (re(r#"([ (\[{<])("|'')"#), "$1 `` "),
    ],
    punctuation: vec![
        (re(r#"([^.])(\.)([\])}>"'»”’ ]*)\s*$"#), "$1 $2 $3 "),
        (re(r"([:,])([^\d])"), " $1 $2"),
        (re(r"([:,])$"), " $1 "),
        (re(r"\.{2,}"), " $0 "),
        (re(r"[;@#$%&]"), " $0 "),
        (re("[\u{2012}-\u{2015}]"), " $0 "),
        (re(r#"([^.])(\.)([\])}>"']*)\s*$"#), "$1 $2$3 "),
        (re(r"[?!]"), " $0 "),
        (re(r"([^'])' "), "$1 ' "),
        (re(r"[*]"), " $0 "),
    ],
    brackets: re(r"[\]\[(){}<>]"),
    ending: vec![
        (re("([»”’])"), " $1 "),
        (re("''"), " '' "),
        (re("\""), " '' "),
        (re(r"\s+"), " "),
        (re(r"([^' ])('[sS]|'[mM]|'[dD]|') "), "$1 $2 "),
        (re(r"([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) "), "$1 $2 "),
    ],
    contractions: vec![
        re(r"(?i)\b(can)(not)\b"),
        re(r"(?i)\b(d)('ye)\b"),
        re(r"(?i)\b(gim)(me)\b"),
        re(r"(?i)\b(gon)(na)\b"),
        re(r"(?i)\b(got)(ta)\b"),
        re(r"(?i)\b(lem)(me)\b"),
        re(r"(?i)\b(more)('n)\b"),
        re(r"(?i)\b(wan)(na)(\s)"),
        re(r"(?i) ('t)(is)\b"),
        re(r"(?i) ('t)(was)\b"),
    ],
});

fn apply(text: String, rules: &[(Regex, &str)]) -> String {
    rules
        .iter()
        .fold(text, |t, (r, with)| r.replace_all(&t, *with).into_owned())
}

/// A leading `'` before a word that is not a contraction (`'re`, `'s`, …) is split off:
/// NLTK's `(?<!\w)(\')(?!(?:re|ve|ll|m|t|s|d|n)\b)(?=\w)`.
fn split_opening_single_quotes(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = String::with_capacity(text.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        out.push(c);
        if c != '\'' {
            continue;
        }
        let after_word = i > 0 && is_word(chars[i - 1]);
        let before_word = chars.get(i + 1).is_some_and(|&d| is_word(d));
        if after_word || !before_word {
            continue;
        }
        let rest: String = chars[i + 1..]
            .iter()
            .take(3)
            .collect::<String>()
            .to_lowercase();
        let contraction = ["re", "ve", "ll", "m", "t", "s", "d", "n"]
            .iter()
            .any(|suffix| {
                rest.starts_with(suffix)
                    && !chars.get(i + 1 + suffix.len()).is_some_and(|&d| is_word(d))
            });
        if !contraction {
            out.push(' ');
        }
    }
    out
}

/// Treebank tokens of one sentence.
fn tokenize_sentence(sentence: &str) -> Vec<String> {
    let rules = &*RULES;
    let mut text = apply(sentence.to_string(), &rules.starting);
    text = split_opening_single_quotes(&text);
    text = apply(text, &rules.punctuation);
    text = rules.brackets.replace_all(&text, " $0 ").into_owned();
    text = text.replace("--", " -- ");
    text = format!(" {text} ");
    text = apply(text, &rules.ending);
    for r in &rules.contractions {
        let with = if r.captures_len() == 4 {
            " $1 $2 $3"
        } else {
            " $1 $2 "
        };
        text = r.replace_all(&text, with).into_owned();
    }
    text.split_whitespace().map(str::to_string).collect()
}

/// `nltk.word_tokenize(text)`: Punkt sentences, then Treebank tokens of each.
pub(crate) fn word_tokenize(text: &str) -> Vec<String> {
    punkt::sentence_spans(text)
        .into_iter()
        .flat_map(|(a, b)| tokenize_sentence(&text[a..b]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nltk_doc_example() {
        let s = "Good muffins cost $3.88 (roughly 3,36 euros)\nin New York.  Please buy me\ntwo of them.\nThanks.";
        assert_eq!(
            word_tokenize(s),
            vec![
                "Good", "muffins", "cost", "$", "3.88", "(", "roughly", "3,36", "euros", ")", "in",
                "New", "York", ".", "Please", "buy", "me", "two", "of", "them", ".", "Thanks", "."
            ]
        );
    }

    #[test]
    fn contractions_are_split() {
        assert_eq!(
            word_tokenize("I DON'T know, she can't."),
            vec!["I", "DO", "N'T", "know", ",", "she", "ca", "n't", "."]
        );
        assert_eq!(
            word_tokenize("JOHN'S cannot"),
            vec!["JOHN", "'S", "can", "not"]
        );
        assert_eq!(
            word_tokenize("'Hello' he said"),
            vec!["'", "Hello", "'", "he", "said"]
        );
    }
}
