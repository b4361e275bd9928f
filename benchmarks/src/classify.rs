//! Error classes, detected automatically from an output and its score.
//!
//! | class | detected when |
//! |---|---|
//! | `tool_failure` | guarded: the pipeline fell back from a tool route (trace `fallback`), or failed |
//! | `constraint_drift` | a verifier fails: IFEval strict, or an MT-bench turn's parsed requirements |
//! | `arithmetic_flinch` | numeric items: the final number is wrong while a correct calculation in the text supports another, or the sandbox disagrees with a stated calculation (`flinch_guardrails::arith::check`) |
//! | `logic_flinch` | logic items (ProntoQA, LogicBench, BBH logic tasks, MT-bench reasoning): a well-formed but wrong answer |
//! | `persona_break` | the persona post-pass finds a break ("as an AI language model") |
//! | `self_correction` | the self-correction post-pass finds an artifact ("Wait, let me recheck") |
//! | `other` | a wrong answer with none of the above (including no answer at all) |
//!
//! A correct answer can only carry the artifact classes (`persona_break`,
//! `self_correction`); an unscored one (MT-bench without a reference check)
//! never gets `other`. The primary class is the first detected in the
//! order above; `none` when nothing was detected.

use flinch_guardrails::arith;
use flinch_guardrails::postpass::PostPass;
use flinch_guardrails::requirements::{Mode as CheckMode, check_all, parse_requirements};
use flinch_sandbox::Sandbox;
use serde::{Deserialize, Serialize};

use crate::extract::Extraction;
use crate::score::Scored;
use crate::suite::{AnswerKind, Suite};
use crate::tape::Mode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    None,
    ToolFailure,
    ConstraintDrift,
    ArithmeticFlinch,
    LogicFlinch,
    PersonaBreak,
    SelfCorrection,
    Other,
}

impl ErrorClass {
    /// The classes, in precedence order (`none` excluded).
    pub const ALL: [ErrorClass; 7] = [
        ErrorClass::ToolFailure,
        ErrorClass::ConstraintDrift,
        ErrorClass::ArithmeticFlinch,
        ErrorClass::LogicFlinch,
        ErrorClass::PersonaBreak,
        ErrorClass::SelfCorrection,
        ErrorClass::Other,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ErrorClass::None => "none",
            ErrorClass::ToolFailure => "tool_failure",
            ErrorClass::ConstraintDrift => "constraint_drift",
            ErrorClass::ArithmeticFlinch => "arithmetic_flinch",
            ErrorClass::LogicFlinch => "logic_flinch",
            ErrorClass::PersonaBreak => "persona_break",
            ErrorClass::SelfCorrection => "self_correction",
            ErrorClass::Other => "other",
        }
    }
}

/// What classification looks at.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub suite: Suite,
    pub task: &'a str,
    pub question: &'a str,
    pub output: &'a str,
    pub mode: Mode,
    pub scored: &'a Scored,
    /// Why the pipeline fell back, from the trace (guarded mode).
    pub fallbacks: &'a [String],
    /// The run failed for this item (the error text).
    pub failure: Option<&'a str>,
}

/// The primary class and every class detected, in precedence order.
pub fn classify(f: &Facts<'_>, sandbox: &Sandbox) -> (ErrorClass, Vec<ErrorClass>) {
    let correct = f.scored.correct;
    let wrong = correct == Some(false);
    let mut found = Vec::new();
    if correct != Some(true)
        && f.mode == Mode::Guarded
        && (!f.fallbacks.is_empty() || f.failure.is_some())
    {
        found.push(ErrorClass::ToolFailure);
    }
    if correct != Some(true) && constraint_drift(f) {
        found.push(ErrorClass::ConstraintDrift);
    }
    if correct != Some(true) && arithmetic_flinch(f, sandbox) {
        found.push(ErrorClass::ArithmeticFlinch);
    }
    if wrong && f.suite.is_logic(f.task) && f.scored.extraction != Extraction::None {
        found.push(ErrorClass::LogicFlinch);
    }
    if !PostPass::PersonaBreak.check(f.output).is_clean() {
        found.push(ErrorClass::PersonaBreak);
    }
    if !PostPass::SelfCorrection.check(f.output).is_clean() {
        found.push(ErrorClass::SelfCorrection);
    }
    if wrong
        && found
            .iter()
            .all(|c| matches!(c, ErrorClass::PersonaBreak | ErrorClass::SelfCorrection))
    {
        found.insert(0, ErrorClass::Other);
        found.sort_by_key(|c| ErrorClass::ALL.iter().position(|a| a == c));
    }
    let primary = found.first().copied().unwrap_or(ErrorClass::None);
    (primary, found)
}

fn constraint_drift(f: &Facts<'_>) -> bool {
    match f.suite {
        Suite::Ifeval => f
            .scored
            .instructions
            .as_ref()
            .is_some_and(|i| !i.prompt_strict()),
        Suite::MtBench => {
            let reqs = parse_requirements(f.question);
            !reqs.is_empty()
                && check_all(&reqs, f.output, CheckMode::Strict)
                    .iter()
                    .any(|v| !v.is_pass())
        }
        _ => false,
    }
}

/// Numeric items and MT-bench: a wrong final number that a correct
/// calculation in the text contradicts, or a stated calculation the sandbox
/// computes differently.
fn arithmetic_flinch(f: &Facts<'_>, sandbox: &Sandbox) -> bool {
    let numeric =
        matches!(f.suite.answer_kind(f.task), AnswerKind::Number) || f.suite == Suite::MtBench;
    if !numeric || f.output.is_empty() {
        return false;
    }
    let report = arith::check(f.output, f.scored.answer.as_deref(), sandbox);
    report.corrected_answer.is_some() || report.equations.iter().any(|e| e.is_wrong())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::score;
    use crate::suite::Gold;
    use flinch_sandbox::{Limits, ModuleCache};

    fn class(
        suite: Suite,
        task: &str,
        question: &str,
        output: &str,
        gold: Gold,
        mode: Mode,
        fallbacks: &[String],
    ) -> (ErrorClass, Vec<ErrorClass>) {
        let sandbox = Sandbox::new(Limits::default(), &ModuleCache::Off).unwrap();
        let scored = score(suite, task, question, output, &gold).unwrap();
        classify(
            &Facts {
                suite,
                task,
                question,
                output,
                mode,
                scored: &scored,
                fallbacks,
                failure: None,
            },
            &sandbox,
        )
    }

    fn gsm(output: &str, gold: &str) -> ErrorClass {
        class(
            Suite::Gsm8k,
            "",
            "",
            output,
            Gold::Answer(gold.into()),
            Mode::Raw,
            &[],
        )
        .0
    }

    #[test]
    fn arithmetic_flinches() {
        // A correct calculation, then another number: the seed's flinch.
        assert_eq!(
            gsm(
                "5×20 + 3×30 + 2×45 = 280 dollars. The answer is 245.",
                "280"
            ),
            ErrorClass::ArithmeticFlinch
        );
        // A wrong stated result the sandbox recomputes.
        assert_eq!(
            gsm("48/2 = 25 in May. The answer is 25.", "24"),
            ErrorClass::ArithmeticFlinch
        );
        // Wrong without any calculation: other.
        assert_eq!(gsm("The answer is 7.", "8"), ErrorClass::Other);
        assert_eq!(gsm("", "8"), ErrorClass::Other);
        // Right: nothing.
        assert_eq!(gsm("48/2 = 24. The answer is 24.", "24"), ErrorClass::None);
    }

    #[test]
    fn logic_flinch_needs_a_well_formed_wrong_answer() {
        let p = |out: &str| {
            class(
                Suite::Prontoqa,
                "",
                "",
                out,
                Gold::Answer("True".into()),
                Mode::Raw,
                &[],
            )
            .0
        };
        assert_eq!(p("So the answer is False."), ErrorClass::LogicFlinch);
        assert_eq!(p("I am not sure."), ErrorClass::Other);
        assert_eq!(p("So the answer is True."), ErrorClass::None);
    }

    #[test]
    fn artifacts_count_even_on_correct_answers() {
        let (primary, all) = class(
            Suite::Gsm8k,
            "",
            "",
            "The answer is 12. Wait, let me recheck. The answer is 14.",
            Gold::Answer("14".into()),
            Mode::Raw,
            &[],
        );
        assert_eq!(
            (primary, all),
            (ErrorClass::SelfCorrection, vec![ErrorClass::SelfCorrection])
        );
        let (primary, all) = class(
            Suite::MtBench,
            "roleplay",
            "Pretend to be Elon Musk.",
            "As an AI language model, I cannot be Elon Musk.",
            Gold::None,
            Mode::Raw,
            &[],
        );
        assert_eq!(
            (primary, all),
            (ErrorClass::PersonaBreak, vec![ErrorClass::PersonaBreak])
        );
        let (_, all) = class(
            Suite::Gsm8k,
            "",
            "",
            "The answer is 3. Actually, the answer is 5.",
            Gold::Answer("4".into()),
            Mode::Raw,
            &[],
        );
        assert_eq!(all, vec![ErrorClass::SelfCorrection, ErrorClass::Other]);
    }

    #[test]
    fn constraint_drift_and_tool_failure() {
        let gold = Gold::Instructions {
            instruction_id_list: vec!["punctuation:no_comma".into()],
            kwargs: vec![serde_json::json!({})],
        };
        let c = class(
            Suite::Ifeval,
            "",
            "",
            "Yes, I will.",
            gold.clone(),
            Mode::Raw,
            &[],
        )
        .0;
        assert_eq!(c, ErrorClass::ConstraintDrift);
        let fell = vec!["calculator: no program ran".to_owned()];
        let c = class(
            Suite::Ifeval,
            "",
            "",
            "Yes, I will.",
            gold,
            Mode::Guarded,
            &fell,
        )
        .0;
        assert_eq!(c, ErrorClass::ToolFailure);
        // A fallback that still answered right is not an error.
        let c = class(
            Suite::Gsm8k,
            "",
            "",
            "The answer is 4.",
            Gold::Answer("4".into()),
            Mode::Guarded,
            &fell,
        )
        .0;
        assert_eq!(c, ErrorClass::None);
        // MT-bench: requirements parsed from the question.
        let q = "Write a haiku about the sea without using any commas.";
        let c = class(
            Suite::MtBench,
            "writing",
            q,
            "Waves roll, foam, and salt.",
            Gold::None,
            Mode::Raw,
            &[],
        )
        .0;
        assert_eq!(c, ErrorClass::ConstraintDrift);
        let c = class(
            Suite::MtBench,
            "writing",
            q,
            "Waves roll in foam and salt.",
            Gold::None,
            Mode::Raw,
            &[],
        )
        .0;
        assert_eq!(c, ErrorClass::None);
    }
}
