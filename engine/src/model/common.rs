//! Pieces every decoder architecture shares: the row bookkeeping of a
//! batched forward call, KV writes, row-parallel helpers and the output head.

use crate::kv::QueryRow;
use crate::ops;
use crate::pool::{SyncPtr, ThreadPool};
use crate::quant::{Input, QMatrix};

use super::Step;

/// What to compute from a sequence's last hidden state.
pub(crate) enum Logits<'a> {
    /// Nothing (a prefill chunk that is not the last).
    Skip,
    /// The whole vocabulary, written to the vector (resized to fit), and
    /// its summary (maximum, first position of it, Σ exp) where the product
    /// could take it on the way (else `None`).
    All(&'a mut Vec<f32>, &'a mut Option<ops::Partial>),
    /// Only these token ids, in this order (constrained decoding: only these
    /// rows of the output projection are computed).
    Rows(&'a [u32], &'a mut Vec<f32>),
    /// For every row of the step (not just the last): the log-probability
    /// of `targets[i]` after row `i` (scoring a text; perplexity).
    Targets(&'a [u32], &'a mut Vec<f32>),
}

/// Which sequence and position each row of the stacked hidden states is.
pub(crate) struct Rows {
    pub seq: Vec<usize>,
    pub pos: Vec<usize>,
    pub tokens: Vec<u32>,
}

impl Rows {
    pub fn new(steps: &[Step<'_>]) -> Self {
        let n: usize = steps.iter().map(|s| s.tokens.len()).sum();
        let mut rows = Rows {
            seq: Vec::with_capacity(n),
            pos: Vec::with_capacity(n),
            tokens: Vec::with_capacity(n),
        };
        for (s, step) in steps.iter().enumerate() {
            let start = step.cache.len();
            for (t, &tok) in step.tokens.iter().enumerate() {
                rows.seq.push(s);
                rows.pos.push(start + t);
                rows.tokens.push(tok);
            }
        }
        rows
    }

    pub fn len(&self) -> usize {
        self.seq.len()
    }

    /// Store the key/value rows of `layer` in each row's sequence cache.
    pub fn write_kv(
        &self,
        steps: &mut [Step<'_>],
        layer: usize,
        k: &[f32],
        v: &[f32],
        kv_dim: usize,
    ) {
        for i in 0..self.len() {
            steps[self.seq[i]].cache.write(
                layer,
                self.pos[i],
                &k[i * kv_dim..(i + 1) * kv_dim],
                &v[i * kv_dim..(i + 1) * kv_dim],
            );
        }
    }

    pub fn queries<'a>(&self, steps: &'a [Step<'_>]) -> Vec<QueryRow<'a>> {
        (0..self.len())
            .map(|i| QueryRow {
                cache: &*steps[self.seq[i]].cache,
                pos: self.pos[i],
            })
            .collect()
    }
}

/// Apply `f(row_index, row)` to each `width`-long row of `data`, in parallel.
pub(crate) fn par_rows(
    pool: &ThreadPool,
    data: &mut [f32],
    width: usize,
    f: &(dyn Fn(usize, &mut [f32]) + Sync),
) {
    let m = data.len() / width;
    let ptr = SyncPtr::new(data);
    let tasks = if m * width < 1 << 14 { 1 } else { 2 };
    pool.run_chunks(m, 1, tasks, &|r| {
        for i in r {
            // SAFETY: each task owns its rows.
            f(i, unsafe { ptr.slice(i * width, width) });
        }
    });
}

/// `x += y`.
pub(crate) fn add(x: &mut [f32], y: &[f32]) {
    for (a, b) in x.iter_mut().zip(y) {
        *a += b;
    }
}

/// The final norm and output projection, applied to the last row of every
/// step that asks for logits.
pub(crate) struct Head<'a> {
    pub norm: &'a [f32],
    pub eps: f32,
    pub weight: &'a QMatrix,
    /// `cap * tanh(logit / cap)` (Gemma 2).
    pub softcap: Option<f32>,
}

impl Head<'_> {
    pub fn apply(
        &self,
        steps: &mut [Step<'_>],
        rows: &Rows,
        x: &[f32],
        hidden: usize,
        pool: &ThreadPool,
    ) {
        // Last row index of each step.
        let mut last = vec![None; steps.len()];
        for i in 0..rows.len() {
            last[rows.seq[i]] = Some(i);
        }
        let norm_row = |i: usize| {
            let mut r = vec![0f32; hidden];
            ops::rms_norm_into(
                &x[i * hidden..(i + 1) * hidden],
                self.norm,
                self.eps,
                &mut r,
            );
            r
        };
        // Full-vocabulary requests share one batched product, written
        // straight into each sequence's logits.
        let n = self.weight.rows;
        let mut xs = Vec::new();
        let mut outs: Vec<&mut [f32]> = Vec::new();
        let mut summaries: Vec<&mut Option<ops::Partial>> = Vec::new();
        for (step, &i) in steps.iter_mut().zip(&last) {
            if let (Logits::All(dst, summary), Some(i)) = (&mut step.logits, i) {
                xs.extend(norm_row(i));
                dst.resize(n, 0.0);
                outs.push(&mut dst[..]);
                summaries.push(summary);
            }
        }
        if !outs.is_empty() {
            let mut input = Input::new(&xs, outs.len(), hidden);
            // A soft cap changes the logits after the product, so its
            // summary is taken later, from the capped values.
            let taken = match self.softcap {
                None => self.weight.matmul_each_summarised(&mut input, &mut outs, pool),
                Some(_) => {
                    self.weight.matmul_each(&mut input, &mut outs, pool);
                    None
                }
            };
            let mut taken = taken.map(Vec::into_iter);
            for (dst, summary) in outs.into_iter().zip(summaries) {
                self.cap(dst);
                *summary = taken.as_mut().and_then(Iterator::next);
            }
        }
        for s in 0..steps.len() {
            if let Logits::Targets(targets, dst) = &mut steps[s].logits {
                let mine: Vec<usize> = (0..rows.len()).filter(|&i| rows.seq[i] == s).collect();
                dst.clear();
                const GROUP: usize = 8;
                let n = self.weight.rows;
                for (ci, chunk) in mine.chunks(GROUP).enumerate() {
                    let xs: Vec<f32> = chunk.iter().flat_map(|&i| norm_row(i)).collect();
                    let mut out = vec![0f32; chunk.len() * n];
                    self.weight
                        .matmul(&mut Input::new(&xs, chunk.len(), hidden), &mut out, pool);
                    for (j, row) in out.chunks_exact_mut(n).enumerate() {
                        self.cap(row);
                        let t = targets[ci * GROUP + j] as usize;
                        dst.push(row[t] - ops::log_sum_exp(row));
                    }
                }
            }
        }
        for s in 0..steps.len() {
            let Some(i) = last[s] else { continue };
            if let Logits::Rows(ids, dst) = &mut steps[s].logits {
                let xs = norm_row(i);
                dst.clear();
                dst.resize(ids.len(), 0.0);
                self.weight
                    .matmul_rows(&mut Input::new(&xs, 1, hidden), ids, dst, pool);
                self.cap(dst);
            }
        }
    }

    fn cap(&self, v: &mut [f32]) {
        if let Some(cap) = self.softcap {
            for x in v {
                *x = cap * (*x / cap).tanh();
            }
        }
    }
}
