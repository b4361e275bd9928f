//! The tokenizer, built from GGUF metadata (`tokenizer.ggml.*`) or read from
//! an explicit `tokenizer.json`, plus what decoding needs: the bytes each
//! token stands for and a UTF-8-safe streaming decoder.
//!
//! SentencePiece-style vocabularies (`tokenizer.ggml.model = "llama"`,
//! Gemma) are a byte-fallback BPE whose merges are derived from the
//! vocabulary and scores (the `spm` module): every split of a normal token into two
//! normal pieces is a merge, ranked by the token's score, which reproduces
//! SentencePiece's "merge the pair whose result scores highest". Control
//! and user-defined tokens (Gemma's runs of newlines, spaces, tabs, HTML
//! tags) are matched in the raw text first, as the reference tokenizer does.
//!
//! GPT-2-style vocabularies (`"gpt2"`) are a `tokenizers` byte-level BPE
//! with the GGUF's merges and a pre-tokenizer chosen from
//! `tokenizer.ggml.pre`; an explicit `tokenizer.json` is read with
//! `tokenizers` too.

mod spm;

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use tokenizers::models::bpe::BPE;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence as PreSequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::{AddedToken, PreTokenizerWrapper, SplitDelimiterBehavior};

use crate::error::{Error, Result};
use crate::gguf::Gguf;

/// What kind of token an id is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Ordinary text.
    Normal,
    /// A raw byte (`<0x0A>`), used when no token covers a character.
    Byte,
    /// A control token (`<bos>`, `<end_of_turn>`, `<|im_end|>`): no text.
    Control,
    /// A user-defined token matched literally in text.
    UserDefined,
    /// Unknown or unused.
    Unused,
}

/// How the vocabulary encodes text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// `▁` for spaces, `<0xXX>` byte tokens.
    SentencePiece { add_space_prefix: bool },
    /// GPT-2 byte-to-unicode mapping.
    ByteLevel,
}

/// The encoder behind a [`Tokenizer`].
#[derive(Clone)]
enum Encoder {
    Spm(Box<spm::Spm>),
    Hf(Box<tokenizers::Tokenizer>),
}

/// A tokenizer with the facts generation needs.
#[derive(Clone)]
pub struct Tokenizer {
    encoder: Encoder,
    tokens: Vec<String>,
    style: Style,
    pieces: Vec<Vec<u8>>,
    kinds: Vec<TokenKind>,
    bos: Option<u32>,
    add_bos: bool,
    eos: Vec<u32>,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("style", &self.style)
            .field("vocab", &self.pieces.len())
            .field("bos", &self.bos)
            .field("eos", &self.eos)
            .finish()
    }
}

const GGML_TYPE_NORMAL: i64 = 1;
const GGML_TYPE_UNKNOWN: i64 = 2;
const GGML_TYPE_CONTROL: i64 = 3;
const GGML_TYPE_USER_DEFINED: i64 = 4;
const GGML_TYPE_UNUSED: i64 = 5;
const GGML_TYPE_BYTE: i64 = 6;

impl Tokenizer {
    /// Build the tokenizer described by a GGUF's metadata.
    pub fn from_gguf(g: &Gguf) -> Result<Self> {
        let err = |reason: String| Error::Tokenizer {
            path: g.path().to_path_buf(),
            reason,
        };
        let model = g.str("tokenizer.ggml.model")?;
        let tokens = g.str_array("tokenizer.ggml.tokens")?;
        let n = tokens.len();
        let types: Vec<i64> = match g.opt_int_array("tokenizer.ggml.token_type")? {
            Some(t) if t.len() == n => t.to_vec(),
            Some(t) => return Err(err(format!("{} token types for {n} tokens", t.len()))),
            None => vec![GGML_TYPE_NORMAL; n],
        };
        let kinds: Vec<TokenKind> = types
            .iter()
            .map(|&t| match t {
                GGML_TYPE_NORMAL => TokenKind::Normal,
                GGML_TYPE_CONTROL => TokenKind::Control,
                GGML_TYPE_USER_DEFINED => TokenKind::UserDefined,
                GGML_TYPE_BYTE => TokenKind::Byte,
                GGML_TYPE_UNKNOWN | GGML_TYPE_UNUSED => TokenKind::Unused,
                _ => TokenKind::Normal,
            })
            .collect();
        let id = |key: &str| -> Result<Option<u32>> {
            match g.opt_usize(key)? {
                Some(i) if i < n => Ok(Some(i as u32)),
                Some(i) => Err(Error::InvalidMetadata {
                    path: g.path().to_path_buf(),
                    key: key.to_string(),
                    reason: format!("token id {i} is outside the vocabulary of {n} tokens"),
                }),
                None => Ok(None),
            }
        };
        let bos = id("tokenizer.ggml.bos_token_id")?;
        let eos_id = id("tokenizer.ggml.eos_token_id")?;
        let eot_id = id("tokenizer.ggml.eot_token_id")?;
        let unk = id("tokenizer.ggml.unknown_token_id")?;
        let (encoder, style, add_bos_default) = match model {
            "llama" => {
                let scores = g.opt_f32_array("tokenizer.ggml.scores")?.ok_or_else(|| {
                    err("a SentencePiece vocabulary needs tokenizer.ggml.scores".into())
                })?;
                if scores.len() != n {
                    return Err(err(format!("{} scores for {n} tokens", scores.len())));
                }
                let add_space_prefix = g
                    .opt_bool("tokenizer.ggml.add_space_prefix")?
                    .unwrap_or(true);
                let entry = |i: usize| match kinds[i] {
                    TokenKind::Normal => spm::Entry::Normal,
                    TokenKind::Byte => {
                        parse_byte_token(&tokens[i]).map_or(spm::Entry::Other, spm::Entry::Byte)
                    }
                    TokenKind::Control | TokenKind::UserDefined => spm::Entry::Literal,
                    TokenKind::Unused => spm::Entry::Other,
                };
                let enc = spm::Spm::new(tokens, entry, scores, unk, add_space_prefix);
                (
                    Encoder::Spm(Box::new(enc)),
                    Style::SentencePiece { add_space_prefix },
                    true,
                )
            }
            "gpt2" => {
                let merges = g
                    .opt_str_array("tokenizer.ggml.merges")?
                    .ok_or_else(|| err("a BPE vocabulary needs tokenizer.ggml.merges".into()))?;
                let merges = merges
                    .iter()
                    .map(|m| {
                        m.split_once(' ')
                            .map(|(a, b)| (a.to_string(), b.to_string()))
                            .ok_or_else(|| err(format!("merge {m:?} is not two pieces")))
                    })
                    .collect::<Result<Vec<_>>>()?;
                let vocab: ahash::AHashMap<String, u32> = tokens
                    .iter()
                    .enumerate()
                    .map(|(i, t)| (t.clone(), i as u32))
                    .collect();
                let bpe = BPE::builder()
                    .vocab_and_merges(vocab, merges)
                    .build()
                    .map_err(|e| err(e.to_string()))?;
                let mut t = tokenizers::Tokenizer::new(bpe);
                let pre = g.opt_str("tokenizer.ggml.pre")?.unwrap_or("default");
                t.with_pre_tokenizer(Some(byte_level_pre_tokenizer(pre).ok_or_else(|| {
                    err(format!(
                        "pre-tokenizer `{pre}` is not supported (supported: default, gpt2, smollm, starcoder, refact, llama-bpe, llama3, qwen2)"
                    ))
                })?));
                t.with_decoder(Some(tokenizers::decoders::byte_level::ByteLevel::default()));
                // Control tokens are special; user-defined ones are matched in raw text.
                let added: Vec<AddedToken> = (0..n)
                    .filter(|&i| matches!(kinds[i], TokenKind::Control | TokenKind::UserDefined))
                    .map(|i| {
                        AddedToken::from(tokens[i].clone(), kinds[i] == TokenKind::Control)
                            .normalized(false)
                    })
                    .collect();
                t.add_tokens(added).map_err(|e| err(e.to_string()))?;
                (Encoder::Hf(Box::new(t)), Style::ByteLevel, false)
            }
            other => {
                return Err(err(format!(
                    "tokenizer model `{other}` is not supported (supported: llama, gpt2)"
                )));
            }
        };
        let pieces = tokens
            .iter()
            .zip(&kinds)
            .map(|(t, &k)| piece_bytes(t, k, style))
            .collect();
        let mut eos: Vec<u32> = eos_id.into_iter().chain(eot_id).collect();
        // End-of-turn markers that chat models emit instead of EOS.
        let by_text: ahash::AHashMap<&str, usize> = (0..n)
            .filter(|&i| kinds[i] == TokenKind::Control)
            .map(|i| (tokens[i].as_str(), i))
            .collect();
        for marker in ["<end_of_turn>", "<|im_end|>", "<|eot_id|>", "<|endoftext|>"] {
            if let Some(&i) = by_text.get(marker)
                && !eos.contains(&(i as u32))
            {
                eos.push(i as u32);
            }
        }
        let add_bos = g
            .opt_bool("tokenizer.ggml.add_bos_token")?
            .unwrap_or(add_bos_default)
            && bos.is_some();
        Ok(Self {
            encoder,
            tokens: tokens.to_vec(),
            style,
            pieces,
            kinds,
            bos,
            add_bos,
            eos,
        })
    }

    /// Replace the tokenization rules with those of a `tokenizer.json`,
    /// keeping the GGUF's special tokens (BOS, EOS). The vocabularies must
    /// have the same size.
    pub fn with_json(mut self, path: &Path) -> Result<Self> {
        let err = |reason: String| Error::Tokenizer {
            path: path.to_path_buf(),
            reason,
        };
        let bytes = std::fs::read(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                Error::MissingFile {
                    path: path.to_path_buf(),
                }
            } else {
                Error::Io {
                    path: path.to_path_buf(),
                    source,
                }
            }
        })?;
        let text = std::str::from_utf8(&bytes).map_err(|e| {
            err(format!(
                "the file is not valid UTF-8 (invalid byte at offset {})",
                e.valid_up_to()
            ))
        })?;
        let inner = tokenizers::Tokenizer::from_str(text).map_err(|e| err(e.to_string()))?;
        let size = inner.get_vocab_size(true);
        if size > self.pieces.len() {
            return Err(err(format!(
                "it has {size} tokens but the model's vocabulary has {}",
                self.pieces.len()
            )));
        }
        self.encoder = Encoder::Hf(Box::new(inner));
        Ok(self)
    }

    /// Token ids of `text`; control-token text (`<start_of_turn>`) becomes
    /// the control token. Adds BOS first when `add_bos` and the model has one.
    pub fn encode(&self, text: &str, add_bos: bool) -> Result<Vec<u32>> {
        let mut ids = Vec::with_capacity(text.len() / 3 + 2);
        if add_bos && let Some(b) = self.bos {
            ids.push(b);
        }
        match &self.encoder {
            Encoder::Spm(spm) => spm.encode(text, &mut ids),
            Encoder::Hf(hf) => {
                let enc = hf.encode_fast(text, false).map_err(|e| Error::Tokenize {
                    reason: e.to_string(),
                })?;
                ids.extend_from_slice(enc.get_ids());
            }
        }
        Ok(ids)
    }

    /// The text of `ids`; control tokens produce no text. Invalid UTF-8
    /// (an incomplete byte sequence) becomes U+FFFD.
    pub fn decode(&self, ids: &[u32]) -> String {
        let mut bytes = Vec::new();
        for &id in ids {
            if let Some(p) = self.pieces.get(id as usize) {
                bytes.extend_from_slice(p);
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The bytes token `id` stands for (empty for control tokens).
    pub fn piece(&self, id: u32) -> &[u8] {
        self.pieces.get(id as usize).map_or(&[], Vec::as_slice)
    }

    /// The bytes of every token, indexed by id (for building constraints).
    pub fn pieces(&self) -> &[Vec<u8>] {
        &self.pieces
    }

    pub fn kind(&self, id: u32) -> TokenKind {
        self.kinds
            .get(id as usize)
            .copied()
            .unwrap_or(TokenKind::Unused)
    }

    /// The token's vocabulary string (e.g. `▁Paris`, `<0x0A>`, `<bos>`).
    pub fn token_str(&self, id: u32) -> Option<String> {
        match &self.encoder {
            Encoder::Hf(hf) => hf.id_to_token(id),
            Encoder::Spm(_) => self.tokens.get(id as usize).cloned(),
        }
    }

    pub fn vocab_size(&self) -> usize {
        self.pieces.len()
    }

    pub fn bos(&self) -> Option<u32> {
        self.bos
    }

    /// Whether plain-text prompts start with BOS.
    pub fn add_bos(&self) -> bool {
        self.add_bos
    }

    /// Tokens that end a generation (end of sequence / end of turn).
    pub fn eos(&self) -> &[u32] {
        &self.eos
    }

    /// The id of a control or user-defined token given by its text.
    pub fn special_id(&self, text: &str) -> Option<u32> {
        match &self.encoder {
            Encoder::Hf(hf) => hf.token_to_id(text),
            Encoder::Spm(_) => self.tokens.iter().position(|t| t == text).map(|i| i as u32),
        }
    }

    /// A decoder for streaming generated ids as text.
    pub fn stream(&self) -> StreamDecoder<'_> {
        StreamDecoder {
            tokenizer: self,
            pending: Vec::new(),
        }
    }
}

/// Turns generated ids into text without ever emitting half a character:
/// bytes of an incomplete UTF-8 sequence wait for the next token.
pub struct StreamDecoder<'a> {
    tokenizer: &'a Tokenizer,
    pending: Vec<u8>,
}

impl StreamDecoder<'_> {
    /// Add a token; returns the text that became complete.
    pub fn push(&mut self, id: u32) -> String {
        self.pending.extend_from_slice(self.tokenizer.piece(id));
        take_utf8(&mut self.pending, false)
    }

    /// Whatever is left (an incomplete sequence becomes U+FFFD).
    pub fn finish(&mut self) -> String {
        take_utf8(&mut self.pending, true)
    }
}

/// Remove and return the longest decodable prefix of `buf`. Invalid bytes
/// become U+FFFD; an incomplete sequence at the end stays unless `flush`.
pub(crate) fn take_utf8(buf: &mut Vec<u8>, flush: bool) -> String {
    let mut out = String::new();
    let mut start = 0;
    loop {
        match std::str::from_utf8(&buf[start..]) {
            Ok(s) => {
                out.push_str(s);
                start = buf.len();
                break;
            }
            Err(e) => {
                let valid = start + e.valid_up_to();
                // SAFETY-free: from_utf8 just validated this range.
                out.push_str(std::str::from_utf8(&buf[start..valid]).unwrap_or_default());
                match e.error_len() {
                    Some(bad) => {
                        out.push(char::REPLACEMENT_CHARACTER);
                        start = valid + bad;
                    }
                    None if flush => {
                        out.push(char::REPLACEMENT_CHARACTER);
                        start = buf.len();
                        break;
                    }
                    None => {
                        start = valid;
                        break;
                    }
                }
            }
        }
    }
    buf.drain(..start);
    out
}

/// The pre-tokenizer of a byte-level BPE vocabulary, by llama.cpp's name.
fn byte_level_pre_tokenizer(pre: &str) -> Option<PreTokenizerWrapper> {
    const LLAMA3: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    const QWEN2: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    let byte_level =
        |regex: bool| -> PreTokenizerWrapper { ByteLevel::new(false, true, regex).into() };
    let split = |re: &str| -> Option<PreTokenizerWrapper> {
        Split::new(
            SplitPattern::Regex(re.into()),
            SplitDelimiterBehavior::Isolated,
            false,
        )
        .ok()
        .map(Into::into)
    };
    Some(match pre {
        "default" | "gpt2" => byte_level(true),
        "smollm" | "starcoder" | "refact" => {
            PreSequence::new(vec![Digits::new(true).into(), byte_level(true)]).into()
        }
        "llama-bpe" | "llama3" => PreSequence::new(vec![split(LLAMA3)?, byte_level(false)]).into(),
        "qwen2" => PreSequence::new(vec![split(QWEN2)?, byte_level(false)]).into(),
        _ => return None,
    })
}

/// The bytes a vocabulary entry decodes to.
fn piece_bytes(token: &str, kind: TokenKind, style: Style) -> Vec<u8> {
    match kind {
        TokenKind::Control | TokenKind::Unused => Vec::new(),
        TokenKind::UserDefined => token.as_bytes().to_vec(),
        TokenKind::Byte => {
            parse_byte_token(token).map_or_else(|| token.as_bytes().to_vec(), |b| vec![b])
        }
        TokenKind::Normal => match style {
            Style::SentencePiece { .. } => token.replace('▁', " ").into_bytes(),
            Style::ByteLevel => {
                let map = unicode_to_bytes();
                let mut out = Vec::with_capacity(token.len());
                for c in token.chars() {
                    match map.get(&c) {
                        Some(&b) => out.push(b),
                        None => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
                    }
                }
                out
            }
        },
    }
}

fn parse_byte_token(t: &str) -> Option<u8> {
    let hex = t.strip_prefix("<0x")?.strip_suffix('>')?;
    u8::from_str_radix(hex, 16).ok()
}

/// GPT-2's reversible byte ↔ printable-character map, inverted.
fn unicode_to_bytes() -> &'static HashMap<char, u8> {
    static MAP: std::sync::OnceLock<HashMap<char, u8>> = std::sync::OnceLock::new();
    MAP.get_or_init(|| {
        let mut printable: Vec<u8> = (b'!'..=b'~')
            .chain(0xA1..=0xAC)
            .chain(0xAE..=0xFF)
            .collect();
        let mut chars: Vec<char> = printable.iter().map(|&b| b as char).collect();
        let mut extra = 0u32;
        for b in 0..=255u8 {
            if !printable.contains(&b) {
                printable.push(b);
                chars.push(char::from_u32(256 + extra).unwrap_or('?'));
                extra += 1;
            }
        }
        chars.into_iter().zip(printable).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_utf8_waits_for_incomplete_characters() {
        let euro = "€".as_bytes(); // 3 bytes
        let mut buf = vec![b'a', euro[0]];
        assert_eq!(take_utf8(&mut buf, false), "a");
        buf.push(euro[1]);
        assert_eq!(take_utf8(&mut buf, false), "");
        buf.push(euro[2]);
        assert_eq!(take_utf8(&mut buf, false), "€");
        assert!(buf.is_empty());
    }

    #[test]
    fn take_utf8_replaces_invalid_bytes() {
        let mut buf = vec![b'x', 0xFF, b'y', 0xE2];
        assert_eq!(take_utf8(&mut buf, false), "x\u{FFFD}y");
        assert_eq!(buf, vec![0xE2]);
        assert_eq!(take_utf8(&mut buf, true), "\u{FFFD}");
    }

    #[test]
    fn byte_level_map_round_trips_all_bytes() {
        let map = unicode_to_bytes();
        assert_eq!(map.len(), 256);
        assert_eq!(map[&'Ġ'], b' ');
        assert_eq!(map[&'Ċ'], b'\n');
        assert_eq!(map[&'a'], b'a');
    }

    #[test]
    fn byte_tokens_parse() {
        assert_eq!(parse_byte_token("<0x0A>"), Some(10));
        assert_eq!(parse_byte_token("<0xff>"), Some(255));
        assert_eq!(parse_byte_token("<0x>"), None);
    }
}
