//! BIG-Bench Hard: `<task>.json` files `{"examples": [{"input", "target"}]}`
//! and `cot-prompts/<task>.txt` 3-shot chain-of-thought prompts (a canary
//! line and a `-----` line first, dropped). Raw mode is the standard BBH
//! prompt: the task's CoT prompt, `Q: input`, `A: Let's think step by step.`

use std::path::Path;

use anyhow::bail;
use serde::Deserialize;

use crate::suite::{AnswerKind, Gold, Item, RawPrompt, Suite};
use crate::templates::Template;

/// The tasks of this repository's BBH copy.
pub const TASKS: [&str; 11] = [
    "boolean_expressions",
    "date_understanding",
    "dyck_languages",
    "logical_deduction_five_objects",
    "logical_deduction_seven_objects",
    "logical_deduction_three_objects",
    "multistep_arithmetic_two",
    "navigate",
    "object_counting",
    "web_of_lies",
    "word_sorting",
];

/// How a task's answers compare; a task not listed here is compared by the
/// shape of its gold answer ([`AnswerKind::Exact`]).
pub fn answer_kind(task: &str) -> AnswerKind {
    match task {
        "multistep_arithmetic_two" | "object_counting" => AnswerKind::Number,
        "boolean_expressions" => AnswerKind::Label(&["True", "False"]),
        "web_of_lies" | "navigate" => AnswerKind::Label(&["Yes", "No"]),
        "date_understanding"
        | "logical_deduction_three_objects"
        | "logical_deduction_five_objects"
        | "logical_deduction_seven_objects" => AnswerKind::Choice,
        "word_sorting" => AnswerKind::Words,
        "dyck_languages" => AnswerKind::Brackets,
        _ => AnswerKind::Exact,
    }
}

#[derive(Deserialize)]
struct TaskFile {
    examples: Vec<Example>,
}

#[derive(Deserialize)]
struct Example {
    input: String,
    target: String,
}

/// The exemplars of a CoT prompt file, without the canary header.
pub fn cot_examples(text: &str) -> String {
    let body = match text.split_once("\n-----\n") {
        Some((head, rest)) if head.contains("canary") || !head.contains('\n') => rest,
        _ => text,
    };
    body.trim().to_owned()
}

pub fn load(dir: &Path) -> anyhow::Result<Vec<Item>> {
    if !dir.is_dir() {
        bail!(
            "{} is not a folder: BBH data is a folder with `<task>.json` files and `cot-prompts/`",
            dir.display()
        );
    }
    let mut tasks: Vec<String> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            name.strip_suffix(".json").map(str::to_owned)
        })
        .collect();
    tasks.sort();
    if tasks.is_empty() {
        bail!("{}: no `<task>.json` files", dir.display());
    }
    let mut items = Vec::new();
    for task in tasks {
        let cot_path = dir.join("cot-prompts").join(format!("{task}.txt"));
        if !cot_path.is_file() {
            bail!(
                "{}: task {task} has no chain-of-thought prompt (expected {})",
                dir.display(),
                cot_path.display()
            );
        }
        let examples = cot_examples(&super::read(&cot_path)?);
        let file: TaskFile = super::json(
            &dir.join(format!("{task}.json")),
            "a BBH task {\"examples\": [{\"input\", \"target\"}]}",
        )?;
        for (i, ex) in file.examples.into_iter().enumerate() {
            let question = ex.input.trim().to_owned();
            let text =
                Template::BbhCot.render(&[("examples", &examples), ("question", &question)])?;
            let group = items.len();
            items.push(Item {
                suite: Suite::Bbh,
                task: task.clone(),
                id: format!("{task}/{i}"),
                question,
                gold: Gold::Answer(ex.target.trim().to_owned()),
                raw: RawPrompt::Completion {
                    prompt_id: format!("bbh-cot-3shot/{task}"),
                    text,
                    stop: super::stops(),
                },
                rank: i,
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
    fn the_repository_copy_loads_with_its_prompts() {
        let items = load(&Suite::Bbh.default_data()).unwrap();
        assert_eq!(items.len(), 2200);
        let mut tasks: Vec<&str> = items.iter().map(|i| i.task.as_str()).collect();
        tasks.dedup();
        assert_eq!(tasks, TASKS);
        let first = items.iter().find(|i| i.id == "object_counting/0").unwrap();
        assert_eq!(first.gold, Gold::Answer("8".into()));
        let RawPrompt::Completion { text, .. } = &first.raw else {
            panic!()
        };
        assert!(
            text.starts_with("Questions that involve enumerating objects"),
            "{text:.80}"
        );
        assert!(!text.contains("canary"));
        assert!(text.ends_with(&format!(
            "\n\nQ: {}\nA: Let's think step by step.",
            first.question
        )));
        // Exactly three exemplars before the question.
        assert_eq!(
            text.matches("\nQ: ").count() + usize::from(text.starts_with("Q: ")),
            4
        );
    }

    #[test]
    fn header_is_dropped_only_when_present() {
        assert_eq!(
            cot_examples("BENCHMARK canary GUID x\n-----\nTask.\n\nQ: a\nA: b\n"),
            "Task.\n\nQ: a\nA: b"
        );
        assert_eq!(cot_examples("Task.\n\nQ: a\nA: b"), "Task.\n\nQ: a\nA: b");
    }
}
