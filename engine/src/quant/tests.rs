//! Matrix products against the single-row kernels, bit for bit, for every
//! batch shape the kernels special-case, and a rate probe for the kernels.

use half::f16;

use super::*;

fn values(seed: u32, n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| ((i as f32 * 0.618 + seed as f32 * 1.37).sin() * 2.0) * (1.0 + (i % 5) as f32))
        .collect()
}

fn q8_0_matrix(rows: usize, cols: usize) -> QMatrix {
    let mut w = vec![BlockQ8_0::ZERO; rows * cols / QK8_0];
    blocks::quantize_row_q8_0(&values(7, rows * cols), &mut w);
    QMatrix {
        rows,
        cols,
        w: Weights::Q8_0(Blocks::Owned(w)),
    }
}

fn q5_0_matrix(rows: usize, cols: usize) -> QMatrix {
    let w = (0..rows * cols / QK8_0)
        .map(|i| BlockQ5_0 {
            d: f16::from_f32(0.003 * (1 + i % 11) as f32),
            qh: (i as u32).wrapping_mul(2_654_435_761).to_le_bytes(),
            qs: std::array::from_fn(|j| ((i * 31 + j * 17) % 256) as u8),
        })
        .collect();
    QMatrix {
        rows,
        cols,
        w: Weights::Q5_0(Blocks::Owned(w)),
    }
}

/// `x · Wᵀ` one product at a time with the single-row kernels.
fn reference(w: &QMatrix, x: &[f32], m: usize) -> Vec<f32> {
    let kb = w.cols / QK8_0;
    let mut input = Input::new(x, m, w.cols);
    input.prepare(ActKind::Q8_0, &ThreadPool::new(1));
    let (a, ad, _) = input.q8_0.as_ref().unwrap();
    let mut out = vec![0.0; m * w.rows];
    for i in 0..m {
        let (a, ad) = (&a[i * kb..(i + 1) * kb], &ad[i * kb..(i + 1) * kb]);
        for r in 0..w.rows {
            out[i * w.rows + r] = match &w.w {
                Weights::Q8_0(b) => dot::dot_q8_0(&b[r * kb..(r + 1) * kb], a, ad),
                Weights::Q5_0(b) => dot::dot_q5_0(&b[r * kb..(r + 1) * kb], a, ad),
                _ => unreachable!("only 32-element block formats here"),
            };
        }
    }
    out
}

#[test]
fn matmul_matches_single_row_products_for_every_batch_shape() {
    let (rows, cols) = (37, 640);
    for w in [q8_0_matrix(rows, cols), q5_0_matrix(rows, cols)] {
        for m in [1, 2, 3, 4, 5, 7, 8, 9, 16, 17] {
            let x = values(m as u32, m * cols);
            let expect = reference(&w, &x, m);
            for threads in [1, 2] {
                let mut out = vec![f32::NAN; m * rows];
                w.matmul(
                    &mut Input::new(&x, m, cols),
                    &mut out,
                    &ThreadPool::new(threads),
                );
                // Bit for bit: a row's result must not depend on the batch
                // it is computed in (batched and single runs agree).
                for (j, (g, e)) in out.iter().zip(&expect).enumerate() {
                    assert_eq!(
                        g.to_bits(),
                        e.to_bits(),
                        "{:?} m={m} threads={threads} output {j}: {g} vs {e}",
                        w.w
                    );
                }
            }
        }
    }
}

/// The same as a matrix repacked for the AVX-512 kernel (where it is
/// compiled in).
fn repacked(w: QMatrix) -> QMatrix {
    QMatrix::new(w.rows, w.cols, w.w)
}

#[test]
fn packed_matmul_does_not_depend_on_the_batch() {
    let (rows, cols) = (48, 640);
    for w in [q8_0_matrix(rows, cols), q5_0_matrix(rows, cols)] {
        let unpacked = reference(&w, &values(99, cols), 1);
        let w = repacked(w);
        assert_eq!(
            matches!(w.w, Weights::Packed(_)),
            packed::AVAILABLE,
            "{:?}",
            w.w
        );
        for m in [1, 3, 4, 5, 9, 13, 16] {
            let x = values(m as u32, m * cols);
            let mut all = vec![f32::NAN; m * rows];
            w.matmul(&mut Input::new(&x, m, cols), &mut all, &ThreadPool::new(2));
            for i in 0..m {
                let mut one = vec![f32::NAN; rows];
                let xi = &x[i * cols..(i + 1) * cols];
                w.matmul(&mut Input::new(xi, 1, cols), &mut one, &ThreadPool::new(1));
                assert_eq!(&all[i * rows..(i + 1) * rows], &one[..], "m={m} row {i}");
            }
        }
        // Close to the unpacked kernels (the float steps differ in order).
        let mut one = vec![0.0; rows];
        w.matmul(
            &mut Input::new(&values(99, cols), 1, cols),
            &mut one,
            &ThreadPool::new(1),
        );
        for (g, e) in one.iter().zip(&unpacked) {
            assert!((g - e).abs() <= 1e-4 * e.abs().max(1.0), "{g} vs {e}");
        }
    }
}

/// Multiply-adds per second of the 32-element block kernels on one thread
/// at several batch sizes (the output projection's shape, 640 columns).
/// A probe, not a check: `cargo test --workspace --release kernel_rate -- --ignored --nocapture`.
#[test]
#[ignore = "a speed probe that prints figures"]
fn kernel_rate() {
    let (rows, cols) = (32_768, 640);
    let vector = ThreadPool::new(1).without_amx();
    let tiles = ThreadPool::new(1);
    for (name, w, pool) in [
        ("Q8_0", q8_0_matrix(rows, cols), &vector),
        ("Q5_0", q5_0_matrix(rows, cols), &vector),
        ("Q8_0 repacked", repacked(q8_0_matrix(rows, cols)), &vector),
        (
            "Q8_0 repacked, tiles",
            repacked(q8_0_matrix(rows, cols)),
            &tiles,
        ),
        ("Q5_0 repacked", repacked(q5_0_matrix(rows, cols)), &vector),
    ] {
        if name.ends_with("tiles") && !pool.amx() {
            println!("{name}: no AMX here");
            continue;
        }
        for m in [1, 4, 16] {
            let x = values(3, m * cols);
            let mut out = vec![0.0; m * rows];
            let mut best = f64::MAX;
            for _ in 0..5 {
                let mut input = Input::new(&x, m, cols);
                input.prepare(ActKind::Q8_0, pool);
                let t = std::time::Instant::now();
                w.matmul(&mut input, &mut out, pool);
                best = best.min(t.elapsed().as_secs_f64());
            }
            let macs = (m * rows * cols) as f64;
            println!(
                "{name} m={m:2}: {:6.2} G multiply-adds/s ({:.1} ms)",
                macs / best / 1e9,
                best * 1e3
            );
        }
    }
}

/// A probe, not a check: the packed products' arithmetic alone, on one
/// thread, with weights that stay in cache (1,024 × 640 Q8_0, 0.7 MB), on
/// the vector kernel and on AMX tiles. `cargo test --workspace --release
/// cache_rate -- --ignored --nocapture`.
#[test]
#[ignore = "a speed probe that prints figures"]
fn cache_rate() {
    let (rows, cols) = (1024, 640);
    let w = repacked(q8_0_matrix(rows, cols));
    let pools = [ThreadPool::new(1).without_amx(), ThreadPool::new(1)];
    for m in [1, 2, 4, 8, 16, 64] {
        let x = values(3, m * cols);
        let mut out = vec![0.0; m * rows];
        let mut input = Input::new(&x, m, cols);
        // Alternating, so that both see the same machine.
        let mut best = [f64::MAX; 2];
        for _ in 0..20 {
            for (pool, best) in pools.iter().zip(&mut best) {
                let t = std::time::Instant::now();
                for _ in 0..10 {
                    w.matmul(&mut input, &mut out, pool);
                }
                *best = best.min(t.elapsed().as_secs_f64() / 10.0);
            }
        }
        let blocks = (rows / 16 * cols / 32) as f64;
        let ns = best.map(|b| b * 1e9 / blocks);
        println!(
            "m={m:2}: ns per 16 weight rows × 32 columns: vector {:.1}, {} {:.1}",
            ns[0],
            if pools[1].amx() {
                "tiles"
            } else {
                "(no AMX) vector"
            },
            ns[1]
        );
    }
}

/// A probe, not a check: the output projection's shape (262,144 × 640,
/// Q8_0, about 170 MB: the weights come from memory, not cache) at 1 and 16
/// activation rows on 2 threads, on the vector kernel and then with
/// `ThreadPool::new`'s choice (AMX tiles where usable): the shape of a
/// decode step's largest product. `cargo test --workspace --release head_rate -- --ignored --nocapture`.
#[test]
#[ignore = "a speed probe that prints figures"]
fn head_rate() {
    let (rows, cols) = (262_144, 640);
    let w = repacked(q8_0_matrix(rows, cols));
    for pool in [ThreadPool::new(2).without_amx(), ThreadPool::new(2)] {
        for m in [1, 16] {
            let x = values(3, m * cols);
            let mut out = vec![0.0; m * rows];
            let mut times = Vec::new();
            for _ in 0..7 {
                let mut input = Input::new(&x, m, cols);
                input.prepare(ActKind::Q8_0, &pool);
                let t = std::time::Instant::now();
                w.matmul(&mut input, &mut out, &pool);
                times.push(t.elapsed().as_secs_f64());
            }
            times.sort_by(f64::total_cmp);
            let macs = (m * rows * cols) as f64;
            println!(
                "{rows} × {cols} at m={m}, 2 threads, {pool:?}: median {:.1} G multiply-adds/s ({:.2} ms), best {:.1}",
                macs / times[times.len() / 2] / 1e9,
                times[times.len() / 2] * 1e3,
                macs / times[0] / 1e9
            );
        }
    }
}

/// Q4_K and Q6_K rows repacked for the AVX-512 kernel give the values of
/// the K-quant blocks: unpacked rows and products against the dequantized
/// weights.
#[test]
fn k_quant_rows_repack_to_the_same_values() {
    use candle_core::quantized::k_quants as ck;
    fn check<B: ck::GgmlType>(wrap: fn(Vec<B>) -> Weights) {
        let (rows, cols) = (32, 512);
        let x = values(5, rows * cols);
        let mut b = vec![B::zeros(); rows * cols / QK_K];
        B::from_float(&x, &mut b);
        let plain = QMatrix {
            rows,
            cols,
            w: wrap(b.clone()),
        };
        let chosen = QMatrix::new(rows, cols, wrap(b.clone()));
        assert_eq!(matches!(chosen.w, Weights::Packed(_)), packed::AVAILABLE);
        // Packed whether or not this build uses it (the portable kernel
        // computes it where AVX-512 is missing).
        let packed = QMatrix {
            rows,
            cols,
            w: Weights::Packed(repack(rows, cols, &wrap(b)).unwrap()),
        };
        let m = 3;
        let xs = values(6, m * cols);
        let mut input = Input::new(&xs, m, cols);
        let mut out = vec![0.0; m * rows];
        packed.matmul(&mut input, &mut out, &ThreadPool::new(2));
        let (a, ad, _) = input.q8_0.as_ref().unwrap();
        for r in 0..rows {
            let (want, got) = (plain.row(r), packed.row(r));
            for (w, g) in want.iter().zip(&got) {
                assert!(
                    (w - g).abs() <= 1e-6 * w.abs().max(1e-3),
                    "{} row {r}: {g} vs {w}",
                    std::any::type_name::<B>()
                );
            }
            for i in 0..m {
                let exact: f64 = (0..cols)
                    .map(|c| {
                        let blk = i * cols / QK8_0 + c / QK8_0;
                        want[c] as f64 * a[blk].qs[c % QK8_0] as f64 * ad[blk] as f64
                    })
                    .sum();
                let g = out[i * rows + r] as f64;
                assert!(
                    (g - exact).abs() < 1e-4 * exact.abs().max(1.0),
                    "{g} vs {exact}"
                );
            }
        }
    }
    // SAFETY (both): candle's and flinch's block types have identical layouts.
    check::<ck::BlockQ4K>(|b| {
        Weights::Q4K(Blocks::Owned(
            b.iter()
                .map(|b| unsafe { std::mem::transmute_copy(b) })
                .collect(),
        ))
    });
    check::<ck::BlockQ6K>(|b| {
        Weights::Q6K(Blocks::Owned(
            b.iter()
                .map(|b| unsafe { std::mem::transmute_copy(b) })
                .collect(),
        ))
    });
}

/// A probe, not a check: what quantising a batch's activations costs, for
/// 16 rows of each width Gemma 3 270M's products take: into rows (the
/// vector kernel's input), into rows and then laid out in tiles, and
/// straight into tiles (what a product on the tiles does).
/// `cargo test --workspace --release activation_quantisation_cost -- --ignored --nocapture`.
#[test]
#[ignore = "a speed probe that prints figures"]
fn activation_quantisation_cost() {
    let pool = ThreadPool::new(2);
    for k in [640usize, 1024, 2048] {
        let x = values(3, 16 * k);
        let n = 20_000;
        let mut best = [f64::MAX; 3];
        for _ in 0..5 {
            for (way, best) in best.iter_mut().enumerate() {
                let t = std::time::Instant::now();
                for _ in 0..n {
                    let mut input = Input::new(&x, 16, k);
                    if way < 2 {
                        input.prepare(ActKind::Q8_0, &pool);
                    }
                    if way > 0 {
                        input.prepare_tiles(&pool);
                    }
                    std::hint::black_box(&input);
                }
                *best = best.min(t.elapsed().as_secs_f64() / n as f64 * 1e6);
            }
        }
        println!(
            "16 rows of {k}: rows {:.2} µs, rows then tiles {:.2} µs, tiles {:.2} µs (best of 5 × {n})",
            best[0], best[1], best[2]
        );
    }
}

/// A probe, not a check: what summarising the rows costs the output
/// projection's product (16 rows, one thread, weights in cache), with the
/// rows only summarised (with and without Σ exp) and with them written too.
/// `cargo test --workspace --release summary_rate -- --ignored --nocapture`.
#[test]
#[ignore = "a speed probe that prints figures"]
fn summary_rate() {
    let (rows, cols) = (2048, 640);
    let w = repacked(q8_0_matrix(rows, cols));
    let pool = ThreadPool::new(1);
    let m = 16;
    let x = values(3, m * cols);
    let mut out = vec![0.0; m * rows];
    let mut input = Input::new(&x, m, cols);
    let mut best = [f64::MAX; 4];
    for _ in 0..30 {
        let t = std::time::Instant::now();
        for _ in 0..10 {
            w.matmul(&mut input, &mut out, &pool);
        }
        best[0] = best[0].min(t.elapsed().as_secs_f64() / 10.0);
        let t = std::time::Instant::now();
        for _ in 0..10 {
            let mut outs: Vec<Option<&mut [f32]>> = (0..m).map(|_| None).collect();
            w.matmul_summarised(&mut input, &mut outs, true, &pool);
        }
        best[1] = best[1].min(t.elapsed().as_secs_f64() / 10.0);
        let t = std::time::Instant::now();
        for _ in 0..10 {
            let mut outs: Vec<Option<&mut [f32]>> = out.chunks_mut(rows).map(Some).collect();
            w.matmul_summarised(&mut input, &mut outs, true, &pool);
        }
        best[2] = best[2].min(t.elapsed().as_secs_f64() / 10.0);
        let t = std::time::Instant::now();
        for _ in 0..10 {
            let mut outs: Vec<Option<&mut [f32]>> = (0..m).map(|_| None).collect();
            w.matmul_summarised(&mut input, &mut outs, false, &pool);
        }
        best[3] = best[3].min(t.elapsed().as_secs_f64() / 10.0);
    }
    let blocks = (rows / 16 * cols / 32) as f64;
    let ns = best.map(|b| b * 1e9 / blocks);
    println!(
        "ns per 16 weight rows × 32 columns: product {:.1}, summarised {:.1}, summarised and written {:.1}, maximum only {:.1} ({})",
        ns[0],
        ns[1],
        ns[2],
        ns[3],
        if pool.amx() { "tiles" } else { "vector" }
    );
}

/// A probe, not a check: the K-quant forms' products (Q4_K one scale a
/// block and a bias, Q6_K two scales a block) at 16 rows on one thread,
/// weights in cache, beside Q8_0's.
/// `cargo test --workspace --release k_quant_rate -- --ignored --nocapture`.
#[test]
#[ignore = "a speed probe that prints figures"]
fn k_quant_rate() {
    use candle_core::quantized::k_quants as ck;
    let (rows, cols, m) = (640, 1024, 16);
    fn k_quant<B: ck::GgmlType>(rows: usize, cols: usize, wrap: fn(Vec<B>) -> Weights) -> QMatrix {
        let mut b = vec![B::zeros(); rows * cols / ck::QK_K];
        B::from_float(&values(5, rows * cols), &mut b);
        QMatrix::new(rows, cols, wrap(b))
    }
    let ws = [
        ("Q8_0", repacked(q8_0_matrix(rows, cols))),
        // SAFETY (both): candle's and flinch's block types have identical
        // layouts.
        (
            "Q4_K",
            k_quant::<ck::BlockQ4K>(rows, cols, |b| {
                Weights::Q4K(Blocks::Owned(
                    b.iter()
                        .map(|b| unsafe { std::mem::transmute_copy(b) })
                        .collect(),
                ))
            }),
        ),
        (
            "Q6_K",
            k_quant::<ck::BlockQ6K>(rows, cols, |b| {
                Weights::Q6K(Blocks::Owned(
                    b.iter()
                        .map(|b| unsafe { std::mem::transmute_copy(b) })
                        .collect(),
                ))
            }),
        ),
    ];
    let pool = ThreadPool::new(1);
    let x = values(3, m * cols);
    let mut out = vec![0.0; m * rows];
    let mut best = [f64::MAX; 3];
    for _ in 0..20 {
        for ((_, w), best) in ws.iter().zip(&mut best) {
            let mut input = Input::new(&x, m, cols);
            w.matmul(&mut input, &mut out, &pool);
            let t = std::time::Instant::now();
            for _ in 0..10 {
                w.matmul(&mut input, &mut out, &pool);
            }
            *best = best.min(t.elapsed().as_secs_f64() / 10.0);
        }
    }
    let blocks = (rows / 16 * cols / 32) as f64;
    for ((name, _), best) in ws.iter().zip(best) {
        println!(
            "{name}: ns per 16 weight rows × 32 columns, {m} rows ({}): {:.1}",
            if pool.amx() { "tiles" } else { "vector" },
            best * 1e9 / blocks
        );
    }
}

/// Activations quantised straight into tiles, by the pool's tasks over
/// blocks, are the tiles laid out from the quantised rows.
#[test]
fn tiles_quantised_directly_match_the_tiles_of_the_rows() {
    let pool = ThreadPool::new(2);
    for (m, kb) in [(8, 20), (16, 3), (21, 64)] {
        let k = kb * QK8_0;
        let mut x = values(11, m * k);
        // A row of zeros, one whose scale is below f16's smallest normal,
        // and a large one.
        x[2 * k..3 * k].fill(0.0);
        x[5 * k..6 * k].iter_mut().for_each(|v| *v *= 1e-7);
        x[7 * k..8 * k].iter_mut().for_each(|v| *v *= 1e4);
        let mut direct = Input::new(&x, m, kb * QK8_0);
        direct.prepare_tiles(&pool);
        assert!(direct.q8_0.is_none(), "the rows are not kept");
        let mut rows = Input::new(&x, m, kb * QK8_0);
        rows.prepare(ActKind::Q8_0, &pool);
        rows.prepare_tiles(&pool);
        assert!(
            direct.tiles == rows.tiles,
            "tiles differ for {m} × {kb} blocks"
        );
    }
}
