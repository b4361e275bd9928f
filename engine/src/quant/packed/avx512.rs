//! The packed products on AVX-512 VNNI vectors: for each block, 8
//! `vpdpbusd` per activation row give the 16 weight rows' integer sums (see
//! the parent module for the layout), then the block's scales.

use std::arch::x86_64::*;

use half::f16;

use super::{Act, Biased, GROUP, Quads, Split, block_sum};

/// How a block's integer sums become floats: the 16 rows' scales, and the
/// bias times the activations' block sum where there is one. Generic code
/// over this gives one kernel for the Q8_0 and the biased forms, on the
/// vector and the tile kernels.
pub(in crate::quant) trait OneScale: Copy {
    /// Whether there is a bias.
    const BIAS: bool;
    /// The 16 scales, and the 16 biases (zeros without).
    ///
    /// # Safety
    /// AVX-512 must be available (it is wherever this module is built).
    unsafe fn vectors(&self) -> (__m512, __m512);
}

impl OneScale for [f16; GROUP] {
    const BIAS: bool = false;
    #[inline(always)]
    unsafe fn vectors(&self) -> (__m512, __m512) {
        // SAFETY: the caller's promise; 16 f16 are 32 bytes.
        unsafe {
            let d = _mm512_cvtph_ps(_mm256_loadu_si256(self.as_ptr() as *const __m256i));
            (d, _mm512_setzero_ps())
        }
    }
}

impl OneScale for Biased {
    const BIAS: bool = true;
    #[inline(always)]
    unsafe fn vectors(&self) -> (__m512, __m512) {
        // SAFETY: the caller's promise; both arrays are 16 floats.
        unsafe {
            (
                _mm512_loadu_ps(self.scale.as_ptr()),
                _mm512_loadu_ps(self.bias.as_ptr()),
            )
        }
    }
}

/// One activation row's share of a block, added to `acc`: its integer sums
/// `s` times the 16 rows' scales `dw`, plus the bias (biased form) times the
/// activations' block sum `sum_a` (see [`super::block_sum`]), all times the
/// activations' scale `da`. The vector and the tile kernels both scale
/// through here, so they give the same bits.
#[inline(always)]
pub(in crate::quant) unsafe fn scale(
    acc: __m512,
    s: __m512i,
    dw: __m512,
    bias: Option<__m512>,
    sum_a: f32,
    da: f32,
) -> __m512 {
    unsafe {
        let mut p = _mm512_mul_ps(dw, _mm512_cvtepi32_ps(s));
        if let Some(bias) = bias {
            p = _mm512_fmadd_ps(bias, _mm512_set1_ps(sum_a), p);
        }
        _mm512_fmadd_ps(_mm512_set1_ps(da), p, acc)
    }
}

/// The K-quant form's scales and biases of a block's 16 rows.
///
/// # Safety
/// AVX-512 must be available (it is wherever this module is built).
#[inline(always)]
pub(in crate::quant) unsafe fn split_vectors(s: &Split) -> [__m512; 3] {
    // SAFETY: the caller's promise; the arrays are 16 floats each.
    unsafe { [&s.lo, &s.hi, &s.bias].map(|v| _mm512_loadu_ps(v.as_ptr())) }
}

/// As [`scale`] for the K-quant form: the halves' sums `l`/`h` times their
/// scales `lo`/`hi`, plus the bias times the activations' block sum.
#[inline(always)]
pub(in crate::quant) unsafe fn scale_split(
    acc: __m512,
    (l, h): (__m512i, __m512i),
    [lo, hi, bias]: [__m512; 3],
    sum_a: f32,
    da: f32,
) -> __m512 {
    unsafe {
        let p = _mm512_fmadd_ps(
            lo,
            _mm512_cvtepi32_ps(l),
            _mm512_mul_ps(hi, _mm512_cvtepi32_ps(h)),
        );
        let p = _mm512_fmadd_ps(bias, _mm512_set1_ps(sum_a), p);
        _mm512_fmadd_ps(_mm512_set1_ps(da), p, acc)
    }
}

/// Each output row's 16 totals.
///
/// # Safety
/// Every output holds [`GROUP`] floats.
#[inline(always)]
pub(in crate::quant) unsafe fn store<const R: usize>(acc: [__m512; R], out: &mut [&mut [f32]]) {
    for (acc, out) in acc.into_iter().zip(out.iter_mut()) {
        // SAFETY: the caller's promise.
        unsafe { _mm512_storeu_ps(out.as_mut_ptr(), acc) };
    }
}

/// Weight vector `t` of a block as `w + 128`: stored so, or flipped
/// from the signed layout (one operation, shared by every row).
#[inline(always)]
unsafe fn unsigned<const SIGNED: bool>(q: *const __m512i, t: usize) -> __m512i {
    unsafe {
        let w = _mm512_load_si512(q.add(t));
        if SIGNED {
            _mm512_xor_si512(w, _mm512_set1_epi8(-128))
        } else {
            w
        }
    }
}

/// The Q8_0 and the biased forms: one integer sum per block, times the
/// rows' scales, plus the bias times the activations' block sum (biased
/// form only).
///
/// # Safety
/// Every activation row and `d` have `qs.len()` blocks; every `out` has
/// [`GROUP`] elements.
#[inline(always)]
pub unsafe fn group<S: OneScale, const R: usize, const SIGNED: bool>(
    qs: &[Quads],
    d: &[S],
    a: [Act<'_>; R],
    mut out: [&mut [f32]; R],
    prefetch: impl Fn(usize),
) {
    unsafe {
        let mut acc = [_mm512_setzero_ps(); R];
        for b in 0..qs.len() {
            prefetch(b);
            let q = qs.get_unchecked(b).0.as_ptr() as *const __m512i;
            let quads: [*const i32; R] =
                std::array::from_fn(|r| a[r].q.get_unchecked(b).qs.as_ptr() as *const i32);
            let mut s: [__m512i; R] =
                std::array::from_fn(|r| _mm512_set1_epi32(*a[r].corr.get_unchecked(b)));
            // Each weight vector meets every row before the next is
            // loaded: R independent chains, and few registers.
            for t in 0..8 {
                let w = unsigned::<SIGNED>(q, t);
                for r in 0..R {
                    let x = _mm512_set1_epi32(quads[r].add(t).read_unaligned());
                    s[r] = _mm512_dpbusd_epi32(s[r], w, x);
                }
            }
            let (dw, bias) = d.get_unchecked(b).vectors();
            for r in 0..R {
                let (corr, da) = (*a[r].corr.get_unchecked(b), *a[r].d.get_unchecked(b));
                let bias = S::BIAS.then_some(bias);
                acc[r] = scale(acc[r], s[r], dw, bias, block_sum(corr), da);
            }
        }
        store(acc, &mut out);
    }
}

/// The K-quant form: two integer sums per block (a scale for each
/// half), and the bias times the activations' block sum.
///
/// # Safety
/// As [`group`].
#[inline(always)]
pub unsafe fn group_split<const R: usize, const SIGNED: bool>(
    qs: &[Quads],
    s: &[Split],
    a: [Act<'_>; R],
    mut out: [&mut [f32]; R],
    prefetch: impl Fn(usize),
) {
    unsafe {
        let mut acc = [_mm512_setzero_ps(); R];
        for b in 0..qs.len() {
            prefetch(b);
            let q = qs.get_unchecked(b).0.as_ptr() as *const __m512i;
            let quads: [*const i32; R] =
                std::array::from_fn(|r| a[r].q.get_unchecked(b).qs.as_ptr() as *const i32);
            let corr: [i32; R] = std::array::from_fn(|r| *a[r].corr.get_unchecked(b));
            let corr_lo: [i32; R] = std::array::from_fn(|r| *a[r].corr_lo.get_unchecked(b));
            let mut s_lo: [__m512i; R] = std::array::from_fn(|r| _mm512_set1_epi32(corr_lo[r]));
            let mut s_hi: [__m512i; R] =
                std::array::from_fn(|r| _mm512_set1_epi32(corr[r] - corr_lo[r]));
            for t in 0..4 {
                let w_lo = unsigned::<SIGNED>(q, t);
                let w_hi = unsigned::<SIGNED>(q, t + 4);
                for r in 0..R {
                    let x = _mm512_set1_epi32(quads[r].add(t).read_unaligned());
                    s_lo[r] = _mm512_dpbusd_epi32(s_lo[r], w_lo, x);
                    let x = _mm512_set1_epi32(quads[r].add(t + 4).read_unaligned());
                    s_hi[r] = _mm512_dpbusd_epi32(s_hi[r], w_hi, x);
                }
            }
            let scales = split_vectors(s.get_unchecked(b));
            for r in 0..R {
                let da = *a[r].d.get_unchecked(b);
                let sum_a = block_sum(corr[r]);
                acc[r] = scale_split(acc[r], (s_lo[r], s_hi[r]), scales, sum_a, da);
            }
        }
        store(acc, &mut out);
    }
}
