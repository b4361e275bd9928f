//! The router: which route a question takes, from deterministic signals in
//! its text. The caller parses the question's structural requirements once
//! and passes them in, so the constrained route gets the same list.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

/// The routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteKind {
    /// Arithmetic: the model writes a program, the sandbox computes it.
    Calculator,
    /// Logic puzzles: the model writes facts or SMT-LIB, Z3 solves them.
    Logic,
    /// Explicit structural requirements: draft → verify → refine.
    Constrained,
    /// Everything else: guarded generation.
    Chat,
}

impl RouteKind {
    pub const ALL: [RouteKind; 4] = [
        RouteKind::Calculator,
        RouteKind::Logic,
        RouteKind::Constrained,
        RouteKind::Chat,
    ];

    pub fn name(self) -> &'static str {
        match self {
            RouteKind::Calculator => "calculator",
            RouteKind::Logic => "logic",
            RouteKind::Constrained => "constrained",
            RouteKind::Chat => "chat",
        }
    }

    pub fn from_name(name: &str) -> Option<RouteKind> {
        RouteKind::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// The router's decision and the signal that made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub route: RouteKind,
    pub reason: String,
}

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("router pattern is valid")
}

/// Puzzle structure: family counting, orderings, truth-tellers, entailment.
static LOGIC: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    vec![
        (
            re(
                r"(?i)\bhow many (?:brothers|sisters|siblings|sons|daughters|children|cousins|aunts|uncles|nephews|nieces|grandchildren)\b",
            ),
            "a family-counting puzzle",
        ),
        (
            re(
                r"(?i)\b(?:tells? the truth|truth-?tellers?|\bliars?\b|\blies\b|knights? and knaves?|always lies)",
            ),
            "a truth-teller/liar puzzle",
        ),
        (
            re(
                r"(?i)\bwho (?:is|was|finished|came|arrived|sits?|stands?|ranks?|placed)\b.{0,20}\b(?:first|second|third|fourth|fifth|last|oldest|youngest|tallest|shortest|leftmost|rightmost|middle|fastest|slowest)\b",
            ),
            "an ordering puzzle",
        ),
        (
            re(
                r"(?i)\b(?:(?:to the )?(?:left|right) of|finished (?:before|after|above|below)|(?:is|are) (?:older|younger|taller|shorter|heavier|lighter|cheaper|more expensive) than)\b.*\b(?:which|who|what) of\b|\bfixed order\b|\bparagraphs each describe\b",
            ),
            "an ordering puzzle",
        ),
        (
            re(
                r"(?i)\b(?:is it true that|does it follow|can (?:we|you|it be) (?:conclude|infer)|must (?:it )?be true|necessarily true|true or false\??$|is the (?:following )?(?:statement|claim) true)\b",
            ),
            "an entailment question",
        ),
        (
            re(
                r"(?i)(?:^|[.!?]\s+)(?:all|every|each|no) [a-z]+s? (?:is|are)\b[^.?!]*[.!]\s.*\?\s*$",
            ),
            "rules and a question about them",
        ),
    ]
});

/// A question about an amount.
static AMOUNT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:how (?:much|many|long|far|old|fast|tall|heavy)|what(?:'s| is| was| will be) (?:the |its |his |her |their )?(?:[a-z]+ )?(?:total|sum|difference|product|average|mean|cost|price|value|amount|number|area|perimeter|volume|speed|distance|profit|percentage|ratio)|what percent(?:age)?|what fraction|calculate|compute|evaluate|in total|altogether|in all|remain(?:s|ing)?|left over|how (?:much|many) (?:more|less|fewer)|total (?:cost|number|amount)|what is \d|what's \d)",
    )
});

/// A yes/no question: it opens with an auxiliary verb ("Can we say …?",
/// "Is it …?", "Does she …?").
static YES_NO: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(?:can|could|does|do|did|is|are|was|were|will|would|should|must|has|have|had|may|might)\b",
    )
});

/// The text's last question: the sentence that ends at its last "?" (options
/// after it, as in "…must be true? (a) … (b) …", are not part of it). A
/// sentence ends at a line break or at ".", "!" or "?" before a space, so
/// "$4.50" does not split it; opening quotes are dropped.
fn final_question(text: &str) -> Option<&str> {
    let end = text.rfind('?')?;
    let before = &text[..end];
    let start = before
        .char_indices()
        .rfind(|&(i, c)| {
            c == '\n'
                || (matches!(c, '.' | '!' | '?')
                    && before[i + 1..].starts_with(char::is_whitespace))
        })
        .map_or(0, |(i, _)| i + 1);
    Some(
        text[start..=end]
            .trim_start()
            .trim_start_matches(['"', '\'', '“', '‘']),
    )
}

/// Whether the text's last question is a yes/no question that does not ask for
/// an amount: its numbers are premises, not something to compute ("…
/// remains ambiguous. Can we say at least one must be true?").
fn asks_yes_no(text: &str) -> bool {
    final_question(text).is_some_and(|q| YES_NO.is_match(q) && !AMOUNT.is_match(q))
}

/// Numbers, as digits or common number words.
static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|dozen|half|twice|double|triple)\b",
    )
});

/// The question itself is a formula (`((3 + 4) * -2) =`, `What is 12*7?`,
/// `How much is sqrt(144)?`): an optional asking phrase, then digits,
/// operators, brackets and square roots (the `body`), at most an `=` and a
/// question mark.
static FORMULA: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(?:(?:what\s+is|what['’]s|how\s+much\s+is)(?:\s+the\s+value\s+of)?|calculate|compute|evaluate|find)?\s*(?P<body>(?:[-+*/%().\d\s^×÷]|sqrt\(|factorial\()*?)\s*=?\s*\??\s*$",
    )
});

/// What makes a body a formula, not a number alone: an operator between
/// two numbers, or a square root or factorial of one.
static OPERATION: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\d[-+*/%().\s^×÷]*[*/+\-×÷^%][-+*/%().\s^×÷]*\d|(?:sqrt|factorial)\s*\(\s*[-(.\s]*\d")
});

/// A number, a hyphen and a fraction with no space between (`2-1/2`).
static MIXED: LazyLock<Regex> = LazyLock::new(|| re(r"\d-\d+/\d"));

/// A writing task (compose, list, explain …) rather than a question.
static WRITING: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(?:please\s+)?(?:write|compose|draft|create|generate|give|list|describe|explain|summari[sz]e|rewrite|tell|make|produce|answer|plan|suggest|translate|prepare)\b",
    )
});

/// Whether the question is itself a formula (`What is 12*7?`, `What is
/// seventeen times four?`: numbers and operators in words count, see
/// [`crate::routes::spoken`]).
pub fn is_formula(question: &str) -> bool {
    formula(question).is_some()
}

/// The formula a question is, as written (with numbers, operators and
/// named operations in words rewritten, see [`crate::routes::spoken`]):
/// `What is seventeen times four?` → `17 * 4`.
pub fn formula(question: &str) -> Option<String> {
    let text = crate::routes::spoken::arithmetic(question);
    let body = FORMULA.captures(&text)?.name("body")?.as_str().trim();
    // `2-1/2` may be the mixed number 2½.
    let mixed = MIXED.is_match(body);
    (OPERATION.is_match(body) && !mixed).then(|| body.to_owned())
}

/// Route a question. `requirement_count` is the number of structural
/// requirements the caller parsed from it.
pub fn route(question: &str, requirement_count: usize) -> Decision {
    let decide = |route, reason: &str| Decision {
        route,
        reason: reason.to_owned(),
    };
    if requirement_count > 0 && WRITING.is_match(question) {
        return decide(
            RouteKind::Constrained,
            &format!("a writing task with {requirement_count} explicit requirement(s)"),
        );
    }
    if is_formula(question) {
        return decide(RouteKind::Calculator, "the question is a formula");
    }
    if crate::routes::compare::read(question).is_some() {
        return decide(RouteKind::Calculator, "a comparison of two formulas");
    }
    if crate::routes::logic::boolean_term(question).is_some() {
        return decide(RouteKind::Logic, "a Boolean expression");
    }
    if let Some((_, why)) = LOGIC.iter().find(|(r, _)| r.is_match(question)) {
        return decide(RouteKind::Logic, why);
    }
    if crate::routes::inventory::read(question).is_some() {
        return decide(RouteKind::Calculator, "a list of things to count");
    }
    if NUMBER.is_match(question) && AMOUNT.is_match(question) && !asks_yes_no(question) {
        return decide(
            RouteKind::Calculator,
            "numbers with a question for an amount",
        );
    }
    if requirement_count > 0 {
        return decide(
            RouteKind::Constrained,
            &format!("{requirement_count} explicit requirement(s)"),
        );
    }
    decide(RouteKind::Chat, "no tool signal")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_final_question_is_the_sentence_before_the_last_question_mark() {
        assert_eq!(
            final_question("It rains. Can we say it is wet? (a) yes (b) no"),
            Some("Can we say it is wet?")
        );
        assert_eq!(
            final_question("Tom has $4.50. Can he buy a $3.25 pen?"),
            Some("Can he buy a $3.25 pen?")
        );
        assert_eq!(final_question("Intro\n\"Is it red?"), Some("Is it red?"));
        assert_eq!(final_question("No question here."), None);
    }

    #[test]
    fn a_comparison_of_two_formulas_goes_to_the_calculator() {
        for q in ["Is 17 * 23 greater than 400?", "Does 2^10 equal 1024?"] {
            assert_eq!(route(q, 0).route, RouteKind::Calculator, "{q}");
        }
        // Numbers and operators in words too.
        for q in [
            "Is seventeen greater than four?",
            "Is twenty-three times three less than seventy?",
        ] {
            assert_eq!(route(q, 0).route, RouteKind::Calculator, "{q}");
        }
    }

    #[test]
    fn a_formula_in_words_goes_to_the_calculator() {
        for q in [
            "What is seventeen times four?",
            "Calculate two hundred divided by 8",
        ] {
            assert_eq!(route(q, 0).reason, "the question is a formula", "{q}");
        }
        // Number words in a sentence that is not a formula stay where they were.
        assert_eq!(
            route("What is one thing you like?", 0).route,
            RouteKind::Chat
        );
    }

    #[test]
    fn a_yes_no_question_about_premises_is_not_an_amount_question() {
        assert!(asks_yes_no(
            "Two of the statements remain unknown. Can we say at least one must be true?"
        ));
        // The last question asks for an amount.
        assert!(!asks_yes_no("Is it sunny? How many apples remain?"));
        assert!(!asks_yes_no("Can you tell me how many apples remain?"));
        assert!(!asks_yes_no("What is 3 + 4?"));
    }
}
