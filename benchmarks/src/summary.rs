//! Aggregating tape records: accuracy per suite, task and mode with Wilson
//! intervals, the paired uplift of guarded over raw with Newcombe's
//! interval, IFEval's four accuracies, error-class counts, judge ratings,
//! seconds and tokens per item.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::classify::ErrorClass;
use crate::extract::Extraction;
use crate::stats::{self, Estimate};
use crate::suite::Suite;
use crate::tape::{Mode, Record};

/// IFEval's accuracies: prompt-level (all instructions of a prompt pass) and
/// instruction-level, strict and loose.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IfevalSummary {
    pub prompt_strict: Estimate,
    pub prompt_loose: Estimate,
    pub instruction_strict: Estimate,
    pub instruction_loose: Estimate,
    pub instructions: usize,
}

/// One mode of one row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModeSummary {
    /// Records (answers) in this row and mode.
    pub n: usize,
    /// Records that could be scored automatically.
    pub scored: usize,
    pub correct: usize,
    /// `correct / scored` (`null` when nothing was scored).
    pub accuracy: Option<f64>,
    pub ci95: Option<[f64; 2]>,
    /// Scored records whose output gave no answer at all.
    pub unanswered: usize,
    pub seconds_per_item: f64,
    pub tokens_per_item: f64,
    /// Primary error classes, by name (`none` left out).
    pub errors: BTreeMap<String, usize>,
    pub ifeval: Option<IfevalSummary>,
    /// Mean judge rating (1–10) with its interval, when a judge model rated.
    pub judge: Option<Estimate>,
    pub failures: usize,
    /// Strict match, for suites that extract an answer after "the answer
    /// is": correct with the answer taken from after that marker only (the
    /// `correct` count also takes the fallback's last candidate).
    pub strict: Option<Strict>,
}

/// Accuracy counting only answers found after the marker.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Strict {
    pub correct: usize,
    /// Records counted (scored, with an extracted-answer check).
    pub scored: usize,
    pub accuracy: Option<Estimate>,
    /// Scored answers taken by the fallback (no marker in the output).
    pub fallback_answers: usize,
}

/// Whether a record's answer counts in a strict match: correct, and found
/// after the marker. `None` for records not scored, or scored on the whole
/// text (IFEval, MT-bench phrase checks).
fn strictly_correct(r: &Record) -> Option<bool> {
    let correct = r.correct?;
    // MT-bench answers are free chat, never asked to say "the answer is".
    if r.suite == Suite::MtBench {
        return None;
    }
    match r.extraction {
        Extraction::Whole => None,
        how => Some(correct && how == Extraction::Marker),
    }
}

/// Raw and guarded side by side for a suite or one of its tasks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub suite: Suite,
    /// `None` for the whole suite.
    pub task: Option<String>,
    pub raw: Option<ModeSummary>,
    pub guarded: Option<ModeSummary>,
    /// Guarded minus raw accuracy over the items scored in both modes.
    pub uplift: Option<Estimate>,
    /// Items scored in both modes.
    pub paired: usize,
    /// The uplift in strict match ([`Strict`]).
    pub uplift_strict: Option<Estimate>,
}

/// A suite's rows: the whole suite first, then every task.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SuiteSummary {
    pub overall: Row,
    pub tasks: Vec<Row>,
}

fn mode_summary(records: &[&Record]) -> Option<ModeSummary> {
    if records.is_empty() {
        return None;
    }
    let scored: Vec<&&Record> = records.iter().filter(|r| r.correct.is_some()).collect();
    let correct = scored.iter().filter(|r| r.correct == Some(true)).count();
    let estimate = stats::wilson(correct, scored.len());
    let mut errors = BTreeMap::new();
    for r in records.iter().filter(|r| r.error_class != ErrorClass::None) {
        *errors.entry(r.error_class.name().to_owned()).or_default() += 1;
    }
    let n = records.len();
    let ifeval_rows: Vec<_> = records.iter().filter_map(|r| r.ifeval.as_ref()).collect();
    let ifeval = (!ifeval_rows.is_empty()).then(|| {
        let prompts = ifeval_rows.len();
        let ps = ifeval_rows.iter().filter(|i| i.prompt_strict()).count();
        let pl = ifeval_rows.iter().filter(|i| i.prompt_loose()).count();
        let count = |v: &[bool]| (v.iter().filter(|&&p| p).count(), v.len());
        let is: Vec<(usize, usize)> = ifeval_rows.iter().map(|i| count(&i.strict)).collect();
        let il: Vec<(usize, usize)> = ifeval_rows.iter().map(|i| count(&i.loose)).collect();
        let zero = Estimate {
            value: 0.0,
            ci95: [0.0, 0.0],
        };
        IfevalSummary {
            prompt_strict: stats::wilson(ps, prompts).unwrap_or(zero),
            prompt_loose: stats::wilson(pl, prompts).unwrap_or(zero),
            instruction_strict: stats::ratio(&is).unwrap_or(zero),
            instruction_loose: stats::ratio(&il).unwrap_or(zero),
            instructions: is.iter().map(|c| c.1).sum(),
        }
    });
    let ratings: Vec<f64> = records
        .iter()
        .filter_map(|r| r.judge.as_ref()?.rating)
        .collect();
    let strict: Vec<bool> = records.iter().filter_map(|r| strictly_correct(r)).collect();
    let strict = (!strict.is_empty()).then(|| {
        let correct = strict.iter().filter(|&&c| c).count();
        Strict {
            correct,
            scored: strict.len(),
            accuracy: stats::wilson(correct, strict.len()),
            fallback_answers: scored
                .iter()
                .filter(|r| r.extraction == Extraction::Fallback)
                .count(),
        }
    });
    Some(ModeSummary {
        strict,
        n,
        scored: scored.len(),
        correct,
        accuracy: estimate.map(|e| e.value),
        ci95: estimate.map(|e| e.ci95),
        unanswered: scored
            .iter()
            .filter(|r| r.answer.is_none() && r.ifeval.is_none())
            .count(),
        seconds_per_item: records.iter().map(|r| r.seconds).sum::<f64>() / n as f64,
        tokens_per_item: records.iter().map(|r| r.tokens as f64).sum::<f64>() / n as f64,
        errors,
        ifeval,
        judge: stats::mean(&ratings),
        failures: records.iter().filter(|r| r.failure.is_some()).count(),
    })
}

fn row(suite: Suite, task: Option<String>, records: &[&Record]) -> Row {
    let of = |m: Mode| {
        records
            .iter()
            .copied()
            .filter(|r| r.mode == m)
            .collect::<Vec<_>>()
    };
    let (raw, guarded) = (of(Mode::Raw), of(Mode::Guarded));
    let guarded_by_id: HashMap<&str, bool> = guarded
        .iter()
        .filter_map(|r| Some((r.id.as_str(), r.correct?)))
        .collect();
    let pairs: Vec<(bool, bool)> = raw
        .iter()
        .filter_map(|r| Some((r.correct?, *guarded_by_id.get(r.id.as_str())?)))
        .collect();
    let guarded_strict: HashMap<&str, bool> = guarded
        .iter()
        .filter_map(|r| Some((r.id.as_str(), strictly_correct(r)?)))
        .collect();
    let strict_pairs: Vec<(bool, bool)> = raw
        .iter()
        .filter_map(|r| Some((strictly_correct(r)?, *guarded_strict.get(r.id.as_str())?)))
        .collect();
    Row {
        suite,
        task,
        raw: mode_summary(&raw),
        guarded: mode_summary(&guarded),
        uplift: stats::paired_difference(&pairs),
        paired: pairs.len(),
        uplift_strict: stats::paired_difference(&strict_pairs),
    }
}

/// Summaries of every suite in `records`, in suite order. A record repeated
/// (same suite, id and mode, e.g. a tape given twice) counts once.
pub fn summarize(records: &[Record]) -> Vec<SuiteSummary> {
    let mut seen = HashSet::new();
    let unique: Vec<&Record> = records
        .iter()
        .filter(|r| seen.insert((r.suite, r.id.clone(), r.mode)))
        .collect();
    let mut suites: BTreeMap<Suite, Vec<&Record>> = BTreeMap::new();
    for r in unique {
        suites.entry(r.suite).or_default().push(r);
    }
    suites
        .into_iter()
        .map(|(suite, recs)| {
            let mut tasks: BTreeMap<&str, Vec<&Record>> = BTreeMap::new();
            for r in &recs {
                if !r.task.is_empty() {
                    tasks.entry(r.task.as_str()).or_default().push(r);
                }
            }
            SuiteSummary {
                overall: row(suite, None, &recs),
                tasks: tasks
                    .into_iter()
                    .map(|(t, rs)| row(suite, Some(t.to_owned()), &rs))
                    .collect(),
            }
        })
        .collect()
}

/// The `--json` summary of a run: `{"suite", "n", "raw": {"accuracy",
/// "ci95", …}, "guarded": {…}, "uplift", "uplift_ci95", "uplift_strict",
/// "uplift_strict_ci95", "tasks": […], "tape"}` (a mode not run is `null`).
pub fn run_json(summary: &SuiteSummary, items: usize, tape: &std::path::Path) -> serde_json::Value {
    let row_json = |row: &Row| {
        serde_json::json!({
            "task": row.task,
            "raw": row.raw,
            "guarded": row.guarded,
            "uplift": row.uplift.map(|u| u.value),
            "uplift_ci95": row.uplift.map(|u| u.ci95),
            "uplift_strict": row.uplift_strict.map(|u| u.value),
            "uplift_strict_ci95": row.uplift_strict.map(|u| u.ci95),
            "paired": row.paired,
        })
    };
    serde_json::json!({
        "suite": summary.overall.suite,
        "n": items,
        "raw": summary.overall.raw,
        "guarded": summary.overall.guarded,
        "uplift": summary.overall.uplift.map(|u| u.value),
        "uplift_ci95": summary.overall.uplift.map(|u| u.ci95),
        "uplift_strict": summary.overall.uplift_strict.map(|u| u.value),
        "uplift_strict_ci95": summary.overall.uplift_strict.map(|u| u.ci95),
        "paired": summary.overall.paired,
        "tasks": summary.tasks.iter().map(row_json).collect::<Vec<_>>(),
        "tape": tape.display().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tape::tests::record;

    #[test]
    fn accuracy_uplift_and_duplicates() {
        let mut records = Vec::new();
        for i in 0..10 {
            records.push(record(&i.to_string(), Mode::Raw, i < 3));
            records.push(record(&i.to_string(), Mode::Guarded, i < 6));
        }
        // The same record twice counts once.
        records.push(record("0", Mode::Raw, true));
        let s = summarize(&records);
        assert_eq!(s.len(), 1);
        let row = &s[0].overall;
        let raw = row.raw.as_ref().unwrap();
        let guarded = row.guarded.as_ref().unwrap();
        assert_eq!((raw.n, raw.correct, raw.accuracy), (10, 3, Some(0.3)));
        assert_eq!(
            (guarded.n, guarded.correct, guarded.accuracy),
            (10, 6, Some(0.6))
        );
        assert_eq!(raw.errors.get("other"), Some(&7));
        assert_eq!(row.paired, 10);
        let u = row.uplift.unwrap();
        assert!((u.value - 0.3).abs() < 1e-12);
        // Newcombe's interval (computed independently): 3 improved, none worse, 10 pairs.
        assert!(
            (u.ci95[0] + 0.04665).abs() < 1e-4 && (u.ci95[1] - 0.55079).abs() < 1e-4,
            "{u:?}"
        );
        assert_eq!(raw.seconds_per_item, 1.5);
        assert!(s[0].tasks.is_empty());
        let json = run_json(&s[0], 10, std::path::Path::new("out/gsm8k.jsonl"));
        assert_eq!(json["suite"], "gsm8k");
        assert_eq!(json["n"], 10);
        assert_eq!(json["raw"]["accuracy"], 0.3);
        assert_eq!(json["guarded"]["accuracy"], 0.6);
        assert_eq!(json["raw"]["ci95"].as_array().unwrap().len(), 2);
        assert!((json["uplift"].as_f64().unwrap() - 0.3).abs() < 1e-12);
        // Every answer was found after the marker: strict match is the same, and
        // shaped like `uplift` (a number and a separate interval).
        assert!((json["uplift_strict"].as_f64().unwrap() - 0.3).abs() < 1e-12);
        assert_eq!(json["uplift_strict_ci95"], json["uplift_ci95"]);
        assert_eq!(json["tape"], "out/gsm8k.jsonl");
    }

    #[test]
    fn unscored_records_do_not_count_towards_accuracy() {
        let mut a = record("0", Mode::Raw, true);
        a.correct = None;
        let b = record("1", Mode::Raw, false);
        let s = summarize(&[a, b]);
        let raw = s[0].overall.raw.as_ref().unwrap();
        assert_eq!((raw.n, raw.scored, raw.accuracy), (2, 1, Some(0.0)));
        assert!(s[0].overall.guarded.is_none());
        assert_eq!(s[0].overall.uplift, None);
    }
}
