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
    /// Only the summary of the whole vocabulary's logits, always written:
    /// all a greedy choice and its log-probability need. The logits are
    /// not kept, which spares writing a vocabulary-sized row per sequence.
    Summary(&'a mut ops::Partial),
    /// As `Summary`, but Σ exp may be left out (NaN): all a greedy choice
    /// without its log-probability needs. Left out when every row of the
    /// product asks for no more.
    Best(&'a mut ops::Partial),
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

/// The residual step after a block whose output is normed (Gemma 2 and 3),
/// row by row on the pool: `o = rms_norm(o, post)`, `x += o`, and, when the
/// next block's norm is given, `xn = rms_norm(x, next)`. One pass over each
/// row, in the order (and so with the bits) of the three steps apart.
pub(crate) struct Residual<'a> {
    pub post: &'a [f32],
    pub next: Option<&'a [f32]>,
    pub eps: f32,
}

impl Residual<'_> {
    pub fn apply(&self, pool: &ThreadPool, x: &mut [f32], o: &mut [f32], xn: &mut [f32]) {
        let d = self.post.len();
        let (xs, xns) = (SyncPtr::new(x), SyncPtr::new(xn));
        par_rows(pool, o, d, &|i, o| {
            ops::rms_norm(o, self.post, self.eps);
            // SAFETY: row `i` of `x` and of `xn` is this task's, as row `i`
            // of `o` is.
            let (x, xn) = unsafe { (xs.slice(i * d, d), xns.slice(i * d, d)) };
            add(x, o);
            if let Some(next) = self.next {
                ops::rms_norm_into(x, next, self.eps, xn);
            }
        });
    }
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
        // straight into each sequence's logits (if it keeps them).
        let n = self.weight.rows;
        let mut xs = Vec::new();
        let mut outs: Vec<Option<&mut [f32]>> = Vec::new();
        // Where each row's summary goes: beside kept logits (optional),
        // or alone.
        let mut summaries: Vec<Result<&mut Option<ops::Partial>, &mut ops::Partial>> = Vec::new();
        // Whether some row needs Σ exp.
        let mut exp = false;
        for (step, &i) in steps.iter_mut().zip(&last) {
            let Some(i) = i else { continue };
            match &mut step.logits {
                Logits::All(dst, summary) => {
                    dst.resize(n, 0.0);
                    outs.push(Some(&mut dst[..]));
                    summaries.push(Ok(summary));
                    exp = true;
                }
                Logits::Summary(summary) => {
                    outs.push(None);
                    summaries.push(Err(summary));
                    exp = true;
                }
                Logits::Best(summary) => {
                    outs.push(None);
                    summaries.push(Err(summary));
                }
                _ => continue,
            }
            xs.extend(norm_row(i));
        }
        if !outs.is_empty() {
            let mut input = Input::new(&xs, outs.len(), hidden);
            let taken = self
                .summarises()
                .then(|| {
                    self.weight
                        .matmul_summarised(&mut input, &mut outs, exp, pool)
                })
                .flatten();
            match taken {
                Some(taken) => {
                    for (summary, taken) in summaries.into_iter().zip(taken) {
                        match summary {
                            Ok(beside) => *beside = Some(taken),
                            Err(alone) => *alone = taken,
                        }
                    }
                }
                None => self.whole_rows(&mut input, outs, summaries, pool),
            }
        }
        for (s, step) in steps.iter_mut().enumerate() {
            if let Logits::Targets(targets, dst) = &mut step.logits {
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

    /// Whether the output projection summarises the logits as it computes
    /// them: packed weights, and no soft cap (which changes the logits after
    /// the product). Only then may a step ask for [`Logits::Summary`] or
    /// [`Logits::Best`] without a vocabulary-sized row being written for
    /// it.
    pub fn summarises(&self) -> bool {
        self.softcap.is_none() && self.weight.is_packed()
    }

    /// The full-vocabulary rows where the projection does not summarise
    /// them: computed whole and capped; summary-only rows (which
    /// [`Head::summarises`] keeps the engine from asking for here) are
    /// summarised from a row of their own, the others later, on the pool.
    fn whole_rows(
        &self,
        input: &mut Input<'_>,
        outs: Vec<Option<&mut [f32]>>,
        summaries: Vec<Result<&mut Option<ops::Partial>, &mut ops::Partial>>,
        pool: &ThreadPool,
    ) {
        let n = self.weight.rows;
        let mut spare: Vec<Vec<f32>> = outs
            .iter()
            .map(|o| {
                if o.is_none() {
                    vec![0f32; n]
                } else {
                    Vec::new()
                }
            })
            .collect();
        let mut rows: Vec<&mut [f32]> = outs
            .into_iter()
            .zip(spare.iter_mut())
            .map(|(o, t)| o.unwrap_or(&mut t[..]))
            .collect();
        self.weight.matmul_each(input, &mut rows, pool);
        for (row, summary) in rows.into_iter().zip(summaries) {
            self.cap(row);
            match summary {
                Ok(beside) => *beside = None,
                Err(alone) => *alone = ops::Partial::of_row(row),
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
