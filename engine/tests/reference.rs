//! Agreement with llama.cpp on the same GGUF files (fixture made by
//! tests/fixtures/make_llama_cpp_fixture.py): greedy continuations token for
//! token, and the perplexity of a public-domain paragraph.

mod common;

use flinch_engine::{Engine, LoadOptions};

/// A divergence from llama.cpp is accepted only where llama.cpp's own best
/// and second-best logits are closer than this. Both engines quantize
/// activations to 8 bits, and on this model that moves logits a lot: after
/// "The three primary colors are red," llama.cpp's logits differ from an
/// exact f32 computation on the same weights by 0.25 RMS, ours by 0.22 RMS
/// (engine/README.md, "Agreement with llama.cpp"). A top-2 margin below 0.5
/// is within that noise.
const TIE_GAP: f64 = 0.5;

/// Perplexities this engine measured on tests/fixtures/pride_and_prejudice.txt
/// (`cargo test --release -p flinch-engine --test reference -- --nocapture`
/// prints them); the test keeps them within 2%.
const RECORDED_PPL_GEMMA3: f64 = 16.56;
const RECORDED_PPL_SMOLLM2: f64 = 18.08;

fn fixture() -> serde_json::Value {
    let raw = std::fs::read_to_string(common::fixture("llama_cpp_reference.json")).unwrap();
    serde_json::from_str(&raw).unwrap()
}

fn gaps(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_f64().unwrap())
        .collect()
}

fn check_greedy(file: &str) {
    let fx = fixture();
    let mut engine = Engine::load(&common::model_path(file), LoadOptions::default()).unwrap();
    let mut report = Vec::new();
    for case in fx["models"][file]["greedy"].as_array().unwrap() {
        let reference = common::Greedy {
            label: file,
            prompt: case["prompt"].as_str().unwrap(),
            prompt_ids: common::ids(&case["prompt_ids"]),
            want: common::ids(&case["ids"]),
            gaps: gaps(&case["top2_gaps"]),
            max_tokens: 32,
        };
        report.push(common::check_greedy_against(
            &mut engine,
            &reference,
            TIE_GAP,
        ));
    }
    eprintln!("{file}:\n  {}", report.join("\n  "));
}

fn perplexity(file: &str, recorded: f64) {
    let fx = fixture();
    let reference = fx["models"][file]["pride_and_prejudice"]["perplexity"]
        .as_f64()
        .unwrap();
    let n_ref = fx["models"][file]["pride_and_prejudice"]["tokens"]
        .as_u64()
        .unwrap() as usize;
    let text = std::fs::read_to_string(common::fixture("pride_and_prejudice.txt")).unwrap();
    let mut engine = Engine::load(&common::model_path(file), LoadOptions::default()).unwrap();
    let tokens = engine
        .tokenize(&text, engine.tokenizer().add_bos())
        .unwrap();
    assert_eq!(tokens.len(), n_ref, "same tokenization as llama.cpp");
    let lp = engine.token_logprobs(&tokens).unwrap();
    let ppl = (-lp.iter().map(|&v| v as f64).sum::<f64>() / lp.len() as f64).exp();
    eprintln!("{file}: perplexity {ppl:.4} (llama.cpp {reference:.4})");
    assert!(
        (ppl / reference - 1.0).abs() < 0.03,
        "perplexity {ppl} vs llama.cpp {reference}"
    );
    assert!(
        (ppl / recorded - 1.0).abs() < 0.02,
        "perplexity {ppl} vs recorded {recorded}"
    );
}

#[test]
fn gemma3_greedy_matches_llama_cpp() {
    check_greedy(common::GEMMA3);
}

#[test]
fn smollm2_greedy_matches_llama_cpp() {
    check_greedy(common::SMOLLM2);
}

#[test]
fn gemma3_perplexity_is_stable() {
    perplexity(common::GEMMA3, RECORDED_PPL_GEMMA3);
}

#[test]
fn smollm2_perplexity_is_stable() {
    perplexity(common::SMOLLM2, RECORDED_PPL_SMOLLM2);
}
