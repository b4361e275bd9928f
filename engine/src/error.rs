//! Everything that can go wrong in the engine, as one typed enum.
//!
//! Every variant that concerns a file names the file; messages say what was
//! wrong and, where there is one, what to do about it.

use std::path::PathBuf;

/// An engine error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "model file {path} does not exist; run `flinch model fetch --all` or pass the path of a .gguf file"
    )]
    MissingFile { path: PathBuf },

    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "{path} is not a GGUF file: it starts with {found:?} instead of \"GGUF\"; pass a .gguf model file"
    )]
    BadMagic { path: PathBuf, found: String },

    #[error("{path} is GGUF version {version}; only versions 2 and 3 are supported")]
    UnsupportedGgufVersion { path: PathBuf, version: u32 },

    #[error(
        "{path} is truncated or corrupt: {what} needs {needed} bytes at offset {offset} but the file has {file_len} bytes; download it again"
    )]
    Truncated {
        path: PathBuf,
        what: String,
        offset: u64,
        needed: u64,
        file_len: u64,
    },

    #[error("{path} is corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },

    #[error("{path}: metadata key `{key}` is missing")]
    MissingMetadata { path: PathBuf, key: String },

    #[error("{path}: metadata key `{key}` has type {found}, expected {expected}")]
    MetadataType {
        path: PathBuf,
        key: String,
        expected: &'static str,
        found: String,
    },

    #[error("{path}: metadata key `{key}` is invalid: {reason}")]
    InvalidMetadata {
        path: PathBuf,
        key: String,
        reason: String,
    },

    #[error("{path}: tensor `{name}` is missing")]
    MissingTensor { path: PathBuf, name: String },

    #[error("{path}: tensor `{name}` has shape {found:?}, expected {expected:?}")]
    TensorShape {
        path: PathBuf,
        name: String,
        expected: Vec<usize>,
        found: Vec<usize>,
    },

    #[error(
        "{path}: tensor `{name}` has ggml type {ggml_type}, which the engine cannot compute with"
    )]
    UnsupportedTensorType {
        path: PathBuf,
        name: String,
        ggml_type: String,
    },

    #[error("{path}: architecture `{architecture}` is not supported (supported: {supported})")]
    UnsupportedArchitecture {
        path: PathBuf,
        architecture: String,
        supported: &'static str,
    },

    #[error("{path}: cannot build the tokenizer: {reason}")]
    Tokenizer { path: PathBuf, reason: String },

    #[error("tokenizer failed on the input: {reason}")]
    Tokenize { reason: String },

    #[error("chat template of {path} failed: {reason}")]
    ChatTemplate { path: PathBuf, reason: String },

    #[error("{path} has no chat template and no built-in turn format; use a plain text prompt")]
    NoChatFormat { path: PathBuf },

    #[error("the prompt is empty; give some text or at least one message")]
    EmptyPrompt,

    #[error(
        "the prompt is {tokens} tokens but the model's context is {context} tokens; shorten the prompt"
    )]
    PromptTooLong { tokens: usize, context: usize },

    #[error("invalid request: {reason}")]
    InvalidRequest { reason: String },

    #[error("token id {id} is outside the vocabulary of {vocab} tokens")]
    TokenOutOfRange { id: u32, vocab: usize },
}

/// Result of an engine operation.
pub type Result<T> = std::result::Result<T, Error>;
