//! The routes a question can take.

pub mod calculator;
pub mod chat;
pub mod choice;
pub mod compare;
pub mod constrained;
pub mod facts_grammar;
pub mod family;
pub mod grammar;
pub mod inventory;
pub mod logic;
pub mod math_cot;
pub mod program_grammar;
pub mod purchases;
pub mod smtlib_grammar;
pub mod spoken;
pub mod truth;
