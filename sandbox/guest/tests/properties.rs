//! Property tests of the evaluator (native build): arithmetic agrees with a
//! reference evaluator that follows Python's integer semantics, exact
//! rational identities hold, and no input makes it panic.

use flinch_sandbox_guest::{ErrorKind, EvalConfig, evaluate};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum E {
    Int(i64),
    Neg(Box<E>),
    Bin(Box<E>, &'static str, Box<E>),
}

fn expr() -> impl Strategy<Value = E> {
    let leaf = (-1000i64..1000).prop_map(E::Int);
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| E::Neg(Box::new(e))),
            (
                inner.clone(),
                prop::sample::select(vec!["+", "-", "*", "//", "%"]),
                inner
            )
                .prop_map(|(a, op, b)| E::Bin(Box::new(a), op, Box::new(b))),
        ]
    })
}

fn show(e: &E) -> String {
    match e {
        E::Int(n) => n.to_string(),
        E::Neg(x) => format!("-({})", show(x)),
        E::Bin(a, op, b) => format!("({}) {op} ({})", show(a), show(b)),
    }
}

/// Python semantics on i128; `Err(true)` for division by zero, `Err(false)`
/// when the reference itself overflows (the case is skipped).
fn reference(e: &E) -> Result<i128, bool> {
    Ok(match e {
        E::Int(n) => i128::from(*n),
        E::Neg(x) => reference(x)?.checked_neg().ok_or(false)?,
        E::Bin(a, op, b) => {
            let (a, b) = (reference(a)?, reference(b)?);
            match *op {
                "+" => a.checked_add(b).ok_or(false)?,
                "-" => a.checked_sub(b).ok_or(false)?,
                "*" => a.checked_mul(b).ok_or(false)?,
                _ => {
                    if b == 0 {
                        return Err(true);
                    }
                    let mut q = a / b;
                    if a % b != 0 && ((a < 0) != (b < 0)) {
                        q -= 1;
                    }
                    if *op == "//" { q } else { a - b * q }
                }
            }
        }
    })
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
    #![proptest_config(ProptestConfig { cases: cases(2000), failure_persistence: None, rng_seed: seed(), ..ProptestConfig::default() })]

    #[test]
    fn integer_arithmetic_matches_python(e in expr()) {
        let program = show(&e);
        let got = evaluate(&program, &EvalConfig::default());
        match reference(&e) {
            Ok(want) => prop_assert_eq!(got.map(|o| o.value.exact), Ok(want.to_string()), "{}", program),
            Err(true) => prop_assert_eq!(got.map_err(|e| e.kind), Err(ErrorKind::DivisionByZero), "{}", program),
            Err(false) => {}
        }
    }

    #[test]
    fn rational_identities_hold(a in -10_000i64..10_000, b in 1i64..10_000, c in -10_000i64..10_000, d in 1i64..10_000) {
        let x = format!("({a}/{b})");
        let y = format!("({c}/{d})");
        let cfg = EvalConfig::default();
        let x_val = evaluate(&x, &cfg).unwrap().value;
        prop_assert_eq!(&evaluate(&format!("{x} + {y} - {y}"), &cfg).unwrap().value, &x_val);
        if c != 0 {
            prop_assert_eq!(&evaluate(&format!("{x} * {y} / {y}"), &cfg).unwrap().value, &x_val);
            // Python: x == (x // y) * y + x % y
            prop_assert_eq!(&evaluate(&format!("({x} // {y}) * {y} + {x} % {y}"), &cfg).unwrap().value, &x_val);
        }
    }

    #[test]
    fn no_input_panics_and_positions_are_in_range(p in any::<String>()) {
        if let Err(e) = evaluate(&p, &EvalConfig::default()) {
            let lines = p.split(['\n', '\r']).count().max(1) as u32;
            prop_assert!(e.line >= 1 && e.line <= lines + 1, "{:?} line {}", p, e.line);
            prop_assert!(e.column >= 1);
            prop_assert!(!e.message.contains('\n'));
        }
    }

    #[test]
    fn decimal_renderings_parse_back_to_the_value(a in -1_000_000i64..1_000_000, e in 0u32..6) {
        let d = 10i64.pow(e) * 8;
        let r = evaluate(&format!("{a} / {d}"), &EvalConfig::default()).unwrap().value;
        let back: f64 = r.decimal.parse().unwrap();
        prop_assert!((back - a as f64 / d as f64).abs() < 1e-9, "{} vs {}", r.decimal, a as f64 / d as f64);
    }
}
