//! Quantized block layouts (identical to ggml's, `repr(C)`) and the
//! quantization of activations.

use half::f16;

pub const QK8_0: usize = 32;
pub const QK_K: usize = 256;

/// 32 weights: `d * qs[i]`.
#[derive(Debug, Clone, Copy)]
#[repr(C)]
pub struct BlockQ8_0 {
    pub d: f16,
    pub qs: [i8; QK8_0],
}
const _: () = assert!(std::mem::size_of::<BlockQ8_0>() == 34);

/// 32 weights: `d * (q - 8)`, q in 4 bits.
#[derive(Debug, Clone, Copy)]
#[repr(C)]
pub struct BlockQ4_0 {
    pub d: f16,
    pub qs: [u8; 16],
}
const _: () = assert!(std::mem::size_of::<BlockQ4_0>() == 18);

/// 32 weights: `d * (q - 16)`, q in 5 bits (4 low in `qs`, the 5th in `qh`).
#[derive(Debug, Clone, Copy)]
#[repr(C)]
pub struct BlockQ5_0 {
    pub d: f16,
    pub qh: [u8; 4],
    pub qs: [u8; 16],
}
const _: () = assert!(std::mem::size_of::<BlockQ5_0>() == 22);

/// 256 weights in 8 sub-blocks of 32, 4-bit quants with 6-bit scales and mins.
#[derive(Debug, Clone, Copy)]
#[repr(C)]
pub struct BlockQ4K {
    pub d: f16,
    pub dmin: f16,
    pub scales: [u8; 12],
    pub qs: [u8; QK_K / 2],
}
const _: () = assert!(std::mem::size_of::<BlockQ4K>() == 144);

/// 256 weights in 16 sub-blocks of 16, 6-bit quants with 8-bit scales.
#[derive(Debug, Clone, Copy)]
#[repr(C)]
pub struct BlockQ6K {
    pub ql: [u8; QK_K / 2],
    pub qh: [u8; QK_K / 4],
    pub scales: [i8; QK_K / 16],
    pub d: f16,
}
const _: () = assert!(std::mem::size_of::<BlockQ6K>() == 210);

/// 256 activations: `d * qs[i]`, with the sums of each 16 quants.
#[derive(Debug, Clone, Copy)]
#[repr(C)]
pub struct BlockQ8K {
    pub d: f32,
    pub qs: [i8; QK_K],
    pub bsums: [i16; QK_K / 16],
}
const _: () = assert!(std::mem::size_of::<BlockQ8K>() == 292);

impl BlockQ8_0 {
    pub const ZERO: Self = Self {
        d: f16::ZERO,
        qs: [0; QK8_0],
    };
}

impl BlockQ8K {
    pub const ZERO: Self = Self {
        d: 0.0,
        qs: [0; QK_K],
        bsums: [0; QK_K / 16],
    };
}

/// Quantize one row of activations to Q8_0 (as ggml: `d = amax / 127`,
/// round to nearest).
pub fn quantize_row_q8_0(x: &[f32], out: &mut [BlockQ8_0]) {
    debug_assert_eq!(x.len(), out.len() * QK8_0);
    #[cfg(all(target_arch = "x86_64", target_feature = "avx512f"))]
    for (xs, b) in x.as_chunks::<QK8_0>().0.iter().zip(out.iter_mut()) {
        // SAFETY: AVX-512F is enabled at compile time.
        unsafe { quantize_block_avx512(xs, b) };
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "avx512f")))]
    quantize_row_q8_0_lanes(x, out);
}

/// One Q8_0 block in two 16-lane vectors: the same operations as
/// [`quantize_row_q8_0_lanes`] (the maximum is exact, the rounding the same
/// float additions), so the same bytes, at a third of the time.
#[cfg(all(target_arch = "x86_64", target_feature = "avx512f"))]
#[inline(always)]
unsafe fn quantize_block_avx512(xs: &[f32; QK8_0], b: &mut BlockQ8_0) {
    use crate::ops::ROUNDING_MAGIC as MAGIC;
    use std::arch::x86_64::*;
    unsafe {
        let (lo, hi) = (
            _mm512_loadu_ps(xs.as_ptr()),
            _mm512_loadu_ps(xs.as_ptr().add(16)),
        );
        let abs = |v| {
            _mm512_castsi512_ps(_mm512_and_si512(
                _mm512_castps_si512(v),
                _mm512_set1_epi32(i32::MAX),
            ))
        };
        let amax = _mm512_reduce_max_ps(_mm512_max_ps(abs(lo), abs(hi)));
        let d = amax / 127.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        b.d = f16::from_f32(d);
        let q = |v| {
            let t = _mm512_add_ps(_mm512_mul_ps(v, _mm512_set1_ps(id)), _mm512_set1_ps(MAGIC));
            _mm512_cvtepi32_epi8(_mm512_sub_epi32(
                _mm512_castps_si512(t),
                _mm512_set1_epi32(MAGIC.to_bits() as i32),
            ))
        };
        _mm_storeu_si128(b.qs.as_mut_ptr().cast(), q(lo));
        _mm_storeu_si128(b.qs.as_mut_ptr().add(16).cast(), q(hi));
    }
}

/// [`quantize_row_q8_0`] lane by lane (where AVX-512 is not compiled in,
/// and in the tests, as the reference).
#[cfg_attr(
    all(target_arch = "x86_64", target_feature = "avx512f"),
    allow(dead_code)
)]
fn quantize_row_q8_0_lanes(x: &[f32], out: &mut [BlockQ8_0]) {
    // Written so that it vectorises: maxima per lane by comparison, and
    // rounding by adding 1.5·2²³ (ties to even, as `round_ties_even`) instead
    // of a saturating float-to-int `as`, which becomes scalar code per lane.
    use crate::ops::ROUNDING_MAGIC as MAGIC;
    for (xs, b) in x.chunks_exact(QK8_0).zip(out.iter_mut()) {
        let mut lanes = [0f32; 8];
        for c in xs.chunks_exact(8) {
            for (m, &v) in lanes.iter_mut().zip(c) {
                if v.abs() > *m {
                    *m = v.abs();
                }
            }
        }
        let amax = lanes.iter().fold(0f32, |m, &v| if v > m { v } else { m });
        let d = amax / 127.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        b.d = f16::from_f32(d);
        for (q, &v) in b.qs.iter_mut().zip(xs) {
            // |v · id| <= 127 (plus rounding), far inside the trick's range.
            *q = ((v * id + MAGIC).to_bits().wrapping_sub(MAGIC.to_bits())) as i8;
        }
    }
}

/// Quantize one row of activations to Q8_K (as ggml: scale from the value of
/// largest magnitude, sums of each 16 quants kept for the K-quant kernels).
pub fn quantize_row_q8k(x: &[f32], out: &mut [BlockQ8K]) {
    debug_assert_eq!(x.len(), out.len() * QK_K);
    for (xs, b) in x.chunks_exact(QK_K).zip(out.iter_mut()) {
        let mut max = 0f32;
        let mut amax = 0f32;
        for &v in xs {
            if v.abs() > amax {
                amax = v.abs();
                max = v;
            }
        }
        if amax == 0.0 {
            *b = BlockQ8K::ZERO;
            continue;
        }
        let iscale = -127.0 / max;
        for (q, &v) in b.qs.iter_mut().zip(xs) {
            *q = (iscale * v).round_ties_even().min(127.0) as i8;
        }
        for (j, s) in b.bsums.iter_mut().enumerate() {
            *s = b.qs[j * 16..j * 16 + 16].iter().map(|&q| q as i16).sum();
        }
        b.d = 1.0 / iscale;
    }
}

/// Q4_0 → Q8_0 without loss (`d * (q - 8)` is `d * q8` with `q8 = q - 8`).
pub fn q4_0_to_q8_0(b: &BlockQ4_0) -> BlockQ8_0 {
    let mut qs = [0i8; QK8_0];
    for j in 0..16 {
        qs[j] = (b.qs[j] & 0x0F) as i8 - 8;
        qs[j + 16] = (b.qs[j] >> 4) as i8 - 8;
    }
    BlockQ8_0 { d: b.d, qs }
}

/// Q5_0 → Q8_0 without loss (`d * (q - 16)` is `d * q8` with `q8 = q - 16`).
pub fn q5_0_to_q8_0(b: &BlockQ5_0) -> BlockQ8_0 {
    let qh = u32::from_le_bytes(b.qh);
    let mut qs = [0i8; QK8_0];
    for j in 0..16 {
        let h0 = ((qh >> j) & 1) << 4;
        let h1 = ((qh >> (j + 16)) & 1) << 4;
        qs[j] = (((b.qs[j] & 0x0F) as u32 | h0) as i32 - 16) as i8;
        qs[j + 16] = (((b.qs[j] >> 4) as u32 | h1) as i32 - 16) as i8;
    }
    BlockQ8_0 { d: b.d, qs }
}

/// Dequantize Q8_0 blocks.
pub fn dequantize_q8_0(blocks: &[BlockQ8_0], out: &mut [f32]) {
    for (b, o) in blocks.iter().zip(out.chunks_exact_mut(QK8_0)) {
        let d = b.d.to_f32();
        for (v, &q) in o.iter_mut().zip(&b.qs) {
            *v = d * q as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q8_0_quantization_rounds_like_the_plain_formula() {
        let x: Vec<f32> = (0..32 * 200)
            .map(|i| {
                let v = (i as f32 * 0.7371).sin() * (1 + i % 13) as f32;
                // Whole blocks of zeros, values on rounding ties, tiny values.
                match i / 32 % 5 {
                    0 => 0.0,
                    1 => (i % 64) as f32 * 0.5 - 16.0,
                    2 => v * 1e-30,
                    _ => v,
                }
            })
            .collect();
        let mut got = vec![BlockQ8_0::ZERO; x.len() / 32];
        quantize_row_q8_0(&x, &mut got);
        let mut lanes = vec![BlockQ8_0::ZERO; x.len() / 32];
        quantize_row_q8_0_lanes(&x, &mut lanes);
        for (g, l) in got.iter().zip(&lanes) {
            assert_eq!((g.d, g.qs), (l.d, l.qs));
        }
        for (xs, b) in x.chunks_exact(32).zip(&got) {
            let amax = xs.iter().fold(0f32, |m, v| m.max(v.abs()));
            let d = amax / 127.0;
            let id = if d != 0.0 { 1.0 / d } else { 0.0 };
            assert_eq!(b.d, f16::from_f32(d));
            let want: Vec<i8> = xs
                .iter()
                .map(|v| (v * id).round_ties_even() as i8)
                .collect();
            assert_eq!(&b.qs[..], &want[..]);
        }
    }

    #[test]
    fn q5_0_conversion_is_exact() {
        let b = BlockQ5_0 {
            d: f16::from_f32(0.5),
            qh: [0b1010_0101, 0xFF, 0x00, 0x81],
            qs: std::array::from_fn(|i| (i * 37 % 256) as u8),
        };
        let q8 = q5_0_to_q8_0(&b);
        let qh = u32::from_le_bytes(b.qh);
        for j in 0..32 {
            let lo = if j < 16 {
                b.qs[j] & 0xF
            } else {
                b.qs[j - 16] >> 4
            };
            let q = lo as i32 | ((((qh >> j) & 1) as i32) << 4);
            assert_eq!(q8.qs[j] as i32, q - 16, "element {j}");
        }
    }

    #[test]
    fn q8k_keeps_block_sums() {
        let x: Vec<f32> = (0..256).map(|i| ((i as f32) * 0.37).sin() * 3.0).collect();
        let mut b = [BlockQ8K::ZERO];
        quantize_row_q8k(&x, &mut b);
        for j in 0..16 {
            let s: i16 = b[0].qs[j * 16..j * 16 + 16].iter().map(|&q| q as i16).sum();
            assert_eq!(b[0].bsums[j], s);
        }
        let err = x
            .iter()
            .zip(b[0].qs.iter())
            .map(|(v, &q)| (v - b[0].d * q as f32).abs())
            .fold(0f32, f32::max);
        assert!(err < 3.0 / 127.0, "max error {err}");
    }
}
