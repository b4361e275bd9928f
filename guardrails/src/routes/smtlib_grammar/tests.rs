use super::*;
use crate::prompts::PromptId;
use crate::routes::grammar::toy;
use crate::solver::script::ALLOWED_COMMANDS;

fn table() -> (Arc<TokenTable>, Vec<String>) {
    toy::table(
        &[
            "\n", "(assert", "(declare", "-const", " Int", " Bool", ")\n", "END", "ann", "anna",
            "answer", "bob", " (", "))", "set", "echo", "12", "1234567",
        ],
        smtlib_byte,
    )
}

/// The names the tests' scripts use, as the words of a question.
const QUESTION: &str = "Ann, Anna and Bob; a b c x t T double Color red green Thing. \
                        Mia, Ava, Ben, Cal, Dee, rains, cancelled, Sam, florp, blint, green, shiny";

fn grammar() -> SmtLibConstraint {
    SmtLibConstraint::smtlib(table().0, allowed_names(QUESTION))
}

fn allowed(text: &str) -> Vec<String> {
    allowed_for(QUESTION, text)
}

fn allowed_for(question: &str, text: &str) -> Vec<String> {
    let (t, pieces) = table();
    toy::allowed(
        &mut SmtLibConstraint::smtlib(t, allowed_names(question)),
        &pieces,
        text,
    )
}

fn has(allowed: &[String], piece: &str) -> bool {
    allowed.iter().any(|p| p == piece)
}

/// Is `script`, after a declaration of `answer`, a whole script?
fn whole(script: &str) -> bool {
    grammar().accepts_whole(&format!("(declare-const answer Int)\n{script}"))
}

#[test]
fn word_lists_are_sorted_and_inside_the_solver_allowlist() {
    assert!(OPERATORS.windows(2).all(|w| w[0].0 < w[1].0));
    assert!(COMMANDS.windows(2).all(|w| w[0] < w[1]));
    assert!(COMMANDS.iter().all(|c| ALLOWED_COMMANDS.contains(c)));
}

/// The scripts the prompts show the model (after `SMT-LIB:` or `Fixed
/// script:`, up to `END`) are sentences of the grammar for their puzzle.
#[test]
fn the_prompt_examples_are_accepted() {
    let mut n = 0;
    for (prompt, marker) in [
        (PromptId::LogicSmtlib, "SMT-LIB:"),
        (PromptId::LogicSmtlibRepair, "Fixed script:"),
    ] {
        for example in prompt.text().split("Puzzle:").skip(1) {
            let Some(at) = example.find(marker) else {
                continue;
            };
            let puzzle = &example[..at];
            let rest = &example[at + marker.len()..];
            let Some(end) = rest.find("END") else {
                continue; // the placeholder at the end of the prompt
            };
            let script = &rest[..end + 3];
            let g = SmtLibConstraint::smtlib(table().0, allowed_names(puzzle));
            assert!(
                g.accepts_whole(script),
                "{prompt:?} example refused:\n{script}"
            );
            n += 1;
        }
    }
    assert!(n >= 6, "only {n} examples found");
}

#[test]
fn commands_outside_the_list_cannot_start() {
    let a = allowed("");
    assert!(has(&a, "(") && has(&a, "(assert") && has(&a, "\n"));
    assert!(!has(&a, "END"), "END before any command");
    let after_paren = allowed("(");
    assert!(has(&after_paren, "a") && has(&after_paren, "d"));
    for refused in ["s", "e", "set", "echo", "(", ")"] {
        assert!(!has(&after_paren, refused), "{refused} allowed after (");
    }
    assert!(!whole("(exit)\nEND"));
    assert!(!whole("(set-option :timeout 0)\nEND"));
}

#[test]
fn declarations_need_their_parts() {
    // `(declare-const xInt)`, a 270M output: the sort is missing
    let a = allowed("(declare-const x");
    assert!(!has(&a, ")") && !has(&a, ")\n") && has(&a, " ") && has(&a, " Int"));
    assert!(
        !has(&allowed("(declare-const x"), "I"),
        "xInt is no word of the question"
    );
    assert!(!whole("(declare-const x)\nEND"));
    assert!(whole("(declare-const x Int)\nEND"));
    // a declared name cannot be declared again, nor a builtin
    assert!(!whole("(declare-const x Int)\n(declare-const x Int)\nEND"));
    assert!(!whole("(declare-const and Bool)\nEND"));
    // only known sorts
    assert!(!whole("(declare-const x Thing)\nEND"));
    assert!(whole(
        "(declare-sort Thing 0)\n(declare-const x Thing)\n(declare-fun p (Thing) Bool)\nEND"
    ));
}

#[test]
fn terms_use_declared_names_numerals_and_builtins_only() {
    let decls = "(declare-const ann Int)\n(assert (= ";
    let a = allowed(decls);
    assert!(has(&a, "ann") && has(&a, "12") && has(&a, "a") && has(&a, "("));
    assert!(!has(&a, "bob") && !has(&a, "anna") && !has(&a, "1234567"));
    assert!(!has(&a, ")"), "(= ) has no argument");
    assert!(!whole("(declare-const ann Int)\n(assert (= bob 3))\nEND"));
    assert!(whole(
        "(declare-const ann Int)\n(assert (= ann (+ 3 4)))\nEND"
    ));
    // `(= ann) 1)`-style slips: a closed list cannot be closed again
    assert!(!whole("(declare-const ann Int)\n(assert (= ann 1)))\nEND"));
    // an application needs an operator first
    assert!(!whole("(declare-const ann Int)\n(assert ((= ann 1)))\nEND"));
}

#[test]
fn operators_and_functions_take_their_number_of_arguments() {
    // a 270M output: a Bool constant applied to a sort
    assert!(!whole("(declare-const t Bool)\n(assert (t Bool))\nEND"));
    let f = "(declare-sort T 0)\n(declare-const a T)\n(declare-fun p (T T) Bool)\n";
    assert!(whole(&format!("{f}(assert (p a a))\nEND")));
    assert!(!whole(&format!("{f}(assert (p a))\nEND")));
    assert!(!whole(&format!("{f}(assert (p a a a))\nEND")));
    // a function is no term atom, a constant no operator
    assert!(!whole(&format!("{f}(assert (= p a))\nEND")));
    assert!(!whole(&format!("{f}(assert (a p))\nEND")));
    assert!(!whole("(assert (not true false))\nEND"));
    assert!(whole("(assert (ite true (= answer 1) (= answer 2)))\nEND"));
    assert!(!whole("(assert (ite true (= answer 1)))\nEND"));
    let many = format!(
        "(assert (= answer (+ {})))\nEND",
        ["1"; MAX_ARGS + 1].join(" ")
    );
    assert!(!whole(&many));
    // sorts are no terms
    assert!(!whole("(assert (= answer Int))\nEND"));
}

#[test]
fn terms_are_of_the_kind_their_place_wants() {
    // 270M outputs: a numeral as a Boolean, a term in get-value
    assert!(!whole("(declare-const t Bool)\n(assert (not 1))\nEND"));
    assert!(!whole(
        "(declare-const t Bool)\n(assert (not (xor (not 1) t)))\nEND"
    ));
    assert!(!whole("(check-sat)\n(get-value ((+ answer 1)))\nEND"));
    assert!(!whole("(check-sat)\n(get-value (7))\nEND"));
    assert!(whole("(check-sat)\n(get-value (answer))\nEND"));
    let decls = "(declare-const t Bool)\n(declare-const x Int)\n";
    assert!(whole(&format!("{decls}(assert (=> t (> x 2)))\nEND")));
    assert!(
        !whole(&format!("{decls}(assert x)\nEND")),
        "an Int asserted"
    );
    assert!(
        !whole(&format!("{decls}(assert (+ x 1))\nEND")),
        "a sum asserted"
    );
    assert!(
        !whole(&format!("{decls}(assert (> t 1))\nEND")),
        "a Bool compared"
    );
    assert!(!whole(&format!("{decls}(assert (= x (+ x true)))\nEND")));
    assert!(
        whole(&format!("{decls}(assert (= t (> x 1)))\nEND")),
        "= takes any"
    );
    assert!(whole(&format!("{decls}(assert (= x (ite t 1 2)))\nEND")));
    assert!(
        !whole(&format!("{decls}(assert (= x (ite x 1 2)))\nEND")),
        "Int condition"
    );
    assert!(
        !whole(&format!("{decls}(assert (not (ite t 1 2)))\nEND")),
        "Int ite as Bool"
    );
    // declared functions give their result sort; bound names their sort
    let f = "(declare-sort Thing 0)\n(declare-fun p (Thing) Bool)\n(declare-fun c (Thing) Int)\n";
    assert!(whole(&format!(
        "{f}(assert (forall ((x Thing)) (=> (p x) (> (c x) 0))))\nEND"
    )));
    assert!(
        !whole(&format!("{f}(assert (forall ((x Thing)) (c x)))\nEND")),
        "Int body"
    );
    assert!(
        !whole(&format!("{f}(assert (forall ((x Thing)) (not x)))\nEND")),
        "Thing as Bool"
    );
    let a = allowed("(declare-const t Bool)\n(declare-const x Int)\n(assert (not ");
    assert!(!has(&a, "12") && has(&a, "t") && !has(&a, "x") && has(&a, "("));
}

#[test]
fn bound_names_live_until_their_command_closes() {
    let script = "(declare-sort T 0)\n(declare-fun p (T) Bool)\n\
                  (assert (forall ((x T)) (p x)))\n";
    assert!(whole(&format!("{script}END")));
    assert!(!whole(&format!("{script}(assert (p x))\nEND")));
    assert!(whole(
        "(declare-const a Int)\n(assert (let ((b (+ a 1))) (> b 2)))\nEND"
    ));
    assert!(whole(
        "(define-fun double ((n Int)) Int (* 2 n))\n(assert (= (double 2) 4))\nEND"
    ));
}

#[test]
fn parentheses_balance_and_end_stops() {
    let a = allowed("(declare-const ann Int)\n(assert (> ann 1");
    assert!(has(&a, ")") && has(&a, "))") && has(&a, " (") && !has(&a, "(assert"));
    let a = allowed("(declare-const ann Int)\n(assert (> ann 1))");
    assert!(!has(&a, ")") && !has(&a, "))") && has(&a, "\n") && has(&a, " ("));
    let top = allowed("(declare-const answer Int)\n");
    assert!(has(&top, "END") && has(&top, "(") && !has(&top, ")") && !has(&top, "ann"));
    assert!(!whole("(check-sat\nEND"));
    let deep = "(declare-const a Int)\n(assert ".to_owned() + &"(not ".repeat(MAX_DEPTH - 1);
    assert!(!has(&allowed(&deep), "("));
}

#[test]
fn check_sat_and_end_wait_for_the_answer_constant() {
    let before = allowed("(declare-const x Int)\n");
    assert!(!has(&before, "END"));
    assert!(
        !has(&allowed("(declare-const x Int)\n("), "c"),
        "check-sat before answer"
    );
    let options = "Who lies? (A) Ann (B) Bob";
    for (question, name) in [
        (QUESTION, "answer Int"),
        (QUESTION, "claim Bool"),
        (options, "option_a Bool"),
    ] {
        let declared = format!("(declare-const {name})\n");
        assert!(has(&allowed_for(question, &declared), "END"), "{name}");
        let open = format!("{declared}(");
        assert!(has(&allowed_for(question, &open), "c"), "{name}");
    }
    assert!(!has(&allowed_for(options, "(declare-const "), "answer"));
    // the constants a verdict is read from are Boolean
    assert!(!has(
        &allowed_for(options, "(declare-const option_a "),
        " Int"
    ));
    assert!(!has(
        &allowed_for(options, "(declare-const option_a"),
        " Int"
    ));
    assert!(has(
        &allowed_for(options, "(declare-const option_a"),
        " Bool"
    ));
    assert!(!whole("(declare-const claim Int)\nEND"));
    assert!(whole("(declare-const claim Bool)\nEND"));
    assert_eq!(allowed("(declare-const answer Int)\nEND"), ["<done>"]);
}

#[test]
fn after_check_sat_only_two_queries_then_end() {
    let checked = "(declare-const answer Int)\n(check-sat)\n";
    let a = allowed(&format!("{checked}("));
    assert!(has(&a, "g") && !has(&a, "c") && !has(&a, "d") && !has(&a, "a"));
    assert!(!has(&allowed(checked), ";"), "no comment after check-sat");
    assert!(whole("(check-sat)\n(get-value (answer))\n(get-model)\nEND"));
    assert!(!whole(
        "(check-sat)\n(get-value (answer))\n(get-model)\n(get-model)\nEND"
    ));
    assert!(!whole("(check-sat)\n(check-sat)\nEND"));
    assert!(
        !whole("(get-value (answer))\n(check-sat)\nEND"),
        "get-value first"
    );
}

#[test]
fn new_names_come_from_the_question() {
    assert!(whole(
        "(declare-const bob Int)\n(declare-const Bob Int)\nEND"
    ));
    assert!(!whole("(declare-const bobby Int)\nEND"));
    assert!(!whole("(declare-const truth-value Bool)\nEND"));
    let a = allowed("(declare-const ");
    assert!(has(&a, "ann") && has(&a, "anna") && has(&a, "bob") && !has(&a, "12"));
    // a name whose every completion is taken is refused at its first byte
    let a = allowed(
        "(declare-const answer Int)\n(declare-const ann Int)\n(declare-const anna Int)\n(declare-const an",
    );
    assert!(!has(&a, "n") && !has(&a, " "));
    assert!(
        !has(&allowed("(declare-const "), "o"),
        "no options in the question"
    );
    let names = allowed_names("Who lies? Ann or the answer? (A) Ann (B) 3");
    assert!(names.contains("Ann") && names.contains("ann") && names.contains("option_b"));
    assert!(!names.contains("3") && !names.contains("option_c"));
    assert!(!names.contains("answer") && !names.contains("claim"));
    let names = allowed_names("Does Ann lie?");
    assert!(names.contains("claim") && names.contains("answer"));
    assert!(!names.contains("option_a"));
}

#[test]
fn one_line_single_spaces_and_no_repeats() {
    let a = allowed("(assert (=");
    assert!(has(&a, " ") && !has(&a, "\n") && !has(&a, ")\n"));
    assert!(!has(&allowed("(assert (= "), " "), "two spaces");
    assert!(!has(&allowed("(assert ("), " "), "space after (");
    assert!(
        !has(&allowed("(assert (= answer 1 "), ")"),
        "space before )"
    );
    // no space where nothing may follow (it would be a dead end)
    assert!(!has(&allowed("(declare-const answer Int"), " "));
    assert!(!has(
        &allowed("(declare-const answer Int)\n(assert (not answer"),
        " "
    ));
    let once = "(declare-const t Bool)\n(assert (not t))\n";
    assert!(!has(&allowed(&format!("{once}(assert (not t)")), ")"));
    assert!(!whole(&format!("{once}(assert (not t))\nEND")));
    assert!(whole(&format!("{once}(assert (not (not t)))\nEND")));
}

/// Findings of a review: loops the grammar used to allow, dead ends it
/// used to reach, and constants `check_script` would not see.
#[test]
fn review_findings_stay_fixed() {
    // lists are bounded, bound names are fresh
    let sorts = ["Int"; MAX_ARGS + 1].join(" ");
    assert!(!whole(&format!("(declare-fun p ({sorts}) Bool)\nEND")));
    assert!(!whole("(assert (forall ((x Int) (x Int)) (> x 0)))\nEND"));
    assert!(!whole(
        "(declare-const x Int)\n(assert (forall ((x Int)) (> x 0)))\nEND"
    ));
    assert!(whole("(assert (forall ((x Int) (y Int)) (> x y)))\nEND"));
    // no quantifier where its binders could not open
    let deep = "(declare-const t Bool)\n(assert ".to_owned() + &"(not ".repeat(5) + "(";
    let a = allowed(&deep);
    assert!(
        has(&a, "n") && !has(&a, "f"),
        "no room for forall's binders"
    );
    assert!(has(&allowed("(assert ("), "f"), "forall at the top");
    // no `(` when no command may follow, no declaration without a name left
    let done = "(declare-const answer Int)\n(check-sat)\n(get-value (answer))\n(get-model)\n";
    assert!(!has(&allowed(done), "(") && has(&allowed(done), "END"));
    let few = "How?"; // the vocabulary is the generic names and answer, claim
    let taken: String = allowed_names(few)
        .iter()
        .map(|n| format!("(declare-const {n} Bool)\n"))
        .collect();
    let a = allowed_for(few, &format!("{taken}(declare-"));
    assert!(
        !has(&a, "c") && !has(&a, "f") && !has(&a, "s") && !has(&a, "d"),
        "{a:?}"
    );
    assert!(has(&allowed_for(few, &format!("{taken}(")), "a"), "assert");
    assert!(
        !has(&allowed_for(few, &format!("{taken}(de")), "f"),
        "define-fun"
    );
    // items are separated by single spaces
    assert!(!whole("(declare-const t Bool)\n(assert(not t))\nEND"));
    assert!(!whole("(assert (= (+ 1 2)answer))\nEND"));
    assert!(whole("(assert (= (+ 1 2) answer))\nEND"));
    // the answer must be a constant check_script sees
    let defined = "(define-fun answer () Int 3)\n";
    assert!(
        has(&allowed(defined), "(") && !has(&allowed(defined), "END"),
        "a define-fun is no constant"
    );
    let g = SmtLibConstraint::smtlib(table().0, allowed_names("Does Ann lie?"));
    assert!(g.accepts_whole("(declare-fun claim () Bool)\n(check-sat)\n(get-value (claim))\nEND"));
    assert!(!grammar().accepts_whole("(declare-fun claim () Int)\nEND"));
    assert!(!grammar().accepts_whole("(declare-fun answer (Int) Int)\nEND"));
}

#[test]
fn whole_commands_cut_after_the_last_closed_command() {
    assert_eq!(whole_commands("(a)\n(b (c)"), "(a)");
    assert_eq!(whole_commands("; x)\n(a)\n; (\n(b"), "; x)\n(a)");
    assert_eq!(whole_commands("(a (b))\nEND"), "(a (b))");
    assert_eq!(whole_commands("(a"), "");
    assert_eq!(whole_commands(""), "");
}

#[test]
fn comments_stand_between_commands() {
    assert!(whole(
        "; the ages: (in years)\n(declare-const a Int)\n; a is 3.\n(assert (= a 3))\nEND"
    ));
    assert!(!whole("(declare-const a Int ; the age\n)\nEND"));
    let long = format!("; {}\n(check-sat)\nEND", "x".repeat(MAX_COMMENT));
    assert!(!whole(&long));
}

#[test]
fn datatypes_are_left_out() {
    assert!(!whole(
        "(declare-datatypes ((Color 0)) (((red) (green))))\n\
         (declare-const c Color)\n(assert (not (= c red)))\nEND"
    ));
}

/// A 270M output: `(let ((jaymie (not jaymie))) …)`, which Z3 refuses.
#[test]
fn a_let_name_is_bound_in_the_body_only() {
    assert!(!whole("(assert (let ((x (not x))) x))\nEND"));
    assert!(!whole("(assert (let ((x true) (y x)) y))\nEND"));
    assert!(whole("(assert (let ((x true)) (not x)))\nEND"));
    assert!(!whole("(assert (let ((x true)) (not x)))\n(assert x)\nEND"));
}
