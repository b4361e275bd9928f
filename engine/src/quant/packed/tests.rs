//! The packed products against the portable kernel and the exact sums, on
//! both layouts and on the tiles.

use super::product::portable;
use super::*;
use crate::ops::Partial;
use crate::pool::{SyncPtr, ThreadPool};
use crate::quant::amx::Tiles;
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
            let tiles = Tiles::new(&acts[..n], kb, &pool);
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
    // An odd number of blocks: the tile kernel's two sets of tiles take
    // blocks in turns, and the last one is the first set's.
    let (rows, kb) = (48, 19);
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
    // An odd number of blocks, as for Q8_0.
    let (rows, kb) = (32, 15);
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
            bias: if i.is_multiple_of(4) {
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

/// The summarised product: the same products, and summaries that match
/// the rows' own (maximum and its first position exactly, Σ exp closely)
/// and that are the same bits on 1, 2 or 3 threads, on tiles or vectors,
/// and for a row alone or among others. Without Σ exp: the same maximum
/// and position, and a NaN sum.
#[test]
fn summarised_products_summarise_each_row_whatever_the_threads_and_rows() {
    // Two whole spans and part of a third.
    let (rows, kb, m) = (GROUP * (2 * SUMMARY_GROUPS + 3), 4, 17);
    let w = blocks(5, rows * kb);
    let p = Packed::new(rows, kb, |r, b| w[r * kb + b]);
    let a = blocks(6, m * kb);
    let ad: Vec<f32> = a.iter().map(|b| b.d.to_f32()).collect();
    let (corr, corr_lo): (Vec<i32>, Vec<i32>) = a.iter().map(corrections).unzip();
    let acts: Vec<Act<'_>> = (0..m)
        .map(|i| Act {
            q: &a[i * kb..(i + 1) * kb],
            d: &ad[i * kb..(i + 1) * kb],
            corr: &corr[i * kb..(i + 1) * kb],
            corr_lo: &corr_lo[i * kb..(i + 1) * kb],
        })
        .collect();
    // `keep_odd`: only the even rows' products are written out; `exp`:
    // Σ exp is taken.
    let run_with = |acts: &[Act<'_>], threads: usize, tiles: bool, keep_odd: bool, exp: bool| {
        let pool = ThreadPool::new(threads).without_amx();
        let mut out = vec![0f32; acts.len() * rows];
        let ptrs: Vec<_> = out
            .chunks_exact_mut(rows)
            .enumerate()
            .map(|(i, o)| (keep_odd || i % 2 == 0).then(|| SyncPtr::new(o)))
            .collect();
        let tiles = tiles.then(|| Tiles::new(acts, kb, &pool));
        // SAFETY: each pointer is to a `rows`-long part of `out`.
        let sums = unsafe { p.matmul_summarised(acts, tiles.as_ref(), &ptrs, exp, &pool) };
        (out, sums)
    };
    let run_keeping = |acts: &[Act<'_>], threads: usize, tiles: bool, keep_odd: bool| {
        run_with(acts, threads, tiles, keep_odd, true)
    };
    // Without Σ exp: the maximum and position of `sums`, and NaN sums.
    let best_only = |tiles: bool, threads: usize, sums: &[Partial]| {
        let (out, best) = run_with(&acts, threads, tiles, false, false);
        assert_eq!(out.len(), m * rows);
        for (i, (b, s)) in best.iter().zip(sums).enumerate() {
            assert_eq!((b.max, b.at), (s.max, s.at), "row {i}, {threads} threads");
            assert!(b.sum.is_nan(), "row {i}: sum {}", b.sum);
        }
    };
    let run =
        |acts: &[Act<'_>], threads: usize, tiles: bool| run_keeping(acts, threads, tiles, true);
    let (out, sums) = run(&acts, 2, false);
    let mut plain = vec![0f32; m * rows];
    let ptrs: Vec<_> = plain.chunks_exact_mut(rows).map(SyncPtr::new).collect();
    // SAFETY: as above.
    unsafe { p.matmul(&acts, None, &ptrs, &ThreadPool::new(2).without_amx()) };
    assert_eq!(out, plain);
    for (i, s) in sums.iter().enumerate() {
        let row = &out[i * rows..(i + 1) * rows];
        let want = Partial::of_row(row);
        assert_eq!((s.max, s.at), (want.max, want.at), "row {i}");
        let (got, lse) = (s.log_sum_exp(), want.log_sum_exp());
        assert!(
            (got - lse).abs() < 1e-5 * lse.abs().max(1.0),
            "row {i}: {got} vs {lse}"
        );
    }
    for threads in [1, 3] {
        assert_eq!(run(&acts, threads, false).1, sums, "{threads} threads");
        best_only(false, threads, &sums);
    }
    assert_eq!(run(&acts[5..6], 2, false).1, sums[5..6], "a row alone");
    // Rows only summarised: the same summaries, and their outputs untouched.
    let (half, half_sums) = run_keeping(&acts, 2, false, false);
    assert_eq!(half_sums, sums, "odd rows only summarised");
    for (i, (row, full)) in half
        .chunks_exact(rows)
        .zip(out.chunks_exact(rows))
        .enumerate()
    {
        if i % 2 == 0 {
            assert_eq!(row, full, "row {i}");
        } else {
            assert!(row.iter().all(|&v| v == 0.0), "row {i} was written");
        }
    }
    if AVAILABLE && amx::usable() {
        assert_eq!(run(&acts, 2, true).1, sums, "on tiles");
        assert_eq!(
            run_keeping(&acts, 2, true, false).1,
            sums,
            "on tiles, odd rows only summarised"
        );
        best_only(true, 2, &sums);
    }
}
