//! Each limit ends an evaluation with its own typed error, and the sandbox
//! keeps working afterwards; the module cache round-trips.

mod common;

use std::time::{Duration, Instant};

use flinch_sandbox::{EvalError, Limits, ModuleCache, ModuleSource, Sandbox};

/// Exact big-rational work that stays under the size limit: each line divides
/// numbers of ~32,000 bits (a gcd each time), so it burns fuel steadily.
fn heavy_program(lines: usize) -> String {
    let mut p = String::from("a = 3**5000 + 1\nb = 7**2800 + 3\n");
    for _ in 0..lines {
        p.push_str("c = a / b\n");
    }
    p.push('c');
    p
}

#[test]
fn running_out_of_fuel_is_typed_and_recoverable() {
    let sb = common::sandbox();
    let limits = Limits {
        fuel: 1_000_000,
        ..Limits::default()
    };
    let e = sb.eval_with(&heavy_program(10), &limits).unwrap_err();
    assert_eq!(e, EvalError::OutOfFuel { fuel: 1_000_000 });
    assert_eq!(
        e.to_string(),
        "out of fuel: the evaluation used all 1000000 units of its fuel"
    );
    assert_eq!(sb.eval("1 + 1").unwrap().exact, "2");
}

#[test]
fn the_deadline_is_wall_clock() {
    let sb = common::sandbox();
    let limits = Limits {
        fuel: u64::MAX / 4,
        deadline: Duration::from_millis(50),
        ..Limits::default()
    };
    let started = Instant::now();
    let e = sb.eval_with(&heavy_program(3000), &limits).unwrap_err();
    let took = started.elapsed();
    assert_eq!(
        e,
        EvalError::DeadlineExceeded {
            deadline: Duration::from_millis(50)
        }
    );
    assert!(
        took >= Duration::from_millis(50) && took < Duration::from_millis(1000),
        "took {took:?}"
    );
    assert_eq!(sb.eval("3 * 3").unwrap().exact, "9");
}

#[test]
fn the_memory_cap_is_a_typed_error_not_a_trap() {
    let sb = common::sandbox();
    let limits = Limits {
        max_memory_bytes: 4 << 20,
        max_program_bytes: 2 << 20,
        ..Limits::default()
    };
    let program = format!("{}1", "1+".repeat(500_000));
    let e = sb.eval_with(&program, &limits).unwrap_err();
    assert_eq!(e, EvalError::MemoryLimit { max_bytes: 4 << 20 });
    assert_eq!(
        e.to_string(),
        "memory limit: the evaluation needed more than 4194304 bytes of memory"
    );
    assert_eq!(sb.eval("10 - 4").unwrap().exact, "6");
}

#[test]
fn megabyte_inputs_end_in_typed_results_when_allowed_in() {
    let sb = common::sandbox();
    let limits = Limits {
        max_program_bytes: 2 << 20,
        ..Limits::default()
    };
    let comment = format!("#{}\n5", "x".repeat(1 << 20));
    assert_eq!(sb.eval_with(&comment, &limits).unwrap().exact, "5");
    let nul = "\0".repeat(1 << 20);
    assert_eq!(
        sb.eval_with(&nul, &limits).unwrap_err().kind(),
        "syntax_error"
    );
    let parens = format!("{}1", "(".repeat(1 << 20));
    assert_eq!(
        sb.eval_with(&parens, &limits).unwrap_err().kind(),
        "too_deep"
    );
    let digits = "9".repeat(1 << 20);
    assert_eq!(
        sb.eval_with(&digits, &limits).unwrap_err().kind(),
        "too_large"
    );
    let sum = format!("{}1", "1+".repeat(500_000));
    let r = sb.eval_with(&sum, &limits);
    assert!(
        matches!(&r, Ok(v) if v.exact == "500001") || matches!(r, Err(EvalError::OutOfFuel { .. })),
        "{r:?}"
    );
}

#[test]
fn oversized_programs_are_refused_before_the_sandbox() {
    let sb = common::sandbox();
    let program = "1".repeat(sb.limits().max_program_bytes + 1);
    let e = sb.eval(&program).unwrap_err();
    assert_eq!(
        e,
        EvalError::ProgramTooLarge {
            len: 65_537,
            max: 65_536
        }
    );
}

#[test]
fn a_guest_crash_does_not_take_the_host_down() {
    let sb = common::sandbox();
    // With the nesting limit lifted, deep brackets overflow the guest's stack.
    let limits = Limits {
        max_nesting: u32::MAX,
        max_program_bytes: 1 << 20,
        ..Limits::default()
    };
    let program = format!("{}1{}", "(".repeat(200_000), ")".repeat(200_000));
    let e = sb.eval_with(&program, &limits).unwrap_err();
    // wasmtime's own stack limit stops the guest's recursion: a real trap.
    assert!(
        matches!(&e, EvalError::GuestTrap { message } if message.contains("call stack exhausted")),
        "{e:?}"
    );
    assert_eq!(sb.eval("2 ** 5").unwrap().exact, "32");
}

#[test]
fn fuel_used_is_reported_and_deterministic() {
    let sb = common::sandbox();
    let a = sb.eval("books = 5*20 + 3*30 + 2*45\nbooks").unwrap();
    let b = sb.eval("books = 5*20 + 3*30 + 2*45\nbooks").unwrap();
    assert_eq!(a.exact, "280");
    assert!(
        a.fuel_used > 0 && a.fuel_used < 1_000_000,
        "{}",
        a.fuel_used
    );
    assert_eq!(a.fuel_used, b.fuel_used);
    assert_eq!(a.assignments.len(), 1);
    assert_eq!(
        (
            a.assignments[0].name.as_str(),
            a.assignments[0].exact.as_str()
        ),
        ("books", "280")
    );
}

#[test]
fn the_module_cache_round_trips_and_survives_damage() {
    let dir = tempfile::tempdir().unwrap();
    let cache = ModuleCache::Dir(dir.path().join("cache"));
    let first = Sandbox::new(Limits::default(), &cache).unwrap();
    let ModuleSource::CompiledAndCached { path } = first.module_load().source.clone() else {
        panic!("first load: {:?}", first.module_load().source);
    };
    assert_eq!(first.eval("1/4 + 1/4").unwrap().exact, "1/2");
    let second = Sandbox::new(Limits::default(), &cache).unwrap();
    assert_eq!(
        second.module_load().source,
        ModuleSource::Cached { path: path.clone() }
    );
    assert_eq!(second.eval("1/4 + 1/4").unwrap().exact, "1/2");

    // A damaged file is detected by its checksum and replaced.
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let third = Sandbox::new(Limits::default(), &cache).unwrap();
    assert_eq!(
        third.module_load().source,
        ModuleSource::CompiledAndCached { path: path.clone() }
    );
    assert_eq!(third.eval("7 // 2").unwrap().exact, "3");

    // An unusable cache directory is reported, not fatal.
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, b"x").unwrap();
    let fourth = Sandbox::new(Limits::default(), &ModuleCache::Dir(blocker.join("cache"))).unwrap();
    assert!(matches!(
        fourth.module_load().source,
        ModuleSource::CompiledCacheFailed { .. }
    ));
    assert_eq!(fourth.eval("2 * 21").unwrap().exact, "42");
}

#[test]
fn invalid_limits_are_refused_at_construction() {
    let e = Sandbox::new(
        Limits {
            max_nesting: 0,
            ..Limits::default()
        },
        &ModuleCache::Off,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid sandbox limits: the nesting limit must be at least 1"
    );
}

#[test]
fn invalid_limits_are_refused_per_evaluation() {
    let sb = common::sandbox();
    let limits = Limits {
        fuel: 0,
        ..Limits::default()
    };
    let e = sb.eval_with("1 + 1", &limits).unwrap_err();
    assert_eq!(e.kind(), "invalid_limits");
    assert_eq!(e.to_string(), "invalid limits: fuel must be at least 1");
    assert_eq!(sb.eval("1 + 1").unwrap().exact, "2");
}

#[test]
fn a_shared_sandbox_serves_threads() {
    let sb = common::sandbox();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|i| s.spawn(move || sb.eval(&format!("x = {i}\nx * 10")).unwrap().exact))
            .collect();
        let got: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(got, vec!["0", "10", "20", "30"]);
    });
}

#[test]
fn more_concurrent_evaluations_than_pool_slots_wait_for_a_slot() {
    // Two slots, eight threads started together, each dividing big numbers
    // for tens of milliseconds: the scheduler interleaves them, so more than
    // two are inside an evaluation at once unless they wait for a slot.
    let limits = Limits {
        fuel: 20_000_000_000,
        deadline: Duration::from_secs(60),
        ..Limits::default()
    };
    let sb = Sandbox::with_slots(limits, &ModuleCache::Off, 2).unwrap();
    let start = std::sync::Barrier::new(8);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (sb, start) = (&sb, &start);
                s.spawn(move || {
                    start.wait();
                    sb.eval(&heavy_program(1)).map(|v| v.kind)
                })
            })
            .collect();
        for h in handles {
            let r = h.join().unwrap();
            assert!(r.is_ok(), "{r:?}");
        }
    });
}
