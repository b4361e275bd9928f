//! Numbers and quantities in instructions: "at least 300", "fewer than ten",
//! "5 or 6", "20 to 25", "150+", "twice".

use regex::Captures;

use crate::requirements::Relation;

/// Regex fragment for a number written with digits or as an English word.
pub(super) const NUM: &str = r"(?:\d+|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred)";

/// Regex fragment for a quantity: optional relation words, a number, an optional
/// suffix (`+`, `or more`, `or less`) or range (`to M`, `or M`, `-M`).
/// Named groups: `pre`, `n`, `post`, `m`.
pub(super) const QUANT: &str = r"(?:(?P<pre>at\s+least|no\s+(?:fewer|less)\s+than|not\s+(?:fewer|less)\s+than|(?:a\s+)?minimum\s+of|at\s+most|no\s+more\s+than|not\s+more\s+than|(?:a\s+)?maximum\s+of|up\s+to|fewer\s+than|less\s+than|under|below|more\s+than|over|greater\s+than|(?:no\s+)?longer\s+than|shorter\s+than|exactly|only|just|in\s+the\s+range\s+of|between)\s+)?(?P<n>\d+|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred)(?P<post>\s*\+|\s+or\s+(?:more|above|greater|fewer|less|below)|\s*(?:to|-|–|—|and)\s*(?P<m>\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|hundred)|\s+or\s+(?P<m2>\d+|one|two|three|four|five|six|seven|eight|nine|ten))?";

/// Regex fragment placed after a unit: "300 words *or more*". Named group `tail`.
pub(super) const TAIL: &str =
    r"(?P<tail>\s+or\s+(?:more|above|greater|fewer|less|below)\b|\s+at\s+(?:most|least)\b)?";

/// The value of a number word or digits.
pub(super) fn number(word: &str) -> Option<usize> {
    let w = word.trim().to_lowercase();
    if let Ok(n) = w.parse::<usize>() {
        return Some(n);
    }
    Some(match w.as_str() {
        "zero" | "no" | "none" => 0,
        "a" | "an" | "one" | "once" | "single" => 1,
        "two" | "twice" | "both" | "couple" => 2,
        "three" | "thrice" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        "ten" => 10,
        "eleven" => 11,
        "twelve" => 12,
        "thirteen" => 13,
        "fourteen" => 14,
        "fifteen" => 15,
        "sixteen" => 16,
        "seventeen" => 17,
        "eighteen" => 18,
        "nineteen" => 19,
        "twenty" => 20,
        "thirty" => 30,
        "forty" => 40,
        "fifty" => 50,
        "sixty" => 60,
        "seventy" => 70,
        "eighty" => 80,
        "ninety" => 90,
        "hundred" => 100,
        _ => return None,
    })
}

/// Ordinal words: "first" → 1 … "tenth" → 10, and "1st", "2nd", ….
pub(super) fn ordinal(word: &str) -> Option<usize> {
    let w = word.trim().to_lowercase();
    let digits: String = w.chars().take_while(char::is_ascii_digit).collect();
    if !digits.is_empty() {
        return digits.parse().ok();
    }
    Some(match w.as_str() {
        "first" => 1,
        "second" => 2,
        "third" => 3,
        "fourth" => 4,
        "fifth" => 5,
        "sixth" => 6,
        "seventh" => 7,
        "eighth" => 8,
        "ninth" => 9,
        "tenth" => 10,
        _ => return None,
    })
}

/// The relations a [`QUANT`] match states; a bare number takes `bare`.
/// A range "N to M" gives two relations (at least N, at most M).
pub(super) fn relations(caps: &Captures<'_>, bare: Relation) -> Vec<(Relation, usize)> {
    let Some(n) = caps.name("n").and_then(|m| number(m.as_str())) else {
        return Vec::new();
    };
    let upper = caps
        .name("m")
        .or_else(|| caps.name("m2"))
        .and_then(|m| number(m.as_str()));
    if let Some(m) = upper
        && m > n
    {
        return vec![(Relation::AtLeast, n), (Relation::AtMost, m)];
    }
    let post = caps
        .name("post")
        .or_else(|| caps.name("tail"))
        .map(|m| {
            m.as_str()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        })
        .unwrap_or_default();
    if post == "at least" {
        return vec![(Relation::AtLeast, n)];
    }
    if post == "at most" {
        return vec![(Relation::AtMost, n)];
    }
    if post == "+" || post.ends_with("more") || post.ends_with("above") || post.ends_with("greater")
    {
        return vec![(Relation::AtLeast, n)];
    }
    if post.ends_with("fewer") || post.ends_with("less") || post.ends_with("below") {
        return vec![(Relation::AtMost, n)];
    }
    let pre = caps
        .name("pre")
        .map(|m| {
            m.as_str()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        })
        .unwrap_or_default();
    let relation = match pre.as_str() {
        "at least" | "no fewer than" | "no less than" | "not fewer than" | "not less than"
        | "a minimum of" | "minimum of" => Relation::AtLeast,
        "at most" | "no more than" | "not more than" | "a maximum of" | "maximum of" | "up to"
        | "longer than" | "no longer than" => Relation::AtMost,
        "fewer than" | "less than" | "under" | "below" | "shorter than" => Relation::LessThan,
        "more than" | "over" | "greater than" => Relation::MoreThan,
        "exactly" | "only" | "just" => Relation::Exactly,
        _ => bare,
    };
    vec![(relation, n)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;

    fn rel(text: &str) -> Vec<(Relation, usize)> {
        let re = Regex::new(&format!(r"(?i)\b{QUANT}\s+words\b{TAIL}")).unwrap();
        let caps = re.captures(text).unwrap();
        relations(&caps, Relation::Exactly)
    }

    #[test]
    fn quantities_read_as_relations() {
        assert_eq!(rel("at least 300 words"), vec![(Relation::AtLeast, 300)]);
        assert_eq!(rel("fewer than ten words"), vec![(Relation::LessThan, 10)]);
        assert_eq!(rel("at most 150 words"), vec![(Relation::AtMost, 150)]);
        assert_eq!(rel("100 words or less"), vec![(Relation::AtMost, 100)]);
        assert_eq!(rel("17 words or more"), vec![(Relation::AtLeast, 17)]);
        assert_eq!(
            rel("100 to 120 words"),
            vec![(Relation::AtLeast, 100), (Relation::AtMost, 120)]
        );
        assert_eq!(
            rel("5 or 6 words"),
            vec![(Relation::AtLeast, 5), (Relation::AtMost, 6)]
        );
        assert_eq!(rel("300+ words"), vec![(Relation::AtLeast, 300)]);
        assert_eq!(rel("more than 800 words"), vec![(Relation::MoreThan, 800)]);
        assert_eq!(rel("exactly 4 words"), vec![(Relation::Exactly, 4)]);
        assert_eq!(rel("4 words"), vec![(Relation::Exactly, 4)]);
    }

    #[test]
    fn number_words() {
        assert_eq!(number("Twenty"), Some(20));
        assert_eq!(number("twice"), Some(2));
        assert_eq!(number("42"), Some(42));
        assert_eq!(number("many"), None);
        assert_eq!(ordinal("third"), Some(3));
        assert_eq!(ordinal("2nd"), Some(2));
    }
}
