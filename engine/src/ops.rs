//! Element-wise and row-wise f32 operations of the forward pass.

/// Σ a·b.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Eight independent partial sums let the compiler vectorise.
    let mut acc = [0f32; 8];
    let (ca, ra) = a.as_chunks::<8>();
    let (cb, rb) = b.as_chunks::<8>();
    for (x, y) in ca.iter().zip(cb) {
        for j in 0..8 {
            acc[j] = x[j].mul_add(y[j], acc[j]);
        }
    }
    let mut s: f32 = acc.iter().sum();
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// y += a·x.
#[inline]
pub fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y = a.mul_add(x, *y);
    }
}

/// RMS normalisation of each `w.len()`-long row of `x`, in place:
/// `x * w / sqrt(mean(x²) + eps)`.
pub fn rms_norm(x: &mut [f32], w: &[f32], eps: f32) {
    let n = w.len();
    for row in x.chunks_exact_mut(n) {
        let ss = dot(row, row);
        let scale = 1.0 / ((ss / n as f32) + eps).sqrt();
        for (v, &g) in row.iter_mut().zip(w) {
            *v = *v * scale * g;
        }
    }
}

/// `rms_norm` into a separate output.
pub fn rms_norm_into(x: &[f32], w: &[f32], eps: f32, out: &mut [f32]) {
    out.copy_from_slice(x);
    rms_norm(out, w, eps);
}

/// 1.5·2²³: adding it rounds a float of magnitude below 2²² to an integer
/// (ties to even) held in the low mantissa bits, without a float-to-int
/// conversion ([`exp`], [`exp_table`], the Q8_0 quantisers).
pub(crate) const ROUNDING_MAGIC: f32 = 12_582_912.0;

/// eˣ in f32 without a library call, so loops over it vectorise: 2ⁿ·2ᶠ
/// with a degree-6 polynomial for 2ᶠ, |f| ≤ ½ (relative error < 2·10⁻⁷).
/// Below -87 the result is 0; above 88 it is clamped to a finite value.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    // Adding ROUNDING_MAGIC rounds t to an integer (ties to even) in the low
    // mantissa bits: n without a float-to-int conversion, which does not
    // vectorise (a saturating `as` becomes scalar code per lane).
    let t = x.clamp(-87.0, 88.0) * std::f32::consts::LOG2_E;
    let shifted = t + ROUNDING_MAGIC;
    let n = shifted - ROUNDING_MAGIC;
    let f = t - n;
    let p = 1.0
        + f * (std::f32::consts::LN_2
            + f * (0.240_226_5
                + f * (0.055_504_11
                    + f * (0.009_618_129 + f * (0.001_333_355 + f * 0.000_154_035_3)))));
    let n_bits = shifted.to_bits().wrapping_sub(ROUNDING_MAGIC.to_bits());
    let r = p * f32::from_bits(n_bits.wrapping_add(127) << 23);
    if x < -87.0 { 0.0 } else { r }
}

/// GELU, tanh approximation (as `gelu_pytorch_tanh` and ggml), written as
/// x·σ(2z) since ½(1 + tanh z) = σ(2z).
#[inline(always)]
pub fn gelu(x: f32) -> f32 {
    const TWO_SQRT_2_OVER_PI: f32 = 2.0 * 0.797_884_6;
    x / (1.0 + exp(-TWO_SQRT_2_OVER_PI * x * (1.0 + 0.044_715 * x * x)))
}

/// SiLU: x·σ(x).
#[inline(always)]
pub fn silu(x: f32) -> f32 {
    x / (1.0 + exp(-x))
}

/// Softmax in place.
pub fn softmax(x: &mut [f32]) {
    // The same maximum as a fold of `f32::max`, taken lane by lane.
    let max = max(x);
    for v in x.iter_mut() {
        *v = exp(*v - max);
    }
    let inv = 1.0 / sum(x);
    for v in x.iter_mut() {
        *v *= inv;
    }
}

/// Σ x with eight partial sums (vectorises; accurate enough for 10⁶ terms).
pub fn sum(x: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (chunks, rest) = x.as_chunks::<8>();
    for c in chunks {
        for j in 0..8 {
            acc[j] += c[j];
        }
    }
    acc.iter().sum::<f32>() + rest.iter().sum::<f32>()
}

/// The largest value (−∞ for none; NaNs are skipped). The maximum is taken
/// lane by lane, which vectorises; `f32::max` in a fold does not.
pub fn max(x: &[f32]) -> f32 {
    let mut lanes = [f32::NEG_INFINITY; 16];
    let (chunks, rest) = x.as_chunks::<16>();
    for c in chunks {
        for (m, &v) in lanes.iter_mut().zip(c) {
            if v > *m {
                *m = v;
            }
        }
    }
    lanes
        .iter()
        .chain(rest)
        .fold(f32::NEG_INFINITY, |m, &v| if v > m { v } else { m })
}

/// Values of a [`Partial`]'s span: the summaries of a vocabulary-sized row
/// are computed span by span (on several threads in a batch), and combined in
/// span order, so the result does not depend on the threads or the batch.
pub const SPAN: usize = 32_768;

/// Values read per pass: a block's maximum is taken, then its exponentials
/// summed while it is still in L1, so the row is read from memory once.
const BLOCK: usize = 2048;

/// What the log-sum-exp and the greedy choice need of a span of values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Partial {
    /// The largest value (−∞ for none).
    pub max: f32,
    /// Its first position, counted from the start of the row.
    pub at: usize,
    /// Σ exp(x − max) over the span; NaN where only the maximum was asked
    /// for (see [`Lanes::push`]).
    pub sum: f32,
}

impl Partial {
    /// The summary of `x`, whose first value is at position `offset` of
    /// its row.
    pub fn of(x: &[f32], offset: usize) -> Self {
        let mut p = Partial {
            max: f32::NEG_INFINITY,
            at: offset,
            sum: 0.0,
        };
        let mut acc = [0f32; 16];
        for (bi, b) in x.chunks(BLOCK).enumerate() {
            let m = max(b);
            if m > p.max {
                if p.max != f32::NEG_INFINITY {
                    let f = exp(p.max - m);
                    acc.iter_mut().for_each(|a| *a *= f);
                    p.sum *= f;
                }
                p.max = m;
                p.at = offset + bi * BLOCK + b.iter().position(|&v| v == m).unwrap_or(0);
            }
            if p.max == f32::NEG_INFINITY {
                continue;
            }
            let (chunks, rest) = b.as_chunks::<16>();
            for c in chunks {
                for j in 0..16 {
                    acc[j] += exp(c[j] - p.max);
                }
            }
            p.sum += rest.iter().map(|&v| exp(v - p.max)).sum::<f32>();
        }
        p.sum += acc.iter().sum::<f32>();
        p
    }

    /// The summary of this span followed by `next`.
    pub fn then(self, next: Partial) -> Partial {
        if next.max > self.max {
            let f = if self.max == f32::NEG_INFINITY {
                0.0
            } else {
                exp(self.max - next.max)
            };
            Partial {
                sum: self.sum.mul_add(f, next.sum),
                ..next
            }
        } else if next.max == f32::NEG_INFINITY {
            self
        } else {
            Partial {
                sum: next.sum.mul_add(exp(next.max - self.max), self.sum),
                ..self
            }
        }
    }

    /// The summary of a whole row, span by span.
    pub fn of_row(x: &[f32]) -> Partial {
        Self::combine(
            x.chunks(SPAN)
                .enumerate()
                .map(|(i, s)| Partial::of(s, i * SPAN)),
        )
    }

    /// The spans' summaries, in order, combined.
    pub fn combine(spans: impl IntoIterator<Item = Partial>) -> Partial {
        spans.into_iter().fold(
            Partial {
                max: f32::NEG_INFINITY,
                at: 0,
                sum: 0.0,
            },
            Partial::then,
        )
    }

    /// log Σ exp(x) (−∞ for no values).
    pub fn log_sum_exp(&self) -> f32 {
        if self.max == f32::NEG_INFINITY {
            return self.max;
        }
        self.max + self.sum.ln()
    }
}

/// 16 / ln 2: sixteenths of a power of two per unit of x.
const SIXTEENTHS_PER_E: f32 = 23.083_12;

/// 2^(j/16) for j = 0..16.
const POW2_SIXTEENTHS: [f32; 16] = [
    1.0,
    1.044_273_7,
    1.090_507_7,
    1.138_788_6,
    1.189_207_1,
    1.241_857_8,
    1.296_839_6,
    1.354_255_6,
    std::f32::consts::SQRT_2,
    1.476_826_2,
    1.542_210_8,
    1.610_490_3,
    1.681_792_9,
    1.756_252_2,
    1.834_008_1,
    1.915_206_6,
];

/// Taylor coefficients of 2^(f/16) − 1 in f, for |f| ≤ ½: (ln 2/16)^n / n!.
const EXP2_SIXTEENTH: [f32; 3] = [0.043_321_7, 0.000_938_384_8, 1.355_080_8e-5];

/// exp(x) for x ≤ 0 (and NaN, which counts as −87), by a table of sixteen
/// powers of two and a cubic: relative error about 10⁻⁸ from the cubic,
/// within a few float roundings overall. [`Lanes`] uses it; it takes 15
/// vector operations where [`exp`] takes 22, so summarising a batch's
/// logits costs less. The vector form in `Lanes::push_avx512` does the same
/// operations (`_mm512_scalef_ps` is the exact multiplication by 2^⌊k/16⌋
/// done here with the exponent bits), so the same bits.
#[inline(always)]
pub fn exp_table(x: f32) -> f32 {
    let c = x.max(-87.0);
    let t = c * SIXTEENTHS_PER_E;
    let shifted = t + ROUNDING_MAGIC;
    let k = shifted - ROUNDING_MAGIC;
    let f = t - k;
    let [c1, c2, c3] = EXP2_SIXTEENTH;
    let q = f * f.mul_add(f.mul_add(c3, c2), c1);
    let tj = POW2_SIXTEENTHS[(shifted.to_bits() & 15) as usize];
    // ⌊k/16⌋ ≥ −126, so 2^⌊k/16⌋ is a normal float.
    let e = (k * (1.0 / 16.0)).floor() as i32;
    let r = tj.mul_add(q, tj) * f32::from_bits(((e + 127) as u32) << 23);
    if x < -87.0 { 0.0 } else { r }
}

/// A [`Partial`] built 16 values at a time, lane by lane, as a product
/// writes them: the output projection summarises each group of logits
/// while it is still in L1, so the row is never read back. Each lane keeps
/// its own running maximum, and its sum of exponentials is rescaled when
/// the maximum rises (one exponential per value either way).
///
/// With `EXP` false only the maximum and its position are kept (a greedy
/// choice needs no more): a compare and three blends per 16 values where
/// the sum takes some twenty operations, which in a batch-16 decode step
/// was about 5% of the step. The finished sum is then NaN.
#[derive(Debug, Clone, Copy)]
pub struct Lanes {
    /// Starts at `f32::MIN`, not −∞, so that `x − max` is never −∞ − −∞.
    max: [f32; 16],
    sum: [f32; 16],
    at: [u32; 16],
}

impl Default for Lanes {
    fn default() -> Self {
        Self {
            max: [f32::MIN; 16],
            sum: [0.0; 16],
            at: [0; 16],
        }
    }
}

impl Lanes {
    /// Takes in `v`, the values at positions `pos..pos + 16` of the row;
    /// with `EXP`, into the sums of exponentials too.
    #[inline(always)]
    pub fn push<const EXP: bool>(&mut self, v: &[f32; 16], pos: u32) {
        #[cfg(all(target_arch = "x86_64", target_feature = "avx512f"))]
        // SAFETY: AVX-512F is enabled at compile time.
        unsafe {
            self.push_avx512::<EXP>(v, pos)
        }
        #[cfg(not(all(target_arch = "x86_64", target_feature = "avx512f")))]
        self.push_lanes::<EXP>(v, pos)
    }

    /// [`Lanes::push`] in one 16-lane vector per step: the same operations
    /// as the lane loop (and as [`exp_table`]), so the same bits. With the
    /// lane loop alone, batch-16 decode was 3–6% slower (`batch` example,
    /// the two builds in turns, on a phase fast for memory).
    #[cfg(all(target_arch = "x86_64", target_feature = "avx512f"))]
    #[inline(always)]
    unsafe fn push_avx512<const EXP: bool>(&mut self, v: &[f32; 16], pos: u32) {
        use std::arch::x86_64::*;
        unsafe {
            let x = _mm512_loadu_ps(v.as_ptr());
            let m = _mm512_loadu_ps(self.max.as_ptr());
            let sum = _mm512_loadu_ps(self.sum.as_ptr());
            let at = _mm512_loadu_si512(self.at.as_ptr().cast());
            // The lanes whose maximum rises.
            let up = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(x, m);
            let iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
            let here = _mm512_add_epi32(_mm512_set1_epi32(pos as i32), iota);
            _mm512_storeu_ps(self.max.as_mut_ptr(), _mm512_mask_blend_ps(up, m, x));
            _mm512_storeu_si512(
                self.at.as_mut_ptr().cast(),
                _mm512_mask_blend_epi32(up, at, here),
            );
            if !EXP {
                // A lane that saw a value keeps a sum of 1, so that
                // `finish` can tell it from one that saw nothing.
                let seen = _mm512_mask_blend_ps(up, sum, _mm512_set1_ps(1.0));
                _mm512_storeu_ps(self.sum.as_mut_ptr(), seen);
                return;
            }
            // −|x − m|: the sign bit set.
            let d = _mm512_sub_ps(x, m);
            let neg = _mm512_castsi512_ps(_mm512_or_si512(
                _mm512_castps_si512(d),
                _mm512_set1_epi32(i32::MIN),
            ));
            // exp(neg), as `exp_table` computes it.
            let c = _mm512_max_ps(neg, _mm512_set1_ps(-87.0));
            let t = _mm512_mul_ps(c, _mm512_set1_ps(SIXTEENTHS_PER_E));
            let shifted = _mm512_add_ps(t, _mm512_set1_ps(ROUNDING_MAGIC));
            let k = _mm512_sub_ps(shifted, _mm512_set1_ps(ROUNDING_MAGIC));
            let f = _mm512_sub_ps(t, k);
            let [c1, c2, c3] = EXP2_SIXTEENTH.map(|c| _mm512_set1_ps(c));
            let q = _mm512_mul_ps(f, _mm512_fmadd_ps(f, _mm512_fmadd_ps(f, c3, c2), c1));
            // The table takes the low 4 bits of `shifted`, which are k's.
            let tj = _mm512_permutexvar_ps(
                _mm512_castps_si512(shifted),
                _mm512_loadu_ps(POW2_SIXTEENTHS.as_ptr()),
            );
            let r = _mm512_scalef_ps(
                _mm512_fmadd_ps(tj, q, tj),
                _mm512_mul_ps(k, _mm512_set1_ps(1.0 / 16.0)),
            );
            let low = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(neg, _mm512_set1_ps(-87.0));
            let e = _mm512_mask_mov_ps(r, low, _mm512_setzero_ps());
            let sum = _mm512_mask_blend_ps(
                up,
                _mm512_add_ps(sum, e),
                _mm512_fmadd_ps(sum, e, _mm512_set1_ps(1.0)),
            );
            _mm512_storeu_ps(self.sum.as_mut_ptr(), sum);
        }
    }

    /// [`Lanes::push`], lane by lane.
    #[cfg_attr(
        all(target_arch = "x86_64", target_feature = "avx512f"),
        allow(dead_code)
    )]
    #[allow(clippy::needless_range_loop, reason = "lane j of four arrays")]
    #[inline(always)]
    fn push_lanes<const EXP: bool>(&mut self, v: &[f32; 16], pos: u32) {
        for j in 0..16 {
            let (x, m) = (v[j], self.max[j]);
            // exp(x − m) when x ≤ m; when x > m the old sum is rescaled
            // by exp(m − x) and x adds 1.
            let e = if EXP { exp_table(-(x - m).abs()) } else { 0.0 };
            let up = x > m;
            self.sum[j] = if up {
                self.sum[j].mul_add(e, 1.0)
            } else {
                self.sum[j] + e
            };
            self.max[j] = if up { x } else { m };
            self.at[j] = if up { pos + j as u32 } else { self.at[j] };
        }
    }

    /// The summary of everything pushed: the largest value with its first
    /// position, and (with `EXP`, as pushed) the lanes' sums rescaled to it,
    /// added in lane order, else NaN. Written without branches, so it
    /// vectorises.
    pub fn finish<const EXP: bool>(&self) -> Partial {
        if self.sum.iter().all(|&s| s == 0.0) {
            return Partial::combine([]);
        }
        // Lanes that saw nothing keep `f32::MIN` and a zero sum.
        let max = self.max.iter().fold(f32::MIN, |m, &v| m.max(v));
        let (mut sums, mut ats) = ([0f32; 16], [u32::MAX; 16]);
        for j in 0..16 {
            sums[j] = self.sum[j] * exp(self.max[j] - max);
            ats[j] = if self.max[j] == max {
                self.at[j]
            } else {
                u32::MAX
            };
        }
        Partial {
            max,
            at: ats.iter().copied().min().unwrap_or(0) as usize,
            sum: if EXP { sums.iter().sum() } else { f32::NAN },
        }
    }
}

/// log Σ exp(x).
pub fn log_sum_exp(x: &[f32]) -> f32 {
    Partial::of_row(x).log_sum_exp()
}

/// How rotary embeddings pair the dimensions of a head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RopeStyle {
    /// Dimension i rotates with i + d/2 (GPT-NeoX, Gemma, Qwen).
    Halves,
    /// Dimension 2i rotates with 2i + 1 (llama GGUFs, whose Q/K rows the
    /// converter permuted).
    Interleaved,
}

/// Rotary position tables for one position: cos and sin per frequency.
#[derive(Debug, Clone)]
pub struct Rope {
    /// θ_i = base^(-2i/d) / scale for i < d/2.
    inv_freq: Vec<f32>,
    pub style: RopeStyle,
}

impl Rope {
    /// `dims` rotated dimensions per head, frequency `base`, positions
    /// divided by `linear_scale` (1 for none).
    pub fn new(dims: usize, base: f32, linear_scale: f32, style: RopeStyle) -> Self {
        let inv_freq = (0..dims / 2)
            .map(|i| {
                let f = (base as f64).powf(-2.0 * i as f64 / dims as f64) / linear_scale as f64;
                f as f32
            })
            .collect();
        Self { inv_freq, style }
    }

    /// Divide each frequency by a factor (llama 3's `rope_freqs` tensor).
    pub fn divide_freqs(&mut self, factors: &[f32]) {
        for (f, &d) in self.inv_freq.iter_mut().zip(factors) {
            *f /= d;
        }
    }

    pub fn half_dims(&self) -> usize {
        self.inv_freq.len()
    }

    /// cos and sin of every frequency at position `pos`, written to `cs`
    /// (`2 × half_dims`: all cos, then all sin).
    pub fn table(&self, pos: usize, cs: &mut [f32]) {
        let h = self.inv_freq.len();
        for (i, &f) in self.inv_freq.iter().enumerate() {
            let theta = pos as f32 * f;
            let (s, c) = theta.sin_cos();
            cs[i] = c;
            cs[h + i] = s;
        }
    }

    /// Rotate each `head_dim`-long head of `x` with the table of its position.
    pub fn apply(&self, x: &mut [f32], head_dim: usize, cs: &[f32]) {
        let h = self.inv_freq.len();
        let (cos, sin) = cs.split_at(h);
        for head in x.chunks_exact_mut(head_dim) {
            match self.style {
                RopeStyle::Halves => {
                    let (a, b) = head.split_at_mut(h);
                    for i in 0..h {
                        let (x0, x1) = (a[i], b[i]);
                        a[i] = x0 * cos[i] - x1 * sin[i];
                        b[i] = x0 * sin[i] + x1 * cos[i];
                    }
                }
                RopeStyle::Interleaved => {
                    for i in 0..h {
                        let (x0, x1) = (head[2 * i], head[2 * i + 1]);
                        head[2 * i] = x0 * cos[i] - x1 * sin[i];
                        head[2 * i + 1] = x0 * sin[i] + x1 * cos[i];
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rms_norm_gives_unit_rms() {
        let mut x = vec![3.0, -4.0, 0.0, 5.0];
        rms_norm(&mut x, &[1.0; 4], 0.0);
        let rms = (x.iter().map(|v| v * v).sum::<f32>() / 4.0).sqrt();
        assert!((rms - 1.0).abs() < 1e-6, "{rms}");
        assert!((x[0] - 3.0 / (50f32 / 4.0).sqrt()).abs() < 1e-6);
    }

    #[test]
    fn fast_exp_is_accurate() {
        for i in -8000..=8000 {
            let x = i as f32 * 0.01;
            let (a, b) = (exp(x), x.exp());
            // |x|·2⁻²⁴ of absolute error in x·log₂e is inherent to the method.
            let tol = 5e-7f32.max(x.abs() * 1e-7);
            assert!(((a - b) / b).abs() < tol, "exp({x}) = {a} vs {b}");
        }
        assert_eq!(exp(-1000.0), 0.0);
        assert!(exp(1000.0).is_finite());
        // The rounding trick gives the same bits as rounding and converting.
        for i in -1_000_000..=1_000_000 {
            let x = i as f32 * 1e-4;
            let t = x.clamp(-87.0, 88.0) * std::f32::consts::LOG2_E;
            let n = t.round_ties_even();
            let f = t - n;
            let p = 1.0
                + f * (std::f32::consts::LN_2
                    + f * (0.240_226_5
                        + f * (0.055_504_11
                            + f * (0.009_618_129 + f * (0.001_333_355 + f * 0.000_154_035_3)))));
            let want = if x < -87.0 {
                0.0
            } else {
                p * f32::from_bits(((n as i32 + 127) as u32) << 23)
            };
            assert_eq!(exp(x).to_bits(), want.to_bits(), "exp({x})");
        }
    }

    #[test]
    fn gelu_matches_reference_values() {
        // torch.nn.functional.gelu(x, approximate="tanh")
        for (x, y) in [
            (-3.0, -0.003_637_4),
            (-1.0, -0.158_808),
            (0.5, 0.345_714),
            (2.0, 1.954_598),
        ] {
            assert!((gelu(x) - y).abs() < 1e-5, "gelu({x}) = {}", gelu(x));
        }
    }

    #[test]
    fn rope_preserves_norm_and_rotates_position_zero_not_at_all() {
        let rope = Rope::new(8, 10000.0, 1.0, RopeStyle::Halves);
        let mut cs = vec![0f32; 8];
        rope.table(0, &mut cs);
        let orig: Vec<f32> = (0..8).map(|i| i as f32 - 3.5).collect();
        let mut x = orig.clone();
        rope.apply(&mut x, 8, &cs);
        assert_eq!(x, orig);
        rope.table(17, &mut cs);
        rope.apply(&mut x, 8, &cs);
        let n0: f32 = orig.iter().map(|v| v * v).sum();
        let n1: f32 = x.iter().map(|v| v * v).sum();
        assert!((n0 - n1).abs() < 1e-3);
        assert_ne!(x, orig);
    }

    #[test]
    fn softmax_sums_to_one() {
        let mut x = vec![1.0, 2.0, 3.0, -1e9];
        softmax(&mut x);
        assert!((x.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(x[3] == 0.0 && x[2] > x[1]);
        assert!((log_sum_exp(&[0.0, 0.0]) - 2f32.ln()).abs() < 1e-6);
    }

    /// A row's summary read block by block and span by span: the exact
    /// log-sum-exp (closely), the first position of the largest value, and
    /// the same bits however the spans are grouped.
    #[test]
    fn row_summaries_match_the_exact_values_and_take_the_first_maximum() {
        // Rising, so the running maximum changes block after block, with
        // the largest value twice (the first one must be reported).
        let n = 2 * SPAN + 5000;
        let mut x: Vec<f32> = (0..n)
            .map(|i| (i as f32 * 0.37).sin() * 4.0 + i as f32 * 1e-4)
            .collect();
        x[40_000] = 30.0;
        x[70_000] = 30.0;
        let p = Partial::of_row(&x);
        assert_eq!((p.max, p.at), (30.0, 40_000));
        let exact = x.iter().map(|&v| (v as f64 - 30.0).exp()).sum::<f64>().ln() + 30.0;
        assert!(
            (p.log_sum_exp() as f64 - exact).abs() < 1e-5,
            "{} {exact}",
            p.log_sum_exp()
        );
        assert_eq!(log_sum_exp(&x), p.log_sum_exp());
        // Spans computed apart (as the batch's tasks do) and combined.
        let parts: Vec<Partial> = x
            .chunks(SPAN)
            .enumerate()
            .map(|(i, s)| Partial::of(s, i * SPAN))
            .collect();
        assert_eq!(Partial::combine(parts), p);
        // Nothing but −∞: position 0, log-sum-exp −∞.
        let none = Partial::of_row(&[f32::NEG_INFINITY; 3]);
        assert_eq!((none.at, none.log_sum_exp()), (0, f32::NEG_INFINITY));
        assert_eq!(Partial::of_row(&[]).log_sum_exp(), f32::NEG_INFINITY);
    }

    /// Values pushed 16 at a time: the row's maximum and its first position
    /// exactly, Σ exp closely; the vector step and the lane loop give the
    /// same bits; −∞ values count for nothing.
    #[test]
    fn lanes_summarise_a_row_as_partial_does() {
        let n = 16 * 300;
        let mut x: Vec<f32> = (0..n)
            .map(|i| (i as f32 * 0.61).cos() * 6.0 + i as f32 * 2e-3)
            .collect();
        x[1000] = 25.0;
        x[3001] = 25.0;
        x[7] = f32::NEG_INFINITY;
        let (mut fast, mut lanes) = (Lanes::default(), Lanes::default());
        for (k, v) in x.as_chunks::<16>().0.iter().enumerate() {
            fast.push::<true>(v, (k * 16) as u32);
            lanes.push_lanes::<true>(v, (k * 16) as u32);
            assert_eq!(
                (fast.max, fast.sum, fast.at),
                (lanes.max, lanes.sum, lanes.at),
                "after {k}"
            );
        }
        let (got, want) = (fast.finish::<true>(), Partial::of_row(&x));
        assert_eq!((got.max, got.at), (25.0, 1000));
        let (a, b) = (got.log_sum_exp(), want.log_sum_exp());
        assert!((a - b).abs() < 1e-5 * b.abs(), "{a} vs {b}");
        // Nothing, or nothing but −∞: as `Partial` has it.
        let mut none = Lanes::default();
        assert_eq!(none.finish::<true>(), Partial::combine([]));
        none.push::<true>(&[f32::NEG_INFINITY; 16], 0);
        assert_eq!(none.finish::<true>().log_sum_exp(), f32::NEG_INFINITY);
    }

    /// Without the sums: the same maximum and first position, from the
    /// vector step and the lane loop alike, and a NaN sum; nothing, or
    /// nothing but −∞, still reads as no values.
    #[test]
    fn lanes_without_sums_keep_the_maximum_and_its_first_position() {
        let mut x: Vec<f32> = (0..16 * 200).map(|i| (i as f32 * 0.43).sin()).collect();
        x[900] = 9.0;
        x[2500] = 9.0;
        x[3] = f32::NEG_INFINITY;
        let (mut fast, mut lanes) = (Lanes::default(), Lanes::default());
        for (k, v) in x.as_chunks::<16>().0.iter().enumerate() {
            fast.push::<false>(v, (k * 16) as u32);
            lanes.push_lanes::<false>(v, (k * 16) as u32);
            assert_eq!(
                (fast.max, fast.sum, fast.at),
                (lanes.max, lanes.sum, lanes.at),
                "after {k}"
            );
        }
        let got = fast.finish::<false>();
        assert_eq!((got.max, got.at), (9.0, 900));
        assert!(got.sum.is_nan());
        let mut none = Lanes::default();
        assert_eq!(none.finish::<false>().max, f32::NEG_INFINITY);
        none.push::<false>(&[f32::NEG_INFINITY; 16], 0);
        assert_eq!(none.finish::<false>().max, f32::NEG_INFINITY);
    }

    #[test]
    fn exp_table_is_close_to_exp_for_x_up_to_zero() {
        // Both lose digits of x·log₂e for large |x| (as `exp` does):
        // compare each with the exact exponential, near and far from 0.
        for (lo, bound) in [(-1.0, 3e-7), (-87.0, 5e-6)] {
            let (mut worst, mut worst_exp) = (0f64, 0f64);
            for i in 0..=100_000 {
                let x = lo * i as f32 / 100_000.0;
                let want = (x as f64).exp();
                worst = worst.max((exp_table(x) as f64 - want).abs() / want);
                worst_exp = worst_exp.max((exp(x) as f64 - want).abs() / want);
            }
            assert!(worst < bound, "from {lo}: relative error {worst}");
            assert!(
                worst <= worst_exp * 1.01,
                "from {lo}: {worst} vs exp's {worst_exp}"
            );
        }
        assert_eq!(exp_table(0.0), 1.0);
        assert_eq!(exp_table(-88.0), 0.0);
        assert_eq!(exp_table(f32::NEG_INFINITY), 0.0);
    }

    #[test]
    fn max_skips_nans_and_is_minus_infinity_for_nothing() {
        let mut x: Vec<f32> = (0..37).map(|i| (i as f32 * 0.7).sin()).collect();
        let want = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        x[3] = f32::NAN;
        x[36] = f32::NAN;
        assert_eq!(max(&x), want);
        assert_eq!(max(&[]), f32::NEG_INFINITY);
        assert_eq!(max(&[f32::NAN]), f32::NEG_INFINITY);
        x[20] = 5.0;
        assert_eq!(max(&x), 5.0);
    }
}
