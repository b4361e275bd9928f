//! IFEval's strict and loose scoring modes over a list of requirements.
//!
//! Loose mode (IFEval `test_instruction_following_loose`) accepts a requirement if
//! any of eight variants of the response passes: the response; without its first
//! line; without its last line; without both; and each of these with every `*`
//! removed. Variants that are empty after stripping never pass.

use serde::{Deserialize, Serialize};

use super::requirement::Requirement;
use super::verdict::Verdict;

/// Which IFEval scoring mode to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The response as given.
    Strict,
    /// Any of the eight response variants (see the module docs).
    Loose,
}

/// The eight loose-mode variants, in IFEval's order: response, response without `*`,
/// without first line, without last line, without both, and the last three without `*`.
pub fn loose_variants(response: &str) -> [String; 8] {
    let lines: Vec<&str> = response.split('\n').collect();
    let n = lines.len();
    let join = |from: usize, to: usize| -> String {
        if from >= to {
            String::new()
        } else {
            lines[from..to].join("\n").trim().to_string()
        }
    };
    let remove_first = join(1, n);
    let remove_last = join(0, n.saturating_sub(1));
    let remove_both = join(1, n.saturating_sub(1));
    let unstar = |s: &str| s.replace('*', "");
    [
        response.to_string(),
        unstar(response),
        remove_first.clone(),
        remove_last.clone(),
        remove_both.clone(),
        unstar(&remove_first),
        unstar(&remove_last),
        unstar(&remove_both),
    ]
}

impl Requirement {
    /// Loose-mode check: `Pass` if any variant passes, else the strict verdict.
    pub fn check_loose(&self, response: &str) -> Verdict {
        check_loose_variants(self, response, &loose_variants(response))
    }
}

fn check_loose_variants(req: &Requirement, response: &str, variants: &[String; 8]) -> Verdict {
    let strict = req.check(response);
    if strict.is_pass() || variants[1..].iter().any(|v| req.check(v).is_pass()) {
        Verdict::Pass
    } else {
        strict
    }
}

/// Check every requirement against `response` in the given mode, in order.
pub fn check_all(requirements: &[Requirement], response: &str, mode: Mode) -> Vec<Verdict> {
    match mode {
        Mode::Strict => requirements.iter().map(|r| r.check(response)).collect(),
        Mode::Loose => {
            let variants = loose_variants(response);
            requirements
                .iter()
                .map(|r| check_loose_variants(r, response, &variants))
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_follow_ifeval_order() {
        let v = loose_variants("Sure! Here it is:\n*hello* world\nHope this helps");
        assert_eq!(
            v,
            [
                "Sure! Here it is:\n*hello* world\nHope this helps".to_string(),
                "Sure! Here it is:\nhello world\nHope this helps".to_string(),
                "*hello* world\nHope this helps".to_string(),
                "Sure! Here it is:\n*hello* world".to_string(),
                "*hello* world".to_string(),
                "hello world\nHope this helps".to_string(),
                "Sure! Here it is:\nhello world".to_string(),
                "hello world".to_string(),
            ]
        );
    }

    #[test]
    fn single_line_variants_are_empty_when_lines_are_removed() {
        let v = loose_variants("one line");
        assert_eq!(v[2], "");
        assert_eq!(v[3], "");
        assert_eq!(v[4], "");
    }
}
