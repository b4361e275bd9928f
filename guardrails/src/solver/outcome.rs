//! What a solver call returns: verdicts, models and the answers of the two
//! query shapes (find values, entailment).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One value of a model, read from Z3's printed form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Value {
    Bool(bool),
    /// An integer that fits in `i64`.
    Int(i64),
    /// Any other value in SMT-LIB2 syntax: reals `(/ 1.0 2.0)`, bit-vectors
    /// `#x0a`, datatype constructors, big integers, arrays …
    Text(String),
}

impl Value {
    /// Reads Z3's printed form of a value: `true`, `42`, `(- 3)`, otherwise text.
    pub fn from_z3(text: &str) -> Value {
        let t = text.trim();
        match t {
            "true" => return Value::Bool(true),
            "false" => return Value::Bool(false),
            _ => {}
        }
        if let Some(n) = parse_int(t) {
            return Value::Int(n);
        }
        if let Some(inner) = t.strip_prefix("(-").and_then(|r| r.strip_suffix(')'))
            && let Some(n) = parse_int(inner.trim())
            && let Some(neg) = n.checked_neg()
        {
            return Value::Int(neg);
        }
        Value::Text(t.to_string())
    }
}

fn parse_int(t: &str) -> Option<i64> {
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

impl fmt::Display for Value {
    /// SMT-LIB2 syntax (negative integers as `(- 3)`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(n) if *n < 0 => write!(f, "(- {})", n.unsigned_abs()),
            Value::Int(n) => write!(f, "{n}"),
            Value::Text(t) => f.write_str(t),
        }
    }
}

/// The value of one declared constant in a model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub name: String,
    /// The sort as written in the script, e.g. `Int`, `(_ BitVec 8)`.
    pub sort: String,
    pub value: Value,
}

/// A model: the values of the script's declared constants, in declaration order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Model {
    pub values: Vec<Assignment>,
    /// Declared constants the model leaves free: any value satisfies the
    /// assertions (they do not occur in them, or Z3 simplified them away).
    pub unconstrained: Vec<String>,
}

impl Model {
    /// The value of a constant, if the model fixes it.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values
            .iter()
            .find(|a| a.name == name)
            .map(|a| &a.value)
    }
}

impl fmt::Display for Model {
    /// `x = 3, y = true` (and `z = any` for unconstrained constants).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for a in &self.values {
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            write!(f, "{} = {}", a.name, a.value)?;
        }
        for n in &self.unconstrained {
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            write!(f, "{n} = any")?;
        }
        Ok(())
    }
}

/// Why Z3 answered unknown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum UnknownReason {
    /// Z3's own reason, e.g. `(incomplete quantifiers)`.
    Incomplete(String),
    /// Z3 reached the memory cap.
    MemoryLimit { limit_mib: u32 },
}

impl fmt::Display for UnknownReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnknownReason::Incomplete(r) => f.write_str(r),
            UnknownReason::MemoryLimit { limit_mib } => {
                write!(f, "memory limit of {limit_mib} MiB reached")
            }
        }
    }
}

/// The outcome of one satisfiability check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    Sat(Model),
    Unsat,
    Unknown(UnknownReason),
    /// The time budget ran out.
    Timeout,
}

impl Verdict {
    /// The short status word: `sat`, `unsat`, `unknown`, `timeout`.
    pub fn status(&self) -> &'static str {
        match self {
            Verdict::Sat(_) => "sat",
            Verdict::Unsat => "unsat",
            Verdict::Unknown(_) => "unknown",
            Verdict::Timeout => "timeout",
        }
    }

    /// Why Z3 gave up, if it did.
    pub fn gave_up(&self) -> Option<GaveUp> {
        match self {
            Verdict::Unknown(r) => Some(GaveUp::Unknown(r.clone())),
            Verdict::Timeout => Some(GaveUp::Timeout),
            Verdict::Sat(_) | Verdict::Unsat => None,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Sat(m) => write!(f, "sat: {m}"),
            Verdict::Unsat => f.write_str("unsat"),
            Verdict::Unknown(r) => write!(f, "unknown: {r}"),
            Verdict::Timeout => f.write_str("timeout"),
        }
    }
}

/// Z3 could not decide a check a query needed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum GaveUp {
    Unknown(UnknownReason),
    Timeout,
}

impl fmt::Display for GaveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GaveUp::Unknown(r) => write!(f, "unknown: {r}"),
            GaveUp::Timeout => f.write_str("timeout"),
        }
    }
}

/// Whether a value query also checks that the asked values are the only solution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uniqueness {
    /// Look for a second model that differs on the asked constants.
    Check,
    /// Return the first model.
    Skip,
}

/// Which constants a value query asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Asked {
    /// The names in the script's `get-value` commands, or every declared
    /// constant when it has none.
    FromScript,
    /// These constants (each must be declared by the script).
    Names(Vec<String>),
}

/// How a value query turned out to be ambiguous.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ambiguity {
    /// A second model with other values for the asked constants.
    OtherModel(Model),
    /// Asked constants that the assertions leave free.
    Unconstrained(Vec<String>),
}

/// The answer of a value query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Values {
    /// A model; uniqueness was not checked ([`Uniqueness::Skip`]).
    Found(Model),
    /// The only model for the asked constants.
    Unique(Model),
    /// More than one answer: report "ambiguous" rather than a guess.
    Ambiguous { first: Model, other: Ambiguity },
    /// The constraints have no solution.
    NoSolution,
    /// Z3 could not decide whether there is a solution.
    GaveUp(GaveUp),
    /// A model was found but Z3 could not decide whether another exists.
    UniquenessGaveUp { first: Model, reason: GaveUp },
}

/// Whether premises entail a claim, from the checks premises ∧ ¬claim and
/// premises ∧ claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Entailment {
    /// The premises entail the claim (premises ∧ ¬claim is unsat).
    True,
    /// The premises entail the negation of the claim (premises ∧ claim is unsat).
    False,
    /// Neither follows: both are consistent with the premises.
    Unknown,
    /// The premises contradict each other (both checks unsat).
    Contradictory,
    /// Z3 could not decide a check.
    GaveUp(GaveUp),
}

impl fmt::Display for Entailment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Entailment::True => f.write_str("true"),
            Entailment::False => f.write_str("false"),
            Entailment::Unknown => f.write_str("unknown"),
            Entailment::Contradictory => f.write_str("contradictory premises"),
            Entailment::GaveUp(g) => write!(f, "undecided ({g})"),
        }
    }
}

/// Where the time of a call went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timings {
    /// Allowlist check (before Z3).
    pub check: Duration,
    /// Z3 reading the script.
    pub parse: Duration,
    /// Z3 solving (all checks of the call).
    pub solve: Duration,
    /// Wall time of the whole call, thread start and model reading included.
    pub total: Duration,
}

impl Timings {
    /// Time spent inside Z3 (parse + solve).
    pub fn z3(&self) -> Duration {
        self.parse + self.solve
    }
}

/// A result with the time it took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timed<T> {
    pub result: T,
    pub timings: Timings,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_from_z3_text() {
        assert_eq!(Value::from_z3("true"), Value::Bool(true));
        assert_eq!(Value::from_z3("false"), Value::Bool(false));
        assert_eq!(Value::from_z3("42"), Value::Int(42));
        assert_eq!(Value::from_z3("(- 7)"), Value::Int(-7));
        assert_eq!(
            Value::from_z3("123456789012345678901234567890"),
            Value::Text("123456789012345678901234567890".into())
        );
        assert_eq!(
            Value::from_z3("(/ 1.0 2.0)"),
            Value::Text("(/ 1.0 2.0)".into())
        );
        assert_eq!(Value::from_z3("#x0a"), Value::Text("#x0a".into()));
        assert_eq!(Value::Int(-7).to_string(), "(- 7)");
    }

    #[test]
    fn model_display_lists_values_and_free_constants() {
        let m = Model {
            values: vec![
                Assignment {
                    name: "x".into(),
                    sort: "Int".into(),
                    value: Value::Int(3),
                },
                Assignment {
                    name: "p".into(),
                    sort: "Bool".into(),
                    value: Value::Bool(false),
                },
            ],
            unconstrained: vec!["z".into()],
        };
        assert_eq!(m.to_string(), "x = 3, p = false, z = any");
        assert_eq!(m.get("x"), Some(&Value::Int(3)));
        assert_eq!(m.get("z"), None);
    }
}
