//! Errors of the solver module: scripts refused before Z3 sees them, Z3's own
//! parse and solver errors, query misuse, and bad lines of the facts language.
//!
//! Every message says what is wrong and where (line), so that it can be shown
//! to a user or fed back to the model that wrote the script.

/// The SMT-LIB2 commands a script may contain, as shown in refusal messages.
pub const ALLOWED_COMMANDS_TEXT: &str = "set-logic, set-info, declare-sort, define-sort, \
declare-datatype, declare-datatypes, declare-const, declare-fun, define-fun, assert, \
check-sat, get-model, get-value, push, pop";

/// Why a script or query could not be solved. A solver *verdict* (sat, unsat,
/// unknown, timeout) is not an error; see [`super::Verdict`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SolverError {
    /// The script has no commands.
    #[error(
        "the script is empty: write SMT-LIB2 commands such as (declare-const x Int) and (assert (> x 0))"
    )]
    EmptyScript,

    /// The script is larger than [`super::SolverLimits::max_script_bytes`].
    #[error("the script is {bytes} bytes, more than the limit of {limit} bytes")]
    TooLarge { bytes: usize, limit: usize },

    /// A `(` is never closed.
    #[error("line {line}: `(` is never closed")]
    UnclosedParen { line: usize },

    /// A `)` closes nothing.
    #[error("line {line}: `)` has no matching `(`")]
    UnmatchedClose { line: usize },

    /// A `"` string literal runs to the end of the script.
    #[error("line {line}: string literal is never closed (missing `\"`)")]
    UnclosedString { line: usize },

    /// A `|` quoted symbol runs to the end of the script.
    #[error("line {line}: quoted symbol is never closed (missing `|`)")]
    UnclosedQuotedSymbol { line: usize },

    /// Parentheses nest deeper than [`super::SolverLimits::max_depth`].
    #[error("line {line}: parentheses nest deeper than {limit} levels")]
    TooDeep { line: usize, limit: usize },

    /// A top-level item is not a parenthesised command.
    #[error("line {line}: expected a command in parentheses such as (assert ...), found `{found}`")]
    NotACommand { line: usize, found: String },

    /// A command outside the allowlist.
    #[error(
        "line {line}: command `{command}` is not allowed; remove it (allowed: {ALLOWED_COMMANDS_TEXT})"
    )]
    Refused { line: usize, command: String },

    /// An allowed command with the wrong shape.
    #[error("line {line}: malformed `{command}`: expected {expected}")]
    Malformed {
        line: usize,
        command: String,
        expected: &'static str,
    },

    /// An index of an indexed identifier (`(_ BitVec n)`, `(_ repeat n)` …)
    /// above [`super::SolverLimits::max_index`].
    #[error("line {line}: index {index} of `(_ {name} ...)` is larger than the limit of {limit}")]
    IndexTooLarge {
        line: usize,
        name: String,
        index: String,
        limit: u64,
    },

    /// Calls of `define-fun` functions that would expand, while Z3 reads the
    /// script, to more than [`super::SolverLimits::max_expansion`] terms.
    #[error(
        "line {line}: calls of define-fun functions expand to more than {limit} terms; write the terms out or use fewer nested helper functions"
    )]
    ExpansionTooLarge { line: usize, limit: u64 },

    /// A `push`/`pop` count above [`super::SolverLimits::max_scopes`].
    #[error("line {line}: `({command} {count})` is more than the limit of {limit} scopes")]
    TooManyScopes {
        line: usize,
        command: String,
        count: String,
        limit: u64,
    },

    /// `get-value` with something other than declared constant names.
    #[error(
        "line {line}: get-value can only ask for declared constants, found `{term}`; declare a constant, assert it equal to the term and ask for the constant"
    )]
    GetValueTerm { line: usize, term: String },

    /// The script declares a name flinch uses for its own queries.
    #[error("line {line}: the name `{name}` is reserved by flinch; choose another name")]
    ReservedName { line: usize, name: String },

    /// Z3 refused the script while reading it; the position and message are Z3's.
    #[error("line {line} column {column}: {message}")]
    Parse {
        line: usize,
        column: usize,
        message: String,
    },

    /// Z3 reported an error without a position.
    #[error("Z3 error ({code}): {message}")]
    Z3 { code: String, message: String },

    /// The z3 bindings panicked; the panic was caught.
    #[error("the Z3 bindings failed: {message}")]
    Panic { message: String },

    /// The process Z3 runs in could not be started or stopped answering.
    #[error("could not run Z3: {message}")]
    Spawn { message: String },

    /// The Z3 worker process died on this script (not of running out of
    /// memory, which is a verdict).
    #[error("Z3 crashed on this script: {what}")]
    Crashed { what: String },

    /// A query names a constant the script does not declare.
    #[error("`{name}` is not a constant declared by the script (declare it with declare-const)")]
    UnknownConstant { name: String },

    /// A value query on a script that declares no constants.
    #[error(
        "the script declares no constants, so there is no value to read: declare what the question asks for with declare-const"
    )]
    NothingToRead,

    /// An entailment claim that is not a Boolean constant.
    #[error("the claim `{name}` has sort {sort}; a claim must be Bool")]
    ClaimNotBool { name: String, sort: String },

    /// An entailment claim given as text that is not exactly one term.
    #[error("the claim must be exactly one SMT-LIB2 term such as (> x 3), found {found}")]
    ClaimNotTerm { found: String },

    /// Z3 refused the claim appended to the premises.
    #[error("Z3 rejected the claim: {message}")]
    ClaimRejected { message: String },

    /// A uniqueness check over a constant of an uninterpreted sort.
    #[error(
        "cannot check whether `{name}` is unique: values of the uninterpreted sort {sort} are not comparable across models"
    )]
    UniquenessUnsupported { name: String, sort: String },

    /// A bad line of the facts language.
    #[error(transparent)]
    Facts(#[from] FactsError),
}

/// A bad line of the facts language (see [`super::facts`]); every error but
/// [`FactsError::NoQuestion`] and [`FactsError::TooLarge`] names its line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FactsError {
    /// A token other than the grammar allows at this point.
    #[error("line {line}: expected {expected}, found `{found}`")]
    Unexpected {
        line: usize,
        expected: String,
        found: String,
    },

    /// The line ends where the grammar needs more.
    #[error("line {line}: expected {expected}, found the end of the line")]
    MissingToken { line: usize, expected: String },

    /// A keyword where a name must stand.
    #[error("line {line}: `{word}` is a keyword and cannot be used as a name")]
    KeywordAsName { line: usize, word: String },

    /// A name in an ordering statement that the `items` line does not list.
    #[error(
        "line {line}: `{name}` is not one of the items ({items}); use a name from the `items` line"
    )]
    UnknownItem {
        line: usize,
        name: String,
        items: String,
    },

    /// A name listed twice in `items`.
    #[error("line {line}: item `{name}` is listed twice")]
    DuplicateItem { line: usize, name: String },

    /// A second `items` line.
    #[error(
        "line {line}: a second `items` line (the first is line {first}); list all items on one line"
    )]
    SecondItems { line: usize, first: usize },

    /// A position outside `1..=count`.
    #[error("line {line}: position {position} is outside 1..{count}: there are {count} items")]
    PositionOutOfRange {
        line: usize,
        position: i64,
        count: usize,
    },

    /// A number too large to be a count or position.
    #[error("line {line}: the number `{text}` is too large (at most {max})")]
    NumberTooLarge { line: usize, text: String, max: i64 },

    /// The same option label twice.
    #[error("line {line}: option `{label}` appears twice")]
    DuplicateOption { line: usize, label: String },

    /// No `ask` or `option` line.
    #[error("no question: add a line `ask ...` or lines `option A ...`")]
    NoQuestion,

    /// The program is larger than the facts limits.
    #[error(
        "the facts are {lines} lines / {bytes} bytes, more than the limit of {max_lines} lines / {max_bytes} bytes"
    )]
    TooLarge {
        lines: usize,
        bytes: usize,
        max_lines: usize,
        max_bytes: usize,
    },
}

/// Result of the solver module.
pub type Result<T> = std::result::Result<T, SolverError>;

impl SolverError {
    /// A short stable name of the error kind, e.g. `refused`, `parse`,
    /// `too-deep` (for JSON output and tests).
    pub fn kind(&self) -> &'static str {
        match self {
            SolverError::EmptyScript => "empty",
            SolverError::TooLarge { .. } => "too-large",
            SolverError::UnclosedParen { .. } => "unclosed-paren",
            SolverError::UnmatchedClose { .. } => "unmatched-close",
            SolverError::UnclosedString { .. } => "unclosed-string",
            SolverError::UnclosedQuotedSymbol { .. } => "unclosed-quoted",
            SolverError::TooDeep { .. } => "too-deep",
            SolverError::NotACommand { .. } => "not-a-command",
            SolverError::Refused { .. } => "refused",
            SolverError::Malformed { .. } => "malformed",
            SolverError::IndexTooLarge { .. } => "index-too-large",
            SolverError::TooManyScopes { .. } => "too-many-scopes",
            SolverError::ExpansionTooLarge { .. } => "expansion-too-large",
            SolverError::GetValueTerm { .. } => "get-value-term",
            SolverError::ReservedName { .. } => "reserved-name",
            SolverError::Parse { .. } => "parse",
            SolverError::Z3 { .. } => "z3",
            SolverError::Panic { .. } => "panic",
            SolverError::Spawn { .. } => "spawn",
            SolverError::Crashed { .. } => "crashed",
            SolverError::UnknownConstant { .. } => "unknown-constant",
            SolverError::NothingToRead => "nothing-to-read",
            SolverError::ClaimNotBool { .. } => "claim-not-bool",
            SolverError::ClaimNotTerm { .. } => "claim-not-term",
            SolverError::ClaimRejected { .. } => "claim-rejected",
            SolverError::UniquenessUnsupported { .. } => "uniqueness-unsupported",
            SolverError::Facts(_) => "facts",
        }
    }

    /// The script line the error points at, if it has one.
    pub fn line(&self) -> Option<usize> {
        match self {
            SolverError::UnclosedParen { line }
            | SolverError::UnmatchedClose { line }
            | SolverError::UnclosedString { line }
            | SolverError::UnclosedQuotedSymbol { line }
            | SolverError::TooDeep { line, .. }
            | SolverError::NotACommand { line, .. }
            | SolverError::Refused { line, .. }
            | SolverError::Malformed { line, .. }
            | SolverError::IndexTooLarge { line, .. }
            | SolverError::TooManyScopes { line, .. }
            | SolverError::ExpansionTooLarge { line, .. }
            | SolverError::GetValueTerm { line, .. }
            | SolverError::ReservedName { line, .. }
            | SolverError::Parse { line, .. } => Some(*line),
            SolverError::Facts(f) => f.line(),
            _ => None,
        }
    }

    /// Whether the error is about the input (refused or malformed script,
    /// query misuse) rather than a failure of Z3 or the host.
    pub fn is_input_error(&self) -> bool {
        !matches!(
            self,
            SolverError::Z3 { .. }
                | SolverError::Panic { .. }
                | SolverError::Spawn { .. }
                | SolverError::Crashed { .. }
        )
    }
}

impl FactsError {
    /// The line of the facts program the error points at, if it has one.
    pub fn line(&self) -> Option<usize> {
        match self {
            FactsError::Unexpected { line, .. }
            | FactsError::MissingToken { line, .. }
            | FactsError::KeywordAsName { line, .. }
            | FactsError::UnknownItem { line, .. }
            | FactsError::DuplicateItem { line, .. }
            | FactsError::SecondItems { line, .. }
            | FactsError::PositionOutOfRange { line, .. }
            | FactsError::NumberTooLarge { line, .. }
            | FactsError::DuplicateOption { line, .. } => Some(*line),
            FactsError::NoQuestion | FactsError::TooLarge { .. } => None,
        }
    }
}
