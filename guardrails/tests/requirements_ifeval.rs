//! Building requirements from IFEval rows: the whole shared file, and bad kwargs.

use std::path::PathBuf;

use flinch_guardrails::requirements::{Language, Relation, Requirement, RequirementError};
use serde_json::{Value, json};

/// The IFEval input file: the project copy (`benchmarks/data/ifeval/`) if present, else
/// the shared datasets folder beside the repository.
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

fn rows() -> Vec<Value> {
    let text = std::fs::read_to_string(ifeval_path()).expect("IFEval file is readable");
    text.lines()
        .map(|l| serde_json::from_str(l).expect("IFEval line is JSON"))
        .collect()
}

#[test]
fn requirements_ifeval_every_row_builds_and_round_trips() {
    let rows = rows();
    assert!(rows.len() >= 433, "{} rows", rows.len());
    let mut built = 0;
    for row in &rows {
        let ids = row["instruction_id_list"].as_array().unwrap();
        let kwargs = row["kwargs"].as_array().unwrap();
        assert_eq!(ids.len(), kwargs.len());
        for (id, kw) in ids.iter().zip(kwargs) {
            let id = id.as_str().unwrap();
            let req = Requirement::from_ifeval(id, kw)
                .unwrap_or_else(|e| panic!("row {}: {e}", row["key"]));
            let (back_id, back_kwargs) = req.to_ifeval().expect("IFEval requirement");
            assert_eq!(back_id, id, "row {}", row["key"]);
            assert_eq!(&back_kwargs, kw, "row {}", row["key"]);
            // The typed form survives serde.
            let json = serde_json::to_string(&req).unwrap();
            assert_eq!(serde_json::from_str::<Requirement>(&json).unwrap(), req);
            built += 1;
        }
    }
    println!(
        "built and round-tripped {built} IFEval requirements from {} rows",
        rows.len()
    );
    assert!(built >= 664);
}

#[test]
fn requirements_ifeval_sets_the_implied_relations() {
    assert_eq!(
        Requirement::from_ifeval(
            "detectable_format:number_bullet_lists",
            &json!({"num_bullets": 3})
        )
        .unwrap(),
        Requirement::NumberBulletLists {
            relation: Relation::Exactly,
            count: 3
        }
    );
    assert_eq!(
        Requirement::from_ifeval(
            "length_constraints:number_words",
            &json!({"relation": "less than", "num_words": 50})
        )
        .unwrap(),
        Requirement::NumberWords {
            relation: Relation::LessThan,
            count: 50
        }
    );
    assert_eq!(
        Requirement::from_ifeval("language:response_language", &json!({"language": "kn"})).unwrap(),
        Requirement::ResponseLanguage {
            language: Language::Kannada
        }
    );
    // HF-style rows carry every kwarg with null for the unused ones.
    assert_eq!(
        Requirement::from_ifeval(
            "punctuation:no_comma",
            &json!({"num_words": null, "relation": null})
        )
        .unwrap(),
        Requirement::NoComma
    );
}

fn err(id: &str, kwargs: Value) -> String {
    Requirement::from_ifeval(id, &kwargs)
        .unwrap_err()
        .to_string()
}

#[test]
fn requirements_ifeval_bad_kwargs_are_typed_errors_naming_the_field() {
    assert_eq!(
        err("punctuation:no_commas", json!({})),
        "unknown IFEval instruction id `punctuation:no_commas`: expected one of the 25 IFEval ids such as `punctuation:no_comma`"
    );
    assert_eq!(
        err(
            "length_constraints:number_words",
            json!({"relation": "at least", "num_words": "300"})
        ),
        "IFEval instruction `length_constraints:number_words`: kwargs field `num_words` must be a non-negative integer, found a string (\"300\")"
    );
    assert_eq!(
        err(
            "length_constraints:number_words",
            json!({"relation": "at least", "num_words": 2.5})
        ),
        "IFEval instruction `length_constraints:number_words`: kwargs field `num_words` must be a non-negative integer, found a decimal number (2.5)"
    );
    assert_eq!(
        err(
            "length_constraints:number_words",
            json!({"relation": "at least"})
        ),
        "IFEval instruction `length_constraints:number_words`: kwargs field `num_words` is missing"
    );
    assert_eq!(
        err(
            "length_constraints:number_words",
            json!({"relation": "at most", "num_words": 3})
        ),
        "IFEval instruction `length_constraints:number_words`: kwargs field `relation` = \"at most\" is invalid: must be \"less than\" or \"at least\""
    );
    assert_eq!(
        err(
            "detectable_content:number_placeholders",
            json!({"num_placeholders": -1})
        ),
        "IFEval instruction `detectable_content:number_placeholders`: kwargs field `num_placeholders` = -1 is invalid: must not be negative"
    );
    assert_eq!(
        err("keywords:existence", json!({"keywords": ["sea", 3]})),
        "IFEval instruction `keywords:existence`: kwargs field `keywords[1]` must be a string, found an integer (3)"
    );
    assert_eq!(
        err(
            "keywords:letter_frequency",
            json!({"letter": "ab", "let_frequency": 2, "let_relation": "at least"})
        ),
        "IFEval instruction `keywords:letter_frequency`: kwargs field `letter` = \"ab\" is invalid: must be a single character"
    );
    assert_eq!(
        err("language:response_language", json!({"language": "xx"})),
        "IFEval instruction `language:response_language`: kwargs field `language` = \"xx\" is invalid: not one of IFEval's 30 ISO 639-1 language codes"
    );
    assert_eq!(
        err(
            "length_constraints:nth_paragraph_first_word",
            json!({"num_paragraphs": 2, "nth_paragraph": 3, "first_word": "so"})
        ),
        "IFEval instruction `length_constraints:nth_paragraph_first_word`: kwargs field `nth_paragraph` = 3 is invalid: must be between 1 and num_paragraphs (2)"
    );
    assert_eq!(
        err("punctuation:no_comma", json!({"num_words": 3})),
        "IFEval instruction `punctuation:no_comma`: unexpected kwargs field `num_words` (this instruction takes: no fields)"
    );
    assert_eq!(
        err("startend:end_checker", json!([])),
        "IFEval instruction `startend:end_checker`: kwargs must be a JSON object, found an array"
    );
    assert!(matches!(
        Requirement::from_ifeval("startend:end_checker", &json!({"end_phrase": "  "})),
        Err(RequirementError::BadValue {
            field: "end_phrase",
            ..
        })
    ));
}

#[test]
fn requirements_flinch_kinds_have_no_ifeval_form() {
    let req = Requirement::NumberLines {
        relation: Relation::LessThan,
        count: 10,
    };
    assert_eq!(req.to_ifeval(), None);
    assert_eq!(
        Requirement::NumberWords {
            relation: Relation::AtMost,
            count: 10
        }
        .to_ifeval(),
        None
    );
}
