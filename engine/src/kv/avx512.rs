//! The two loops of one query row's attention over a KV group, on AVX-512
//! vectors: the heads' key dot products and the weighted sum of the values.
//!
//! Each produces the bits of the portable loops in `super::attend_group`
//! (`fused_attention_matches_the_plain_loops`): a head's score is the chain
//! of `ops::dot` (eight lanes of fused multiply-adds over the head's
//! dimensions, then the lanes summed in order) and each output element the
//! chain of one `ops::axpy` per position, in position order. What differs is
//! how the chains are laid out. The portable dot products keep one chain of
//! eight lanes per head, which waits on its own additions (a fused
//! multiply-add takes four cycles); here each 16-lane register holds two
//! positions' chains of a head, and two such pairs run for every head, so
//! sixteen chains interleave. The keys and values are converted from f16
//! straight from the cache into registers (the same exact conversion).

use std::arch::x86_64::*;

use half::f16;

use super::{AHEAD, LayerKv};

/// Positions whose key dot products run together: two per register.
const POSITIONS: usize = 4;

/// Whether these loops serve a head size: whole registers of 16 values, in
/// pairs for the values.
pub(super) fn serves(head_dim: usize) -> bool {
    head_dim.is_multiple_of(32)
}

/// `dots[hi * n + j]` = `ops::dot(qs[hi], key of position lo + j)` for every
/// head `hi` of the group and each of the `n` positions from `lo`, over the
/// group's columns `cols` of the cache. Rows are prefetched `AHEAD`
/// positions ahead, keys and values both (the values are read next).
pub(super) fn key_dots(
    kv: &LayerKv,
    cols: std::ops::Range<usize>,
    qs: &[&[f32]],
    lo: usize,
    n: usize,
    dots: &mut [f32],
) {
    let hd = cols.len();
    assert!(serves(hd) && dots.len() == qs.len() * n);
    assert!(qs.iter().all(|q| q.len() == hd));
    // Each head's query, eight values at a time, twice over: the halves of
    // a register are the lanes of two positions.
    let mut twice = Vec::with_capacity(qs.len() * 2 * hd);
    for c in qs.iter().flat_map(|q| q.chunks_exact(8)) {
        twice.extend_from_slice(c);
        twice.extend_from_slice(c);
    }
    for p in lo..(lo + AHEAD).min(lo + n) {
        kv.prefetch(p, cols.clone());
    }
    let key = |j: usize| kv.k_row(lo + j.min(n - 1))[cols.clone()].as_ptr();
    let mut h = 0;
    while h < qs.len() {
        let heads = (qs.len() - h).min(4);
        let q = &twice[h * 2 * hd..(h + heads) * 2 * hd];
        let mut j = 0;
        while j < n {
            if h == 0 {
                for p in lo + j + AHEAD..(lo + j + AHEAD + POSITIONS).min(lo + n) {
                    kv.prefetch(p, cols.clone());
                }
            }
            let keys: [*const f16; POSITIONS] = std::array::from_fn(|i| key(j + i));
            let mut sums = [[0f32; POSITIONS]; 4];
            // SAFETY: each key row is `hd` long, `q` holds `heads` rows of
            // `2 * hd`, and the target has AVX-512 (this module's cfg).
            unsafe {
                match heads {
                    1 => dots_of::<1>(q, keys, hd, &mut sums),
                    2 => dots_of::<2>(q, keys, hd, &mut sums),
                    3 => dots_of::<3>(q, keys, hd, &mut sums),
                    _ => dots_of::<4>(q, keys, hd, &mut sums),
                }
            }
            for (hi, s) in sums.iter().take(heads).enumerate() {
                for (i, &s) in s.iter().enumerate().take(n - j) {
                    dots[(h + hi) * n + j + i] = s;
                }
            }
            j += POSITIONS;
        }
        h += heads;
    }
}

/// The dot products of `H` heads (each query given twice per eight values,
/// see `key_dots`) with four key rows, `hd` values each.
#[inline(always)]
unsafe fn dots_of<const H: usize>(
    q: &[f32],
    keys: [*const f16; POSITIONS],
    hd: usize,
    sums: &mut [[f32; POSITIONS]; 4],
) {
    // SAFETY (whole body): the caller's promise of the lengths.
    unsafe {
        let mut acc = [[_mm512_setzero_ps(); 2]; H];
        for i in 0..hd / 8 {
            // Positions 0 and 1 in one register, 2 and 3 in the other.
            let pair = |a: *const f16, b: *const f16| {
                let lo = _mm_loadu_si128(a.add(8 * i).cast());
                let hi = _mm_loadu_si128(b.add(8 * i).cast());
                _mm512_cvtph_ps(_mm256_inserti128_si256::<1>(_mm256_castsi128_si256(lo), hi))
            };
            let k = [pair(keys[0], keys[1]), pair(keys[2], keys[3])];
            for (hi, acc) in acc.iter_mut().enumerate() {
                let qv = _mm512_loadu_ps(q.as_ptr().add(hi * 2 * hd + 16 * i));
                acc[0] = _mm512_fmadd_ps(qv, k[0], acc[0]);
                acc[1] = _mm512_fmadd_ps(qv, k[1], acc[1]);
            }
        }
        for (hi, acc) in acc.iter().enumerate() {
            for (r, v) in acc.iter().enumerate() {
                let mut lanes = [0f32; 16];
                _mm512_storeu_ps(lanes.as_mut_ptr(), *v);
                // The lanes summed in order, as `ops::dot` does.
                sums[hi][2 * r] = lanes[..8].iter().sum();
                sums[hi][2 * r + 1] = lanes[8..].iter().sum();
            }
        }
    }
}

/// `outs[hi] = Σ_j w[hi * n + j] · value of position lo + j`, each element
/// one chain of fused multiply-adds from zero, in position order (what one
/// `ops::axpy` per position into a zeroed output gives).
pub(super) fn add_values(
    kv: &LayerKv,
    cols: std::ops::Range<usize>,
    w: &[f32],
    lo: usize,
    n: usize,
    outs: &mut [&mut [f32]],
) {
    let hd = cols.len();
    assert!(serves(hd) && w.len() == outs.len() * n);
    assert!(outs.iter().all(|o| o.len() == hd));
    let rows: Vec<*const f16> = (0..n)
        .map(|j| kv.v_row(lo + j)[cols.clone()].as_ptr())
        .collect();
    let mut h = 0;
    while h < outs.len() {
        let heads = (outs.len() - h).min(4);
        let (w, outs) = (&w[h * n..(h + heads) * n], &mut outs[h..h + heads]);
        // SAFETY: each value row is `hd` long, as each output is; `w`
        // holds `heads` rows of `n`; the target has AVX-512.
        unsafe {
            match heads {
                1 => values_of::<1>(w, &rows, hd, outs),
                2 => values_of::<2>(w, &rows, hd, outs),
                3 => values_of::<3>(w, &rows, hd, outs),
                _ => values_of::<4>(w, &rows, hd, outs),
            }
        }
        h += heads;
    }
}

/// `add_values` for `H` heads (`w` holds `H` rows of one weight per value
/// row), 32 output columns at a time.
#[inline(always)]
unsafe fn values_of<const H: usize>(
    w: &[f32],
    rows: &[*const f16],
    hd: usize,
    outs: &mut [&mut [f32]],
) {
    let n = rows.len();
    // SAFETY (whole body): the caller's promise of the lengths.
    unsafe {
        for c in (0..hd).step_by(32) {
            let mut acc = [[_mm512_setzero_ps(); 2]; H];
            for (j, &row) in rows.iter().enumerate() {
                let v = row.add(c);
                let v = [
                    _mm512_cvtph_ps(_mm256_loadu_si256(v.cast())),
                    _mm512_cvtph_ps(_mm256_loadu_si256(v.add(16).cast())),
                ];
                for (hi, acc) in acc.iter_mut().enumerate() {
                    let wv = _mm512_set1_ps(*w.get_unchecked(hi * n + j));
                    acc[0] = _mm512_fmadd_ps(wv, v[0], acc[0]);
                    acc[1] = _mm512_fmadd_ps(wv, v[1], acc[1]);
                }
            }
            for (acc, out) in acc.iter().zip(outs.iter_mut()) {
                _mm512_storeu_ps(out.as_mut_ptr().add(c), acc[0]);
                _mm512_storeu_ps(out.as_mut_ptr().add(c + 16), acc[1]);
            }
        }
    }
}
