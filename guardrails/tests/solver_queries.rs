//! The two query shapes (find values with a uniqueness check; entailment) on
//! the puzzle scripts, the worked examples of the prompt files, and misuse.

use std::path::PathBuf;

use flinch_guardrails::solver::facts::{Answer, FactsLimits, Pick, solve_facts};
use flinch_guardrails::solver::{
    Ambiguity, Asked, Claim, Entailment, SmtSolver, SolverError, Uniqueness, Value, Values, Verdict,
};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn data(sub: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/solver")
        .join(sub)
}

/// Checks one script against its `; expect:` header; returns a failure text.
fn check_expectation(solver: &SmtSolver, name: &str, text: &str) -> Option<String> {
    let expect = text
        .lines()
        .find_map(|l| l.strip_prefix("; expect: "))
        .unwrap_or_else(|| panic!("{name}: no `; expect:` line"));
    let words: Vec<&str> = expect.split_whitespace().collect();
    let got: String = match words.as_slice() {
        ["values", ..] => {
            let r = solver
                .find_values(text, &Asked::FromScript, Uniqueness::Check)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            match (&words[1..], &r.result) {
                ([n, "=", v, "unique"], Values::Unique(m)) => {
                    let value = m.get(n).map(ToString::to_string).unwrap_or_default();
                    if value == *v {
                        return None;
                    }
                    format!("{n} = {value}")
                }
                (["ambiguous"], Values::Ambiguous { .. }) => return None,
                (["none"], Values::NoSolution) => return None,
                (_, other) => format!("{other:?}"),
            }
        }
        ["claim", want] => {
            let r = solver
                .entails(text, Claim::Constant("claim"))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let got = match r.result {
                Entailment::Contradictory => "contradictory".to_string(),
                other => other.to_string(),
            };
            if got == *want {
                return None;
            }
            got
        }
        ["option", want] => {
            let checked = solver.check(text).unwrap();
            let mut entailed = Vec::new();
            for c in checked
                .constants
                .iter()
                .filter(|c| c.name.starts_with("option_"))
            {
                let r = solver.entails(text, Claim::Constant(&c.name)).unwrap();
                if r.result == Entailment::True {
                    entailed.push(c.name.trim_start_matches("option_").to_string());
                }
            }
            if entailed == [want.to_string()] {
                return None;
            }
            format!("options entailed: {entailed:?}")
        }
        _ => panic!("{name}: unknown expectation `{expect}`"),
    };
    Some(format!("{name}: expected `{expect}`, got {got}"))
}

#[test]
fn puzzle_scripts_give_their_expected_answers() {
    let solver = SmtSolver::default();
    let mut failures = Vec::new();
    let mut count = 0;
    let mut entries: Vec<_> = std::fs::read_dir(data("puzzles"))
        .unwrap()
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        count += 1;
        if let Some(f) = check_expectation(&solver, &name, &text) {
            failures.push(f);
        }
    }
    assert!(count >= 20, "only {count} puzzle scripts");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---- prompt files ----------------------------------------------------------

fn prompt(name: &str) -> String {
    std::fs::read_to_string(repo().join("prompts").join(name))
        .unwrap_or_else(|e| panic!("prompts/{name}: {e}"))
}

/// The worked examples of a few-shot prompt: the text between `marker` and
/// the `END` line, for every example (not the final template).
fn examples(text: &str, marker: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(marker) {
        let after = &rest[start + marker.len()..];
        let Some(end) = after.find("\nEND\n") else {
            break;
        };
        out.push(after[..end].trim_start_matches('\n').to_string() + "\n");
        rest = &after[end..];
    }
    out
}

fn placeholders(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find('{') {
        let j = rest[i..].find('}').expect("unclosed placeholder") + i;
        out.push(rest[i..=j].to_string());
        rest = &rest[j + 1..];
    }
    out
}

#[test]
fn prompt_files_have_exactly_their_placeholders() {
    assert_eq!(placeholders(&prompt("logic-smtlib.txt")), ["{question}"]);
    assert_eq!(placeholders(&prompt("logic-facts.txt")), ["{question}"]);
    for repair in ["logic-smtlib-repair.txt", "logic-facts-repair.txt"] {
        assert_eq!(
            placeholders(&prompt(repair)),
            ["{question}", "{previous}", "{error}"],
            "{repair}"
        );
    }
}

#[test]
fn smtlib_prompt_examples_solve_to_their_answers() {
    let solver = SmtSolver::default();
    let ex = examples(&prompt("logic-smtlib.txt"), "SMT-LIB:\n");
    assert_eq!(ex.len(), 5);
    // 1. counting: Mia has 2 sisters.
    let r = solver
        .find_values(&ex[0], &Asked::FromScript, Uniqueness::Check)
        .unwrap();
    match r.result {
        Values::Unique(m) => assert_eq!(m.get("answer"), Some(&Value::Int(2))),
        other => panic!("{other:?}"),
    }
    // 2. ordering with options: only option b holds.
    for (opt, want) in [
        ("option_a", Entailment::False),
        ("option_b", Entailment::True),
        ("option_c", Entailment::False),
        ("option_d", Entailment::False),
    ] {
        assert_eq!(
            solver.entails(&ex[1], Claim::Constant(opt)).unwrap().result,
            want,
            "{opt}"
        );
    }
    // 3. liars: Cid does not tell the truth. 4. rules: Sam is not green. 5. modus tollens.
    for (i, want) in [
        (2, Entailment::False),
        (3, Entailment::False),
        (4, Entailment::True),
    ] {
        assert_eq!(
            solver
                .entails(&ex[i], Claim::Constant("claim"))
                .unwrap()
                .result,
            want,
            "example {}",
            i + 1
        );
    }
}

#[test]
fn facts_prompt_examples_solve_to_their_answers() {
    let solver = SmtSolver::default();
    let ex = examples(&prompt("logic-facts.txt"), "Facts:\n");
    assert_eq!(ex.len(), 5);
    let limits = FactsLimits::default();
    let solve = |t: &str| solve_facts(&solver, t, &limits).unwrap();
    assert_eq!(
        solve(&ex[0]).answers[0].answer,
        Answer::Number(Pick::Unique(2))
    );
    assert_eq!(solve(&ex[1]).chosen_option(), Some("B"));
    assert_eq!(
        solve(&ex[2]).answers[0].answer,
        Answer::Truth(Entailment::False)
    );
    assert_eq!(
        solve(&ex[3]).answers[0].answer,
        Answer::Truth(Entailment::False)
    );
    assert_eq!(
        solve(&ex[4]).answers[0].answer,
        Answer::Truth(Entailment::True)
    );
}

/// The repair prompts show a real error: the broken example produces exactly
/// the error text the prompt shows, and the fixed example solves.
#[test]
fn repair_prompt_examples_show_real_errors() {
    let solver = SmtSolver::default();
    let text = prompt("logic-smtlib-repair.txt");
    let broken = text
        .split("Script:\n")
        .nth(1)
        .unwrap()
        .split("Error: ")
        .next()
        .unwrap();
    let shown = text
        .split("Error: ")
        .nth(1)
        .unwrap()
        .lines()
        .next()
        .unwrap();
    let err = solver.solve(broken).unwrap_err();
    assert_eq!(err.to_string(), shown);
    let fixed = examples(&text, "Fixed script:\n");
    let r = solver
        .find_values(&fixed[0], &Asked::FromScript, Uniqueness::Check)
        .unwrap();
    match r.result {
        Values::Unique(m) => assert_eq!(m.get("answer"), Some(&Value::Int(10))),
        other => panic!("{other:?}"),
    }

    let text = prompt("logic-facts-repair.txt");
    let broken = text
        .split("Facts:\n")
        .nth(1)
        .unwrap()
        .split("Error: ")
        .next()
        .unwrap();
    let shown = text
        .split("Error: ")
        .nth(1)
        .unwrap()
        .lines()
        .next()
        .unwrap();
    let err = solve_facts(&solver, broken, &FactsLimits::default()).unwrap_err();
    assert_eq!(err.to_string(), shown);
    let fixed = examples(&text, "Fixed facts:\n");
    let out = solve_facts(&solver, &fixed[0], &FactsLimits::default()).unwrap();
    assert_eq!(
        out.answers[0].answer,
        Answer::Item(Pick::Unique("glass_cup".into()))
    );
}

// ---- the query API -----------------------------------------------------------

#[test]
fn values_skip_uniqueness_returns_the_first_model() {
    let s = SmtSolver::default();
    let r = s
        .find_values(
            "(declare-const x Int)\n(assert (> x 5))",
            &Asked::FromScript,
            Uniqueness::Skip,
        )
        .unwrap();
    match r.result {
        Values::Found(m) => match m.get("x") {
            Some(Value::Int(n)) => assert!(*n > 5),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

#[test]
fn uniqueness_is_only_over_the_asked_constants() {
    let s = SmtSolver::default();
    let script =
        "(declare-const x Int)\n(declare-const y Int)\n(assert (= x 4))\n(assert (> y x))\n";
    let r = s
        .find_values(script, &Asked::Names(vec!["x".into()]), Uniqueness::Check)
        .unwrap();
    assert!(matches!(r.result, Values::Unique(ref m) if m.get("x") == Some(&Value::Int(4))));
    let r = s
        .find_values(script, &Asked::FromScript, Uniqueness::Check)
        .unwrap();
    match r.result {
        Values::Ambiguous {
            first,
            other: Ambiguity::OtherModel(second),
        } => assert_ne!(first.get("y"), second.get("y")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_unconstrained_asked_constant_is_ambiguous() {
    let s = SmtSolver::default();
    let r = s
        .find_values(
            "(declare-const x Int)\n(declare-const free Int)\n(assert (= x 1))\n(get-value (x free))",
            &Asked::FromScript,
            Uniqueness::Check,
        )
        .unwrap();
    match r.result {
        Values::Ambiguous {
            first,
            other: Ambiguity::Unconstrained(names),
        } => {
            assert_eq!(names, ["free"]);
            assert_eq!(first.unconstrained, ["free"]);
            assert_eq!(first.to_string(), "x = 1, free = any");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn value_query_misuse_is_typed() {
    let s = SmtSolver::default();
    let e = s
        .find_values("(assert true)", &Asked::FromScript, Uniqueness::Check)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "the script declares no constants, so there is no value to read: declare what the question asks for with declare-const"
    );
    let e = s
        .find_values(
            "(declare-const x Int)",
            &Asked::Names(vec!["y".into()]),
            Uniqueness::Check,
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "`y` is not a constant declared by the script (declare it with declare-const)"
    );
    let e = s
        .find_values(
            "(declare-sort P 0)\n(declare-const p P)",
            &Asked::FromScript,
            Uniqueness::Check,
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot check whether `p` is unique: values of the uninterpreted sort P are not comparable across models"
    );
}

#[test]
fn entailment_with_a_term_claim() {
    let s = SmtSolver::default();
    let premises = "(declare-const x Int)\n(assert (> x 5))\n";
    assert_eq!(
        s.entails(premises, Claim::Term("(> x 3)")).unwrap().result,
        Entailment::True
    );
    assert_eq!(
        s.entails(premises, Claim::Term("(< x 3)")).unwrap().result,
        Entailment::False
    );
    assert_eq!(
        s.entails(premises, Claim::Term("(> x 9)")).unwrap().result,
        Entailment::Unknown
    );
    assert_eq!(
        s.entails(
            "(declare-const x Int)\n(assert (> x 5))\n(assert (< x 5))",
            Claim::Term("(> x 9)")
        )
        .unwrap()
        .result,
        Entailment::Contradictory
    );
}

#[test]
fn entailment_misuse_is_typed() {
    let s = SmtSolver::default();
    let premises = "(declare-const x Int)\n(assert (> x 5))\n";
    let e = s.entails(premises, Claim::Constant("x")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the claim `x` has sort Int; a claim must be Bool"
    );
    let e = s.entails(premises, Claim::Constant("claim")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "`claim` is not a constant declared by the script (declare it with declare-const)"
    );
    let e = s.entails(premises, Claim::Term("true) (exit")).unwrap_err();
    assert_eq!(e.kind(), "claim-not-term");
    let e = s.entails(premises, Claim::Term("(+ x 1)")).unwrap_err();
    assert_eq!(e.kind(), "claim-rejected", "{e}");
    assert!(matches!(e, SolverError::ClaimRejected { .. }));
}

#[test]
fn sat_models_read_every_sort_the_puzzles_use() {
    let s = SmtSolver::default();
    let script = "(declare-datatypes ((C 0)) (((red) (blue))))\n(declare-const c C)\n\
                  (declare-const n Int)\n(declare-const b Bool)\n(declare-const r Real)\n\
                  (declare-const v (_ BitVec 8))\n(assert (= c blue))\n(assert (= n (- 12)))\n\
                  (assert b)\n(assert (= r (/ 1.0 4.0)))\n(assert (= v #x2a))\n";
    match s.solve(script).unwrap().result {
        Verdict::Sat(m) => {
            assert_eq!(m.get("c"), Some(&Value::Text("blue".into())));
            assert_eq!(m.get("n"), Some(&Value::Int(-12)));
            assert_eq!(m.get("b"), Some(&Value::Bool(true)));
            assert_eq!(m.get("r"), Some(&Value::Text("(/ 1.0 4.0)".into())));
            assert_eq!(m.get("v"), Some(&Value::Text("#x2a".into())));
        }
        other => panic!("{other:?}"),
    }
}
