//! What the whole-question readers make of every question text in the
//! benchmark data: for each, the route, the formula (`pipeline::formula_of`)
//! and the comparison (`compare::read`), one line each. Run it at two
//! commits and `diff` the outputs to see which benchmark questions a reader
//! change reads differently.
//!
//! `cargo run --release -p flinch-guardrails --example readings -- $(find benchmarks/data -name '*.json' -o -name '*.jsonl' | sort) > readings.txt`

use std::error::Error;

use flinch_guardrails::{pipeline, router, routes::compare};
use serde_json::Value;

/// The texts under the keys that hold questions, in any nesting.
fn texts(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| texts(x, out)),
        Value::Object(o) => {
            for (k, x) in o {
                let question =
                    ["question", "input", "prompt", "turns", "context"].contains(&k.as_str());
                if question || x.is_array() || x.is_object() {
                    texts(x, out)
                }
            }
        }
        _ => {}
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut questions = Vec::new();
    for path in std::env::args().skip(1) {
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        let docs: Vec<&str> = if path.ends_with(".jsonl") {
            text.lines().collect()
        } else {
            vec![&text]
        };
        for doc in docs {
            // Files that are not JSON (a license, notes) hold no questions.
            if let Ok(v) = serde_json::from_str::<Value>(doc) {
                texts(&v, &mut questions);
            }
        }
    }
    eprintln!("{} question texts", questions.len());
    for q in &questions {
        let formula = pipeline::formula_of(q);
        let comparison = compare::read(q).map(|c| format!("{} ? {}", c.left, c.right));
        let route = router::route(q, 0).route;
        let shown: String = q.replace('\n', " ").chars().take(80).collect();
        println!("{route:?} {formula:?} {comparison:?} :: {shown}");
    }
    Ok(())
}
