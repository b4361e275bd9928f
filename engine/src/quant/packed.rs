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

use super::amx::{self, Tiles};
use super::blocks::{BlockQ8_0, QK8_0};
use crate::pool::{SyncPtr, ThreadPool};
#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx512f",
    target_feature = "avx512vnni"
))]
use std::arch::x86_64::__m512;

/// Weight rows packed together.
pub const GROUP: usize = 16;

/// Groups per task of a large product (about 80 µs of a batch of 16 on
/// the output projection).
const CHUNK_GROUPS: usize = 64;

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

/// How a block's integer sums become floats: the 16 rows' scales, and the
/// bias times the activations' block sum where there is one. Generic code
/// over this gives one kernel for the Q8_0 and the biased forms.
#[cfg_attr(
    not(all(
        target_arch = "x86_64",
        target_feature = "avx512f",
        target_feature = "avx512vnni"
    )),
    allow(dead_code)
)]
pub(super) trait OneScale: Copy {
    /// Whether there is a bias.
    const BIAS: bool;
    /// The 16 scales, and the 16 biases (undefined without).
    ///
    /// # Safety
    /// AVX-512 must be available.
    #[cfg(all(
        target_arch = "x86_64",
        target_feature = "avx512f",
        target_feature = "avx512vnni"
    ))]
    unsafe fn vectors(&self) -> (__m512, __m512);
}

impl OneScale for [f16; GROUP] {
    const BIAS: bool = false;
    #[cfg(all(
        target_arch = "x86_64",
        target_feature = "avx512f",
        target_feature = "avx512vnni"
    ))]
    #[inline(always)]
    unsafe fn vectors(&self) -> (__m512, __m512) {
        use std::arch::x86_64::{__m256i, _mm256_loadu_si256, _mm512_cvtph_ps, _mm512_setzero_ps};
        // SAFETY: the caller's promise; 16 f16 are 32 bytes.
        unsafe {
            let d = _mm512_cvtph_ps(_mm256_loadu_si256(self.as_ptr() as *const __m256i));
            (d, _mm512_setzero_ps())
        }
    }
}

impl OneScale for Biased {
    const BIAS: bool = true;
    #[cfg(all(
        target_arch = "x86_64",
        target_feature = "avx512f",
        target_feature = "avx512vnni"
    ))]
    #[inline(always)]
    unsafe fn vectors(&self) -> (__m512, __m512) {
        use std::arch::x86_64::_mm512_loadu_ps;
        // SAFETY: the caller's promise; both arrays are 16 floats.
        unsafe {
            (
                _mm512_loadu_ps(self.scale.as_ptr()),
                _mm512_loadu_ps(self.bias.as_ptr()),
            )
        }
    }
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

/// Interleave the blocks of `rows` rows, 16 at a time, keeping each block's
/// scale data beside it.
fn interleave<S: Copy + Default>(
    rows: usize,
    kb: usize,
    block: impl Fn(usize, usize) -> ([i8; QK8_0], S),
) -> (Vec<Quads>, Vec<[S; GROUP]>) {
    assert!(rows.is_multiple_of(GROUP), "{rows} rows");
    let groups = rows / GROUP;
    let mut qs = Vec::with_capacity(groups * kb);
    let mut scales = Vec::with_capacity(groups * kb);
    for g in 0..groups {
        for b in 0..kb {
            let mut q = Quads([0; QK8_0 * GROUP]);
            let mut s = [S::default(); GROUP];
            for (j, s) in s.iter_mut().enumerate() {
                let (v, scale) = block(g * GROUP + j, b);
                *s = scale;
                for (c, &v) in v.iter().enumerate() {
                    q.0[Packed::at(j, c)] = (v as u8) ^ 0x80;
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
        let (qs, d) = interleave(rows, kb, |r, b| {
            let blk = block(r, b);
            (blk.qs, blk.d)
        });
        Self {
            groups: rows / GROUP,
            kb,
            qs,
            scales: Scales::Q8(d),
            signed: false,
        }
        .with_signed(signed_layout())
    }

    /// Pack rows in the K-quant form; `block(r, b)` is row `r`'s block `b`.
    /// Where every block has one scale for both halves (Q4_K), the blocks
    /// take the biased form: one integer sum each instead of two.
    pub fn new_split(rows: usize, kb: usize, block: impl Fn(usize, usize) -> SplitBlock) -> Self {
        let (qs, s) = interleave(rows, kb, |r, b| {
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
            signed: false,
        }
        .with_signed(signed_layout())
    }

    /// The same matrix with the weights stored signed (`true`) or plus 128.
    /// Both layouts give the same bits.
    fn with_signed(mut self, signed: bool) -> Self {
        self.set_signed(signed);
        self
    }

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

    /// Ask for block `i`'s weights and scales to be brought into cache.
    #[inline(always)]
    fn prefetch(&self, i: usize) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            let Some(q) = self.qs.get(i) else { return };
            let lines = |p: *const i8, bytes: usize| {
                for l in (0..bytes).step_by(64) {
                    // SAFETY: a prefetch does not fault; the address is
                    // inside the block.
                    unsafe { _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(l)) }
                }
            };
            lines(q.0.as_ptr() as *const i8, std::mem::size_of::<Quads>());
            match &self.scales {
                Scales::Q8(d) => lines(d[i].as_ptr() as *const i8, size_of::<[f16; GROUP]>()),
                Scales::Biased(s) => {
                    lines(&s[i] as *const Biased as *const i8, size_of::<Biased>())
                }
                Scales::Split(s) => lines(&s[i] as *const Split as *const i8, size_of::<Split>()),
            }
        }
    }

    /// The 16 rows of group `g` against activation rows `a`, into
    /// `out[r][0..16]`. While block `b` is computed, block `ahead.start + b`
    /// (if still in `ahead`) is prefetched.
    #[inline]
    fn group<const R: usize>(
        &self,
        g: usize,
        a: [Act<'_>; R],
        out: [&mut [f32]; R],
        ahead: std::ops::Range<usize>,
    ) {
        let range = g * self.kb..(g + 1) * self.kb;
        let qs = &self.qs[range.clone()];
        let kb = self.kb;
        assert!(a.iter().all(|a| {
            a.q.len() == kb && a.d.len() == kb && a.corr.len() == kb && a.corr_lo.len() == kb
        }));
        assert!(out.iter().all(|o| o.len() == GROUP));
        let prefetch = |b: usize| {
            if b < ahead.len() {
                self.prefetch(ahead.start + b)
            }
        };
        #[cfg(all(
            target_arch = "x86_64",
            target_feature = "avx512f",
            target_feature = "avx512vnni"
        ))]
        // SAFETY: the features are enabled at compile time; lengths are
        // checked above.
        unsafe {
            use avx512::{group, group_split};
            match (&self.scales, self.signed) {
                (Scales::Q8(d), true) => group::<_, R, true>(qs, &d[range], a, out, prefetch),
                (Scales::Q8(d), false) => group::<_, R, false>(qs, &d[range], a, out, prefetch),
                (Scales::Biased(s), true) => group::<_, R, true>(qs, &s[range], a, out, prefetch),
                (Scales::Biased(s), false) => group::<_, R, false>(qs, &s[range], a, out, prefetch),
                (Scales::Split(s), true) => group_split::<R, true>(qs, &s[range], a, out, prefetch),
                (Scales::Split(s), false) => {
                    group_split::<R, false>(qs, &s[range], a, out, prefetch)
                }
            }
        }
        #[cfg(not(all(
            target_arch = "x86_64",
            target_feature = "avx512f",
            target_feature = "avx512vnni"
        )))]
        {
            let _ = (prefetch, qs);
            for (a, out) in a.iter().zip(out) {
                portable(self, range.clone(), a, out);
            }
        }
    }

    /// The 16 rows of group `g` against the activation rows of tile chunk
    /// `chunk`, on AMX tiles, into `out[r][0..16]` for the chunk's rows
    /// (`out.len()` of them); prefetching as [`Packed::group`].
    #[cfg(all(
        target_arch = "x86_64",
        target_feature = "avx512f",
        target_feature = "avx512vnni"
    ))]
    #[inline]
    fn tile_group(
        &self,
        g: usize,
        tiles: &Tiles,
        chunk: usize,
        out: &mut [&mut [f32]],
        ahead: std::ops::Range<usize>,
    ) {
        use super::amx::kernel;
        let range = g * self.kb..(g + 1) * self.kb;
        let qs = &self.qs[range.clone()];
        assert!(tiles.kb() == self.kb && chunk < tiles.chunks() && out.len() <= amx::ROWS);
        assert!(out.iter().all(|o| o.len() == GROUP));
        let prefetch = |b: usize| {
            if b < ahead.len() {
                self.prefetch(ahead.start + b)
            }
        };
        // SAFETY: `matmul` holds a tile session on this thread while it
        // calls this; lengths are checked above.
        unsafe {
            // The row counts the kernels are built for: 4, 8 or 16.
            macro_rules! rows {
                ($kernel:ident, $scales:expr, $signed:literal) => {
                    match out.len() {
                        0..=4 => {
                            kernel::$kernel::<4, $signed>(qs, $scales, tiles, chunk, out, prefetch)
                        }
                        5..=8 => {
                            kernel::$kernel::<8, $signed>(qs, $scales, tiles, chunk, out, prefetch)
                        }
                        _ => {
                            kernel::$kernel::<16, $signed>(qs, $scales, tiles, chunk, out, prefetch)
                        }
                    }
                };
            }
            match (&self.scales, self.signed) {
                (Scales::Q8(d), true) => rows!(group, &d[range], true),
                (Scales::Q8(d), false) => rows!(group, &d[range], false),
                (Scales::Biased(s), true) => rows!(group, &s[range], true),
                (Scales::Biased(s), false) => rows!(group, &s[range], false),
                (Scales::Split(s), true) => rows!(group_split, &s[range], true),
                (Scales::Split(s), false) => rows!(group_split, &s[range], false),
            }
        }
    }

    /// `outs[i][r] = x[i] · W[r]` for every activation row `i`; each of
    /// `outs` points to `rows` floats that no one else touches meanwhile.
    /// With `tiles` (the same activations in tile order, see
    /// [`amx::Tiles`]) the products run on AMX tiles, 16 activation rows at
    /// a time; without, on the vector kernel. Both give the same bits.
    ///
    /// The activation rows go over a group in passes (16 at a time on tiles;
    /// 8, then 4, then 1 on the vector kernel), while the group's weights
    /// stay in cache. The passes also prefetch the next group's weights, a
    /// share each: the memory reads then overlap the arithmetic instead of
    /// coming in bursts.
    ///
    /// # Safety
    /// Each of `outs` must point to `rows` floats that are valid for writes
    /// and that nothing else reads or writes during the call.
    pub(crate) unsafe fn matmul<'a>(
        &self,
        acts: &[Act<'a>],
        tiles: Option<&Tiles>,
        outs: &[SyncPtr<f32>],
        pool: &ThreadPool,
    ) {
        let m = acts.len();
        assert_eq!(outs.len(), m);
        let tiles = tiles.filter(|_| AVAILABLE);
        let passes = match tiles {
            Some(_) => {
                let mut p = vec![amx::ROWS; m / amx::ROWS];
                p.extend((!m.is_multiple_of(amx::ROWS)).then_some(m % amx::ROWS));
                p
            }
            None => {
                let mut p = vec![8; m / 8];
                p.extend(std::iter::repeat_n(4, m % 8 / 4));
                p.extend(std::iter::repeat_n(1, m % 4));
                p
            }
        };
        let kb = self.kb;
        // Small chunks for large matrices: a thread that the machine slows
        // down then holds back only a short tail of the product.
        let per_thread = (self.groups / (CHUNK_GROUPS * pool.threads())).max(4);
        pool.run_chunks(self.groups, 1, per_thread, &|range| {
            #[cfg(all(
                target_arch = "x86_64",
                target_feature = "avx512f",
                target_feature = "avx512vnni"
            ))]
            // SAFETY: tiles are only made where `amx::usable()` said so.
            let _session = tiles.map(|_| unsafe { amx::kernel::Session::start() });
            for g in range.clone() {
                // SAFETY: the outputs are `rows` long (the caller's
                // promise), and each task writes only its own groups' rows.
                let row = |i: usize| unsafe { outs[i].slice(g * GROUP, GROUP) };
                let next = (g + 1 < range.end).then_some((g + 1) * kb);
                let mut i = 0;
                for (p, &r) in passes.iter().enumerate() {
                    let share = |p: usize| p * kb / passes.len();
                    let ahead = next.map_or(0..0, |next| next + share(p)..next + share(p + 1));
                    match (tiles, r) {
                        #[cfg(all(
                            target_arch = "x86_64",
                            target_feature = "avx512f",
                            target_feature = "avx512vnni"
                        ))]
                        (Some(t), _) => {
                            let mut out: [&mut [f32]; amx::ROWS] =
                                std::array::from_fn(|k| if k < r { row(i + k) } else { &mut [] });
                            let chunk = i / amx::ROWS;
                            self.tile_group(g, t, chunk, &mut out[..r], ahead)
                        }
                        (_, 8) => self.group::<8>(
                            g,
                            std::array::from_fn(|r| acts[i + r]),
                            std::array::from_fn(|r| row(i + r)),
                            ahead,
                        ),
                        (_, 4) => self.group::<4>(
                            g,
                            std::array::from_fn(|r| acts[i + r]),
                            std::array::from_fn(|r| row(i + r)),
                            ahead,
                        ),
                        _ => self.group::<1>(g, [acts[i]], [row(i)], ahead),
                    }
                    i += r;
                }
            }
        });
    }

    /// `out[i][j] = x[i] · W[rows[j]]`; `out` is `m × rows.len()`. Each
    /// group holding a listed row is computed once, whole.
    pub fn matmul_rows<'a>(
        &self,
        acts: &[Act<'a>],
        rows: &[u32],
        out: &mut [f32],
        pool: &ThreadPool,
    ) {
        let (n, m) = (rows.len(), acts.len());
        assert_eq!(out.len(), m * n);
        let mut groups: Vec<usize> = rows.iter().map(|&r| r as usize / GROUP).collect();
        groups.sort_unstable();
        groups.dedup();
        let width = groups.len() * GROUP;
        let mut all = vec![0f32; m * width];
        let ptr = SyncPtr::new(&mut all);
        pool.run_chunks(groups.len(), 1, 4, &|range| {
            for k in range {
                for i in 0..m {
                    // SAFETY: each task writes only its own groups' columns.
                    let dst = unsafe { ptr.slice(i * width + k * GROUP, GROUP) };
                    self.group::<1>(groups[k], [acts[i]], [dst], 0..0);
                }
            }
        });
        for (j, &r) in rows.iter().enumerate() {
            let r = r as usize;
            let k = groups.partition_point(|&g| g < r / GROUP);
            for i in 0..m {
                out[i * n + j] = all[i * width + k * GROUP + r % GROUP];
            }
        }
    }
}

/// The kernel's arithmetic, one lane at a time.
#[cfg_attr(
    all(
        target_arch = "x86_64",
        target_feature = "avx512f",
        target_feature = "avx512vnni"
    ),
    allow(dead_code)
)]
fn portable(p: &Packed, range: std::ops::Range<usize>, a: &Act<'_>, out: &mut [f32]) {
    let qs = &p.qs[range.clone()];
    let mut acc = [0f32; GROUP];
    for b in 0..qs.len() {
        let i = range.start + b;
        for (j, acc) in acc.iter_mut().enumerate() {
            // The exact integer sum, whatever the layout (the kernels' sums
            // with their corrections are the same integers).
            let sum = |cols: std::ops::Range<usize>| {
                cols.fold(0i32, |s, c| {
                    s + p.weight(qs[b].0[Packed::at(j, c)]) as i32 * a.q[b].qs[c] as i32
                })
            };
            let p = match &p.scales {
                Scales::Q8(d) => d[i][j].to_f32() * sum(0..QK8_0) as f32,
                Scales::Biased(s) => {
                    let p = s[i].scale[j] * sum(0..QK8_0) as f32;
                    s[i].bias[j].mul_add(a.corr[b] as f32 * (-1.0 / 128.0), p)
                }
                Scales::Split(s) => {
                    let lo = sum(0..16) as f32;
                    let hi = sum(16..QK8_0) as f32;
                    let p = s[i].lo[j].mul_add(lo, s[i].hi[j] * hi);
                    s[i].bias[j].mul_add(a.corr[b] as f32 * (-1.0 / 128.0), p)
                }
            };
            *acc = a.d[b].mul_add(p, *acc);
        }
    }
    out.copy_from_slice(&acc);
}

#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx512f",
    target_feature = "avx512vnni"
))]
mod avx512 {
    use std::arch::x86_64::*;

    use super::{Act, OneScale, Quads, Split};

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
        out: [&mut [f32]; R],
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
                    let da = _mm512_set1_ps(*a[r].d.get_unchecked(b));
                    let mut p = _mm512_mul_ps(dw, _mm512_cvtepi32_ps(s[r]));
                    if S::BIAS {
                        let sum_a = *a[r].corr.get_unchecked(b) as f32 * (-1.0 / 128.0);
                        p = _mm512_fmadd_ps(bias, _mm512_set1_ps(sum_a), p);
                    }
                    acc[r] = _mm512_fmadd_ps(da, p, acc[r]);
                }
            }
            for (acc, out) in acc.into_iter().zip(out) {
                _mm512_storeu_ps(out.as_mut_ptr(), acc);
            }
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
        out: [&mut [f32]; R],
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
                let sb = s.get_unchecked(b);
                let lo = _mm512_loadu_ps(sb.lo.as_ptr());
                let hi = _mm512_loadu_ps(sb.hi.as_ptr());
                let bias = _mm512_loadu_ps(sb.bias.as_ptr());
                for r in 0..R {
                    let p = _mm512_fmadd_ps(
                        lo,
                        _mm512_cvtepi32_ps(s_lo[r]),
                        _mm512_mul_ps(hi, _mm512_cvtepi32_ps(s_hi[r])),
                    );
                    let sum_a = _mm512_set1_ps(corr[r] as f32 * (-1.0 / 128.0));
                    let p = _mm512_fmadd_ps(bias, sum_a, p);
                    let da = _mm512_set1_ps(*a[r].d.get_unchecked(b));
                    acc[r] = _mm512_fmadd_ps(da, p, acc[r]);
                }
            }
            for (acc, out) in acc.into_iter().zip(out) {
                _mm512_storeu_ps(out.as_mut_ptr(), acc);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::blocks::quantize_row_q8_0;

    fn blocks(seed: u32, n: usize) -> Vec<BlockQ8_0> {
        let x: Vec<f32> = (0..n * QK8_0)
            .map(|i| ((i as f32 * 0.377 + seed as f32).sin() * 3.0) * (1 + i % 7) as f32)
            .collect();
        let mut b = vec![BlockQ8_0::ZERO; n];
        quantize_row_q8_0(&x, &mut b);
        b
    }

    /// [`check_layout`] with the weights stored plus 128 and signed; both
    /// give the same bits.
    fn check(p: &mut Packed, w: impl Fn(usize, usize) -> f64) {
        p.set_signed(false);
        let unsigned = check_layout(p, &w);
        p.set_signed(true);
        assert_eq!(check_layout(p, &w), unsigned);
    }

    /// The products of `p` against the portable kernel (bit for bit), the
    /// exact sums of the weights `w(r, c)` (closely), and `matmul_rows`;
    /// returns the products of 37 activation rows.
    fn check_layout(p: &Packed, w: &impl Fn(usize, usize) -> f64) -> Vec<f32> {
        // 37 rows: the vector kernel's 8-, 4- and 1-row passes, and two
        // whole tile chunks and a part one.
        let (rows, kb, m) = (p.rows(), p.kb, 37);
        let a = blocks(2, m * kb);
        let ad: Vec<f32> = a.iter().map(|b| b.d.to_f32()).collect();
        let (corr, corr_lo): (Vec<i32>, Vec<i32>) = a.iter().map(corrections).unzip();
        let act = |i: usize| Act {
            q: &a[i * kb..(i + 1) * kb],
            d: &ad[i * kb..(i + 1) * kb],
            corr: &corr[i * kb..(i + 1) * kb],
            corr_lo: &corr_lo[i * kb..(i + 1) * kb],
        };
        let pool = ThreadPool::new(2).without_amx();
        let mut out = vec![0f32; m * rows];
        let acts: Vec<Act<'_>> = (0..m).map(act).collect();
        let ptrs: Vec<_> = out.chunks_exact_mut(rows).map(SyncPtr::new).collect();
        // SAFETY: each pointer is to a `rows`-long part of `out`.
        unsafe { p.matmul(&acts, None, &ptrs, &pool) };
        // On AMX tiles: the same bits, for every row count up to `m`.
        if AVAILABLE && amx::usable() {
            for n in [1, 3, 8, 16, 17, m] {
                let tiles = Tiles::new(&acts[..n], kb);
                let mut on_tiles = vec![0f32; n * rows];
                let ptrs: Vec<_> = on_tiles.chunks_exact_mut(rows).map(SyncPtr::new).collect();
                // SAFETY: as above.
                unsafe { p.matmul(&acts[..n], Some(&tiles), &ptrs, &pool) };
                assert_eq!(on_tiles, out[..n * rows], "{n} rows on tiles");
            }
        } else {
            eprintln!("no AMX here: the tile kernel is not checked");
        }
        for i in 0..m {
            for g in 0..rows / GROUP {
                let mut want = [0f32; GROUP];
                let range = g * kb..(g + 1) * kb;
                portable(p, range, &act(i), &mut want);
                let got = &out[i * rows + g * GROUP..][..GROUP];
                assert_eq!(got, &want[..], "row {i}, group {g}");
            }
            for r in 0..rows {
                let exact: f64 = (0..kb * QK8_0)
                    .map(|c| {
                        w(r, c) * a[i * kb + c / 32].qs[c % 32] as f64 * ad[i * kb + c / 32] as f64
                    })
                    .sum();
                let got = out[i * rows + r] as f64;
                assert!(
                    (got - exact).abs() < 1e-4 * exact.abs().max(1.0),
                    "{got} vs {exact}"
                );
            }
        }
        // Listed rows give the same values, in the listed order.
        let listed = [rows as u32 - 1, 0, 17, 16, 5];
        let mut some = vec![0f32; m * listed.len()];
        p.matmul_rows(&acts, &listed, &mut some, &pool);
        for i in 0..m {
            for (j, &r) in listed.iter().enumerate() {
                assert_eq!(some[i * listed.len() + j], out[i * rows + r as usize]);
            }
        }
        out
    }

    #[test]
    fn packed_q8_0_products_match_the_portable_kernel_and_the_exact_sums() {
        let (rows, kb) = (48, 20);
        let w = blocks(1, rows * kb);
        let mut p = Packed::new(rows, kb, |r, b| w[r * kb + b]);
        check(&mut p, |r, c| {
            let b = &w[r * kb + c / 32];
            b.d.to_f64() * b.qs[c % 32] as f64
        });
        // Unpacking a row gives the Q8_0 row back.
        let mut row = vec![0f32; kb * QK8_0];
        p.row_into(21, &mut row);
        let mut want = vec![0f32; kb * QK8_0];
        crate::quant::blocks::dequantize_q8_0(&w[21 * kb..22 * kb], &mut want);
        assert_eq!(row, want);
    }

    /// K-quant rows, with a scale per half block (`halves`) or one per
    /// block, against the portable kernel and the exact sums.
    fn check_k_quant(halves: bool) {
        let (rows, kb) = (32, 16);
        let w = blocks(3, rows * kb);
        let split = |r: usize, b: usize| {
            let i = r * kb + b;
            let lo = 0.01 * (1 + i % 5) as f32;
            SplitBlock {
                v: w[i].qs.map(|q| q / 3),
                lo,
                hi: if halves {
                    -0.02 * (1 + i % 3) as f32
                } else {
                    lo
                },
                bias: if i % 4 == 0 {
                    0.0
                } else {
                    0.05 * (i % 7) as f32 - 0.1
                },
            }
        };
        let mut p = Packed::new_split(rows, kb, split);
        assert_eq!(matches!(p.scales, Scales::Split(_)), halves);
        assert_eq!(matches!(p.scales, Scales::Biased(_)), !halves);
        let exact = |r: usize, c: usize| {
            let s = split(r, c / 32);
            let scale = if c % 32 < 16 { s.lo } else { s.hi };
            s.v[c % 32] as f64 * scale as f64 + s.bias as f64
        };
        check(&mut p, exact);
        let mut row = vec![0f32; kb * QK8_0];
        p.row_into(9, &mut row);
        for (c, v) in row.iter().enumerate() {
            assert!((*v as f64 - exact(9, c)).abs() < 1e-6, "{c}");
        }
    }

    #[test]
    fn packed_split_products_match_the_portable_kernel_and_the_exact_sums() {
        check_k_quant(true);
    }

    #[test]
    fn packed_biased_products_match_the_portable_kernel_and_the_exact_sums() {
        check_k_quant(false);
    }
}
