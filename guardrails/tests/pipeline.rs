//! The pipeline end to end with a scripted model: routing, the calculator
//! vote, every fallback, post-passes and the trace.

use flinch_guardrails::trace::Event;
use flinch_guardrails::{
    AnswerOptions, Conversation, Evidence, Pipeline, PipelineConfig, ProgramSource, RouteChoice,
    RouteKind, ScriptedLlm,
};
use flinch_sandbox::{Limits, ModuleCache, Sandbox};

fn pipeline(replies: &[&str]) -> Pipeline {
    let sandbox = Sandbox::new(Limits::default(), &ModuleCache::Off).unwrap();
    Pipeline::new(
        Box::new(ScriptedLlm::new(replies.iter().copied())),
        sandbox,
        PipelineConfig::default(),
    )
}

/// The answer to a one-question conversation with default options.
fn ask(p: &mut Pipeline, question: &str) -> flinch_guardrails::Answer {
    p.answer(
        &Conversation::question(question),
        &AnswerOptions::default(),
        &mut |_| {},
    )
    .unwrap()
}

/// The seed question as the purchase reader reads it, no model involved.
const BOOKS: &str =
    "Benjamin buys 5 books at $20, 3 at $30 and 2 at $45. How much does he spend in total?";
/// The same sums in a phrasing the reader leaves to the model.
const BOOKS_FOR_THE_MODEL: &str = "Benjamin buys 5 books at $20, 3 at $30 and 2 at $45 for his class. How much does he spend in total?";

#[test]
fn calculator_votes_on_program_values() {
    let good = "# 5 books at $20, 3 at $30, 2 at $45\ntotal = 5*20 + 3*30 + 2*45";
    let mut p = pipeline(&[
        good,
        "total = 5*20 + 3*30",
        good,
        "total = (5*20 + 3*30 + 2*45",
        good,
    ]);
    let a = ask(&mut p, BOOKS_FOR_THE_MODEL);
    assert_eq!(a.route, Some(RouteKind::Calculator));
    assert_eq!(a.text, "The answer is 280.");
    match &a.evidence {
        Evidence::Program {
            program,
            value,
            source,
            votes,
            samples,
        } => {
            assert_eq!(program, good);
            assert_eq!(*source, ProgramSource::Model);
            assert_eq!((value.as_str(), *votes, *samples), ("280", 3, 5));
        }
        other => panic!("program evidence expected, got {other:?}"),
    }
    let vote = a.trace.iter().find_map(|s| match &s.event {
        Event::Vote { tally, winner } => Some((tally.clone(), winner.clone())),
        _ => None,
    });
    assert_eq!(
        vote,
        Some((
            vec![("280".to_owned(), 3), ("190".to_owned(), 1)],
            Some("280".to_owned())
        ))
    );
    let errors = a
        .trace
        .iter()
        .filter(|s| matches!(&s.event, Event::Program { ok: false, .. }))
        .count();
    assert_eq!(errors, 1);
}

#[test]
fn calculator_falls_back_to_checked_reasoning_when_no_program_runs() {
    let bad = "total = five times twenty";
    let reasoning = "He spends 5×20 + 3×30 + 2×45 = 280 dollars. The answer is 245.";
    let mut p = pipeline(&[bad, bad, bad, bad, bad, reasoning]);
    let a = ask(&mut p, BOOKS_FOR_THE_MODEL);
    assert!(a.text.ends_with("so the answer is 280."), "{}", a.text);
    assert!(
        matches!(&a.evidence, Evidence::Arithmetic { corrected_answer: Some(c), .. } if c == "280")
    );
    assert!(
        a.trace
            .iter()
            .any(|s| matches!(&s.event, Event::Fallback { from, .. } if from == "calculator"))
    );
}

#[test]
fn a_purchase_list_is_read_without_the_model() {
    // No scripted output: a call to the model would fail the test.
    let mut p = pipeline(&[]);
    let a = ask(&mut p, BOOKS);
    assert_eq!(a.text, "The answer is 280.");
    match &a.evidence {
        Evidence::Program {
            program, source, ..
        } => {
            assert_eq!(*source, ProgramSource::Reader);
            assert!(
                program.ends_with("total = books + books_2 + books_3"),
                "{program}"
            );
        }
        other => panic!("program evidence expected, got {other:?}"),
    }
    assert!(
        a.trace.iter().any(
            |s| matches!(&s.event, Event::Note { text } if text.contains("without the model"))
        )
    );
}

#[test]
fn a_formula_is_computed_without_the_model() {
    let mut p = pipeline(&[]);
    let a = ask(&mut p, "((-3 + 4) * (2 - 9)) =");
    assert_eq!(a.text, "The answer is -7.");
}

#[test]
fn persona_break_is_regenerated_with_the_anchor() {
    let mut c = Conversation::with_system("You are Captain Flint, a pirate of the Caribbean.");
    c.push_user("Do you like the sea?");
    let mut p = pipeline(&[
        "As an AI language model, I don't have feelings about the sea.",
        "Arr, the sea be my only home!",
    ]);
    let a = p
        .answer(&c, &AnswerOptions::default(), &mut |_| {})
        .unwrap();
    assert_eq!(a.route, Some(RouteKind::Chat));
    assert_eq!(a.text, "Arr, the sea be my only home!");
    let actions: Vec<String> = a
        .trace
        .iter()
        .filter_map(|s| match &s.event {
            Event::PostPass { name, action, .. } if name == "persona_break" => Some(action.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        actions,
        vec![
            "regenerate with the persona anchor",
            "keep the regenerated answer"
        ]
    );
}

#[test]
fn persona_break_that_persists_is_repaired() {
    let mut c = Conversation::with_system("You are Captain Flint, a pirate.");
    c.push_user("Do you like the sea?");
    let mut p = pipeline(&[
        "As an AI, I have no opinion.",
        "Arr, I love it. As an AI language model I cannot swim.",
    ]);
    let a = p
        .answer(&c, &AnswerOptions::default(), &mut |_| {})
        .unwrap();
    assert_eq!(a.text, "Arr, I love it.");
}

#[test]
fn self_correction_artifacts_are_stripped() {
    let mut p = pipeline(&[
        "Paris is the capital of Spain. Wait, let me recheck. Corrected Answer: Paris is the capital of France.",
    ]);
    let a = ask(&mut p, "What is the capital of France?");
    assert_eq!(a.text, "Paris is the capital of France.");
}

#[test]
fn raw_mode_skips_every_guardrail() {
    let text = "The answer is 245. Wait, let me recheck.";
    let mut p = pipeline(&[text]);
    let opts = AnswerOptions {
        route: RouteChoice::Raw,
        ..AnswerOptions::default()
    };
    let a = p
        .answer(&Conversation::question(BOOKS), &opts, &mut |_| {})
        .unwrap();
    assert_eq!((a.text.as_str(), a.route), (text, None));
}

#[test]
fn an_empty_conversation_is_a_clear_error() {
    let mut p = pipeline(&[]);
    let e = p
        .answer(
            &Conversation::default(),
            &AnswerOptions::default(),
            &mut |_| {},
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid conversation: there is no user message"
    );
}

const DAVID: &str = "David has three sisters. Each of his sisters has one brother. How many brothers does David have?";
/// The same puzzle in words the family reader does not know: the model writes the facts.
const DAVID_REWORDED: &str = "David has three sisters. Every sister of his has exactly one brother. How many brothers does David have?";

#[test]
fn a_family_puzzle_in_the_usual_phrasing_needs_no_model() {
    let mut p = pipeline(&[]);
    let a = ask(&mut p, DAVID);
    assert_eq!(a.route, Some(RouteKind::Logic));
    assert_eq!(a.text, "The answer is 0.");
    assert!(
        !a.trace
            .iter()
            .any(|s| matches!(s.event, Event::Generate { .. }))
    );
}

#[test]
fn a_truth_teller_chain_in_the_usual_phrasing_needs_no_model() {
    // BIG-Bench Hard web_of_lies items 0 (gold No) and a two-person chain.
    let cases = [
        (
            "Question: Sherrie tells the truth. Vernell says Sherrie tells the truth. Alexis says \
             Vernell lies. Michaela says Alexis tells the truth. Elanor says Michaela tells the \
             truth. Does Elanor tell the truth?",
            "The answer is No.",
        ),
        (
            "Fidel lies. Jerry says Fidel lies. Does Jerry tell the truth?",
            "The answer is Yes.",
        ),
    ];
    for (question, expected) in cases {
        let mut p = pipeline(&[]);
        let a = ask(&mut p, question);
        assert_eq!(
            (a.route, a.text.as_str()),
            (Some(RouteKind::Logic), expected)
        );
        assert!(
            !a.trace
                .iter()
                .any(|s| matches!(s.event, Event::Generate { .. }))
        );
    }
}

/// What the reader covers: every item of BIG-Bench Hard's `web_of_lies` (the
/// phrasing it was written from) is read and answered without the model.
#[test]
fn the_truth_reader_answers_every_web_of_lies_item() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../benchmarks/data/bbh/web_of_lies.json"
    );
    let data: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let items = data["examples"].as_array().unwrap();
    assert_eq!(items.len(), 200);
    let mut p = pipeline(&[]);
    for (i, item) in items.iter().enumerate() {
        let a = ask(&mut p, item["input"].as_str().unwrap());
        let expected = format!("The answer is {}.", item["target"].as_str().unwrap());
        assert_eq!(a.text, expected, "item {i}");
    }
}

#[test]
fn logic_puzzle_is_solved_by_z3_from_the_models_facts() {
    let facts = "boy David\nsisters David = 3\nbrothers sister = 1\nask brothers David\n";
    let mut p = pipeline(&[facts]);
    let a = ask(&mut p, DAVID_REWORDED);
    assert_eq!(a.route, Some(RouteKind::Logic));
    assert_eq!(a.text, "The answer is 0.");
    assert!(matches!(&a.evidence, Evidence::Solver { facts: f, .. } if f.starts_with("boy David")));
}

#[test]
fn rejected_facts_are_sent_back_with_the_error() {
    let bad = "boy David\nsisters David = 3\nbrothers sister =\nask brothers David";
    let good = "boy David\nsisters David = 3\nbrothers sister = 1\nask brothers David";
    let mut p = pipeline(&[bad, good]);
    let a = ask(&mut p, DAVID_REWORDED);
    assert_eq!(a.text, "The answer is 0.");
    let rejected: Vec<String> = a
        .trace
        .iter()
        .filter_map(|s| match &s.event {
            Event::Solve {
                outcome, ok: false, ..
            } => Some(outcome.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(rejected.len(), 1);
    assert!(rejected[0].starts_with("rejected: line 3:"), "{rejected:?}");
}

#[test]
fn logic_falls_back_to_guarded_generation_when_the_facts_never_parse() {
    let bad = "David is happy because";
    let mut p = pipeline(&[bad, bad, bad, "David has no brothers."]);
    let a = ask(&mut p, DAVID_REWORDED);
    assert_eq!(a.text, "David has no brothers.");
    assert_eq!(a.evidence, Evidence::None);
    assert!(
        a.trace
            .iter()
            .any(|s| matches!(&s.event, Event::Fallback { from, .. } if from == "logic"))
    );
}

const DATE: &str = "Today is Christmas Eve of 1937. What is the date tomorrow in MM/DD/YYYY?\n\
Options:\n(A) 12/11/1937\n(B) 12/25/1937\n(C) 01/04/1938";

#[test]
fn a_multiple_choice_answer_beside_the_options_gets_the_models_letter() {
    let mut p = pipeline(&["I think it's the year of Christmas.", "B"]);
    let a = ask(&mut p, DATE);
    assert_eq!(
        a.text,
        "I think it's the year of Christmas.\nSo the answer is (B)."
    );
    assert!(a.trace.iter().any(|s| matches!(
        &s.event,
        Event::Generate { purpose, .. } if purpose == "option"
    )));
}

#[test]
fn an_answer_that_names_an_option_is_left_alone() {
    // One reply only: a second generation would fail the scripted model.
    let mut p = pipeline(&["Tomorrow is Christmas, so (B)."]);
    assert_eq!(ask(&mut p, DATE).text, "Tomorrow is Christmas, so (B).");
}

#[test]
fn a_reply_that_is_not_a_listed_letter_adds_nothing() {
    let mut p = pipeline(&["I think it's the year of Christmas.", "Z"]);
    assert_eq!(
        ask(&mut p, DATE).text,
        "I think it's the year of Christmas."
    );
}

#[test]
fn a_boolean_expression_is_evaluated_without_the_model() {
    let mut p = pipeline(&[]);
    let a = ask(&mut p, "not ( True ) and ( True ) is");
    assert_eq!(
        (a.route, a.text.as_str()),
        (Some(RouteKind::Logic), "The answer is False.")
    );
}

#[test]
fn constrained_route_refines_then_cuts_an_overlong_poem() {
    let long: String = (1..=12)
        .map(|i| format!("The sea rolls on, wave {i}.\n"))
        .collect();
    let mut p = pipeline(&[&long, &long, &long]);
    let a = ask(&mut p, "Write a poem about the sea in fewer than 10 lines.");
    assert_eq!(a.route, Some(RouteKind::Constrained));
    assert_eq!(a.text.lines().count(), 9);
    match &a.evidence {
        Evidence::Verdicts {
            verdicts, drafts, ..
        } => {
            assert_eq!(*drafts, 3);
            assert!(verdicts.iter().all(|v| v.pass), "{verdicts:?}");
        }
        other => panic!("verdicts expected, got {other:?}"),
    }
    let verifies = a
        .trace
        .iter()
        .filter(|s| matches!(&s.event, Event::Verify { failed: 1, .. }))
        .count();
    assert_eq!(verifies, 3);
}

#[test]
fn constrained_route_stops_at_the_first_draft_that_passes() {
    let mut p = pipeline(&["calm blue sea\nsoft white foam\nthe gulls cry"]);
    let a = ask(&mut p, "Write a poem about the sea in fewer than 10 lines.");
    assert_eq!(a.text, "calm blue sea\nsoft white foam\nthe gulls cry");
    assert!(matches!(
        &a.evidence,
        Evidence::Verdicts {
            draft: 1,
            drafts: 1,
            ..
        }
    ));
}
