//! The benchmark suites, their items and what a correct answer looks like.
//!
//! A suite loads into [`Item`]s: the question the pipeline answers (guarded
//! mode), the prompt the model completes in raw mode, and the gold answer.
//! How an answer is extracted and compared is fixed by the suite and task
//! ([`Suite::answer_kind`]), so that a tape can be re-scored from its records.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::suites;

/// Where the datasets of this repository live (`benchmarks/data`), as
/// built.
pub const DATA_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data");

/// The environment variable that points to another copy of `benchmarks/data`
/// (a binary run away from its source tree).
pub const DATA_ENV: &str = "FLINCH_DATA";

/// `$FLINCH_DATA`, when set and not empty.
pub fn data_env() -> Option<PathBuf> {
    std::env::var_os(DATA_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The benchmark data folder: `$FLINCH_DATA` when set, else the
/// repository's `benchmarks/data` the binary was built from.
pub fn data_dir() -> PathBuf {
    data_env().unwrap_or_else(|| PathBuf::from(DATA_DIR))
}

/// A benchmark suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Suite {
    /// GSM8K test: grade-school math word problems, numeric answers.
    Gsm8k,
    /// BIG-Bench Hard: 11 tasks with 3-shot chain-of-thought prompts.
    Bbh,
    /// IFEval: prompts with verifiable instructions.
    Ifeval,
    /// MT-bench: 80 two-turn questions.
    MtBench,
    /// ProntoQA 5-hop: true/false over a fictional ontology.
    Prontoqa,
    /// LogicBench(Eval) binary (yes/no) questions.
    LogicbenchBqa,
    /// LogicBench(Eval) multiple-choice questions.
    LogicbenchMcqa,
}

impl Suite {
    pub const ALL: [Suite; 7] = [
        Suite::Gsm8k,
        Suite::Bbh,
        Suite::Ifeval,
        Suite::MtBench,
        Suite::Prontoqa,
        Suite::LogicbenchBqa,
        Suite::LogicbenchMcqa,
    ];

    /// The name used on the command line, in tapes and reports.
    pub fn name(self) -> &'static str {
        match self {
            Suite::Gsm8k => "gsm8k",
            Suite::Bbh => "bbh",
            Suite::Ifeval => "ifeval",
            Suite::MtBench => "mt-bench",
            Suite::Prontoqa => "prontoqa",
            Suite::LogicbenchBqa => "logicbench-bqa",
            Suite::LogicbenchMcqa => "logicbench-mcqa",
        }
    }

    pub fn from_name(name: &str) -> Option<Suite> {
        Suite::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The suite's data under [`data_dir`]: a file or a folder in the format
    /// `--data` takes.
    pub fn default_data(self) -> PathBuf {
        let data = data_dir();
        match self {
            Suite::Gsm8k => data.join("gsm8k/test.jsonl"),
            Suite::Bbh => data.join("bbh"),
            Suite::Ifeval => data.join("ifeval/input_data.jsonl"),
            Suite::MtBench => data.join("mt_bench"),
            Suite::Prontoqa => data.join("prontoqa/dev.json"),
            Suite::LogicbenchBqa | Suite::LogicbenchMcqa => {
                data.join("logicbench/LogicBench(Eval)")
            }
        }
    }

    /// What `--data` must point to, for error messages and `--help`.
    pub fn data_format(self) -> &'static str {
        match self {
            Suite::Gsm8k => "a GSM8K JSONL file (fields `question`, `answer` ending in `#### N`)",
            Suite::Bbh => "a BBH folder with `<task>.json` files and `cot-prompts/<task>.txt`",
            Suite::Ifeval => {
                "an IFEval JSONL file (fields `key`, `prompt`, `instruction_id_list`, `kwargs`)"
            }
            Suite::MtBench => {
                "an MT-bench folder with `question.jsonl` (and optionally `reference_answer/gpt-4.jsonl`)"
            }
            Suite::Prontoqa => {
                "a ProntoQA JSON array (Logic-LM format: `id`, `context`, `question`, `answer`)"
            }
            Suite::LogicbenchBqa | Suite::LogicbenchMcqa => {
                "a LogicBench(Eval) folder with `BQA/` and `MCQA/` (`<logic type>/<rule>/data_instances.json`)"
            }
        }
    }

    /// Load the suite's items from `path` (see [`Suite::data_format`]).
    pub fn load(self, path: &Path) -> anyhow::Result<Vec<Item>> {
        match self {
            Suite::Gsm8k => suites::gsm8k::load(path),
            Suite::Bbh => suites::bbh::load(path),
            Suite::Ifeval => suites::ifeval::load(path),
            Suite::MtBench => suites::mt_bench::load(path),
            Suite::Prontoqa => suites::prontoqa::load(path),
            Suite::LogicbenchBqa => suites::logicbench::load_bqa(path),
            Suite::LogicbenchMcqa => suites::logicbench::load_mcqa(path),
        }
    }

    /// How an answer of `task` is extracted and compared.
    pub fn answer_kind(self, task: &str) -> AnswerKind {
        match self {
            Suite::Gsm8k => AnswerKind::Number,
            Suite::Bbh => suites::bbh::answer_kind(task),
            Suite::Ifeval => AnswerKind::Instructions,
            Suite::MtBench => AnswerKind::Reference,
            Suite::Prontoqa => AnswerKind::Label(&["True", "False"]),
            Suite::LogicbenchBqa => AnswerKind::Label(&["yes", "no"]),
            Suite::LogicbenchMcqa => AnswerKind::Choice,
        }
    }

    /// Whether a wrong, well-formed answer of `task` is a logic flinch.
    pub fn is_logic(self, task: &str) -> bool {
        match self {
            Suite::Prontoqa | Suite::LogicbenchBqa | Suite::LogicbenchMcqa => true,
            Suite::Bbh => matches!(
                task,
                "boolean_expressions"
                    | "web_of_lies"
                    | "navigate"
                    | "logical_deduction_three_objects"
                    | "logical_deduction_five_objects"
                    | "logical_deduction_seven_objects"
            ),
            Suite::MtBench => task == "reasoning",
            Suite::Gsm8k | Suite::Ifeval => false,
        }
    }
}

impl std::fmt::Display for Suite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How the answer of an item is extracted from a model's text and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerKind {
    /// A number (GSM8K, BBH arithmetic and counting): exact numeric match,
    /// thousands separators and `$` ignored.
    Number,
    /// One of these labels (True/False, Yes/No), case-insensitive.
    Label(&'static [&'static str]),
    /// A lettered option `(A)`…`(G)` of a multiple-choice question.
    Choice,
    /// Words separated by spaces (BBH word_sorting): case and spacing ignored.
    Words,
    /// Closing brackets (BBH dyck_languages): spacing ignored.
    Brackets,
    /// IFEval: every instruction verified.
    Instructions,
    /// MT-bench: matched against the reference answer's key, where one exists.
    Reference,
    /// A task this harness does not know: compared by the shape of the gold
    /// answer (an option, a label, a number, else normalised words).
    Exact,
}

/// The gold answer of an item, as written to the tape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Gold {
    /// The expected answer: a number, a label, an option `(B)`, a word list.
    Answer(String),
    /// IFEval: the instructions and their arguments, as in the dataset.
    Instructions {
        instruction_id_list: Vec<String>,
        kwargs: Vec<Value>,
    },
    /// MT-bench: the reference answer and the automatic check derived from
    /// it (none when the reference cannot be checked automatically).
    Reference {
        reference: String,
        check: Option<RefCheck>,
    },
    /// Nothing to compare with (an MT-bench turn without a reference).
    None,
}

/// An automatic check of an answer against an MT-bench reference answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RefCheck {
    /// The last number of the answer equals `value`.
    Number { value: String },
    /// The first of the `among` labels the answer states is `value`.
    Label { value: String, among: Vec<String> },
    /// The answer contains one of these phrases (case-insensitive).
    Phrase { any: Vec<String> },
}

/// What the model completes in raw mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawPrompt {
    /// A few-shot completion prompt, generation cut at a stop string.
    Completion {
        /// Which prompt, for the tape (`gsm8k-cot-8shot`, `bbh-cot-3shot/navigate`).
        prompt_id: String,
        text: String,
        stop: Vec<String>,
    },
    /// The question as a chat message (the model's chat template, or a plain
    /// transcript for a model without one): IFEval and MT-bench.
    Chat,
}

impl RawPrompt {
    pub fn id(&self) -> &str {
        match self {
            RawPrompt::Completion { prompt_id, .. } => prompt_id,
            RawPrompt::Chat => "chat",
        }
    }
}

/// The earlier turn a multi-turn item follows (MT-bench turn 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Previous {
    /// The id of the earlier turn's item: its answer in the same mode
    /// becomes the assistant turn of the conversation.
    pub id: String,
    pub question: String,
}

/// One question of a suite.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub suite: Suite,
    /// The task or category within the suite (empty when it has none).
    pub task: String,
    /// Unique within the suite, stable across runs.
    pub id: String,
    /// The question as the user asks it (what the pipeline answers).
    pub question: String,
    pub gold: Gold,
    pub raw: RawPrompt,
    /// Position within its task: `--limit N` keeps ranks below N.
    pub rank: usize,
    /// Items of one group (the turns of an MT-bench question) stay in one shard.
    pub group: usize,
    pub previous: Option<Previous>,
    /// Reference answers of every turn of the question for a judge model
    /// (MT-bench GPT-4 answers; empty when there are none).
    pub judge_references: Vec<String>,
}

/// `--shard I/N`: the I-th of N disjoint parts (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Default for Shard {
    fn default() -> Self {
        Shard { index: 1, count: 1 }
    }
}

impl Shard {
    /// Parse `I/N` with 1 ≤ I ≤ N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("invalid shard `{text}`: expected I/N with 1 <= I <= N, e.g. 1/4");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    pub fn is_whole(self) -> bool {
        self.count == 1
    }

    pub fn contains(self, group: usize) -> bool {
        group % self.count == self.index - 1
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Which items of a loaded suite to run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Only these tasks (empty: all).
    pub tasks: Vec<String>,
    /// The first N items of every task.
    pub limit: Option<usize>,
    pub shard: Shard,
}

/// Apply a selection; an unknown task is an error naming the known ones.
pub fn select(items: Vec<Item>, selection: &Selection) -> anyhow::Result<Vec<Item>> {
    for t in &selection.tasks {
        if !items.iter().any(|i| &i.task == t) {
            let mut known: Vec<&str> = items.iter().map(|i| i.task.as_str()).collect();
            known.dedup();
            known.sort_unstable();
            known.dedup();
            anyhow::bail!(
                "unknown task `{t}`: this suite has {}",
                if known.iter().all(|k| k.is_empty()) {
                    "no tasks".to_owned()
                } else {
                    known.join(", ")
                }
            );
        }
    }
    Ok(items
        .into_iter()
        .filter(|i| selection.tasks.is_empty() || selection.tasks.contains(&i.task))
        .filter(|i| selection.limit.is_none_or(|l| i.rank < l))
        .filter(|i| selection.shard.contains(i.group))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suite_names_round_trip_and_match_serde() {
        for s in Suite::ALL {
            assert_eq!(Suite::from_name(s.name()), Some(s));
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                Value::String(s.name().to_owned())
            );
        }
        assert_eq!(Suite::from_name("mt_bench"), None);
    }

    #[test]
    fn shard_parsing_and_membership() {
        assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 2, count: 4 }));
        for bad in ["0/4", "5/4", "1/0", "x/2", "3", ""] {
            assert_eq!(
                Shard::parse(bad).unwrap_err(),
                format!("invalid shard `{bad}`: expected I/N with 1 <= I <= N, e.g. 1/4")
            );
        }
        let s = Shard::parse("2/3").unwrap();
        let groups: Vec<usize> = (0..9).filter(|&g| s.contains(g)).collect();
        assert_eq!(groups, vec![1, 4, 7]);
    }

    #[test]
    fn gold_serialises_untagged_and_reads_back() {
        let cases = [
            (Gold::Answer("18".into()), r#""18""#),
            (Gold::None, "null"),
            (
                Gold::Reference {
                    reference: "West".into(),
                    check: Some(RefCheck::Phrase {
                        any: vec!["west".into()],
                    }),
                },
                r#"{"reference":"West","check":{"kind":"phrase","any":["west"]}}"#,
            ),
            (
                Gold::Instructions {
                    instruction_id_list: vec!["punctuation:no_comma".into()],
                    kwargs: vec![serde_json::json!({})],
                },
                r#"{"instruction_id_list":["punctuation:no_comma"],"kwargs":[{}]}"#,
            ),
        ];
        for (gold, json) in cases {
            assert_eq!(serde_json::to_string(&gold).unwrap(), json);
            assert_eq!(serde_json::from_str::<Gold>(json).unwrap(), gold);
        }
    }
}
