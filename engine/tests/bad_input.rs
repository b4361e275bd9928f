//! Bad input gives a typed error whose message names the problem and the
//! file: missing file, not a GGUF, truncated GGUF, wrong-typed metadata,
//! unsupported architecture, a prompt longer than the context, an empty
//! prompt, invalid UTF-8 in a tokenizer.json, an empty allowed set.

mod common;

use std::path::Path;

use flinch_engine::{
    Allowed, Engine, Error, GenerateRequest, LoadOptions, Message, Prompt, Role, TokenConstraint,
    TokenizerSource,
};

/// GGUF metadata values for the writer below.
enum V {
    Str(&'static str),
    U32(u32),
    F32(f32),
    Strs(Vec<&'static str>),
    F32s(Vec<f32>),
    I32s(Vec<i32>),
}

/// A GGUF v3 file with the given metadata and tensor directory entries
/// (name, dims, ggml type, offset) followed by `data` bytes.
fn gguf(kvs: &[(&str, V)], tensors: &[(&str, Vec<u64>, u32, u64)], data: usize) -> Vec<u8> {
    let mut b = Vec::new();
    let s = |b: &mut Vec<u8>, t: &str| {
        b.extend((t.len() as u64).to_le_bytes());
        b.extend(t.as_bytes());
    };
    b.extend(b"GGUF");
    b.extend(3u32.to_le_bytes());
    b.extend((tensors.len() as u64).to_le_bytes());
    b.extend((kvs.len() as u64).to_le_bytes());
    for (k, v) in kvs {
        s(&mut b, k);
        match v {
            V::Str(t) => {
                b.extend(8u32.to_le_bytes());
                s(&mut b, t);
            }
            V::U32(x) => {
                b.extend(4u32.to_le_bytes());
                b.extend(x.to_le_bytes());
            }
            V::F32(x) => {
                b.extend(6u32.to_le_bytes());
                b.extend(x.to_le_bytes());
            }
            V::Strs(xs) => {
                b.extend(9u32.to_le_bytes());
                b.extend(8u32.to_le_bytes());
                b.extend((xs.len() as u64).to_le_bytes());
                for x in xs {
                    s(&mut b, x);
                }
            }
            V::F32s(xs) => {
                b.extend(9u32.to_le_bytes());
                b.extend(6u32.to_le_bytes());
                b.extend((xs.len() as u64).to_le_bytes());
                xs.iter().for_each(|x| b.extend(x.to_le_bytes()));
            }
            V::I32s(xs) => {
                b.extend(9u32.to_le_bytes());
                b.extend(5u32.to_le_bytes());
                b.extend((xs.len() as u64).to_le_bytes());
                xs.iter().for_each(|x| b.extend(x.to_le_bytes()));
            }
        }
    }
    for (name, dims, ty, off) in tensors {
        s(&mut b, name);
        b.extend((dims.len() as u32).to_le_bytes());
        dims.iter().for_each(|d| b.extend(d.to_le_bytes()));
        b.extend(ty.to_le_bytes());
        b.extend(off.to_le_bytes());
    }
    while b.len() % 32 != 0 {
        b.push(0);
    }
    b.extend(std::iter::repeat_n(0u8, data));
    b
}

/// Metadata of a tiny SentencePiece vocabulary.
fn tokenizer_kvs() -> Vec<(&'static str, V)> {
    vec![
        ("tokenizer.ggml.model", V::Str("llama")),
        (
            "tokenizer.ggml.tokens",
            V::Strs(vec!["<unk>", "<s>", "</s>", "a"]),
        ),
        ("tokenizer.ggml.scores", V::F32s(vec![0.0, 0.0, 0.0, -1.0])),
        ("tokenizer.ggml.token_type", V::I32s(vec![2, 3, 3, 1])),
        ("tokenizer.ggml.bos_token_id", V::U32(1)),
        ("tokenizer.ggml.eos_token_id", V::U32(2)),
    ]
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn load_err(path: &Path) -> Error {
    Engine::load(path, LoadOptions::default()).unwrap_err()
}

#[test]
fn a_missing_file_says_how_to_get_one() {
    let e = load_err(Path::new("/nonexistent/model.gguf"));
    assert!(matches!(e, Error::MissingFile { .. }));
    assert_eq!(
        e.to_string(),
        "model file /nonexistent/model.gguf does not exist; run `flinch model fetch --all` or pass the path of a .gguf file"
    );
}

#[test]
fn a_file_that_is_not_gguf_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "notes.gguf", b"NOTAGGUF at all, just text");
    let e = load_err(&p);
    assert_eq!(
        e.to_string(),
        format!(
            "{} is not a GGUF file: it starts with \"NOTA\" instead of \"GGUF\"; pass a .gguf model file",
            p.display()
        )
    );
    let p = write(dir.path(), "tiny.gguf", b"GG");
    assert!(matches!(load_err(&p), Error::BadMagic { .. }));
}

#[test]
fn a_truncated_file_is_reported_with_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let mut kvs = tokenizer_kvs();
    kvs.push(("general.architecture", V::Str("gemma3")));
    // A 640 × 4 Q8_0 tensor needs 4 rows × 20 blocks × 34 bytes = 2720 bytes.
    let bytes = gguf(&kvs, &[("token_embd.weight", vec![640, 4], 8, 0)], 1000);
    let p = write(dir.path(), "cut.gguf", &bytes);
    let e = load_err(&p);
    let data_start = bytes.len() - 1000;
    assert_eq!(
        e.to_string(),
        format!(
            "{} is truncated or corrupt: tensor `token_embd.weight` needs 2720 bytes at offset {data_start} but the file has {} bytes; download it again",
            p.display(),
            bytes.len()
        )
    );
    // Cut inside the metadata.
    let p = write(dir.path(), "cut2.gguf", &bytes[..40]);
    let e = load_err(&p);
    assert!(matches!(e, Error::Truncated { .. }), "{e}");
    assert!(e.to_string().contains("is truncated or corrupt"), "{e}");
}

#[test]
fn wrong_typed_metadata_names_key_and_types() {
    let dir = tempfile::tempdir().unwrap();
    let mut kvs = tokenizer_kvs();
    kvs.push(("general.architecture", V::Str("gemma3")));
    kvs.push(("gemma3.context_length", V::Str("32768")));
    let p = write(dir.path(), "typed.gguf", &gguf(&kvs, &[], 0));
    let e = load_err(&p);
    assert_eq!(
        e.to_string(),
        format!(
            "{}: metadata key `gemma3.context_length` has type string, expected an integer",
            p.display()
        )
    );
    let mut kvs = tokenizer_kvs();
    kvs.push(("general.architecture", V::F32(1.0)));
    let p = write(dir.path(), "arch.gguf", &gguf(&kvs, &[], 0));
    assert_eq!(
        load_err(&p).to_string(),
        format!(
            "{}: metadata key `general.architecture` has type f32, expected a string",
            p.display()
        )
    );
}

#[test]
fn an_unsupported_architecture_lists_the_supported_ones() {
    let dir = tempfile::tempdir().unwrap();
    let mut kvs = tokenizer_kvs();
    kvs.push(("general.architecture", V::Str("mamba")));
    let p = write(dir.path(), "mamba.gguf", &gguf(&kvs, &[], 0));
    assert_eq!(
        load_err(&p).to_string(),
        format!(
            "{}: architecture `mamba` is not supported (supported: gemma3, gemma2, llama, qwen2, qwen3)",
            p.display()
        )
    );
}

#[test]
fn invalid_utf8_in_a_tokenizer_json_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let json = write(dir.path(), "tokenizer.json", b"{\"a\xff\": 1}");
    let opts = LoadOptions {
        tokenizer: TokenizerSource::Json(json.clone()),
        ..Default::default()
    };
    let e = Engine::load(&common::model_path(common::SMOLLM2), opts).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: cannot build the tokenizer: the file is not valid UTF-8 (invalid byte at offset 3)",
            json.display()
        )
    );
}

struct Nothing;
impl TokenConstraint for Nothing {
    fn allowed(&mut self, _: &str) -> Allowed {
        Allowed::Only(Vec::new())
    }
}

#[test]
fn bad_requests_are_typed_errors() {
    let mut e = Engine::load(&common::model_path(common::SMOLLM2), LoadOptions::default()).unwrap();
    let err = e
        .generate(
            GenerateRequest::greedy(Prompt::Text(String::new()), 4),
            &mut |_| {},
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the prompt is empty; give some text or at least one message"
    );
    let err = e
        .generate(
            GenerateRequest::greedy(Prompt::Chat(Vec::new()), 4),
            &mut |_| {},
        )
        .unwrap_err();
    assert!(matches!(err, Error::EmptyPrompt));

    let long = "hello ".repeat(9000);
    let n = e
        .prompt_tokens(&Prompt::Text(long.clone()))
        .map(|v| v.len());
    let err = e
        .generate(GenerateRequest::greedy(Prompt::Text(long), 4), &mut |_| {})
        .unwrap_err();
    assert!(n.is_err());
    let Error::PromptTooLong { tokens, context } = err else {
        panic!("{err}")
    };
    assert_eq!(context, 8192);
    assert_eq!(
        err_text(tokens, context),
        format!(
            "the prompt is {tokens} tokens but the model's context is 8192 tokens; shorten the prompt"
        )
    );

    let mut req = GenerateRequest::greedy(Prompt::Chat(vec![Message::new(Role::User, "hi")]), 4);
    req.constraint = Some(Box::new(Nothing));
    let err = e.generate(req, &mut |_| {}).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid request: the constraint allowed no token (Allowed::Only with an empty list); return Allowed::Done to stop"
    );
}

fn err_text(tokens: usize, context: usize) -> String {
    Error::PromptTooLong { tokens, context }.to_string()
}
