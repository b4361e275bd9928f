//! The routes a question can take.

pub mod calculator;
pub mod chat;
pub mod math_cot;
pub mod constrained;
