//! Family-counting puzzles in their usual phrasing ("David has three sisters.
//! Each of his sisters has one brother. How many brothers does David have?")
//! are read into facts without the model: every sentence must match one of a
//! few fixed shapes, otherwise the model translates as usual. Z3 still does
//! the reasoning (a brother counted among his sisters' brothers is the
//! classic trap); this only takes the translation, where a 270M model copies
//! its example's numbers and genders, out of the model's hands.

use std::sync::LazyLock;

use regex::Regex;

use crate::solver::facts::NUMBER_WORDS;

static HAS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?i:([a-z]+) has (\w+) (sisters?|brothers?)(?: and (\w+) (sisters?|brothers?))?)$",
    )
    .expect("pattern is valid")
});
static EACH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?i:(?:each|every one|all) of (?:his|her|them|\w+'s) ?(sisters|brothers)? ha(?:s|ve) (\w+) (sisters?|brothers?))$",
    )
    .expect("pattern is valid")
});
static ASK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?i:how many (sisters|brothers|siblings) does ([a-z]+) have)$")
        .expect("pattern is valid")
});
static IS_A: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?i:([a-z]+) is a (boy|girl))$").expect("pattern is valid"));

fn number(word: &str) -> Option<u32> {
    word.parse().ok().or_else(|| {
        NUMBER_WORDS
            .iter()
            .position(|w| w.eq_ignore_ascii_case(word))
            .map(|n| n as u32)
    })
}

fn plural(rel: &str) -> String {
    let rel = rel.to_ascii_lowercase();
    if rel.ends_with('s') {
        rel
    } else {
        format!("{rel}s")
    }
}

/// The puzzle as facts (the language of [`crate::solver::facts`]), or `None`
/// when any sentence is not one of the known shapes.
pub fn family_facts(question: &str) -> Option<String> {
    let sentences: Vec<&str> = question
        .split(['.', '?', '!'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let lower = format!(
        " {} ",
        question.to_lowercase().replace(['.', ',', '?', '!'], " ")
    );
    let he = lower.contains(" his ") || lower.contains(" he ");
    let she = lower.contains(" her ") || lower.contains(" she ");
    let mut facts = Vec::new();
    let mut subject: Option<String> = None;
    let mut last_relation: Option<String> = None;
    let mut asked = false;
    for sentence in sentences {
        if let Some(c) = HAS.captures(sentence) {
            let name = c[1].to_owned();
            facts.push(format!("{} {name} = {}", plural(&c[3]), number(&c[2])?));
            last_relation = Some(plural(&c[3]));
            if let (Some(n), Some(rel)) = (c.get(4), c.get(5)) {
                facts.push(format!(
                    "{} {name} = {}",
                    plural(rel.as_str()),
                    number(n.as_str())?
                ));
                last_relation = None;
            }
            subject = Some(name);
        } else if let Some(c) = EACH.captures(sentence) {
            let members = match c.get(1) {
                Some(m) => plural(m.as_str()),
                None => last_relation.clone()?,
            };
            let member = members.trim_end_matches('s').to_owned();
            facts.push(format!("{} {member} = {}", plural(&c[3]), number(&c[2])?));
        } else if let Some(c) = ASK.captures(sentence) {
            facts.push(format!("ask {} {}", c[1].to_ascii_lowercase(), &c[2]));
            asked = true;
        } else if let Some(c) = IS_A.captures(sentence) {
            facts.push(format!("{} {}", c[2].to_ascii_lowercase(), &c[1]));
        } else {
            return None;
        }
    }
    let subject = subject?;
    if !asked {
        return None;
    }
    let stated = facts
        .iter()
        .any(|f| f == &format!("boy {subject}") || f == &format!("girl {subject}"));
    if !stated {
        match (he, she) {
            (true, false) => facts.insert(0, format!("boy {subject}")),
            (false, true) => facts.insert(0, format!("girl {subject}")),
            _ => {}
        }
    }
    Some(facts.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usual_phrasings_become_facts() {
        assert_eq!(
            family_facts("David has three sisters. Each of his sisters has one brother. How many brothers does David have?")
                .as_deref(),
            Some("boy David\nsisters David = 3\nbrothers sister = 1\nask brothers David")
        );
        assert_eq!(
            family_facts("Mia has 2 brothers. Each of them has three sisters. How many sisters does Mia have?")
                .as_deref(),
            Some("brothers Mia = 2\nsisters brother = 3\nask sisters Mia")
        );
        assert_eq!(
            family_facts(
                "Sally is a girl. Sally has 3 brothers. Each brother has 2 sisters. How many sisters does Sally have?"
            ),
            None,
            "`Each brother` is not one of the shapes: the model translates"
        );
    }

    #[test]
    fn anything_else_is_left_to_the_model() {
        assert_eq!(
            family_facts(
                "David has three sisters. They like apples. How many brothers does David have?"
            ),
            None
        );
        assert_eq!(
            family_facts("David has three sisters."),
            None,
            "no question"
        );
        assert_eq!(
            family_facts("How many brothers does David have?"),
            None,
            "no facts"
        );
    }
}
