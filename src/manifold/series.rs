//! Scalar coefficients of the SO(3)/SE(2)/SE(3) exponential maps and their
//! Jacobians, each with a Taylor-series branch for small angles.
//!
//! Every function takes `theta_sq = θ²` (never a signed θ), so the results are
//! even functions of θ and the series branch is a polynomial in θ² with exact
//! derivatives (also at θ = 0, which matters when these formulas are later
//! evaluated with dual numbers).
//!
//! # Why the series region is wide (θ² < 1/4) rather than tiny
//!
//! Several closed forms cancel catastrophically: `(θ − sin θ)/θ³` loses about
//! `log10(6/θ²)` digits and the SE(3) `Q`-block coefficient
//! `(2θ − 3 sin θ + θ cos θ)/(2θ⁵)` about `log10(60/θ⁴)` digits. With a tiny
//! threshold such as θ² < 1e-8 the closed form just above it would be wrong in
//! the 8th (or, for the `Q` block, every) digit. Using the series up to
//! θ² = 1/4 keeps the closed forms in a region where they lose at most
//! about three digits in the worst coefficient (and that coefficient multiplies a
//! term of size ~θ³, so the matrix entries stay within a few ulps),
//! while `TERMS` series terms keep the truncation error below 1e-20.

/// Below this θ² the series branch is used (θ < 0.5 rad).
pub(crate) const SERIES_THETA_SQ: f64 = 0.25;

/// Number of terms of every factorial series. For θ² ≤ 1/4 the first omitted
/// term of the slowest one (`Σ (−θ²)^k/(2k)!`) is below 1e-21.
const TERMS: usize = 10;

/// Coefficients `c_k = (−1)^k / (2k + m)!`, `k = 0..TERMS`, so that
/// `Σ c_k θ^{2k}` is the series of e.g. `sin θ / θ` (m = 1) or
/// `(1 − cos θ)/θ²` (m = 2).
const fn alternating_inverse_factorials(m: usize) -> [f64; TERMS] {
    let mut coeffs = [0.0; TERMS];
    // `factorial` tracks (2k + m)!; all values used are exactly representable
    // or so small that their rounding is irrelevant.
    let mut factorial = 1.0;
    let mut i = 2;
    while i <= m {
        factorial *= i as f64;
        i += 1;
    }
    let mut k = 0;
    while k < TERMS {
        let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
        coeffs[k] = sign / factorial;
        factorial *= ((2 * k + m + 1) * (2 * k + m + 2)) as f64;
        k += 1;
    }
    coeffs
}

/// Series of `sin θ / θ` in θ².
const SINC: [f64; TERMS] = alternating_inverse_factorials(1);
/// Series of `cos θ` in θ².
const COS: [f64; TERMS] = alternating_inverse_factorials(0);
/// Series of `(1 − cos θ)/θ²` in θ².
const ONE_MINUS_COS: [f64; TERMS] = alternating_inverse_factorials(2);
/// Series of `(θ − sin θ)/θ³` in θ².
const THETA_MINUS_SIN: [f64; TERMS] = alternating_inverse_factorials(3);
/// Series of `(θ² + 2 cos θ − 2)/(2θ⁴)` in θ².
const Q_C2: [f64; TERMS] = alternating_inverse_factorials(4);
/// Series of `(2θ − 3 sin θ + θ cos θ)/(2θ⁵)` in θ²: `c_j = (−1)^j (j+1)/(2j+5)!`.
const Q_C3: [f64; TERMS] = {
    let mut coeffs = alternating_inverse_factorials(5);
    let mut j = 0;
    while j < TERMS {
        coeffs[j] *= (j + 1) as f64;
        j += 1;
    }
    coeffs
};
/// Series of `1/θ² − cot(θ/2)/(2θ)` in θ²: `|B_{2n}|/(2n)!` for n = 1..=10
/// (Bernoulli numbers). The terms shrink by ~θ²/(4π²) each.
pub(crate) const JR_INV: [f64; TERMS] = [
    1.0 / 12.0,
    1.0 / 720.0,
    1.0 / 30_240.0,
    1.0 / 1_209_600.0,
    1.0 / 47_900_160.0,
    691.0 / 1_307_674_368_000.0,
    1.0 / 74_724_249_600.0,
    3617.0 / 10_670_622_842_880_000.0,
    43_867.0 / 5_109_094_217_170_944_000.0,
    174_611.0 / 802_857_662_698_291_200_000.0,
];

/// Evaluates `Σ coeffs[k] x^k` with Horner's rule.
fn horner(coeffs: &[f64], x: f64) -> f64 {
    coeffs.iter().rev().fold(0.0, |acc, &c| acc * x + c)
}

/// Picks the series or the closed form of one coefficient.
fn select(theta_sq: f64, series: &[f64], closed: impl FnOnce(f64) -> f64) -> f64 {
    if theta_sq < SERIES_THETA_SQ {
        horner(series, theta_sq)
    } else {
        closed(theta_sq.sqrt())
    }
}

/// `sin θ / θ`.
pub(super) fn sinc(theta_sq: f64) -> f64 {
    select(theta_sq, &SINC, sinc_closed)
}

fn sinc_closed(theta: f64) -> f64 {
    theta.sin() / theta
}

/// `(cos(θ/2), sin(θ/2)/θ)`: the scalar part and the vector-part scale of the
/// unit quaternion `Exp(ω)` with `|ω| = θ`.
pub(super) fn half_angle(theta_sq: f64) -> (f64, f64) {
    let quarter = 0.25 * theta_sq;
    if theta_sq < SERIES_THETA_SQ {
        (horner(&COS, quarter), 0.5 * horner(&SINC, quarter))
    } else {
        let theta = theta_sq.sqrt();
        let (s, c) = (0.5 * theta).sin_cos();
        (c, s / theta)
    }
}

/// `(1 − cos θ)/θ²`.
pub(super) fn one_minus_cos_over_sq(theta_sq: f64) -> f64 {
    select(theta_sq, &ONE_MINUS_COS, one_minus_cos_closed)
}

fn one_minus_cos_closed(theta: f64) -> f64 {
    // 1 − cos θ = 2 sin²(θ/2) avoids the cancellation of the textbook form.
    let s = (0.5 * theta).sin();
    2.0 * s * s / (theta * theta)
}

/// `(θ − sin θ)/θ³`.
pub(super) fn theta_minus_sin_over_cube(theta_sq: f64) -> f64 {
    select(theta_sq, &THETA_MINUS_SIN, theta_minus_sin_closed)
}

fn theta_minus_sin_closed(theta: f64) -> f64 {
    (theta - theta.sin()) / (theta * theta * theta)
}

/// `1/θ² − (1 + cos θ)/(2θ sin θ)`, the `[ω]×²` coefficient of the SO(3)
/// inverse Jacobians. Finite up to θ = π; singular at θ = 2π.
pub(super) fn jr_inv_coeff(theta_sq: f64) -> f64 {
    select(theta_sq, &JR_INV, jr_inv_closed)
}

fn jr_inv_closed(theta: f64) -> f64 {
    (1.0 - half_cot_half_closed(theta)) / (theta * theta)
}

/// `(θ/2) cot(θ/2)`, the diagonal of the inverse SE(2) `V` matrix.
pub(super) fn half_cot_half(theta_sq: f64) -> f64 {
    if theta_sq < SERIES_THETA_SQ {
        // (θ/2)cot(θ/2) = 1 − θ²·jr_inv_coeff(θ²): reuse that series.
        1.0 - theta_sq * horner(&JR_INV, theta_sq)
    } else {
        half_cot_half_closed(theta_sq.sqrt())
    }
}

fn half_cot_half_closed(theta: f64) -> f64 {
    // Half-angle form: exact zero at θ = π, unlike θ sin θ / (2(1 − cos θ)).
    let (s, c) = (0.5 * theta).sin_cos();
    0.5 * theta * c / s
}

/// `(θ² + 2 cos θ − 2)/(2θ⁴)`, second coefficient of the SE(3) `Q` block.
pub(super) fn q_c2(theta_sq: f64) -> f64 {
    select(theta_sq, &Q_C2, q_c2_closed)
}

fn q_c2_closed(theta: f64) -> f64 {
    let theta_sq = theta * theta;
    (0.5 - one_minus_cos_closed(theta)) / theta_sq
}

/// `(2θ − 3 sin θ + θ cos θ)/(2θ⁵)`, third coefficient of the SE(3) `Q` block.
pub(super) fn q_c3(theta_sq: f64) -> f64 {
    select(theta_sq, &Q_C3, q_c3_closed)
}

fn q_c3_closed(theta: f64) -> f64 {
    let (s, c) = theta.sin_cos();
    (2.0 * theta - 3.0 * s + theta * c) / (2.0 * theta.powi(5))
}

/// Number of terms of the `atan(r)/r` series; for r² < `ATAN_SERIES_R_SQ`
/// the first omitted term is below 1e-19.
const ATAN_TERMS: usize = 16;
/// Below this `r²` the `atan(r)/r` series is used (r < 1/4, i.e. θ < 0.49).
const ATAN_SERIES_R_SQ: f64 = 0.0625;
/// Series of `atan(r)/r` in r²: `(−1)^k/(2k+1)`.
const ATAN_OVER: [f64; ATAN_TERMS] = {
    let mut coeffs = [0.0; ATAN_TERMS];
    let mut k = 0;
    while k < ATAN_TERMS {
        let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
        coeffs[k] = sign / (2 * k + 1) as f64;
        k += 1;
    }
    coeffs
};

/// `2·atan2(n, w)/n` for `n = √n_sq ≥ 0` and `w ≥ 0`: the factor that turns
/// the vector part of a quaternion with `w ≥ 0` into its rotation vector.
/// It is scale-invariant, so a slightly non-unit quaternion still gives the
/// right angle. Returns NaN only for the zero quaternion.
pub(super) fn two_atan_over(n_sq: f64, w: f64) -> f64 {
    if n_sq < ATAN_SERIES_R_SQ * w * w {
        // r = n/w is small (so w > 0): 2·atan(r)/(r·w).
        2.0 / w * horner(&ATAN_OVER, n_sq / (w * w))
    } else {
        let n = n_sq.sqrt();
        2.0 * n.atan2(w) / n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The coefficient functions in a fixed order, for table-driven tests.
    const FUNCTIONS: [fn(f64) -> f64; 7] = [
        sinc,
        one_minus_cos_over_sq,
        theta_minus_sin_over_cube,
        jr_inv_coeff,
        half_cot_half,
        q_c2,
        q_c3,
    ];

    /// Inside the series region every coefficient is correct to a few ulps:
    /// reference values computed with 50-digit arithmetic (mpmath).
    #[test]
    fn series_branch_is_machine_precise() {
        let table: [(f64, [f64; 7]); 2] = [
            (
                1e-3,
                [
                    0.9998333416664683,
                    0.4999583347221974,
                    0.16665833353174328,
                    0.08333472225529183,
                    0.9999166652777447,
                    0.04166527780257909,
                    0.008332936516203603,
                ],
            ),
            (
                0.2,
                [
                    0.9669984170995773,
                    0.49172202424977357,
                    0.16500791450211316,
                    0.08361244050976324,
                    0.9832775118980474,
                    0.04138987875113203,
                    0.00825429814141473,
                ],
            ),
        ];
        for (theta_sq, expected) in table {
            for (f, e) in FUNCTIONS.iter().zip(expected) {
                let got = f(theta_sq);
                assert!((got - e).abs() <= 4e-16 * e, "θ²={theta_sq}: {got} vs {e}");
            }
        }
    }

    /// Just past the threshold the closed forms take over; they must agree
    /// with the series (evaluated out of its region, where it is still
    /// accurate) to the closed forms' own cancellation error.
    #[test]
    fn series_match_closed_forms() {
        // (series coefficients, closed form, relative tolerance)
        type Case = (&'static [f64], fn(f64) -> f64, f64);
        let pairs: [Case; 7] = [
            (&SINC, sinc_closed, 1e-15),
            (&COS, f64::cos, 1e-15),
            (&ONE_MINUS_COS, one_minus_cos_closed, 1e-15),
            (&THETA_MINUS_SIN, theta_minus_sin_closed, 1e-14),
            (&JR_INV, jr_inv_closed, 1e-14),
            (&Q_C2, q_c2_closed, 1e-13),
            // The worst-conditioned closed form (~60ε/θ⁴ relative error).
            (&Q_C3, q_c3_closed, 1e-12),
        ];
        for (series, closed, tol) in pairs {
            for theta_sq in [SERIES_THETA_SQ, 0.4, 1.0] {
                let (s, c) = (horner(series, theta_sq), closed(theta_sq.sqrt()));
                assert!((s - c).abs() <= tol * c.abs(), "θ²={theta_sq}: {s} vs {c}");
            }
        }
    }

    #[test]
    fn values_at_zero_are_the_limits() {
        assert_eq!(sinc(0.0), 1.0);
        assert_eq!(half_angle(0.0), (1.0, 0.5));
        assert_eq!(one_minus_cos_over_sq(0.0), 0.5);
        assert_eq!(theta_minus_sin_over_cube(0.0), 1.0 / 6.0);
        assert_eq!(jr_inv_coeff(0.0), 1.0 / 12.0);
        assert_eq!(half_cot_half(0.0), 1.0);
        assert_eq!(q_c2(0.0), 1.0 / 24.0);
        assert_eq!(q_c3(0.0), 1.0 / 120.0);
        assert_eq!(two_atan_over(0.0, 1.0), 2.0);
    }

    #[test]
    fn continuous_across_threshold() {
        let below = SERIES_THETA_SQ * (1.0 - 1e-15);
        let above = SERIES_THETA_SQ;
        for f in FUNCTIONS {
            let (a, b) = (f(below), f(above));
            assert!((a - b).abs() <= 1e-12 * b.abs(), "{a} vs {b}");
        }
    }

    #[test]
    fn atan_ratio_matches_closed_form() {
        for theta in [1e-3, 0.1, 0.3, 0.48, 0.5, 1.0, 3.0] {
            let (n, w) = (f64::sin(0.5 * theta), f64::cos(0.5 * theta));
            let expected = theta / n;
            let got = two_atan_over(n * n, w);
            assert!((got - expected).abs() <= 1e-14 * expected, "θ={theta}");
        }
    }

    #[test]
    fn pi_is_handled_in_closed_forms() {
        let pi_sq = std::f64::consts::PI * std::f64::consts::PI;
        assert!(half_cot_half(pi_sq).abs() < 1e-15);
        let expected = 1.0 / pi_sq;
        assert!((jr_inv_coeff(pi_sq) - expected).abs() < 1e-15);
        assert!((two_atan_over(1.0, 0.0) - std::f64::consts::PI).abs() < 1e-15);
    }
}
