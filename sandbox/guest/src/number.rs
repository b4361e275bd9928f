//! Exact numbers: big rationals with a size bound checked before and after
//! every operation, plus an `approx` mark for values that went through an
//! irrational root (the only operation that is not exact).

use num_bigint::{BigInt, BigUint, Sign};
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};

use crate::error::ErrorKind;
use crate::lexer::NumLit;

/// Significant decimal digits an irrational root is computed to (truncated).
pub const ROOT_DIGITS: u64 = 32;

const LOG2_10: f64 = std::f64::consts::LOG2_10;

/// The size bound: numerator and denominator each have at most `max_bits` bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub max_bits: u64,
}

/// An arithmetic failure without a position (the evaluator adds it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumError {
    pub kind: ErrorKind,
    pub message: String,
}

impl NumError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> NumError {
        NumError {
            kind,
            message: message.into(),
        }
    }
}

fn too_large(what: &str, bits: f64, b: Bounds) -> NumError {
    let bits = if bits.is_finite() && bits < 1e18 {
        format!("{}", bits.ceil() as u64)
    } else {
        "astronomically many".into()
    };
    NumError::new(
        ErrorKind::TooLarge,
        format!(
            "result too large: {what} would need about {bits} bits; the limit is {} bits",
            b.max_bits
        ),
    )
}

fn div_zero(message: &str) -> NumError {
    NumError::new(ErrorKind::DivisionByZero, message)
}

pub type NumResult = Result<Number, NumError>;

#[derive(Debug, Clone, PartialEq)]
pub struct Number {
    pub value: BigRational,
    /// True once an irrational root took part: the value is then a truncated
    /// decimal approximation, not the exact result.
    pub approx: bool,
}

/// log2 of |n| (minus infinity for zero), accurate enough for size estimates.
pub fn log2_abs(n: &BigInt) -> f64 {
    let bits = n.bits();
    if bits == 0 {
        return f64::NEG_INFINITY;
    }
    if bits <= 512 {
        return n.magnitude().to_f64().unwrap_or(f64::INFINITY).log2();
    }
    let shift = bits - 64;
    let top = (n.magnitude() >> shift).to_f64().unwrap_or(f64::INFINITY);
    top.log2() + shift as f64
}

fn pow10(exp: u64) -> BigInt {
    num_traits::pow(BigInt::from(10u32), exp as usize)
}

impl Number {
    pub fn exact(value: BigRational) -> Number {
        Number {
            value,
            approx: false,
        }
    }

    pub fn int(n: i64) -> Number {
        Number::exact(BigRational::from_integer(BigInt::from(n)))
    }

    fn with(value: BigRational, approx: bool) -> Number {
        Number { value, approx }
    }

    pub fn is_integer(&self) -> bool {
        self.value.is_integer()
    }

    pub fn is_zero(&self) -> bool {
        self.value.is_zero()
    }

    pub fn is_negative(&self) -> bool {
        self.value.is_negative()
    }

    /// Refuse a value whose numerator or denominator exceeds the bound.
    pub fn check(self, b: Bounds) -> NumResult {
        let bits = self.value.numer().bits().max(self.value.denom().bits());
        if bits > b.max_bits {
            return Err(too_large("this value", bits as f64, b));
        }
        Ok(self)
    }

    /// Convert a checked literal, refusing up front one that exceeds the bound.
    pub fn from_literal(lit: &NumLit, b: Bounds) -> NumResult {
        match lit {
            NumLit::Radix { radix, digits } => {
                let digits = digits.trim_start_matches('0');
                let bits = digits.len() as f64 * f64::from(*radix).log2();
                if bits > b.max_bits as f64 + 8.0 {
                    return Err(too_large("this number literal", bits, b));
                }
                let n = BigInt::parse_bytes(digits.as_bytes(), *radix).unwrap_or_default();
                Number::exact(BigRational::from_integer(n)).check(b)
            }
            NumLit::Decimal {
                digits,
                frac_len,
                exp_negative,
                exp_digits,
            } => {
                let significant = digits.trim_start_matches('0');
                if significant.is_empty() {
                    return Ok(Number::int(0));
                }
                // Value = significant * 10^(exp - frac_len).
                let exp_str = exp_digits.trim_start_matches('0');
                let exp: i128 = if exp_str.is_empty() {
                    0
                } else if exp_str.len() > 30 {
                    return Err(too_large("this number literal", f64::INFINITY, b));
                } else {
                    exp_str.parse::<i128>().unwrap_or(i128::MAX)
                };
                let exp = if *exp_negative { -exp } else { exp };
                let scale = exp - *frac_len as i128;
                let mant_bits = significant.len() as f64 * LOG2_10;
                let scale_bits = scale.unsigned_abs() as f64 * LOG2_10;
                let worst = if scale >= 0 {
                    mant_bits + scale_bits
                } else {
                    mant_bits.max(scale_bits)
                };
                if worst > b.max_bits as f64 + 8.0 {
                    return Err(too_large("this number literal", worst, b));
                }
                let mant = BigInt::parse_bytes(significant.as_bytes(), 10).unwrap_or_default();
                let value = if scale >= 0 {
                    BigRational::from_integer(mant * pow10(scale as u64))
                } else {
                    ratio(mant, pow10(scale.unsigned_abs() as u64))
                };
                Number::exact(value).check(b)
            }
        }
    }

    pub fn neg(&self) -> Number {
        Number::with(-self.value.clone(), self.approx)
    }

    pub fn add(&self, o: &Number, b: Bounds) -> NumResult {
        Number::with(add(&self.value, &o.value, false), self.approx || o.approx).check(b)
    }

    pub fn sub(&self, o: &Number, b: Bounds) -> NumResult {
        Number::with(add(&self.value, &o.value, true), self.approx || o.approx).check(b)
    }

    pub fn mul(&self, o: &Number, b: Bounds) -> NumResult {
        let (x, y) = (&self.value, &o.value);
        let value = if x.is_integer() && y.is_integer() {
            BigRational::from_integer(x.numer() * y.numer())
        } else {
            ratio(x.numer() * y.numer(), x.denom() * y.denom())
        };
        Number::with(value, self.approx || o.approx).check(b)
    }

    pub fn div(&self, o: &Number, b: Bounds) -> NumResult {
        if o.is_zero() {
            return Err(div_zero("division by zero"));
        }
        let (x, y) = (&self.value, &o.value);
        let value = ratio(x.numer() * y.denom(), x.denom() * y.numer());
        Number::with(value, self.approx || o.approx).check(b)
    }

    /// Python's `//`: the floor of the exact quotient.
    pub fn floor_div(&self, o: &Number, b: Bounds) -> NumResult {
        if o.is_zero() {
            return Err(div_zero("integer division by zero"));
        }
        let (x, y) = (&self.value, &o.value);
        let q = (x.numer() * y.denom()).div_floor(&(x.denom() * y.numer()));
        Number::with(BigRational::from_integer(q), self.approx || o.approx).check(b)
    }

    /// Python's `%`: `a - b * floor(a / b)`, so the result has the sign of `b`.
    pub fn modulo(&self, o: &Number, b: Bounds) -> NumResult {
        if o.is_zero() {
            return Err(div_zero("modulo by zero"));
        }
        // a/b mod c/d = (a d mod b c) / (b d); the sign follows c, as in Python.
        let (x, y) = (&self.value, &o.value);
        let r = (x.numer() * y.denom()).mod_floor(&(x.denom() * y.numer()));
        Number::with(ratio(r, x.denom() * y.denom()), self.approx || o.approx).check(b)
    }

    pub fn percent(&self, b: Bounds) -> NumResult {
        Number::with(
            ratio(
                self.value.numer().clone(),
                self.value.denom() * BigInt::from(100),
            ),
            self.approx,
        )
        .check(b)
    }

    pub fn abs(&self) -> Number {
        Number::with(self.value.abs(), self.approx)
    }

    pub fn floor(&self) -> Number {
        Number::with(self.value.floor(), self.approx)
    }

    pub fn ceil(&self) -> Number {
        Number::with(self.value.ceil(), self.approx)
    }

    /// Truncation toward zero (Python's `int`).
    pub fn trunc(&self) -> Number {
        Number::with(self.value.trunc(), self.approx)
    }

    /// Round half to even (Python 3's `round`), to `ndigits` decimal places.
    pub fn round(&self, ndigits: Option<&Number>, b: Bounds) -> NumResult {
        let Some(nd) = ndigits else {
            return Ok(Number::with(
                BigRational::from_integer(round_half_even(&self.value)),
                self.approx,
            ));
        };
        if !nd.is_integer() {
            return Err(NumError::new(
                ErrorKind::Type,
                "round() needs a whole number of digits",
            ));
        }
        let nd = nd.value.to_integer();
        let Some(nd) = nd
            .to_i64()
            .filter(|n| (n.unsigned_abs() as f64) * LOG2_10 <= b.max_bits as f64)
        else {
            return Err(too_large("round() to that many digits", f64::INFINITY, b));
        };
        let scale = pow10(nd.unsigned_abs());
        let value = if nd >= 0 {
            let scaled = round_half_even_parts(&(self.value.numer() * &scale), self.value.denom());
            ratio(scaled, scale)
        } else {
            let scaled = round_half_even_parts(self.value.numer(), &(self.value.denom() * &scale));
            BigRational::from_integer(scaled * scale)
        };
        Number::with(value, self.approx || nd_approx(ndigits)).check(b)
    }

    /// `n!` of a whole number `n ≥ 0` (Python's `math.factorial`), with the
    /// size of the result bounded before computing it (Stirling's
    /// estimate of log₂ n!, then the exact product checked).
    pub fn factorial(&self, b: Bounds) -> NumResult {
        if !self.is_integer() || self.approx {
            let why = if self.approx {
                "factorial() takes a whole number, and this one went through an irrational root"
            } else {
                "factorial() takes a whole number"
            };
            return Err(NumError::new(ErrorKind::Type, why));
        }
        if self.is_negative() {
            return Err(NumError::new(
                ErrorKind::Domain,
                "factorial() is not defined for negative numbers",
            ));
        }
        let n = self.value.to_integer().to_u64().unwrap_or(u64::MAX);
        let nf = n as f64;
        let est = if n < 2 {
            0.0
        } else {
            nf * nf.log2() - nf * std::f64::consts::LOG2_E
                + 0.5 * (2.0 * std::f64::consts::PI * nf).log2()
        };
        if est > b.max_bits as f64 + 1.0 {
            return Err(too_large("this factorial", est, b));
        }
        let product = (2..=n).fold(BigInt::one(), |acc, k| acc * BigInt::from(k));
        Number::with(BigRational::from_integer(product), false).check(b)
    }

    /// `self ** e`, with the size of the result bounded before computing it.
    pub fn pow(&self, e: &Number, b: Bounds) -> NumResult {
        let approx = self.approx || e.approx;
        if e.is_integer() {
            return self
                .int_pow(&e.value.to_integer(), b)
                .map(|n| Number::with(n.value, approx || n.approx));
        }
        if self.is_negative() {
            return Err(NumError::new(
                ErrorKind::Domain,
                "a negative number raised to a fractional power is not a real number",
            ));
        }
        if self.is_zero() {
            return if e.is_negative() {
                Err(div_zero("zero cannot be raised to a negative power"))
            } else {
                Ok(Number::with(BigRational::zero(), approx))
            };
        }
        let Some(root) = e
            .value
            .denom()
            .to_u32()
            .filter(|r| u64::from(*r) <= b.max_bits)
        else {
            return Err(too_large(
                "a fractional power with that denominator",
                f64::INFINITY,
                b,
            ));
        };
        let base = self.int_pow(e.value.numer(), b)?;
        let r = base.root(root, b)?;
        Ok(Number::with(r.value, approx || r.approx))
    }

    fn int_pow(&self, e: &BigInt, b: Bounds) -> NumResult {
        let (p, q) = (self.value.numer(), self.value.denom());
        if p.is_zero() {
            return match e.sign() {
                Sign::Minus => Err(div_zero("zero cannot be raised to a negative power")),
                Sign::NoSign => Ok(Number::int(1)),
                Sign::Plus => Ok(Number::int(0)),
            };
        }
        if q.is_one() && p.magnitude().is_one() {
            let odd = e.is_odd();
            return Ok(Number::int(if p.is_negative() && odd { -1 } else { 1 }));
        }
        let est = log2_abs(p).max(log2_abs(q)) * e.to_f64().map(f64::abs).unwrap_or(f64::INFINITY);
        // A NaN estimate counts as too large.
        if est.is_nan() || est > b.max_bits as f64 + 1.0 {
            let what = format!(
                "this power (exponent {})",
                crate::error::quote_snippet(&e.to_string())
            );
            return Err(too_large(&what, est, b));
        }
        let n = e.magnitude().to_usize().unwrap_or(usize::MAX);
        let pn = num_traits::pow(p.clone(), n);
        let qn = num_traits::pow(q.clone(), n);
        let value = if e.is_negative() {
            // p and q are coprime, so their powers are too: no gcd needed.
            if pn.is_negative() {
                BigRational::new_raw(-qn, -pn)
            } else {
                BigRational::new_raw(qn, pn)
            }
        } else {
            BigRational::new_raw(pn, qn)
        };
        Number::exact(value).check(b)
    }

    /// The `n`-th root of a non-negative value: exact when the root is
    /// rational, else truncated to at least `ROOT_DIGITS` significant digits.
    pub fn root(&self, n: u32, b: Bounds) -> NumResult {
        if self.is_negative() {
            return Err(NumError::new(
                ErrorKind::Domain,
                "sqrt of a negative number is not a real number",
            ));
        }
        if n == 1 || self.is_zero() {
            return Ok(self.clone());
        }
        let p = self.value.numer().magnitude();
        let q = self.value.denom().magnitude();
        let (rp, rq) = (p.nth_root(n), q.nth_root(n));
        if num_traits::pow(rp.clone(), n as usize) == *p
            && num_traits::pow(rq.clone(), n as usize) == *q
        {
            let value = BigRational::new_raw(BigInt::from(rp), BigInt::from(rq));
            return Ok(Number::with(value, self.approx));
        }
        // floor(root(x) * 10^k) = floor(root(floor(x * 10^(n k)))).
        let log10_x = (log2_abs(self.value.numer()) - log2_abs(self.value.denom())) / LOG2_10;
        let magnitude = (log10_x / f64::from(n)).floor();
        let k = (ROOT_DIGITS as f64 + 1.0 - magnitude).max(0.0) as u64;
        let scale_bits = (n as f64) * (k as f64) * LOG2_10;
        if scale_bits + (p.bits() as f64) > 4.0 * b.max_bits as f64 {
            return Err(too_large(
                "this root at the stated precision",
                scale_bits,
                b,
            ));
        }
        let scaled: BigUint = p * pow10(n as u64 * k).magnitude() / q;
        let s = scaled.nth_root(n);
        let value = ratio(BigInt::from(s), pow10(k));
        Number::with(value, true).check(b)
    }

    /// `true` if the value is a whole number that fits an i64.
    pub fn to_i64(&self) -> Option<i64> {
        if self.is_integer() {
            self.value.to_integer().to_i64()
        } else {
            None
        }
    }
}

fn nd_approx(nd: Option<&Number>) -> bool {
    nd.is_some_and(|n| n.approx)
}

/// Round to the nearest integer, ties to the even one.
pub fn round_half_even(x: &BigRational) -> BigInt {
    round_half_even_parts(x.numer(), x.denom())
}

/// `n / d` (d > 0) rounded to the nearest integer, ties to the even one.
pub fn round_half_even_parts(n: &BigInt, d: &BigInt) -> BigInt {
    let (fl, r) = n.div_mod_floor(d);
    let twice: BigInt = r * 2;
    match twice.cmp(d) {
        std::cmp::Ordering::Less => fl,
        std::cmp::Ordering::Greater => fl + 1,
        std::cmp::Ordering::Equal => {
            if fl.is_even() {
                fl
            } else {
                fl + 1
            }
        }
    }
}

/// Greatest common divisor by Euclid's algorithm. (num-integer's binary gcd
/// takes one step per bit when one side is small, e.g. gcd(x, 1) on a
/// 30,000-bit x, which is slow in wasm; Euclid finishes that in one step.)
fn gcd(a: &BigInt, b: &BigInt) -> BigUint {
    let (mut a, mut b) = (a.magnitude().clone(), b.magnitude().clone());
    while !b.is_zero() {
        let r = &a % &b;
        a = b;
        b = r;
    }
    a
}

/// `n / d` in lowest terms with a positive denominator (`d` must not be 0).
pub fn ratio(n: BigInt, d: BigInt) -> BigRational {
    let (n, d) = if d.is_negative() { (-n, -d) } else { (n, d) };
    if d.is_one() {
        return BigRational::from_integer(n);
    }
    if n.is_zero() {
        return BigRational::zero();
    }
    let g = BigInt::from(gcd(&n, &d));
    if g.is_one() {
        BigRational::new_raw(n, d)
    } else {
        BigRational::new_raw(n / &g, d / &g)
    }
}

/// `x + y`, or `x - y` when `negate` is set, reducing with [`ratio`].
fn add(x: &BigRational, y: &BigRational, negate: bool) -> BigRational {
    let c = if negate {
        -y.numer()
    } else {
        y.numer().clone()
    };
    if x.is_integer() && y.is_integer() {
        return BigRational::from_integer(x.numer() + c);
    }
    if x.denom() == y.denom() {
        return ratio(x.numer() + c, x.denom().clone());
    }
    ratio(x.numer() * y.denom() + c * x.denom(), x.denom() * y.denom())
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: Bounds = Bounds { max_bits: 32_768 };

    fn q(n: i64, d: i64) -> Number {
        Number::exact(BigRational::new(n.into(), d.into()))
    }

    fn show(n: &Number) -> String {
        n.value.to_string()
    }

    fn lit(s: &str) -> NumResult {
        let mut lx = crate::lexer::Lexer::new(s);
        match lx.next_token().unwrap().tok {
            crate::lexer::Tok::Number(l) => Number::from_literal(&l, B),
            t => panic!("not a number: {t:?}"),
        }
    }

    #[test]
    fn literals_are_exact() {
        assert_eq!(show(&lit("2.5").unwrap()), "5/2");
        assert_eq!(show(&lit("0.1").unwrap()), "1/10");
        assert_eq!(show(&lit("1e3").unwrap()), "1000");
        assert_eq!(show(&lit("1.5e-2").unwrap()), "3/200");
        assert_eq!(show(&lit("0xff").unwrap()), "255");
        assert_eq!(
            show(&lit("0e99999999999999999999999999999999999").unwrap()),
            "0"
        );
    }

    #[test]
    fn huge_literals_are_refused_before_parsing() {
        let e = lit("1e1000000").unwrap_err();
        assert_eq!(e.kind, ErrorKind::TooLarge);
        assert_eq!(
            e.message,
            "result too large: this number literal would need about 3321932 bits; the limit is 32768 bits"
        );
        assert_eq!(lit("1e-1000000").unwrap_err().kind, ErrorKind::TooLarge);
        assert_eq!(
            lit("1e99999999999999999999999999999999999")
                .unwrap_err()
                .kind,
            ErrorKind::TooLarge
        );
        assert_eq!(
            lit(&"9".repeat(20_000)).unwrap_err().kind,
            ErrorKind::TooLarge
        );
        assert!(lit(&"9".repeat(9_000)).is_ok());
    }

    #[test]
    fn floor_div_and_mod_follow_python_signs() {
        let cases = [
            (7, 2, 3, 1),
            (-7, 2, -4, 1),
            (7, -2, -4, -1),
            (-7, -2, 3, -1),
        ];
        for (a, b, fd, m) in cases {
            assert_eq!(
                show(&q(a, 1).floor_div(&q(b, 1), B).unwrap()),
                fd.to_string(),
                "{a}//{b}"
            );
            assert_eq!(
                show(&q(a, 1).modulo(&q(b, 1), B).unwrap()),
                m.to_string(),
                "{a}%{b}"
            );
        }
        assert_eq!(show(&q(15, 2).modulo(&q(2, 1), B).unwrap()), "3/2");
        assert_eq!(
            q(1, 1).modulo(&q(0, 1), B).unwrap_err().message,
            "modulo by zero"
        );
    }

    #[test]
    fn powers_are_bounded_up_front() {
        assert_eq!(show(&q(2, 1).pow(&q(10, 1), B).unwrap()), "1024");
        assert_eq!(show(&q(2, 1).pow(&q(-2, 1), B).unwrap()), "1/4");
        assert_eq!(show(&q(2, 3).pow(&q(-3, 1), B).unwrap()), "27/8");
        assert_eq!(
            show(&q(-1, 1).pow(&q(1_000_000_000_001, 1), B).unwrap()),
            "-1"
        );
        assert_eq!(show(&q(0, 1).pow(&q(0, 1), B).unwrap()), "1");
        let e = q(9, 1).pow(&q(387_420_489, 1), B).unwrap_err();
        assert_eq!(e.kind, ErrorKind::TooLarge);
        assert_eq!(
            e.message,
            "result too large: this power (exponent 387420489) would need about 1228093895 bits; the limit is 32768 bits"
        );
        assert_eq!(
            q(0, 1).pow(&q(-1, 1), B).unwrap_err().kind,
            ErrorKind::DivisionByZero
        );
        assert!(q(2, 1).pow(&q(32_767, 1), B).is_ok());
        assert_eq!(
            q(2, 1).pow(&q(32_768, 1), B).unwrap_err().kind,
            ErrorKind::TooLarge
        );
    }

    #[test]
    fn roots_are_exact_when_rational() {
        assert_eq!(show(&q(9, 4).root(2, B).unwrap()), "3/2");
        assert!(!q(9, 4).root(2, B).unwrap().approx);
        assert_eq!(show(&q(27, 1).pow(&q(2, 3), B).unwrap()), "9");
        let r2 = q(2, 1).root(2, B).unwrap();
        assert!(r2.approx);
        assert_eq!(
            show(&r2),
            "707106781186547524400844362104849/500000000000000000000000000000000"
        );
        assert_eq!(q(-4, 1).root(2, B).unwrap_err().kind, ErrorKind::Domain);
        assert_eq!(
            q(-8, 1).pow(&q(1, 3), B).unwrap_err().kind,
            ErrorKind::Domain
        );
    }

    #[test]
    fn round_is_half_to_even() {
        for (n, d, want) in [
            (5, 2, "2"),
            (7, 2, "4"),
            (-5, 2, "-2"),
            (-7, 2, "-4"),
            (26, 10, "3"),
            (1, 3, "0"),
        ] {
            assert_eq!(show(&q(n, d).round(None, B).unwrap()), want, "{n}/{d}");
        }
        assert_eq!(
            show(&q(2675, 1000).round(Some(&q(2, 1)), B).unwrap()),
            "67/25"
        );
        assert_eq!(
            show(&q(2665, 1000).round(Some(&q(2, 1)), B).unwrap()),
            "133/50"
        );
        assert_eq!(show(&q(1250, 1).round(Some(&q(-2, 1)), B).unwrap()), "1200");
        assert_eq!(
            q(1, 1).round(Some(&q(1, 2)), B).unwrap_err().kind,
            ErrorKind::Type
        );
    }
}
