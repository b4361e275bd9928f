//! Property tests of the host boundary: whatever text comes in, and under
//! whatever valid limits, the sandbox answers with a value or a typed error
//! that is never a crash or an internal failure, and it keeps working.

mod common;

use std::time::Duration;

use flinch_sandbox::{EvalError, Limits};
use proptest::prelude::*;

/// Text drawn from the language's own alphabet, plus hostile extras.
fn program() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("1".to_string()),
        Just("2.5".to_string()),
        Just("1e3".to_string()),
        Just("99999999999".to_string()),
        Just("x".to_string()),
        Just("x = ".to_string()),
        Just("+".to_string()),
        Just("-".to_string()),
        Just("*".to_string()),
        Just("/".to_string()),
        Just("//".to_string()),
        Just("%".to_string()),
        Just("**".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just(",".to_string()),
        Just("$".to_string()),
        Just("\n".to_string()),
        Just(" ".to_string()),
        Just("#".to_string()),
        Just("sqrt(".to_string()),
        Just("round(".to_string()),
        Just("sum([".to_string()),
        Just("min(".to_string()),
        Just("math.".to_string()),
        Just("__import__('os')".to_string()),
        any::<char>().prop_map(|c| c.to_string()),
    ];
    prop::collection::vec(token, 0..40).prop_map(|t| t.concat())
}

fn assert_typed(r: &Result<flinch_sandbox::Value, EvalError>) {
    match r {
        Ok(v) => assert!(!v.exact.is_empty() && !v.decimal.is_empty()),
        Err(EvalError::Guest(e)) => {
            assert!(e.line >= 1 && e.column >= 1, "{e:?}");
            assert!(!e.message.is_empty() && !e.message.contains('\n'));
        }
        Err(EvalError::GuestTrap { .. } | EvalError::Internal { .. }) => {
            panic!("untyped failure: {r:?}")
        }
        Err(_) => {}
    }
}

/// `PROPTEST_CASES` if set (for long runs), else the default for the suite.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A fixed seed so the suite is reproducible; `PROPTEST_RNG_SEED=N` explores others.
fn seed() -> proptest::test_runner::RngSeed {
    let n = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_261_122);
    proptest::test_runner::RngSeed::Fixed(n)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(512), failure_persistence: None, rng_seed: seed(), ..ProptestConfig::default() })]

    #[test]
    fn grammar_soup_gets_a_typed_outcome(p in program()) {
        assert_typed(&common::sandbox().eval(&p));
    }

    #[test]
    fn arbitrary_strings_get_a_typed_outcome(p in any::<String>()) {
        assert_typed(&common::sandbox().eval(&p));
    }

    #[test]
    fn tight_limits_still_give_typed_outcomes(
        p in program(),
        fuel in 1u64..2_000_000,
        memory_mib in 2usize..8,
        bits in 64u32..4096,
        nesting in 1u32..50,
    ) {
        let limits = Limits {
            fuel,
            deadline: Duration::from_millis(500),
            max_memory_bytes: memory_mib << 20,
            max_program_bytes: 1 << 16,
            max_value_bits: bits,
            max_nesting: nesting,
        };
        assert_typed(&common::sandbox().eval_with(&p, &limits));
        prop_assert_eq!(common::sandbox().eval("2 + 2").map(|v| v.exact), Ok("4".to_string()));
    }
}
