//! Scoring one answer against its gold: a pure function of the suite, the
//! task, the question, the output and the gold, so that a tape re-scores
//! without the model ([`crate::replay`]).
//!
//! - GSM8K and BBH numbers: exact numeric match (`,` and `$` ignored).
//! - BBH labels and options, ProntoQA, LogicBench: the extracted label or
//!   option equals the gold (labels case-insensitive).
//! - BBH word_sorting: normalised exact match (case, spacing, final stop);
//!   dyck_languages: exact match ignoring whitespace.
//! - IFEval: every instruction checked strictly and loosely by the
//!   guardrails verifiers; `correct` is prompt-level strict.
//! - MT-bench: the hand-made reference check where one exists, else
//!   unscored (`correct` is null).

use anyhow::bail;
use flinch_guardrails::requirements::{Mode, check_all};
use serde::{Deserialize, Serialize};

use crate::extract::{self, Extracted, Extraction};
use crate::suite::{AnswerKind, Gold, RefCheck, Suite};
use crate::suites::ifeval;

/// IFEval verdicts of one response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstructionScores {
    /// Per instruction, in the gold's order: passed in strict mode.
    pub strict: Vec<bool>,
    /// Per instruction: passed in loose mode.
    pub loose: Vec<bool>,
    /// The strict failures, `instruction id: what failed`.
    pub failures: Vec<String>,
}

impl InstructionScores {
    pub fn prompt_strict(&self) -> bool {
        self.strict.iter().all(|&p| p)
    }
    pub fn prompt_loose(&self) -> bool {
        self.loose.iter().all(|&p| p)
    }
}

/// The score of one answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub answer: Option<String>,
    pub extraction: Extraction,
    /// `None` when the item cannot be scored automatically.
    pub correct: Option<bool>,
    pub instructions: Option<InstructionScores>,
}

impl Scored {
    fn from(e: Extracted, correct: impl FnOnce(&str) -> bool) -> Self {
        let ok = e.answer.as_deref().is_some_and(correct);
        Self {
            answer: e.answer,
            extraction: e.how,
            correct: Some(ok),
            instructions: None,
        }
    }
}

const YES_NO: &[&str] = &["Yes", "No"];
const TRUE_FALSE: &[&str] = &["True", "False"];
const VALID_INVALID: &[&str] = &["valid", "invalid"];

/// The comparison of a task this harness does not know, from the shape of
/// its gold answer.
fn infer_kind(gold: &str) -> AnswerKind {
    let is = |set: &[&str]| set.iter().any(|l| l.eq_ignore_ascii_case(gold));
    let b = gold.as_bytes();
    if b.len() == 3 && b[0] == b'(' && b[1].is_ascii_uppercase() && b[2] == b')' {
        AnswerKind::Choice
    } else if is(YES_NO) {
        AnswerKind::Label(YES_NO)
    } else if is(TRUE_FALSE) {
        AnswerKind::Label(TRUE_FALSE)
    } else if is(VALID_INVALID) {
        AnswerKind::Label(VALID_INVALID)
    } else if extract::canonical_number(gold)
        .is_some_and(|n| extract::same_number(&n, gold) && gold.trim().len() <= n.len() + 1)
    {
        AnswerKind::Number
    } else {
        AnswerKind::Words
    }
}

/// Score `output` (the text shown to the user) for an item.
pub fn score(
    suite: Suite,
    task: &str,
    question: &str,
    output: &str,
    gold: &Gold,
) -> anyhow::Result<Scored> {
    let mut kind = suite.answer_kind(task);
    if let (AnswerKind::Exact, Gold::Answer(g)) = (kind, gold) {
        kind = infer_kind(g);
    }
    let scored = match (kind, gold) {
        (AnswerKind::Number, Gold::Answer(g)) => {
            Scored::from(extract::number(output), |a| extract::same_number(a, g))
        }
        (AnswerKind::Label(labels), Gold::Answer(g)) => {
            Scored::from(extract::label(output, labels), |a| {
                a.eq_ignore_ascii_case(g)
            })
        }
        (AnswerKind::Choice, Gold::Answer(g)) => {
            Scored::from(extract::choice(output, question), |a| a == g.trim())
        }
        (AnswerKind::Words, Gold::Answer(g)) => Scored::from(extract::free(output), |a| {
            extract::normalise_words(a) == extract::normalise_words(g)
        }),
        (AnswerKind::Brackets, Gold::Answer(g)) => Scored::from(extract::free(output), |a| {
            extract::normalise_brackets(a) == extract::normalise_brackets(g)
        }),
        (
            AnswerKind::Instructions,
            Gold::Instructions {
                instruction_id_list,
                kwargs,
            },
        ) => {
            let reqs = ifeval::requirements(instruction_id_list, kwargs)?;
            let strict_v = check_all(&reqs, output, Mode::Strict);
            let loose_v = check_all(&reqs, output, Mode::Loose);
            let scores = InstructionScores {
                strict: strict_v.iter().map(|v| v.is_pass()).collect(),
                loose: loose_v.iter().map(|v| v.is_pass()).collect(),
                failures: instruction_id_list
                    .iter()
                    .zip(&strict_v)
                    .filter(|(_, v)| !v.is_pass())
                    .map(|(id, v)| format!("{id}: {v}"))
                    .collect(),
            };
            Scored {
                answer: None,
                extraction: Extraction::Whole,
                correct: Some(scores.prompt_strict()),
                instructions: Some(scores),
            }
        }
        (
            AnswerKind::Reference,
            Gold::Reference {
                check: Some(check), ..
            },
        ) => reference(output, check),
        (AnswerKind::Reference, Gold::Reference { check: None, .. } | Gold::None) => Scored {
            answer: None,
            extraction: Extraction::Whole,
            correct: None,
            instructions: None,
        },
        (_, gold) => bail!(
            "the gold answer {} does not fit suite {suite}{}",
            serde_json::to_string(gold).unwrap_or_default(),
            if task.is_empty() {
                String::new()
            } else {
                format!(" task {task}")
            }
        ),
    };
    Ok(scored)
}

fn reference(output: &str, check: &RefCheck) -> Scored {
    match check {
        RefCheck::Number { value } => {
            Scored::from(extract::number(output), |a| extract::same_number(a, value))
        }
        RefCheck::Label { value, among } => {
            let among: Vec<&str> = among.iter().map(String::as_str).collect();
            Scored::from(extract::label(output, &among), |a| {
                a.eq_ignore_ascii_case(value)
            })
        }
        RefCheck::Phrase { any } => {
            let lower = output.to_lowercase();
            let found = any.iter().find(|p| lower.contains(&p.to_lowercase()));
            Scored {
                answer: found.cloned(),
                extraction: Extraction::Whole,
                correct: Some(found.is_some()),
                instructions: None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(suite: Suite, task: &str, q: &str, out: &str, gold: &str) -> Option<bool> {
        score(suite, task, q, out, &Gold::Answer(gold.into()))
            .unwrap()
            .correct
    }

    #[test]
    fn gsm8k_exact_numeric_match() {
        let g = |out: &str, gold: &str| ok(Suite::Gsm8k, "", "", out, gold);
        assert_eq!(g("9 * 2 = 18. The answer is 18.", "18"), Some(true));
        assert_eq!(g("The answer is $1,450,000.", "1450000"), Some(true));
        assert_eq!(g("The answer is 18.5.", "18"), Some(false));
        // Malformed outputs are wrong, not errors.
        assert_eq!(g("", "18"), Some(false));
        assert_eq!(g("I cannot tell.", "18"), Some(false));
        assert_eq!(g("First 12, then 18, finally 20", "18"), Some(false));
        assert_eq!(g("First 20, then 12, finally 18", "18"), Some(true));
        let s = score(Suite::Gsm8k, "", "", "no number", &Gold::Answer("3".into())).unwrap();
        assert_eq!((s.answer, s.extraction), (None, Extraction::None));
    }

    #[test]
    fn bbh_normalised_exact_match() {
        let b = |task: &str, q: &str, out: &str, gold: &str| ok(Suite::Bbh, task, q, out, gold);
        assert_eq!(
            b("boolean_expressions", "", "So the answer is True.", "True"),
            Some(true)
        );
        assert_eq!(
            b("boolean_expressions", "", "So the answer is False.", "True"),
            Some(false)
        );
        assert_eq!(b("navigate", "", "So the answer is no.", "No"), Some(true));
        let q = "Options:\n(A) Amy\n(B) Eve";
        assert_eq!(
            b(
                "logical_deduction_three_objects",
                q,
                "So the answer is (B).",
                "(B)"
            ),
            Some(true)
        );
        assert_eq!(
            b(
                "logical_deduction_three_objects",
                q,
                "So the answer is (A).",
                "(B)"
            ),
            Some(false)
        );
        assert_eq!(
            b(
                "word_sorting",
                "",
                "So the answer is Apple banana cherry.",
                "apple banana cherry"
            ),
            Some(true)
        );
        assert_eq!(
            b(
                "word_sorting",
                "",
                "So the answer is banana apple cherry.",
                "apple banana cherry"
            ),
            Some(false)
        );
        assert_eq!(
            b("dyck_languages", "", "So the answer is ] ) >.", "] ) >"),
            Some(true)
        );
        assert_eq!(
            b("dyck_languages", "", "So the answer is ] >.", "] ) >"),
            Some(false)
        );
        assert_eq!(
            b(
                "multistep_arithmetic_two",
                "",
                "So the answer is -11520.",
                "-11520"
            ),
            Some(true)
        );
        assert_eq!(b("object_counting", "", "", "8"), Some(false));
        // A task the harness does not know is compared by the gold's shape.
        assert_eq!(
            b(
                "snarks",
                "Options:\n(A) x\n(B) y",
                "So the answer is (A).",
                "(A)"
            ),
            Some(true)
        );
        assert_eq!(
            b("sports_understanding", "", "So the answer is yes.", "yes"),
            Some(true)
        );
        assert_eq!(
            b("formal_fallacies", "", "So the answer is invalid.", "valid"),
            Some(false)
        );
        assert_eq!(b("temporal", "", "So the answer is 7.", "7"), Some(true));
        assert_eq!(
            b(
                "ruin_names",
                "",
                "So the answer is the Beatles.",
                "the beatles"
            ),
            Some(true)
        );
    }

    #[test]
    fn labels_and_choices_of_the_logic_suites() {
        assert_eq!(
            ok(
                Suite::Prontoqa,
                "",
                "",
                "Max is not sour. So the answer is False.",
                "False"
            ),
            Some(true)
        );
        assert_eq!(
            ok(
                Suite::LogicbenchBqa,
                "x/y",
                "",
                "So the answer is Yes.",
                "yes"
            ),
            Some(true)
        );
        assert_eq!(ok(Suite::LogicbenchBqa, "x/y", "", "", "yes"), Some(false));
        let q = "ctx\nq\nOptions:\n(A) a\n(B) b\n(C) c\n(D) d";
        assert_eq!(
            ok(
                Suite::LogicbenchMcqa,
                "x/y",
                q,
                "So the answer is (C).",
                "(C)"
            ),
            Some(true)
        );
    }

    #[test]
    fn ifeval_strict_and_loose() {
        let gold = Gold::Instructions {
            instruction_id_list: vec![
                "punctuation:no_comma".into(),
                "change_case:english_lowercase".into(),
            ],
            kwargs: vec![serde_json::json!({}), serde_json::json!({})],
        };
        let s = score(Suite::Ifeval, "", "", "all lower and no commas here", &gold).unwrap();
        assert_eq!(s.correct, Some(true));
        let s = score(Suite::Ifeval, "", "", "Sure, here:\nall lower", &gold).unwrap();
        let i = s.instructions.unwrap();
        assert_eq!(
            (i.strict.clone(), i.loose.clone()),
            (vec![false, false], vec![true, true])
        );
        assert_eq!(s.correct, Some(false));
        assert_eq!(i.failures.len(), 2);
        assert!(
            i.failures[0].starts_with("punctuation:no_comma: fail"),
            "{}",
            i.failures[0]
        );
        // As in IFEval's checker, an empty response follows no instruction.
        let empty = score(Suite::Ifeval, "", "", "", &gold).unwrap();
        let i = empty.instructions.unwrap();
        assert_eq!(
            (i.strict, i.loose),
            (vec![false, false], vec![false, false])
        );
    }

    #[test]
    fn mt_bench_reference_checks() {
        let r = |check: RefCheck, out: &str| {
            score(
                Suite::MtBench,
                "math",
                "",
                out,
                &Gold::Reference {
                    reference: String::new(),
                    check: Some(check),
                },
            )
            .unwrap()
            .correct
        };
        assert_eq!(
            r(
                RefCheck::Number {
                    value: "280".into()
                },
                "5*20+3*30+2*45 = 280 dollars."
            ),
            Some(true)
        );
        assert_eq!(
            r(
                RefCheck::Number {
                    value: "280".into()
                },
                "It costs 245."
            ),
            Some(false)
        );
        let among = vec![
            "true".to_owned(),
            "false".to_owned(),
            "uncertain".to_owned(),
        ];
        assert_eq!(
            r(
                RefCheck::Label {
                    value: "uncertain".into(),
                    among
                },
                "It could be true... it is uncertain."
            ),
            Some(true)
        );
        assert_eq!(
            r(
                RefCheck::Phrase {
                    any: vec!["Second place".into()]
                },
                "You are in second place."
            ),
            Some(true)
        );
        let none = score(Suite::MtBench, "writing", "", "text", &Gold::None).unwrap();
        assert_eq!(none.correct, None);
    }

    #[test]
    fn a_gold_of_the_wrong_shape_is_an_error() {
        let e = score(Suite::Gsm8k, "", "", "x", &Gold::None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the gold answer null does not fit suite gsm8k"
        );
    }
}
