//! Planar rigid motions SE(2).

use std::f64::consts::{PI, TAU};

use nalgebra::{Matrix2, Matrix3, Vector2, Vector3};

use super::{series, LieGroup};

/// Wraps an angle to `(−π, π]`.
///
/// Angles already in range are returned unchanged (bit for bit), so
/// normalising twice is harmless. NaN and infinities give NaN.
pub fn normalize_angle(a: f64) -> f64 {
    if a > -PI && a <= PI {
        return a;
    }
    // rem_euclid lands in [0, 2π] (2π only through rounding), i.e. [−π, π].
    let wrapped = (a + PI).rem_euclid(TAU) - PI;
    if wrapped <= -PI {
        PI
    } else {
        wrapped
    }
}

/// A rigid motion of the plane: rotation by [`angle`](Se2::angle) followed by
/// [`translation`](Se2::translation), acting as `p ↦ R p + t`.
///
/// Stored as translation plus the normalised angle rather than as
/// `(cos θ, sin θ)`: the parameter vector `[x, y, θ]` round-trips exactly,
/// there is no unit-circle constraint that could drift under repeated
/// composition, and the one `sin_cos` per operation is negligible next to a
/// factor evaluation.
///
/// Tangent vectors are `(ρx, ρy, θ)` (translation first).
///
/// ```
/// use nalgebra::{Vector2, Vector3};
/// use rhopt::manifold::{LieGroup, Se2};
/// use std::f64::consts::FRAC_PI_2;
///
/// let pose = Se2::new(1.0, 0.0, FRAC_PI_2);
/// let p = pose.transform_point(&Vector2::new(1.0, 0.0));
/// assert!((p - Vector2::new(1.0, 1.0)).norm() < 1e-12);
///
/// // Right perturbation and its inverse.
/// let delta = Vector3::new(0.1, -0.2, 0.3);
/// let moved = pose.plus(&delta);
/// assert!((moved.minus(&pose) - delta).norm() < 1e-12);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Se2 {
    translation: Vector2<f64>,
    /// Always in `(−π, π]`.
    angle: f64,
}

impl Se2 {
    /// Pose at `(x, y)` with heading `theta` (normalised to `(−π, π]`).
    pub fn new(x: f64, y: f64, theta: f64) -> Self {
        Self::from_parts(Vector2::new(x, y), theta)
    }

    fn from_parts(translation: Vector2<f64>, theta: f64) -> Self {
        Self {
            translation,
            angle: normalize_angle(theta),
        }
    }

    /// Translation `(x, y)`.
    pub fn translation(&self) -> Vector2<f64> {
        self.translation
    }

    /// Rotation angle in `(−π, π]`.
    pub fn angle(&self) -> f64 {
        self.angle
    }

    /// 2×2 rotation matrix `R(θ)`.
    pub fn rotation_matrix(&self) -> Matrix2<f64> {
        rotation(self.angle)
    }

    /// Applies the motion to a point: `R p + t`.
    pub fn transform_point(&self, p: &Vector2<f64>) -> Vector2<f64> {
        self.rotation_matrix() * p + self.translation
    }

    /// Jacobian of the parameter vector `[x, y, θ]` of `self ⊞ δ` with
    /// respect to `δ` at `δ = 0`, `[[R, 0], [0, 1]]`.
    ///
    /// It turns a derivative with respect to the stored parameters (as
    /// automatic differentiation produces) into one with respect to the
    /// tangent step: `∂e/∂δ = ∂e/∂params · plus_jacobian()`.
    pub fn plus_jacobian(&self) -> Matrix3<f64> {
        // Exp(ρ, φ) has translation V(φ)ρ, and V(0) = I; the angle just adds.
        let mut jac = Matrix3::identity();
        jac.fixed_view_mut::<2, 2>(0, 0)
            .copy_from(&self.rotation_matrix());
        jac
    }
}

fn rotation(theta: f64) -> Matrix2<f64> {
    let (s, c) = theta.sin_cos();
    Matrix2::new(c, -s, s, c)
}

/// Splits a tangent vector into translation part ρ and angle θ.
fn split(xi: &Vector3<f64>) -> (Vector2<f64>, f64) {
    (Vector2::new(xi.x, xi.y), xi.z)
}

/// `(sin θ/θ, (1 − cos θ)/θ)`: `V(θ) = [[a, −b], [b, a]]` maps ρ to the
/// translation of `Exp(ρ, θ)`.
fn v_coeffs(theta: f64) -> (f64, f64) {
    let theta_sq = theta * theta;
    (
        series::sinc(theta_sq),
        theta * series::one_minus_cos_over_sq(theta_sq),
    )
}

/// `(α, β) = ((θ/2)cot(θ/2), θ/2)`: `V(θ)⁻¹ = [[α, β], [−β, α]]`.
fn v_inverse_coeffs(theta: f64) -> (f64, f64) {
    (series::half_cot_half(theta * theta), 0.5 * theta)
}

/// Last column (top two rows) of the right Jacobian,
/// `[[d, −c], [c, d]] ρ` with `c = (1 − cos θ)/θ²`, `d = (θ − sin θ)/θ²`.
fn jr_coupling(rho: &Vector2<f64>, theta: f64) -> Vector2<f64> {
    let theta_sq = theta * theta;
    let c = series::one_minus_cos_over_sq(theta_sq);
    let d = theta * series::theta_minus_sin_over_cube(theta_sq);
    Vector2::new(d * rho.x - c * rho.y, c * rho.x + d * rho.y)
}

impl LieGroup for Se2 {
    const DOF: usize = 3;
    const PARAMS: usize = 3;
    type Tangent = Vector3<f64>;
    type Jacobian = Matrix3<f64>;

    fn identity() -> Self {
        Self::new(0.0, 0.0, 0.0)
    }

    fn compose(&self, rhs: &Self) -> Self {
        Self::from_parts(
            self.transform_point(&rhs.translation),
            self.angle + rhs.angle,
        )
    }

    fn inverse(&self) -> Self {
        let t = -(self.rotation_matrix().transpose() * self.translation);
        Self::from_parts(t, -self.angle)
    }

    fn between(&self, other: &Self) -> Self {
        // Rᵀ(t' − t), θ' − θ: the product of `inverse` and `compose` with one rotation.
        let t = self.rotation_matrix().transpose() * (other.translation - self.translation);
        Self::from_parts(t, other.angle - self.angle)
    }

    fn exp(xi: &Vector3<f64>) -> Self {
        let (rho, theta) = split(xi);
        let (a, b) = v_coeffs(theta);
        let t = Vector2::new(a * rho.x - b * rho.y, b * rho.x + a * rho.y);
        Self::from_parts(t, theta)
    }

    fn log(&self) -> Vector3<f64> {
        let theta = self.angle;
        let (alpha, beta) = v_inverse_coeffs(theta);
        let t = &self.translation;
        Vector3::new(alpha * t.x + beta * t.y, -beta * t.x + alpha * t.y, theta)
    }

    fn adjoint(&self) -> Matrix3<f64> {
        let (s, c) = self.angle.sin_cos();
        let t = &self.translation;
        Matrix3::new(c, -s, t.y, s, c, -t.x, 0.0, 0.0, 1.0)
    }

    fn right_jacobian(xi: &Vector3<f64>) -> Matrix3<f64> {
        let (rho, theta) = split(xi);
        // Top-left block is V(θ)ᵀ = V(−θ).
        let (a, b) = v_coeffs(theta);
        let w = jr_coupling(&rho, theta);
        Matrix3::new(a, b, w.x, -b, a, w.y, 0.0, 0.0, 1.0)
    }

    fn right_jacobian_inverse(xi: &Vector3<f64>) -> Matrix3<f64> {
        let (rho, theta) = split(xi);
        // [[Vᵀ, w], [0, 1]]⁻¹ = [[V⁻ᵀ, −V⁻ᵀ w], [0, 1]].
        let (alpha, beta) = v_inverse_coeffs(theta);
        let v_inv_t = Matrix2::new(alpha, -beta, beta, alpha);
        let w = -(v_inv_t * jr_coupling(&rho, theta));
        Matrix3::new(alpha, -beta, w.x, beta, alpha, w.y, 0.0, 0.0, 1.0)
    }

    fn from_params(p: &[f64]) -> Self {
        Self::new(p[0], p[1], p[2])
    }

    fn write_params(&self, out: &mut [f64]) {
        out[..3].copy_from_slice(&[self.translation.x, self.translation.y, self.angle]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifold::testing;
    use proptest::prelude::*;

    fn pose(angles: impl Strategy<Value = f64>) -> impl Strategy<Value = Se2> {
        (-10.0..10.0, -10.0..10.0, angles).prop_map(|(x, y, t)| Se2::new(x, y, t))
    }

    fn tangent() -> impl Strategy<Value = Vector3<f64>> {
        (-10.0..10.0, -10.0..10.0, testing::angle()).prop_map(|(x, y, t)| Vector3::new(x, y, t))
    }

    proptest! {
        #[test]
        fn group_properties(x in pose(testing::angle()), y in pose(testing::angle()), xi in tangent()) {
            testing::check_all(&x, &y, &xi);
        }

        #[test]
        fn exp_log_up_to_pi(x in pose(testing::angle_up_to_pi())) {
            testing::check_exp_log(&x);
        }

        #[test]
        fn normalize_angle_range_and_value(a in -100.0..100.0f64) {
            let n = normalize_angle(a);
            prop_assert!(n > -PI && n <= PI);
            prop_assert!((n.sin() - a.sin()).abs() < 1e-12 && (n.cos() - a.cos()).abs() < 1e-12);
        }
    }

    #[test]
    fn normalize_angle_edges() {
        assert_eq!(normalize_angle(PI), PI);
        assert_eq!(normalize_angle(-PI), PI);
        assert_eq!(normalize_angle(0.0), 0.0);
        assert_eq!(normalize_angle(-1.0), -1.0);
        assert!((normalize_angle(TAU)).abs() < 1e-15);
        assert!(
            (normalize_angle(3.0 * PI) - PI).abs() < 1e-15
                || normalize_angle(3.0 * PI) <= -PI + 1e-15
        );
        assert!((normalize_angle(4.0) - (4.0 - TAU)).abs() < 1e-15);
        assert!(normalize_angle(f64::NAN).is_nan());
    }

    #[test]
    fn constructor_and_params_normalise_angle() {
        assert_eq!(Se2::new(0.0, 0.0, -PI).angle(), PI);
        assert!((Se2::new(1.0, 2.0, 7.0).angle() - (7.0 - TAU)).abs() < 1e-15);
        let x = Se2::from_params(&[1.0, 2.0, -4.0]);
        let mut out = [0.0; 3];
        x.write_params(&mut out);
        assert_eq!(out[..2], [1.0, 2.0]);
        assert!((out[2] - (TAU - 4.0)).abs() < 1e-15);
    }

    #[test]
    fn compose_wraps_angle() {
        let a = Se2::new(0.0, 0.0, 3.0);
        assert!((a.compose(&a).angle() - (6.0 - TAU)).abs() < 1e-15);
        assert_eq!(Se2::new(1.0, 1.0, PI).inverse().angle(), PI);
    }

    #[test]
    fn log_at_pi() {
        let x = Se2::new(2.0, -1.0, PI);
        let xi = x.log();
        assert_eq!(xi.z, PI);
        testing::check_exp_log(&x);
    }

    #[test]
    fn exp_of_zero_is_identity() {
        assert_eq!(Se2::exp(&Vector3::zeros()), Se2::identity());
        assert_eq!(Se2::identity().log(), Vector3::zeros());
    }
}
