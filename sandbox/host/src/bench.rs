//! Latency measurement for `flinch bench sandbox`: the workload (GSM8K
//! calculator annotations), timing per evaluation, percentiles, and the same
//! expressions run as `python3 -c` subprocesses for comparison. The caller
//! reads the data file; nothing here reads the environment.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::Sandbox;

/// One `<<expr=result>>` calculator annotation from a GSM8K answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    pub expr: String,
    pub result: String,
}

/// Every annotation in a GSM8K JSONL text, in order. Lines that are not
/// JSON objects with an `answer` string are an error naming the line.
pub fn gsm8k_annotations(jsonl: &str) -> Result<Vec<Annotation>, String> {
    let mut out = Vec::new();
    for (i, line) in jsonl
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let doc: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("line {}: not JSON: {e}", i + 1))?;
        let answer = doc["answer"]
            .as_str()
            .ok_or_else(|| format!("line {}: no \"answer\" string", i + 1))?;
        let mut rest = answer;
        while let Some(start) = rest.find("<<") {
            let Some(len) = rest[start..].find(">>") else {
                break;
            };
            if let Some((expr, result)) = rest[start + 2..start + len].rsplit_once('=') {
                out.push(Annotation {
                    expr: expr.to_string(),
                    result: result.to_string(),
                });
            }
            rest = &rest[start + len + 2..];
        }
    }
    Ok(out)
}

/// Nearest-rank percentile of sorted values (0 for none).
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Two decimal renderings agree to 1e-6 relative (annotations are sometimes
/// rounded, Python prints floats).
pub fn agrees(a: &str, b: &str) -> bool {
    match (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
        (Ok(x), Ok(y)) => (x - y).abs() <= 1e-6 * x.abs().max(y.abs()).max(1.0),
        _ => false,
    }
}

fn micros(d: Duration) -> u64 {
    d.as_nanos().div_ceil(1000) as u64
}

/// Figures over one run of `measure`.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub evaluations: usize,
    pub p50_us: u64,
    pub p99_us: u64,
    pub mean_us: f64,
    pub max_us: u64,
    pub evaluations_per_s: f64,
    /// `ok` or the error kind, with counts.
    pub outcomes: BTreeMap<String, usize>,
    /// Values that agree with the annotation's recorded result.
    pub agree_with_annotation: usize,
    pub fuel_p50: u64,
    pub fuel_p99: u64,
    pub fuel_max: u64,
    /// The decimal rendering of each value (`None` for errors), in order.
    #[serde(skip)]
    pub decimals: Vec<Option<String>>,
}

/// Evaluate every item once (after `warmup` untimed evaluations), timing
/// each call to `Sandbox::eval` (fresh store, instantiate, run, decode).
pub fn measure(sandbox: &Sandbox, items: &[Annotation], warmup: usize) -> Latency {
    for item in items.iter().cycle().take(warmup.min(items.len() * 4)) {
        let _ = sandbox.eval(&item.expr);
    }
    let mut times = Vec::with_capacity(items.len());
    let mut fuel = Vec::with_capacity(items.len());
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    let mut agree = 0;
    let mut decimals = Vec::with_capacity(items.len());
    let started = Instant::now();
    for item in items {
        let t = Instant::now();
        let r = sandbox.eval(&item.expr);
        times.push(micros(t.elapsed()));
        match r {
            Ok(v) => {
                *outcomes.entry("ok".into()).or_default() += 1;
                fuel.push(v.fuel_used);
                agree += usize::from(agrees(&v.decimal, &item.result));
                decimals.push(Some(v.decimal));
            }
            Err(e) => {
                *outcomes.entry(e.kind().into()).or_default() += 1;
                decimals.push(None);
            }
        }
    }
    let wall = started.elapsed();
    let mean_us = times.iter().sum::<u64>() as f64 / times.len().max(1) as f64;
    times.sort_unstable();
    fuel.sort_unstable();
    Latency {
        evaluations: items.len(),
        p50_us: percentile(&times, 0.5),
        p99_us: percentile(&times, 0.99),
        mean_us: (mean_us * 10.0).round() / 10.0,
        max_us: times.last().copied().unwrap_or(0),
        evaluations_per_s: (items.len() as f64 / wall.as_secs_f64()).round(),
        outcomes,
        agree_with_annotation: agree,
        fuel_p50: percentile(&fuel, 0.5),
        fuel_p99: percentile(&fuel, 0.99),
        fuel_max: fuel.last().copied().unwrap_or(0),
        decimals,
    }
}

/// `python3 -c "print(EXPR)"` timed per expression, for comparison.
#[derive(Debug, Clone, Serialize)]
pub struct PythonLatency {
    pub runs: usize,
    pub p50_us: u64,
    pub p99_us: u64,
    /// Runs whose printed value agrees with the sandbox's decimal.
    pub agree_with_sandbox: usize,
}

/// Spawn `python3` (found on PATH) once per item; `Err` if it cannot start.
pub fn python_subprocess(
    items: &[Annotation],
    ours: &[Option<String>],
) -> Result<PythonLatency, String> {
    Command::new("python3")
        .args(["-c", "pass"])
        .output()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    let mut times = Vec::with_capacity(items.len());
    let mut agree = 0;
    for (item, mine) in items
        .iter()
        .zip(ours.iter().chain(std::iter::repeat(&None)))
    {
        let t = Instant::now();
        let out = Command::new("python3")
            .arg("-c")
            .arg(format!("print({})", item.expr))
            .output()
            .map_err(|e| format!("cannot run python3: {e}"))?;
        times.push(micros(t.elapsed()));
        if let Some(mine) = mine {
            agree += usize::from(agrees(&String::from_utf8_lossy(&out.stdout), mine));
        }
    }
    times.sort_unstable();
    Ok(PythonLatency {
        runs: times.len(),
        p50_us: percentile(&times, 0.5),
        p99_us: percentile(&times, 0.99),
        agree_with_sandbox: agree,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_are_extracted_in_order() {
        let text = r#"{"question": "q", "answer": "a <<48/2=24>>24 b <<48+24=72>>72\n#### 72"}
{"question": "q", "answer": "no annotation"}"#;
        let got = gsm8k_annotations(text).unwrap();
        assert_eq!(
            got,
            vec![
                Annotation {
                    expr: "48/2".into(),
                    result: "24".into()
                },
                Annotation {
                    expr: "48+24".into(),
                    result: "72".into()
                }
            ]
        );
        assert_eq!(
            gsm8k_annotations("{}\n").unwrap_err(),
            "line 1: no \"answer\" string"
        );
    }

    #[test]
    fn percentiles_use_nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!((percentile(&v, 0.5), percentile(&v, 0.99)), (50, 99));
        assert_eq!(percentile(&[7], 0.99), 7);
        assert_eq!(percentile(&[], 0.5), 0);
    }

    #[test]
    fn numbers_agree_within_rounding() {
        assert!(agrees("0.3333333333", "0.33333333333333333333"));
        assert!(agrees("2.0\n", "2"));
        assert!(!agrees("2.5", "2"));
        assert!(!agrees("x", "2"));
    }
}
