//! Rigid motions of space SE(3).

use nalgebra::{Matrix3, Matrix6, Quaternion, SMatrix, UnitQuaternion, Vector3, Vector6};

use super::{series, so3, LieGroup};

/// A rigid motion of space, `p ↦ R p + t`, stored as translation plus unit
/// quaternion.
///
/// Tangent vectors are `(ρ, ω) = (ρx, ρy, ρz, ωx, ωy, ωz)` (translation
/// first); parameter vectors are `[x, y, z, qx, qy, qz, qw]` as in g2o.
///
/// The quaternion sign is kept as given (`q` and `−q` are the same rotation),
/// so [`PartialEq`] compares representations; use [`LieGroup::minus`] to
/// compare motions.
///
/// ```
/// use nalgebra::{UnitQuaternion, Vector3, Vector6};
/// use rhopt::manifold::{LieGroup, Se3};
///
/// let q = UnitQuaternion::from_axis_angle(&Vector3::z_axis(), std::f64::consts::FRAC_PI_2);
/// let pose = Se3::from_parts(Vector3::new(1.0, 0.0, 0.0), q);
/// let p = pose.transform_point(&Vector3::new(1.0, 0.0, 0.0));
/// assert!((p - Vector3::new(1.0, 1.0, 0.0)).norm() < 1e-12);
///
/// // Right perturbation and its inverse.
/// let delta = Vector6::new(0.1, 0.2, -0.1, 0.05, -0.02, 0.3);
/// assert!((pose.plus(&delta).minus(&pose) - delta).norm() < 1e-12);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Se3 {
    translation: Vector3<f64>,
    rotation: UnitQuaternion<f64>,
}

impl Se3 {
    /// Motion with translation `t` and rotation `q`.
    pub fn from_parts(t: Vector3<f64>, q: UnitQuaternion<f64>) -> Self {
        Self {
            translation: t,
            rotation: q,
        }
    }

    /// Translation `t`.
    pub fn translation(&self) -> Vector3<f64> {
        self.translation
    }

    /// Rotation as a unit quaternion.
    pub fn rotation(&self) -> &UnitQuaternion<f64> {
        &self.rotation
    }

    /// 3×3 rotation matrix `R`.
    #[inline]
    pub fn rotation_matrix(&self) -> Matrix3<f64> {
        self.rotation.to_rotation_matrix().into_inner()
    }

    /// Applies the motion to a point: `R p + t`.
    #[inline]
    pub fn transform_point(&self, p: &Vector3<f64>) -> Vector3<f64> {
        self.rotation * p + self.translation
    }

    /// Jacobian of the parameter vector `[x, y, z, qx, qy, qz, qw]` of
    /// `self ⊞ δ` with respect to `δ = (ρ, ω)` at `δ = 0`, a 7×6 matrix.
    ///
    /// The translation rows are `[R, 0]`. The quaternion moves as
    /// `q ⊗ Exp(ω) ≈ q ⊗ (1, ω/2)`, so its rows are `[0, ½ Q]` with `Q` the
    /// left-multiplication matrix of `q` restricted to pure quaternions:
    /// `½(w I + [v]×)` for the vector part `v` and `−½ vᵀ` for `w`.
    ///
    /// It turns a derivative with respect to the stored parameters (as
    /// automatic differentiation produces) into one with respect to the
    /// tangent step: `∂e/∂δ = ∂e/∂params · plus_jacobian()`.
    pub fn plus_jacobian(&self) -> SMatrix<f64, 7, 6> {
        let q = self.rotation.quaternion();
        let v = q.imag();
        let mut jac = SMatrix::<f64, 7, 6>::zeros();
        jac.fixed_view_mut::<3, 3>(0, 0)
            .copy_from(&self.rotation_matrix());
        jac.fixed_view_mut::<3, 3>(3, 3)
            .copy_from(&((Matrix3::identity() * q.w + so3::hat(&v)) * 0.5));
        jac.fixed_view_mut::<1, 3>(6, 3)
            .copy_from(&(v.transpose() * -0.5));
        jac
    }
}

/// Splits a tangent vector into translation part ρ and rotation vector ω.
fn split(xi: &Vector6<f64>) -> (Vector3<f64>, Vector3<f64>) {
    (xi.fixed_rows::<3>(0).into(), xi.fixed_rows::<3>(3).into())
}

/// Block upper-triangular 6×6 matrix `[[a, b], [0, a]]`, the shape shared by
/// the adjoint and the SE(3) Jacobians.
fn block_triangular(a: &Matrix3<f64>, b: &Matrix3<f64>) -> Matrix6<f64> {
    let mut m = Matrix6::zeros();
    m.fixed_view_mut::<3, 3>(0, 0).copy_from(a);
    m.fixed_view_mut::<3, 3>(0, 3).copy_from(b);
    m.fixed_view_mut::<3, 3>(3, 3).copy_from(a);
    m
}

/// Barfoot's `Q(ρ, φ)`, the top-right block of the left Jacobian
/// `Jl(ρ, φ) = [[Jl(φ), Q(ρ, φ)], [0, Jl(φ)]]` (translation-first ordering).
fn q_block(rho: &Vector3<f64>, phi: &Vector3<f64>) -> Matrix3<f64> {
    let theta_sq = phi.norm_squared();
    let p = so3::hat(phi);
    let r = so3::hat(rho);
    let pr = p * r;
    let rp = r * p;
    let prp = pr * p;
    let c1 = series::theta_minus_sin_over_cube(theta_sq);
    let c2 = series::q_c2(theta_sq);
    let c3 = series::q_c3(theta_sq);
    r * 0.5 + (pr + rp + prp) * c1 + (p * pr + rp * p - prp * 3.0) * c2 + (prp * p + p * prp) * c3
}

impl LieGroup for Se3 {
    const DOF: usize = 6;
    const PARAMS: usize = 7;
    type Tangent = Vector6<f64>;
    type Jacobian = Matrix6<f64>;

    fn identity() -> Self {
        Self::from_parts(Vector3::zeros(), UnitQuaternion::identity())
    }

    #[inline]
    fn compose(&self, rhs: &Self) -> Self {
        Self::from_parts(
            self.transform_point(&rhs.translation),
            self.rotation * rhs.rotation,
        )
    }

    #[inline]
    fn inverse(&self) -> Self {
        let r_inv = self.rotation.inverse();
        Self::from_parts(-(r_inv * self.translation), r_inv)
    }

    fn exp(xi: &Vector6<f64>) -> Self {
        let (rho, phi) = split(xi);
        Self::from_parts(so3::left_jacobian(&phi) * rho, so3::exp(&phi))
    }

    fn log(&self) -> Vector6<f64> {
        let phi = so3::log(&self.rotation);
        let rho = so3::left_jacobian_inverse(&phi) * self.translation;
        Vector6::new(rho.x, rho.y, rho.z, phi.x, phi.y, phi.z)
    }

    fn adjoint(&self) -> Matrix6<f64> {
        let r = self.rotation_matrix();
        block_triangular(&r, &(so3::hat(&self.translation) * r))
    }

    fn right_jacobian(xi: &Vector6<f64>) -> Matrix6<f64> {
        // Jr(ξ) = Jl(−ξ), and Jl(−φ) = Jr(φ) for the SO(3) blocks.
        let (rho, phi) = split(xi);
        block_triangular(&so3::right_jacobian(&phi), &q_block(&-rho, &-phi))
    }

    fn right_jacobian_inverse(xi: &Vector6<f64>) -> Matrix6<f64> {
        // [[J, Q], [0, J]]⁻¹ = [[J⁻¹, −J⁻¹ Q J⁻¹], [0, J⁻¹]].
        let (rho, phi) = split(xi);
        let j_inv = so3::right_jacobian_inverse(&phi);
        let q = q_block(&-rho, &-phi);
        block_triangular(&j_inv, &-(j_inv * q * j_inv))
    }

    /// Reads `[x, y, z, qx, qy, qz, qw]`; the quaternion is normalised (a zero
    /// quaternion gives NaNs) and its sign is kept.
    #[inline]
    fn from_params(p: &[f64]) -> Self {
        let q = Quaternion::new(p[6], p[3], p[4], p[5]);
        Self::from_parts(
            Vector3::new(p[0], p[1], p[2]),
            UnitQuaternion::from_quaternion(q),
        )
    }

    fn write_params(&self, out: &mut [f64]) {
        let t = &self.translation;
        let q = self.rotation.quaternion();
        out[..7].copy_from_slice(&[t.x, t.y, t.z, q.i, q.j, q.k, q.w]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifold::testing;
    use proptest::prelude::*;
    use std::f64::consts::PI;

    fn translation() -> impl Strategy<Value = Vector3<f64>> {
        (-10.0..10.0, -10.0..10.0, -10.0..10.0).prop_map(|(x, y, z)| Vector3::new(x, y, z))
    }

    fn pose(angles: impl Strategy<Value = f64>) -> impl Strategy<Value = Se3> {
        (translation(), testing::rotation_vector(angles))
            .prop_map(|(t, omega)| Se3::from_parts(t, so3::exp(&omega)))
    }

    fn tangent() -> impl Strategy<Value = Vector6<f64>> {
        (translation(), testing::rotation_vector(testing::angle()))
            .prop_map(|(rho, omega)| Vector6::new(rho.x, rho.y, rho.z, omega.x, omega.y, omega.z))
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
        fn negated_quaternion_is_same_motion(x in pose(testing::angle_up_to_pi())) {
            let mut p = [0.0; 7];
            x.write_params(&mut p);
            for v in &mut p[3..] {
                *v = -*v;
            }
            let y = Se3::from_params(&p);
            testing::assert_group_close("−q", &y, &x, 1e-12);
            prop_assert!((y.rotation_matrix() - x.rotation_matrix()).norm() < 1e-14);
            // Log picks the short rotation regardless of the sign of w.
            prop_assert!(y.log().fixed_rows::<3>(3).norm() <= PI + 1e-12);
        }
    }

    #[test]
    fn params_normalise_quaternion() {
        let x = Se3::from_params(&[1.0, 2.0, 3.0, 0.0, 0.0, 2.0, 2.0]);
        let expected = UnitQuaternion::from_axis_angle(&Vector3::z_axis(), PI / 2.0);
        assert!(x.rotation().angle_to(&expected) < 1e-15);
        assert!((x.rotation().norm() - 1.0).abs() < 1e-15);
        assert_eq!(x.translation(), Vector3::new(1.0, 2.0, 3.0));
    }

    #[test]
    fn adjoint_of_identity_is_identity() {
        assert_eq!(Se3::identity().adjoint(), Matrix6::identity());
        assert_eq!(Se3::right_jacobian(&Vector6::zeros()), Matrix6::identity());
    }

    #[test]
    fn log_at_pi() {
        let q = UnitQuaternion::from_axis_angle(&Vector3::x_axis(), PI);
        let x = Se3::from_parts(Vector3::new(1.0, -2.0, 0.5), q);
        assert!((x.log().fixed_rows::<3>(3).norm() - PI).abs() < 1e-14);
        testing::check_exp_log(&x);
    }
}
