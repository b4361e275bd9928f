//! The syntax tree of one statement. Left-associative chains (`a + b - c`,
//! `a * b / c`) are flat lists, so a long sum is wide, not deep: the tree's
//! depth is bounded by the nesting limit alone.

use crate::error::Pos;
use crate::lexer::BinOp;
use crate::number::Number;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Abs,
    Round,
    Min,
    Max,
    Sum,
    Floor,
    Ceil,
    Sqrt,
    Factorial,
    Int,
    Float,
    Pow,
}

impl Func {
    /// Builtins by their Python names; `math.` names map onto the same set.
    pub fn lookup(name: &str) -> Option<Func> {
        Some(match name {
            "abs" | "math.fabs" => Func::Abs,
            "round" => Func::Round,
            "min" => Func::Min,
            "max" => Func::Max,
            "sum" | "math.fsum" => Func::Sum,
            "floor" | "math.floor" => Func::Floor,
            "ceil" | "math.ceil" => Func::Ceil,
            "sqrt" | "math.sqrt" => Func::Sqrt,
            "factorial" | "math.factorial" => Func::Factorial,
            "int" | "math.trunc" => Func::Int,
            "float" => Func::Float,
            "pow" | "math.pow" => Func::Pow,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Func::Abs => "abs",
            Func::Round => "round",
            Func::Min => "min",
            Func::Max => "max",
            Func::Sum => "sum",
            Func::Floor => "floor",
            Func::Ceil => "ceil",
            Func::Sqrt => "sqrt",
            Func::Factorial => "factorial",
            Func::Int => "int",
            Func::Float => "float",
            Func::Pow => "pow",
        }
    }
}

/// The functions, as listed in error messages.
pub const FUNCTION_LIST: &str =
    "abs, ceil, factorial, float, floor, int, max, min, pow, round, sqrt, sum";

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Num(Number),
    Var {
        name: String,
        pos: Pos,
    },
    Neg(Box<Expr>),
    /// `first op1 e1 op2 e2 …`, evaluated left to right; each operator's position.
    Chain {
        first: Box<Expr>,
        rest: Vec<(BinOp, Pos, Expr)>,
    },
    Pow {
        base: Box<Expr>,
        exp: Box<Expr>,
        pos: Pos,
    },
    Percent {
        operand: Box<Expr>,
        pos: Pos,
    },
    Call {
        func: Func,
        args: Vec<Expr>,
        pos: Pos,
    },
    /// `[a, b]` or `(a, b)`: only meaningful as an argument of sum/min/max.
    List {
        items: Vec<Expr>,
        pos: Pos,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    /// `name = expr`, or `name op= expr` when `op` is set.
    Assign {
        name: String,
        op: Option<BinOp>,
        expr: Expr,
        pos: Pos,
    },
    /// An expression line, or `print(expr)`.
    Expr(Expr),
    /// `import math` / `from math import …`: accepted, does nothing.
    Import,
}
