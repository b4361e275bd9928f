//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

pub const GEMMA3: &str = "gemma-3-270m-q4_k_m.gguf";
pub const SMOLLM2: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// Path of a catalog model in the flinch cache (`$FLINCH_HOME/models`, else
/// `~/.cache/flinch/models`). Panics with what to do when it is missing.
pub fn model_path(file: &str) -> PathBuf {
    let home = match std::env::var_os("FLINCH_HOME") {
        Some(h) => PathBuf::from(h),
        None => PathBuf::from(std::env::var_os("HOME").expect("HOME is set")).join(".cache/flinch"),
    };
    let path = home.join("models").join(file);
    assert!(
        path.exists(),
        "model {} is missing: run `cargo run --release -- model fetch --all` first",
        path.display()
    );
    path
}

/// A fixture file under tests/fixtures.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A JSON array of token ids.
pub fn ids(v: &serde_json::Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

/// A reference's greedy continuation of a prompt: its prompt ids, its
/// tokens (up to `max_tokens`, fewer when it stopped at end-of-generation)
/// and at each step the gap between its best and second-best logit.
pub struct Greedy<'a> {
    pub label: &'a str,
    pub prompt: &'a str,
    pub prompt_ids: Vec<u32>,
    pub want: Vec<u32>,
    pub gaps: Vec<f64>,
    pub max_tokens: usize,
}

/// Check the engine's prompt ids and greedy tokens against `r`: identical,
/// except that a divergence is accepted where the reference's top-2 gap is
/// below `tie_gap`. Returns a one-line report.
pub fn check_greedy_against(
    engine: &mut flinch_engine::Engine,
    r: &Greedy<'_>,
    tie_gap: f64,
) -> String {
    use flinch_engine::{FinishReason, GenerateRequest, Prompt};
    let p = Prompt::Text(r.prompt.to_owned());
    assert_eq!(
        engine.prompt_tokens(&p).unwrap(),
        r.prompt_ids,
        "{}: prompt ids of {:?}",
        r.label,
        r.prompt
    );
    let g = engine
        .generate(GenerateRequest::greedy(p, r.max_tokens), &mut |_| {})
        .unwrap();
    let same = g
        .tokens
        .iter()
        .zip(&r.want)
        .take_while(|(a, b)| a == b)
        .count();
    if same < r.want.len() {
        assert!(
            r.gaps[same] < tie_gap,
            "{} {:?} diverges from the reference at token {same} where its top-2 margin is {} (>= {tie_gap})\n want {:?}\n got  {:?}",
            r.label,
            r.prompt,
            r.gaps[same],
            r.want,
            g.tokens
        );
    } else if r.want.len() < r.max_tokens {
        assert_eq!(
            g.tokens.len(),
            r.want.len(),
            "the reference stopped at EOS here"
        );
        assert_eq!(g.finish, FinishReason::Eos);
    }
    let margin = r
        .gaps
        .get(same)
        .filter(|_| same < r.want.len())
        .map_or(String::new(), |g| {
            format!(", reference's top-2 margin there {g:.3}")
        });
    format!(
        "{} {:?}: {same}/{} identical{margin}",
        r.label,
        r.prompt,
        r.want.len()
    )
}
