//! GSM8K: `{"question", "answer"}` rows whose answer ends in `#### N`.
//! Raw mode is 8-shot chain of thought with the first 8 *train* solutions as
//! exemplars (`benchmarks/prompts/gsm8k-cot-8shot.txt`, regenerated and
//! compared by a test from `train.jsonl` with [`fewshot_from_train`]).

use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::suite::{Gold, Item, RawPrompt, Suite};
use crate::templates::Template;

/// Exemplars in the raw prompt.
pub const SHOTS: usize = 8;

#[derive(Deserialize)]
struct Row {
    question: String,
    answer: String,
}

/// The final answer of a GSM8K solution (`#### 1,450,000` → `1450000`).
pub fn final_answer(solution: &str) -> Option<String> {
    let (_, last) = solution.rsplit_once("#### ")?;
    let a = last.trim().replace(',', "");
    (!a.is_empty()).then_some(a)
}

pub fn load(path: &Path) -> anyhow::Result<Vec<Item>> {
    let rows: Vec<Row> = super::jsonl(path, "a GSM8K row {\"question\", \"answer\"}")?;
    if rows.is_empty() {
        bail!("{}: no GSM8K rows", path.display());
    }
    rows.into_iter()
        .enumerate()
        .map(|(i, r)| {
            let gold = final_answer(&r.answer).with_context(|| {
                format!(
                    "{}: row {}: the answer has no `#### N` line",
                    path.display(),
                    i + 1
                )
            })?;
            let question = r.question.trim().to_owned();
            let text = Template::Gsm8kCot.render(&[("question", &question)])?;
            Ok(Item {
                suite: Suite::Gsm8k,
                task: String::new(),
                id: i.to_string(),
                question,
                gold: Gold::Answer(gold),
                raw: RawPrompt::Completion {
                    prompt_id: "gsm8k-cot-8shot".to_owned(),
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

/// The exemplar block of the raw prompt, from GSM8K train: the first `n`
/// rows, each as `Q: question` / `A: reasoning The answer is N.` with the
/// calculator notes `<<…>>` removed and the solution's lines joined into one
/// (a line without final punctuation gets a full stop).
pub fn fewshot_from_train(train: &str, n: usize) -> anyhow::Result<String> {
    let notes = regex::Regex::new(r"<<[^>]*>>").expect("pattern is valid");
    let mut out = String::new();
    for (i, line) in train
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(n)
        .enumerate()
    {
        let row: Row =
            serde_json::from_str(line).with_context(|| format!("train row {}", i + 1))?;
        let Some((solution, answer)) = row.answer.rsplit_once("\n#### ") else {
            bail!("train row {}: no `#### N` line", i + 1);
        };
        let solution = notes.replace_all(solution, "");
        let steps: Vec<String> = solution
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| {
                if l.ends_with(['.', '!', '?']) {
                    l.to_owned()
                } else {
                    format!("{l}.")
                }
            })
            .collect();
        out.push_str(&format!(
            "Q: {}\nA: {} The answer is {}.\n\n",
            row.question.trim(),
            steps.join(" "),
            answer.trim()
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_answers_drop_separators() {
        assert_eq!(
            final_answer("a\n#### 1,450,000").as_deref(),
            Some("1450000")
        );
        assert_eq!(final_answer("x = -3\n#### -3").as_deref(), Some("-3"));
        assert_eq!(final_answer("no marker"), None);
        assert_eq!(final_answer("#### "), None);
    }

    #[test]
    fn committed_prompt_is_the_first_eight_train_solutions() {
        let train =
            std::fs::read_to_string(Path::new(crate::suite::DATA_DIR).join("gsm8k/train.jsonl"))
                .unwrap();
        let expected = fewshot_from_train(&train, SHOTS).unwrap() + "Q: {question}\nA:";
        assert_eq!(Template::Gsm8kCot.text(), expected);
    }

    #[test]
    fn no_exemplar_is_a_test_item() {
        let test = std::fs::read_to_string(Suite::Gsm8k.default_data()).unwrap();
        for line in test.lines() {
            let row: Row = serde_json::from_str(line).unwrap();
            assert!(
                !Template::Gsm8kCot.text().contains(row.question.trim()),
                "{}",
                row.question
            );
        }
    }

    #[test]
    fn exemplar_format() {
        let train = r#"{"question": "Q1 ?", "answer": "a = <<2*3=6>>6\nSo b is 7\n#### 7"}"#;
        assert_eq!(
            fewshot_from_train(train, 8).unwrap(),
            "Q: Q1 ?\nA: a = 6. So b is 7. The answer is 7.\n\n"
        );
    }
}
