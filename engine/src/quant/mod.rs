//! Quantized weight matrices and the matrix products of the forward pass.
//!
//! Weights in a format the kernels compute with directly (Q8_0, Q5_0, Q4_K,
//! Q6_K, F32) stay in the memory-mapped file, not copied. Every other GGUF
//! type is converted at load time: Q4_0 to Q8_0 exactly (its values are
//! small integers times the block scale), the rest through f32 to Q8_0.

// Without AVX-512 VNNI the engine keeps weights in their GGUF layout: the
// packed and tile helpers are then there for the portable kernel and the
// tests only.
#[cfg_attr(
    not(all(target_feature = "avx512f", target_feature = "avx512vnni")),
    allow(dead_code, unused_macros)
)]
pub mod amx;
pub mod blocks;
pub mod dot;
pub mod kquants;
#[cfg_attr(
    not(all(target_feature = "avx512f", target_feature = "avx512vnni")),
    allow(dead_code, unused_macros)
)]
pub mod packed;

use std::borrow::Cow;

use candle_core::quantized::GgmlDType;

use crate::error::{Error, Result};
use crate::gguf::{Blocks, Gguf, TensorInfo};
use crate::ops;
use crate::pool::{SyncPtr, ThreadPool};
use blocks::{BlockQ4_0, BlockQ4K, BlockQ5_0, BlockQ6K, BlockQ8_0, BlockQ8K, QK_K, QK8_0};

/// A ggml tensor type as GGUF numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GgmlType {
    F32,
    F16,
    BF16,
    Q4_0,
    Q4_1,
    Q5_0,
    Q5_1,
    Q8_0,
    Q8_1,
    Q2K,
    Q3K,
    Q4K,
    Q5K,
    Q6K,
    Q8K,
    Other(u32),
}

impl GgmlType {
    pub fn from_u32(v: u32) -> Self {
        match v {
            0 => Self::F32,
            1 => Self::F16,
            2 => Self::Q4_0,
            3 => Self::Q4_1,
            6 => Self::Q5_0,
            7 => Self::Q5_1,
            8 => Self::Q8_0,
            9 => Self::Q8_1,
            10 => Self::Q2K,
            11 => Self::Q3K,
            12 => Self::Q4K,
            13 => Self::Q5K,
            14 => Self::Q6K,
            15 => Self::Q8K,
            30 => Self::BF16,
            other => Self::Other(other),
        }
    }

    /// (elements per block, bytes per block), if the type is known.
    pub fn block(self) -> Option<(usize, usize)> {
        Some(match self {
            Self::F32 => (1, 4),
            Self::F16 | Self::BF16 => (1, 2),
            Self::Q4_0 => (32, 18),
            Self::Q4_1 => (32, 20),
            Self::Q5_0 => (32, 22),
            Self::Q5_1 => (32, 24),
            Self::Q8_0 => (32, 34),
            Self::Q8_1 => (32, 36),
            Self::Q2K => (256, 84),
            Self::Q3K => (256, 110),
            Self::Q4K => (256, 144),
            Self::Q5K => (256, 176),
            Self::Q6K => (256, 210),
            Self::Q8K => (256, 292),
            Self::Other(_) => return None,
        })
    }

    fn candle(self) -> Option<GgmlDType> {
        Some(match self {
            Self::F32 => GgmlDType::F32,
            Self::F16 => GgmlDType::F16,
            Self::BF16 => GgmlDType::BF16,
            Self::Q4_0 => GgmlDType::Q4_0,
            Self::Q4_1 => GgmlDType::Q4_1,
            Self::Q5_0 => GgmlDType::Q5_0,
            Self::Q5_1 => GgmlDType::Q5_1,
            Self::Q8_0 => GgmlDType::Q8_0,
            Self::Q8_1 => GgmlDType::Q8_1,
            Self::Q2K => GgmlDType::Q2K,
            Self::Q3K => GgmlDType::Q3K,
            Self::Q4K => GgmlDType::Q4K,
            Self::Q5K => GgmlDType::Q5K,
            Self::Q6K => GgmlDType::Q6K,
            Self::Q8K => GgmlDType::Q8K,
            Self::Other(_) => return None,
        })
    }

    pub fn name(self) -> String {
        match self {
            Self::Other(v) => format!("#{v}"),
            t => format!("{t:?}"),
        }
    }
}

/// The stored weights of a matrix, row-major (`rows` rows of `cols`).
#[derive(Debug)]
enum Weights {
    Q8_0(Blocks<BlockQ8_0>),
    Q5_0(Blocks<BlockQ5_0>),
    Q4K(Blocks<BlockQ4K>),
    Q6K(Blocks<BlockQ6K>),
    F32(Blocks<f32>),
    /// Q8_0 rows (or Q5_0, Q4_0 converted exactly) for the AVX-512 kernel.
    Packed(packed::Packed),
}

/// Which activation quantization a weight format's kernel needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ActKind {
    Q8_0,
    Q8K,
    F32,
}

/// A weight matrix `W` of `rows × cols`; products compute `x · Wᵀ`.
#[derive(Debug)]
pub struct QMatrix {
    pub rows: usize,
    pub cols: usize,
    w: Weights,
}

/// Activations `x` (`m` rows of `k`), quantized on first use for each kernel
/// kind, so several matrices applied to the same input share the work.
pub struct Input<'a> {
    x: &'a [f32],
    m: usize,
    k: usize,
    q8_0: Option<Q8Rows>,
    q8k: Option<Vec<BlockQ8K>>,
    /// The Q8_0 blocks in AMX tile order, made on first use.
    tiles: Option<amx::Tiles>,
}

/// Q8_0 activation rows: their blocks, the blocks' scales as f32, and the
/// packed kernel's corrections (`packed::corrections`, whole and first half).
type Q8Rows = (Vec<BlockQ8_0>, Vec<f32>, (Vec<i32>, Vec<i32>));

impl<'a> Input<'a> {
    pub fn new(x: &'a [f32], m: usize, k: usize) -> Self {
        debug_assert_eq!(x.len(), m * k);
        Self {
            x,
            m,
            k,
            q8_0: None,
            q8k: None,
            tiles: None,
        }
    }

    /// The rows of the Q8_0 activations (prepared before).
    fn acts(&self) -> Vec<packed::Act<'_>> {
        let kb = self.k / QK8_0;
        let (q, d, (corr, corr_lo)) = self.q8_0.as_ref().expect("Q8_0 activations prepared");
        (0..self.m)
            .map(|i| {
                let r = i * kb..(i + 1) * kb;
                packed::Act {
                    q: &q[r.clone()],
                    d: &d[r.clone()],
                    corr: &corr[r.clone()],
                    corr_lo: &corr_lo[r],
                }
            })
            .collect()
    }

    fn prepare(&mut self, kind: ActKind, pool: &ThreadPool) {
        let (m, k, x) = (self.m, self.k, self.x);
        match kind {
            ActKind::Q8_0 if self.q8_0.is_none() => {
                let kb = k / QK8_0;
                let mut out = vec![BlockQ8_0::ZERO; m * kb];
                let mut scales = vec![0f32; m * kb];
                let (mut corr, mut corr_lo) = (vec![0i32; m * kb], vec![0i32; m * kb]);
                let ptrs = (
                    SyncPtr::new(&mut out),
                    SyncPtr::new(&mut scales),
                    SyncPtr::new(&mut corr),
                    SyncPtr::new(&mut corr_lo),
                );
                pool.run_chunks(m, 1, 2, &|r| {
                    for i in r {
                        // SAFETY: each task writes its own rows.
                        let dst = unsafe { ptrs.0.slice(i * kb, kb) };
                        blocks::quantize_row_q8_0(&x[i * k..(i + 1) * k], dst);
                        let (d, c, c_lo) = unsafe {
                            (
                                ptrs.1.slice(i * kb, kb),
                                ptrs.2.slice(i * kb, kb),
                                ptrs.3.slice(i * kb, kb),
                            )
                        };
                        for (b, blk) in dst.iter().enumerate() {
                            d[b] = blk.d.to_f32();
                            (c[b], c_lo[b]) = packed::corrections(blk);
                        }
                    }
                });
                self.q8_0 = Some((out, scales, (corr, corr_lo)));
            }
            ActKind::Q8K if self.q8k.is_none() => {
                let kb = k / QK_K;
                let mut out = vec![BlockQ8K::ZERO; m * kb];
                let ptr = SyncPtr::new(&mut out);
                pool.run_chunks(m, 1, 2, &|r| {
                    for i in r {
                        // SAFETY: each task writes its own rows.
                        let dst = unsafe { ptr.slice(i * kb, kb) };
                        blocks::quantize_row_q8k(&x[i * k..(i + 1) * k], dst);
                    }
                });
                self.q8k = Some(out);
            }
            _ => {}
        }
    }

    /// The Q8_0 activations in tile order: from the rows where they are
    /// quantised already, else quantised straight into the tiles, the
    /// pool's tasks taking a share of the blocks each (a block's tile is
    /// then written by one task alone). The rows are not kept: a product
    /// on the tiles does not read them.
    fn prepare_tiles(&mut self, pool: &ThreadPool) {
        if self.tiles.is_some() {
            return;
        }
        let kb = self.k / QK8_0;
        if self.q8_0.is_some() {
            self.tiles = Some(amx::Tiles::new(&self.acts(), kb, pool));
            return;
        }
        self.tiles = Some(amx::Tiles::quantised(self.x, self.m, kb, pool));
    }
}

/// The fewest activation rows the packed products put on AMX tiles. A tile
/// product costs the same for 1 row as for 16; below 8 rows the vector
/// kernel was as fast or faster (the `cache_rate` probe in `tests.rs`).
pub const AMX_MIN_ROWS: usize = 8;

/// Rows of weights handled together: their blocks stay in L1 while the
/// activation rows stream past.
const ROW_TILE: usize = 16;

impl QMatrix {
    /// Load tensor `name`, checking it is `rows × cols`.
    pub fn load(gguf: &Gguf, name: &str, rows: usize, cols: usize) -> Result<Self> {
        let info = gguf.tensor(name)?;
        gguf.expect_dims(info, &[cols, rows])?;
        Self::from_info(gguf, info, rows, cols)
    }

    fn from_info(gguf: &Gguf, info: &TensorInfo, rows: usize, cols: usize) -> Result<Self> {
        let unsupported = || Error::UnsupportedTensorType {
            path: gguf.path().to_path_buf(),
            name: info.name.clone(),
            ggml_type: info.ggml_type.name(),
        };
        let w = match info.ggml_type {
            GgmlType::Q8_0 => Weights::Q8_0(gguf.blocks(info)),
            GgmlType::Q5_0 => Weights::Q5_0(gguf.blocks(info)),
            GgmlType::Q4K => Weights::Q4K(gguf.blocks(info)),
            GgmlType::Q6K => Weights::Q6K(gguf.blocks(info)),
            GgmlType::F32 => Weights::F32(gguf.blocks(info)),
            GgmlType::Q4_0 => {
                let b: Blocks<BlockQ4_0> = gguf.blocks(info);
                Weights::Q8_0(Blocks::Owned(b.iter().map(blocks::q4_0_to_q8_0).collect()))
            }
            t => {
                let dtype = t.candle().ok_or_else(unsupported)?;
                if !cols.is_multiple_of(QK8_0) {
                    return Err(unsupported());
                }
                let (_, block_bytes) = t.block().ok_or_else(unsupported)?;
                let row_bytes = cols / t.block().map_or(1, |b| b.0) * block_bytes;
                let raw = gguf.tensor_bytes(info);
                let kb = cols / QK8_0;
                let mut out = vec![BlockQ8_0::ZERO; rows * kb];
                const CHUNK: usize = 256;
                for (ci, rows_raw) in raw.chunks(row_bytes * CHUNK).enumerate() {
                    let n_rows = rows_raw.len() / row_bytes;
                    let f = dtype
                        .from_data(Cow::Borrowed(rows_raw))
                        .dequantize(n_rows * cols)
                        .map_err(|_| unsupported())?;
                    let candle_core::CpuStorage::F32(f) = f else {
                        return Err(unsupported());
                    };
                    for r in 0..n_rows {
                        let row = ci * CHUNK + r;
                        blocks::quantize_row_q8_0(
                            &f[r * cols..(r + 1) * cols],
                            &mut out[row * kb..(row + 1) * kb],
                        );
                    }
                }
                Weights::Q8_0(Blocks::Owned(out))
            }
        };
        let m = Self::new(rows, cols, w);
        if matches!(m.w, Weights::Packed(_)) {
            // The packed copy replaces the file's bytes, which need not stay
            // resident.
            gguf.release(info);
        }
        Ok(m)
    }

    /// A matrix of these weights, repacked for the AVX-512 kernel when it
    /// is compiled in and the format converts exactly.
    fn new(rows: usize, cols: usize, w: Weights) -> Self {
        let w = if packed::AVAILABLE {
            repack(rows, cols, &w).map_or(w, Weights::Packed)
        } else {
            w
        };
        Self { rows, cols, w }
    }

    /// The f32 values of a vector tensor (norm weights).
    pub fn load_vector(gguf: &Gguf, name: &str, len: usize) -> Result<Vec<f32>> {
        let info = gguf.tensor(name)?;
        gguf.expect_dims(info, &[len])?;
        Ok(Self::from_info(gguf, info, 1, len)?.row(0))
    }

    pub fn n_bytes(&self) -> usize {
        match &self.w {
            Weights::Q8_0(b) => std::mem::size_of_val(&b[..]),
            Weights::Q5_0(b) => std::mem::size_of_val(&b[..]),
            Weights::Q4K(b) => std::mem::size_of_val(&b[..]),
            Weights::Q6K(b) => std::mem::size_of_val(&b[..]),
            Weights::F32(b) => std::mem::size_of_val(&b[..]),
            Weights::Packed(p) => p.n_bytes(),
        }
    }

    fn act_kind(&self) -> ActKind {
        match self.w {
            Weights::Q8_0(_) | Weights::Q5_0(_) | Weights::Packed(_) => ActKind::Q8_0,
            Weights::Q4K(_) | Weights::Q6K(_) => ActKind::Q8K,
            Weights::F32(_) => ActKind::F32,
        }
    }

    /// Row `r` as f32 (an embedding lookup).
    pub fn row(&self, r: usize) -> Vec<f32> {
        let mut out = vec![0f32; self.cols];
        self.row_into(r, &mut out);
        out
    }

    pub fn row_into(&self, r: usize, out: &mut [f32]) {
        let k = self.cols;
        match &self.w {
            Weights::Q8_0(b) => {
                let kb = k / QK8_0;
                blocks::dequantize_q8_0(&b[r * kb..(r + 1) * kb], out)
            }
            Weights::Q5_0(b) => {
                let kb = k / QK8_0;
                let q8: Vec<BlockQ8_0> = b[r * kb..(r + 1) * kb]
                    .iter()
                    .map(blocks::q5_0_to_q8_0)
                    .collect();
                blocks::dequantize_q8_0(&q8, out)
            }
            Weights::Q4K(b) => {
                let kb = k / QK_K;
                dot::dequantize_q4k(&b[r * kb..(r + 1) * kb], out)
            }
            Weights::Q6K(b) => {
                let kb = k / QK_K;
                dot::dequantize_q6k(&b[r * kb..(r + 1) * kb], out)
            }
            Weights::F32(v) => out.copy_from_slice(&v[r * k..(r + 1) * k]),
            Weights::Packed(p) => p.row_into(r, out),
        }
    }

    /// `out[i][r] = x[i] · W[r]` for every input row `i` and weight row `r`
    /// (`out` is `m × rows`).
    pub fn matmul(&self, input: &mut Input<'_>, out: &mut [f32], pool: &ThreadPool) {
        assert_eq!(out.len(), input.m * self.rows);
        let ptrs: Vec<SyncPtr<f32>> = (0..input.m)
            .map(|i| SyncPtr::new(&mut out[i * self.rows..]))
            .collect();
        // SAFETY: output i is `rows` long from `ptrs[i]`, inside `out`,
        // which is borrowed mutably for the call.
        unsafe { self.matmul_into(input, &ptrs, pool) }
    }

    /// Like [`QMatrix::matmul`], with each input row's products written to
    /// a slice of its own (`outs[i]` is `rows` long): the output head
    /// writes straight into each sequence's logits.
    pub fn matmul_each(&self, input: &mut Input<'_>, outs: &mut [&mut [f32]], pool: &ThreadPool) {
        assert_eq!(outs.len(), input.m);
        assert!(outs.iter().all(|o| o.len() == self.rows));
        let ptrs: Vec<SyncPtr<f32>> = outs.iter_mut().map(|o| SyncPtr::new(o)).collect();
        // SAFETY: the pointers are to the outputs, each checked to be `rows`
        // long, and borrowed mutably for the call.
        unsafe { self.matmul_into(input, &ptrs, pool) }
    }

    /// Whether the weights are packed: only then can a product summarise
    /// its outputs as it writes them ([`QMatrix::matmul_summarised`]).
    pub fn is_packed(&self) -> bool {
        matches!(self.w, Weights::Packed(_))
    }

    /// `outs[i][r] = x[i] · W[r]` where `outs[i]` is given (`rows` long),
    /// and every input row's summary of its products (maximum, its first
    /// position, and with `exp` Σ exp, else NaN), taken as the products are
    /// written, so the rows are not read again; a row without an output is
    /// never written to memory. `None`, with nothing computed, where the
    /// weights are not packed.
    pub fn matmul_summarised(
        &self,
        input: &mut Input<'_>,
        outs: &mut [Option<&mut [f32]>],
        exp: bool,
        pool: &ThreadPool,
    ) -> Option<Vec<ops::Partial>> {
        assert_eq!(outs.len(), input.m);
        let Weights::Packed(p) = &self.w else {
            return None;
        };
        assert!(outs.iter().flatten().all(|o| o.len() == self.rows));
        let ptrs: Vec<Option<SyncPtr<f32>>> = outs
            .iter_mut()
            .map(|o| o.as_deref_mut().map(SyncPtr::new))
            .collect();
        let amx = self.prepare_packed(input, pool);
        let tiles = input.tiles.as_ref().filter(|_| amx);
        let acts = Self::packed_acts(input, amx);
        // SAFETY: the pointers are to the outputs, each checked to be `rows`
        // long, and borrowed mutably for the call.
        Some(unsafe { p.matmul_summarised(&acts, tiles, &ptrs, exp, pool) })
    }

    /// Quantises `input` for packed weights, and lays it out in tiles when
    /// the product will run on them (then true).
    fn prepare_packed(&self, input: &mut Input<'_>, pool: &ThreadPool) -> bool {
        let amx = pool.amx() && input.m >= AMX_MIN_ROWS;
        if amx {
            input.prepare_tiles(pool);
        } else {
            input.prepare(self.act_kind(), pool);
        }
        amx
    }

    /// The activation rows for a packed product: none where it runs on the
    /// tiles (`amx`), which hold them.
    fn packed_acts<'a>(input: &'a Input<'_>, amx: bool) -> Vec<packed::Act<'a>> {
        if amx { Vec::new() } else { input.acts() }
    }

    /// # Safety
    /// Each of `outs` (one per input row) must point to `rows` floats valid
    /// for writes that nothing else touches during the call.
    unsafe fn matmul_into(&self, input: &mut Input<'_>, outs: &[SyncPtr<f32>], pool: &ThreadPool) {
        debug_assert_eq!(input.k, self.cols);
        if let Weights::Packed(p) = &self.w {
            let amx = self.prepare_packed(input, pool);
            let tiles = input.tiles.as_ref().filter(|_| amx);
            let acts = Self::packed_acts(input, amx);
            // SAFETY: the caller's promise.
            return unsafe { p.matmul(&acts, tiles, outs, pool) };
        }
        input.prepare(self.act_kind(), pool);
        let input = &*input;
        pool.run_chunks(self.rows, ROW_TILE, 4, &|range| {
            for tile in range.clone().step_by(ROW_TILE) {
                let rows = tile..(tile + ROW_TILE).min(range.end);
                // SAFETY: rows are disjoint between tasks; each task writes
                // only element r of each output for its own r.
                self.tile(input, rows, &|i, r, v| unsafe { outs[i].write(r, v) });
            }
        });
    }

    /// Like [`QMatrix::matmul`] for the listed weight rows only:
    /// `out[i][j] = x[i] · W[rows[j]]` (`out` is `m × rows.len()`).
    pub fn matmul_rows(
        &self,
        input: &mut Input<'_>,
        rows: &[u32],
        out: &mut [f32],
        pool: &ThreadPool,
    ) {
        let n = rows.len();
        debug_assert_eq!(out.len(), input.m * n);
        input.prepare(self.act_kind(), pool);
        let input = &*input;
        if let Weights::Packed(p) = &self.w {
            return p.matmul_rows(&input.acts(), rows, out, pool);
        }
        let ptr = SyncPtr::new(out);
        pool.run_chunks(n, 1, 4, &|range| {
            for j in range {
                let r = rows[j] as usize;
                // SAFETY: each task writes only its own columns j.
                self.tile(input, r..r + 1, &|i, _, v| unsafe {
                    ptr.write(i * n + j, v)
                });
            }
        });
    }

    /// Dot products of weight rows `rows` with every input row.
    #[inline]
    fn tile(
        &self,
        input: &Input<'_>,
        rows: std::ops::Range<usize>,
        put: &dyn Fn(usize, usize, f32),
    ) {
        let (m, k) = (input.m, input.k);
        match &self.w {
            Weights::Q8_0(w) => tile_32(w, input, rows, put, dot::dot_q8_0, dot::dot_q8_0_x4),
            Weights::Q5_0(w) => tile_32(w, input, rows, put, dot::dot_q5_0, dot::dot_q5_0_x4),
            Weights::Q4K(w) => tile_256(
                w,
                input,
                rows,
                put,
                kquants::dot_q4k::<1>,
                kquants::dot_q4k::<4>,
            ),
            Weights::Q6K(w) => tile_256(
                w,
                input,
                rows,
                put,
                kquants::dot_q6k::<1>,
                kquants::dot_q6k::<4>,
            ),
            Weights::Packed(_) => unreachable!("packed matrices have their own products"),
            Weights::F32(w) => {
                for i in 0..m {
                    let x = &input.x[i * k..(i + 1) * k];
                    for r in rows.clone() {
                        put(i, r, crate::ops::dot(&w[r * k..(r + 1) * k], x));
                    }
                }
            }
        }
    }
}

/// `rows × cols` weights in the packed layout, if their format converts
/// exactly and `rows` is a whole number of groups.
fn repack(rows: usize, cols: usize, w: &Weights) -> Option<packed::Packed> {
    use packed::Packed;
    if rows == 0 || !rows.is_multiple_of(packed::GROUP) {
        return None;
    }
    let (kb, nb) = (cols / QK8_0, cols / QK_K);
    Some(match w {
        Weights::Q8_0(b) => Packed::new(rows, kb, |r, i| b[r * kb + i]),
        Weights::Q5_0(b) => Packed::new(rows, kb, |r, i| blocks::q5_0_to_q8_0(&b[r * kb + i])),
        Weights::Q4K(b) => Packed::new_split(rows, kb, |r, i| {
            kquants::q4k_split(&b[r * nb + i / 8], i % 8)
        }),
        Weights::Q6K(b) => Packed::new_split(rows, kb, |r, i| {
            kquants::q6k_split(&b[r * nb + i / 8], i % 8)
        }),
        Weights::F32(_) | Weights::Packed(_) => return None,
    })
}

/// Dot products of weight rows `rows` (256-element K-quant blocks) with
/// every input row, four input rows at a time.
#[inline]
fn tile_256<W>(
    w: &[W],
    input: &Input<'_>,
    rows: std::ops::Range<usize>,
    put: &dyn Fn(usize, usize, f32),
    dot1: fn(&[W], [&[BlockQ8K]; 1]) -> [f32; 1],
    dot4: fn(&[W], [&[BlockQ8K]; 4]) -> [f32; 4],
) {
    let (m, kb) = (input.m, input.k / QK_K);
    let a = input.q8k.as_deref().unwrap_or_default();
    let act = |i: usize| &a[i * kb..(i + 1) * kb];
    let mut i = 0;
    while i + 4 <= m {
        let acts: [_; 4] = std::array::from_fn(|j| act(i + j));
        for r in rows.clone() {
            for (j, v) in dot4(&w[r * kb..(r + 1) * kb], acts).into_iter().enumerate() {
                put(i + j, r, v);
            }
        }
        i += 4;
    }
    for i in i..m {
        for r in rows.clone() {
            put(i, r, dot1(&w[r * kb..(r + 1) * kb], [act(i)])[0]);
        }
    }
}

type Dot1<W> = fn(&[W], &[BlockQ8_0], &[f32]) -> f32;
type Dot4<W> = fn(&[W], [&[BlockQ8_0]; 4], [&[f32]; 4]) -> [f32; 4];

/// Dot products of weight rows `rows` (32-element blocks) with every input
/// row, four input rows at a time.
#[inline]
fn tile_32<W>(
    w: &[W],
    input: &Input<'_>,
    rows: std::ops::Range<usize>,
    put: &dyn Fn(usize, usize, f32),
    dot1: Dot1<W>,
    dot4: Dot4<W>,
) {
    let (m, kb) = (input.m, input.k / QK8_0);
    let (a, ad) = input
        .q8_0
        .as_ref()
        .map_or((&[][..], &[][..]), |(a, d, _)| (&a[..], &d[..]));
    let act = |i: usize| (&a[i * kb..(i + 1) * kb], &ad[i * kb..(i + 1) * kb]);
    let mut i = 0;
    while i + 4 <= m {
        let acts: [_; 4] = std::array::from_fn(|j| act(i + j));
        for r in rows.clone() {
            let d = dot4(
                &w[r * kb..(r + 1) * kb],
                acts.map(|x| x.0),
                acts.map(|x| x.1),
            );
            for (j, v) in d.into_iter().enumerate() {
                put(i + j, r, v);
            }
        }
        i += 4;
    }
    for i in i..m {
        let (ai, di) = act(i);
        for r in rows.clone() {
            put(i, r, dot1(&w[r * kb..(r + 1) * kb], ai, di));
        }
    }
}

#[cfg(test)]
mod tests;
