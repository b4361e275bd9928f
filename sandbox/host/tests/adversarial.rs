//! The adversarial corpus (`tests/corpus/adversarial.txt`, ≥ 500 hostile or
//! malformed programs): every case ends in its expected typed outcome within
//! its deadline, all in this one process, and the sandbox still works after.

mod common;

use std::time::{Duration, Instant};

use flinch_sandbox::{EvalError, Value};
use flinch_sandbox_guest::{EvalConfig, evaluate};

fn outcome(r: &Result<Value, EvalError>) -> String {
    match r {
        Ok(v) => format!("ok={}", v.exact),
        Err(e) => e.kind().to_string(),
    }
}

fn matches(expect: &str, got: &Result<Value, EvalError>) -> bool {
    match (expect, got) {
        ("ok", Ok(_)) => true,
        (e, Ok(v)) => e.strip_prefix("ok=") == Some(v.exact.as_str()),
        (e, Err(err)) => e == err.kind(),
    }
}

#[test]
fn every_corpus_case_ends_in_its_expected_typed_outcome() {
    let sandbox = common::sandbox();
    let cases = common::corpus();
    assert!(cases.len() >= 500, "the corpus has {} cases", cases.len());
    let allowed = sandbox.limits().deadline + Duration::from_millis(500);
    let mut failures = Vec::new();
    for case in &cases {
        let started = Instant::now();
        let got = sandbox.eval(&case.program);
        let took = started.elapsed();
        if !matches(&case.expect, &got) {
            let shown: String = outcome(&got).chars().take(80).collect();
            let detail = got
                .as_ref()
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            let detail: String = detail.chars().take(160).collect();
            failures.push(format!(
                "line {}: expected {}, got {shown} ({detail})",
                case.line, case.expect
            ));
        }
        if took > allowed {
            failures.push(format!(
                "line {}: took {took:?}, over {allowed:?}",
                case.line
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert_eq!(
        sandbox.eval("6 * 7").unwrap().exact,
        "42",
        "the sandbox works after the corpus"
    );
}

/// The wasm guest and the native build of the same evaluator agree on every
/// case the host does not stop first.
#[test]
fn wasm_and_native_evaluators_agree_on_the_corpus() {
    let sandbox = common::sandbox();
    let mut compared = 0;
    for case in common::corpus() {
        if matches!(
            case.expect.as_str(),
            "program_too_large" | "out_of_fuel" | "memory_limit" | "deadline_exceeded"
        ) {
            continue;
        }
        let wasm = sandbox.eval(&case.program);
        let native = evaluate(&case.program, &EvalConfig::default());
        match (&wasm, &native) {
            (Ok(w), Ok(n)) => {
                assert_eq!(
                    (w.kind, &w.exact, &w.decimal),
                    (n.value.kind, &n.value.exact, &n.value.decimal),
                    "line {}",
                    case.line
                )
            }
            (Err(EvalError::Guest(w)), Err(n)) => assert_eq!(w, n, "line {}", case.line),
            _ => panic!(
                "line {}: wasm {:?} vs native {:?}",
                case.line,
                outcome(&wasm),
                native.map(|o| o.value.exact)
            ),
        }
        compared += 1;
    }
    assert!(compared >= 450, "compared {compared}");
}
