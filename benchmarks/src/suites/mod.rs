//! Loaders of the suites' data files, one per dataset format. Every loader
//! names the file and line of a malformed entry and says what it expected.

pub mod bbh;
pub mod gsm8k;
pub mod ifeval;
pub mod logicbench;
pub mod mt_bench;
pub mod prontoqa;

use std::path::Path;

use anyhow::Context;
use serde::de::DeserializeOwned;

/// Stops of a few-shot completion: the next exemplar or a blank line.
pub const FEW_SHOT_STOPS: [&str; 2] = ["Q:", "\n\n"];

pub(crate) fn stops() -> Vec<String> {
    FEW_SHOT_STOPS.iter().map(|s| (*s).to_owned()).collect()
}

/// A file's text, or an error naming the file.
pub(crate) fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// The rows of a JSON Lines file (blank lines skipped).
pub(crate) fn jsonl<T: DeserializeOwned>(path: &Path, what: &str) -> anyhow::Result<Vec<T>> {
    let text = read(path)?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .with_context(|| format!("{}:{}: not {what}", path.display(), i + 1))
        })
        .collect()
}

/// A whole-file JSON document.
pub(crate) fn json<T: DeserializeOwned>(path: &Path, what: &str) -> anyhow::Result<T> {
    let text = read(path)?;
    serde_json::from_str(&text).with_context(|| format!("{}: not {what}", path.display()))
}
