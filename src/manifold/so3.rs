//! The rotation group SO(3) as free functions on nalgebra types.
//!
//! Rotations are [`UnitQuaternion`]s, tangent vectors are rotation vectors
//! `ω = θ·axis` ([`Vector3`]). The Jacobians follow the conventions of the
//! parent module: `Exp(ω + δ) ≈ Exp(ω)·Exp(Jr(ω) δ) ≈ Exp(Jl(ω) δ)·Exp(ω)`.
//!
//! All angle-dependent coefficients are computed from `θ² = ω·ω` with a
//! Taylor branch near zero, so the functions are smooth (and exactly
//! differentiable with dual numbers) at `ω = 0`.

use nalgebra::{Matrix3, Quaternion, UnitQuaternion, Vector3};

use super::series;

/// Skew-symmetric matrix `[v]×`, so that `hat(v) * u == v.cross(&u)`.
pub fn hat(v: &Vector3<f64>) -> Matrix3<f64> {
    Matrix3::new(0.0, -v.z, v.y, v.z, 0.0, -v.x, -v.y, v.x, 0.0)
}

/// Exponential map: the rotation by `|ω|` radians about `ω/|ω|`.
///
/// Written out instead of using `UnitQuaternion::from_scaled_axis`, whose hard
/// cut-off at zero drops the first-order term and so has wrong derivatives
/// there; here the small-angle branch is the Taylor series in `θ²`.
pub fn exp(omega: &Vector3<f64>) -> UnitQuaternion<f64> {
    let (w, scale) = series::half_angle(omega.norm_squared());
    let v = omega * scale;
    // Unit to rounding error by construction (cos² + sin² = 1), so the
    // normalisation `UnitQuaternion::new_normalize` would do is skipped.
    UnitQuaternion::new_unchecked(Quaternion::new(w, v.x, v.y, v.z))
}

/// Logarithm map: the rotation vector of `q`, with angle in `[0, π]`.
///
/// `q` and `−q` are the same rotation; the one with `w ≥ 0` is used so that
/// the shorter rotation is returned. The angle comes from `atan2`, which is
/// well conditioned both near 0 and near π (unlike `acos(w)`). At exactly π
/// either of the two opposite rotation vectors may be returned.
pub fn log(q: &UnitQuaternion<f64>) -> Vector3<f64> {
    let q = q.quaternion();
    let (w, v) = if q.w < 0.0 {
        (-q.w, -q.imag())
    } else {
        (q.w, q.imag())
    };
    v * series::two_atan_over(v.norm_squared(), w)
}

/// Left Jacobian `Jl(ω) = I + (1−cos θ)/θ² [ω]× + (θ−sin θ)/θ³ [ω]×²`.
///
/// It is also the `V` matrix of the SE(3) exponential: `t = Jl(ω) ρ`.
pub fn left_jacobian(omega: &Vector3<f64>) -> Matrix3<f64> {
    jacobian(omega, 1.0)
}

/// Right Jacobian `Jr(ω) = Jl(−ω)`: `Exp(ω + δ) ≈ Exp(ω)·Exp(Jr(ω) δ)`.
pub fn right_jacobian(omega: &Vector3<f64>) -> Matrix3<f64> {
    jacobian(omega, -1.0)
}

/// Inverse of the left Jacobian: `I − ½[ω]× + c(θ)[ω]×²` with
/// `c = 1/θ² − (1+cos θ)/(2θ sin θ)`. Finite for `θ < 2π`.
pub fn left_jacobian_inverse(omega: &Vector3<f64>) -> Matrix3<f64> {
    jacobian_inverse(omega, 1.0)
}

/// Inverse of the right Jacobian:
/// `Log(Exp(ω)·Exp(δ)) ≈ ω + Jr⁻¹(ω) δ`. Finite for `θ < 2π`.
pub fn right_jacobian_inverse(omega: &Vector3<f64>) -> Matrix3<f64> {
    jacobian_inverse(omega, -1.0)
}

/// `I + s·A[ω]× + B[ω]×²`; `s = +1` gives Jl, `s = −1` gives Jr, since the
/// two differ only in the sign of the odd term.
fn jacobian(omega: &Vector3<f64>, sign: f64) -> Matrix3<f64> {
    let theta_sq = omega.norm_squared();
    let w = hat(omega);
    let a = series::one_minus_cos_over_sq(theta_sq);
    let b = series::theta_minus_sin_over_cube(theta_sq);
    Matrix3::identity() + w * (sign * a) + w * w * b
}

/// `I − s·½[ω]× + c[ω]×²`, the inverse of [`jacobian`] with the same `s`.
fn jacobian_inverse(omega: &Vector3<f64>, sign: f64) -> Matrix3<f64> {
    let w = hat(omega);
    let c = series::jr_inv_coeff(omega.norm_squared());
    Matrix3::identity() - w * (0.5 * sign) + w * w * c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifold::testing;
    use approx::assert_relative_eq;
    use proptest::prelude::*;
    use std::f64::consts::PI;

    fn rotation_vector() -> impl Strategy<Value = Vector3<f64>> {
        testing::rotation_vector(testing::angle())
    }

    #[test]
    fn hat_is_cross_product() {
        let (v, u) = (Vector3::new(1.0, -2.0, 3.0), Vector3::new(0.5, 4.0, -1.0));
        assert_relative_eq!(hat(&v) * u, v.cross(&u), epsilon = 1e-15);
    }

    #[test]
    fn exp_of_zero_is_identity() {
        assert_eq!(exp(&Vector3::zeros()), UnitQuaternion::identity());
        assert_eq!(log(&UnitQuaternion::identity()), Vector3::zeros());
    }

    #[test]
    fn log_prefers_short_rotation_for_negative_w() {
        let q = exp(&Vector3::new(0.3, -0.2, 0.1));
        let flipped = UnitQuaternion::new_unchecked(-q.into_inner());
        assert_relative_eq!(log(&flipped), log(&q), epsilon = 1e-15);
    }

    #[test]
    fn log_at_pi_returns_angle_pi() {
        let omega = Vector3::new(0.0, 0.6, 0.8) * PI;
        let back = log(&exp(&omega));
        assert_relative_eq!(back.norm(), PI, epsilon = 1e-14);
        // Either sign is the same rotation.
        assert!((back - omega).norm() < 1e-12 || (back + omega).norm() < 1e-12);
    }

    proptest! {
        #[test]
        fn exp_matches_nalgebra(omega in rotation_vector()) {
            let reference = UnitQuaternion::from_scaled_axis(omega);
            prop_assert!(exp(&omega).angle_to(&reference) < 1e-14);
            prop_assert!((exp(&omega).norm() - 1.0).abs() < 1e-15);
        }

        #[test]
        fn log_inverts_exp(omega in rotation_vector()) {
            let back = log(&exp(&omega));
            prop_assert!((back - omega).norm() <= 1e-13 * (1.0 + omega.norm()), "{back} vs {omega}");
        }

        #[test]
        fn jacobian_identities(omega in rotation_vector()) {
            let i = Matrix3::identity();
            let r = exp(&omega).to_rotation_matrix().into_inner();
            let (jl, jr) = (left_jacobian(&omega), right_jacobian(&omega));
            prop_assert!((jl - r * jr).norm() < 1e-14);
            prop_assert!((jr - left_jacobian(&-omega)).norm() < 1e-15);
            prop_assert!((jr * right_jacobian_inverse(&omega) - i).norm() < 1e-13);
            prop_assert!((jl * left_jacobian_inverse(&omega) - i).norm() < 1e-13);
        }
    }
}
