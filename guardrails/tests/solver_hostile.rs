//! Over a hundred hostile scripts (deep nesting, huge bit-vectors, quantifier
//! bombs, non-terminating problems, commands outside the allowlist, Z3 parse
//! errors) run in one go: each must end in its expected typed outcome, and
//! within its deadline.
//!
//! Each file starts with `; hostile: <what>` and `; expect: <outcome>`:
//! `refused <command> line <n>`, `error <kind> [line <n>]` (kind as in
//! `SolverError::kind`), or `verdict <a>|<b>…` with sat, unsat, unknown,
//! memory (unknown at the memory cap) and timeout.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use flinch_guardrails::solver::{
    Result, SmtSolver, SolverError, SolverLimits, Timed, UnknownReason, Verdict,
};

fn limits() -> SolverLimits {
    SolverLimits {
        timeout: Duration::from_millis(500),
        watchdog_grace: Duration::from_millis(250),
        memory_mib: 256,
        ..SolverLimits::default()
    }
}

fn tag(r: &Result<Timed<Verdict>>) -> String {
    match r {
        Ok(t) => match &t.result {
            Verdict::Sat(_) => "verdict sat".into(),
            Verdict::Unsat => "verdict unsat".into(),
            Verdict::Unknown(UnknownReason::MemoryLimit { .. }) => "verdict memory".into(),
            Verdict::Unknown(UnknownReason::Incomplete(_)) => "verdict unknown".into(),
            Verdict::Timeout => "verdict timeout".into(),
        },
        Err(SolverError::Refused { command, line }) => format!("refused {command} line {line}"),
        Err(e) => match e.line() {
            Some(line) => format!("error {} line {line}", e.kind()),
            None => format!("error {}", e.kind()),
        },
    }
}

fn matches(expect: &str, got: &str) -> bool {
    match expect.strip_prefix("verdict ") {
        Some(alternatives) => alternatives
            .split('|')
            .any(|a| got == format!("verdict {a}")),
        None if expect.starts_with("error ") && !expect.contains(" line ") => {
            // Kind only: ignore the line.
            got == expect || got.starts_with(&format!("{expect} line "))
        }
        None => got == expect,
    }
}

#[test]
fn hostile_scripts_end_in_their_typed_outcome_within_the_deadline() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/solver/hostile");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "smt2"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 100, "only {} hostile scripts", paths.len());

    let limits = limits();
    // The worker's start, the allowlist check and reading the answer come on
    // top of the kill deadline.
    let deadline = limits.timeout + limits.watchdog_grace + Duration::from_millis(500);
    let solver = SmtSolver::new(limits);
    let started = Instant::now();
    let mut failures = Vec::new();
    let mut report: Vec<String> = Vec::new();
    for path in &paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(path).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let expect = text
            .lines()
            .find_map(|l| l.strip_prefix("; expect: "))
            .unwrap_or_else(|| panic!("{name}: no `; expect:` line"))
            .trim()
            .to_string();
        let t0 = Instant::now();
        let result = solver.solve(&text);
        let took = t0.elapsed();
        let got = tag(&result);
        let line = format!("{name:<44} {took:>10.1?}  {got}");
        println!("{line}");
        report.push(line);
        if !matches(&expect, &got) {
            let detail = match &result {
                Err(e) => e.to_string(),
                Ok(t) => t.result.to_string().chars().take(200).collect(),
            };
            failures.push(format!(
                "{name}: expected `{expect}`, got `{got}` ({detail})"
            ));
        }
        if took > deadline {
            failures.push(format!(
                "{name}: took {took:?}, over the deadline {deadline:?}"
            ));
        }
    }
    let total = started.elapsed();
    println!("{} scripts in {total:?}", report.len());
    assert!(
        failures.is_empty(),
        "{} of {} hostile scripts failed:\n{}",
        failures.len(),
        paths.len(),
        failures.join("\n")
    );
}
