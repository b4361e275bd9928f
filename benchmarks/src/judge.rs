//! An optional local judge for MT-bench (`--judge-model PATH`): any GGUF
//! model rates each answer with MT-bench's own single-answer judge prompts
//! (`judge_prompts.jsonl`: `single-v1`, `single-math-v1` when a reference
//! answer exists, and their `-multi-turn` variants for the second turn). The
//! rating is the `[[N]]` the judge writes. This is a small local model, not
//! GPT-4: its ratings are labelled with the judge's file name everywhere.

use std::collections::HashMap;
use std::path::Path;
use std::sync::LazyLock;

use anyhow::Context;
use flinch_engine::{GenerateRequest, Message, Prompt, Role};
use flinch_guardrails::{Llm, PromptStyle};
use regex::Regex;
use serde::Deserialize;

use crate::suite::Item;
use crate::tape::JudgeScore;

/// Token budget of a judgement.
pub const DEFAULT_JUDGE_TOKENS: usize = 384;

/// Categories FastChat judges against a reference answer.
const NEEDS_REFERENCE: [&str; 3] = ["math", "reasoning", "coding"];

#[derive(Debug, Clone, Deserialize)]
pub struct JudgePrompt {
    pub name: String,
    pub system_prompt: String,
    pub prompt_template: String,
}

/// The earlier turn of a second-turn judgement.
#[derive(Debug, Clone, Copy)]
pub struct FirstTurn<'a> {
    pub question: &'a str,
    pub answer: &'a str,
}

pub struct Judge {
    llm: Box<dyn Llm + Send>,
    model: String,
    prompts: HashMap<String, JudgePrompt>,
    max_tokens: usize,
}

static RATING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[\[(\d+(?:\.\d+)?)\]\]").expect("valid"));
static RATING_BACKUP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[(\d+(?:\.\d+)?)\]").expect("valid"));

/// The rating of a judgement: `[[N]]`, else `[N]` (as FastChat reads it),
/// kept only within 1–10.
pub fn parse_rating(text: &str) -> Option<f64> {
    let c = RATING
        .captures_iter(text)
        .last()
        .or_else(|| RATING_BACKUP.captures_iter(text).last())?;
    let v: f64 = c.get(1)?.as_str().parse().ok()?;
    (1.0..=10.0).contains(&v).then_some(v)
}

/// Read MT-bench's `judge_prompts.jsonl`.
pub fn load_prompts(path: &Path) -> anyhow::Result<HashMap<String, JudgePrompt>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading judge prompts {}", path.display()))?;
    let mut out = HashMap::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let p: JudgePrompt = serde_json::from_str(line).with_context(|| {
            format!(
                "{}:{}: not a judge prompt {{\"name\", \"system_prompt\", \"prompt_template\"}}",
                path.display(),
                i + 1
            )
        })?;
        out.insert(p.name.clone(), p);
    }
    for needed in [
        "single-v1",
        "single-math-v1",
        "single-v1-multi-turn",
        "single-math-v1-multi-turn",
    ] {
        if !out.contains_key(needed) {
            anyhow::bail!("{}: no `{needed}` judge prompt", path.display());
        }
    }
    Ok(out)
}

fn fill(template: &str, values: &[(&str, &str)]) -> String {
    // Placeholders are Python format fields; values are inserted once, never rescanned.
    let mut out = String::new();
    let mut rest = template;
    while let Some((at, key, value)) = values
        .iter()
        .filter_map(|(k, v)| rest.find(&format!("{{{k}}}")).map(|i| (i, *k, *v)))
        .min_by_key(|(i, _, _)| *i)
    {
        out.push_str(&rest[..at]);
        out.push_str(value);
        rest = &rest[at + key.len() + 2..];
    }
    out.push_str(rest);
    out
}

impl Judge {
    pub fn new(
        llm: Box<dyn Llm + Send>,
        model: String,
        prompts: HashMap<String, JudgePrompt>,
    ) -> Self {
        Self {
            llm,
            model,
            prompts,
            max_tokens: DEFAULT_JUDGE_TOKENS,
        }
    }

    /// The judge prompt for `answer` to `item`, and its name.
    pub fn prompt(
        &self,
        item: &Item,
        first: Option<FirstTurn<'_>>,
        answer: &str,
    ) -> anyhow::Result<(&'static str, Prompt)> {
        let with_ref =
            NEEDS_REFERENCE.contains(&item.task.as_str()) && !item.judge_references.is_empty();
        let name = match (with_ref, first.is_some()) {
            (false, false) => "single-v1",
            (true, false) => "single-math-v1",
            (false, true) => "single-v1-multi-turn",
            (true, true) => "single-math-v1-multi-turn",
        };
        let prompt = self
            .prompts
            .get(name)
            .with_context(|| format!("no `{name}` judge prompt"))?;
        let refs = |i: usize| item.judge_references.get(i).map_or("", String::as_str);
        let user = match first {
            None => fill(
                &prompt.prompt_template,
                &[
                    ("question", &item.question),
                    ("answer", answer),
                    ("ref_answer_1", refs(0)),
                ],
            ),
            Some(f) => fill(
                &prompt.prompt_template,
                &[
                    ("question_1", f.question),
                    ("answer_1", f.answer),
                    ("question_2", &item.question),
                    ("answer_2", answer),
                    ("ref_answer_1", refs(0)),
                    ("ref_answer_2", refs(1)),
                ],
            ),
        };
        let request = match self.llm.prompt_style() {
            PromptStyle::Chat => Prompt::Chat(vec![
                Message::new(Role::System, prompt.system_prompt.clone()),
                Message::new(Role::User, user),
            ]),
            PromptStyle::Completion => {
                Prompt::Text(format!("{}\n\n{user}\n\n", prompt.system_prompt))
            }
        };
        Ok((name, request))
    }

    /// Rate `answer` to `item` (the second turn also sees the first).
    pub fn rate(
        &mut self,
        item: &Item,
        first: Option<FirstTurn<'_>>,
        answer: &str,
    ) -> anyhow::Result<JudgeScore> {
        let (name, prompt) = self.prompt(item, first, answer)?;
        let g = self
            .llm
            .generate(
                GenerateRequest::greedy(prompt, self.max_tokens),
                &mut |_| {},
            )
            .context("the judge model failed")?;
        Ok(JudgeScore {
            model: self.model.clone(),
            prompt: name.to_owned(),
            rating: parse_rating(&g.text),
            output: g.text,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::{Gold, RawPrompt, Suite};
    use flinch_guardrails::ScriptedLlm;

    #[test]
    fn ratings_are_read_as_fastchat_reads_them() {
        assert_eq!(parse_rating("Good answer. Rating: [[8]]"), Some(8.0));
        assert_eq!(parse_rating("Rating: [7.5]"), Some(7.5));
        assert_eq!(parse_rating("[[3]] ... on reflection [[4]]"), Some(4.0));
        assert_eq!(parse_rating("Rating: [[11]]"), None);
        assert_eq!(parse_rating("no rating"), None);
    }

    #[test]
    fn the_math_prompt_gets_the_reference_and_the_rating_is_parsed() {
        let prompts =
            load_prompts(&Path::new(crate::suite::DATA_DIR).join("mt_bench/judge_prompts.jsonl"))
                .unwrap();
        let llm = ScriptedLlm::chat(["The answer matches the reference. Rating: [[9]]"]);
        let mut judge = Judge::new(Box::new(llm), "judge.gguf".into(), prompts);
        let item = Item {
            suite: Suite::MtBench,
            task: "math".into(),
            id: "119/1".into(),
            question: "How much did he spend?".into(),
            gold: Gold::None,
            raw: RawPrompt::Chat,
            rank: 0,
            group: 0,
            previous: None,
            judge_references: vec!["He spent 280.".into(), "350".into()],
        };
        let s = judge.rate(&item, None, "280").unwrap();
        assert_eq!(s.prompt, "single-math-v1");
        assert_eq!(s.rating, Some(9.0));
        assert_eq!(s.model, "judge.gguf");
        let user = |p: Prompt| match p {
            Prompt::Chat(m) => m[1].content.clone(),
            Prompt::Text(t) => t,
        };
        let (_, p) = judge.prompt(&item, None, "280").unwrap();
        let text = user(p);
        assert!(
            text.contains("[The Start of Reference Answer]\nHe spent 280.\n"),
            "{text}"
        );
        assert!(text.contains("How much did he spend?") && text.contains("280"));
        let (name, p) = judge
            .prompt(
                &item,
                Some(FirstTurn {
                    question: "q1",
                    answer: "a1",
                }),
                "350",
            )
            .unwrap();
        assert_eq!(name, "single-math-v1-multi-turn");
        let text = user(p);
        assert!(
            text.contains("He spent 280.")
                && text.contains("\n350\n")
                && text.contains("q1")
                && text.contains("a1"),
            "{text}"
        );
        assert!(
            judge.rate(&item, None, "x").is_err(),
            "the scripted judge has one reply only"
        );
    }

    #[test]
    fn fill_inserts_values_once() {
        assert_eq!(
            fill(
                "Q: {question} A: {answer}",
                &[("question", "{answer}"), ("answer", "x")]
            ),
            "Q: {answer} A: x"
        );
    }
}
