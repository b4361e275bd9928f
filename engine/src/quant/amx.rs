//! The packed products on Intel AMX tiles, where the CPU has them and the
//! kernel lets this process use them.
//!
//! The packed layout (see `packed.rs`) is already what AMX wants for its
//! second operand: a block's `[quad of columns][row][4 bytes]` is a tile of
//! 8 rows of 64 bytes, one row per 4 columns, holding 16 weight rows. The
//! activations are copied into tiles of 16 rows × 32 bytes, block by block
//! ([`Tiles`]). One `tdpbssd` (signed activations times signed weights, the
//! layout packed where the tiles are usable) then gives the integer sums of
//! 16 activation rows by 16 weight rows for a block, where the vector kernel
//! needs 128 `vpdpbusd`; on plus-128 weights, `tdpbsud` and the `-128 · Σa`
//! correction. The sums are exact, and the float steps after them (block
//! scales, the fused multiply-add into each row's total) are the vector
//! kernel's, in the same order: the results are the same bits. The signed
//! layout saves each row's correction in every block's scaling, which costs
//! as much as the tile work here (the vector and the tile units hardly
//! overlap).
//!
//! K-quant rows (two scales per block) take two products of 16 columns.
//!
//! Linux grants the tile registers to a process only on request
//! (`arch_prctl(ARCH_REQ_XCOMP_PERM)`); [`usable`] asks once. Each task
//! loads the tile configuration and releases the tiles when it is done, so
//! threads between tasks carry no tile state.

use std::sync::OnceLock;

use super::blocks::QK8_0;
use crate::pool::{SyncPtr, ThreadPool};

/// Activation rows of one tile.
pub const ROWS: usize = 16;

/// Whether AMX tiles with 8-bit products are usable by this process: the
/// CPU has them, the OS saves them, and the kernel granted this process the
/// permission (asked once, on the first call).
pub fn usable() -> bool {
    static USABLE: OnceLock<bool> = OnceLock::new();
    *USABLE.get_or_init(detect)
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn detect() -> bool {
    use std::arch::x86_64::{__cpuid, __cpuid_count};
    let max_leaf = __cpuid(0).eax;
    if max_leaf < 0x1d {
        return false;
    }
    let leaf7 = __cpuid_count(7, 0);
    let (tile, int8) = (leaf7.edx >> 24 & 1 == 1, leaf7.edx >> 25 & 1 == 1);
    let osxsave = __cpuid(1).ecx >> 27 & 1 == 1;
    if !(tile && int8 && osxsave) {
        return false;
    }
    // Palette 1 must have the shape the kernel configures.
    let palette = __cpuid_count(0x1d, 1);
    let (bytes_per_row, names, max_rows) = (
        palette.ebx & 0xffff,
        palette.ebx >> 16,
        palette.ecx & 0xffff,
    );
    if bytes_per_row < 64 || names < 8 || max_rows < ROWS as u32 {
        return false;
    }
    // XCR0 bits 17 and 18: the OS saves the tile configuration and data.
    let xcr0: u64;
    // SAFETY: OSXSAVE is set, so xgetbv is enabled.
    unsafe {
        let (lo, hi): (u32, u32);
        std::arch::asm!("xgetbv", in("ecx") 0, out("eax") lo, out("edx") hi, options(nomem, nostack));
        xcr0 = (hi as u64) << 32 | lo as u64;
    }
    if xcr0 >> 17 & 3 != 3 {
        return false;
    }
    const ARCH_REQ_XCOMP_PERM: libc::c_long = 0x1023;
    const XFEATURE_XTILEDATA: libc::c_long = 18;
    // SAFETY: the request only changes which state this process may use.
    unsafe {
        libc::syscall(
            libc::SYS_arch_prctl,
            ARCH_REQ_XCOMP_PERM,
            XFEATURE_XTILEDATA,
        ) == 0
    }
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
fn detect() -> bool {
    false
}

/// Activation rows in tile order: for each run of 16 rows (the last padded
/// with zero rows) and each block, the rows' 32 quantized values one after
/// the other, then the rows' scales and corrections (see `packed::Act`).
#[cfg_attr(test, derive(Debug, PartialEq))]
pub struct Tiles {
    /// `chunks × kb` blocks.
    data: Vec<TileBlock>,
    kb: usize,
    /// Activation rows held (the last chunk's others are zeros).
    rows: usize,
}

#[derive(Clone, Copy)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[repr(C, align(64))]
struct TileBlock {
    q: [[i8; 32]; ROWS],
    d: [f32; ROWS],
    corr: [i32; ROWS],
    corr_lo: [i32; ROWS],
    /// The block sums as floats (`packed::block_sum`), which the scaling
    /// of the biased and K-quant forms broadcasts from memory.
    sum: [f32; ROWS],
}

// `Tiles::build` writes every field of a block and then takes it as
// initialised: there must be no padding between or after the fields.
const _: () = assert!(size_of::<TileBlock>() == ROWS * (32 + 4 * 4));

/// One activation row's block, as the tiles keep it: the quantised block,
/// its scale as f32 and its corrections (`packed::corrections`).
pub(crate) type RowBlock = (super::blocks::BlockQ8_0, f32, (i32, i32));

impl Tiles {
    /// The tiles of activation rows `a` (every row `kb` blocks long).
    pub fn new(a: &[super::packed::Act<'_>], kb: usize, pool: &ThreadPool) -> Self {
        Self::build(a.len(), kb, pool, &|i, b| {
            let a = &a[i];
            (a.q[b], a.d[b], (a.corr[b], a.corr_lo[b]))
        })
    }

    /// The tiles of `rows` activation rows of `kb` blocks, block `b` of row
    /// `i` being `block(i, b)`.
    pub fn build(
        rows: usize,
        kb: usize,
        pool: &ThreadPool,
        block: &(dyn Fn(usize, usize) -> RowBlock + Sync),
    ) -> Self {
        Self::fill(rows, kb, pool, &|c, b, t| {
            for r in 0..ROWS {
                let i = c * ROWS + r;
                let (q, d, corr) = if i < rows {
                    block(i, b)
                } else {
                    (super::blocks::BlockQ8_0::ZERO, 0.0, (0, 0))
                };
                // SAFETY: `fill`'s promise for `t`; fields are written,
                // never read.
                unsafe { put(t, r, &q, d, corr) };
            }
        })
    }

    /// The tiles of the `rows` activation rows of `x` (each `kb` blocks),
    /// quantised as `blocks::quantize_row_q8_0` does them. With AVX-512 a
    /// block's 16 rows are quantised together ([`quantise_block`]): their
    /// maxima, scales and sums as vectors of 16, not one row at a time.
    pub fn quantised(x: &[f32], rows: usize, kb: usize, pool: &ThreadPool) -> Self {
        let k = kb * QK8_0;
        assert_eq!(x.len(), rows * k);
        let block = |i: usize, b: usize| -> &[f32; QK8_0] {
            x[i * k + b * QK8_0..][..QK8_0]
                .as_array()
                .expect("a block is 32 values")
        };
        #[cfg(all(target_arch = "x86_64", target_feature = "avx512f"))]
        {
            Self::fill(rows, kb, pool, &|c, b, t| {
                let xs = std::array::from_fn(|r| {
                    let i = c * ROWS + r;
                    (i < rows).then(|| block(i, b))
                });
                // SAFETY: `fill`'s promise for `t`; AVX-512F is compiled in.
                unsafe { quantise_block(xs, t) }
            })
        }
        #[cfg(not(all(target_arch = "x86_64", target_feature = "avx512f")))]
        Self::build(rows, kb, pool, &|i, b| {
            let mut q = [super::blocks::BlockQ8_0::ZERO];
            super::blocks::quantize_row_q8_0(block(i, b), &mut q);
            (q[0], q[0].d.to_f32(), super::packed::corrections(&q[0]))
        })
    }

    /// Tiles for `rows` activation rows of `kb` blocks, `write(c, b, t)`
    /// writing every field of every row of tile block `t`, block `b` of
    /// chunk `c` (zeros past the last row). The pool's tasks take a share
    /// of the blocks each, so each block is written whole, by one task,
    /// while it is in L1; nothing is written twice, so the memory is not
    /// cleared first.
    fn fill(
        rows: usize,
        kb: usize,
        pool: &ThreadPool,
        write: &(dyn Fn(usize, usize, *mut TileBlock) + Sync),
    ) -> Self {
        let chunks = rows.div_ceil(ROWS);
        let mut data: Vec<TileBlock> = Vec::with_capacity(chunks * kb);
        let ptr = SyncPtr(data.as_mut_ptr());
        pool.run_chunks(kb, 1, 2, &|blocks| {
            for b in blocks {
                for c in 0..chunks {
                    // Block `b` of every chunk is this task's alone, and
                    // within the allocation (`c * kb + b < chunks * kb`).
                    write(c, b, ptr.get().wrapping_add(c * kb + b));
                }
            }
        });
        // SAFETY: every field of every row of every block was written above
        // (`TileBlock` has no padding), by tasks that have all finished.
        unsafe { data.set_len(chunks * kb) };
        Self { data, kb, rows }
    }

    /// Activation rows held.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Runs of 16 activation rows.
    pub fn chunks(&self) -> usize {
        self.data.len() / self.kb.max(1)
    }

    pub fn kb(&self) -> usize {
        self.kb
    }
}

/// Write row `r` of tile block `t`.
///
/// # Safety
/// `t` points into a live allocation of tile blocks, and no one else writes
/// row `r` of it meanwhile. Other rows of the block may be written at the
/// same time: the fields are written through raw pointers, never as a whole.
unsafe fn put(
    t: *mut TileBlock,
    r: usize,
    q: &super::blocks::BlockQ8_0,
    d: f32,
    (corr, corr_lo): (i32, i32),
) {
    // SAFETY: the caller's promise; `r < ROWS` is checked by the indexing.
    unsafe {
        (&raw mut (*t).q[r]).write(q.qs);
        (&raw mut (*t).d[r]).write(d);
        (&raw mut (*t).corr[r]).write(corr);
        (&raw mut (*t).corr_lo[r]).write(corr_lo);
        (&raw mut (*t).sum[r]).write(super::packed::block_sum(corr));
    }
}

/// Block `b` of 16 activation rows (`xs[r]`, `None` past the last row,
/// which counts as zeros) quantised straight into tile block `t`: the same
/// operations as `blocks::quantize_row_q8_0` row by row, so the same bytes,
/// with the rows' maxima, scales and sums taken 16 at a time.
///
/// # Safety
/// `t` points into a live allocation of tile blocks that no one else
/// writes meanwhile.
#[cfg(all(target_arch = "x86_64", target_feature = "avx512f"))]
#[inline]
unsafe fn quantise_block(xs: [Option<&[f32; QK8_0]>; ROWS], t: *mut TileBlock) {
    use std::arch::x86_64::*;

    use crate::ops::ROUNDING_MAGIC as MAGIC;

    /// `op` across each of 16 vectors: lane `j` of the result is `op` over
    /// the lanes of `v[j]` (exact for a maximum or integer sums, whatever
    /// the order). Halves, then quarters, then pairs of lanes combine, and
    /// a last permutation puts vector `j`'s result in lane `j`.
    #[inline(always)]
    unsafe fn across(v: [__m512; ROWS], op: impl Fn(__m512, __m512) -> __m512) -> __m512 {
        // SAFETY: AVX-512F is compiled in (the caller's cfg).
        unsafe {
            let w: [__m512; 8] = std::array::from_fn(|i| {
                let (a, b) = (v[2 * i], v[2 * i + 1]);
                op(
                    _mm512_shuffle_f32x4::<0x44>(a, b),
                    _mm512_shuffle_f32x4::<0xEE>(a, b),
                )
            });
            let u: [__m512; 4] = std::array::from_fn(|i| {
                let (a, b) = (w[2 * i], w[2 * i + 1]);
                op(
                    _mm512_shuffle_f32x4::<0x88>(a, b),
                    _mm512_shuffle_f32x4::<0xDD>(a, b),
                )
            });
            // Quarter q of u[i] now holds 4 lanes of v[4i + q].
            let s: [__m512; 2] = std::array::from_fn(|i| {
                let (a, b) = (u[2 * i], u[2 * i + 1]);
                op(
                    _mm512_shuffle_ps::<0x88>(a, b),
                    _mm512_shuffle_ps::<0xDD>(a, b),
                )
            });
            let r = op(
                _mm512_shuffle_ps::<0x88>(s[0], s[1]),
                _mm512_shuffle_ps::<0xDD>(s[0], s[1]),
            );
            // Lane 4q + t holds v[q + 4t]; put v[j] in lane j.
            let to = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
            _mm512_permutexvar_ps(to, r)
        }
    }

    // SAFETY (whole body): AVX-512F is compiled in; `t` is the caller's.
    unsafe {
        let zero = _mm512_setzero_ps();
        let x: [[__m512; 2]; ROWS] = std::array::from_fn(|r| match xs[r] {
            Some(x) => [
                _mm512_loadu_ps(x.as_ptr()),
                _mm512_loadu_ps(x.as_ptr().add(16)),
            ],
            None => [zero; 2],
        });
        let abs = |v| {
            _mm512_castsi512_ps(_mm512_and_si512(
                _mm512_castps_si512(v),
                _mm512_set1_epi32(i32::MAX),
            ))
        };
        let amax = across(
            std::array::from_fn(|r| _mm512_max_ps(abs(x[r][0]), abs(x[r][1]))),
            |a, b| _mm512_max_ps(a, b),
        );
        let d = _mm512_div_ps(amax, _mm512_set1_ps(127.0));
        // `d != 0.0` (true for NaN, as Rust's `!=`).
        let nonzero = _mm512_cmp_ps_mask::<_CMP_NEQ_UQ>(d, zero);
        let id = _mm512_maskz_div_ps(nonzero, _mm512_set1_ps(1.0), d);
        let half = _mm512_cvtps_ph::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(d);
        let mut ids = [0f32; ROWS];
        _mm512_storeu_ps(ids.as_mut_ptr(), id);
        let mut sums_lo = [zero; ROWS];
        let mut sums = [zero; ROWS];
        for r in 0..ROWS {
            let id = _mm512_set1_ps(ids[r]);
            let q = |v| {
                let t = _mm512_add_ps(_mm512_mul_ps(v, id), _mm512_set1_ps(MAGIC));
                _mm512_sub_epi32(
                    _mm512_castps_si512(t),
                    _mm512_set1_epi32(MAGIC.to_bits() as i32),
                )
            };
            let (lo, hi) = (q(x[r][0]), q(x[r][1]));
            let dst = (&raw mut (*t).q[r]).cast::<__m128i>();
            _mm_storeu_si128(dst, _mm512_cvtepi32_epi8(lo));
            _mm_storeu_si128(dst.add(1), _mm512_cvtepi32_epi8(hi));
            sums_lo[r] = _mm512_castsi512_ps(lo);
            sums[r] = _mm512_castsi512_ps(_mm512_add_epi32(lo, hi));
        }
        let add = |a, b| {
            _mm512_castsi512_ps(_mm512_add_epi32(
                _mm512_castps_si512(a),
                _mm512_castps_si512(b),
            ))
        };
        let minus_128 = _mm512_set1_epi32(-128);
        let corr = _mm512_mullo_epi32(_mm512_castps_si512(across(sums, add)), minus_128);
        let corr_lo = _mm512_mullo_epi32(_mm512_castps_si512(across(sums_lo, add)), minus_128);
        _mm512_storeu_ps((&raw mut (*t).d).cast(), _mm512_cvtph_ps(half));
        _mm512_storeu_si512((&raw mut (*t).corr).cast(), corr);
        _mm512_storeu_si512((&raw mut (*t).corr_lo).cast(), corr_lo);
        // `packed::block_sum` of each correction.
        let sum = _mm512_mul_ps(_mm512_cvtepi32_ps(corr), _mm512_set1_ps(-1.0 / 128.0));
        _mm512_storeu_ps((&raw mut (*t).sum).cast(), sum);
    }
}

#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx512f",
    target_feature = "avx512vnni"
))]
pub(super) mod kernel {
    use std::arch::asm;
    use std::arch::x86_64::*;
    use std::mem::MaybeUninit;

    use super::{ROWS, TileBlock, Tiles};
    use crate::quant::packed::avx512::{OneScale, scale, scale_split, split_vectors, store};
    use crate::quant::packed::{GROUP, Quads, Split};

    /// A palette 1 tile configuration.
    #[repr(C, align(64))]
    struct Config {
        palette: u8,
        start_row: u8,
        reserved: [u8; 14],
        colsb: [u16; 16],
        rows: [u8; 16],
        reserved2: [u8; 16],
    }

    /// The configuration of `tiles`, each `(tile, rows, bytes per row)`.
    const fn config(tiles: &[(usize, usize, u16)]) -> Config {
        let mut c = Config {
            palette: 1,
            start_row: 0,
            reserved: [0; 14],
            colsb: [0; 16],
            rows: [0; 16],
            reserved2: [0; 16],
        };
        let mut i = 0;
        while i < tiles.len() {
            let (t, r, b) = tiles[i];
            c.rows[t] = r as u8;
            c.colsb[t] = b;
            i += 1;
        }
        c
    }

    /// The one-scale form ([`group`]): two sets of tiles that blocks take
    /// in turns, each the products (16 × 16 i32, tile 0 or 3), the
    /// activations (1 or 4) and the weights of a whole block (2 or 5).
    const ONE_SCALE: Config = config(&[
        (0, ROWS, 64),
        (1, ROWS, 32),
        (2, 8, 64),
        (3, ROWS, 64),
        (4, ROWS, 32),
        (5, 8, 64),
    ]);

    /// The K-quant form ([`group_split`]): the same two sets for half
    /// blocks, 16 columns each.
    const SPLIT: Config = config(&[
        (0, ROWS, 64),
        (1, ROWS, 16),
        (2, 4, 64),
        (3, ROWS, 64),
        (4, ROWS, 16),
        (5, 4, 64),
    ]);

    /// Holds the tile configuration loaded for as long as it lives.
    pub struct Session(());

    impl Session {
        /// The configuration for [`group_split`] if `split`, else for
        /// [`group`].
        ///
        /// # Safety
        /// [`super::usable`] must have returned true.
        pub unsafe fn start(split: bool) -> Self {
            let config = if split { &SPLIT } else { &ONE_SCALE };
            // SAFETY: the caller's promise; the configuration is valid for
            // palette 1 (checked by `usable`).
            unsafe { asm!("ldtilecfg [{}]", in(reg) config, options(nostack, readonly)) };
            Session(())
        }
    }

    impl Drop for Session {
        fn drop(&mut self) {
            // SAFETY: the tiles were configured by `start`.
            unsafe { asm!("tilerelease", options(nostack, nomem)) };
        }
    }

    /// One tile of products: 16 activation rows × 16 weight rows.
    type Products = [[i32; GROUP]; ROWS];

    /// Loads set `SET`'s operands: 16 activation rows from `a` (rows 32
    /// bytes apart) and the weights from `w` (rows 64 bytes apart), in the
    /// shapes the session's configuration gives the set's tiles.
    ///
    /// # Safety
    /// A [`Session`] is live on this thread; `a` and `w` are valid for the
    /// configured tiles' reads.
    #[inline(always)]
    unsafe fn load<const SET: usize>((a, w): (*const i8, *const u8)) {
        unsafe {
            if SET == 0 {
                asm!(
                    "tileloadd tmm1, [{a} + {sa}*1]",
                    "tileloadd tmm2, [{w} + {sw}*1]",
                    a = in(reg) a,
                    sa = in(reg) 32usize,
                    w = in(reg) w,
                    sw = in(reg) 64usize,
                    options(nostack, readonly),
                )
            } else {
                asm!(
                    "tileloadd tmm4, [{a} + {sa}*1]",
                    "tileloadd tmm5, [{w} + {sw}*1]",
                    a = in(reg) a,
                    sa = in(reg) 32usize,
                    w = in(reg) w,
                    sw = in(reg) 64usize,
                    options(nostack, readonly),
                )
            }
        }
    }

    /// The products of set `SET`'s operands into its products tile: set 0
    /// is tiles 0 (products), 1 and 2, set 1 tiles 3, 4 and 5.
    ///
    /// # Safety
    /// A [`Session`] is live on this thread and the set's operands loaded.
    #[inline(always)]
    unsafe fn product<const SIGNED: bool, const SET: usize>() {
        unsafe {
            match (SIGNED, SET) {
                (true, 0) => asm!(
                    "tilezero tmm0",
                    "tdpbssd tmm0, tmm1, tmm2",
                    options(nostack, nomem)
                ),
                (true, _) => asm!(
                    "tilezero tmm3",
                    "tdpbssd tmm3, tmm4, tmm5",
                    options(nostack, nomem)
                ),
                (false, 0) => asm!(
                    "tilezero tmm0",
                    "tdpbsud tmm0, tmm1, tmm2",
                    options(nostack, nomem)
                ),
                (false, _) => asm!(
                    "tilezero tmm3",
                    "tdpbsud tmm3, tmm4, tmm5",
                    options(nostack, nomem)
                ),
            }
        }
    }

    /// Stores set `SET`'s products tile at `p`.
    ///
    /// # Safety
    /// As [`product`]; `p` is valid for a [`Products`] write.
    #[inline(always)]
    unsafe fn save<const SET: usize>(p: *mut Products) {
        unsafe {
            if SET == 0 {
                asm!("tilestored [{c} + {sc}*1], tmm0", c = in(reg) p, sc = in(reg) 64usize, options(nostack))
            } else {
                asm!("tilestored [{c} + {sc}*1], tmm3", c = in(reg) p, sc = in(reg) 64usize, options(nostack))
            }
        }
    }

    /// The `n` tile blocks of chunk `chunk`, for a group kernel of `R` rows
    /// writing `out`.
    #[inline(always)]
    fn blocks<'a, const R: usize>(
        tiles: &'a Tiles,
        chunk: usize,
        n: usize,
        out: &[&mut [f32]],
    ) -> &'a [TileBlock] {
        debug_assert!(R <= ROWS && out.len() <= R);
        &tiles.data[chunk * tiles.kb..][..n]
    }

    /// Whether scales of type `S` come with a bias.
    #[inline(always)]
    fn has_bias<S: OneScale>(_: &[S]) -> bool {
        S::BIAS
    }

    /// Row `r` of a products tile.
    #[inline(always)]
    unsafe fn sums(p: *const Products, r: usize) -> __m512i {
        unsafe { _mm512_load_si512(p.cast::<[i32; GROUP]>().add(r).cast()) }
    }

    /// The 16 weight rows `qs` (a group's blocks) against the first `R`
    /// activation rows of tile chunk `chunk` (`R` is 4, 8 or 16; rows past
    /// the real ones are zeros and give zeros), into `out[r][0..16]` for
    /// the rows `out` has. While block `b` is computed, `prefetch(b)` is
    /// called.
    ///
    /// Blocks take the two sets of tiles in turns, so that the next block's
    /// operands load while this block's products are computed, and the
    /// previous block is scaled before this block's products are stored:
    /// loads that follow a tile store in program order wait for it. The
    /// `cache_rate` probe's 16 rows went from 20.5-23.6 to 18.5-20.0 ns a
    /// block (4 runs each, in turns with the build before), the `batch`
    /// example's batch 16 gained 3.7% (12 runs in turns).
    ///
    /// # Safety
    /// A [`Session`] is live on this thread; `qs`, `d` and the tiles have
    /// the same number of blocks; `out` has at most `R` slices of
    /// [`GROUP`].
    #[inline(always)]
    pub unsafe fn group<const R: usize, const SIGNED: bool>(
        qs: &[Quads],
        d: &[impl OneScale],
        tiles: &Tiles,
        chunk: usize,
        out: &mut [&mut [f32]],
        prefetch: impl Fn(usize),
    ) {
        let t = blocks::<R>(tiles, chunk, qs.len(), out);
        let n = qs.len();
        if n == 0 {
            // SAFETY: the caller's promise on `out`.
            unsafe { store([_mm512_setzero_ps(); R], out) };
            return;
        }
        #[repr(C, align(64))]
        struct Buffers([Products; 2]);
        let mut c = MaybeUninit::<Buffers>::uninit();
        let base = c.as_mut_ptr() as *mut Products;
        let buf = |b: usize| base.wrapping_add(b % 2);
        // Block `b`'s operands are loaded into set `b % 2`.
        // SAFETY (here and below): `b < n`, and the tiles have `n` blocks
        // too (the caller's promise).
        let operands = |b: usize| unsafe {
            (
                t.get_unchecked(b).q.as_ptr() as *const i8,
                qs.get_unchecked(b).0.as_ptr(),
            )
        };
        unsafe {
            let mut acc = [_mm512_setzero_ps(); R];
            let mut scale_block = |b: usize, c: *const Products| {
                let t = t.get_unchecked(b);
                let (dw, bias) = d.get_unchecked(b).vectors();
                let bias = has_bias(d).then_some(bias);
                for (r, acc) in acc.iter_mut().enumerate() {
                    let s = if SIGNED {
                        sums(c, r)
                    } else {
                        _mm512_add_epi32(sums(c, r), _mm512_set1_epi32(t.corr[r]))
                    };
                    *acc = scale(*acc, s, dw, bias, t.sum[r], t.d[r]);
                }
            };
            load::<0>(operands(0));
            for b in 0..n {
                prefetch(b);
                if b % 2 == 0 {
                    product::<SIGNED, 0>();
                    if b + 1 < n {
                        load::<1>(operands(b + 1));
                    }
                } else {
                    product::<SIGNED, 1>();
                    if b + 1 < n {
                        load::<0>(operands(b + 1));
                    }
                }
                if b > 0 {
                    scale_block(b - 1, buf(b - 1));
                }
                if b % 2 == 0 {
                    save::<0>(buf(b));
                } else {
                    save::<1>(buf(b));
                }
            }
            scale_block(n - 1, buf(n - 1));
            store(acc, out);
        }
    }

    /// As [`group`], for the K-quant form: the block's two halves are
    /// multiplied apart and scaled by their own scales, and the bias goes in
    /// through the activations' block sums.
    ///
    /// # Safety
    /// As [`group`].
    #[inline(always)]
    pub unsafe fn group_split<const R: usize, const SIGNED: bool>(
        qs: &[Quads],
        s: &[Split],
        tiles: &Tiles,
        chunk: usize,
        out: &mut [&mut [f32]],
        prefetch: impl Fn(usize),
    ) {
        let t = blocks::<R>(tiles, chunk, qs.len(), out);
        let n = qs.len();
        if n == 0 {
            // SAFETY: the caller's promise on `out`.
            unsafe { store([_mm512_setzero_ps(); R], out) };
            return;
        }
        // Two blocks' two halves.
        #[repr(C, align(64))]
        struct Buffers([Products; 4]);
        let mut c = MaybeUninit::<Buffers>::uninit();
        let base = c.as_mut_ptr() as *mut Products;
        let buf = |b: usize, half: usize| base.wrapping_add(b % 2 * 2 + half);
        // Half `h` of block `b` loads into set `h`.
        // SAFETY (here and below): `b < n`, and the tiles have `n` blocks
        // too (the caller's promise); the second half starts 16 activation
        // bytes and 4 weight rows into the block.
        let half = |b: usize, h: usize| unsafe {
            (
                (t.get_unchecked(b).q.as_ptr() as *const i8).add(16 * h),
                qs.get_unchecked(b).0.as_ptr().add(4 * 4 * GROUP * h),
            )
        };
        unsafe {
            let mut acc = [_mm512_setzero_ps(); R];
            let mut scale_block = |b: usize| {
                let t = t.get_unchecked(b);
                let scales = split_vectors(s.get_unchecked(b));
                let (lo, hi) = (buf(b, 0), buf(b, 1));
                for (r, acc) in acc.iter_mut().enumerate() {
                    let (corr, corr_lo) = (t.corr[r], t.corr_lo[r]);
                    let (l, h) = if SIGNED {
                        (sums(lo, r), sums(hi, r))
                    } else {
                        (
                            _mm512_add_epi32(sums(lo, r), _mm512_set1_epi32(corr_lo)),
                            _mm512_add_epi32(sums(hi, r), _mm512_set1_epi32(corr - corr_lo)),
                        )
                    };
                    *acc = scale_split(*acc, (l, h), scales, t.sum[r], t.d[r]);
                }
            };
            // As in `group`, with half blocks taking the two sets.
            load::<0>(half(0, 0));
            for b in 0..n {
                prefetch(b);
                product::<SIGNED, 0>();
                load::<1>(half(b, 1));
                if b > 0 {
                    scale_block(b - 1);
                }
                save::<0>(buf(b, 0));
                product::<SIGNED, 1>();
                if b + 1 < n {
                    load::<0>(half(b + 1, 0));
                }
                save::<1>(buf(b, 1));
            }
            scale_block(n - 1);
            store(acc, out);
        }
    }
}
