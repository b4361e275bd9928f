//! Gemma 3 (text) and Gemma 2. Both: GELU-gated FFN, norms after attention
//! and FFN, sliding-window layers, embeddings scaled by √hidden, output tied
//! to the token embedding unless `output.weight` exists. Gemma 3: per-head
//! RMS norm of queries and keys, five sliding-window layers (local rope base
//! 10 000) for every global one, optional final logit softcapping. Gemma 2:
//! no query/key norms, even layers sliding and odd ones global, one rope
//! base, attention logits and final logits softcapped (50 and 30 unless the
//! file says otherwise), as llama.cpp runs it.

use crate::error::{Error, Result};
use crate::gguf::Gguf;
use crate::kv::{self, AttnShape};
use crate::ops::{self, Rope, RopeStyle};
use crate::pool::ThreadPool;
use crate::quant::{Input, QMatrix};

use super::common::{Head, Residual, Rows, par_rows};
use super::{DecoderModel, ModelSpec, Step};

/// Gemma 3: every `SWA_PATTERN`-th layer attends globally, the others locally.
const SWA_PATTERN: usize = 6;
/// Gemma 3: rope base of the sliding-window layers (not stored in GGUF files).
const LOCAL_ROPE_BASE: f32 = 10_000.0;
/// Gemma 2 defaults for what older GGUF files leave out (llama.cpp's).
const GEMMA2_WINDOW: usize = 4096;
const GEMMA2_ATTN_SOFTCAP: f32 = 50.0;
const GEMMA2_FINAL_SOFTCAP: f32 = 30.0;
/// Gemma 2 27B (46 layers) scales queries by 1/√(hidden / heads), the
/// others by 1/√head_dim (llama.cpp infers it from the layer count too).
const GEMMA2_27B_LAYERS: usize = 46;

struct Layer {
    attn_norm: Vec<f32>,
    q: QMatrix,
    k: QMatrix,
    v: QMatrix,
    /// Per-head norms of queries and keys (Gemma 3).
    qk_norm: Option<[Vec<f32>; 2]>,
    o: QMatrix,
    post_attn_norm: Vec<f32>,
    ffn_norm: Vec<f32>,
    gate: QMatrix,
    up: QMatrix,
    down: QMatrix,
    post_ffn_norm: Vec<f32>,
    shape: AttnShape,
    global: bool,
}

pub(crate) struct Gemma3 {
    spec: ModelSpec,
    eps: f32,
    ffn: usize,
    embed: QMatrix,
    /// `None`: tied to `embed`.
    output: Option<QMatrix>,
    output_norm: Vec<f32>,
    softcap: Option<f32>,
    layers: Vec<Layer>,
    rope_local: Rope,
    rope_global: Rope,
}

impl Gemma3 {
    /// Load a `gemma3` or `gemma2` file (`arch`).
    pub fn load(g: &Gguf, arch: &str) -> Result<Self> {
        let gemma2 = arch == "gemma2";
        let key = |k: &str| format!("{arch}.{k}");
        let context = g.usize(&key("context_length"))?;
        let hidden = g.usize(&key("embedding_length"))?;
        let n_layers = g.usize(&key("block_count"))?;
        let ffn = g.usize(&key("feed_forward_length"))?;
        let n_head = g.usize(&key("attention.head_count"))?;
        let n_kv_head = g.usize(&key("attention.head_count_kv"))?;
        let head_dim = match g.opt_usize(&key("attention.key_length"))? {
            Some(d) => d,
            None if gemma2 && n_head > 0 => hidden / n_head,
            None => g.usize(&key("attention.key_length"))?,
        };
        let value_dim = g
            .opt_usize(&key("attention.value_length"))?
            .unwrap_or(head_dim);
        let eps = g.f32(&key("attention.layer_norm_rms_epsilon"))?;
        let rope_base = g.opt_f32(&key("rope.freq_base"))?.unwrap_or(if gemma2 {
            10_000.0
        } else {
            1_000_000.0
        });
        let window = match g.opt_usize(&key("attention.sliding_window"))? {
            Some(w) => w,
            None if gemma2 => GEMMA2_WINDOW,
            None => g.usize(&key("attention.sliding_window"))?,
        };
        let mut softcap = g.opt_f32(&key("final_logit_softcapping"))?;
        let mut attn_softcap = g.opt_f32(&key("attn_logit_softcapping"))?;
        if gemma2 {
            softcap = softcap.or(Some(GEMMA2_FINAL_SOFTCAP));
            attn_softcap = attn_softcap.or(Some(GEMMA2_ATTN_SOFTCAP));
        } else {
            attn_softcap = None;
        }
        let rope_scale = match g.opt_str(&key("rope.scaling.type"))? {
            None | Some("none") => 1.0,
            Some("linear") => g.f32(&key("rope.scaling.factor"))?,
            Some(other) => {
                return Err(Error::InvalidMetadata {
                    path: g.path().to_path_buf(),
                    key: key("rope.scaling.type"),
                    reason: format!("rope scaling `{other}` is not supported (only linear)"),
                });
            }
        };
        let invalid = |k: &str, reason: String| Error::InvalidMetadata {
            path: g.path().to_path_buf(),
            key: key(k),
            reason,
        };
        if value_dim != head_dim {
            return Err(invalid(
                "attention.value_length",
                format!("{value_dim} differs from key_length {head_dim}"),
            ));
        }
        if n_kv_head == 0 || n_head % n_kv_head != 0 {
            return Err(invalid(
                "attention.head_count_kv",
                format!("{n_kv_head} does not divide head_count {n_head}"),
            ));
        }
        if head_dim % 2 != 0 || context == 0 || window == 0 {
            return Err(invalid(
                "attention.key_length",
                format!("{head_dim} with context {context}, window {window}"),
            ));
        }
        let embed_info = g.tensor("token_embd.weight")?;
        let vocab = embed_info.dims.get(1).copied().unwrap_or(0);
        let embed = QMatrix::load(g, "token_embd.weight", vocab, hidden)?;
        let output = if g.has_tensor("output.weight") {
            Some(QMatrix::load(g, "output.weight", vocab, hidden)?)
        } else {
            None
        };
        let output_norm = QMatrix::load_vector(g, "output_norm.weight", hidden)?;
        let qd = n_head * head_dim;
        let kvd = n_kv_head * head_dim;
        let mut layers = Vec::with_capacity(n_layers);
        let scale = if gemma2 && n_layers == GEMMA2_27B_LAYERS {
            1.0 / ((hidden / n_head.max(1)) as f32).sqrt()
        } else {
            1.0 / (head_dim as f32).sqrt()
        };
        for i in 0..n_layers {
            let t = |n: &str| format!("blk.{i}.{n}.weight");
            let global = if gemma2 {
                i % 2 == 1
            } else {
                (i + 1) % SWA_PATTERN == 0
            };
            let qk_norm = if gemma2 {
                None
            } else {
                Some([
                    QMatrix::load_vector(g, &t("attn_q_norm"), head_dim)?,
                    QMatrix::load_vector(g, &t("attn_k_norm"), head_dim)?,
                ])
            };
            layers.push(Layer {
                attn_norm: QMatrix::load_vector(g, &t("attn_norm"), hidden)?,
                q: QMatrix::load(g, &t("attn_q"), qd, hidden)?,
                k: QMatrix::load(g, &t("attn_k"), kvd, hidden)?,
                v: QMatrix::load(g, &t("attn_v"), kvd, hidden)?,
                qk_norm,
                o: QMatrix::load(g, &t("attn_output"), hidden, qd)?,
                post_attn_norm: QMatrix::load_vector(g, &t("post_attention_norm"), hidden)?,
                ffn_norm: QMatrix::load_vector(g, &t("ffn_norm"), hidden)?,
                gate: QMatrix::load(g, &t("ffn_gate"), ffn, hidden)?,
                up: QMatrix::load(g, &t("ffn_up"), ffn, hidden)?,
                down: QMatrix::load(g, &t("ffn_down"), hidden, ffn)?,
                post_ffn_norm: QMatrix::load_vector(g, &t("post_ffw_norm"), hidden)?,
                shape: AttnShape {
                    n_head,
                    n_kv_head,
                    head_dim,
                    scale,
                    window: (!global).then_some(window),
                    softcap: attn_softcap,
                },
                global,
            });
        }
        let weight_bytes = embed.n_bytes()
            + output.as_ref().map_or(0, QMatrix::n_bytes)
            + layers
                .iter()
                .map(|l| {
                    [&l.q, &l.k, &l.v, &l.o, &l.gate, &l.up, &l.down]
                        .iter()
                        .map(|m| m.n_bytes())
                        .sum::<usize>()
                })
                .sum::<usize>();
        Ok(Self {
            spec: ModelSpec {
                architecture: arch.into(),
                context_length: context,
                vocab_size: vocab,
                hidden,
                n_layers,
                attn: layers.iter().map(|l| l.shape).collect(),
                weight_bytes,
            },
            eps,
            ffn,
            embed,
            output,
            output_norm,
            softcap,
            layers,
            rope_local: if gemma2 {
                Rope::new(head_dim, rope_base, rope_scale, RopeStyle::Halves)
            } else {
                Rope::new(head_dim, LOCAL_ROPE_BASE, 1.0, RopeStyle::Halves)
            },
            rope_global: Rope::new(head_dim, rope_base, rope_scale, RopeStyle::Halves),
        })
    }

    /// The final norm and the output projection (tied to the embeddings
    /// when the file has no output matrix).
    fn head(&self) -> Head<'_> {
        Head {
            norm: &self.output_norm,
            eps: self.eps,
            weight: self.output.as_ref().unwrap_or(&self.embed),
            softcap: self.softcap,
        }
    }
}

impl DecoderModel for Gemma3 {
    fn spec(&self) -> &ModelSpec {
        &self.spec
    }

    fn forward(&self, steps: &mut [Step<'_>], pool: &ThreadPool) {
        debug_assert!(steps.iter().all(|s| s.tokens.len() <= kv::MAX_CHUNK));
        let rows = Rows::new(steps);
        let m = rows.len();
        if m == 0 {
            return;
        }
        let d = self.spec.hidden;
        let first = &self.layers[0].shape;
        let (hd, qd, kvd) = (
            first.head_dim,
            first.n_head * first.head_dim,
            first.kv_dim(),
        );

        // Embeddings, scaled by √hidden.
        let mut x = vec![0f32; m * d];
        let scale = (d as f32).sqrt();
        par_rows(pool, &mut x, d, &|i, row| {
            self.embed.row_into(rows.tokens[i] as usize, row);
            row.iter_mut().for_each(|v| *v *= scale);
        });
        // Rope tables of every row, for both bases.
        let half = self.rope_local.half_dims();
        let mut cs_local = vec![0f32; m * 2 * half];
        let mut cs_global = vec![0f32; m * 2 * half];
        for i in 0..m {
            self.rope_local
                .table(rows.pos[i], &mut cs_local[i * 2 * half..(i + 1) * 2 * half]);
            self.rope_global.table(
                rows.pos[i],
                &mut cs_global[i * 2 * half..(i + 1) * 2 * half],
            );
        }

        let mut xn = vec![0f32; m * d];
        let mut q = vec![0f32; m * qd];
        let mut k = vec![0f32; m * kvd];
        let mut v = vec![0f32; m * kvd];
        let mut att = vec![0f32; m * qd];
        let mut o = vec![0f32; m * d];
        let mut gate = vec![0f32; m * self.ffn];
        let mut up = vec![0f32; m * self.ffn];

        // `xn` holds the normed input of the next block: the attention's
        // here, then each residual step leaves the next one's.
        par_rows(pool, &mut xn, d, &|i, r| {
            ops::rms_norm_into(
                &x[i * d..(i + 1) * d],
                &self.layers[0].attn_norm,
                self.eps,
                r,
            )
        });
        for (li, l) in self.layers.iter().enumerate() {
            let (rope, cs) = if l.global {
                (&self.rope_global, &cs_global)
            } else {
                (&self.rope_local, &cs_local)
            };
            let mut inp = Input::new(&xn, m, d);
            l.q.matmul(&mut inp, &mut q, pool);
            l.k.matmul(&mut inp, &mut k, pool);
            l.v.matmul(&mut inp, &mut v, pool);
            let tab = |i: usize| &cs[i * 2 * half..(i + 1) * 2 * half];
            par_rows(pool, &mut q, qd, &|i, r| {
                if let Some([nq, _]) = &l.qk_norm {
                    ops::rms_norm(r, nq, self.eps);
                }
                rope.apply(r, hd, tab(i));
            });
            par_rows(pool, &mut k, kvd, &|i, r| {
                if let Some([_, nk]) = &l.qk_norm {
                    ops::rms_norm(r, nk, self.eps);
                }
                rope.apply(r, hd, tab(i));
            });
            rows.write_kv(steps, li, &k, &v, kvd);
            {
                let queries = rows.queries(steps);
                kv::attend(li, &l.shape, &q, &queries, &mut att, pool);
            }
            l.o.matmul(&mut Input::new(&att, m, qd), &mut o, pool);
            let post = Residual {
                post: &l.post_attn_norm,
                next: Some(&l.ffn_norm),
                eps: self.eps,
            };
            post.apply(pool, &mut x, &mut o, &mut xn);
            let mut inp = Input::new(&xn, m, d);
            l.gate.matmul(&mut inp, &mut gate, pool);
            l.up.matmul(&mut inp, &mut up, pool);
            par_rows(pool, &mut gate, self.ffn, &|i, r| {
                let u = &up[i * self.ffn..(i + 1) * self.ffn];
                for (g, &u) in r.iter_mut().zip(u) {
                    *g = ops::gelu(*g) * u;
                }
            });
            l.down
                .matmul(&mut Input::new(&gate, m, self.ffn), &mut o, pool);
            let post = Residual {
                post: &l.post_ffn_norm,
                next: self.layers.get(li + 1).map(|n| &n.attn_norm[..]),
                eps: self.eps,
            };
            post.apply(pool, &mut x, &mut o, &mut xn);
        }
        for s in steps.iter_mut() {
            s.cache.push_tokens(s.tokens);
        }
        self.head().apply(steps, &rows, &x, d, pool);
    }

    fn summarises_logits(&self) -> bool {
        self.head().summarises()
    }
}
