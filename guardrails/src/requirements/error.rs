//! Errors of the requirements module: building a requirement from IFEval metadata.

/// Why an IFEval `(instruction_id, kwargs)` pair could not become a [`crate::requirements::Requirement`].
///
/// A kwargs value of the wrong type, a missing field or a value outside the
/// published IFEval range is an error naming the field, never a silent default
/// (the Python reference would draw a random value instead).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequirementError {
    /// The instruction id is not one of the 25 IFEval instruction types.
    #[error(
        "unknown IFEval instruction id `{id}`: expected one of the 25 IFEval ids such as `punctuation:no_comma`"
    )]
    UnknownInstruction { id: String },

    /// The kwargs of an instruction are not a JSON object.
    #[error("IFEval instruction `{instruction}`: kwargs must be a JSON object, found {found}")]
    KwargsNotObject {
        instruction: String,
        found: &'static str,
    },

    /// A field the instruction needs is absent or null.
    #[error("IFEval instruction `{instruction}`: kwargs field `{field}` is missing")]
    MissingField {
        instruction: String,
        field: &'static str,
    },

    /// A field has a JSON type other than the one the instruction takes.
    #[error(
        "IFEval instruction `{instruction}`: kwargs field `{field}` must be {expected}, found {found}"
    )]
    WrongType {
        instruction: String,
        field: String,
        expected: &'static str,
        found: String,
    },

    /// A field has the right type but a value the instruction does not accept.
    #[error(
        "IFEval instruction `{instruction}`: kwargs field `{field}` = {value} is invalid: {reason}"
    )]
    BadValue {
        instruction: String,
        field: &'static str,
        value: String,
        reason: String,
    },

    /// A non-null field the instruction does not take (the Python reference raises a TypeError).
    #[error(
        "IFEval instruction `{instruction}`: unexpected kwargs field `{field}` (this instruction takes: {accepted})"
    )]
    UnexpectedField {
        instruction: String,
        field: String,
        accepted: String,
    },
}

/// Result of the requirements module.
pub type Result<T> = std::result::Result<T, RequirementError>;
