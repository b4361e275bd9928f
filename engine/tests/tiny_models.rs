//! The qwen2, qwen3 and gemma2 code paths (q/k/v biases; per-head q/k RMS
//! norms; post-norms, alternating sliding windows of 8, softcapped
//! attention) against llama.cpp, on tiny random-weight GGUF files made by
//! tests/fixtures/make_tiny_models.py (F32 weights, SmolLM2's BPE cut to 512
//! tokens): the same prompt ids and the same greedy continuation. (Greedy
//! decoding cannot see gemma2's final-logit softcap: tanh keeps the order.)

mod common;

use flinch_engine::{Engine, FinishReason, GenerateRequest, LoadOptions, Prompt};

/// With F32 weights neither engine quantizes activations, so the two differ
/// only by rounding; a divergence is accepted only where llama.cpp's best and
/// second-best logits are closer than this.
const TIE_GAP: f64 = 0.01;

fn ids(v: &serde_json::Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

fn check(arch: &str) {
    let raw = std::fs::read_to_string(common::fixture("tiny_models_reference.json")).unwrap();
    let fx: serde_json::Value = serde_json::from_str(&raw).unwrap();
    let path = common::fixture(&format!("tiny-{arch}.gguf"));
    let mut engine = Engine::load(&path, LoadOptions::default()).unwrap();
    assert_eq!(engine.info().architecture, arch);
    let cases = fx[arch].as_array().unwrap();
    assert!(!cases.is_empty());
    for case in cases {
        let prompt = case["prompt"].as_str().unwrap();
        let want = ids(&case["greedy_ids"]);
        let gaps: Vec<f64> = case["gaps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g.as_f64().unwrap())
            .collect();
        let p = Prompt::Text(prompt.to_owned());
        assert_eq!(
            engine.prompt_tokens(&p).unwrap(),
            ids(&case["prompt_ids"]),
            "prompt ids of {prompt:?}"
        );
        let g = engine
            .generate(GenerateRequest::greedy(p, want.len().max(1)), &mut |_| {})
            .unwrap();
        let same = g
            .tokens
            .iter()
            .zip(&want)
            .take_while(|(a, b)| a == b)
            .count();
        eprintln!("{arch} {prompt:?}: {same}/{} identical", want.len());
        if same < want.len() {
            assert!(
                gaps[same] < TIE_GAP,
                "{arch} {prompt:?} diverges from llama.cpp at token {same} where its top-2 margin is {}\n want {want:?}\n got  {:?}",
                gaps[same],
                g.tokens
            );
        } else {
            assert_eq!(g.tokens.len(), want.len(), "{arch} {prompt:?}");
            if want.is_empty() {
                assert_eq!(g.finish, FinishReason::Eos);
            }
        }
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
