//! χ² quantiles, for choosing kernel widths from a significance level.
//!
//! If an edge's whitened residual is Gaussian with k degrees of freedom, its s = eᵀΩe is χ²_k
//! distributed, so the width δ with δ² = χ²_k⁻¹(p) puts a fraction p of all inlier edges inside
//! the kernel's width.

/// Inverse CDF of the χ² distribution with `dof` degrees of freedom: the x with P(X ≤ x) = p.
///
/// Computed by inverting the regularised incomplete gamma function P(dof/2, x/2) with Newton's
/// method, safeguarded by bisection; accurate to a few units in the last place for the usual
/// levels. `p = 0` gives 0 and `p = 1` gives +∞.
///
/// ```
/// use rhopt::kernel::chi2_quantile;
/// assert!((chi2_quantile(0.95, 3) - 7.814727903).abs() < 1e-8);
/// ```
///
/// # Panics
/// If `dof` is 0 or `p` is not in [0, 1].
pub fn chi2_quantile(p: f64, dof: usize) -> f64 {
    assert!(dof > 0, "chi2_quantile: dof must be at least 1");
    assert!(
        (0.0..=1.0).contains(&p),
        "chi2_quantile: p = {p} is not a probability"
    );
    if p == 0.0 {
        return 0.0;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    let a = dof as f64 / 2.0;
    // Solve on the smaller tail: for p near 1, 1 − P would lose all the digits of the target.
    let use_upper = p > 0.5;
    let target = if use_upper { 1.0 - p } else { p };
    // g(x) is increasing in x for either tail, with g'(x) = the χ² density.
    let g = |x: f64| {
        let (lower, upper) = incomplete_gamma(a, 0.5 * x);
        if use_upper {
            target - upper
        } else {
            lower - target
        }
    };

    // Bracket the root: g(0) < 0; double the upper end until g ≥ 0.
    let (mut lo, mut hi) = (0.0, dof as f64);
    while g(hi) < 0.0 {
        lo = hi;
        hi *= 2.0;
    }
    let mut x = 0.5 * (lo + hi);
    for _ in 0..200 {
        let gx = g(x);
        if gx == 0.0 {
            return x;
        }
        if gx < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let newton = x - gx / chi2_density(a, x);
        // Take the Newton step only if it stays strictly inside the bracket, else bisect.
        let next = if newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
        if (next - x).abs() <= 2.0 * f64::EPSILON * next || hi - lo <= 2.0 * f64::EPSILON * hi {
            return next;
        }
        x = next;
    }
    x
}

/// Kernel width δ = √(χ²_dof⁻¹(p)) in standard deviations: a fraction p of inlier edges with
/// `dof`-dimensional residuals have s ≤ δ².
///
/// # Panics
/// As [`chi2_quantile`].
pub fn width_from_chi2_quantile(p: f64, dof: usize) -> f64 {
    chi2_quantile(p, dof).sqrt()
}

/// Density of χ² with 2a degrees of freedom at x > 0.
fn chi2_density(a: f64, x: f64) -> f64 {
    let half = 0.5 * x;
    0.5 * ((a - 1.0) * half.ln() - half - ln_gamma(a)).exp()
}

/// Regularised incomplete gamma functions (P(a, x), Q(a, x) = 1 − P) for a > 0, x ≥ 0.
///
/// Below x = a + 1 the power series for P converges fast; above it, the continued fraction
/// for Q does. Each returns the other as the complement, which is only used where it is the
/// larger of the two and so keeps its precision.
fn incomplete_gamma(a: f64, x: f64) -> (f64, f64) {
    if x <= 0.0 {
        return (0.0, 1.0);
    }
    // x^a e^{−x} / Γ(a), common to both expansions.
    let prefactor = (a * x.ln() - x - ln_gamma(a)).exp();
    if x < a + 1.0 {
        // P = prefactor · Σ_{n≥0} xⁿ / (a (a+1) … (a+n)).
        let (mut term, mut sum, mut denominator) = (1.0 / a, 1.0 / a, a);
        while term.abs() > sum.abs() * f64::EPSILON {
            denominator += 1.0;
            term *= x / denominator;
            sum += term;
        }
        let lower = prefactor * sum;
        (lower, 1.0 - lower)
    } else {
        let upper = prefactor * upper_gamma_fraction(a, x);
        (1.0 - upper, upper)
    }
}

/// The continued fraction 1/(x+1−a− 1(1−a)/(x+3−a− 2(2−a)/(x+5−a− …))) for Q(a, x)/prefactor,
/// evaluated by the modified Lentz method.
fn upper_gamma_fraction(a: f64, x: f64) -> f64 {
    // Stands in for an exact zero in a denominator so that Lentz's recurrences continue.
    const TINY: f64 = 1e-300;
    let nonzero = |v: f64| if v.abs() < TINY { TINY } else { v };
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / TINY;
    let mut d = 1.0 / nonzero(b);
    let mut fraction = d;
    for i in 1..10_000 {
        let i = f64::from(i);
        let an = -i * (i - a);
        b += 2.0;
        d = 1.0 / nonzero(an * d + b);
        c = nonzero(b + an / c);
        let factor = c * d;
        fraction *= factor;
        if (factor - 1.0).abs() <= 4.0 * f64::EPSILON {
            break;
        }
    }
    fraction
}

/// ln Γ(a) for a > 0: the recurrence Γ(a) = Γ(a + n)/(a (a+1) … (a+n−1)) moves the argument to
/// z ≥ 15, where Stirling's series with five terms is accurate to about 1e-15.
fn ln_gamma(a: f64) -> f64 {
    const STIRLING_FROM: f64 = 15.0;
    let (mut z, mut product) = (a, 1.0);
    while z < STIRLING_FROM {
        product *= z;
        z += 1.0;
    }
    let inv = 1.0 / z;
    let inv2 = inv * inv;
    // Σ B₂ₖ / (2k(2k−1) z^{2k−1}) for k = 1..5.
    let series = inv
        * (1.0 / 12.0
            - inv2 * (1.0 / 360.0 - inv2 * (1.0 / 1260.0 - inv2 * (1.0 / 1680.0 - inv2 / 1188.0))));
    (z - 0.5) * z.ln() - z + 0.5 * (2.0 * std::f64::consts::PI).ln() + series - product.ln()
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn known_quantiles() {
        for (p, dof, expected) in [
            (0.95, 3, 7.814727903),
            (0.95, 1, 3.841458821),
            (0.99, 2, 9.210340372),
            (0.95, 6, 12.59158724),
            (0.5, 3, 2.365973884),
            (0.95, 100, 124.3421134),
        ] {
            assert_relative_eq!(chi2_quantile(p, dof), expected, max_relative = 1e-8);
        }
        assert_relative_eq!(
            width_from_chi2_quantile(0.95, 1),
            1.959963985,
            max_relative = 1e-9
        );
    }

    #[test]
    fn two_dof_closed_form() {
        // χ²₂ is exponential with mean 2: the quantile is −2 ln(1 − p).
        for p in [1e-12, 1e-3, 0.1, 0.5, 0.9, 0.999, 1.0 - 1e-12] {
            assert_relative_eq!(
                chi2_quantile(p, 2),
                -2.0 * (-p).ln_1p(),
                max_relative = 1e-11
            );
        }
    }

    #[test]
    fn round_trips_through_the_cdf() {
        for dof in [1, 2, 3, 4, 6, 7, 12, 50, 301] {
            for p in [1e-9, 0.01, 0.3, 0.5, 0.8, 0.95, 0.999_999] {
                let x = chi2_quantile(p, dof);
                let (lower, upper) = incomplete_gamma(dof as f64 / 2.0, x / 2.0);
                let (got, want) = if p > 0.5 {
                    (upper, 1.0 - p)
                } else {
                    (lower, p)
                };
                assert_relative_eq!(got, want, max_relative = 1e-10);
            }
        }
    }

    #[test]
    fn edges_and_ln_gamma() {
        assert_eq!(chi2_quantile(0.0, 4), 0.0);
        assert_eq!(chi2_quantile(1.0, 4), f64::INFINITY);
        assert_relative_eq!(
            ln_gamma(0.5),
            0.5 * std::f64::consts::PI.ln(),
            max_relative = 1e-14
        );
        assert_relative_eq!(ln_gamma(10.0), 362_880f64.ln(), max_relative = 1e-14);
        assert!(ln_gamma(1.0).abs() < 1e-14 && ln_gamma(2.0).abs() < 1e-14);
    }

    #[test]
    #[should_panic(expected = "dof")]
    fn zero_dof_panics() {
        chi2_quantile(0.5, 0);
    }

    #[test]
    #[should_panic(expected = "probability")]
    fn bad_probability_panics() {
        chi2_quantile(1.5, 3);
    }
}
