//! Drift statistics between a reference window and a current window of a
//! series, exactly as `DRIFT.md` defines them (Evidently on top of NumPy and
//! SciPy), so a number computed here matches the one in a notebook.
//!
//! Every function first drops NaN and infinite samples; an empty window
//! (before or after that) gives `None`, which the evaluator reports as
//! `unknown`.
//!
//! - [`psi`]: population stability index. Equal-width bins over the pooled
//!   samples by Sturges' rule (as `numpy.histogram_bin_edges(bins="sturges")`)
//!   when the reference has more than [`DISTINCT_BIN_LIMIT`] distinct values,
//!   one bin per distinct value otherwise; zero shares replaced per window.
//! - [`ks`]: the two-sample Kolmogorov-Smirnov statistic
//!   (`scipy.stats.ks_2samp(...).statistic`).
//! - [`wasserstein_raw`]: the Wasserstein-1 distance
//!   (`scipy.stats.wasserstein_distance`); [`wasserstein`] divides it by
//!   `max(population std of the reference, 0.001)`.
//!
//! Sums use NumPy's pairwise summation, so they round as `np.sum` does.
//! `tests/data/drift_reference.py` recomputes the test values with NumPy and
//! SciPy.

use std::cmp::Ordering;

/// A reference window with more distinct values than this is binned by
/// Sturges' rule; otherwise each distinct value is its own bin.
pub const DISTINCT_BIN_LIMIT: usize = 20;

/// The share a zero share is replaced with, unless the smallest non-zero
/// share of the window is at most this (then it is that share / 1e6).
pub const ZERO_SHARE: f64 = 1e-4;

/// The finite values, `-0.0` turned into `0.0`, in their original order.
fn finite(values: &[f64]) -> Vec<f64> {
    values.iter().copied().filter(|x| x.is_finite()).map(|x| x + 0.0).collect()
}

/// The finite values, sorted.
fn sorted_finite(values: &[f64]) -> Vec<f64> {
    let mut v = finite(values);
    v.sort_by(f64::total_cmp);
    v
}

/// The number of elements of sorted `xs` that are `<= x` (NumPy's
/// `searchsorted(side="right")`).
fn count_at_most(xs: &[f64], x: f64) -> usize {
    xs.partition_point(|&v| v <= x)
}

/// The number of elements of sorted `xs` that are `< x` (NumPy's
/// `searchsorted(side="left")`).
fn count_below(xs: &[f64], x: f64) -> usize {
    xs.partition_point(|&v| v < x)
}

/// Sums like `numpy.sum` on a contiguous float64 array: pairwise summation
/// with an 8-way unrolled base case of at most 128 elements, so the result
/// is bit-identical to NumPy's.
pub fn pairwise_sum(values: &[f64]) -> f64 {
    let n = values.len();
    if n < 8 {
        let mut res = 0.0;
        for &x in values {
            res += x;
        }
        res
    } else if n <= 128 {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&values[..8]);
        let mut i = 8;
        while i < n - n % 8 {
            for (j, acc) in r.iter_mut().enumerate() {
                *acc += values[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &x in &values[i..] {
            res += x;
        }
        res
    } else {
        let mut half = n / 2;
        half -= half % 8;
        pairwise_sum(&values[..half]) + pairwise_sum(&values[half..])
    }
}

/// The population standard deviation as `numpy.std` computes it: the mean
/// by pairwise sum over n, then the pairwise sum of squared deviations over
/// n, then the square root. `None` for no values.
pub fn population_std(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let n = values.len() as f64;
    let mean = pairwise_sum(values) / n;
    let squares: Vec<f64> = values
        .iter()
        .map(|x| {
            let d = x - mean;
            d * d
        })
        .collect();
    Some((pairwise_sum(&squares) / n).sqrt())
}

/// The bin edges of `numpy.histogram_bin_edges(pooled, bins="sturges")`
/// for pooled samples of size `n` with the given minimum and maximum:
/// `width = (max - min) / (log2(n) + 1)`, `k = ceil((max - min) / width)`,
/// edges as `numpy.linspace(min, max, k + 1)` (`min + i * step`, the last
/// edge exactly `max`). `None` when the edges are not strictly increasing
/// (NumPy raises "too many bins" there) or `n` is 0.
pub fn sturges_edges(min: f64, max: f64, n: usize) -> Option<Vec<f64>> {
    if n == 0 || !min.is_finite() || !max.is_finite() || min > max {
        return None;
    }
    let (first, last) = if min == max { (min - 0.5, max + 0.5) } else { (min, max) };
    let range = last - first;
    let width = (max - min) / ((n as f64).log2() + 1.0);
    let bins = if width != 0.0 {
        let k = (range / width).ceil();
        if !(1.0..=1e7).contains(&k) {
            return None;
        }
        k as usize
    } else {
        1
    };
    let div = bins as f64;
    let step = range / div;
    let mut edges: Vec<f64> = (0..=bins)
        .map(|i| {
            let i = i as f64;
            if step == 0.0 {
                i / div * range + first
            } else {
                i * step + first
            }
        })
        .collect();
    if let Some(e) = edges.last_mut() {
        *e = last;
    }
    if edges.windows(2).any(|w| w[0] >= w[1]) {
        return None;
    }
    Some(edges)
}

/// Counts of sorted `values` per bin of `edges`, as `numpy.histogram` with
/// explicit edges: bins `[e_i, e_i+1)`, the last one closed.
fn histogram(values: &[f64], edges: &[f64]) -> Vec<usize> {
    let last = edges.len() - 1;
    let cumulative: Vec<usize> = edges
        .iter()
        .enumerate()
        .map(|(i, &e)| if i == last { count_at_most(values, e) } else { count_below(values, e) })
        .collect();
    cumulative.windows(2).map(|w| w[1] - w[0]).collect()
}

/// The number of distinct values of a sorted slice.
fn distinct_count(sorted: &[f64]) -> usize {
    if sorted.is_empty() {
        return 0;
    }
    1 + sorted.windows(2).filter(|w| w[0] != w[1]).count()
}

/// The shares of each window per PSI bin, before zero replacement: Sturges
/// bins when the reference has more than [`DISTINCT_BIN_LIMIT`] distinct
/// values, one bin per distinct value (of both windows, ascending)
/// otherwise. `None` when a window is empty after dropping non-finite
/// samples.
pub fn psi_shares(reference: &[f64], current: &[f64]) -> Option<(Vec<f64>, Vec<f64>)> {
    let r = sorted_finite(reference);
    let c = sorted_finite(current);
    let (r_first, r_last) = (*r.first()?, *r.last()?);
    let (c_first, c_last) = (*c.first()?, *c.last()?);
    let (nr, nc) = (r.len() as f64, c.len() as f64);
    if distinct_count(&r) > DISTINCT_BIN_LIMIT {
        let edges = sturges_edges(r_first.min(c_first), r_last.max(c_last), r.len() + c.len())?;
        let shares = |xs: &[f64], n: f64| -> Vec<f64> {
            histogram(xs, &edges).into_iter().map(|count| count as f64 / n).collect()
        };
        Some((shares(&r, nr), shares(&c, nc)))
    } else {
        let mut keys: Vec<f64> = r.iter().chain(&c).copied().collect();
        keys.sort_by(f64::total_cmp);
        keys.dedup();
        let shares = |xs: &[f64], n: f64| -> Vec<f64> {
            keys.iter().map(|&k| (count_at_most(xs, k) - count_below(xs, k)) as f64 / n).collect()
        };
        Some((shares(&r, nr), shares(&c, nc)))
    }
}

/// Replaces the zero shares of one window: by [`ZERO_SHARE`], or by
/// `m / 1e6` when the smallest non-zero share `m` is `<= 1e-4`. No
/// renormalising.
fn fill_zero_shares(shares: &[f64]) -> Vec<f64> {
    let smallest =
        shares.iter().copied().filter(|&s| s != 0.0).min_by(|a, b| a.partial_cmp(b).unwrap_or(Ordering::Equal));
    let fill = match smallest {
        Some(m) if m <= ZERO_SHARE => m / 1e6,
        _ => ZERO_SHARE,
    };
    shares.iter().map(|&s| if s == 0.0 { fill } else { s }).collect()
}

/// `PSI = sum_i (r_i - c_i) * ln(r_i / c_i)` over bin shares, after the
/// zero-share replacement of each window. The slices are paired bin by bin
/// (a longer slice's extra bins are ignored).
pub fn psi_from_shares(reference: &[f64], current: &[f64]) -> f64 {
    let r = fill_zero_shares(reference);
    let c = fill_zero_shares(current);
    let terms: Vec<f64> = r.iter().zip(&c).map(|(&r, &c)| (r - c) * (r / c).ln()).collect();
    pairwise_sum(&terms)
}

/// The population stability index of `current` against `reference`.
/// `None` when either window has no finite sample.
pub fn psi(reference: &[f64], current: &[f64]) -> Option<f64> {
    let (r, c) = psi_shares(reference, current)?;
    Some(psi_from_shares(&r, &c))
}

/// Window sizes up to which SciPy's `ks_2samp` (method `auto`) computes
/// exactly and reports `D` as the nearest float to a fraction over
/// `lcm(n_ref, n_cur)`.
pub const KS_EXACT_MAX_N: usize = 10_000;

/// The two-sample Kolmogorov-Smirnov statistic `D = max |F_ref - F_cur|`
/// over the right-continuous empirical CDFs at every pooled sample. `None`
/// when either window has no finite sample.
///
/// As SciPy does, when both windows have at most [`KS_EXACT_MAX_N`] samples
/// `D` is the float nearest to the exact fraction `h / lcm(n_ref, n_cur)`
/// (computed here in integers); above that it is the float difference of
/// the two CDFs.
pub fn ks(reference: &[f64], current: &[f64]) -> Option<f64> {
    let r = sorted_finite(reference);
    let c = sorted_finite(current);
    if r.is_empty() || c.is_empty() {
        return None;
    }
    let (n1, n2) = (r.len(), c.len());
    if n1.max(n2) <= KS_EXACT_MAX_N {
        let g = gcd(n1, n2);
        let (m1, m2) = ((n2 / g) as u64, (n1 / g) as u64);
        let h = r
            .iter()
            .chain(&c)
            .map(|&x| (count_at_most(&r, x) as u64 * m1).abs_diff(count_at_most(&c, x) as u64 * m2))
            .max()
            .unwrap_or(0);
        let lcm = (n1 / g) as u64 * n2 as u64;
        return Some(h as f64 / lcm as f64);
    }
    let (nr, nc) = (n1 as f64, n2 as f64);
    let d = r
        .iter()
        .chain(&c)
        .map(|&x| (count_at_most(&r, x) as f64 / nr - count_at_most(&c, x) as f64 / nc).abs())
        .fold(0.0, f64::max);
    Some(d)
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The Wasserstein-1 distance between the empirical distributions:
/// `sum_i |U(x_i) - V(x_i)| * (x_i+1 - x_i)` over the sorted pooled
/// samples. `None` when either window has no finite sample.
pub fn wasserstein_raw(reference: &[f64], current: &[f64]) -> Option<f64> {
    let r = sorted_finite(reference);
    let c = sorted_finite(current);
    if r.is_empty() || c.is_empty() {
        return None;
    }
    let mut all: Vec<f64> = r.iter().chain(&c).copied().collect();
    all.sort_by(f64::total_cmp);
    let (nr, nc) = (r.len() as f64, c.len() as f64);
    let terms: Vec<f64> = all
        .windows(2)
        .map(|w| {
            let u = count_at_most(&r, w[0]) as f64 / nr;
            let v = count_at_most(&c, w[0]) as f64 / nc;
            (u - v).abs() * (w[1] - w[0])
        })
        .collect();
    Some(pairwise_sum(&terms))
}

/// The normalised Wasserstein distance Evidently reports:
/// [`wasserstein_raw`] divided by `max(population std of the reference,
/// 0.001)`. `None` when either window has no finite sample.
pub fn wasserstein(reference: &[f64], current: &[f64]) -> Option<f64> {
    let raw = wasserstein_raw(reference, current)?;
    let std = population_std(&finite(reference))?;
    Some(raw / std.max(0.001))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// Within 1e-12 relative (absolute for expected 0).
    fn close(actual: f64, expected: f64) -> bool {
        if expected == 0.0 {
            actual.abs() <= 1e-12
        } else {
            ((actual - expected) / expected).abs() <= 1e-12
        }
    }

    macro_rules! assert_close {
        ($actual:expr, $expected:expr) => {{
            let (a, e): (f64, f64) = ($actual, $expected);
            assert!(close(a, e), "{} = {a:?}, expected {e:?}", stringify!($actual));
        }};
    }

    fn range(from: i32, to: i32) -> Vec<f64> {
        (from..=to).map(f64::from).collect()
    }

    /// `((i * a + c) % m) / div + off` for `i` in `0..n`, as in
    /// `tests/data/drift_reference.py`.
    fn gen(n: u64, a: u64, c: u64, m: u64, div: f64, off: f64) -> Vec<f64> {
        (0..n).map(|i| ((i * a + c) % m) as f64 / div + off).collect()
    }

    #[test]
    fn drift_md_reference_values() {
        assert_close!(psi_from_shares(&[0.5, 0.3, 0.2], &[0.3, 0.3, 0.4]), 0.2407945608651872);
        assert_close!(psi_from_shares(&[0.5, 0.5], &[1.0, 0.0]), 4.60431846666895);
        assert_eq!(ks(&range(1, 5), &range(6, 10)), Some(1.0));
        assert_close!(ks(&range(1, 10), &range(3, 12)).unwrap_or(f64::NAN), 0.2);
        assert_close!(wasserstein_raw(&[0.0, 1.0, 3.0], &[5.0, 6.0, 8.0]).unwrap_or(f64::NAN), 5.0);
        assert_close!(wasserstein(&[0.0, 1.0, 3.0], &[5.0, 6.0, 8.0]).unwrap_or(f64::NAN), 4.0089186286863665);
    }

    #[test]
    fn zero_share_replacement_rule() {
        // Smallest non-zero share <= 1e-4: zeros become m / 1e6.
        let tiny: f64 = 1e-5;
        let expected = (0.5 - 0.5) * (0.5f64 / 0.5).ln()
            + (tiny - 1e-4) * (tiny / 1e-4).ln()
            + ((0.5 - tiny) - 0.5) * ((0.5 - tiny) / 0.5).ln()
            + (tiny / 1e6 - 1e-4) * ((tiny / 1e6) / 1e-4).ln();
        let got = psi_from_shares(&[0.5, tiny, 0.5 - tiny, 0.0], &[0.5, 0.0, 0.5, 0.0]);
        assert_close!(got, expected);
    }

    #[test]
    fn empty_and_non_finite_windows() {
        let nan = f64::NAN;
        assert_eq!(psi(&[], &[1.0]), None);
        assert_eq!(psi(&[1.0], &[nan, f64::INFINITY]), None);
        assert_eq!(ks(&[nan], &[1.0]), None);
        assert_eq!(wasserstein(&[1.0], &[]), None);
        assert_eq!(wasserstein_raw(&[1.0], &[f64::NEG_INFINITY]), None);
        // Identical windows.
        assert_eq!(psi(&[1.0, 2.0], &[2.0, 1.0]), Some(0.0));
        assert_eq!(ks(&[1.0, 2.0], &[2.0, 1.0]), Some(0.0));
        // A constant reference: std 0, normalised by 0.001.
        assert_close!(wasserstein(&[2.0, 2.0], &[3.0]).unwrap_or(nan), 1000.0);
        // -0.0 and 0.0 are one value.
        assert_eq!(psi(&[-0.0, 1.0], &[0.0, 1.0]), Some(0.0));
    }

    #[test]
    fn sturges_bin_count_is_not_simplified() {
        // N = 64, range 2.1: width 0.3, 2.1 / 0.3 = 7.000000000000001 -> 8.
        let edges = sturges_edges(0.0, 2.1, 64).unwrap_or_default();
        assert_eq!(edges.len(), 9);
        assert_eq!(edges[8], 2.1);
        assert_eq!(sturges_edges(1.0, 1.0, 5), Some(vec![0.5, 1.5]));
        assert_eq!(sturges_edges(0.0, 1.0, 0), None);
    }

    #[test]
    fn numpy_pairwise_sum_shape() {
        let xs: Vec<f64> = (0..1000).map(|i| f64::from(i) * 0.1).collect();
        assert_close!(pairwise_sum(&xs), 49950.0);
        assert_eq!(pairwise_sum(&[]), 0.0);
        assert_eq!(population_std(&[0.0, 1.0, 3.0]).map(|s| s * s * 9.0).map(f64::round), Some(14.0));
    }

    /// Values printed by `tests/data/drift_reference.py` (NumPy 2.4.6,
    /// SciPy 1.17.1).
    #[test]
    fn numpy_scipy_reference_cases() {
        struct Case {
            name: &'static str,
            reference: Vec<f64>,
            current: Vec<f64>,
            bins: usize,
            psi: f64,
            ks: f64,
            w1: f64,
            w1_norm: f64,
        }
        let mut non_finite_ref = gen(25, 17, 3, 101, 4.0, 0.0);
        non_finite_ref.extend([f64::NAN, f64::INFINITY]);
        let mut non_finite_cur = vec![f64::NEG_INFINITY];
        non_finite_cur.extend(gen(25, 19, 5, 103, 4.0, 1.0));
        let cases = [
            Case {
                name: "n64_range_2_1",
                reference: gen(40, 1, 0, 40, 20.0, 0.0),
                current: gen(24, 1, 0, 24, 23.0 / 2.1, 0.0),
                bins: 8,
                psi: 0.03465735902799727,
                ks: 0.1,
                w1: 0.08065217391304348,
                w1_norm: 0.13973733770154947,
            },
            Case {
                name: "edges_on_data",
                reference: gen(64, 1, 0, 64, 1.0, 0.0),
                current: gen(64, 1, 0, 64, 1.0, 1.0),
                bins: 8,
                psi: 0.003926787941889158,
                ks: 0.015625,
                w1: 1.0,
                w1_norm: 0.05413319619607667,
            },
            Case {
                name: "scrambled",
                reference: gen(200, 7919, 13, 1009, 13.0, 0.0),
                current: gen(150, 104729, 7, 997, 11.0, 5.0),
                bins: 10,
                psi: 0.9842298845023106,
                ks: 0.18666666666666668,
                w1: 9.824906759906762,
                w1_norm: 0.43584865564042846,
            },
            Case {
                name: "distinct",
                reference: gen(30, 3, 1, 7, 2.0, 0.0),
                current: gen(20, 5, 2, 9, 2.0, 0.0),
                bins: 9,
                psi: 1.894767231818461,
                ks: 0.25,
                w1: 0.5416666666666666,
                w1_norm: 0.5486453173412895,
            },
            Case {
                name: "non_finite",
                reference: non_finite_ref,
                current: non_finite_cur,
                bins: 7,
                psi: 0.10361068661783307,
                ks: 0.16,
                w1: 1.6099999999999997,
                w1_norm: 0.21810592923234737,
            },
        ];
        for case in cases {
            let (r, c) = (&case.reference, &case.current);
            let shares = psi_shares(r, c).unwrap_or_default();
            assert_eq!(shares.0.len(), case.bins, "{}: bins", case.name);
            let got = [psi(r, c), ks(r, c), wasserstein_raw(r, c), wasserstein(r, c)].map(|v| v.unwrap_or(f64::NAN));
            let want = [case.psi, case.ks, case.w1, case.w1_norm];
            for (what, (g, w)) in ["psi", "ks", "w1", "w1_norm"].iter().zip(got.iter().zip(want)) {
                assert!(close(*g, w), "{} {what}: {g:?}, expected {w:?}", case.name);
            }
        }
    }

    #[test]
    fn edge_values_fall_in_the_upper_bin_and_the_maximum_in_the_last() {
        // 0..63 and 1..64: edges 0, 8, ..., 64.
        let r = range(0, 63);
        let c = range(1, 64);
        let (rs, cs) = psi_shares(&r, &c).unwrap_or_default();
        assert_eq!(rs, vec![0.125; 8]);
        // Current: 1..7 (7), 8..15 (8) ..., 56..64 (9, the last bin closed).
        let counts: Vec<f64> = cs.iter().map(|s| s * 64.0).collect();
        assert_eq!(counts, vec![7.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 9.0]);
    }
}
