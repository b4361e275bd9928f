//! Confidence intervals: Wilson score intervals for accuracies; Newcombe's
//! interval for the difference of paired proportions (the uplift of guarded
//! over raw on the same items), built from the two Wilson intervals; and a
//! percentile bootstrap with a fixed seed for ratios (IFEval
//! instruction-level accuracy, resampling prompts) and means (judge
//! ratings).

use serde::{Deserialize, Serialize};

/// z for a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;
/// Bootstrap resamples.
pub const DEFAULT_RESAMPLES: usize = 2000;
/// Seed of every bootstrap, so that a report is reproducible.
pub const BOOTSTRAP_SEED: u64 = 0x5EED_F11C;

/// A proportion or difference with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub value: f64,
    pub ci95: [f64; 2],
}

/// Wilson score interval of `k` successes in `n` trials (`None` when n = 0).
pub fn wilson(k: usize, n: usize) -> Option<Estimate> {
    if n == 0 {
        return None;
    }
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    Some(Estimate {
        value: p,
        ci95: [(centre - half).max(0.0), (centre + half).min(1.0)],
    })
}

/// SplitMix64: a small, well-mixed deterministic generator.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Percentile bootstrap of `statistic` over resamples of `0..n` indices.
fn bootstrap(n: usize, value: f64, mut statistic: impl FnMut(&[usize]) -> f64) -> Estimate {
    let mut rng = Rng::new(BOOTSTRAP_SEED);
    let mut idx = vec![0; n];
    let mut stats: Vec<f64> = (0..DEFAULT_RESAMPLES)
        .map(|_| {
            for i in idx.iter_mut() {
                *i = rng.below(n);
            }
            statistic(&idx)
        })
        .collect();
    stats.sort_by(f64::total_cmp);
    Estimate {
        value,
        ci95: [percentile(&stats, 0.025), percentile(&stats, 0.975)],
    }
}

/// Mean of `guarded − raw` over paired items (`(raw, guarded)` correct),
/// with Newcombe's (1998, method 10) interval for a difference of paired
/// proportions: the Wilson intervals of both accuracies combined through
/// the (continuity-corrected) phi correlation of the pairs. Unlike a
/// percentile bootstrap it does not collapse to a point when every pair
/// differs the same way.
pub fn paired_difference(pairs: &[(bool, bool)]) -> Option<Estimate> {
    let n = pairs.len();
    if n == 0 {
        return None;
    }
    let count =
        |raw: bool, guarded: bool| pairs.iter().filter(|&&p| p == (raw, guarded)).count() as f64;
    // both right, guarded only, raw only, both wrong
    let (r, s, t, u) = (
        count(true, true),
        count(false, true),
        count(true, false),
        count(false, false),
    );
    let nf = n as f64;
    let (g, w) = (wilson((r + s) as usize, n)?, wilson((r + t) as usize, n)?);
    let (p1, p2) = (g.value, w.value);
    let (l1, u1, l2, u2) = (g.ci95[0], g.ci95[1], w.ci95[0], w.ci95[1]);
    let a = (r + s) * (t + u) * (r + t) * (s + u);
    let b = r * u - s * t;
    let c = if b > nf / 2.0 {
        b - nf / 2.0
    } else if b < 0.0 {
        b
    } else {
        0.0
    };
    let phi = if a > 0.0 { c / a.sqrt() } else { 0.0 };
    let d = p1 - p2;
    let lower = d
        - ((p1 - l1).powi(2) - 2.0 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2).powi(2))
            .max(0.0)
            .sqrt();
    let upper = d
        + ((p2 - l2).powi(2) - 2.0 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1).powi(2))
            .max(0.0)
            .sqrt();
    Some(Estimate {
        value: d,
        ci95: [lower.max(-1.0), upper.min(1.0)],
    })
}

/// Σ passed / Σ total over clusters (IFEval prompts), resampling clusters.
pub fn ratio(clusters: &[(usize, usize)]) -> Option<Estimate> {
    let total: usize = clusters.iter().map(|c| c.1).sum();
    if total == 0 {
        return None;
    }
    let value = clusters.iter().map(|c| c.0).sum::<usize>() as f64 / total as f64;
    Some(bootstrap(clusters.len(), value, |idx| {
        let (k, n) = idx
            .iter()
            .fold((0, 0), |(k, n), &i| (k + clusters[i].0, n + clusters[i].1));
        if n == 0 { 0.0 } else { k as f64 / n as f64 }
    }))
}

/// Mean of `values` with a bootstrap interval.
pub fn mean(values: &[f64]) -> Option<Estimate> {
    if values.is_empty() {
        return None;
    }
    let n = values.len() as f64;
    let value = values.iter().sum::<f64>() / n;
    Some(bootstrap(values.len(), value, |idx| {
        idx.iter().map(|&i| values[i]).sum::<f64>() / n
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 5e-4
    }

    #[test]
    fn wilson_matches_published_values() {
        // 81 of 263: 0.3080 in [0.2553, 0.3662] (Wilson 1927, computed independently).
        let e = wilson(81, 263).unwrap();
        assert!(close(e.value, 0.30798), "{e:?}");
        assert!(
            close(e.ci95[0], 0.25529) && close(e.ci95[1], 0.36621),
            "{e:?}"
        );
        let zero = wilson(0, 10).unwrap();
        assert_eq!(zero.ci95[0], 0.0);
        assert!(close(zero.ci95[1], 0.27753), "{zero:?}");
        assert_eq!(wilson(0, 0), None);
    }

    #[test]
    fn paired_difference_is_newcombes_interval() {
        // Values computed independently from Newcombe's formulas.
        let pairs = |r: usize, s: usize, t: usize, u: usize| {
            let mut v = vec![(true, true); r];
            v.extend(vec![(false, true); s]);
            v.extend(vec![(true, false); t]);
            v.extend(vec![(false, false); u]);
            v
        };
        let e = paired_difference(&pairs(30, 20, 5, 45)).unwrap();
        assert!(
            close(e.value, 0.15) && close(e.ci95[0], 0.05349) && close(e.ci95[1], 0.24137),
            "{e:?}"
        );
        // Every pair improved: a real interval, not a point.
        let e = paired_difference(&pairs(0, 10, 0, 0)).unwrap();
        assert!(
            close(e.value, 1.0) && close(e.ci95[0], 0.60751) && close(e.ci95[1], 1.0),
            "{e:?}"
        );
        // No difference at all on 10 items is not proof of equality.
        let e = paired_difference(&pairs(0, 0, 0, 10)).unwrap();
        assert!(
            close(e.value, 0.0) && close(e.ci95[0], -0.27753) && close(e.ci95[1], 0.27753),
            "{e:?}"
        );
        // Guarded worse: a negative difference.
        let e = paired_difference(&pairs(0, 0, 10, 0)).unwrap();
        assert!(
            close(e.value, -1.0) && close(e.ci95[0], -1.0) && close(e.ci95[1], -0.60751),
            "{e:?}"
        );
        assert_eq!(paired_difference(&[]), None);
    }

    #[test]
    fn bootstrap_is_deterministic_and_brackets_the_value() {
        let values: Vec<f64> = (0..100).map(|i| f64::from(i % 7)).collect();
        let a = mean(&values).unwrap();
        assert_eq!(a, mean(&values).unwrap());
        assert!(a.ci95[0] < a.value && a.value < a.ci95[1], "{a:?}");
        assert_eq!(
            mean(&[3.0; 20]).unwrap(),
            Estimate {
                value: 3.0,
                ci95: [3.0, 3.0]
            }
        );
    }

    #[test]
    fn ratio_and_mean() {
        let r = ratio(&[(1, 2), (3, 3), (0, 1)]).unwrap();
        assert!(close(r.value, 4.0 / 6.0));
        assert!(r.ci95[0] <= r.value && r.value <= r.ci95[1]);
        assert_eq!(ratio(&[]), None);
        let m = mean(&[2.0, 4.0, 6.0]).unwrap();
        assert!(close(m.value, 4.0));
        assert!(m.ci95[0] >= 2.0 && m.ci95[1] <= 6.0);
    }

    #[test]
    fn rng_below_stays_in_range() {
        let mut r = Rng::new(1);
        let mut seen = [0usize; 5];
        for _ in 0..5000 {
            seen[r.below(5)] += 1;
        }
        assert!(seen.iter().all(|&c| c > 900 && c < 1100), "{seen:?}");
    }
}
