//! Recall and precision of `parse_requirements` on the IFEval prompts, whose
//! `instruction_id_list` + `kwargs` are the gold. Prints a per-type table.
//!
//! Type level: a predicted requirement of the right type counts (per prompt, matched by
//! count). Exact level: its parameters must match too, compared semantically ("at most
//! 150" = "less than 151"; "exactly 1 sentence" = "at least 1" and "less than 2", as
//! IFEval writes it). flinch's own kinds (lines, words per sentence) have no gold and
//! are left out. The patterns were written with these prompts in view, so the figures
//! are an optimistic estimate for unseen requests.

use std::collections::BTreeMap;
use std::path::PathBuf;

use flinch_guardrails::requirements::{Relation, Requirement, RequirementKind, parse_requirements};
use serde_json::Value;

fn ifeval_path() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let candidates = [
        root.join("benchmarks/data/ifeval/input_data.jsonl"),
        root.join("../shared/datasets/ifeval/input_data.jsonl"),
    ];
    candidates
        .iter()
        .find(|p| p.exists())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "IFEval data not found at {} or {}: copy input_data.jsonl there",
                candidates[0].display(),
                candidates[1].display()
            )
        })
}

/// Semantic items of a requirement: (kind, canonical parameters).
fn items(req: &Requirement) -> Vec<(RequirementKind, String)> {
    use Requirement as R;
    let kind = req.kind();
    let rel = |r: Relation, n: usize| -> Vec<String> {
        match r {
            Relation::AtMost => vec![format!("<{}", n + 1)],
            Relation::LessThan => vec![format!("<{n}")],
            Relation::MoreThan => vec![format!(">={}", n + 1)],
            Relation::AtLeast => vec![format!(">={n}")],
            Relation::Exactly => vec![format!(">={n}"), format!("<{}", n + 1)],
        }
    };
    let keys: Vec<String> = match req {
        R::Keywords { keywords } | R::ForbiddenWords { words: keywords } => {
            let mut k: Vec<String> = keywords.iter().map(|w| w.to_lowercase()).collect();
            k.sort();
            k.dedup();
            vec![k.join("|")]
        }
        R::KeywordFrequency {
            keyword,
            relation,
            count,
        } => rel(*relation, *count)
            .into_iter()
            .map(|r| format!("{}{r}", keyword.to_lowercase()))
            .collect(),
        R::LetterFrequency {
            letter,
            relation,
            count,
        } => rel(*relation, *count)
            .into_iter()
            .map(|r| format!("{letter}{r}"))
            .collect(),
        R::NumberSentences { relation, count }
        | R::NumberWords { relation, count }
        | R::CapitalWordFrequency { relation, count } => rel(*relation, *count),
        R::RepeatPrompt { prompt_to_repeat } => vec![prompt_to_repeat.trim().to_lowercase()],
        R::EndPhrase { phrase } => vec![phrase.trim().to_lowercase()],
        other => vec![serde_json::to_string(other).unwrap()],
    };
    keys.into_iter().map(|k| (kind, k)).collect()
}

#[derive(Default)]
struct Tally {
    gold: usize,
    pred: usize,
    type_tp: usize,
    exact_tp: usize,
}

fn pct(a: usize, b: usize) -> f64 {
    if b == 0 {
        100.0
    } else {
        100.0 * a as f64 / b as f64
    }
}

#[test]
fn requirements_parser_recall_and_precision_on_ifeval() {
    let text = std::fs::read_to_string(ifeval_path()).unwrap();
    let mut tallies: BTreeMap<RequirementKind, Tally> = BTreeMap::new();
    let mut prompts = 0;
    let mut prompts_all_found = 0;
    for line in text.lines() {
        let row: Value = serde_json::from_str(line).unwrap();
        prompts += 1;
        let mut gold: Vec<(RequirementKind, String)> = Vec::new();
        for (id, kw) in row["instruction_id_list"]
            .as_array()
            .unwrap()
            .iter()
            .zip(row["kwargs"].as_array().unwrap())
        {
            let req = Requirement::from_ifeval(id.as_str().unwrap(), kw).unwrap();
            // IFEval lists "20 to 25 sentences" as two instructions; each is one item.
            let mut it = items(&req);
            it.truncate(1);
            gold.extend(it);
        }
        let pred: Vec<(RequirementKind, String)> =
            parse_requirements(row["prompt"].as_str().unwrap())
                .iter()
                .filter(|r| r.kind().ifeval_id().is_some())
                .flat_map(items)
                .collect();
        let mut all_found = true;
        for kind in RequirementKind::ALL {
            let g: Vec<&String> = gold
                .iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, s)| s)
                .collect();
            let p: Vec<&String> = pred
                .iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, s)| s)
                .collect();
            if g.is_empty() && p.is_empty() {
                continue;
            }
            let t = tallies.entry(kind).or_default();
            t.gold += g.len();
            t.pred += p.len();
            t.type_tp += g.len().min(p.len());
            let mut left = p.clone();
            let mut exact = 0;
            for item in &g {
                if let Some(i) = left.iter().position(|x| x == item) {
                    left.swap_remove(i);
                    exact += 1;
                }
            }
            t.exact_tp += exact;
            all_found &= exact == g.len();
        }
        prompts_all_found += usize::from(all_found);
    }

    println!(
        "{:<46} {:>5} {:>5} {:>8} {:>8} {:>8} {:>8}",
        "type", "gold", "pred", "type R", "type P", "exact R", "exact P"
    );
    let mut total = Tally::default();
    for (kind, t) in &tallies {
        println!(
            "{:<46} {:>5} {:>5} {:>7.1}% {:>7.1}% {:>7.1}% {:>7.1}%",
            kind.name(),
            t.gold,
            t.pred,
            pct(t.type_tp, t.gold),
            pct(t.type_tp, t.pred),
            pct(t.exact_tp, t.gold),
            pct(t.exact_tp, t.pred)
        );
        total.gold += t.gold;
        total.pred += t.pred;
        total.type_tp += t.type_tp;
        total.exact_tp += t.exact_tp;
    }
    let (type_r, type_p) = (
        pct(total.type_tp, total.gold),
        pct(total.type_tp, total.pred),
    );
    let (exact_r, exact_p) = (
        pct(total.exact_tp, total.gold),
        pct(total.exact_tp, total.pred),
    );
    println!(
        "{:<46} {:>5} {:>5} {:>7.1}% {:>7.1}% {:>7.1}% {:>7.1}%",
        "all (micro)", total.gold, total.pred, type_r, type_p, exact_r, exact_p
    );
    println!(
        "prompts with every gold requirement found exactly: {prompts_all_found}/{prompts} ({:.1}%)",
        pct(prompts_all_found, prompts)
    );

    // Floors actually reached (see the printed table); a regression fails here.
    assert!(type_r >= 95.0, "type-level recall {type_r:.1}%");
    assert!(type_p >= 93.0, "type-level precision {type_p:.1}%");
    assert!(exact_r >= 94.0, "exact recall {exact_r:.1}%");
    assert!(exact_p >= 92.0, "exact precision {exact_p:.1}%");
    for (kind, t) in &tallies {
        assert!(
            pct(t.type_tp, t.gold) >= 65.0,
            "{kind}: type recall {:.1}%",
            pct(t.type_tp, t.gold)
        );
        assert!(
            pct(t.type_tp, t.pred) >= 75.0,
            "{kind}: type precision {:.1}%",
            pct(t.type_tp, t.pred)
        );
    }
}
