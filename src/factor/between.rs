//! Relative-pose ("between") factors: odometry and loop closures, as g2o's EDGE_SE2 and
//! EDGE_SE3:QUAT define them, or with the log-map error of GTSAM and the Rust peers.

use nalgebra::{Matrix2, Matrix3, Matrix6, SMatrix, SVector, Vector3, Vector6};

use super::{Factor, Jacobians, PosePairBlocks};
use crate::manifold::{normalize_angle, so3, LieGroup, Se2, Se3};
use crate::problem::{Key, Values, Variable};

/// How the residual of a relative pose E = Z⁻¹·Xᵢ⁻¹·Xⱼ is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BetweenError {
    /// g2o's definition, which its information matrices weigh: SE2 → (t, θ);
    /// SE3 → (t, vector part of the unit quaternion with w ≥ 0), i.e. rotation ≈ angle/2.
    #[default]
    G2o,
    /// The tangent-space error Log(E) (translation first), as GTSAM, factrs, tiny-solver and
    /// apex-solver define it. On SE3 its rotation part is the full angle, so the same
    /// information matrix weighs rotation about 4× more than g2o does: a different objective.
    LogMap,
}

/// A pose group with g2o's error definition for relative poses.
pub trait PoseGroup<const D: usize>:
    Variable<Tangent = SVector<f64, D>, Jacobian = SMatrix<f64, D, D>>
{
    /// The rotation matrix type; a factor keeps its measurement's, so that evaluating the error
    /// takes no trigonometry for it.
    type Rotation: Copy + std::fmt::Debug + Send + Sync;

    /// The rotation matrix of `self`.
    fn rotation_of(&self) -> Self::Rotation;

    /// `self · rhs`, given `rotation`, the rotation matrix of `self`.
    fn compose_rotated(&self, rotation: &Self::Rotation, rhs: &Self) -> Self;

    /// g2o's error vector of a relative pose E and its Jacobian w.r.t. a right perturbation of E.
    fn g2o_error(e: &Self) -> (SVector<f64, D>, SMatrix<f64, D, D>);

    /// Jacobian of g2o's error of E = Z⁻¹·Xᵢ⁻¹·Xⱼ w.r.t. a right perturbation of Xᵢ, from the
    /// rotation matrix of Z⁻¹, `xij` = Xᵢ⁻¹·Xⱼ and `d_err`, [`g2o_error`](Self::g2o_error)'s
    /// Jacobian at E (which is also the Jacobian w.r.t. Xⱼ).
    ///
    /// The general form is −d_err·Ad(Xⱼ⁻¹Xᵢ); for g2o's error it reduces to products with
    /// Z⁻¹'s rotation, which is cheaper than forming the adjoint of the inverse.
    fn g2o_error_jacobian_first(
        measured_inverse_rotation: &Self::Rotation,
        xij: &Self,
        d_err: &SMatrix<f64, D, D>,
    ) -> SMatrix<f64, D, D>;

    /// The Jacobian's zero blocks with `error`, for [`Factor::pose_pair_blocks`].
    fn pose_pair_blocks(error: BetweenError) -> Option<PosePairBlocks>;
}

impl PoseGroup<3> for Se2 {
    type Rotation = Matrix2<f64>;

    fn rotation_of(&self) -> Matrix2<f64> {
        self.rotation_matrix()
    }

    fn compose_rotated(&self, rotation: &Matrix2<f64>, rhs: &Self) -> Self {
        // The same operations as `compose`, so the result is bit-identical to it.
        let t = rotation * rhs.translation() + self.translation();
        Se2::new(t.x, t.y, self.angle() + rhs.angle())
    }

    fn g2o_error(e: &Self) -> (Vector3<f64>, Matrix3<f64>) {
        let t = e.translation();
        let err = Vector3::new(t.x, t.y, normalize_angle(e.angle()));
        // t' = t + R δt and θ' = θ + δθ under E·Exp(δ), to first order.
        let mut jac = Matrix3::identity();
        jac.fixed_view_mut::<2, 2>(0, 0)
            .copy_from(&e.rotation_matrix());
        (err, jac)
    }

    fn g2o_error_jacobian_first(
        measured_inverse_rotation: &Matrix2<f64>,
        xij: &Self,
        _d_err: &Matrix3<f64>,
    ) -> Matrix3<f64> {
        // Z⁻¹·Exp(−δ)·Xᵢ⁻¹Xⱼ has translation R_z⁻¹(t − ρ + ω·(−t_y, t_x)) + t_z⁻¹ and angle
        // θ − ω to first order (t, θ those of Xᵢ⁻¹Xⱼ).
        let r = measured_inverse_rotation;
        let w = r * xij.translation();
        Matrix3::new(
            -r[(0, 0)],
            -r[(0, 1)],
            w.y,
            -r[(1, 0)],
            -r[(1, 1)],
            -w.x,
            0.0,
            0.0,
            -1.0,
        )
    }

    fn pose_pair_blocks(_error: BetweenError) -> Option<PosePairBlocks> {
        None
    }
}

impl PoseGroup<6> for Se3 {
    type Rotation = Matrix3<f64>;

    #[inline]
    fn rotation_of(&self) -> Matrix3<f64> {
        self.rotation_matrix()
    }

    #[inline]
    fn compose_rotated(&self, _rotation: &Matrix3<f64>, rhs: &Self) -> Self {
        // Rotating by the quaternion costs about as much as by the matrix, and keeps the residual
        // bit-identical to `compose` (and so to the autodiff factor's).
        self.compose(rhs)
    }

    #[inline]
    fn g2o_error(e: &Self) -> (Vector6<f64>, Matrix6<f64>) {
        let q = e.rotation().quaternion();
        // g2o normalises the quaternion to w ≥ 0 before taking its vector part.
        let sign = if q.w < 0.0 { -1.0 } else { 1.0 };
        let t = e.translation();
        let v = q.imag() * sign;
        let err = Vector6::new(t.x, t.y, t.z, v.x, v.y, v.z);
        // Right perturbation q ⊗ (1, ω/2): ∂vec/∂ω = ½(w I + [v]×).
        let mut jac = Matrix6::zeros();
        jac.fixed_view_mut::<3, 3>(0, 0)
            .copy_from(&e.rotation_matrix());
        jac.fixed_view_mut::<3, 3>(3, 3)
            .copy_from(&((Matrix3::identity() * (q.w * sign) + so3::hat(&v)) * 0.5));
        (err, jac)
    }

    #[inline]
    fn g2o_error_jacobian_first(
        measured_inverse_rotation: &Matrix3<f64>,
        xij: &Self,
        d_err: &Matrix6<f64>,
    ) -> Matrix6<f64> {
        // Z⁻¹·Exp(−δ)·Xᵢ⁻¹Xⱼ has translation R_z⁻¹(t − ρ + [t]×ω) + t_z⁻¹ and rotation
        // E·Exp(−Rᵀω) to first order (t, R those of Xᵢ⁻¹Xⱼ), so the quaternion part moves by
        // −Q·Rᵀω with Q = ∂vec/∂ω, the lower-right block of d_err.
        let r = measured_inverse_rotation;
        let mut jac = Matrix6::zeros();
        jac.fixed_view_mut::<3, 3>(0, 0).copy_from(&(-r));
        jac.fixed_view_mut::<3, 3>(0, 3)
            .copy_from(&(r * so3::hat(&xij.translation())));
        jac.fixed_view_mut::<3, 3>(3, 3)
            .copy_from(&(-(d_err.fixed_view::<3, 3>(3, 3) * xij.rotation_matrix().transpose())));
        jac
    }

    fn pose_pair_blocks(error: BetweenError) -> Option<PosePairBlocks> {
        Some(match error {
            BetweenError::G2o => PosePairBlocks::RELATIVE_G2O,
            BetweenError::LogMap => PosePairBlocks::RELATIVE_LOG_MAP,
        })
    }
}

/// Relative-pose factor between two poses of group `G` (tangent dimension `D`).
#[derive(Debug, Clone)]
pub struct Between<G: PoseGroup<D>, const D: usize> {
    keys: [Key; 2],
    measured: G,
    measured_inverse: G,
    measured_inverse_rotation: G::Rotation,
    error: BetweenError,
}

/// Relative 2D pose, g2o's EDGE_SE2.
pub type BetweenSe2 = Between<Se2, 3>;
/// Relative 3D pose, g2o's EDGE_SE3:QUAT.
pub type BetweenSe3 = Between<Se3, 6>;

impl<G: PoseGroup<D>, const D: usize> Between<G, D> {
    /// Measurement Z of Xᵢ⁻¹·Xⱼ with g2o's error definition.
    pub fn new(from: Key, to: Key, measured: G) -> Self {
        Self::with_error(from, to, measured, BetweenError::G2o)
    }

    /// Measurement Z of Xᵢ⁻¹·Xⱼ with the chosen error definition.
    pub fn with_error(from: Key, to: Key, measured: G, error: BetweenError) -> Self {
        let measured_inverse = measured.inverse();
        Self {
            keys: [from, to],
            measured,
            measured_inverse,
            measured_inverse_rotation: measured_inverse.rotation_of(),
            error,
        }
    }

    /// The measured relative pose Z.
    pub fn measured(&self) -> &G {
        &self.measured
    }

    /// The error definition in use.
    pub fn error(&self) -> BetweenError {
        self.error
    }
}

impl<G: PoseGroup<D>, const D: usize> Factor for Between<G, D> {
    fn keys(&self) -> &[Key] {
        &self.keys
    }

    fn residual_dim(&self) -> usize {
        D
    }

    fn pose_pair_blocks(&self) -> Option<PosePairBlocks> {
        G::pose_pair_blocks(self.error)
    }

    fn evaluate(&self, values: &Values, residual: &mut [f64], jacobians: Option<&mut Jacobians>) {
        let xi: G = values.get(self.keys[0]);
        let xj: G = values.get(self.keys[1]);
        let xij = xi.between(&xj);
        let relative = self
            .measured_inverse
            .compose_rotated(&self.measured_inverse_rotation, &xij);
        match self.error {
            BetweenError::G2o => {
                let (err, d_err) = G::g2o_error(&relative);
                residual.copy_from_slice(err.as_slice());
                if let Some(jac) = jacobians {
                    jac.set_block(
                        0,
                        &G::g2o_error_jacobian_first(&self.measured_inverse_rotation, &xij, &d_err),
                    );
                    jac.set_block(1, &d_err);
                }
            }
            BetweenError::LogMap => {
                let (err, d_err) = relative.log_with_jacobian();
                residual.copy_from_slice(err.as_slice());
                if let Some(jac) = jacobians {
                    // Xᵢ ⊞ δ moves E to E·Exp(−Ad(Xⱼ⁻¹Xᵢ) δ); Xⱼ ⊞ δ moves it to E·Exp(δ).
                    let adjoint = xij.inverse().adjoint();
                    jac.set_block(0, &(-(d_err * adjoint)));
                    jac.set_block(1, &d_err);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::factor::testing::assert_jacobians_match;
    use crate::manifold::testing::{angle, rotation_vector};
    use crate::manifold::LieGroup;
    use nalgebra::UnitQuaternion;
    use proptest::prelude::*;

    fn se3(t: [f64; 3], rotation: Vector3<f64>) -> Se3 {
        Se3::from_parts(Vector3::from(t), UnitQuaternion::from_scaled_axis(rotation))
    }

    fn check_se2(a: Se2, b: Se2, z: Se2, error: BetweenError) {
        let mut v = Values::default();
        let ka = v.insert(a);
        let kb = v.insert(b);
        assert_jacobians_match(&BetweenSe2::with_error(ka, kb, z, error), &v, 1e-6);
    }

    fn check_se3(a: Se3, b: Se3, z: Se3, error: BetweenError) {
        let mut v = Values::default();
        let ka = v.insert(a);
        let kb = v.insert(b);
        assert_jacobians_match(&BetweenSe3::with_error(ka, kb, z, error), &v, 1e-6);
    }

    proptest! {
        #[test]
        fn se2_jacobians_match_finite_differences(
            p in prop::array::uniform6(-5.0..5.0f64),
            ta in angle(), tb in angle(), tz in angle(),
            logmap in any::<bool>(),
        ) {
            let error = if logmap { BetweenError::LogMap } else { BetweenError::G2o };
            check_se2(Se2::new(p[0], p[1], ta), Se2::new(p[2], p[3], tb), Se2::new(p[4], p[5], tz), error);
        }

        #[test]
        fn se3_jacobians_match_finite_differences(
            t in prop::array::uniform9(-5.0..5.0f64),
            ra in rotation_vector(angle()),
            rb in rotation_vector(angle()),
            rz in rotation_vector(angle()),
            logmap in any::<bool>(),
        ) {
            let error = if logmap { BetweenError::LogMap } else { BetweenError::G2o };
            let a = se3([t[0], t[1], t[2]], ra);
            let b = se3([t[3], t[4], t[5]], rb);
            let z = se3([t[6], t[7], t[8]], rz);
            check_se3(a, b, z, error);
        }
    }

    #[test]
    fn se3_g2o_error_is_translation_and_quaternion_vector() {
        // Xi = identity, Xj = rotation by 0.4 rad about z and translation (1, 2, 3); Z = identity.
        let mut v = Values::default();
        let a = v.insert(Se3::identity());
        let b = v.insert(se3([1.0, 2.0, 3.0], Vector3::new(0.0, 0.0, 0.4)));
        let f = BetweenSe3::new(a, b, Se3::identity());
        let mut e = [0.0; 6];
        f.evaluate(&v, &mut e, None);
        let expected = [1.0, 2.0, 3.0, 0.0, 0.0, (0.2f64).sin()];
        for (x, y) in e.iter().zip(expected) {
            assert!((x - y).abs() < 1e-15, "{e:?}");
        }
    }

    #[test]
    fn se2_error_wraps_the_angle() {
        let mut v = Values::default();
        let a = v.insert(Se2::new(0.0, 0.0, 3.0));
        let b = v.insert(Se2::new(0.0, 0.0, -3.0));
        let f = BetweenSe2::new(a, b, Se2::new(0.0, 0.0, 0.0));
        let mut e = [0.0; 3];
        f.evaluate(&v, &mut e, None);
        assert!((e[2] - (2.0 * std::f64::consts::PI - 6.0)).abs() < 1e-12);
    }
}
