//! The routes a question can take.

pub mod calculator;
