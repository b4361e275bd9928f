//! The qwen2, qwen3 and gemma2 code paths (q/k/v biases; per-head q/k RMS
//! norms; post-norms, alternating sliding windows of 8, softcapped
//! attention) against llama.cpp, on tiny random-weight GGUF files made by
//! tests/fixtures/make_tiny_models.py (F32 weights, SmolLM2's BPE cut to 512
//! tokens): the same prompt ids and the same greedy continuation. (Greedy
//! decoding cannot see gemma2's final-logit softcap: tanh keeps the order.)

mod common;

use flinch_engine::{Engine, LoadOptions};

/// With F32 weights neither engine quantizes activations, so the two differ
/// only by rounding; a divergence is accepted only where llama.cpp's best and
/// second-best logits are closer than this.
const TIE_GAP: f64 = 0.01;

/// Greedy tokens per prompt in the fixture (the script's `N_GREEDY`).
const N_GREEDY: usize = 16;

fn check(arch: &str) {
    let raw = std::fs::read_to_string(common::fixture("tiny_models_reference.json")).unwrap();
    let fx: serde_json::Value = serde_json::from_str(&raw).unwrap();
    let path = common::fixture(&format!("tiny-{arch}.gguf"));
    let mut engine = Engine::load(&path, LoadOptions::default()).unwrap();
    assert_eq!(engine.info().architecture, arch);
    let cases = fx[arch].as_array().unwrap();
    assert!(!cases.is_empty());
    for case in cases {
        let reference = common::Greedy {
            label: arch,
            prompt: case["prompt"].as_str().unwrap(),
            prompt_ids: common::ids(&case["prompt_ids"]),
            want: common::ids(&case["greedy_ids"]),
            gaps: case["gaps"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g.as_f64().unwrap())
                .collect(),
            max_tokens: N_GREEDY,
        };
        eprintln!(
            "{}",
            common::check_greedy_against(&mut engine, &reference, TIE_GAP)
        );
    }
}

#[test]
fn tiny_qwen2_matches_llama_cpp() {
    check("qwen2");
}

#[test]
fn tiny_qwen3_matches_llama_cpp() {
    check("qwen3");
}

#[test]
fn tiny_gemma2_matches_llama_cpp() {
    check("gemma2");
}
