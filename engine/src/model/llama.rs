//! Llama-style decoders: llama (SmolLM, Llama 2/3, Mistral), qwen2 (biases
//! on q/k/v, rope on halves) and qwen3 (per-head RMS norm of q and k).
//! SiLU-gated FFN, pre-norm only, output tied to the token embedding unless
//! `output.weight` exists.

use crate::error::{Error, Result};
use crate::gguf::Gguf;
use crate::kv::{self, AttnShape};
use crate::ops::{self, Rope, RopeStyle};
use crate::pool::ThreadPool;
use crate::quant::{Input, QMatrix};

use super::common::{Head, Rows, add, par_rows};
use super::{DecoderModel, ModelSpec, Step};

struct Layer {
    attn_norm: Vec<f32>,
    q: QMatrix,
    k: QMatrix,
    v: QMatrix,
    /// q, k, v biases (qwen2).
    bias: Option<[Vec<f32>; 3]>,
    /// Per-head norms of q and k (qwen3).
    qk_norm: Option<[Vec<f32>; 2]>,
    o: QMatrix,
    ffn_norm: Vec<f32>,
    gate: QMatrix,
    up: QMatrix,
    down: QMatrix,
}

pub(crate) struct Llama {
    spec: ModelSpec,
    eps: f32,
    ffn: usize,
    shape: AttnShape,
    embed: QMatrix,
    output: Option<QMatrix>,
    output_norm: Vec<f32>,
    layers: Vec<Layer>,
    rope: Rope,
}

impl Llama {
    pub fn load(g: &Gguf, arch: &str) -> Result<Self> {
        let key = |k: &str| format!("{arch}.{k}");
        let context = g.usize(&key("context_length"))?;
        let hidden = g.usize(&key("embedding_length"))?;
        let n_layers = g.usize(&key("block_count"))?;
        let ffn = g.usize(&key("feed_forward_length"))?;
        let n_head = g.usize(&key("attention.head_count"))?;
        let n_kv_head = g
            .opt_usize(&key("attention.head_count_kv"))?
            .unwrap_or(n_head);
        let eps = g.f32(&key("attention.layer_norm_rms_epsilon"))?;
        let rope_base = g.opt_f32(&key("rope.freq_base"))?.unwrap_or(10_000.0);
        let invalid = |k: &str, reason: String| Error::InvalidMetadata {
            path: g.path().to_path_buf(),
            key: key(k),
            reason,
        };
        if n_head == 0 || n_kv_head == 0 || n_head % n_kv_head != 0 {
            return Err(invalid(
                "attention.head_count_kv",
                format!("{n_kv_head} does not divide head_count {n_head}"),
            ));
        }
        let head_dim = g
            .opt_usize(&key("attention.key_length"))?
            .unwrap_or(hidden / n_head);
        let rope_dims = g
            .opt_usize(&key("rope.dimension_count"))?
            .unwrap_or(head_dim);
        if rope_dims != head_dim || head_dim % 2 != 0 || context == 0 {
            return Err(invalid(
                "rope.dimension_count",
                format!(
                    "{rope_dims} rotated of head size {head_dim}: partial rotary is not supported"
                ),
            ));
        }
        let rope_scale = match g.opt_str(&key("rope.scaling.type"))? {
            None | Some("none") => 1.0,
            Some("linear") => g.f32(&key("rope.scaling.factor"))?,
            Some(other) => {
                return Err(invalid(
                    "rope.scaling.type",
                    format!("rope scaling `{other}` is not supported (only linear)"),
                ));
            }
        };
        let style = if arch == "llama" {
            RopeStyle::Interleaved
        } else {
            RopeStyle::Halves
        };
        let mut rope = Rope::new(head_dim, rope_base, rope_scale, style);
        if g.has_tensor("rope_freqs.weight") {
            let factors = QMatrix::load_vector(g, "rope_freqs.weight", head_dim / 2)?;
            rope.divide_freqs(&factors);
        }

        let vocab = g
            .tensor("token_embd.weight")?
            .dims
            .get(1)
            .copied()
            .unwrap_or(0);
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
        for i in 0..n_layers {
            let t = |n: &str| format!("blk.{i}.{n}.weight");
            let b = |n: &str| format!("blk.{i}.{n}.bias");
            let bias = if g.has_tensor(&b("attn_q")) {
                Some([
                    QMatrix::load_vector(g, &b("attn_q"), qd)?,
                    QMatrix::load_vector(g, &b("attn_k"), kvd)?,
                    QMatrix::load_vector(g, &b("attn_v"), kvd)?,
                ])
            } else {
                None
            };
            let qk_norm = if g.has_tensor(&t("attn_q_norm")) {
                Some([
                    QMatrix::load_vector(g, &t("attn_q_norm"), head_dim)?,
                    QMatrix::load_vector(g, &t("attn_k_norm"), head_dim)?,
                ])
            } else {
                None
            };
            layers.push(Layer {
                attn_norm: QMatrix::load_vector(g, &t("attn_norm"), hidden)?,
                q: QMatrix::load(g, &t("attn_q"), qd, hidden)?,
                k: QMatrix::load(g, &t("attn_k"), kvd, hidden)?,
                v: QMatrix::load(g, &t("attn_v"), kvd, hidden)?,
                bias,
                qk_norm,
                o: QMatrix::load(g, &t("attn_output"), hidden, qd)?,
                ffn_norm: QMatrix::load_vector(g, &t("ffn_norm"), hidden)?,
                gate: QMatrix::load(g, &t("ffn_gate"), ffn, hidden)?,
                up: QMatrix::load(g, &t("ffn_up"), ffn, hidden)?,
                down: QMatrix::load(g, &t("ffn_down"), hidden, ffn)?,
            });
        }
        let shape = AttnShape {
            n_head,
            n_kv_head,
            head_dim,
            scale: 1.0 / (head_dim as f32).sqrt(),
            window: None,
            softcap: None,
        };
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
                architecture: arch.to_string(),
                context_length: context,
                vocab_size: vocab,
                hidden,
                n_layers,
                attn: vec![shape; n_layers],
                weight_bytes,
            },
            eps,
            ffn,
            shape,
            embed,
            output,
            output_norm,
            layers,
            rope,
        })
    }

    /// The final norm and the output projection (tied to the embeddings
    /// when the file has no output matrix).
    fn head(&self) -> Head<'_> {
        Head {
            norm: &self.output_norm,
            eps: self.eps,
            weight: self.output.as_ref().unwrap_or(&self.embed),
            softcap: None,
        }
    }
}

impl DecoderModel for Llama {
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
        let hd = self.shape.head_dim;
        let (qd, kvd) = (self.shape.n_head * hd, self.shape.kv_dim());
        let mut x = vec![0f32; m * d];
        par_rows(pool, &mut x, d, &|i, row| {
            self.embed.row_into(rows.tokens[i] as usize, row)
        });
        let half = self.rope.half_dims();
        let mut cs = vec![0f32; m * 2 * half];
        for i in 0..m {
            self.rope
                .table(rows.pos[i], &mut cs[i * 2 * half..(i + 1) * 2 * half]);
        }
        let tab = |i: usize| &cs[i * 2 * half..(i + 1) * 2 * half];

        let mut xn = vec![0f32; m * d];
        let mut q = vec![0f32; m * qd];
        let mut k = vec![0f32; m * kvd];
        let mut v = vec![0f32; m * kvd];
        let mut att = vec![0f32; m * qd];
        let mut o = vec![0f32; m * d];
        let mut gate = vec![0f32; m * self.ffn];
        let mut up = vec![0f32; m * self.ffn];

        for (li, l) in self.layers.iter().enumerate() {
            xn.copy_from_slice(&x);
            par_rows(pool, &mut xn, d, &|_, r| {
                ops::rms_norm(r, &l.attn_norm, self.eps)
            });
            let mut inp = Input::new(&xn, m, d);
            l.q.matmul(&mut inp, &mut q, pool);
            l.k.matmul(&mut inp, &mut k, pool);
            l.v.matmul(&mut inp, &mut v, pool);
            if let Some([bq, bk, bv]) = &l.bias {
                par_rows(pool, &mut q, qd, &|_, r| add(r, bq));
                par_rows(pool, &mut k, kvd, &|_, r| add(r, bk));
                par_rows(pool, &mut v, kvd, &|_, r| add(r, bv));
            }
            par_rows(pool, &mut q, qd, &|i, r| {
                if let Some([nq, _]) = &l.qk_norm {
                    r.chunks_exact_mut(hd)
                        .for_each(|h| ops::rms_norm(h, nq, self.eps));
                }
                self.rope.apply(r, hd, tab(i));
            });
            par_rows(pool, &mut k, kvd, &|i, r| {
                if let Some([_, nk]) = &l.qk_norm {
                    r.chunks_exact_mut(hd)
                        .for_each(|h| ops::rms_norm(h, nk, self.eps));
                }
                self.rope.apply(r, hd, tab(i));
            });
            rows.write_kv(steps, li, &k, &v, kvd);
            {
                let queries = rows.queries(steps);
                kv::attend(li, &self.shape, &q, &queries, &mut att, pool);
            }
            l.o.matmul(&mut Input::new(&att, m, qd), &mut o, pool);
            add(&mut x, &o);

            xn.copy_from_slice(&x);
            par_rows(pool, &mut xn, d, &|_, r| {
                ops::rms_norm(r, &l.ffn_norm, self.eps)
            });
            let mut inp = Input::new(&xn, m, d);
            l.gate.matmul(&mut inp, &mut gate, pool);
            l.up.matmul(&mut inp, &mut up, pool);
            par_rows(pool, &mut gate, self.ffn, &|i, r| {
                let u = &up[i * self.ffn..(i + 1) * self.ffn];
                for (g, &u) in r.iter_mut().zip(u) {
                    *g = ops::silu(*g) * u;
                }
            });
            l.down
                .matmul(&mut Input::new(&gate, m, self.ffn), &mut o, pool);
            add(&mut x, &o);
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
