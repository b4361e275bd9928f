//! Q4_K and Q6_K weight rows × Q8_K activations, AVX2, for 1 to 4
//! activation rows at once: each weight block is unpacked once and used for
//! every row (prefill and batched decode). The arithmetic is ggml's: integer
//! products per 32 values, scaled per sub-block, with the Q4_K minimums and
//! the Q6_K offset of 32 applied through the activations' block sums.

use super::blocks::{BlockQ4K, BlockQ6K, BlockQ8K};
use super::packed::SplitBlock;

/// The 6-bit scales and minimums of the 8 sub-blocks of a Q4_K block.
#[inline(always)]
pub fn q4k_scales_mins(s: &[u8; 12]) -> ([u8; 8], [u8; 8]) {
    const KMASK1: u32 = 0x3f3f_3f3f;
    const KMASK2: u32 = 0x0f0f_0f0f;
    const KMASK3: u32 = 0x0303_0303;
    let word = |i: usize| u32::from_le_bytes([s[i], s[i + 1], s[i + 2], s[i + 3]]);
    let (u0, u1, u2) = (word(0), word(4), word(8));
    let u3 = ((u2 >> 4) & KMASK2) | (((u1 >> 6) & KMASK3) << 4);
    let mins_lo = u1 & KMASK1;
    let scales_hi = (u2 & KMASK2) | (((u0 >> 6) & KMASK3) << 4);
    let scales_lo = u0 & KMASK1;
    let mut sc = [0u8; 8];
    let mut mn = [0u8; 8];
    sc[..4].copy_from_slice(&scales_lo.to_le_bytes());
    sc[4..].copy_from_slice(&scales_hi.to_le_bytes());
    mn[..4].copy_from_slice(&mins_lo.to_le_bytes());
    mn[4..].copy_from_slice(&u3.to_le_bytes());
    (sc, mn)
}

/// Sub-block `sub` (32 values) of a Q4_K block in the packed kernel's
/// form: `w = d·sc·q - dmin·m`, so `v = q`, scale `d·sc`, bias `-dmin·m`.
pub fn q4k_split(x: &BlockQ4K, sub: usize) -> SplitBlock {
    let (sc, mn) = q4k_scales_mins(&x.scales);
    let q = &x.qs[32 * (sub / 2)..32 * (sub / 2) + 32];
    let shift = 4 * (sub % 2);
    let scale = x.d.to_f32() * sc[sub] as f32;
    SplitBlock {
        v: std::array::from_fn(|c| ((q[c] >> shift) & 0xF) as i8),
        lo: scale,
        hi: scale,
        bias: -(x.dmin.to_f32() * mn[sub] as f32),
    }
}

/// Sub-block `sub` (32 values) of a Q6_K block in the packed kernel's
/// form: `w = d·sc·(q - 32)` with a scale per 16 values.
pub fn q6k_split(x: &BlockQ6K, sub: usize) -> SplitBlock {
    let (half, k) = (sub / 4, sub % 4);
    let ql = &x.ql[64 * half..64 * half + 64];
    let qh = &x.qh[32 * half..32 * half + 32];
    let v = std::array::from_fn(|l| {
        // k = 0..4: low nibbles of ql[l], ql[l + 32], then their high ones.
        let bits = ql[l + 32 * (k % 2)] >> (4 * (k / 2));
        let q = (bits & 0xF) | (((qh[l] >> (2 * k)) & 3) << 4);
        q as i8 - 32
    });
    let d = x.d.to_f32();
    SplitBlock {
        v,
        lo: d * x.scales[2 * sub] as f32,
        hi: d * x.scales[2 * sub + 1] as f32,
        bias: 0.0,
    }
}

/// Portable Q4_K · Q8_K.
#[cfg_attr(
    all(
        target_arch = "x86_64",
        target_feature = "avx2",
        target_feature = "fma"
    ),
    allow(dead_code)
)]
pub fn scalar_q4k(w: &[BlockQ4K], a: &[BlockQ8K]) -> f32 {
    let mut total = 0f32;
    for (x, y) in w.iter().zip(a) {
        let (sc, mn) = q4k_scales_mins(&x.scales);
        let mut sum = 0i32;
        let mut mins = 0i32;
        for j in 0..4 {
            let q = &x.qs[32 * j..32 * j + 32];
            let (lo, hi) = (&y.qs[64 * j..64 * j + 32], &y.qs[64 * j + 32..64 * j + 64]);
            let sl: i32 = q
                .iter()
                .zip(lo)
                .map(|(&b, &v)| (b & 0xF) as i32 * v as i32)
                .sum();
            let sh: i32 = q
                .iter()
                .zip(hi)
                .map(|(&b, &v)| (b >> 4) as i32 * v as i32)
                .sum();
            sum += sc[2 * j] as i32 * sl + sc[2 * j + 1] as i32 * sh;
        }
        for (j, &m) in mn.iter().enumerate() {
            mins += m as i32 * (y.bsums[2 * j] as i32 + y.bsums[2 * j + 1] as i32);
        }
        total += y.d * (x.d.to_f32() * sum as f32 - x.dmin.to_f32() * mins as f32);
    }
    total
}

/// Portable Q6_K · Q8_K.
#[cfg_attr(
    all(
        target_arch = "x86_64",
        target_feature = "avx2",
        target_feature = "fma"
    ),
    allow(dead_code)
)]
pub fn scalar_q6k(w: &[BlockQ6K], a: &[BlockQ8K]) -> f32 {
    let mut total = 0f32;
    for (x, y) in w.iter().zip(a) {
        let mut sum = 0i32;
        for half in 0..2 {
            let ql = &x.ql[64 * half..64 * half + 64];
            let qh = &x.qh[32 * half..32 * half + 32];
            for l in 0..32 {
                let q = [
                    (ql[l] & 0xF) | ((qh[l] & 3) << 4),
                    (ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4),
                    (ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4),
                    (ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4),
                ];
                for (k, &qv) in q.iter().enumerate() {
                    let e = 128 * half + 32 * k + l;
                    sum += x.scales[e / 16] as i32 * (qv as i32 - 32) * y.qs[e] as i32;
                }
            }
        }
        total += y.d * x.d.to_f32() * sum as f32;
    }
    total
}

/// `N` dot products of one Q4_K row with `N` activation rows.
#[inline]
pub fn dot_q4k<const N: usize>(w: &[BlockQ4K], a: [&[BlockQ8K]; N]) -> [f32; N] {
    assert!(a.iter().all(|a| a.len() == w.len()));
    #[cfg(all(
        target_arch = "x86_64",
        target_feature = "avx2",
        target_feature = "fma"
    ))]
    {
        // SAFETY: AVX2 and FMA are enabled at compile time; lengths are checked.
        unsafe { avx2::q4k(w, a) }
    }
    #[cfg(not(all(
        target_arch = "x86_64",
        target_feature = "avx2",
        target_feature = "fma"
    )))]
    {
        a.map(|a| scalar_q4k(w, a))
    }
}

/// `N` dot products of one Q6_K row with `N` activation rows.
#[inline]
pub fn dot_q6k<const N: usize>(w: &[BlockQ6K], a: [&[BlockQ8K]; N]) -> [f32; N] {
    assert!(a.iter().all(|a| a.len() == w.len()));
    #[cfg(all(
        target_arch = "x86_64",
        target_feature = "avx2",
        target_feature = "fma"
    ))]
    {
        // SAFETY: AVX2 and FMA are enabled at compile time; lengths are checked.
        unsafe { avx2::q6k(w, a) }
    }
    #[cfg(not(all(
        target_arch = "x86_64",
        target_feature = "avx2",
        target_feature = "fma"
    )))]
    {
        a.map(|a| scalar_q6k(w, a))
    }
}

#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma"
))]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{BlockQ4K, BlockQ6K, BlockQ8K, q4k_scales_mins};

    #[inline(always)]
    unsafe fn hsum(v: __m256) -> f32 {
        unsafe {
            let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
            let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
            _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)))
        }
    }

    #[inline(always)]
    unsafe fn load(p: &[i8]) -> __m256i {
        unsafe { _mm256_loadu_si256(p.as_ptr() as *const __m256i) }
    }

    #[inline(always)]
    pub unsafe fn q4k<const N: usize>(w: &[BlockQ4K], a: [&[BlockQ8K]; N]) -> [f32; N] {
        unsafe {
            let m4 = _mm256_set1_epi8(0x0F);
            let mut acc = [_mm256_setzero_ps(); N];
            let mut acc_m = [_mm_setzero_ps(); N];
            for (i, x) in w.iter().enumerate() {
                let (sc, mn) = q4k_scales_mins(&x.scales);
                let d = x.d.to_f32();
                let dmin = x.dmin.to_f32();
                let mins = _mm_cvtepu8_epi16(_mm_loadl_epi64(mn.as_ptr() as *const __m128i));
                // Sub-block scales broadcast to 16-bit lanes.
                let scale: [__m256i; 8] = std::array::from_fn(|s| _mm256_set1_epi16(sc[s] as i16));
                let mut lo = [_mm256_setzero_si256(); 4];
                let mut hi = [_mm256_setzero_si256(); 4];
                for j in 0..4 {
                    let bits = _mm256_loadu_si256(x.qs.as_ptr().add(32 * j) as *const __m256i);
                    lo[j] = _mm256_and_si256(bits, m4);
                    hi[j] = _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4);
                }
                for r in 0..N {
                    let y = a[r].get_unchecked(i);
                    let mut sumi = _mm256_setzero_si256();
                    for j in 0..4 {
                        let pl = _mm256_maddubs_epi16(lo[j], load(&y.qs[64 * j..]));
                        let ph = _mm256_maddubs_epi16(hi[j], load(&y.qs[64 * j + 32..]));
                        let pl = _mm256_madd_epi16(scale[2 * j], pl);
                        let ph = _mm256_madd_epi16(scale[2 * j + 1], ph);
                        sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(pl, ph));
                    }
                    acc[r] =
                        _mm256_fmadd_ps(_mm256_set1_ps(d * y.d), _mm256_cvtepi32_ps(sumi), acc[r]);
                    let bs = _mm256_loadu_si256(y.bsums.as_ptr() as *const __m256i);
                    let pairs =
                        _mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1));
                    let prod = _mm_cvtepi32_ps(_mm_madd_epi16(mins, pairs));
                    acc_m[r] = _mm_fmadd_ps(_mm_set1_ps(-dmin * y.d), prod, acc_m[r]);
                }
            }
            std::array::from_fn(|r| {
                let m = acc_m[r];
                let m = _mm_add_ps(m, _mm_movehl_ps(m, m));
                hsum(acc[r]) + _mm_cvtss_f32(_mm_add_ss(m, _mm_movehdup_ps(m)))
            })
        }
    }

    #[inline(always)]
    pub unsafe fn q6k<const N: usize>(w: &[BlockQ6K], a: [&[BlockQ8K]; N]) -> [f32; N] {
        unsafe {
            let m4 = _mm256_set1_epi8(0x0F);
            let m2 = _mm256_set1_epi8(3);
            let mut acc = [_mm256_setzero_ps(); N];
            for (i, x) in w.iter().enumerate() {
                let d = x.d.to_f32();
                // Per 32 values (q[k] of half h): the two 16-value scales in
                // the low and high 128-bit lanes, as 16-bit lanes.
                let sc16 =
                    _mm256_cvtepi8_epi16(_mm_loadu_si128(x.scales.as_ptr() as *const __m128i));
                let scale: [__m256i; 8] = std::array::from_fn(|k| {
                    let (s0, s1) = (x.scales[2 * k] as i16, x.scales[2 * k + 1] as i16);
                    _mm256_set_m128i(_mm_set1_epi16(s1), _mm_set1_epi16(s0))
                });
                let mut q = [_mm256_setzero_si256(); 8];
                for h in 0..2 {
                    let b1 = _mm256_loadu_si256(x.ql.as_ptr().add(64 * h) as *const __m256i);
                    let b2 = _mm256_loadu_si256(x.ql.as_ptr().add(64 * h + 32) as *const __m256i);
                    let bh = _mm256_loadu_si256(x.qh.as_ptr().add(32 * h) as *const __m256i);
                    let hbits = |s: i32| {
                        let v = match s {
                            0 => bh,
                            2 => _mm256_srli_epi16(bh, 2),
                            4 => _mm256_srli_epi16(bh, 4),
                            _ => _mm256_srli_epi16(bh, 6),
                        };
                        _mm256_slli_epi16(_mm256_and_si256(v, m2), 4)
                    };
                    q[4 * h] = _mm256_or_si256(_mm256_and_si256(b1, m4), hbits(0));
                    q[4 * h + 1] = _mm256_or_si256(_mm256_and_si256(b2, m4), hbits(2));
                    q[4 * h + 2] =
                        _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(b1, 4), m4), hbits(4));
                    q[4 * h + 3] =
                        _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(b2, 4), m4), hbits(6));
                }
                for r in 0..N {
                    let y = a[r].get_unchecked(i);
                    let mut sumi = _mm256_setzero_si256();
                    for k in 0..8 {
                        let p = _mm256_maddubs_epi16(q[k], load(&y.qs[32 * k..]));
                        sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(scale[k], p));
                    }
                    // The stored quants are q + 32: subtract 32·Σ scale·bsum.
                    let bs = _mm256_loadu_si256(y.bsums.as_ptr() as *const __m256i);
                    let offset = _mm256_slli_epi32(_mm256_madd_epi16(sc16, bs), 5);
                    sumi = _mm256_sub_epi32(sumi, offset);
                    acc[r] =
                        _mm256_fmadd_ps(_mm256_set1_ps(d * y.d), _mm256_cvtepi32_ps(sumi), acc[r]);
                }
            }
            std::array::from_fn(|r| hsum(acc[r]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::blocks::quantize_row_q8k;
    use crate::quant::dot;
    use candle_core::quantized::k_quants as ck;

    fn acts(seed: u32, k: usize) -> Vec<BlockQ8K> {
        let x: Vec<f32> = (0..k)
            .map(|i| {
                ((i as f32 * 1.13 + seed as f32).cos() * 3.0) * if i % 97 == 0 { 40.0 } else { 1.0 }
            })
            .collect();
        let mut b = vec![BlockQ8K::ZERO; k / 256];
        quantize_row_q8k(&x, &mut b);
        b
    }

    fn weights<B: ck::GgmlType, M: Copy>(k: usize) -> Vec<M> {
        let w: Vec<f32> = (0..k)
            .map(|i| (i as f32 * 0.37).sin() * 1.7 + (i % 7) as f32 * 0.1 - 0.2)
            .collect();
        let mut wb = vec![B::zeros(); k / 256];
        B::from_float(&w, &mut wb);
        // SAFETY: candle's and flinch's block types have identical layouts.
        unsafe { std::slice::from_raw_parts(wb.as_ptr() as *const M, wb.len()) }.to_vec()
    }

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() <= 2e-4 * b.abs().max(1.0)
    }

    #[test]
    fn q4k_kernels_agree_with_the_reference() {
        let w = weights::<ck::BlockQ4K, BlockQ4K>(1024);
        let a: Vec<Vec<BlockQ8K>> = (0..4).map(|s| acts(s, 1024)).collect();
        for ai in &a {
            let reference = dot::dot_q4k(&w, ai);
            assert!(
                close(scalar_q4k(&w, ai), reference),
                "{} vs {reference}",
                scalar_q4k(&w, ai)
            );
            assert!(close(dot_q4k(&w, [&ai[..]])[0], reference));
        }
        let four = dot_q4k::<4>(&w, std::array::from_fn(|r| &a[r][..]));
        for (g, ai) in four.iter().zip(&a) {
            assert!(close(*g, dot::dot_q4k(&w, ai)));
        }
    }

    #[test]
    fn q6k_kernels_agree_with_the_reference() {
        let w = weights::<ck::BlockQ6K, BlockQ6K>(1024);
        let a: Vec<Vec<BlockQ8K>> = (0..4).map(|s| acts(s, 1024)).collect();
        for ai in &a {
            let reference = dot::dot_q6k(&w, ai);
            assert!(
                close(scalar_q6k(&w, ai), reference),
                "{} vs {reference}",
                scalar_q6k(&w, ai)
            );
            assert!(close(dot_q6k(&w, [&ai[..]])[0], reference));
        }
        let four = dot_q6k::<4>(&w, std::array::from_fn(|r| &a[r][..]));
        for (g, ai) in four.iter().zip(&a) {
            assert!(close(*g, dot::dot_q6k(&w, ai)));
        }
    }
}
