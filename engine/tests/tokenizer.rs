//! The Gemma 3 tokenizer built from GGUF metadata matches the reference
//! tokenizer token for token, and the SmolLM2 byte-level BPE round-trips.

mod common;

use flinch_engine::gguf::Gguf;
use flinch_engine::{TokenKind, Tokenizer};

fn gemma() -> Tokenizer {
    let g = Gguf::open(&common::model_path(common::GEMMA3)).unwrap();
    Tokenizer::from_gguf(&g).unwrap()
}

#[test]
fn gemma3_matches_the_reference_tokenizer_on_the_golden_corpus() {
    let tok = gemma();
    let raw = std::fs::read_to_string(common::fixture("gemma3_tokenizer.json")).unwrap();
    let fixture: serde_json::Value = serde_json::from_str(&raw).unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    assert!(cases.len() >= 50, "the corpus has {} strings", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let text = case["text"].as_str().unwrap();
        let want: Vec<u32> = case["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u32)
            .collect();
        let got = tok.encode(text, false).unwrap();
        if got != want {
            failures.push(format!("{text:?}\n  want {want:?}\n  got  {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn gemma3_decodes_what_it_encodes() {
    let tok = gemma();
    for text in [
        "The capital of France is Paris.",
        "café 🍕 你好\n\n  x",
        "a\tb",
    ] {
        let ids = tok.encode(text, false).unwrap();
        assert_eq!(tok.decode(&ids), text);
    }
    let ids = tok.encode("hi", true).unwrap();
    assert_eq!(ids[0], 2, "BOS first");
    assert_eq!(tok.decode(&ids), "hi", "control tokens produce no text");
}

#[test]
fn gemma3_special_tokens_and_kinds() {
    let tok = gemma();
    assert_eq!(tok.bos(), Some(2));
    assert!(tok.add_bos());
    assert!(tok.eos().contains(&1), "<eos>");
    assert!(tok.eos().contains(&106), "<end_of_turn>");
    assert_eq!(tok.kind(106), TokenKind::Control);
    assert_eq!(
        tok.kind(tok.encode("\n", false).unwrap()[0]),
        TokenKind::UserDefined
    );
    assert_eq!(tok.piece(818), b"The");
    assert_eq!(tok.vocab_size(), 262_144);
}

#[test]
fn gemma3_streaming_never_splits_a_character() {
    let tok = gemma();
    // Characters outside the vocabulary are spelled with byte tokens.
    let text = "𓀀 hieroglyph, ꙮ eyes, 𐌰 gothic";
    let ids = tok.encode(text, false).unwrap();
    assert!(
        ids.iter().any(|&i| tok.kind(i) == TokenKind::Byte),
        "{ids:?}"
    );
    let mut s = tok.stream();
    let mut out = String::new();
    for &id in &ids {
        let part = s.push(id);
        assert!(!part.contains('\u{FFFD}'));
        out.push_str(&part);
    }
    out.push_str(&s.finish());
    assert_eq!(out, text);
}

#[test]
fn smollm2_byte_level_bpe_round_trips_and_finds_chatml_tokens() {
    let g = Gguf::open(&common::model_path(common::SMOLLM2)).unwrap();
    let tok = Tokenizer::from_gguf(&g).unwrap();
    assert!(!tok.add_bos());
    let ids = tok
        .encode("<|im_start|>user\nHello world 123<|im_end|>", false)
        .unwrap();
    assert_eq!(ids[0], 1, "<|im_start|>");
    assert_eq!(*ids.last().unwrap(), 2, "<|im_end|>");
    // Digits are split one by one by SmolLM's pre-tokenizer.
    let digits = tok.encode("123", false).unwrap();
    assert_eq!(digits.len(), 3, "{digits:?}");
    for text in ["Hello world", "  spaced\n\nlines", "naïve café ☕ 日本"] {
        let ids = tok.encode(text, false).unwrap();
        assert_eq!(tok.decode(&ids), text);
    }
    assert!(tok.eos().contains(&2));
}
