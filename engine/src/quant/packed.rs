//! Weight matrices of 32-element 8-bit blocks (Q8_0, and Q5_0 and Q4_0
//! converted exactly) repacked for AVX-512 VNNI.
//!
//! Rows are taken sixteen at a time. For each block of 32 columns, the
//! sixteen rows' weights are stored as 8 groups of 4 columns, each group
//! holding the 4 bytes of row 0, then of row 1, … of row 15: one 64-byte
//! vector. `vpdpbusd` multiplies such a vector by 4 activation bytes
//! broadcast to every lane and adds the 4 products into each row's lane, so
//! 8 instructions give the 16 rows' integer dot products of one block with
//! no horizontal sum. `vpdpbusd` needs one operand unsigned, so the kernel
//! multiplies `w + 128` by the activations and takes the `128 · Σa` this adds
//! off by starting each block's sum at `-128 · Σa`, which the activations
//! carry. The weights are stored as `w + 128`, except where AMX tiles are
//! usable: there they are stored signed, because the tiles' signed products
//! then need no correction, and the vector kernel (fewer than 8 rows) flips
//! each weight vector to `w + 128` as it loads it (one operation, shared by
//! the rows). The integer sums are the same either way. The 16 block scales
//! sit beside the weights as f16.
//!
//! K-quant rows (Q4_K, Q6_K) are packed the same way, as small integers
//! with an f32 scale and a bias per block and row (Q4_K's minimum), the
//! bias applied through the activations' block sums: `w = scale · v +
//! bias`. Q6_K has a scale per 16 columns, so its blocks keep two scales
//! and take two integer sums (the split form); Q4_K's one scale per 32
//! columns takes one sum, as Q8_0's (the biased form).
//!
//! A block's integer sum is exact, and the float steps (`dw · sum`, then
//! `acc += da · that` as one fused multiply-add) are the same in the vector
//! kernel and the portable one, so both give the same bits. A row's result
//! does not depend on how many activation rows are computed with it.

use half::f16;

use super::amx;
use super::blocks::{BlockQ8_0, QK8_0};

/// Weight rows packed together.
pub const GROUP: usize = 16;

/// Groups per task of a large product (about 80 µs of a batch of 16 on
/// the output projection).
const CHUNK_GROUPS: usize = 64;

/// Groups per span of a summarised product's rows (see
/// [`Packed::matmul_summarised`]).
pub const SUMMARY_GROUPS: usize = 64;

/// Whether weights are packed signed: where the products of 8 or more rows
/// can run on AMX tiles, whose signed products then need no correction
/// (the vector kernel, for fewer rows, flips the weights back to plus 128
/// as it loads them). Elsewhere they are stored plus 128.
fn signed_layout() -> bool {
    AVAILABLE && amx::usable()
}

/// Whether the AVX-512 VNNI kernel is compiled in. Without it the engine
/// keeps weights in their GGUF layout and uses the AVX2 kernels.
pub const AVAILABLE: bool = cfg!(all(
    target_arch = "x86_64",
    target_feature = "avx512f",
    target_feature = "avx512vnni"
));

/// One block of 32 columns of 16 rows: `[quad of columns][row][4 bytes]`,
/// each byte the weight (signed layout) or the weight plus 128.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
pub(super) struct Quads(pub(super) [u8; QK8_0 * GROUP]);

/// The scales of a block's 16 rows for the K-quant form.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
pub(super) struct Split {
    pub(super) lo: [f32; GROUP],
    pub(super) hi: [f32; GROUP],
    pub(super) bias: [f32; GROUP],
}

/// The scale and bias of a block's 16 rows for the K-quant form with one
/// scale per block.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
pub(super) struct Biased {
    pub(super) scale: [f32; GROUP],
    pub(super) bias: [f32; GROUP],
}

/// The scales of every block, laid out like the weights.
enum Scales {
    /// One f16 scale per block and row (Q8_0).
    Q8(Vec<[f16; GROUP]>),
    /// The K-quant form with one scale per block (Q4_K).
    Biased(Vec<Biased>),
    /// The K-quant form with a scale per 16 columns (Q6_K).
    Split(Vec<Split>),
}

/// One 32-column block of one row in the K-quant form: column `c` is
/// `v[c] · lo + bias` for `c < 16`, `v[c] · hi + bias` after.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SplitBlock {
    pub v: [i8; QK8_0],
    pub lo: f32,
    pub hi: f32,
    pub bias: f32,
}

/// A `rows × cols` matrix, `rows` a multiple of [`GROUP`].
pub struct Packed {
    groups: usize,
    kb: usize,
    /// `groups × kb` blocks, group by group.
    qs: Vec<Quads>,
    scales: Scales,
    /// The weights' bytes are the weights themselves (for the tiles'
    /// signed products), not the weights plus 128.
    signed: bool,
}

impl std::fmt::Debug for Packed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Packed({} rows × {} columns)",
            self.groups * GROUP,
            self.kb * QK8_0
        )
    }
}

/// One activation row: its Q8_0 blocks, their scales as f32, and each
/// block's `-128 · Σq` over all 32 values and over the first 16.
#[derive(Clone, Copy)]
pub struct Act<'a> {
    pub q: &'a [BlockQ8_0],
    pub d: &'a [f32],
    pub corr: &'a [i32],
    pub corr_lo: &'a [i32],
}

/// `-128 · Σq` of a block and of its first 16 values, the starts of the
/// packed kernel's sums.
pub fn corrections(a: &BlockQ8_0) -> (i32, i32) {
    let sum = |q: &[i8]| -128 * q.iter().map(|&q| q as i32).sum::<i32>();
    (sum(&a.qs), sum(&a.qs[..16]))
}

/// The activations' block sum `Σq` from its correction `-128 · Σq`, as the
/// float the biased and K-quant forms multiply their biases by.
#[inline(always)]
pub fn block_sum(corr: i32) -> f32 {
    corr as f32 * (-1.0 / 128.0)
}

/// Interleave the blocks of `rows` rows, 16 at a time, keeping each block's
/// scale data beside it; the weights stored signed or plus 128.
fn interleave<S: Copy + Default>(
    rows: usize,
    kb: usize,
    signed: bool,
    block: impl Fn(usize, usize) -> ([i8; QK8_0], S),
) -> (Vec<Quads>, Vec<[S; GROUP]>) {
    assert!(rows.is_multiple_of(GROUP), "{rows} rows");
    let groups = rows / GROUP;
    let mut qs = Vec::with_capacity(groups * kb);
    let mut scales = Vec::with_capacity(groups * kb);
    let flip = if signed { 0 } else { 0x80 };
    for g in 0..groups {
        for b in 0..kb {
            let mut q = Quads([0; QK8_0 * GROUP]);
            let mut s = [S::default(); GROUP];
            for (j, s) in s.iter_mut().enumerate() {
                let (v, scale) = block(g * GROUP + j, b);
                *s = scale;
                for (c, &v) in v.iter().enumerate() {
                    q.0[Packed::at(j, c)] = (v as u8) ^ flip;
                }
            }
            qs.push(q);
            scales.push(s);
        }
    }
    (qs, scales)
}

impl Packed {
    /// Pack `rows` rows of `kb` blocks; `block(r, b)` is row `r`'s block
    /// `b`. `rows` must be a multiple of [`GROUP`].
    pub fn new(rows: usize, kb: usize, block: impl Fn(usize, usize) -> BlockQ8_0) -> Self {
        let signed = signed_layout();
        let (qs, d) = interleave(rows, kb, signed, |r, b| {
            let blk = block(r, b);
            (blk.qs, blk.d)
        });
        Self {
            groups: rows / GROUP,
            kb,
            qs,
            scales: Scales::Q8(d),
            signed,
        }
    }

    /// Pack rows in the K-quant form; `block(r, b)` is row `r`'s block `b`.
    /// Where every block has one scale for both halves (Q4_K), the blocks
    /// take the biased form: one integer sum each instead of two.
    pub fn new_split(rows: usize, kb: usize, block: impl Fn(usize, usize) -> SplitBlock) -> Self {
        let signed = signed_layout();
        let (qs, s) = interleave(rows, kb, signed, |r, b| {
            let blk = block(r, b);
            (blk.v, (blk.lo, blk.hi, blk.bias))
        });
        let one_scale = s
            .iter()
            .all(|s| s.iter().all(|s| s.0.to_bits() == s.1.to_bits()));
        let scales = if one_scale {
            Scales::Biased(
                s.iter()
                    .map(|s| Biased {
                        scale: s.map(|s| s.0),
                        bias: s.map(|s| s.2),
                    })
                    .collect(),
            )
        } else {
            Scales::Split(
                s.iter()
                    .map(|s| Split {
                        lo: s.map(|s| s.0),
                        hi: s.map(|s| s.1),
                        bias: s.map(|s| s.2),
                    })
                    .collect(),
            )
        };
        Self {
            groups: rows / GROUP,
            kb,
            qs,
            scales,
            signed,
        }
    }

    /// Store the weights signed (`true`) or plus 128. Both layouts give the
    /// same bits.
    #[cfg(test)]
    fn set_signed(&mut self, signed: bool) {
        if signed != self.signed {
            for q in &mut self.qs {
                q.0.iter_mut().for_each(|b| *b ^= 0x80);
            }
            self.signed = signed;
        }
    }

    /// The weight a stored byte holds.
    fn weight(&self, byte: u8) -> i8 {
        if self.signed {
            byte as i8
        } else {
            (byte ^ 0x80) as i8
        }
    }

    /// Where row `j` of a group keeps column `c` of a block.
    fn at(j: usize, c: usize) -> usize {
        (c / 4) * 4 * GROUP + j * 4 + c % 4
    }

    #[cfg(test)]
    fn rows(&self) -> usize {
        self.groups * GROUP
    }

    pub fn n_bytes(&self) -> usize {
        std::mem::size_of_val(&self.qs[..])
            + match &self.scales {
                Scales::Q8(d) => std::mem::size_of_val(&d[..]),
                Scales::Biased(s) => std::mem::size_of_val(&s[..]),
                Scales::Split(s) => std::mem::size_of_val(&s[..]),
            }
    }

    /// Row `r` as f32 (a Q8_0 row exactly as it was before packing).
    pub fn row_into(&self, r: usize, out: &mut [f32]) {
        let (g, j) = (r / GROUP, r % GROUP);
        for b in 0..self.kb {
            let i = g * self.kb + b;
            for c in 0..QK8_0 {
                let q = self.weight(self.qs[i].0[Self::at(j, c)]) as f32;
                out[b * QK8_0 + c] = match &self.scales {
                    Scales::Q8(d) => d[i][j].to_f32() * q,
                    Scales::Biased(s) => q.mul_add(s[i].scale[j], s[i].bias[j]),
                    Scales::Split(s) => {
                        let scale = if c < 16 { s[i].lo[j] } else { s[i].hi[j] };
                        q.mul_add(scale, s[i].bias[j])
                    }
                };
            }
        }
    }
}

mod product;

#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx512f",
    target_feature = "avx512vnni"
))]
pub(super) mod avx512;

#[cfg(test)]
mod tests;
