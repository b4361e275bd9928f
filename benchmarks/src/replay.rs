//! Re-scoring a tape without the model: every record's output is scored and
//! classified again from its own fields (suite, task, question, output,
//! gold, and the run's facts: fallbacks and failure). A tape replays to the
//! numbers it was written with unless the scorers changed; every field that
//! differs is listed.

use flinch_sandbox::Sandbox;
use serde::Serialize;

use crate::classify::{self, Facts};
use crate::score::score;
use crate::tape::{Mode, Record};

/// A re-scored field that differs from the tape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub id: String,
    pub mode: Mode,
    pub field: &'static str,
    pub tape: String,
    pub replay: String,
}

/// Re-scored records and what changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Replay {
    pub records: Vec<Record>,
    pub differences: Vec<Difference>,
}

/// Re-score `records`.
pub fn replay(records: &[Record], sandbox: &Sandbox) -> anyhow::Result<Replay> {
    let mut out = Vec::with_capacity(records.len());
    let mut differences = Vec::new();
    for r in records {
        let scored = score(r.suite, &r.task, &r.question, &r.output, &r.gold)
            .map_err(|e| anyhow::anyhow!("{} {} ({}): {e}", r.suite, r.id, r.mode.name()))?;
        let (error_class, error_classes) = classify::classify(
            &Facts {
                suite: r.suite,
                task: &r.task,
                question: &r.question,
                output: &r.output,
                mode: r.mode,
                scored: &scored,
                fallbacks: &r.fallbacks,
                failure: r.failure.as_deref(),
            },
            sandbox,
        );
        let mut new = r.clone();
        new.answer = scored.answer;
        new.extraction = scored.extraction;
        new.correct = scored.correct;
        new.ifeval = scored.instructions;
        new.error_class = error_class;
        new.error_classes = error_classes;
        let mut differ = |field: &'static str, tape: String, replay: String| {
            if tape != replay {
                differences.push(Difference {
                    id: r.id.clone(),
                    mode: r.mode,
                    field,
                    tape,
                    replay,
                });
            }
        };
        differ("answer", json(&r.answer), json(&new.answer));
        differ("extraction", json(&r.extraction), json(&new.extraction));
        differ("correct", json(&r.correct), json(&new.correct));
        differ("ifeval", json(&r.ifeval), json(&new.ifeval));
        differ("error_class", json(&r.error_class), json(&new.error_class));
        differ(
            "error_classes",
            json(&r.error_classes),
            json(&new.error_classes),
        );
        out.push(new);
    }
    Ok(Replay {
        records: out,
        differences,
    })
}

/// A value as its JSON text, for comparing and showing fields.
fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::ErrorClass;
    use crate::tape::tests::record;
    use flinch_sandbox::{Limits, ModuleCache};

    #[test]
    fn a_consistent_tape_replays_to_itself_and_edits_are_reported() {
        let sandbox = Sandbox::new(Limits::default(), &ModuleCache::Off).unwrap();
        let records = vec![record("0", Mode::Raw, true), record("1", Mode::Raw, false)];
        let r = replay(&records, &sandbox).unwrap();
        assert_eq!(r.records, records);
        assert!(r.differences.is_empty(), "{:?}", r.differences);

        // Someone edited the gold: the replay says what changed.
        let mut edited = records[1].clone();
        edited.gold = crate::suite::Gold::Answer("5".into());
        let r = replay(&[edited], &sandbox).unwrap();
        assert_eq!(r.records[0].correct, Some(true));
        assert_eq!(r.records[0].error_class, ErrorClass::None);
        let fields: Vec<&str> = r.differences.iter().map(|d| d.field).collect();
        assert_eq!(fields, vec!["correct", "error_class", "error_classes"]);
        assert_eq!(
            (
                r.differences[0].tape.as_str(),
                r.differences[0].replay.as_str()
            ),
            ("false", "true")
        );
    }
}
