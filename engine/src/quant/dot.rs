//! Dot products of one quantized weight row with quantized activations.
//!
//! Q8_0 and Q5_0 weights (× Q8_0 activations) have hand-written AVX2
//! kernels, including ones that reuse a loaded weight block for four
//! activation rows (prefill and batched decode). Q4_K and Q6_K are in
//! `kquants`; candle's kernels (same block layout, `repr(C)`) serve as their
//! test reference and for dequantizing rows. Activation block scales
//! come as f32, converted once per row instead of once per product.

use candle_core::quantized::k_quants as ck;

use super::blocks::{BlockQ4K, BlockQ5_0, BlockQ6K, BlockQ8_0, q5_0_to_q8_0};
#[cfg(test)]
use super::blocks::{BlockQ8K, QK_K};

const _: () = assert!(std::mem::size_of::<ck::BlockQ4K>() == std::mem::size_of::<BlockQ4K>());
const _: () = assert!(std::mem::size_of::<ck::BlockQ6K>() == std::mem::size_of::<BlockQ6K>());

/// Whether the AVX2 kernels are compiled in.
const SIMD: bool = cfg!(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma"
));

/// Σ w·a over one row; `ad` are the activation block scales as f32.
pub fn dot_q8_0(w: &[BlockQ8_0], a: &[BlockQ8_0], ad: &[f32]) -> f32 {
    assert!(w.len() == a.len() && a.len() == ad.len());
    if SIMD {
        // SAFETY: AVX2 and FMA are enabled at compile time; lengths are equal.
        #[cfg(all(
            target_arch = "x86_64",
            target_feature = "avx2",
            target_feature = "fma"
        ))]
        return unsafe { avx2::dot_q8_0(w, a, ad) };
    }
    scalar_dot(w.len(), |b| w[b].d.to_f32(), |b| w[b].qs, a, ad)
}

/// Four dot products of one weight row with four activation rows.
pub fn dot_q8_0_x4(w: &[BlockQ8_0], a: [&[BlockQ8_0]; 4], ad: [&[f32]; 4]) -> [f32; 4] {
    if SIMD {
        // SAFETY: AVX2 and FMA are enabled at compile time; lengths are checked inside.
        #[cfg(all(
            target_arch = "x86_64",
            target_feature = "avx2",
            target_feature = "fma"
        ))]
        return unsafe { avx2::dot_q8_0_x4(w, a, ad) };
    }
    std::array::from_fn(|r| dot_q8_0(w, a[r], ad[r]))
}

/// Σ w·a over one row of Q5_0 weights.
pub fn dot_q5_0(w: &[BlockQ5_0], a: &[BlockQ8_0], ad: &[f32]) -> f32 {
    assert!(w.len() == a.len() && a.len() == ad.len());
    if SIMD {
        // SAFETY: AVX2 and FMA are enabled at compile time; lengths are equal.
        #[cfg(all(
            target_arch = "x86_64",
            target_feature = "avx2",
            target_feature = "fma"
        ))]
        return unsafe { avx2::dot_q5_0(w, a, ad) };
    }
    scalar_dot(
        w.len(),
        |b| w[b].d.to_f32(),
        |b| q5_0_to_q8_0(&w[b]).qs,
        a,
        ad,
    )
}

/// Four dot products of one Q5_0 weight row with four activation rows.
pub fn dot_q5_0_x4(w: &[BlockQ5_0], a: [&[BlockQ8_0]; 4], ad: [&[f32]; 4]) -> [f32; 4] {
    if SIMD {
        // SAFETY: AVX2 and FMA are enabled at compile time; lengths are checked inside.
        #[cfg(all(
            target_arch = "x86_64",
            target_feature = "avx2",
            target_feature = "fma"
        ))]
        return unsafe { avx2::dot_q5_0_x4(w, a, ad) };
    }
    std::array::from_fn(|r| dot_q5_0(w, a[r], ad[r]))
}

/// Portable dot product over blocks of 32 signed weights.
fn scalar_dot(
    n: usize,
    wd: impl Fn(usize) -> f32,
    wq: impl Fn(usize) -> [i8; 32],
    a: &[BlockQ8_0],
    ad: &[f32],
) -> f32 {
    (0..n)
        .map(|b| {
            let q = wq(b);
            let s: i32 = q
                .iter()
                .zip(&a[b].qs)
                .map(|(&x, &y)| x as i32 * y as i32)
                .sum();
            s as f32 * wd(b) * ad[b]
        })
        .sum()
}

/// Candle's Q4_K kernel: the reference the flinch kernels are tested against.
#[cfg(test)]
pub fn dot_q4k(w: &[BlockQ4K], a: &[BlockQ8K]) -> f32 {
    assert_eq!(w.len(), a.len());
    // SAFETY: identical repr(C) layouts (sizes and alignment asserted above).
    let (w, a) = unsafe {
        (
            std::slice::from_raw_parts(w.as_ptr() as *const ck::BlockQ4K, w.len()),
            std::slice::from_raw_parts(a.as_ptr() as *const ck::BlockQ8K, a.len()),
        )
    };
    <ck::BlockQ4K as ck::GgmlType>::vec_dot(w.len() * QK_K, w, a)
}

/// Candle's Q6_K kernel: the reference the flinch kernels are tested against.
#[cfg(test)]
pub fn dot_q6k(w: &[BlockQ6K], a: &[BlockQ8K]) -> f32 {
    assert_eq!(w.len(), a.len());
    // SAFETY: identical repr(C) layouts (sizes and alignment asserted above).
    let (w, a) = unsafe {
        (
            std::slice::from_raw_parts(w.as_ptr() as *const ck::BlockQ6K, w.len()),
            std::slice::from_raw_parts(a.as_ptr() as *const ck::BlockQ8K, a.len()),
        )
    };
    <ck::BlockQ6K as ck::GgmlType>::vec_dot(w.len() * QK_K, w, a)
}

/// Dequantize a Q4_K row (for embeddings and tests).
pub fn dequantize_q4k(w: &[BlockQ4K], out: &mut [f32]) {
    // SAFETY: identical repr(C) layouts.
    let w = unsafe { std::slice::from_raw_parts(w.as_ptr() as *const ck::BlockQ4K, w.len()) };
    <ck::BlockQ4K as ck::GgmlType>::to_float(w, out);
}

/// Dequantize a Q6_K row (for embeddings and tests).
pub fn dequantize_q6k(w: &[BlockQ6K], out: &mut [f32]) {
    // SAFETY: identical repr(C) layouts.
    let w = unsafe { std::slice::from_raw_parts(w.as_ptr() as *const ck::BlockQ6K, w.len()) };
    <ck::BlockQ6K as ck::GgmlType>::to_float(w, out);
}

#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma"
))]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{BlockQ5_0, BlockQ8_0};

    #[inline(always)]
    unsafe fn hsum(v: __m256) -> f32 {
        unsafe {
            let lo = _mm256_castps256_ps128(v);
            let hi = _mm256_extractf128_ps(v, 1);
            let s = _mm_add_ps(lo, hi);
            let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
            let s = _mm_add_ss(s, _mm_movehdup_ps(s));
            _mm_cvtss_f32(s)
        }
    }

    /// Products of |w| (unsigned) with sign-adjusted a, summed to 8 i32
    /// lanes and converted to f32.
    #[inline(always)]
    unsafe fn block_dot(abs_w: __m256i, w: __m256i, a: __m256i) -> __m256 {
        unsafe {
            let sa = _mm256_sign_epi8(a, w);
            let p16 = _mm256_maddubs_epi16(abs_w, sa);
            let p32 = _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
            _mm256_cvtepi32_ps(p32)
        }
    }

    #[inline(always)]
    unsafe fn load_q8(b: &BlockQ8_0) -> __m256i {
        unsafe { _mm256_loadu_si256(b.qs.as_ptr() as *const __m256i) }
    }

    /// The 32 weights of a Q5_0 block as signed bytes (q - 16), unpacked as
    /// ggml does: nibbles, then the fifth bits spread to one byte each.
    #[inline(always)]
    unsafe fn load_q5(b: &BlockQ5_0) -> __m256i {
        unsafe {
            let tmp = _mm_loadu_si128(b.qs.as_ptr() as *const __m128i);
            let nibbles = _mm256_and_si256(
                _mm256_set1_epi8(0x0F),
                _mm256_set_m128i(_mm_srli_epi16(tmp, 4), tmp),
            );
            let qh = i32::from_le_bytes(b.qh);
            let spread = _mm256_shuffle_epi8(
                _mm256_set1_epi32(qh),
                _mm256_set_epi64x(
                    0x0303030303030303,
                    0x0202020202020202,
                    0x0101010101010101,
                    0,
                ),
            );
            let bit_set = _mm256_cmpeq_epi8(
                _mm256_or_si256(spread, _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe)),
                _mm256_set1_epi64x(-1),
            );
            // Without the fifth bit, q - 16 is the nibble with the top bits set.
            _mm256_or_si256(
                nibbles,
                _mm256_andnot_si256(bit_set, _mm256_set1_epi8(0xF0u8 as i8)),
            )
        }
    }

    #[inline(always)]
    unsafe fn dot1<W>(
        w: &[W],
        a: &[BlockQ8_0],
        ad: &[f32],
        load: impl Fn(&W) -> (__m256i, f32),
    ) -> f32 {
        unsafe {
            // The same operations in the same order as `dot4`, so a row's
            // result does not depend on how many rows are computed with it.
            let mut acc = _mm256_setzero_ps();
            for b in 0..w.len() {
                let (wv, dw) = load(w.get_unchecked(b));
                let av = load_q8(a.get_unchecked(b));
                let da = _mm256_broadcast_ss(&*ad.as_ptr().add(b));
                let p = _mm256_mul_ps(
                    _mm256_set1_ps(dw),
                    block_dot(_mm256_sign_epi8(wv, wv), wv, av),
                );
                acc = _mm256_fmadd_ps(da, p, acc);
            }
            hsum(acc)
        }
    }

    #[inline(always)]
    unsafe fn dot4<W>(
        w: &[W],
        a: [&[BlockQ8_0]; 4],
        ad: [&[f32]; 4],
        load: impl Fn(&W) -> (__m256i, f32),
    ) -> [f32; 4] {
        let n = w.len();
        assert!(a.iter().all(|a| a.len() == n) && ad.iter().all(|d| d.len() == n));
        unsafe {
            let mut acc = [_mm256_setzero_ps(); 4];
            for b in 0..n {
                let (wv, dw) = load(w.get_unchecked(b));
                let aw = _mm256_sign_epi8(wv, wv);
                let dw = _mm256_set1_ps(dw);
                for r in 0..4 {
                    let av = load_q8(a[r].get_unchecked(b));
                    // A broadcast load is a load only; the product with the
                    // weight scale is one vector multiply.
                    let da = _mm256_broadcast_ss(&*ad[r].as_ptr().add(b));
                    let p = _mm256_mul_ps(dw, block_dot(aw, wv, av));
                    acc[r] = _mm256_fmadd_ps(da, p, acc[r]);
                }
            }
            [hsum(acc[0]), hsum(acc[1]), hsum(acc[2]), hsum(acc[3])]
        }
    }

    pub unsafe fn dot_q8_0(w: &[BlockQ8_0], a: &[BlockQ8_0], ad: &[f32]) -> f32 {
        unsafe { dot1(w, a, ad, |b| (load_q8(b), b.d.to_f32())) }
    }

    pub unsafe fn dot_q8_0_x4(w: &[BlockQ8_0], a: [&[BlockQ8_0]; 4], ad: [&[f32]; 4]) -> [f32; 4] {
        unsafe { dot4(w, a, ad, |b| (load_q8(b), b.d.to_f32())) }
    }

    pub unsafe fn dot_q5_0(w: &[BlockQ5_0], a: &[BlockQ8_0], ad: &[f32]) -> f32 {
        unsafe { dot1(w, a, ad, |b| (load_q5(b), b.d.to_f32())) }
    }

    pub unsafe fn dot_q5_0_x4(w: &[BlockQ5_0], a: [&[BlockQ8_0]; 4], ad: [&[f32]; 4]) -> [f32; 4] {
        unsafe { dot4(w, a, ad, |b| (load_q5(b), b.d.to_f32())) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::blocks::{quantize_row_q8_0, quantize_row_q8k};
    use half::f16;

    fn row(seed: u32, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (i as f32 * 0.731 + seed as f32 * 1.37).sin() * 2.5)
            .collect()
    }

    fn act(seed: u32, k: usize) -> (Vec<BlockQ8_0>, Vec<f32>) {
        let mut a = vec![BlockQ8_0::ZERO; k / 32];
        quantize_row_q8_0(&row(seed, k), &mut a);
        let d = a.iter().map(|b| b.d.to_f32()).collect();
        (a, d)
    }

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() <= 1e-4 * a.abs().max(1.0)
    }

    #[test]
    fn q8_0_kernels_agree_with_scalar() {
        let k = 640;
        let (w, _) = act(1, k);
        let acts: Vec<_> = (0..4).map(|s| act(10 + s, k)).collect();
        let expect: Vec<f32> = acts
            .iter()
            .map(|(a, d)| scalar_dot(w.len(), |b| w[b].d.to_f32(), |b| w[b].qs, a, d))
            .collect();
        for ((a, d), e) in acts.iter().zip(&expect) {
            assert!(close(dot_q8_0(&w, a, d), *e));
        }
        let x4 = dot_q8_0_x4(
            &w,
            std::array::from_fn(|r| &acts[r].0[..]),
            std::array::from_fn(|r| &acts[r].1[..]),
        );
        assert!(
            x4.iter().zip(&expect).all(|(g, e)| close(*g, *e)),
            "{x4:?} vs {expect:?}"
        );
        // And the quantized dot is close to the float one.
        let f: f32 = row(1, k).iter().zip(row(10, k)).map(|(a, b)| a * b).sum();
        assert!(
            (expect[0] - f).abs() < 0.02 * f.abs().max(10.0),
            "{} vs {f}",
            expect[0]
        );
    }

    #[test]
    fn q5_0_kernels_agree_with_the_exact_conversion() {
        let k = 640;
        let w: Vec<BlockQ5_0> = (0..k / 32)
            .map(|i| BlockQ5_0 {
                d: f16::from_f32(0.01 * (i + 1) as f32),
                qh: (i as u32).wrapping_mul(2_654_435_761).to_le_bytes(),
                qs: std::array::from_fn(|j| ((i * 31 + j * 17) % 256) as u8),
            })
            .collect();
        let w8: Vec<BlockQ8_0> = w.iter().map(q5_0_to_q8_0).collect();
        let acts: Vec<_> = (0..4).map(|s| act(20 + s, k)).collect();
        for (a, d) in &acts {
            assert!(close(dot_q5_0(&w, a, d), dot_q8_0(&w8, a, d)));
        }
        let x4 = dot_q5_0_x4(
            &w,
            std::array::from_fn(|r| &acts[r].0[..]),
            std::array::from_fn(|r| &acts[r].1[..]),
        );
        for (g, (a, d)) in x4.iter().zip(&acts) {
            assert!(close(*g, dot_q8_0(&w8, a, d)));
        }
    }

    fn check_kquant<B: ck::GgmlType, M: Copy>(
        mine: fn(&[M], &[BlockQ8K]) -> f32,
        deq: fn(&[M], &mut [f32]),
    ) {
        let k = 2048;
        let w: Vec<f32> = (0..k)
            .map(|i| (i as f32 * 0.37).sin() * 1.7 + (i % 7) as f32 * 0.1)
            .collect();
        let mut wb = vec![B::zeros(); k / 256];
        B::from_float(&w, &mut wb);
        // SAFETY: the candle and flinch block types have identical layouts.
        let wm: &[M] = unsafe { std::slice::from_raw_parts(wb.as_ptr() as *const M, wb.len()) };
        let x: Vec<f32> = (0..k)
            .map(|i| (i as f32 * 1.13).cos() * 3.0 * if i % 97 == 0 { 40.0 } else { 1.0 })
            .collect();
        let mut xb = vec![BlockQ8K::ZERO; k / 256];
        quantize_row_q8k(&x, &mut xb);
        let mut wf = vec![0f32; k];
        deq(wm, &mut wf);
        let exact: f64 = (0..k)
            .map(|i| wf[i] as f64 * (xb[i / 256].d as f64 * xb[i / 256].qs[i % 256] as f64))
            .sum();
        let got = mine(wm, &xb) as f64;
        assert!(
            (got - exact).abs() < 1e-4 * exact.abs().max(1.0),
            "{got} vs {exact}"
        );
    }

    #[test]
    fn q6k_dot_equals_dequantized_dot() {
        check_kquant::<ck::BlockQ6K, BlockQ6K>(dot_q6k, dequantize_q6k);
    }

    #[test]
    fn q4k_dot_equals_dequantized_dot() {
        check_kquant::<ck::BlockQ4K, BlockQ4K>(dot_q4k, dequantize_q4k);
    }
}
