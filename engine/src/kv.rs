//! The key/value cache of one sequence, and attention over it.
//!
//! Keys and values are stored as f16, one row of `kv_dim` per position and
//! layer. Global layers keep every position. Sliding-window layers keep a
//! ring of `window + DEFAULT_RING_SLACK` slots: enough for the window, for a
//! prefill chunk written before its queries attend, and for rolling back a
//! few hundred tokens (prefix reuse after a retry) without recomputing.
//! Storage grows on demand, so a short sequence costs little memory.

use half::f16;
use half::slice::HalfFloatSliceExt;

use crate::ops;
use crate::pool::{SyncPtr, ThreadPool};

#[cfg(all(target_arch = "x86_64", target_feature = "avx512f"))]
mod avx512;

/// Extra ring slots of a sliding-window layer beyond its window.
pub const DEFAULT_RING_SLACK: usize = 1024;

/// The largest number of tokens one forward call writes per sequence: a
/// chunk must fit in the ring slack (see the module docs).
pub const MAX_CHUNK: usize = 512;

/// How one layer attends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttnShape {
    pub n_head: usize,
    pub n_kv_head: usize,
    pub head_dim: usize,
    /// Multiplier of q·k.
    pub scale: f32,
    /// Attend only to the last `window` positions (the query's included).
    pub window: Option<usize>,
    /// `cap * tanh(score / cap)` before the softmax (Gemma 2).
    pub softcap: Option<f32>,
}

impl AttnShape {
    pub fn kv_dim(&self) -> usize {
        self.n_kv_head * self.head_dim
    }
}

#[derive(Debug, Clone)]
struct LayerKv {
    k: Vec<f16>,
    v: Vec<f16>,
    /// Slots before positions wrap around (the context length for global layers).
    slots: usize,
    window: Option<usize>,
    kv_dim: usize,
}

impl LayerKv {
    fn slot(&self, pos: usize) -> usize {
        pos % self.slots
    }

    fn write(&mut self, pos: usize, k: &[f32], v: &[f32]) {
        let d = self.kv_dim;
        let need = (pos + 1).min(self.slots) * d;
        if self.k.len() < need {
            // Within the reserved capacity, grow to what is needed (no
            // copy); past it, double.
            let grow = if self.k.capacity() >= need && self.v.capacity() >= need {
                need
            } else {
                need.max((self.k.len() * 2).min(self.slots * d))
            };
            self.k.resize(grow, f16::ZERO);
            self.v.resize(grow, f16::ZERO);
        }
        let s = self.slot(pos) * d;
        self.k[s..s + d].convert_from_f32_slice(k);
        self.v[s..s + d].convert_from_f32_slice(v);
    }

    fn k_row(&self, pos: usize) -> &[f16] {
        let s = self.slot(pos) * self.kv_dim;
        &self.k[s..s + self.kv_dim]
    }

    fn v_row(&self, pos: usize) -> &[f16] {
        let s = self.slot(pos) * self.kv_dim;
        &self.v[s..s + self.kv_dim]
    }

    /// Ask for columns `cols` of the key and value rows of `pos` to be
    /// brought into cache.
    #[inline(always)]
    fn prefetch(&self, pos: usize, cols: std::ops::Range<usize>) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            let s = self.slot(pos) * self.kv_dim;
            for rows in [&self.k, &self.v] {
                let Some(row) = rows.get(s + cols.start..s + cols.end) else {
                    return;
                };
                let p = row.as_ptr() as *const i8;
                for b in (0..std::mem::size_of_val(row)).step_by(64) {
                    // SAFETY: a prefetch does not fault; the address is in
                    // the row.
                    unsafe { _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(b)) }
                }
            }
        }
    }
}

/// The cache of one sequence: the tokens it holds and their keys/values.
#[derive(Debug, Clone)]
pub struct KvCache {
    layers: Vec<LayerKv>,
    tokens: Vec<u32>,
}

impl KvCache {
    /// An empty cache for layers of the given shapes and a context of `context` tokens.
    pub fn new(layers: &[AttnShape], context: usize) -> Self {
        let layers = layers
            .iter()
            .map(|s| LayerKv {
                k: Vec::new(),
                v: Vec::new(),
                slots: match s.window {
                    Some(w) => (w + DEFAULT_RING_SLACK).min(context),
                    None => context,
                },
                window: s.window,
                kv_dim: s.kv_dim(),
            })
            .collect();
        Self {
            layers,
            tokens: Vec::new(),
        }
    }

    /// Reserve room for `positions` positions (at most each layer's slots),
    /// so that decoding up to there neither moves nor copies the keys and
    /// values. Only address space: pages are touched as positions are
    /// written.
    pub fn reserve(&mut self, positions: usize) {
        for l in &mut self.layers {
            let want = positions.min(l.slots) * l.kv_dim;
            l.k.reserve_exact(want.saturating_sub(l.k.len()));
            l.v.reserve_exact(want.saturating_sub(l.v.len()));
        }
    }

    /// Tokens whose keys and values are stored (positions `0..len`).
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    pub fn tokens(&self) -> &[u32] {
        &self.tokens
    }

    /// Whether the first `len` positions are all still stored where a query
    /// at position `len` would look: true unless a ring layer has overwritten
    /// part of the window before `len`.
    pub fn can_truncate_to(&self, len: usize) -> bool {
        let cur = self.tokens.len();
        if len > cur {
            return false;
        }
        self.layers.iter().all(|l| {
            let oldest = cur.saturating_sub(l.slots);
            match l.window {
                _ if oldest == 0 => true,
                Some(w) => len.saturating_sub(w) >= oldest,
                None => false,
            }
        })
    }

    /// The longest prefix of `tokens` this cache can keep, leaving at least
    /// `keep_back` tokens of `tokens` to run through the model.
    pub fn reusable_prefix(&self, tokens: &[u32], keep_back: usize) -> usize {
        let common = self
            .tokens
            .iter()
            .zip(tokens)
            .take_while(|(a, b)| a == b)
            .count()
            .min(tokens.len().saturating_sub(keep_back));
        if self.can_truncate_to(common) {
            common
        } else {
            0
        }
    }

    /// Forget every position from `len` on. If the ring layers no longer hold
    /// what a query at `len` needs, the whole cache is cleared instead.
    pub fn truncate(&mut self, len: usize) {
        if !self.can_truncate_to(len) {
            self.tokens.clear();
            return;
        }
        self.tokens.truncate(len);
    }

    pub fn clear(&mut self) {
        self.tokens.clear();
    }

    /// Store the keys and values of `layer` at position `pos`.
    pub(crate) fn write(&mut self, layer: usize, pos: usize, k: &[f32], v: &[f32]) {
        self.layers[layer].write(pos, k, v);
    }

    /// Record that `tokens` were appended (after every layer was written).
    pub(crate) fn push_tokens(&mut self, tokens: &[u32]) {
        self.tokens.extend_from_slice(tokens);
    }
}

/// One query row of a batched attention call: its sequence cache and position.
pub(crate) struct QueryRow<'a> {
    pub cache: &'a KvCache,
    pub pos: usize,
}

/// Attention of every query row over its own cache (positions up to and
/// including its own), for layer `layer`. `q` and `out` are
/// `rows × n_head·head_dim`.
pub(crate) fn attend(
    layer: usize,
    shape: &AttnShape,
    q: &[f32],
    rows: &[QueryRow<'_>],
    out: &mut [f32],
    pool: &ThreadPool,
) {
    let qd = shape.n_head * shape.head_dim;
    debug_assert_eq!(q.len(), rows.len() * qd);
    let out_ptr = SyncPtr::new(out);
    let groups = shape.n_kv_head;
    pool.run(rows.len() * groups, &|task| {
        let (r, g) = (task / groups, task % groups);
        let row = &rows[r];
        // SAFETY: each task writes the heads of group g of row r only.
        let o = unsafe { out_ptr.slice(r * qd, qd) };
        attend_group(layer, shape, &q[r * qd..(r + 1) * qd], row, g, o);
    });
}

/// Positions prefetched ahead of the one attended to.
const AHEAD: usize = 4;

/// Positions whose values are added to the output in one pass.
const VALUE_TILE: usize = 4;

/// The heads of group `g` for one query row. Every head's score is the same
/// chain of operations as `ops::dot` and every output element the same
/// chain as one `ops::axpy` per position, in position order; only the loops
/// are fused (the heads' dot products run side by side, and `VALUE_TILE`
/// positions are added per pass over the output), so the result is bit for
/// bit that of the plain loops (`fused_attention_matches_the_plain_loops`).
/// With AVX-512 and a head size that is a multiple of 32, the loops of
/// [`avx512`] take the place of these (the same bits again).
fn attend_group(
    layer: usize,
    s: &AttnShape,
    q: &[f32],
    row: &QueryRow<'_>,
    g: usize,
    out: &mut [f32],
) {
    let kv = &row.cache.layers[layer];
    let hd = s.head_dim;
    let per_group = s.n_head / s.n_kv_head;
    let heads = g * per_group..(g + 1) * per_group;
    let pos = row.pos;
    let lo = match s.window {
        Some(w) => (pos + 1).saturating_sub(w),
        None => 0,
    };
    let n = pos + 1 - lo;
    let mut scores = vec![0f32; per_group * n];
    let qs: Vec<&[f32]> = heads.clone().map(|h| &q[h * hd..(h + 1) * hd]).collect();
    let cols = g * hd..(g + 1) * hd;
    #[cfg(all(target_arch = "x86_64", target_feature = "avx512f"))]
    if avx512::serves(hd) {
        avx512::key_dots(kv, cols.clone(), &qs, lo, n, &mut scores);
        for sc in &mut scores {
            *sc = score(*sc, s);
        }
        for hi in 0..per_group {
            ops::softmax(&mut scores[hi * n..(hi + 1) * n]);
        }
        let mut outs: Vec<&mut [f32]> = out[heads.start * hd..heads.end * hd]
            .chunks_exact_mut(hd)
            .collect();
        avx512::add_values(kv, cols, &scores, lo, n, &mut outs);
        return;
    }
    let mut buf = vec![0f32; hd * VALUE_TILE];
    let mut dots = vec![0f32; per_group];
    // The rows are read in order; asking for them a few positions ahead
    // keeps the reads from waiting on memory (a sequence's rows are a short
    // stream, which the hardware prefetcher picks up late).
    for p in lo..(lo + AHEAD).min(pos + 1) {
        kv.prefetch(p, cols.clone());
    }
    for (j, p) in (lo..=pos).enumerate() {
        if p + AHEAD <= pos {
            kv.prefetch(p + AHEAD, cols.clone());
        }
        let k = &mut buf[..hd];
        kv.k_row(p)[g * hd..(g + 1) * hd].convert_to_f32_slice(k);
        dot_heads(&qs, k, &mut dots);
        for (hi, &d) in dots.iter().enumerate() {
            scores[hi * n + j] = score(d, s);
        }
    }
    for hi in 0..per_group {
        ops::softmax(&mut scores[hi * n..(hi + 1) * n]);
    }
    for h in heads.clone() {
        out[h * hd..(h + 1) * hd].fill(0.0);
    }
    let mut j = 0;
    while j < n {
        let t = (n - j).min(VALUE_TILE);
        for (i, v) in buf.chunks_exact_mut(hd).take(t).enumerate() {
            kv.v_row(lo + j + i)[g * hd..(g + 1) * hd].convert_to_f32_slice(v);
        }
        for (hi, h) in heads.clone().enumerate() {
            let w = &scores[hi * n + j..hi * n + j + t];
            add_values(w, &buf[..t * hd], &mut out[h * hd..(h + 1) * hd]);
        }
        j += t;
    }
}

/// A head's attention score from its query's dot product with a key.
#[inline]
fn score(dot: f32, s: &AttnShape) -> f32 {
    let sc = dot * s.scale;
    match s.softcap {
        Some(cap) => cap * (sc / cap).tanh(),
        None => sc,
    }
}

/// `dots[h] = ops::dot(qs[h], k)` for every head, the heads' chains
/// interleaved (four at a time) so that they do not wait on each other.
///
/// The shape of this code is what keeps each head's chain in its own vector
/// register. Two tidier versions (the heads sliced from one contiguous
/// query, or `ops::dot` for the heads left over) were compiled into code
/// vectorised across heads instead, and attention took 18–27% of prefill
/// instead of 11–12% (`perf record` on the `speed` example, see
/// engine/README.md).
fn dot_heads(qs: &[&[f32]], k: &[f32], dots: &mut [f32]) {
    let (ck, rk) = k.as_chunks::<8>();
    let mut h = 0;
    while h < qs.len() {
        let m = (qs.len() - h).min(4);
        let mut acc = [[0f32; 8]; 4];
        if m == 4 {
            let [q0, q1, q2, q3] = [0, 1, 2, 3].map(|i| qs[h + i].as_chunks::<8>().0);
            let rows = ck.iter().zip(q0).zip(q1).zip(q2).zip(q3);
            let [mut a0, mut a1, mut a2, mut a3] = acc;
            for ((((y, x0), x1), x2), x3) in rows {
                for l in 0..8 {
                    a0[l] = x0[l].mul_add(y[l], a0[l]);
                    a1[l] = x1[l].mul_add(y[l], a1[l]);
                    a2[l] = x2[l].mul_add(y[l], a2[l]);
                    a3[l] = x3[l].mul_add(y[l], a3[l]);
                }
            }
            acc = [a0, a1, a2, a3];
        } else {
            for (a, q) in acc.iter_mut().zip(&qs[h..h + m]) {
                for (x, y) in q.as_chunks::<8>().0.iter().zip(ck) {
                    for l in 0..8 {
                        a[l] = x[l].mul_add(y[l], a[l]);
                    }
                }
            }
        }
        for (i, a) in acc.iter().take(m).enumerate() {
            let mut s: f32 = a.iter().sum();
            let tail = &qs[h + i][8 * ck.len()..];
            for (x, y) in tail.iter().zip(rk) {
                s += x * y;
            }
            dots[h + i] = s;
        }
        h += m;
    }
}

/// `out += w[i] · values[i]` for each of the `w.len()` value rows in
/// `values`, element by element in row order (one `ops::axpy` per row).
fn add_values(w: &[f32], values: &[f32], out: &mut [f32]) {
    let hd = out.len();
    match *w {
        [a, b, c, d] => {
            let (v0, v1, v2, v3) = (
                &values[..hd],
                &values[hd..2 * hd],
                &values[2 * hd..3 * hd],
                &values[3 * hd..4 * hd],
            );
            for e in 0..hd {
                let y = a.mul_add(v0[e], out[e]);
                let y = b.mul_add(v1[e], y);
                let y = c.mul_add(v2[e], y);
                out[e] = d.mul_add(v3[e], y);
            }
        }
        _ => {
            for (i, &a) in w.iter().enumerate() {
                ops::axpy(a, &values[i * hd..(i + 1) * hd], out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(window: Option<usize>) -> AttnShape {
        AttnShape {
            n_head: 2,
            n_kv_head: 1,
            head_dim: 4,
            scale: 0.5,
            window,
            softcap: None,
        }
    }

    /// The plain loops the fused ones must reproduce bit for bit.
    fn attend_group_plain(
        layer: usize,
        s: &AttnShape,
        q: &[f32],
        row: &QueryRow<'_>,
        g: usize,
        out: &mut [f32],
    ) {
        let kv = &row.cache.layers[layer];
        let hd = s.head_dim;
        let per_group = s.n_head / s.n_kv_head;
        let heads = g * per_group..(g + 1) * per_group;
        let pos = row.pos;
        let lo = s.window.map_or(0, |w| (pos + 1).saturating_sub(w));
        let n = pos + 1 - lo;
        let mut scores = vec![0f32; per_group * n];
        let mut buf = vec![0f32; hd];
        for (j, p) in (lo..=pos).enumerate() {
            kv.k_row(p)[g * hd..(g + 1) * hd].convert_to_f32_slice(&mut buf);
            for (hi, h) in heads.clone().enumerate() {
                let mut sc = ops::dot(&q[h * hd..(h + 1) * hd], &buf) * s.scale;
                if let Some(cap) = s.softcap {
                    sc = cap * (sc / cap).tanh();
                }
                scores[hi * n + j] = sc;
            }
        }
        for hi in 0..per_group {
            ops::softmax(&mut scores[hi * n..(hi + 1) * n]);
        }
        for h in heads.clone() {
            out[h * hd..(h + 1) * hd].fill(0.0);
        }
        for (j, p) in (lo..=pos).enumerate() {
            kv.v_row(p)[g * hd..(g + 1) * hd].convert_to_f32_slice(&mut buf);
            for (hi, h) in heads.clone().enumerate() {
                ops::axpy(scores[hi * n + j], &buf, &mut out[h * hd..(h + 1) * hd]);
            }
        }
    }

    #[test]
    fn fused_attention_matches_the_plain_loops() {
        // Head counts that fill the four-head chains exactly, partly and in
        // two rounds; a head size with a tail; windows and a softcap.
        // Head sizes of 256, 64 and 32 take the AVX-512 loops where built
        // with them: there, too, groups of 4, 2, 3 and 5 heads.
        for (n_head, n_kv_head, head_dim, window, softcap) in [
            (4, 1, 256, None, None),
            (8, 2, 64, Some(5), None),
            (6, 1, 36, None, Some(50.0)),
            (3, 3, 20, Some(3), None),
            (9, 3, 64, None, None),
            (5, 1, 32, Some(9), Some(30.0)),
        ] {
            let s = AttnShape {
                n_head,
                n_kv_head,
                head_dim,
                scale: 0.0625,
                window,
                softcap,
            };
            let kv_dim = s.kv_dim();
            let mut c = KvCache::new(&[s], 64);
            let val = |p: usize, i: usize, t: f32| ((p * 31 + i * 7) as f32 * t).sin() * 2.0;
            for p in 0..11 {
                let k: Vec<f32> = (0..kv_dim).map(|i| val(p, i, 0.37)).collect();
                let v: Vec<f32> = (0..kv_dim).map(|i| val(p, i, 0.91)).collect();
                c.write(0, p, &k, &v);
            }
            c.push_tokens(&[1; 11]);
            let q: Vec<f32> = (0..n_head * head_dim)
                .map(|i| (i as f32 * 0.13).cos())
                .collect();
            for pos in [0, 3, 6, 9, 10] {
                let row = QueryRow { cache: &c, pos };
                for g in 0..n_kv_head {
                    let mut fused = vec![0f32; n_head * head_dim];
                    let mut plain = vec![0f32; n_head * head_dim];
                    attend_group(0, &s, &q, &row, g, &mut fused);
                    attend_group_plain(0, &s, &q, &row, g, &mut plain);
                    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&fused), bits(&plain), "{s:?} pos {pos} group {g}");
                }
            }
        }
    }

    #[test]
    fn ring_layers_allow_rollback_only_within_their_slack() {
        let shapes = [shape(Some(4)), shape(None)];
        let mut c = KvCache::new(&shapes, 100_000);
        let slots = 4 + DEFAULT_RING_SLACK;
        let total = slots + 10;
        for p in 0..total {
            for l in 0..2 {
                c.write(l, p, &[p as f32; 4], &[1.0; 4]);
            }
        }
        c.push_tokens(&vec![7; total]);
        // Oldest stored position is 10; a query at len needs len-4.. .
        assert!(c.can_truncate_to(14));
        assert!(!c.can_truncate_to(13));
        c.truncate(13);
        assert_eq!(c.len(), 0, "an impossible rollback clears the cache");
    }

    /// Positions written within the reservation neither move the keys and
    /// values nor change them; a ring layer reserves no more than its slots.
    #[test]
    fn a_reserved_cache_keeps_its_storage_in_place() {
        let shapes = [shape(None), shape(Some(4))];
        let mut c = KvCache::new(&shapes, 10_000);
        c.reserve(2_000);
        assert_eq!(c.layers[1].k.capacity(), (4 + DEFAULT_RING_SLACK) * 4);
        let at = (c.layers[0].k.as_ptr(), c.layers[0].v.as_ptr());
        for p in 0..2_000 {
            c.write(0, p, &[p as f32; 4], &[-(p as f32); 4]);
        }
        assert_eq!((c.layers[0].k.as_ptr(), c.layers[0].v.as_ptr()), at);
        assert_eq!(c.layers[0].k_row(1_234), [f16::from_f32(1_234.0); 4]);
        assert_eq!(c.layers[0].v_row(7), [f16::from_f32(-7.0); 4]);
    }

    #[test]
    fn attention_with_one_position_returns_its_value() {
        let s = shape(None);
        let mut c = KvCache::new(&[s], 16);
        c.write(0, 0, &[1.0, 0.0, 0.0, 0.0], &[0.5, -1.0, 2.0, 3.0]);
        c.push_tokens(&[1]);
        let q = vec![1.0; 8];
        let mut out = vec![0f32; 8];
        let pool = ThreadPool::new(1);
        attend(
            0,
            &s,
            &q,
            &[QueryRow { cache: &c, pos: 0 }],
            &mut out,
            &pool,
        );
        assert_eq!(out, vec![0.5, -1.0, 2.0, 3.0, 0.5, -1.0, 2.0, 3.0]);
    }

    #[test]
    fn sliding_window_hides_old_positions() {
        let s = shape(Some(2));
        let mut c = KvCache::new(&[s], 64);
        for p in 0..3 {
            c.write(0, p, &[0.0; 4], &[p as f32; 4]);
        }
        c.push_tokens(&[1, 2, 3]);
        let q = vec![0.0; 8];
        let mut out = vec![0f32; 8];
        let pool = ThreadPool::new(1);
        attend(
            0,
            &s,
            &q,
            &[QueryRow { cache: &c, pos: 2 }],
            &mut out,
            &pool,
        );
        // Equal scores over positions 1 and 2 only: mean value 1.5.
        assert!(out.iter().all(|&v| (v - 1.5).abs() < 1e-6), "{out:?}");
    }
}
