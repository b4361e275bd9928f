//! ProntoQA (Logic-LM format): a JSON array of `{"id", "context",
//! "question", "options": ["A) True", "B) False"], "answer": "A"}`. The gold
//! is the option's label (`True`/`False`); raw mode is a hand-written
//! 2-shot chain of thought over invented words.

use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::suite::{Gold, Item, RawPrompt, Suite};
use crate::templates::Template;

#[derive(Deserialize)]
struct Row {
    id: String,
    context: String,
    question: String,
    options: Vec<String>,
    answer: String,
}

/// The label of option `letter` among options written `A) True`.
fn option_label(options: &[String], letter: &str) -> Option<String> {
    options.iter().find_map(|o| {
        let (l, text) = o.split_once(')')?;
        (l.trim() == letter.trim()).then(|| text.trim().to_owned())
    })
}

pub fn load(path: &Path) -> anyhow::Result<Vec<Item>> {
    let rows: Vec<Row> = super::json(
        path,
        "a ProntoQA array [{\"id\", \"context\", \"question\", \"options\", \"answer\"}]",
    )?;
    if rows.is_empty() {
        bail!("{}: no ProntoQA items", path.display());
    }
    rows.into_iter()
        .enumerate()
        .map(|(i, r)| {
            let label = option_label(&r.options, &r.answer).with_context(|| {
                format!(
                    "{}: item {}: answer {:?} is not one of the options {:?}",
                    path.display(),
                    r.id,
                    r.answer,
                    r.options
                )
            })?;
            if label != "True" && label != "False" {
                bail!(
                    "{}: item {}: option {label:?} is not True or False",
                    path.display(),
                    r.id
                );
            }
            let question = format!("{}\n{}", r.context.trim(), r.question.trim());
            let text = Template::ProntoqaCot.render(&[("question", &question)])?;
            Ok(Item {
                suite: Suite::Prontoqa,
                task: String::new(),
                id: r.id,
                question,
                gold: Gold::Answer(label),
                raw: RawPrompt::Completion {
                    prompt_id: "prontoqa-cot-2shot".to_owned(),
                    text,
                    stop: super::stops(),
                },
                rank: i,
                group: i,
                previous: None,
                judge_references: Vec::new(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_copy_loads_with_labels() {
        let items = load(&Suite::Prontoqa.default_data()).unwrap();
        assert_eq!(items.len(), 500);
        assert_eq!(items[0].id, "ProntoQA_1");
        assert_eq!(items[0].gold, Gold::Answer("False".into()));
        assert!(
            items[0].question.ends_with(
                "Max is a yumpus.\nIs the following statement true or false? Max is sour."
            )
        );
        let trues = items
            .iter()
            .filter(|i| i.gold == Gold::Answer("True".into()))
            .count();
        assert_eq!(trues, 258);
    }
}
