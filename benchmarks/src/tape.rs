//! The tape: one JSON object per line for every (item, mode) answered. Its
//! field names are a stable interface (other tools re-score tapes); fields
//! are only ever added.
//!
//! Stable fields: `suite`, `task`, `id`, `mode` (`raw`|`guarded`),
//! `question`, `output` (the full text shown to the user), `answer` (the
//! extracted answer), `extraction`, `gold`, `correct` (`null` when the item
//! cannot be scored), `ifeval`, `route`, `error_class`, `error_classes`,
//! `seconds`, `tokens`, `finish`, `prompt`, `generations` (every text the
//! model generated), `tools` (programs and scripts with their results),
//! `verdicts`, `fallbacks`, `evidence`, `trace`, `judge`, `failure`,
//! `model`, `seed`, `max_tokens`, `batch`.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::classify::ErrorClass;
use crate::extract::Extraction;
use crate::score::InstructionScores;
use crate::suite::{Gold, Suite};

/// Raw (the model alone, standard prompting) or guarded (the pipeline).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Raw,
    Guarded,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Raw => "raw",
            Mode::Guarded => "guarded",
        }
    }
}

/// A program or script a tool ran, and what came back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolRun {
    /// `program` (sandbox) or `solve` (Z3).
    pub tool: String,
    pub input: String,
    pub outcome: String,
    pub ok: bool,
}

/// A judge model's single-answer rating (MT-bench `--judge-model`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JudgeScore {
    /// The judge model's file name: not GPT-4.
    pub model: String,
    /// The MT-bench judge prompt used (`single-v1`, `single-math-v1-multi-turn`, …).
    pub prompt: String,
    /// The `[[rating]]` (1–10), when the judge gave one.
    pub rating: Option<f64>,
    pub output: String,
}

/// One line of the tape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub suite: Suite,
    pub task: String,
    pub id: String,
    pub mode: Mode,
    pub question: String,
    pub output: String,
    pub answer: Option<String>,
    pub extraction: Extraction,
    pub gold: Gold,
    pub correct: Option<bool>,
    /// IFEval per-instruction verdicts.
    pub ifeval: Option<InstructionScores>,
    /// The pipeline's route (guarded), `null` in raw mode.
    pub route: Option<String>,
    pub error_class: ErrorClass,
    pub error_classes: Vec<ErrorClass>,
    /// Wall-clock seconds of the answer. Raw: the batch's time divided by
    /// its size; guarded: the answer's share of the time, each interval
    /// divided among the answers running side by side then.
    pub seconds: f64,
    /// Tokens generated for the answer (all samples and retries included).
    pub tokens: usize,
    /// Why the raw generation stopped (`stop`, `length`, `eos`).
    pub finish: Option<String>,
    /// The prompt: a raw prompt file (`gsm8k-cot-8shot`, `chat`) or `pipeline`.
    pub prompt: String,
    pub generations: Vec<String>,
    pub tools: Vec<ToolRun>,
    /// `(requirement, verdict)` pairs the pipeline checked.
    pub verdicts: Vec<(String, String)>,
    pub fallbacks: Vec<String>,
    pub evidence: Option<Value>,
    pub trace: Option<Value>,
    pub judge: Option<JudgeScore>,
    /// The error that stopped this answer, if any (the output is then empty).
    pub failure: Option<String>,
    pub model: String,
    pub seed: u64,
    pub max_tokens: usize,
    /// Raw: items generated together in one batch; guarded: answers run
    /// side by side (the run's `--batch`; 1 on tapes from before 2026-11-23).
    pub batch: usize,
}

impl Record {
    pub fn key(&self) -> (String, Mode) {
        (self.id.clone(), self.mode)
    }
}

/// Read a tape. A last line cut short by an interrupted run is ignored (it
/// is reported in `truncated`); a malformed line elsewhere is an error.
pub fn read(path: &Path) -> anyhow::Result<Tape> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading tape {}", path.display()))?;
    parse(&text, path)
}

/// The records of a tape and whether its last line was cut short.
#[derive(Debug, Clone, PartialEq)]
pub struct Tape {
    pub records: Vec<Record>,
    /// Bytes of the complete records (where a resumed run appends).
    pub complete_bytes: usize,
    pub truncated: bool,
}

pub fn parse(text: &str, path: &Path) -> anyhow::Result<Tape> {
    let mut records = Vec::new();
    let mut offset = 0;
    let mut truncated = false;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        let complete = line.ends_with('\n');
        if line.trim().is_empty() {
            offset += line.len();
            continue;
        }
        match serde_json::from_str::<Record>(line) {
            Ok(r) => {
                records.push(r);
                offset += line.len();
            }
            // The last line, without its newline: cut short when the run stopped.
            Err(_) if i + 1 == lines.len() && !complete => truncated = true,
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("{}:{}: not a tape record", path.display(), i + 1));
            }
        }
    }
    Ok(Tape {
        records,
        complete_bytes: offset,
        truncated,
    })
}

/// Appends records to a tape, one flushed line each.
pub struct TapeWriter {
    path: PathBuf,
    out: BufWriter<File>,
}

impl TapeWriter {
    /// Open `path` for appending after its last complete line (a cut-short
    /// line is removed), creating it if needed.
    pub fn append(path: &Path, complete_bytes: usize) -> anyhow::Result<Self> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("opening tape {}", path.display()))?;
        let len = file.metadata()?.len();
        if len > complete_bytes as u64 {
            file.set_len(complete_bytes as u64).with_context(|| {
                format!("cutting the unfinished last line of {}", path.display())
            })?;
        }
        let mut out = BufWriter::new(file);
        // A last record written without its newline gets one.
        if complete_bytes > 0 && last_byte(path, complete_bytes)? != b'\n' {
            out.write_all(b"\n")?;
        }
        Ok(Self {
            path: path.to_path_buf(),
            out,
        })
    }

    pub fn write(&mut self, record: &Record) -> anyhow::Result<()> {
        let line = serde_json::to_string(record)?;
        writeln!(self.out, "{line}")
            .with_context(|| format!("writing tape {}", self.path.display()))?;
        self.out
            .flush()
            .with_context(|| format!("writing tape {}", self.path.display()))?;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn last_byte(path: &Path, len: usize) -> anyhow::Result<u8> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = File::open(path)?;
    f.seek(SeekFrom::Start(len as u64 - 1))?;
    let mut b = [0u8];
    f.read_exact(&mut b)?;
    Ok(b[0])
}

/// The (id, mode) pairs a tape already holds.
pub fn done(records: &[Record]) -> HashSet<(String, Mode)> {
    records.iter().map(Record::key).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn record(id: &str, mode: Mode, correct: bool) -> Record {
        Record {
            suite: Suite::Gsm8k,
            task: String::new(),
            id: id.to_owned(),
            mode,
            question: "Q?".into(),
            output: format!("The answer is {}.", if correct { 4 } else { 5 }),
            answer: Some(if correct { "4" } else { "5" }.into()),
            extraction: Extraction::Marker,
            gold: Gold::Answer("4".into()),
            correct: Some(correct),
            ifeval: None,
            route: None,
            error_class: if correct {
                ErrorClass::None
            } else {
                ErrorClass::Other
            },
            error_classes: if correct {
                vec![]
            } else {
                vec![ErrorClass::Other]
            },
            seconds: 1.5,
            tokens: 7,
            finish: Some("stop".into()),
            prompt: "gsm8k-cot-8shot".into(),
            generations: vec![],
            tools: vec![],
            verdicts: vec![],
            fallbacks: vec![],
            evidence: None,
            trace: None,
            judge: None,
            failure: None,
            model: "m.gguf".into(),
            seed: 0,
            max_tokens: 256,
            batch: 1,
        }
    }

    #[test]
    fn stable_field_names() {
        let v = serde_json::to_value(record("3", Mode::Raw, true)).unwrap();
        for field in [
            "suite",
            "id",
            "mode",
            "question",
            "output",
            "answer",
            "gold",
            "correct",
            "route",
            "error_class",
            "seconds",
        ] {
            assert!(v.get(field).is_some(), "missing {field}");
        }
        assert_eq!(v["mode"], "raw");
        assert_eq!(v["suite"], "gsm8k");
        assert_eq!(v["error_class"], "none");
        assert_eq!(v["gold"], "4");
    }

    #[test]
    fn round_trip_and_a_cut_short_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.jsonl");
        let mut w = TapeWriter::append(&path, 0).unwrap();
        let a = record("0", Mode::Raw, true);
        let b = record("0", Mode::Guarded, false);
        w.write(&a).unwrap();
        w.write(&b).unwrap();
        drop(w);
        let tape = read(&path).unwrap();
        assert_eq!(tape.records, vec![a.clone(), b.clone()]);
        assert!(!tape.truncated);
        // Simulate a run killed mid-line.
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str(r#"{"suite":"gsm8k","id":"1","#);
        std::fs::write(&path, &text).unwrap();
        let tape = read(&path).unwrap();
        assert_eq!(tape.records.len(), 2);
        assert!(tape.truncated);
        // Appending cuts the partial line first.
        let mut w = TapeWriter::append(&path, tape.complete_bytes).unwrap();
        let c = record("1", Mode::Raw, true);
        w.write(&c).unwrap();
        drop(w);
        let tape = read(&path).unwrap();
        assert_eq!(tape.records, vec![a, b, c]);
        assert!(!tape.truncated);
    }

    #[test]
    fn a_malformed_middle_line_is_an_error() {
        let text = format!(
            "{}\nnot json\n",
            serde_json::to_string(&record("0", Mode::Raw, true)).unwrap()
        );
        let e = parse(&text, Path::new("t.jsonl")).unwrap_err();
        assert_eq!(e.to_string(), "t.jsonl:2: not a tape record");
    }
}
