//! LogicBench(Eval): `<BQA|MCQA>/<logic type>/<rule>/data_instances.json`,
//! each `{"type", "axiom", "samples": [...]}`. A BQA sample has a context
//! and yes/no question pairs (one item per pair); an MCQA sample has a
//! context, a question and four choices (`choice_1`…`choice_4`, written as
//! options `(A)`…`(D)`). The task of an item is `<logic type>/<rule>`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::suite::{Gold, Item, RawPrompt, Suite};
use crate::templates::Template;

#[derive(Deserialize)]
struct File<S> {
    samples: Vec<S>,
}

#[derive(Deserialize)]
struct Bqa {
    id: serde_json::Value,
    context: String,
    qa_pairs: Vec<QaPair>,
}

#[derive(Deserialize)]
struct QaPair {
    question: String,
    answer: String,
}

#[derive(Deserialize)]
struct Mcqa {
    id: serde_json::Value,
    context: String,
    question: String,
    choices: BTreeMap<String, String>,
    answer: String,
}

/// `(task, file)` for every `data_instances.json` under `root/part`, sorted.
fn task_files(root: &Path, part: &str) -> anyhow::Result<Vec<(String, PathBuf)>> {
    // Accept the LogicBench(Eval) folder itself or its parent.
    let base = if root.join(part).is_dir() {
        root.join(part)
    } else if root.join("LogicBench(Eval)").join(part).is_dir() {
        root.join("LogicBench(Eval)").join(part)
    } else {
        bail!(
            "{}: no `{part}/` folder (expected the LogicBench(Eval) folder)",
            root.display()
        );
    };
    let mut out = Vec::new();
    for logic in sorted_dirs(&base)? {
        for rule in sorted_dirs(&logic)? {
            let file = rule.join("data_instances.json");
            if file.is_file() {
                let name = |p: &Path| {
                    p.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                };
                out.push((format!("{}/{}", name(&logic), name(&rule)), file));
            }
        }
    }
    if out.is_empty() {
        bail!(
            "{}: no `<logic type>/<rule>/data_instances.json` files",
            base.display()
        );
    }
    Ok(out)
}

fn sorted_dirs(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    Ok(dirs)
}

fn id_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub fn load_bqa(root: &Path) -> anyhow::Result<Vec<Item>> {
    let mut items = Vec::new();
    for (task, file) in task_files(root, "BQA")? {
        let f: File<Bqa> = super::json(
            &file,
            "a LogicBench BQA file {\"samples\": [{\"id\", \"context\", \"qa_pairs\"}]}",
        )?;
        let mut rank = 0;
        for s in f.samples {
            for (k, qa) in s.qa_pairs.into_iter().enumerate() {
                let answer = qa.answer.trim().to_lowercase();
                if answer != "yes" && answer != "no" {
                    bail!(
                        "{}: sample {}: answer {:?} is not yes or no",
                        file.display(),
                        id_text(&s.id),
                        qa.answer
                    );
                }
                let question = format!("{}\n{}", s.context.trim(), qa.question.trim());
                let text = Template::LogicbenchBqaCot.render(&[("question", &question)])?;
                let group = items.len();
                items.push(Item {
                    suite: Suite::LogicbenchBqa,
                    task: task.clone(),
                    id: format!("{task}/{}/{k}", id_text(&s.id)),
                    question,
                    gold: Gold::Answer(answer),
                    raw: RawPrompt::Completion {
                        prompt_id: "logicbench-bqa-cot-2shot".to_owned(),
                        text,
                        stop: super::stops(),
                    },
                    rank,
                    group,
                    previous: None,
                    judge_references: Vec::new(),
                });
                rank += 1;
            }
        }
    }
    Ok(items)
}

pub fn load_mcqa(root: &Path) -> anyhow::Result<Vec<Item>> {
    let mut items = Vec::new();
    for (task, file) in task_files(root, "MCQA")? {
        let f: File<Mcqa> = super::json(
            &file,
            "a LogicBench MCQA file {\"samples\": [{\"id\", \"context\", \"question\", \"choices\", \"answer\"}]}",
        )?;
        for (rank, s) in f.samples.into_iter().enumerate() {
            let sid = id_text(&s.id);
            let mut options = String::new();
            let mut gold = None;
            for k in 1..=s.choices.len() {
                let key = format!("choice_{k}");
                let text = s.choices.get(&key).with_context(|| {
                    format!(
                        "{}: sample {sid}: choices must be choice_1..choice_{}",
                        file.display(),
                        s.choices.len()
                    )
                })?;
                let letter = char::from(b'A' + (k as u8 - 1));
                options.push_str(&format!("\n({letter}) {}", text.trim()));
                if s.answer.trim() == key {
                    gold = Some(format!("({letter})"));
                }
            }
            let gold = gold.with_context(|| {
                format!(
                    "{}: sample {sid}: answer {:?} is not a choice",
                    file.display(),
                    s.answer
                )
            })?;
            let question = format!(
                "{}\n{}\nOptions:{options}",
                s.context.trim(),
                s.question.trim()
            );
            let text = Template::LogicbenchMcqaCot.render(&[("question", &question)])?;
            let group = items.len();
            items.push(Item {
                suite: Suite::LogicbenchMcqa,
                task: task.clone(),
                id: format!("{task}/{sid}"),
                question,
                gold: Gold::Answer(gold),
                raw: RawPrompt::Completion {
                    prompt_id: "logicbench-mcqa-cot-2shot".to_owned(),
                    text,
                    stop: super::stops(),
                },
                rank,
                group,
                previous: None,
                judge_references: Vec::new(),
            });
        }
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_copy_loads() {
        let bqa = load_bqa(&Suite::LogicbenchBqa.default_data()).unwrap();
        assert_eq!(bqa.len(), 1520);
        assert_eq!(
            bqa.iter()
                .filter(|i| i.gold == Gold::Answer("yes".into()))
                .count(),
            520
        );
        let mut tasks: Vec<&str> = bqa.iter().map(|i| i.task.as_str()).collect();
        tasks.dedup();
        assert_eq!(tasks.len(), 25);
        let mcqa = load_mcqa(&Suite::LogicbenchMcqa.default_data()).unwrap();
        assert_eq!(mcqa.len(), 500);
        let mt = mcqa
            .iter()
            .find(|i| i.id == "first_order_logic/modus_tollens/1")
            .unwrap();
        assert_eq!(mt.gold, Gold::Answer("(C)".into()));
        assert!(mt.question.ends_with("\nOptions:\n(A) jim doesn't visit the park\n(B) amy doesn't visit the park\n(C) john doesn't visit the park\n(D) sarah doesn't visit the park"));
        // The parent folder is accepted too.
        let parent = Suite::LogicbenchBqa
            .default_data()
            .parent()
            .unwrap()
            .to_path_buf();
        assert_eq!(load_bqa(&parent).unwrap().len(), 1520);
    }
}
