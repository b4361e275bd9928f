//! The packed products: the passes of activation rows over each group of
//! 16 weight rows, on AMX tiles or the vector kernel, the prefetching that
//! keeps the weights coming, and the summaries of the output head's rows.

use half::f16;

use super::amx::{self, Tiles};
use super::{
    AVAILABLE, Act, Biased, CHUNK_GROUPS, GROUP, Packed, QK8_0, Quads, SUMMARY_GROUPS, Scales,
    Split, block_sum,
};
use crate::ops::{Lanes, Partial};
use crate::pool::{SyncPtr, ThreadPool};

/// On the tile path, how many blocks ahead of the one computed its weights
/// are asked for in L1 (see [`Packed::prefetch`]).
const NEAR_AHEAD: usize = 2;

/// How many blocks past the next group's block one line is asked for in L2
/// (see [`Packed::prefetch`]): 40 blocks of 512 bytes, five 4 KiB pages.
const FAR_AHEAD: usize = 40;

/// The closure a kernel calls with each block's index while it computes
/// that block: [`Packed::prefetch`] for block `b` of group `g` and, while
/// `ahead` lasts, the next group's block. Inlined on purpose: as a call, it
/// made the kernels spill their accumulators around it.
macro_rules! prefetcher {
    ($packed:expr, $g:expr, $ahead:expr, $tiles:literal) => {
        #[inline(always)]
        |b: usize| {
            let next = (b < $ahead.len()).then(|| $ahead.start + b);
            $packed.prefetch::<$tiles>($g * $packed.kb + b, next)
        }
    };
}

impl Packed {
    /// The prefetches made while block `current` is computed, when block
    /// `next` of the next group (if any) is the one this pass asks for:
    /// - block `next`'s weights: into L1 on the vector kernel; into L2 on
    ///   the tiles (`TILES`), which then ask for block `current +
    ///   NEAR_AHEAD` in L1, a short way ahead;
    /// - block `next`'s scales into L1;
    /// - the first line of block `next + FAR_AHEAD` into L2, which starts the
    ///   hardware's stream prefetcher on the weights' next pages early.
    ///
    /// A prefetch into L1 holds one of the core's few fill buffers until its
    /// line arrives. The tiles are slow enough per block that asking for the
    /// next group in L1 kept those buffers waiting on memory and limited how
    /// much was in flight; from L2 the near prefetches turn over quickly.
    /// Batch decode on the tiles +5 to 6% that way. The same on the vector
    /// kernel made single-stream decode 2.6% slower, so it keeps the next
    /// group in L1 (the `batch` example, builds in turns; engine/README.md).
    #[inline(always)]
    fn prefetch<const TILES: bool>(&self, current: usize, next: Option<usize>) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_MM_HINT_T0, _MM_HINT_T2, _mm_prefetch};
            fn lines<const HINT: i32>(p: *const u8, bytes: usize) {
                for l in (0..bytes).step_by(64) {
                    // SAFETY: a prefetch does not fault.
                    unsafe { _mm_prefetch::<HINT>(p.wrapping_add(l) as *const i8) }
                }
            }
            let weights = |q: &Quads| q.0.as_ptr();
            if TILES && let Some(q) = self.qs.get(current + NEAR_AHEAD) {
                lines::<_MM_HINT_T0>(weights(q), size_of::<Quads>());
            }
            let Some((i, q)) = next.and_then(|i| Some((i, self.qs.get(i)?))) else {
                return;
            };
            if TILES {
                lines::<_MM_HINT_T2>(weights(q), size_of::<Quads>());
            } else {
                lines::<_MM_HINT_T0>(weights(q), size_of::<Quads>());
            }
            match &self.scales {
                Scales::Q8(d) => {
                    lines::<_MM_HINT_T0>(d[i].as_ptr().cast(), size_of::<[f16; GROUP]>())
                }
                Scales::Biased(s) => {
                    lines::<_MM_HINT_T0>((&s[i] as *const Biased).cast(), size_of::<Biased>())
                }
                Scales::Split(s) => {
                    lines::<_MM_HINT_T0>((&s[i] as *const Split).cast(), size_of::<Split>())
                }
            }
            if let Some(far) = self.qs.get(i + FAR_AHEAD) {
                lines::<_MM_HINT_T2>(weights(far), 1);
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = (current, next);
    }

    /// The 16 rows of group `g` against activation rows `a`, into
    /// `out[r][0..16]`. While block `b` is computed, [`Packed::prefetch`]
    /// asks for the blocks a little ahead in this group and for block
    /// `ahead.start + b` (if still in `ahead`) of the next.
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
        #[cfg(all(
            target_arch = "x86_64",
            target_feature = "avx512f",
            target_feature = "avx512vnni"
        ))]
        // SAFETY: the features are enabled at compile time; lengths are
        // checked above.
        unsafe {
            use super::avx512::{group, group_split};
            match (&self.scales, self.signed) {
                (Scales::Q8(d), true) => {
                    group::<_, R, true>(qs, &d[range], a, out, prefetcher!(self, g, ahead, false))
                }
                (Scales::Q8(d), false) => {
                    group::<_, R, false>(qs, &d[range], a, out, prefetcher!(self, g, ahead, false))
                }
                (Scales::Biased(s), true) => {
                    group::<_, R, true>(qs, &s[range], a, out, prefetcher!(self, g, ahead, false))
                }
                (Scales::Biased(s), false) => {
                    group::<_, R, false>(qs, &s[range], a, out, prefetcher!(self, g, ahead, false))
                }
                (Scales::Split(s), true) => group_split::<R, true>(
                    qs,
                    &s[range],
                    a,
                    out,
                    prefetcher!(self, g, ahead, false),
                ),
                (Scales::Split(s), false) => group_split::<R, false>(
                    qs,
                    &s[range],
                    a,
                    out,
                    prefetcher!(self, g, ahead, false),
                ),
            }
        }
        #[cfg(not(all(
            target_arch = "x86_64",
            target_feature = "avx512f",
            target_feature = "avx512vnni"
        )))]
        {
            let _ = (ahead, qs);
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
        // SAFETY: `matmul` holds a tile session on this thread while it
        // calls this; lengths are checked above.
        unsafe {
            // One kernel call, for `R` rows.
            macro_rules! call {
                ($kernel:ident, $r:literal, $scales:expr, $signed:literal) => {
                    kernel::$kernel::<$r, $signed>(
                        qs,
                        $scales,
                        tiles,
                        chunk,
                        out,
                        prefetcher!(self, g, ahead, true),
                    )
                };
            }
            // The row counts the kernels are built for: 4, 8 or 16.
            macro_rules! rows {
                ($kernel:ident, $scales:expr, $signed:literal) => {
                    match out.len() {
                        0..=4 => call!($kernel, 4, $scales, $signed),
                        5..=8 => call!($kernel, 8, $scales, $signed),
                        _ => call!($kernel, 16, $scales, $signed),
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
    /// a time, and `acts` may be empty; without, on the vector kernel. Both
    /// give the same bits.
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
        let outs: Vec<Option<SyncPtr<f32>>> = outs.iter().copied().map(Some).collect();
        // SAFETY: the caller's promise.
        unsafe { self.product::<false, false>(acts, tiles, &outs, None, pool) }
    }

    /// [`Packed::matmul`], also summarising each output row (its maximum,
    /// first position of it, and with `exp` Σ exp, else NaN) group by
    /// group as it is written,
    /// while it is in L1. The summary is combined from spans of
    /// [`SUMMARY_GROUPS`] groups in order, so it does not depend on the
    /// threads or on the other rows. A row whose output is `None` is only
    /// summarised: its products go to a scratch of one group, not to memory.
    ///
    /// # Safety
    /// As [`Packed::matmul`], for the outputs given.
    pub(crate) unsafe fn matmul_summarised<'a>(
        &self,
        acts: &[Act<'a>],
        tiles: Option<&Tiles>,
        outs: &[Option<SyncPtr<f32>>],
        exp: bool,
        pool: &ThreadPool,
    ) -> Vec<Partial> {
        let m = tiles.map_or(acts.len(), Tiles::rows);
        let spans = self.groups.div_ceil(SUMMARY_GROUPS);
        let mut parts = vec![Partial::combine([]); m * spans];
        let ptr = SyncPtr::new(&mut parts);
        // SAFETY: the caller's promise; `parts` is `m × spans` long.
        unsafe {
            if exp {
                self.product::<true, true>(acts, tiles, outs, Some(&ptr), pool)
            } else {
                self.product::<true, false>(acts, tiles, outs, Some(&ptr), pool)
            }
        };
        parts
            .chunks(spans.max(1))
            .map(|row| Partial::combine(row.iter().copied()))
            .collect()
    }

    /// # Safety
    /// As [`Packed::matmul`]; with `SUMMARY`, `sums` holds `m × spans`
    /// summaries, their Σ exp taken only with `EXP`.
    unsafe fn product<'a, const SUMMARY: bool, const EXP: bool>(
        &self,
        acts: &[Act<'a>],
        tiles: Option<&Tiles>,
        outs: &[Option<SyncPtr<f32>>],
        sums: Option<&SyncPtr<Partial>>,
        pool: &ThreadPool,
    ) {
        let m = tiles.map_or(acts.len(), Tiles::rows);
        assert!(acts.is_empty() || acts.len() == m);
        assert_eq!(outs.len(), m);
        let tiles = tiles.filter(|_| AVAILABLE);
        assert!(
            tiles.is_some() || acts.len() == m,
            "tiles without the rows, where the tiles are not compiled in"
        );
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
        // Summaries are kept per span, so tasks hold whole spans.
        let align = if SUMMARY { SUMMARY_GROUPS } else { 1 };
        let spans = self.groups.div_ceil(SUMMARY_GROUPS);
        pool.run_chunks(self.groups, align, per_thread, &|range| {
            let mut lanes = vec![Lanes::default(); if SUMMARY { m } else { 0 }];
            // One group's products of each row that is only summarised.
            let mut scratch = vec![0f32; if SUMMARY { m * GROUP } else { 0 }];
            let scratch = SyncPtr::new(&mut scratch);
            #[cfg(all(
                target_arch = "x86_64",
                target_feature = "avx512f",
                target_feature = "avx512vnni"
            ))]
            // SAFETY: tiles are only made where `amx::usable()` said so.
            let _session = tiles.map(|_| unsafe {
                amx::kernel::Session::start(matches!(self.scales, Scales::Split(_)))
            });
            for g in range.clone() {
                // SAFETY: the outputs are `rows` long (the caller's
                // promise), and each task writes only its own groups' rows
                // and its own scratch.
                let row = |i: usize| unsafe {
                    match &outs[i] {
                        Some(out) => out.slice(g * GROUP, GROUP),
                        None => scratch.slice(i * GROUP, GROUP),
                    }
                };
                // The next group is prefetched past the task's end too: a
                // thread's tasks are consecutive (see `pool`), so it is
                // usually this thread's next one.
                let next = (g + 1 < self.groups).then_some((g + 1) * kb);
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
                if SUMMARY {
                    for (i, l) in lanes.iter_mut().enumerate() {
                        if let Ok(v) = <&[f32; GROUP]>::try_from(&*row(i)) {
                            l.push::<EXP>(v, (g * GROUP) as u32);
                        }
                    }
                    if (g + 1) % SUMMARY_GROUPS == 0 || g + 1 == range.end {
                        let span = g / SUMMARY_GROUPS;
                        for (i, l) in lanes.iter_mut().enumerate() {
                            // SAFETY: the caller's promise of `m × spans`
                            // summaries; each span is one task's.
                            unsafe { sums.map(|p| p.write(i * spans + span, l.finish::<EXP>())) };
                            *l = Lanes::default();
                        }
                    }
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
                for (i, a) in acts.iter().enumerate() {
                    // SAFETY: each task writes only its own groups' columns.
                    let dst = unsafe { ptr.slice(i * width + k * GROUP, GROUP) };
                    self.group::<1>(groups[k], [*a], [dst], 0..0);
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
pub(super) fn portable(p: &Packed, range: std::ops::Range<usize>, a: &Act<'_>, out: &mut [f32]) {
    let qs = &p.qs[range.clone()];
    let mut acc = [0f32; GROUP];
    for (b, q) in qs.iter().enumerate() {
        let i = range.start + b;
        for (j, acc) in acc.iter_mut().enumerate() {
            // The exact integer sum, whatever the layout (the kernels' sums
            // with their corrections are the same integers).
            let sum = |cols: std::ops::Range<usize>| {
                cols.fold(0i32, |s, c| {
                    s + p.weight(q.0[Packed::at(j, c)]) as i32 * a.q[b].qs[c] as i32
                })
            };
            let p = match &p.scales {
                Scales::Q8(d) => d[i][j].to_f32() * sum(0..QK8_0) as f32,
                Scales::Biased(s) => {
                    let p = s[i].scale[j] * sum(0..QK8_0) as f32;
                    s[i].bias[j].mul_add(block_sum(a.corr[b]), p)
                }
                Scales::Split(s) => {
                    let lo = sum(0..16) as f32;
                    let hi = sum(16..QK8_0) as f32;
                    let p = s[i].lo[j].mul_add(lo, s[i].hi[j] * hi);
                    s[i].bias[j].mul_add(block_sum(a.corr[b]), p)
                }
            };
            *acc = a.d[b].mul_add(p, *acc);
        }
    }
    out.copy_from_slice(&acc);
}
