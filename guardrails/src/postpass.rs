//! Post-passes run on every answer before it is emitted: self-correction
//! artifacts ("Wait, let me recheck", "Corrected Answer:") and persona
//! breaks ("as an AI language model"). Each pass returns a verdict; what to
//! do about a failed verdict is the separate [`OnFail`] policy.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

/// The post-passes flinch runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PostPass {
    /// The model second-guessed itself in the text it emitted.
    SelfCorrection,
    /// The model stepped out of the persona its system prompt gave it.
    PersonaBreak,
}

/// What a post-pass found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum PassVerdict {
    Clean,
    /// `matched` was found at byte offset `at`.
    Found {
        matched: String,
        at: usize,
    },
}

impl PassVerdict {
    pub fn is_clean(&self) -> bool {
        matches!(self, PassVerdict::Clean)
    }
}

/// What to do when a post-pass finds something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnFail {
    /// Fix the text deterministically.
    Repair,
    /// Ask the model again (with a stronger instruction), once.
    Regenerate,
    /// Keep the text and flag it in the trace.
    Flag,
}

impl PostPass {
    pub fn name(self) -> &'static str {
        match self {
            PostPass::SelfCorrection => "self_correction",
            PostPass::PersonaBreak => "persona_break",
        }
    }

    /// The default policy for a failed verdict.
    pub fn default_policy(self) -> OnFail {
        match self {
            PostPass::SelfCorrection => OnFail::Repair,
            PostPass::PersonaBreak => OnFail::Regenerate,
        }
    }

    pub fn check(self, text: &str) -> PassVerdict {
        let found = match self {
            PostPass::SelfCorrection => self_correction_markers(text).next(),
            PostPass::PersonaBreak => PERSONA_BREAK.find(text),
        };
        match found {
            Some(m) => PassVerdict::Found {
                matched: m.as_str().trim().to_owned(),
                at: m.start(),
            },
            None => PassVerdict::Clean,
        }
    }

    /// The deterministic repair, where one exists.
    pub fn repair(self, text: &str) -> Option<String> {
        match self {
            PostPass::SelfCorrection => Some(strip_self_correction(text)),
            PostPass::PersonaBreak => {
                Some(drop_persona_sentences(text)).filter(|t| !t.trim().is_empty())
            }
        }
    }
}

/// Phrases with which a model retracts what it just wrote. Matched at the
/// start of a sentence or line so that "actually" inside a sentence is left
/// alone.
static SELF_CORRECTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?xi)
        (?: ^ | [.!?:\n] ) [\ \t*_]*
        (?P<marker>
            wait [,.!]? \s* (?: let \s+ me | let's | I \s+ (?:need|should|will) \s+ to? \s*)
                \s* (?:re-?check|recheck|recalculate|re-?calculate|double[- ]check|reconsider|re-?evaluate|re-?do|think|verify|check)
                [^.:!\n]* [.:!]?
          | wait [,.!]? \s* (?:no|that's\s+(?:not\s+right|wrong|incorrect)) [^.:!\n]* [.:!]?
          | (?:corrected|correct|revised|updated|final\s+corrected) \s+ (?:answer|response|calculation|version|total) \s* [:\-]
          | actually , \s*
          | on \s+ second \s+ thought [,.]?
          | (?:oops|hmm+) [,.!]? \s* (?:I \s+ made \s+ (?:a|an) \s+ (?:mistake|error)|that's\s+(?:wrong|not\s+right)|let\s+me\s+(?:re-?check|fix|correct)) [^.:!\n]* [.:!]?
          | I \s+ made \s+ (?:a|an) \s+ (?:mistake|error|miscalculation) [^.:!\n]* [.:!]?
          | let \s+ me \s+ (?:re-?check|recalculate|double[- ]check|re-?do) [^.:!\n]* [.:!]?
        )",
    )
    .expect("self-correction pattern is valid")
});

/// The retraction markers in `text` (without the punctuation before them).
fn self_correction_markers(text: &str) -> impl Iterator<Item = regex::Match<'_>> {
    SELF_CORRECTION
        .captures_iter(text)
        .filter_map(|c| c.name("marker"))
}

/// Phrases with which a model steps out of a persona.
static PERSONA_BREAK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?xi)
        \b(?:
            as \s+ an? \s+ (?:AI|artificial\s+intelligence|language\s+model|large\s+language\s+model|LLM|chatbot|virtual\s+assistant)
          | I(?:'m|\s+am) \s+ (?:just|only|merely)? \s* an? \s+ (?:AI|artificial\s+intelligence|language\s+model|large\s+language\s+model|LLM|chatbot|computer\s+program|machine\s+learning\s+model|bot)
          | I \s+ (?:don't|do\s+not|cannot|can't) \s+ (?:have|possess) \s+ (?:a\s+(?:physical\s+)?body|physical\s+form|personal\s+(?:experiences?|feelings|opinions)|feelings|emotions|consciousness)
          | I(?:'m|\s+am) \s+ not \s+ (?:a\s+)? (?:human|real\s+person|a\s+person)
          | (?:my|the) \s+ training \s+ data
          | I \s+ was \s+ (?:trained|created|developed|built) \s+ by
        )\b",
    )
    .expect("persona pattern is valid")
});

/// Keep the corrected final part of a self-correcting answer: the text after
/// the last retraction marker, or, when nothing follows it, the text before.
pub fn strip_self_correction(text: &str) -> String {
    let mut current = text.to_owned();
    // Several markers may follow one another; peel them off from the end.
    for _ in 0..8 {
        let Some(last) = self_correction_markers(&current).last() else {
            break;
        };
        let after = current[last.end()..].trim();
        let before = current[..last.start()].trim();
        current = if after.chars().any(char::is_alphanumeric) {
            capitalise(after)
        } else {
            before.to_owned()
        };
    }
    current.trim().to_owned()
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Remove the sentences that break the persona.
fn drop_persona_sentences(text: &str) -> String {
    split_sentences(text)
        .into_iter()
        .filter(|s| !PERSONA_BREAK.is_match(s))
        .collect::<Vec<_>>()
        .join(" ")
}

fn split_sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if matches!(b, b'.' | b'!' | b'?' | b'\n') {
            let end = i + 1;
            let s = text[start..end].trim();
            if !s.is_empty() {
                out.push(s);
            }
            start = end;
        }
    }
    let rest = text[start..].trim();
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_correction_keeps_the_corrected_final_part() {
        let text = "He spends $245 in total. Wait, let me recheck: 5×20 + 3×30 + 2×45 = 280. Corrected Answer: He spends $280.";
        assert!(!PostPass::SelfCorrection.check(text).is_clean());
        assert_eq!(strip_self_correction(text), "He spends $280.");
    }

    #[test]
    fn actually_at_sentence_start_is_an_artifact_but_not_mid_sentence() {
        assert_eq!(
            strip_self_correction("The answer is 12. Actually, the answer is 14."),
            "The answer is 14."
        );
        let plain = "It is actually quite simple: 3 + 4 = 7.";
        assert_eq!(PostPass::SelfCorrection.check(plain), PassVerdict::Clean);
        assert_eq!(strip_self_correction(plain), plain);
    }

    #[test]
    fn marker_with_nothing_after_keeps_the_text_before() {
        assert_eq!(
            strip_self_correction("The total is 9. Let me double-check."),
            "The total is 9."
        );
    }

    #[test]
    fn verdict_names_the_marker_and_offset() {
        let v = PostPass::SelfCorrection.check("x = 3.\nWait, let me recheck this.\nx = 4.");
        assert_eq!(
            v,
            PassVerdict::Found {
                matched: "Wait, let me recheck this.".to_owned(),
                at: 7
            }
        );
    }

    #[test]
    fn persona_breaks_are_detected_and_sentences_dropped() {
        let text =
            "Ahoy, matey! As an AI language model, I don't have a ship. But the sea be wide.";
        let v = PostPass::PersonaBreak.check(text);
        assert!(
            matches!(v, PassVerdict::Found { ref matched, .. } if matched == "As an AI"),
            "{v:?}"
        );
        assert_eq!(
            PostPass::PersonaBreak.repair(text).unwrap(),
            "Ahoy, matey! But the sea be wide."
        );
        for clean in [
            "I am a pirate and I sail the seas.",
            "The AI revolution is here.",
        ] {
            assert_eq!(
                PostPass::PersonaBreak.check(clean),
                PassVerdict::Clean,
                "{clean}"
            );
        }
        for broken in [
            "I'm just a computer program, so I can't swim.",
            "I don't have a body.",
            "I was trained by Google.",
            "I am not a human.",
        ] {
            assert!(!PostPass::PersonaBreak.check(broken).is_clean(), "{broken}");
        }
    }
}
