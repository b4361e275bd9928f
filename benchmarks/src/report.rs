//! The Markdown report of one or more tapes: raw vs guarded accuracy per
//! suite and task with 95% intervals and the uplift, IFEval's four
//! accuracies, error-class counts, judge ratings and seconds per item.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::classify::ErrorClass;
use crate::stats::{BOOTSTRAP_SEED, DEFAULT_RESAMPLES, Estimate};
use crate::summary::{ModeSummary, Row, Strict, SuiteSummary};
use crate::tape::{Mode, Record};

fn pct(e: &Estimate) -> String {
    format!(
        "{:.1}% [{:.1}, {:.1}]",
        e.value * 100.0,
        e.ci95[0] * 100.0,
        e.ci95[1] * 100.0
    )
}

fn accuracy(m: &Option<ModeSummary>) -> String {
    match m {
        Some(ModeSummary {
            accuracy: Some(a),
            ci95: Some(ci),
            correct,
            scored,
            ..
        }) => format!(
            "{} ({correct}/{scored})",
            pct(&Estimate {
                value: *a,
                ci95: *ci
            })
        ),
        Some(_) => "unscored".to_owned(),
        None => "–".to_owned(),
    }
}

fn uplift(row: &Row) -> String {
    points(&row.uplift)
}

fn points(e: &Option<Estimate>) -> String {
    match e {
        Some(u) => format!(
            "{:+.1} pts [{:+.1}, {:+.1}]",
            u.value * 100.0,
            u.ci95[0] * 100.0,
            u.ci95[1] * 100.0
        ),
        None => "–".to_owned(),
    }
}

fn seconds(m: &Option<ModeSummary>) -> String {
    m.as_ref()
        .map_or("–".to_owned(), |m| format!("{:.1}", m.seconds_per_item))
}

fn tokens(m: &Option<ModeSummary>) -> String {
    m.as_ref()
        .map_or("–".to_owned(), |m| format!("{:.0}", m.tokens_per_item))
}

/// A table row's suite and task cells: the suite in bold on its overall
/// row, which reads `all`; task rows name the task only.
fn labels(row: &Row) -> (String, String) {
    match &row.task {
        None => (format!("**{}**", row.suite), "**all**".to_owned()),
        Some(t) => (String::new(), format!("`{t}`")),
    }
}

/// The accuracy table: a row per suite, then one per task.
pub fn accuracy_table(summaries: &[SuiteSummary]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| suite | task | raw | guarded | uplift | raw s/item | guarded s/item | raw tokens/item | guarded tokens/item |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|");
    for s in summaries {
        for row in std::iter::once(&s.overall).chain(&s.tasks) {
            let (suite, task) = labels(row);
            let _ = writeln!(
                out,
                "| {suite} | {task} | {} | {} | {} | {} | {} | {} | {} |",
                accuracy(&row.raw),
                accuracy(&row.guarded),
                uplift(row),
                seconds(&row.raw),
                seconds(&row.guarded),
                tokens(&row.raw),
                tokens(&row.guarded),
            );
        }
    }
    out
}

fn strict_cell(m: &Option<ModeSummary>) -> String {
    match m.as_ref().and_then(|m| m.strict.as_ref()) {
        Some(Strict {
            correct,
            scored,
            accuracy: Some(e),
            ..
        }) => format!("{} ({correct}/{scored})", pct(e)),
        _ => "–".to_owned(),
    }
}

fn fallbacks(m: &Option<ModeSummary>) -> String {
    m.as_ref()
        .and_then(|m| m.strict.as_ref())
        .map_or("–".to_owned(), |s| s.fallback_answers.to_string())
}

/// The strict-match table (answers after "the answer is" only), for the
/// suites that extract answers that way; empty when there are none.
pub fn strict_table(summaries: &[SuiteSummary]) -> String {
    let rows: Vec<&Row> = summaries
        .iter()
        .flat_map(|s| std::iter::once(&s.overall).chain(&s.tasks))
        .filter(|r| {
            [&r.raw, &r.guarded]
                .iter()
                .any(|m| m.as_ref().is_some_and(|m| m.strict.is_some()))
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "\n## Strict match: the answer after \"the answer is\" only\n\n\
         The table above also takes an output's last number, label or option when it has no \
         \"the answer is\" (a flexible extract). Here an answer counts only when it follows that \
         marker; the last columns count the answers the fallback took.\n\n\
         | suite | task | raw | guarded | uplift | raw fallback answers | guarded fallback answers |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for row in rows {
        let (suite, task) = labels(row);
        let _ = writeln!(
            out,
            "| {suite} | {task} | {} | {} | {} | {} | {} |",
            strict_cell(&row.raw),
            strict_cell(&row.guarded),
            points(&row.uplift_strict),
            fallbacks(&row.raw),
            fallbacks(&row.guarded),
        );
    }
    out
}

/// The report of `summaries` built from `records`, read from `sources`.
pub fn markdown(
    summaries: &[SuiteSummary],
    records: &[Record],
    sources: &[String],
    chart: Option<&str>,
) -> String {
    let mut out = String::new();
    let models: BTreeSet<&str> = records.iter().map(|r| r.model.as_str()).collect();
    let seeds: BTreeSet<u64> = records.iter().map(|r| r.seed).collect();
    let budgets: BTreeSet<usize> = records.iter().map(|r| r.max_tokens).collect();
    let _ = writeln!(out, "# flinch benchmark report\n");
    let _ = writeln!(
        out,
        "- tapes: {}",
        sources
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        out,
        "- model: {}",
        models
            .iter()
            .map(|m| format!("`{m}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        out,
        "- seed: {}; token budget per answer: {}",
        seeds
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        budgets
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        out,
        "- intervals (95%): accuracy Wilson; uplift = guarded − raw on the items scored in both modes, Newcombe's paired-proportion interval; IFEval instruction level and judge ratings: bootstrap ({DEFAULT_RESAMPLES} resamples, seed {BOOTSTRAP_SEED:#x})\n"
    );
    if let Some(chart) = chart {
        let _ = writeln!(out, "![raw vs guarded]({chart})\n");
    }

    let _ = writeln!(out, "## Accuracy: raw vs guarded\n");
    out.push_str(&accuracy_table(summaries));

    out.push_str(&strict_table(summaries));

    let ifeval: Vec<(&SuiteSummary, Mode, &ModeSummary)> = summaries
        .iter()
        .flat_map(|s| {
            [
                (s, Mode::Raw, &s.overall.raw),
                (s, Mode::Guarded, &s.overall.guarded),
            ]
        })
        .filter_map(|(s, m, ms)| Some((s, m, ms.as_ref()?)))
        .filter(|(_, _, ms)| ms.ifeval.is_some())
        .collect();
    if !ifeval.is_empty() {
        let _ = writeln!(out, "\n## IFEval\n");
        let _ = writeln!(
            out,
            "| mode | prompts | instructions | prompt strict | prompt loose | instruction strict | instruction loose |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|");
        for (_, mode, ms) in ifeval {
            let Some(i) = &ms.ifeval else { continue };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                mode.name(),
                ms.n,
                i.instructions,
                pct(&i.prompt_strict),
                pct(&i.prompt_loose),
                pct(&i.instruction_strict),
                pct(&i.instruction_loose)
            );
        }
    }

    let _ = writeln!(out, "\n## Error classes\n");
    let _ = writeln!(
        out,
        "Primary class of every answer, count (share of the mode's answers); a correct answer can only carry `persona_break` or `self_correction`.\n"
    );
    let classes: Vec<ErrorClass> = ErrorClass::ALL.to_vec();
    let _ = writeln!(
        out,
        "| suite | mode | answers | {} |",
        classes
            .iter()
            .map(|c| format!("`{}`", c.name()))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let _ = writeln!(out, "|---|---|---|{}", "---|".repeat(classes.len()));
    for s in summaries {
        for (mode, ms) in [
            (Mode::Raw, &s.overall.raw),
            (Mode::Guarded, &s.overall.guarded),
        ] {
            let Some(ms) = ms else { continue };
            let counts: Vec<String> = classes
                .iter()
                .map(|c| match ms.errors.get(c.name()).copied().unwrap_or(0) {
                    0 => "0".to_owned(),
                    k => format!("{k} ({:.0}%)", 100.0 * k as f64 / ms.n as f64),
                })
                .collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                s.overall.suite,
                mode.name(),
                ms.n,
                counts.join(" | ")
            );
        }
    }

    let judged: Vec<(&SuiteSummary, Mode, &Estimate)> = summaries
        .iter()
        .flat_map(|s| {
            [
                (s, Mode::Raw, &s.overall.raw),
                (s, Mode::Guarded, &s.overall.guarded),
            ]
        })
        .filter_map(|(s, m, ms)| Some((s, m, ms.as_ref()?.judge.as_ref()?)))
        .collect();
    let asked: Vec<&Record> = records.iter().filter(|r| r.judge.is_some()).collect();
    if !asked.is_empty() {
        let judges: BTreeSet<&str> = asked
            .iter()
            .filter_map(|r| Some(r.judge.as_ref()?.model.as_str()))
            .collect();
        let rated = asked
            .iter()
            .filter(|r| r.judge.as_ref().is_some_and(|j| j.rating.is_some()))
            .count();
        let _ = writeln!(
            out,
            "\n## Local judge (not GPT-4)\n\nRated by {} with MT-bench's single-answer judge prompts; a small local model's ratings, not comparable with published MT-bench scores. A rating (`[[N]]`) could be read from {rated} of its {} outputs.\n",
            judges
                .iter()
                .map(|j| format!("`{j}`"))
                .collect::<Vec<_>>()
                .join(", "),
            asked.len()
        );
        if !judged.is_empty() {
            let _ = writeln!(out, "| suite | mode | mean rating (1–10) [95%] |");
            let _ = writeln!(out, "|---|---|---|");
            for (s, mode, e) in judged {
                let _ = writeln!(
                    out,
                    "| {} | {} | {:.2} [{:.2}, {:.2}] |",
                    s.overall.suite,
                    mode.name(),
                    e.value,
                    e.ci95[0],
                    e.ci95[1]
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::summarize;
    use crate::tape::tests::record;

    #[test]
    fn the_table_shows_both_modes_the_uplift_and_error_counts() {
        let mut records = Vec::new();
        for i in 0..4 {
            records.push(record(&i.to_string(), Mode::Raw, i < 1));
            records.push(record(&i.to_string(), Mode::Guarded, i < 3));
        }
        let md = markdown(
            &summarize(&records),
            &records,
            &["out/gsm8k.jsonl".to_owned()],
            Some("chart.svg"),
        );
        assert!(md.contains("| **gsm8k** | **all** | 25.0% [4.6, 69.9] (1/4) | 75.0% [30.1, 95.4] (3/4) | +50.0 pts [-13.5, +78.9] |"), "{md}");
        assert!(
            md.contains("| gsm8k | raw | 4 | 0 | 0 | 0 | 0 | 0 | 0 | 3 (75%) |"),
            "{md}"
        );
        assert!(md.contains("![raw vs guarded](chart.svg)"));
        assert!(md.contains("- model: `m.gguf`"));
        assert!(!md.contains("## IFEval"));
        // Every answer followed the marker: strict match is the same.
        assert!(
            md.contains("| **gsm8k** | **all** | 25.0% [4.6, 69.9] (1/4) | 75.0% [30.1, 95.4] (3/4) | +50.0 pts [-13.5, +78.9] | 0 | 0 |"),
            "{md}"
        );
        // A correct answer taken by the fallback counts only in the flexible table.
        records[5].extraction = crate::extract::Extraction::Fallback;
        let md = markdown(&summarize(&records), &records, &[], None);
        assert!(md.contains("(3/4) |"), "{md}");
        assert!(
            md.contains(
                "| **gsm8k** | **all** | 25.0% [4.6, 69.9] (1/4) | 50.0% [15.0, 85.0] (2/4) | +25.0 pts"
            ),
            "{md}"
        );
        assert!(md.contains("| 0 | 1 |"), "{md}");
        assert!(!md.contains("Local judge"));

        // A judge whose outputs hold no rating is reported as such.
        let judge = |rating| {
            Some(crate::tape::JudgeScore {
                model: "j.gguf".into(),
                prompt: "single-v1".into(),
                rating,
                output: "I like it.".into(),
            })
        };
        records[0].judge = judge(None);
        records[1].judge = judge(None);
        let md = markdown(&summarize(&records), &records, &[], None);
        assert!(md.contains("could be read from 0 of its 2 outputs"), "{md}");
        assert!(!md.contains("mean rating"), "{md}");
        records[1].judge = judge(Some(7.0));
        let md = markdown(&summarize(&records), &records, &[], None);
        assert!(md.contains("could be read from 1 of its 2 outputs"), "{md}");
        assert!(md.contains("| gsm8k | guarded | 7.00"), "{md}");
    }
}
