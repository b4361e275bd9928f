//! The facts language end to end: every construct compiled and solved
//! through Z3 with exact answers, and the exact error text of bad lines.

use flinch_guardrails::solver::facts::{
    Answer, FactsLimits, FactsOutcome, Pick, compile, solve_facts,
};
use flinch_guardrails::solver::{Entailment, SmtSolver, SolverError};

fn run(text: &str) -> FactsOutcome {
    solve_facts(&SmtSolver::default(), text, &FactsLimits::default())
        .unwrap_or_else(|e| panic!("{e}\n--- program ---\n{text}"))
}

fn only(text: &str) -> Answer {
    let out = run(text);
    assert_eq!(out.answers.len(), 1, "{out:?}");
    out.answers[0].answer.clone()
}

fn number(text: &str) -> Pick<i64> {
    match only(text) {
        Answer::Number(p) => p,
        other => panic!("not a number answer: {other:?}"),
    }
}

fn truth(text: &str) -> Entailment {
    match only(text) {
        Answer::Truth(e) => e,
        other => panic!("not a truth answer: {other:?}"),
    }
}

fn item(text: &str) -> Pick<String> {
    match only(text) {
        Answer::Item(p) => p,
        other => panic!("not an item answer: {other:?}"),
    }
}

fn error(text: &str) -> String {
    solve_facts(&SmtSolver::default(), text, &FactsLimits::default())
        .expect_err("expected an error")
        .to_string()
}

// ---- counting / family ----------------------------------------------------

#[test]
fn david_has_three_sisters_each_with_one_brother_so_no_brothers() {
    let p = "boy David\nsisters David = 3\nbrothers sister = 1\nask brothers David\n";
    assert_eq!(number(p), Pick::Unique(0));
}

#[test]
fn family_counts_from_a_girls_point_of_view() {
    assert_eq!(
        number("girl Mia\nbrothers Mia = 2\nsisters brother = 3\nask sisters Mia"),
        Pick::Unique(2)
    );
    assert_eq!(
        number("Lea is a girl\nbrothers Lea = 3\nsisters Lea = two\nask siblings Lea"),
        Pick::Unique(5)
    );
}

#[test]
fn unknown_gender_makes_the_count_ambiguous() {
    let p = "sisters Kim = 2\nbrothers sister = 1\nask brothers Kim";
    match number(p) {
        Pick::Ambiguous { first, second } => {
            let mut both = [first, second.expect("a second value")];
            both.sort();
            assert_eq!(both, [0, 1]);
        }
        other => panic!("expected ambiguous, got {other:?}"),
    }
}

#[test]
fn family_count_comparisons() {
    assert_eq!(
        truth("boy Al\nsisters Al = 2\nask sisters Al > 1"),
        Entailment::True
    );
    assert_eq!(
        truth("boy Al\nsisters Al = 2\nask sisters Al != 2"),
        Entailment::False
    );
    assert_eq!(
        truth("boy Al\nsisters Al >= 2\nask sisters Al = 2"),
        Entailment::Unknown
    );
}

// ---- ordering ------------------------------------------------------------

#[test]
fn ordering_keyword_form() {
    let p = "items red green blue\nleft_of green blue\nrightmost red\nask at 1";
    assert_eq!(item(p), Pick::Unique("green".into()));
    let p = "items red green blue\nleft_of green blue\nrightmost red\nask position blue";
    assert_eq!(number(p), Pick::Unique(2));
}

#[test]
fn ordering_english_form_with_multiword_names() {
    let p = "items: blue_jay, quail, falcon\nThe falcon is right_of the blue_jay.\n\
             The blue_jay is right_of the quail.\nask position blue_jay";
    assert_eq!(number(p), Pick::Unique(2));
}

#[test]
fn ordering_synonyms_and_ends() {
    // before/after, first/last, above/below, top/bottom all name one axis.
    let p = "items a b c d\nfirst c\nlast a\nbefore d b\nask at 2";
    assert_eq!(item(p), Pick::Unique("d".into()));
    let p = "items a b c d\ntop c\nbottom a\nabove d b\nask from_right d";
    assert_eq!(number(p), Pick::Unique(3));
    let p = "items a b c\nb is below a\nc is the leftmost\nask position b";
    assert_eq!(number(p), Pick::Unique(3));
    let p = "items a b c d\nfrom_right b = 1\nfrom_last c = 4\nnext_to a b\nask position a";
    assert_eq!(number(p), Pick::Unique(3));
}

#[test]
fn ordering_without_items_line_uses_the_names_mentioned() {
    let p = "left_of x y\nleft_of y z\nask position z";
    assert_eq!(number(p), Pick::Unique(3));
}

#[test]
fn ordering_options_pick_the_one_entailed() {
    let p = "items taxi van jeep bus truck\nleftmost van\nright_of bus truck\n\
             from_right taxi = 2\nposition jeep = 3\n\
             option A rightmost taxi\noption B rightmost van\noption C rightmost bus\n\
             option D rightmost truck\noption E rightmost jeep\n";
    let out = run(p);
    assert_eq!(out.answers.len(), 5);
    assert_eq!(out.chosen_option(), Some("C"));
    assert_eq!(out.answers[0].answer, Answer::Truth(Entailment::False));
    assert_eq!(out.answers[2].answer, Answer::Truth(Entailment::True));
}

#[test]
fn ordering_ambiguous_item() {
    match item("items a b c\nleft_of a c\nask at 2") {
        Pick::Ambiguous { first, second } => {
            assert_ne!(Some(first), second);
        }
        other => panic!("expected ambiguous, got {other:?}"),
    }
}

// ---- truth-tellers and liars ------------------------------------------------

#[test]
fn web_of_lies_chain_in_both_forms() {
    let english = "Ona tells the truth.\nPia says Ona lies.\nQuin says Pia lies.\n\
                   Rex says Quin tells the truth.\nask Rex tells the truth";
    assert_eq!(truth(english), Entailment::True);
    let keywords = "truthful Ona\nsays Pia liar Ona\nsays Quin liar Pia\n\
                    says Rex truthful Quin\nask truthful Rex";
    assert_eq!(truth(keywords), Entailment::True);
    assert_eq!(
        truth("Una lies\nVic says Una tells the truth\nask Vic tells the truth"),
        Entailment::False
    );
}

#[test]
fn knights_and_knaves() {
    // A says: "We are both knaves." So A is a knave and B a knight.
    let p = "A says both A is a knave and B is a knave\nask B is a knight";
    assert_eq!(truth(p), Entailment::True);
    let p = "A says both A is a knave and B is a knave\nask A is a knight";
    assert_eq!(truth(p), Entailment::False);
}

#[test]
fn mutual_accusation_is_unknown() {
    assert_eq!(
        truth("Xia says Yul lies\nYul says Xia lies\nask Xia tells the truth"),
        Entailment::Unknown
    );
}

// ---- rules and facts ------------------------------------------------------

#[test]
fn rules_with_plurals_fold_onto_singulars() {
    let p = "Every glimp is a dral.\nDrals are vorns.\nVorns are not loud.\n\
             Each glimp is soft.\nIvo is a glimp.\nask Ivo is loud";
    assert_eq!(truth(p), Entailment::False);
    let p = "Every glimp is a dral.\nDrals are vorns.\nIvo is a glimp.\nask Ivo is a vorn";
    assert_eq!(truth(p), Entailment::True);
    let p = "every sprok is a flum\nNia is a flum\nask Nia is a sprok";
    assert_eq!(truth(p), Entailment::Unknown);
}

#[test]
fn no_quantifier_and_negated_facts() {
    let p = "no cat is a dog\nTom is a cat\nask Tom is a dog";
    assert_eq!(truth(p), Entailment::False);
    let p = "all cats are mammals\nTom is not a mammal\nask Tom is a cat";
    assert_eq!(truth(p), Entailment::False);
}

#[test]
fn a_rule_can_be_the_claim() {
    let p = "every cat is a mammal\nevery mammal is an animal\nask every cat is an animal";
    assert_eq!(truth(p), Entailment::True);
    let p = "every cat is a mammal\nask every mammal is a cat";
    assert_eq!(truth(p), Entailment::Unknown);
}

// ---- propositions -----------------------------------------------------------

#[test]
fn propositional_inference_patterns() {
    assert_eq!(
        truth("if trains then runs\nnot runs\nask not trains"),
        Entailment::True
    );
    assert_eq!(
        truth("either open or holiday\nnot open\nask holiday"),
        Entailment::True
    );
    assert_eq!(
        truth(
            "if snows then school\nif floods then road\neither snows or floods\n\
               ask either school or road"
        ),
        Entailment::True
    );
    assert_eq!(
        truth("if oven then warm\nwarm\nask oven"),
        Entailment::Unknown
    );
    assert_eq!(
        truth("if both a and b then c\na\nb\nask c"),
        Entailment::True
    );
}

#[test]
fn contradictory_facts_are_reported() {
    assert_eq!(truth("rain\nnot rain\nask wet"), Entailment::Contradictory);
    assert_eq!(
        number("boy Al\nsisters Al = 2\nsisters Al = 3\nask brothers Al"),
        Pick::NoSolution
    );
}

// ---- compilation -------------------------------------------------------------

#[test]
fn compilation_is_deterministic_smtlib() {
    let c = compile("Bob lies\nask Ann tells the truth", &FactsLimits::default()).unwrap();
    assert_eq!(
        c.premises,
        "(declare-sort Entity 0)\n(declare-const e_bob Entity)\n(declare-const e_ann Entity)\n\
         (assert (distinct e_bob e_ann))\n(declare-fun truthful (Entity) Bool)\n\
         ; line 1: Bob lies\n(assert (not (truthful e_bob)))\n"
    );
    assert_eq!(c.questions.len(), 1);
    assert_eq!(c.questions[0].line, 2);
}

// ---- errors ----------------------------------------------------------------

#[test]
fn bad_lines_have_exact_messages() {
    assert_eq!(
        error("items a b c\nleft_of a d\nask at 1"),
        "line 2: `d` is not one of the items (a, b, c); use a name from the `items` line"
    );
    assert_eq!(
        error("items a b c\nposition a = 4\nask at 1"),
        "line 2: position 4 is outside 1..3: there are 3 items"
    );
    assert_eq!(
        error("items a b c\nask at 9"),
        "line 2: position 9 is outside 1..3: there are 3 items"
    );
    assert_eq!(
        error("items a b a\nask at 1"),
        "line 1: item `a` is listed twice"
    );
    assert_eq!(
        error("items a b\nitems c d\nask at 1"),
        "line 2: a second `items` line (the first is line 1); list all items on one line"
    );
    assert_eq!(
        error("rain\noption A rain\noption a wet"),
        "line 3: option `A` appears twice"
    );
    assert_eq!(
        error("liar Bob"),
        "no question: add a line `ask ...` or lines `option A ...`"
    );
    assert_eq!(
        error("sisters David 3\nask brothers David"),
        "line 1: expected a comparison (=, !=, <, >, <=, >=), found `3`"
    );
    assert_eq!(
        error("boy David\nask brothers"),
        "line 2: expected a name, found the end of the line"
    );
    let big = "rain\n".repeat(201) + "ask rain";
    assert_eq!(
        error(&big),
        "the facts are 202 lines / 1013 bytes, more than the limit of 200 lines / 16384 bytes"
    );
}

#[test]
fn facts_errors_are_typed_with_lines() {
    let e = solve_facts(
        &SmtSolver::default(),
        "left_of a\nask at 1",
        &FactsLimits::default(),
    )
    .unwrap_err();
    assert_eq!(e.kind(), "facts");
    assert_eq!(e.line(), Some(1));
    assert!(matches!(e, SolverError::Facts(_)));
}
