//! Parity with IFEval's Python reference checker on a hand-made corpus.
//!
//! `tests/data/requirements/parity_cases.json` holds, for 75 responses, the Python
//! reference's sentence/word/capital-word counts and language, and its strict and loose
//! verdicts for 60 IFEval requirement instances (regenerate with `make_parity.py`).

use flinch_guardrails::requirements::{Requirement, RequirementKind, measure};
use serde_json::Value;

fn cases() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/requirements/parity_cases.json"
    );
    let text = std::fs::read_to_string(path).expect("parity_cases.json is readable");
    serde_json::from_str(&text).expect("parity_cases.json is JSON")
}

fn responses(cases: &Value) -> Vec<&str> {
    cases["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["text"].as_str().unwrap())
        .collect()
}

#[test]
fn requirements_parity_of_counts_with_python() {
    let cases = cases();
    let mut mismatches = Vec::new();
    for (i, r) in cases["responses"].as_array().unwrap().iter().enumerate() {
        let text = r["text"].as_str().unwrap();
        let got = (
            measure::count_sentences(text),
            measure::count_words(text),
            measure::count_capital_words(text),
        );
        let want = (
            r["sentences"].as_u64().unwrap() as usize,
            r["words"].as_u64().unwrap() as usize,
            r["capital_words"].as_u64().unwrap() as usize,
        );
        if got != want {
            mismatches.push(format!(
                "response {i}: (sentences, words, capitals) = {got:?}, Python {want:?}: {text:?}"
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn requirements_parity_of_verdicts_with_python() {
    let cases = cases();
    let texts = responses(&cases);
    let language_kinds = [
        RequirementKind::ResponseLanguage,
        RequirementKind::EnglishCapital,
        RequirementKind::EnglishLowercase,
    ];
    let (mut exact_total, mut language_total, mut language_agree) = (0, 0, 0);
    let mut mismatches = Vec::new();
    for case in cases["requirements"].as_array().unwrap() {
        let id = case["instruction_id"].as_str().unwrap();
        let req = Requirement::from_ifeval(id, &case["kwargs"]).unwrap();
        let strict = case["strict"].as_str().unwrap().as_bytes();
        let loose = case["loose"].as_str().unwrap().as_bytes();
        for (i, text) in texts.iter().enumerate() {
            let got = (req.check(text).is_pass(), req.check_loose(text).is_pass());
            let want = (strict[i] == b'1', loose[i] == b'1');
            if language_kinds.contains(&req.kind()) {
                language_total += 1;
                language_agree += usize::from(got == want);
            } else {
                exact_total += 1;
                if got != want {
                    mismatches.push(format!(
                        "{id} {}: response {i}: (strict, loose) = {got:?}, Python {want:?}; verdict {}",
                        case["kwargs"],
                        req.check(text)
                    ));
                }
            }
        }
    }
    println!(
        "parity: {}/{exact_total} exact (strict, loose) pairs agree; language-dependent: {language_agree}/{language_total}",
        exact_total - mismatches.len()
    );
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(exact_total > 3500, "the corpus shrank: {exact_total} pairs");
    // whatlang vs langdetect: allow a few disagreements on short or mixed texts.
    assert!(
        language_agree * 100 >= language_total * 95,
        "language-dependent agreement {language_agree}/{language_total} is below 95%"
    );
}

#[test]
fn requirements_parity_of_language_identification() {
    let cases = cases();
    let rows = cases["responses"].as_array().unwrap();
    let mut agree = 0;
    let mut compared = 0;
    for r in rows {
        let text = r["text"].as_str().unwrap();
        let Some(python) = r["language"].as_str() else {
            continue;
        };
        // Python's langdetect labels short non-prose snippets with arbitrary languages
        // (`[1, 2, 3]`, `Yes`); compare on texts of at least five words.
        if measure::count_words(text) < 5 {
            continue;
        }
        compared += 1;
        if measure::detect_language(text).as_deref() == Some(python) {
            agree += 1;
        }
    }
    println!("language identification: {agree}/{compared} agree with langdetect");
    assert!(agree * 100 >= compared * 90, "{agree}/{compared}");
}
