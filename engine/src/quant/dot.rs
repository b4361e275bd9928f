//! Dot products of one quantized weight row with quantized activations.
//!
//! Q8_0 × Q8_0 has hand-written AVX2 kernels, including one that reuses a
//! loaded weight block for four activation rows (prefill and batched decode).
//! Q4_K and Q6_K rows use candle's kernels (same block layout, `repr(C)`).

use candle_core::quantized::k_quants as ck;

use super::blocks::{BlockQ4K, BlockQ6K, BlockQ8_0, BlockQ8K, QK_K};

const _: () = assert!(std::mem::size_of::<ck::BlockQ4K>() == std::mem::size_of::<BlockQ4K>());
const _: () = assert!(std::mem::size_of::<ck::BlockQ6K>() == std::mem::size_of::<BlockQ6K>());
const _: () = assert!(std::mem::size_of::<ck::BlockQ8K>() == std::mem::size_of::<BlockQ8K>());
const _: () = assert!(std::mem::align_of::<ck::BlockQ8K>() == std::mem::align_of::<BlockQ8K>());

/// Σ w·a over one row.
pub fn dot_q8_0(w: &[BlockQ8_0], a: &[BlockQ8_0]) -> f32 {
    debug_assert_eq!(w.len(), a.len());
    #[cfg(all(
        target_arch = "x86_64",
        target_feature = "avx2",
        target_feature = "fma"
    ))]
    {
        // SAFETY: AVX2 and FMA are enabled at compile time; lengths are equal.
        unsafe { avx2::dot_q8_0(w, a) }
    }
    #[cfg(not(all(
        target_arch = "x86_64",
        target_feature = "avx2",
        target_feature = "fma"
    )))]
    {
        scalar_dot_q8_0(w, a)
    }
}

/// Four dot products of one weight row with four activation rows.
pub fn dot_q8_0_x4(w: &[BlockQ8_0], a: [&[BlockQ8_0]; 4]) -> [f32; 4] {
    #[cfg(all(
        target_arch = "x86_64",
        target_feature = "avx2",
        target_feature = "fma"
    ))]
    {
        // SAFETY: AVX2 and FMA are enabled at compile time; lengths are checked inside.
        unsafe { avx2::dot_q8_0_x4(w, a) }
    }
    #[cfg(not(all(
        target_arch = "x86_64",
        target_feature = "avx2",
        target_feature = "fma"
    )))]
    {
        a.map(|a| scalar_dot_q8_0(w, a))
    }
}

pub fn scalar_dot_q8_0(w: &[BlockQ8_0], a: &[BlockQ8_0]) -> f32 {
    w.iter()
        .zip(a)
        .map(|(w, a)| {
            let s: i32 =
                w.qs.iter()
                    .zip(&a.qs)
                    .map(|(&x, &y)| x as i32 * y as i32)
                    .sum();
            s as f32 * w.d.to_f32() * a.d.to_f32()
        })
        .sum()
}

pub fn dot_q4k(w: &[BlockQ4K], a: &[BlockQ8K]) -> f32 {
    debug_assert_eq!(w.len(), a.len());
    // SAFETY: identical repr(C) layouts (sizes and alignment asserted above).
    let (w, a) = unsafe {
        (
            std::slice::from_raw_parts(w.as_ptr() as *const ck::BlockQ4K, w.len()),
            std::slice::from_raw_parts(a.as_ptr() as *const ck::BlockQ8K, a.len()),
        )
    };
    <ck::BlockQ4K as ck::GgmlType>::vec_dot(w.len() * QK_K, w, a)
}

pub fn dot_q6k(w: &[BlockQ6K], a: &[BlockQ8K]) -> f32 {
    debug_assert_eq!(w.len(), a.len());
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

    use super::BlockQ8_0;

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

    /// Products of |w| (unsigned) with sign-adjusted a, summed to 8 i32 lanes
    /// and converted to f32.
    #[inline(always)]
    unsafe fn block_dot(abs_w: __m256i, w: __m256i, a: __m256i) -> __m256 {
        unsafe {
            let sa = _mm256_sign_epi8(a, w);
            let p16 = _mm256_maddubs_epi16(abs_w, sa);
            let p32 = _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
            _mm256_cvtepi32_ps(p32)
        }
    }

    pub unsafe fn dot_q8_0(w: &[BlockQ8_0], a: &[BlockQ8_0]) -> f32 {
        unsafe {
            let mut acc = _mm256_setzero_ps();
            for (w, a) in w.iter().zip(a) {
                let wv = _mm256_loadu_si256(w.qs.as_ptr() as *const __m256i);
                let av = _mm256_loadu_si256(a.qs.as_ptr() as *const __m256i);
                let d = _mm256_set1_ps(w.d.to_f32() * a.d.to_f32());
                let p = block_dot(_mm256_sign_epi8(wv, wv), wv, av);
                acc = _mm256_fmadd_ps(d, p, acc);
            }
            hsum(acc)
        }
    }

    pub unsafe fn dot_q8_0_x4(w: &[BlockQ8_0], a: [&[BlockQ8_0]; 4]) -> [f32; 4] {
        let n = w.len();
        assert!(a.iter().all(|a| a.len() == n));
        unsafe {
            let mut acc = [_mm256_setzero_ps(); 4];
            for b in 0..n {
                let wb = w.get_unchecked(b);
                let wv = _mm256_loadu_si256(wb.qs.as_ptr() as *const __m256i);
                let aw = _mm256_sign_epi8(wv, wv);
                let dw = wb.d.to_f32();
                for r in 0..4 {
                    let ab = a[r].get_unchecked(b);
                    let av = _mm256_loadu_si256(ab.qs.as_ptr() as *const __m256i);
                    let d = _mm256_set1_ps(dw * ab.d.to_f32());
                    acc[r] = _mm256_fmadd_ps(d, block_dot(aw, wv, av), acc[r]);
                }
            }
            [hsum(acc[0]), hsum(acc[1]), hsum(acc[2]), hsum(acc[3])]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::blocks::quantize_row_q8_0;

    fn row(seed: u32, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (i as f32 * 0.731 + seed as f32 * 1.37).sin() * 2.5)
            .collect()
    }

    #[test]
    fn q8_0_kernels_agree_with_scalar() {
        let k = 640;
        let mut w = vec![BlockQ8_0::ZERO; k / 32];
        quantize_row_q8_0(&row(1, k), &mut w);
        let acts: Vec<Vec<BlockQ8_0>> = (0..4)
            .map(|s| {
                let mut a = vec![BlockQ8_0::ZERO; k / 32];
                quantize_row_q8_0(&row(10 + s, k), &mut a);
                a
            })
            .collect();
        let expect: Vec<f32> = acts.iter().map(|a| scalar_dot_q8_0(&w, a)).collect();
        for (a, e) in acts.iter().zip(&expect) {
            let got = dot_q8_0(&w, a);
            assert!((got - e).abs() <= 1e-3 * e.abs().max(1.0), "{got} vs {e}");
        }
        let x4 = dot_q8_0_x4(&w, [&acts[0], &acts[1], &acts[2], &acts[3]]);
        for (g, e) in x4.iter().zip(&expect) {
            assert!((g - e).abs() <= 1e-3 * e.abs().max(1.0), "{g} vs {e}");
        }
        // And the quantized dot is close to the float one.
        let f: f32 = row(1, k).iter().zip(row(10, k)).map(|(a, b)| a * b).sum();
        assert!(
            (expect[0] - f).abs() < 0.02 * f.abs().max(10.0),
            "{} vs {f}",
            expect[0]
        );
    }
}

#[cfg(test)]
mod kquant_tests {
    use super::*;
    use crate::quant::blocks::{BlockQ8K, quantize_row_q8k};
    use candle_core::quantized::k_quants as ck;

    fn check<B: ck::GgmlType, M: Copy>(
        mine: fn(&[M], &[BlockQ8K]) -> f32,
        deq: fn(&[M], &mut [f32]),
    ) {
        let k = 2048;
        let w: Vec<f32> = (0..k)
            .map(|i| ((i as f32 * 0.37).sin() * 1.7 + (i % 7) as f32 * 0.1))
            .collect();
        let mut wb = vec![B::zeros(); k / 256];
        B::from_float(&w, &mut wb);
        let wm: &[M] = unsafe { std::slice::from_raw_parts(wb.as_ptr() as *const M, wb.len()) };
        let x: Vec<f32> = (0..k)
            .map(|i| ((i as f32 * 1.13).cos() * 3.0) * if i % 97 == 0 { 40.0 } else { 1.0 })
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
        check::<ck::BlockQ6K, BlockQ6K>(dot_q6k, dequantize_q6k);
    }

    #[test]
    fn q4k_dot_equals_dequantized_dot() {
        check::<ck::BlockQ4K, BlockQ4K>(dot_q4k, dequantize_q4k);
    }
}
