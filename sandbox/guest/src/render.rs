//! How a number is shown: the exact form (an integer, or `p/q`) and a decimal
//! form, which is exact when the expansion terminates and otherwise rounded
//! half to even to `DECIMAL_DIGITS` significant digits.

use num_bigint::BigInt;
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{Signed, Zero};

use crate::number::{Number, round_half_even_parts};

/// Significant digits of a rounded decimal rendering.
pub const DECIMAL_DIGITS: u64 = 20;

/// What sort of value a result is; decides how the renderings read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueKind {
    /// A whole number: the exact and decimal forms are the same digits.
    Integer,
    /// An exact non-integer whose decimal expansion terminates (`5/2`, `2.5`):
    /// the decimal form is exact too.
    Decimal,
    /// An exact non-integer with a repeating decimal (`1/3`): the decimal form
    /// is rounded to `DECIMAL_DIGITS` significant digits.
    Fraction,
    /// The value went through an irrational root (`sqrt(2)`): both forms are
    /// the same decimal, rounded to `DECIMAL_DIGITS` significant digits.
    Approximate,
}

impl ValueKind {
    pub const ALL: [ValueKind; 4] = [
        ValueKind::Integer,
        ValueKind::Decimal,
        ValueKind::Fraction,
        ValueKind::Approximate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ValueKind::Integer => "integer",
            ValueKind::Decimal => "decimal",
            ValueKind::Fraction => "fraction",
            ValueKind::Approximate => "approximate",
        }
    }

    pub fn from_name(name: &str) -> Option<ValueKind> {
        ValueKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// A rendered result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub kind: ValueKind,
    /// `42`, `-7/3`; for an approximate value, the rounded decimal.
    pub exact: String,
    /// `42`, `-2.3333333333333333333`, `2.5`.
    pub decimal: String,
}

pub fn render(n: &Number) -> Rendered {
    let v = &n.value;
    if n.approx {
        let d = approximate_decimal(v);
        return Rendered {
            kind: ValueKind::Approximate,
            exact: d.clone(),
            decimal: d,
        };
    }
    if v.is_integer() {
        let s = v.numer().to_string();
        return Rendered {
            kind: ValueKind::Integer,
            exact: s.clone(),
            decimal: s,
        };
    }
    let exact = format!("{}/{}", v.numer(), v.denom());
    match terminating_places(v.denom()) {
        Some(places) => Rendered {
            kind: ValueKind::Decimal,
            exact,
            decimal: fixed(v, places),
        },
        None => Rendered {
            kind: ValueKind::Fraction,
            exact,
            decimal: rounded_decimal(v),
        },
    }
}

/// If `d` is 2^a 5^b, the number of decimal places of p/d: max(a, b).
fn terminating_places(d: &BigInt) -> Option<u64> {
    let twos = d.trailing_zeros().unwrap_or(0);
    let mut rest: BigInt = d >> twos;
    let five = BigInt::from(5);
    let mut fives = 0u64;
    while !rest.is_zero() {
        let (q, r) = rest.div_rem(&five);
        if !r.is_zero() {
            break;
        }
        rest = q;
        fives += 1;
    }
    if rest == BigInt::from(1) {
        Some(twos.max(fives))
    } else {
        None
    }
}

/// `v` rounded half to even at `places` decimal places, trailing zeros dropped.
fn fixed(v: &BigRational, places: u64) -> String {
    let scale = num_traits::pow(BigInt::from(10), places as usize);
    let scaled = round_half_even_parts(&(v.numer() * scale), v.denom());
    let negative = scaled.is_negative();
    let digits = scaled.abs().to_string();
    let places = places as usize;
    let (int, frac) = if digits.len() > places {
        let (a, b) = digits.split_at(digits.len() - places);
        (a.to_string(), b.to_string())
    } else {
        (
            "0".to_string(),
            format!("{}{}", "0".repeat(places - digits.len()), digits),
        )
    };
    let frac = frac.trim_end_matches('0');
    let sign = if negative && (int != "0" || !frac.is_empty()) {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

/// An approximate value to `DECIMAL_DIGITS` significant digits. An integer
/// part longer than that is written in Python's exponent form
/// (`1.4142135623730950488e+40`): its lower digits were never computed.
fn approximate_decimal(v: &BigRational) -> String {
    let int_digits = v.abs().to_integer().to_string().len() as u64;
    if int_digits > DECIMAL_DIGITS {
        let exp = int_digits - 1;
        let scaled = v / BigRational::from_integer(num_traits::pow(BigInt::from(10), exp as usize));
        let mantissa = fixed(&scaled, DECIMAL_DIGITS - 1);
        // Rounding can carry into a new digit (9.99… → 10).
        if mantissa.trim_start_matches('-').starts_with("10") {
            let tenth = scaled / BigRational::from_integer(10.into());
            return format!("{}e+{}", fixed(&tenth, DECIMAL_DIGITS - 1), exp + 1);
        }
        return format!("{mantissa}e+{exp}");
    }
    rounded_decimal(v)
}

/// `DECIMAL_DIGITS` significant digits (more if the integer part is longer).
fn rounded_decimal(v: &BigRational) -> String {
    if v.is_zero() {
        return "0".to_string();
    }
    let a = v.abs();
    let int_part = a.to_integer();
    let int_digits = int_part.to_string().len() as u64;
    let places = if !int_part.is_zero() {
        DECIMAL_DIGITS.saturating_sub(int_digits).max(1)
    } else {
        // Leading zeros after the point: the largest z with a * 10^z < 1.
        let (p, d) = (a.numer(), a.denom());
        let mut z = (d.to_string().len() as u64).saturating_sub(p.to_string().len() as u64 + 1);
        while p * num_traits::pow(BigInt::from(10), (z + 1) as usize) < *d {
            z += 1;
        }
        z + DECIMAL_DIGITS
    };
    fixed(v, places)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(n: i64, d: i64) -> Rendered {
        render(&Number::exact(BigRational::new(n.into(), d.into())))
    }

    #[test]
    fn integers_fractions_and_decimals() {
        assert_eq!(
            r(42, 1),
            Rendered {
                kind: ValueKind::Integer,
                exact: "42".into(),
                decimal: "42".into()
            }
        );
        assert_eq!(
            r(5, 2),
            Rendered {
                kind: ValueKind::Decimal,
                exact: "5/2".into(),
                decimal: "2.5".into()
            }
        );
        assert_eq!(r(-1, 8).decimal, "-0.125");
        assert_eq!(r(3, 1000).decimal, "0.003");
        assert_eq!(
            r(1, 3),
            Rendered {
                kind: ValueKind::Fraction,
                exact: "1/3".into(),
                decimal: "0.33333333333333333333".into()
            }
        );
        assert_eq!(r(2, 3).decimal, "0.66666666666666666667");
        assert_eq!(r(-7, 3).decimal, "-2.3333333333333333333");
        assert_eq!(r(100, 7).decimal, "14.285714285714285714");
        assert_eq!(r(1, 3000).decimal, "0.00033333333333333333333");
        assert_eq!(r(1, 30).decimal, "0.033333333333333333333");
        assert_eq!(r(1, 300).decimal, "0.0033333333333333333333");
    }

    #[test]
    fn long_integers_keep_every_digit() {
        let big = BigInt::from(10).pow(30) / 3;
        let n = Number::exact(BigRational::new(BigInt::from(10).pow(30), 3.into()));
        assert_eq!(render(&n).decimal, format!("{big}.3"));
    }

    #[test]
    fn approximate_values_show_the_rounded_decimal() {
        let num: BigInt = "141421356237309504880".parse().unwrap();
        let mut n = Number::exact(BigRational::new(num, BigInt::from(10).pow(20)));
        n.approx = true;
        let out = render(&n);
        assert_eq!(out.kind, ValueKind::Approximate);
        assert_eq!(out.exact, "1.4142135623730950488");
        assert_eq!(out.decimal, out.exact);
    }

    #[test]
    fn long_approximate_values_use_an_exponent() {
        let approx = |n: BigInt, d: BigInt| {
            let mut n = Number::exact(BigRational::new(n, d));
            n.approx = true;
            render(&n).decimal
        };
        let ten = |e: usize| BigInt::from(10).pow(e as u32);
        let root2: BigInt = "14142135623730950488016887242096980785".parse().unwrap();
        // sqrt(2) * 10**40, computed to 38 digits.
        assert_eq!(
            approx(root2.clone() * ten(3), 1.into()),
            "1.4142135623730950488e+40"
        );
        assert_eq!(
            approx(-root2 * ten(3), 1.into()),
            "-1.4142135623730950488e+40"
        );
        // Rounding carries into a new leading digit.
        assert_eq!(approx(ten(25) - 1, 1.into()), "1e+25");
        // Twenty integer digits still print as a plain number.
        assert_eq!(approx(ten(20) - 1, 1.into()), "99999999999999999999");
    }

    #[test]
    fn kind_names_round_trip() {
        for k in ValueKind::ALL {
            assert_eq!(ValueKind::from_name(k.as_str()), Some(k));
        }
    }
}
