//! The pipeline's unit tests: options reaching the generations, stop strings.

use super::*;
use flinch_engine::{FinishReason, Prompt, Timings};
use flinch_sandbox::{Limits, ModuleCache};
use std::sync::{Arc, Mutex};

/// What the model saw of each request.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    sampling: Sampling,
    max_tokens: usize,
    stop: Vec<String>,
    cancel: bool,
    prompt: String,
    repeat_penalty: bool,
}

/// Replies with scripted text and records every request.
struct Recording {
    replies: Vec<&'static str>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Llm for Recording {
    fn generate(
        &mut self,
        request: GenerateRequest,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Generation> {
        self.seen.lock().unwrap().push(Seen {
            sampling: request.sampling,
            max_tokens: request.max_tokens,
            stop: request.stop.clone(),
            cancel: request.cancel.is_some(),
            prompt: match &request.prompt {
                Prompt::Text(t) => t.clone(),
                Prompt::Chat(m) => format!("{m:?}"),
            },
            repeat_penalty: request.repeat_penalty.is_some(),
        });
        let text = if self.replies.is_empty() {
            String::new()
        } else {
            self.replies.remove(0).to_owned()
        };
        on_text(&text);
        Ok(Generation {
            tokens: Vec::new(),
            logprob: None,
            text,
            finish: FinishReason::Eos,
            timings: Timings::default(),
        })
    }

    fn prompt_style(&self) -> PromptStyle {
        PromptStyle::Chat
    }
}

fn pipeline(replies: Vec<&'static str>) -> (Pipeline, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let llm = Recording {
        replies,
        seen: seen.clone(),
    };
    let sandbox = Sandbox::new(Limits::default(), &ModuleCache::Off).unwrap();
    (
        Pipeline::new(Box::new(llm), sandbox, PipelineConfig::default()),
        seen,
    )
}

/// Unlike any route's own sampling.
const SAMPLED: Sampling = Sampling::Random {
    temperature: 0.55,
    top_k: None,
    top_p: Some(0.85),
};

#[test]
fn answer_options_reach_the_answer_text_generation() {
    let (mut p, seen) = pipeline(vec!["Paris is the capital. It is large."]);
    let options = AnswerOptions {
        route: RouteChoice::Force(RouteKind::Chat),
        sampling: Some(SAMPLED),
        max_tokens: Some(7),
        stop: vec![" It".to_owned()],
        ..AnswerOptions::default()
    };
    let a = p
        .answer(
            &Conversation::question("Tell me about Paris."),
            &options,
            &mut |_| {},
        )
        .unwrap();
    // The stop string cuts the final text too (the fake model ignores it).
    assert_eq!(a.text, "Paris is the capital.");
    let seen = seen.lock().unwrap();
    assert_eq!(
        (
            &seen[0].sampling,
            seen[0].max_tokens,
            &seen[0].stop,
            seen[0].cancel
        ),
        (&SAMPLED, 7, &vec![" It".to_owned()], true)
    );
    assert_eq!(seen.len(), 1);
}

#[test]
fn tool_routes_keep_their_sampling_but_carry_the_cancel_flag() {
    let program = "total = 5*20 + 3*30 + 2*45";
    let (mut p, seen) = pipeline(vec![program; 5]);
    let options = AnswerOptions {
        route: RouteChoice::Force(RouteKind::Calculator),
        sampling: Some(SAMPLED),
        stop: vec!["never".to_owned()],
        ..AnswerOptions::default()
    };
    let question = "Benjamin buys 5 books at $20, 3 at $30 and 2 at $45 for his class. How much does he spend in total?";
    let a = p
        .answer(&Conversation::question(question), &options, &mut |_| {})
        .unwrap();
    assert_eq!(a.text, "The answer is 280.");
    let seen = seen.lock().unwrap();
    assert!(!seen.is_empty());
    for s in seen.iter() {
        assert!(s.cancel, "{s:?}");
        assert!(!s.stop.contains(&"never".to_owned()), "{s:?}");
        assert_ne!(s.sampling, SAMPLED, "{s:?}");
    }
}

#[test]
fn max_tokens_bounds_each_constrained_draft() {
    let request = "Write about Paris in exactly 3 bullet points.";
    let drafts = |max_tokens: Option<usize>| {
        let (mut p, seen) = pipeline(vec!["Paris."; 4]);
        let options = AnswerOptions {
            route: RouteChoice::Force(RouteKind::Constrained),
            max_tokens,
            ..AnswerOptions::default()
        };
        p.answer(&Conversation::question(request), &options, &mut |_| {})
            .unwrap();
        let budgets: Vec<usize> = seen.lock().unwrap().iter().map(|s| s.max_tokens).collect();
        budgets
    };
    let bounded = drafts(Some(40));
    assert!(bounded.len() >= 2, "a draft and a revision: {bounded:?}");
    assert!(bounded.iter().all(|&n| n == 40), "{bounded:?}");
    let default = drafts(None);
    assert!(
        default
            .iter()
            .all(|&n| n == constrained::DEFAULT_DRAFT_TOKENS),
        "{default:?}"
    );
}

#[test]
fn default_options_leave_the_route_settings_alone() {
    let (mut p, seen) = pipeline(vec!["Hello there."]);
    let a = p
        .answer(
            &Conversation::question("Hi!"),
            &AnswerOptions {
                route: RouteChoice::Raw,
                ..AnswerOptions::default()
            },
            &mut |_| {},
        )
        .unwrap();
    assert_eq!(a.text, "Hello there.");
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].sampling, Sampling::Greedy);
    assert_eq!(seen[0].max_tokens, DEFAULT_CHAT_TOKENS);
    assert!(seen[0].stop.is_empty());
}

#[test]
fn the_option_letter_is_not_added_against_the_callers_wishes() {
    let stop = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert!(settles(&FinishReason::Eos, &[], &[]));
    assert!(settles(&FinishReason::Length, &stop(&["User:"]), &[]));
    assert!(!settles(&FinishReason::Cancelled, &[], &[]));
    let at = |s: &str| FinishReason::Stop { sequence: s.into() };
    assert!(!settles(&at("###"), &stop(&["###"]), &[]));
    // A stop string the added line would contain.
    assert!(!settles(&FinishReason::Eos, &stop(&["\n"]), &[]));
    assert!(!settles(&FinishReason::Eos, &stop(&["(C)"]), &[]));
    // A completion prompt's stops mark where its answer normally ends: the
    // letter is still added there, unless the line itself would be cut.
    assert!(settles(&at("Q:"), &[], &stop(&["Q:", "\n\n"])));
    assert!(!settles(&FinishReason::Eos, &[], &stop(&["\n"])));
}

#[test]
fn cut_at_stop_takes_the_earliest_stop_string() {
    let stop = vec!["B".to_owned(), "A".to_owned(), String::new()];
    assert_eq!(cut_at_stop("xx A yy B".to_owned(), &stop), "xx");
    assert_eq!(cut_at_stop("no match".to_owned(), &stop), "no match");
}

#[test]
fn a_completion_prompt_replaces_the_conversation_for_generated_text_only() {
    let question = "Which way is the sea?\nOptions:\n(A) left\n(B) right";
    let few_shot = CompletionPrompt {
        text: format!("Q: Is 3 odd?\nA: Yes, so the answer is Yes.\n\nQ: {question}\nA:"),
        stop: vec!["Q:".to_owned()],
    };
    let options = AnswerOptions {
        completion: Some(few_shot.clone()),
        stop: vec!["###".to_owned()],
        ..AnswerOptions::default()
    };
    let (mut p, seen) = pipeline(vec!["The sea is to the right."]);
    let a = p
        .answer(&Conversation::question(question), &options, &mut |_| {})
        .unwrap();
    let seen = seen.lock().unwrap();
    // Generated as given: the caller's prompt and its stops (with the
    // answer's), no loop penalty.
    assert_eq!(seen[0].prompt, few_shot.text);
    assert_eq!(seen[0].stop, ["Q:", "###"]);
    assert!(!seen[0].repeat_penalty);
    // The option step continues the same prompt (the fake model's reply is
    // no letter, so nothing is added).
    assert_eq!(
        seen[1].prompt,
        format!(
            "{} The sea is to the right.\nSo the answer is (",
            few_shot.text
        )
    );
    assert_eq!(a.text, "The sea is to the right.");
    assert!(a.trace.iter().any(|s| matches!(&s.event,
        Event::Note { text } if text.contains("the caller's completion prompt"))));

    // A tool route answers from the conversation; the prompt is not used.
    let (mut p, seen) = pipeline(vec![]);
    let a = p
        .answer(
            &Conversation::question("What is 17 * 23?"),
            &options,
            &mut |_| {},
        )
        .unwrap();
    assert_eq!(a.text, "The answer is 391.");
    assert!(seen.lock().unwrap().is_empty());
}

#[test]
fn with_a_completion_prompt_a_persona_break_is_repaired_not_regenerated() {
    let (mut p, seen) = pipeline(vec![
        "Ahoy, matey! As an AI language model, I don't have a ship. But the sea be wide.",
    ]);
    let mut c = Conversation::with_system("You are Captain Flint, a pirate.");
    c.push_user("Do you have a ship?");
    let options = AnswerOptions {
        route: RouteChoice::Force(RouteKind::Chat),
        completion: Some(CompletionPrompt {
            text: "Captain Flint answers.\nQ: Do you have a ship?\nA:".into(),
            stop: Vec::new(),
        }),
        ..AnswerOptions::default()
    };
    let a = p.answer(&c, &options, &mut |_| {}).unwrap();
    assert_eq!(seen.lock().unwrap().len(), 1, "no second generation");
    assert!(!a.text.contains("As an AI"), "{}", a.text);
    assert!(a.text.contains("the sea be wide"), "{}", a.text);
}

/// The answer to `q` with the default options.
fn ask(p: &mut Pipeline, q: &str) -> Answer {
    p.answer(
        &Conversation::question(q),
        &AnswerOptions::default(),
        &mut |_| {},
    )
    .unwrap()
}

#[test]
fn a_comparison_of_two_formulas_is_decided_by_the_sandbox_alone() {
    let (mut p, seen) = pipeline(vec!["Yes! It's the same number as 17 + 23 = 400."]);
    let a = ask(&mut p, "Is 17 * 23 greater than 400?");
    assert_eq!(a.text, "No: 17 * 23 = 391 is not greater than 400.");
    assert_eq!(a.route, Some(RouteKind::Calculator));
    assert!(
        matches!(&a.evidence, Evidence::Program { value, source: ProgramSource::Question, .. } if value == "-9"),
        "{:?}",
        a.evidence
    );
    for (q, answer) in [
        ("Is 144 divisible by 12?", "Yes: 144 is divisible by 12."),
        (
            "Does 2^10 equal 1000?",
            "No: 2^10 = 1024 is not equal to 1000.",
        ),
        ("Is 1/3 at most 0.33?", "No: 1/3 is not at most 0.33."),
        (
            "Is 17 times 23 not greater than 400?",
            "Yes: 17 * 23 = 391 is not greater than 400.",
        ),
        ("Isn't 2 greater than 3?", "No: 2 is not greater than 3."),
        (
            "Is negative three squared greater than zero?",
            "Yes: (-3)^2 = 9 is greater than 0.",
        ),
        (
            "Is seventeen times twenty-three greater than four hundred?",
            "No: 17 * 23 = 391 is not greater than 400.",
        ),
        (
            "Is 15% of 80 more than 10?",
            "Yes: (15/100) * 80 = 12 is greater than 10.",
        ),
        (
            "Is the square root of 144 equal to 12?",
            "Yes: sqrt(144) = 12 is equal to 12.",
        ),
        (
            "Is the square root of 27 equal to 3 times the square root of 3?",
            "That cannot be decided exactly: the two sides, 5.1961524227066318806 and \
             5.1961524227066318806, agree to 20 digits, and the sandbox computes square roots \
             to 32 digits.",
        ),
        (
            "Is 100 divided by half of 10 equal to 20?",
            "Yes: 100 / ((1/2) * 10) = 20 is equal to 20.",
        ),
        ("Is (2) less than (3)?", "Yes: 2 is less than 3."),
        (
            "Is (1 + 2) * (3 + 4) less than 22?",
            "Yes: (1 + 2) * (3 + 4) = 21 is less than 22.",
        ),
    ] {
        assert_eq!(ask(&mut p, q).text, answer, "{q}");
    }
    assert!(
        ask(&mut p, "Is 7 divisible by 0?")
            .text
            .starts_with("That cannot be decided: division by zero")
    );
    // The model was never asked.
    assert!(seen.lock().unwrap().is_empty());
}

#[test]
fn a_formula_in_words_is_computed_by_the_sandbox_alone() {
    let (mut p, seen) = pipeline(vec!["It is 70."]);
    for (q, answer) in [
        ("What is seventeen times four?", "The answer is 68."),
        ("What is 17 times 4 minus 1,000?", "The answer is -932."),
        (
            "Calculate two hundred divided by eight",
            "The answer is 25.",
        ),
        ("What is negative five squared?", "The answer is 25."),
        ("What is two cubed squared?", "The answer is 64."),
        ("What is 15% of 80?", "The answer is 12."),
        ("What is 20 percent of fifty?", "The answer is 10."),
        ("What is half of 30?", "The answer is 15."),
        ("What is a third of 27?", "The answer is 9."),
        ("What is three quarters of 40?", "The answer is 30."),
        ("What is 1/3 of 27?", "The answer is 9."),
        ("What is twice 21?", "The answer is 42."),
        ("What is a dozen times 3?", "The answer is 36."),
        ("What is a hundred plus 5?", "The answer is 105."),
        ("What is half of 7?", "The answer is 3.5."),
        ("What is 100 divided by half of 10?", "The answer is 20."),
        ("What is 6 divided by double 3?", "The answer is 1."),
        ("What is 200 * 15%?", "The answer is 30."),
        ("What is 17 % 5?", "The answer is 2."),
        ("How much is 25 times 4?", "The answer is 100."),
        ("What is the value of 2 + 3?", "The answer is 5."),
        ("What is the square root of 144?", "The answer is 12."),
        ("What is 2 to the power of 10?", "The answer is 1024."),
        ("What is the sum of 3, 5 and 9?", "The answer is 17."),
        ("What is the average of 4, 8 and 12?", "The answer is 8."),
        (
            "What is the remainder when 17 is divided by 5?",
            "The answer is 2.",
        ),
        ("What is 5 minus negative 3?", "The answer is 8."),
        ("What is 7 factorial?", "The answer is 5040."),
        (
            "What is the value of 2 to the power of 10?",
            "The answer is 1024.",
        ),
        ("What is 8 to the power of 1/3?", "The answer is 2."),
    ] {
        let a = ask(&mut p, q);
        assert_eq!(a.text, answer, "{q}");
        assert!(
            matches!(
                &a.evidence,
                Evidence::Program {
                    source: ProgramSource::Question,
                    ..
                }
            ),
            "{q}: {:?}",
            a.evidence
        );
    }
    assert!(seen.lock().unwrap().is_empty());
}

/// A formula without a value gets the reason, not the model's guess.
#[test]
fn a_formula_without_a_value_is_answered_with_the_reason() {
    let (mut p, seen) = pipeline(vec!["It is 70."]);
    for (q, start) in [
        ("What is 5/0?", "That cannot be computed: division by zero."),
        ("What is 20% - 5?", "That is ambiguous: percentage in a sum"),
        (
            "What is 2**2**99?",
            "That is beyond what the sandbox computes exactly: result too large",
        ),
        (
            "What is the square root of negative 4?",
            "That cannot be computed: sqrt of a negative number",
        ),
    ] {
        let a = ask(&mut p, q);
        assert!(a.text.starts_with(start), "{q}: {}", a.text);
    }
    assert!(seen.lock().unwrap().is_empty());
    // A real cube root of a negative number is a value a person expects,
    // though the sandbox refuses it: the model is asked, not told "no".
    let domain = EvalError::Guest(flinch_sandbox::GuestError::new(
        flinch_sandbox::ErrorKind::Domain,
        "a negative number raised to a fractional power is not a real number",
        flinch_sandbox::Pos::new(1, 1),
    ));
    assert_eq!(super::calculate::no_value(&domain), None);
}

#[test]
fn formulas_are_read_from_digits_symbols_and_words() {
    for (q, body) in [
        ("What is 12*7?", Some("12*7")),
        ("((3 + 4) * -2) =", Some("((3 + 4) * -2)")),
        ("What is seventeen times four?", Some("17 * 4")),
        (
            "Evaluate 2 squared plus negative three",
            Some("2**2 + (-3)"),
        ),
        ("What is one thing you like?", None),
    ] {
        assert_eq!(formula_of(q).as_deref(), body, "{q}");
    }
}
