//! MT-bench: `question.jsonl` rows `{"question_id", "category", "turns":
//! [t1, t2], "reference"?}`; optionally `reference_answer/gpt-4.jsonl` (the
//! GPT-4 answers a judge model compares with). Every question gives two
//! items, `<id>/1` and `<id>/2`; the second continues the conversation with
//! the first turn's answer in the same mode. All first turns come before all
//! second turns, so a batch never holds a turn and its follow-up.
//!
//! The gold of a turn is its reference answer with the hand-made check of
//! `benchmarks/checks/mt-bench-reference-checks.jsonl`, which applies only
//! when the reference text is exactly the one the check was written for.

use std::collections::HashMap;
use std::path::Path;

use anyhow::bail;
use serde::Deserialize;

use crate::suite::{Gold, Item, Previous, RawPrompt, RefCheck, Suite};

const CHECKS: &str = include_str!("../../checks/mt-bench-reference-checks.jsonl");

#[derive(Deserialize)]
struct Question {
    question_id: u64,
    category: String,
    turns: Vec<String>,
    #[serde(default)]
    reference: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct Answer {
    question_id: u64,
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    turns: Vec<String>,
}

#[derive(Deserialize)]
struct CheckRow {
    question_id: u64,
    turn: usize,
    reference: String,
    check: RefCheck,
}

/// The hand-made checks, by (question id, turn).
pub fn checks() -> HashMap<(u64, usize), (String, RefCheck)> {
    CHECKS
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<CheckRow>(l).expect("the committed checks parse (tested)"))
        .map(|r| ((r.question_id, r.turn), (r.reference, r.check)))
        .collect()
}

pub fn load(dir: &Path) -> anyhow::Result<Vec<Item>> {
    let questions_path = if dir.is_dir() {
        dir.join("question.jsonl")
    } else {
        dir.to_path_buf()
    };
    let questions: Vec<Question> = super::jsonl(
        &questions_path,
        "an MT-bench question {\"question_id\", \"category\", \"turns\"}",
    )?;
    if questions.is_empty() {
        bail!("{}: no MT-bench questions", questions_path.display());
    }
    let gpt4 = dir.join("reference_answer/gpt-4.jsonl");
    let judge_refs: HashMap<u64, Vec<String>> = if gpt4.is_file() {
        super::jsonl::<Answer>(&gpt4, "an MT-bench answer {\"question_id\", \"choices\"}")?
            .into_iter()
            .filter_map(|a| Some((a.question_id, a.choices.into_iter().next()?.turns)))
            .collect()
    } else {
        HashMap::new()
    };
    let checks = checks();
    let mut rank_in_category: HashMap<String, usize> = HashMap::new();
    let mut firsts = Vec::new();
    let mut seconds = Vec::new();
    for (group, q) in questions.into_iter().enumerate() {
        if q.turns.is_empty() {
            bail!(
                "{}: question {} has no turns",
                questions_path.display(),
                q.question_id
            );
        }
        let rank = {
            let r = rank_in_category.entry(q.category.clone()).or_default();
            *r += 1;
            *r - 1
        };
        for (t, text) in q.turns.iter().enumerate() {
            let turn = t + 1;
            let reference = q
                .reference
                .as_ref()
                .and_then(|r| r.get(t))
                .filter(|r| !r.trim().is_empty());
            let gold = match reference {
                Some(r) => Gold::Reference {
                    reference: r.clone(),
                    check: checks
                        .get(&(q.question_id, turn))
                        .filter(|(written_for, _)| written_for == r)
                        .map(|(_, c)| c.clone()),
                },
                None => Gold::None,
            };
            let item = Item {
                suite: Suite::MtBench,
                task: q.category.clone(),
                id: format!("{}/{turn}", q.question_id),
                question: text.clone(),
                gold,
                raw: RawPrompt::Chat,
                rank,
                group,
                previous: (t > 0).then(|| Previous {
                    id: format!("{}/{}", q.question_id, t),
                    question: q.turns[t - 1].clone(),
                }),
                judge_references: judge_refs.get(&q.question_id).cloned().unwrap_or_default(),
            };
            if t == 0 {
                firsts.push(item)
            } else {
                seconds.push(item)
            }
        }
    }
    if seconds
        .iter()
        .any(|i| i.previous.as_ref().is_some_and(|p| !p.id.ends_with("/1")))
    {
        bail!(
            "{}: questions with more than two turns are not supported",
            questions_path.display()
        );
    }
    firsts.extend(seconds);
    Ok(firsts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_copy_loads_with_checks_and_judge_references() {
        let items = load(&Suite::MtBench.default_data()).unwrap();
        assert_eq!(items.len(), 160);
        assert!(
            items[..80]
                .iter()
                .all(|i| i.id.ends_with("/1") && i.previous.is_none())
        );
        let t2 = items.iter().find(|i| i.id == "81/2").unwrap();
        assert_eq!(t2.previous.as_ref().unwrap().id, "81/1");
        assert_eq!(t2.task, "writing");
        let checked = items
            .iter()
            .filter(|i| matches!(i.gold, Gold::Reference { check: Some(_), .. }))
            .count();
        assert_eq!(
            checked, 33,
            "every committed check matches its reference text"
        );
        let q119 = items.iter().find(|i| i.id == "119/1").unwrap();
        assert_eq!(
            q119.gold,
            Gold::Reference {
                reference: "280".into(),
                check: Some(RefCheck::Number {
                    value: "280".into()
                })
            }
        );
        assert_eq!(q119.judge_references.len(), 2);
        assert!(
            items
                .iter()
                .find(|i| i.id == "81/1")
                .unwrap()
                .judge_references
                .is_empty()
        );
        assert_eq!(items.iter().filter(|i| i.gold == Gold::None).count(), 90);
    }
}
