//! The public entry point: load a GGUF model once, then generate.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::chat::{ChatFormat, ChatKind};
use crate::error::{Error, Result};
use crate::generate::{self, Context};
use crate::gguf::Gguf;
use crate::kv::{KvCache, MAX_CHUNK};
use crate::model::{self, DecoderModel, Logits, Step};
use crate::pool::ThreadPool;
use crate::request::{GenerateRequest, Generation, Prompt};
use crate::sampler;
use crate::tokenizer::Tokenizer;

/// How many threads compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Threads {
    /// One per available core.
    #[default]
    Auto,
    /// Exactly this many (the calling thread included).
    Fixed(NonZeroUsize),
}

impl Threads {
    pub fn resolve(self) -> usize {
        match self {
            Threads::Auto => std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
            Threads::Fixed(n) => n.get(),
        }
    }
}

/// Where the tokenizer comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TokenizerSource {
    /// Built from the GGUF's `tokenizer.ggml.*` metadata.
    #[default]
    Gguf,
    /// Read from a `tokenizer.json` (special tokens still from the GGUF).
    Json(PathBuf),
}

/// Whether the matrix products may run on Intel AMX tiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Amx {
    /// Where the build has the AVX-512 kernels, the CPU has AMX and the OS
    /// grants it to the process.
    #[default]
    Auto,
    /// Never: the AVX-512 vector kernel, with the same results (to compare
    /// speeds).
    Off,
}

/// Which kernels compute the matrix products.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kernel {
    /// Packed weights on AMX tiles (and the AVX-512 kernel for what does
    /// not pack).
    Amx,
    /// Packed weights on the AVX-512 VNNI kernel.
    Avx512Vnni,
    /// Weights in their GGUF layout, on the AVX2 (or portable) kernels.
    Gguf,
}

impl std::fmt::Display for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kernel::Amx => "AMX tiles",
            Kernel::Avx512Vnni => "AVX-512 VNNI",
            Kernel::Gguf => "AVX2 on the GGUF layout",
        })
    }
}

/// Options of [`Engine::load`].
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub threads: Threads,
    pub tokenizer: TokenizerSource,
    pub amx: Amx,
}

/// Facts about the loaded model.
#[derive(Debug, Clone, Serialize)]
pub struct EngineInfo {
    pub path: PathBuf,
    /// `general.architecture`, e.g. `gemma3`.
    pub architecture: String,
    /// `general.name`, if the file has one.
    pub name: Option<String>,
    pub context_length: usize,
    pub vocab_size: usize,
    pub n_layers: usize,
    pub hidden: usize,
    pub chat: ChatKind,
    pub bos: Option<u32>,
    /// Tokens that end a generation.
    pub eos: Vec<u32>,
    pub threads: usize,
    /// What computes the matrix products.
    pub kernel: Kernel,
    /// Bytes of weights in memory (after load-time conversions).
    pub weight_bytes: usize,
    pub load_time: Duration,
}

impl EngineInfo {
    pub fn has_chat_template(&self) -> bool {
        self.chat != ChatKind::None
    }
}

/// A loaded model, ready to generate. Owns its compute threads and the KV
/// cache of the last generation (reused by the next one when the prompts
/// share a prefix).
pub struct Engine {
    model: Box<dyn DecoderModel>,
    tokenizer: Tokenizer,
    chat: ChatFormat,
    pool: ThreadPool,
    info: EngineInfo,
    resident: KvCache,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("info", &self.info).finish()
    }
}

impl Engine {
    /// Load a GGUF model.
    pub fn load(path: &Path, options: LoadOptions) -> Result<Self> {
        let start = Instant::now();
        let gguf = Gguf::open(path)?;
        let mut tokenizer = Tokenizer::from_gguf(&gguf)?;
        if let TokenizerSource::Json(json) = &options.tokenizer {
            tokenizer = tokenizer.with_json(json)?;
        }
        let model = model::load(&gguf)?;
        let spec = model.spec().clone();
        if tokenizer.vocab_size() > spec.vocab_size {
            return Err(Error::Tokenizer {
                path: path.to_path_buf(),
                reason: format!(
                    "{} tokens but the embedding has {} rows",
                    tokenizer.vocab_size(),
                    spec.vocab_size
                ),
            });
        }
        let chat = match (
            spec.architecture.as_str(),
            gguf.opt_str("tokenizer.chat_template")?,
        ) {
            ("gemma3", _) => ChatFormat::GemmaTurns,
            (_, Some(t)) => ChatFormat::Template(t.to_string()),
            (_, None) => ChatFormat::None,
        };
        let threads = options.threads.resolve();
        let pool = match options.amx {
            Amx::Auto => ThreadPool::new(threads),
            Amx::Off => ThreadPool::new(threads).without_amx(),
        };
        let kernel = match (pool.amx(), crate::quant::packed::AVAILABLE) {
            (true, _) => Kernel::Amx,
            (false, true) => Kernel::Avx512Vnni,
            (false, false) => Kernel::Gguf,
        };
        let info = EngineInfo {
            path: path.to_path_buf(),
            architecture: spec.architecture.clone(),
            name: gguf.opt_str("general.name")?.map(str::to_string),
            context_length: spec.context_length,
            vocab_size: spec.vocab_size,
            n_layers: spec.n_layers,
            hidden: spec.hidden,
            chat: chat.kind(),
            bos: tokenizer.bos(),
            eos: tokenizer.eos().to_vec(),
            threads,
            kernel,
            weight_bytes: spec.weight_bytes,
            load_time: Duration::ZERO,
        };
        let resident = model.new_cache();
        let mut engine = Self {
            model,
            tokenizer,
            chat,
            pool,
            info,
            resident,
        };
        engine.info.load_time = start.elapsed();
        Ok(engine)
    }

    pub fn info(&self) -> &EngineInfo {
        &self.info
    }

    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// Token ids of `text` (control-token text becomes control tokens),
    /// with BOS first if `add_bos` and the model has one.
    pub fn tokenize(&self, text: &str, add_bos: bool) -> Result<Vec<u32>> {
        self.tokenizer.encode(text, add_bos)
    }

    /// The text of `ids` (control tokens produce none).
    pub fn detokenize(&self, ids: &[u32]) -> String {
        self.tokenizer.decode(ids)
    }

    /// The bytes every token id decodes to (empty for control tokens): what
    /// a [`crate::TokenConstraint`] needs to map text to allowed ids.
    pub fn vocab_pieces(&self) -> &[Vec<u8>] {
        self.tokenizer.pieces()
    }

    /// The prompt text a request's prompt becomes (chat formatted, no BOS).
    pub fn prompt_text(&self, prompt: &Prompt) -> Result<String> {
        match prompt {
            Prompt::Text(t) if t.is_empty() => Err(Error::EmptyPrompt),
            Prompt::Text(t) => Ok(t.clone()),
            Prompt::Chat(m) if m.is_empty() => Err(Error::EmptyPrompt),
            Prompt::Chat(m) => {
                let tok = |id: Option<u32>| {
                    id.and_then(|i| self.tokenizer.token_str(i))
                        .unwrap_or_default()
                };
                let eos = tok(self.tokenizer.eos().first().copied());
                self.chat
                    .render(m, &tok(self.tokenizer.bos()), &eos, &self.info.path)
            }
        }
    }

    /// The token ids a prompt becomes, BOS included when the model wants one.
    pub fn prompt_tokens(&self, prompt: &Prompt) -> Result<Vec<u32>> {
        let text = self.prompt_text(prompt)?;
        let mut ids = self.tokenizer.encode(&text, self.tokenizer.add_bos())?;
        // A template that writes BOS itself must not get a second one.
        if let (Some(b), true) = (self.tokenizer.bos(), ids.len() >= 2)
            && ids[0] == b
            && ids[1] == b
        {
            ids.remove(0);
        }
        if ids.is_empty() {
            return Err(Error::EmptyPrompt);
        }
        if ids.len() >= self.info.context_length {
            return Err(Error::PromptTooLong {
                tokens: ids.len(),
                context: self.info.context_length,
            });
        }
        Ok(ids)
    }

    /// Generate one completion, passing text to `on_text` as it is
    /// produced (whole UTF-8 characters; never text of a stop string).
    pub fn generate(
        &mut self,
        request: GenerateRequest,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Generation> {
        let prompt = self.prompt_tokens(&request.prompt)?;
        sampler::validate(&request.sampling, &request.repeat_penalty)?;
        let cx = Context {
            model: self.model.as_ref(),
            tokenizer: &self.tokenizer,
            pool: &self.pool,
        };
        let mut out = generate::run(
            &cx,
            vec![request],
            vec![prompt],
            &mut self.resident,
            Some(on_text),
        )?;
        out.remove(0)
    }

    /// Generate several completions together: one forward pass per step for
    /// the whole batch, so the weights are read once per step. Requests with
    /// identical prompts (k samples) prefill their prompt once. Results are
    /// in request order.
    pub fn generate_batch(&mut self, requests: Vec<GenerateRequest>) -> Result<Vec<Generation>> {
        self.generate_each(requests)?.into_iter().collect()
    }

    /// `generate_batch` with a result per request: a request that is
    /// invalid (its prompt too long, its sampling out of range) or whose
    /// constraint fails gets its error, and the others are generated. The
    /// outer error is an internal failure of the whole batch.
    pub fn generate_each(
        &mut self,
        requests: Vec<GenerateRequest>,
    ) -> Result<Vec<Result<Generation>>> {
        let mut out: Vec<Option<Result<Generation>>> = Vec::with_capacity(requests.len());
        let mut valid = Vec::with_capacity(requests.len());
        let mut prompts = Vec::with_capacity(requests.len());
        for r in requests {
            let checked = self
                .prompt_tokens(&r.prompt)
                .and_then(|p| sampler::validate(&r.sampling, &r.repeat_penalty).map(|()| p));
            match checked {
                Ok(p) => {
                    prompts.push(p);
                    valid.push(r);
                    out.push(None);
                }
                Err(e) => out.push(Some(Err(e))),
            }
        }
        if !valid.is_empty() {
            let cx = Context {
                model: self.model.as_ref(),
                tokenizer: &self.tokenizer,
                pool: &self.pool,
            };
            let mut ran = generate::run(&cx, valid, prompts, &mut self.resident, None)?.into_iter();
            for slot in out.iter_mut().filter(|o| o.is_none()) {
                *slot = ran.next();
            }
        }
        out.into_iter()
            .map(|o| {
                o.ok_or_else(|| Error::InvalidRequest {
                    reason: "the batch returned fewer generations than requests".into(),
                })
            })
            .collect()
    }

    /// Log-probability of each token of `tokens` given the ones before it
    /// (`tokens.len() - 1` values; the first token is the context start).
    /// Used for perplexity. Does not touch the generation cache.
    pub fn token_logprobs(&mut self, tokens: &[u32]) -> Result<Vec<f32>> {
        if tokens.len() < 2 {
            return Err(Error::EmptyPrompt);
        }
        if tokens.len() > self.info.context_length {
            return Err(Error::PromptTooLong {
                tokens: tokens.len(),
                context: self.info.context_length,
            });
        }
        if let Some(&bad) = tokens.iter().find(|&&t| t as usize >= self.info.vocab_size) {
            return Err(Error::TokenOutOfRange {
                id: bad,
                vocab: self.info.vocab_size,
            });
        }
        let mut cache = self.model.new_cache();
        let mut out = Vec::with_capacity(tokens.len() - 1);
        let inputs = &tokens[..tokens.len() - 1];
        for (c, chunk) in inputs.chunks(MAX_CHUNK).enumerate() {
            let start = c * MAX_CHUNK;
            let mut lp = Vec::new();
            let mut steps = [Step {
                cache: &mut cache,
                tokens: chunk,
                logits: Logits::Targets(&tokens[start + 1..start + 1 + chunk.len()], &mut lp),
            }];
            self.model.forward(&mut steps, &self.pool);
            out.extend_from_slice(&lp);
        }
        Ok(out)
    }

    /// The logits of the token after `tokens` (a fresh cache; the
    /// generation cache is untouched).
    pub fn next_logits(&mut self, tokens: &[u32]) -> Result<Vec<f32>> {
        if tokens.is_empty() {
            return Err(Error::EmptyPrompt);
        }
        if tokens.len() >= self.info.context_length {
            return Err(Error::PromptTooLong {
                tokens: tokens.len(),
                context: self.info.context_length,
            });
        }
        if let Some(&bad) = tokens.iter().find(|&&t| t as usize >= self.info.vocab_size) {
            return Err(Error::TokenOutOfRange {
                id: bad,
                vocab: self.info.vocab_size,
            });
        }
        let mut cache = self.model.new_cache();
        let (mut logits, mut summary) = (Vec::new(), None);
        let chunks: Vec<&[u32]> = tokens.chunks(MAX_CHUNK).collect();
        for (i, chunk) in chunks.iter().enumerate() {
            let mut steps = [Step {
                cache: &mut cache,
                tokens: chunk,
                logits: if i + 1 == chunks.len() {
                    Logits::All(&mut logits, &mut summary)
                } else {
                    Logits::Skip
                },
            }];
            self.model.forward(&mut steps, &self.pool);
        }
        Ok(logits)
    }

    /// Forget the cached prefix (the next generation prefills from scratch).
    pub fn clear_cache(&mut self) {
        self.resident.clear();
    }

    /// Tokens whose keys and values are cached for reuse.
    pub fn cached_tokens(&self) -> &[u32] {
        self.resident.tokens()
    }
}
