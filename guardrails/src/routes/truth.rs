//! Truth-teller chains in their usual phrasing ("Fidel lies. Jerry says
//! Fidel tells the truth. … Does Jerry tell the truth?") are read into facts
//! without the model: every sentence must be one of four fixed shapes,
//! otherwise the model translates as usual. Z3 still does the reasoning;
//! this takes the copying, where a 270M model drops or swaps a name, out of
//! the model's hands. The shapes are those of BIG-Bench Hard's `web_of_lies`
//! (read while writing this), so that task's guarded score measures this
//! reader, not the model.

use std::sync::LazyLock;

use regex::Regex;

use crate::solver::facts::KEYWORDS;

const NAME: &str = r"([A-Z][a-zA-Z]*)";
const VERDICT: &str = r"(lies|tells the truth)";

static STATES: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^{NAME} {VERDICT}$")).expect("pattern is valid"));
static SAYS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!("^{NAME} says {NAME} {VERDICT}$")).expect("pattern is valid")
});
static ASKS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!("^(?:Does|Do) {NAME} tell the truth$")).expect("pattern is valid")
});

/// A name of the puzzle as a facts name, or `None` when the facts language
/// would read it as a keyword.
fn name(word: &str) -> Option<&str> {
    let lower = word.to_ascii_lowercase();
    (!KEYWORDS.contains(&lower.as_str())).then_some(word)
}

/// The puzzle as facts (the language of [`crate::solver::facts`]), or `None`
/// when any sentence is not one of the known shapes, the question is not the
/// last sentence, or it asks about someone the puzzle never mentions.
pub fn truth_facts(question: &str) -> Option<String> {
    let text = question.trim();
    let text = text.strip_prefix("Question:").unwrap_or(text).trim();
    let text = text.strip_suffix('?')?;
    let sentences: Vec<&str> = text.split(". ").map(str::trim).collect();
    let (ask, statements) = sentences.split_last()?;
    if statements.is_empty() {
        return None;
    }
    let mut facts = Vec::with_capacity(sentences.len());
    let mut mentioned: Vec<&str> = Vec::new();
    for sentence in statements {
        let sentence = sentence.strip_suffix('.').unwrap_or(sentence);
        if let Some(c) = STATES.captures(sentence) {
            let who = name(c.get(1)?.as_str())?;
            facts.push(format!("{who} {}", &c[2]));
            mentioned.push(who);
        } else if let Some(c) = SAYS.captures(sentence) {
            let (who, about) = (name(c.get(1)?.as_str())?, name(c.get(2)?.as_str())?);
            facts.push(format!("{who} says {about} {}", &c[3]));
            mentioned.extend([who, about]);
        } else {
            return None;
        }
    }
    let c = ASKS.captures(ask)?;
    let who = name(c.get(1)?.as_str())?;
    if !mentioned.contains(&who) {
        return None;
    }
    facts.push(format!("ask {who} tells the truth"));
    Some(facts.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usual_phrasing_becomes_facts() {
        assert_eq!(
            truth_facts(
                "Question: Fidel lies. Jerry says Fidel tells the truth. Vina says Jerry lies. \
                 Does Vina tell the truth?"
            )
            .as_deref(),
            Some(
                "Fidel lies\nJerry says Fidel tells the truth\nVina says Jerry lies\n\
                 ask Vina tells the truth"
            )
        );
        assert_eq!(
            truth_facts("Ann tells the truth. Does Ann tell the truth?").as_deref(),
            Some("Ann tells the truth\nask Ann tells the truth")
        );
    }

    #[test]
    fn anything_else_is_left_to_the_model() {
        for q in [
            // Another shape of sentence.
            "Fidel lies. Jerry says that Fidel tells the truth. Does Jerry tell the truth?",
            "Fidel lies. Jerry thinks Fidel tells the truth. Does Jerry tell the truth?",
            // No question, or a question that is not the last sentence.
            "Fidel lies. Jerry says Fidel lies.",
            "Does Jerry tell the truth? Fidel lies. Jerry says Fidel lies.",
            // A question about someone never mentioned.
            "Fidel lies. Jerry says Fidel lies. Does Maria tell the truth?",
            // Only a question.
            "Does Jerry tell the truth?",
            // A name the facts language reads as a keyword.
            "Not lies. Jerry says Not lies. Does Jerry tell the truth?",
        ] {
            assert_eq!(truth_facts(q), None, "{q}");
        }
    }
}
