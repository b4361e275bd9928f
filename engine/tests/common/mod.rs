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
