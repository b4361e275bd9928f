//! A successful evaluation as the host returns it.

use serde::{Serialize, Serializer};

pub use flinch_sandbox_guest::ValueKind;

fn kind_name<S: Serializer>(kind: &ValueKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(kind.as_str())
}

/// A named value the program set (`books = 280`), in program order; a name
/// assigned twice appears twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assignment {
    pub name: String,
    #[serde(serialize_with = "kind_name")]
    pub kind: ValueKind,
    /// Exact rendering, as in [`Value::exact`].
    pub exact: String,
    /// Decimal rendering, as in [`Value::decimal`].
    pub decimal: String,
}

/// The value of the program's last line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Value {
    #[serde(serialize_with = "kind_name")]
    pub kind: ValueKind,
    /// `280`, `-7/3`; for `ValueKind::Approximate`, the rounded decimal.
    pub exact: String,
    /// `280`, `-2.3333333333333333333`, `2.5`: exact for `Integer` and
    /// `Decimal`, rounded half to even to 20 significant digits otherwise.
    pub decimal: String,
    /// Fuel the evaluation used (instantiation included).
    pub fuel_used: u64,
    /// Every `name = value` line, in order.
    pub assignments: Vec<Assignment>,
}

impl Value {
    /// Whether the value is a whole number (then `exact == decimal`).
    pub fn is_integer(&self) -> bool {
        self.kind == ValueKind::Integer
    }
}
