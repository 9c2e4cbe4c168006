//! Relative-pose residuals written once for any [`AdScalar`]: reference implementations of
//! [`AutoDiffResidual`] that reproduce [`BetweenSe2`](crate::factor::BetweenSe2) and
//! [`BetweenSe3`](crate::factor::BetweenSe3) (the tests hold them to the analytic Jacobians),
//! and templates for pose residuals of your own.

use nalgebra::{Isometry3, Quaternion, Translation3, UnitQuaternion, Vector3};

use super::{AdScalar, AutoDiffResidual};
use crate::factor::BetweenError;
use crate::manifold::series::{JR_INV, SERIES_THETA_SQ};
use crate::manifold::{normalize_angle, LieGroup, Se2, Se3};
use crate::problem::Key;

/// g2o's EDGE_SE2 (or the log-map error) of Z⁻¹·Xᵢ⁻¹·Xⱼ, as an [`AutoDiffResidual`] on two
/// SE2 variables: use it as `AutoDiff<AutoBetweenSe2, 6, 3>`.
///
/// ```
/// use rhopt::autodiff::{AutoBetweenSe2, AutoDiff};
/// use rhopt::prelude::*;
///
/// let mut problem = Problem::new();
/// let a = problem.add_variable(Se2::new(0.0, 0.0, 0.0));
/// let b = problem.add_variable(Se2::new(0.8, 0.1, 0.1));
/// problem.set_fixed(a, true);
/// let z = AutoBetweenSe2::new(a, b, Se2::new(1.0, 0.0, 0.0));
/// let factor = AutoDiff::<_, 6, 3>::new(z, problem.values()).unwrap();
/// problem.add_factor(factor, None, None).unwrap();
/// Solver::new(SolverOptions::default()).solve(&mut problem).unwrap();
/// let b: Se2 = problem.values().get(b);
/// assert!((b.translation().x - 1.0).abs() < 1e-9 && b.angle().abs() < 1e-9);
/// ```
#[derive(Debug, Clone)]
pub struct AutoBetweenSe2 {
    keys: [Key; 2],
    measured_inverse: Se2,
    error: BetweenError,
}

impl AutoBetweenSe2 {
    /// Measurement Z of Xᵢ⁻¹·Xⱼ with g2o's error (t, θ), θ wrapped to (−π, π].
    pub fn new(from: Key, to: Key, measured: Se2) -> Self {
        Self::with_error(from, to, measured, BetweenError::G2o)
    }

    /// Measurement Z of Xᵢ⁻¹·Xⱼ with the chosen error definition.
    pub fn with_error(from: Key, to: Key, measured: Se2, error: BetweenError) -> Self {
        Self {
            keys: [from, to],
            measured_inverse: measured.inverse(),
            error,
        }
    }
}

/// An SE2 pose of any scalar, with the operations of [`Se2`] in the same order of floating-point
/// operations, so that `T = f64` reproduces the analytic factor's residual.
#[derive(Clone, Copy)]
struct Pose2<T> {
    t: [T; 2],
    angle: T,
}

impl<T: AdScalar> Pose2<T> {
    fn from_params(p: &[T]) -> Self {
        Self {
            t: [p[0], p[1]],
            angle: wrap_angle(p[2]),
        }
    }

    fn constant(x: &Se2) -> Self {
        let t = x.translation();
        Self {
            t: [T::from(t.x), T::from(t.y)],
            angle: T::from(x.angle()),
        }
    }

    /// `self · rhs`: (R t_rhs + t, θ + θ_rhs).
    fn compose(&self, rhs: &Self) -> Self {
        let (s, c) = self.angle.sin_cos();
        Self {
            t: [
                c * rhs.t[0] + -s * rhs.t[1] + self.t[0],
                s * rhs.t[0] + c * rhs.t[1] + self.t[1],
            ],
            angle: wrap_angle(self.angle + rhs.angle),
        }
    }

    /// `self⁻¹ · other`: (Rᵀ(t_other − t), θ_other − θ), as [`LieGroup::between`] computes it
    /// for [`Se2`].
    fn between(&self, other: &Self) -> Self {
        let (s, c) = self.angle.sin_cos();
        let d = [other.t[0] - self.t[0], other.t[1] - self.t[1]];
        Self {
            t: [c * d[0] + s * d[1], -s * d[0] + c * d[1]],
            angle: wrap_angle(other.angle - self.angle),
        }
    }
}

/// Wraps an angle to (−π, π] by shifting it by a multiple of 2π, which leaves its derivatives
/// unchanged.
fn wrap_angle<T: AdScalar>(a: T) -> T {
    let re = a.re();
    let wrapped = normalize_angle(re);
    if wrapped == re {
        a
    } else {
        // (a − re) has value exactly 0 and a's derivatives, so the value becomes exactly
        // `wrapped`; a + (wrapped − re) could be an ulp off.
        a - re + wrapped
    }
}

/// `(θ/2)·cot(θ/2)` with the same series branch as the analytic SE2 log, whose derivative is
/// right at θ = 0 where the closed form is 0/0.
fn half_cot_half<T: AdScalar>(theta: T) -> T {
    let theta_sq = theta * theta;
    if theta_sq.re() < SERIES_THETA_SQ {
        let series = JR_INV
            .iter()
            .rev()
            .fold(T::zero(), |acc, &c| acc * theta_sq + c);
        -(theta_sq * series) + 1.0
    } else {
        let (s, c) = (theta * 0.5).sin_cos();
        theta * 0.5 * c / s
    }
}

impl AutoDiffResidual for AutoBetweenSe2 {
    fn keys(&self) -> &[Key] {
        &self.keys
    }

    fn residual_dim(&self) -> usize {
        3
    }

    fn residual<T: AdScalar>(&self, params: &[&[T]], residual: &mut [T]) {
        let xi = Pose2::from_params(params[0]);
        let xj = Pose2::from_params(params[1]);
        let e = Pose2::constant(&self.measured_inverse).compose(&xi.between(&xj));
        match self.error {
            BetweenError::G2o => residual.copy_from_slice(&[e.t[0], e.t[1], e.angle]),
            BetweenError::LogMap => {
                // Log(E) = (V(θ)⁻¹ t, θ), V⁻¹ = [[α, β], [−β, α]], α = (θ/2)cot(θ/2), β = θ/2.
                let alpha = half_cot_half(e.angle);
                let beta = e.angle * 0.5;
                residual.copy_from_slice(&[
                    alpha * e.t[0] + beta * e.t[1],
                    -beta * e.t[0] + alpha * e.t[1],
                    e.angle,
                ]);
            }
        }
    }
}

/// g2o's EDGE_SE3:QUAT error of Z⁻¹·Xᵢ⁻¹·Xⱼ, (t, q_xyz) with the quaternion's sign chosen so
/// that w ≥ 0, as an [`AutoDiffResidual`] on two SE3 variables: use it as
/// `AutoDiff<AutoBetweenSe3, 14, 6>`.
///
/// It shows nalgebra's geometry types working on dual numbers: the poses are
/// [`Isometry3<T>`](nalgebra::Isometry3).
///
/// ```
/// use nalgebra::{UnitQuaternion, Vector3};
/// use rhopt::autodiff::{AutoBetweenSe3, AutoDiff};
/// use rhopt::prelude::*;
///
/// let mut problem = Problem::new();
/// let a = problem.add_variable(Se3::identity());
/// let start = UnitQuaternion::from_scaled_axis(Vector3::new(0.1, -0.1, 0.2));
/// let b = problem.add_variable(Se3::from_parts(Vector3::new(0.9, 0.2, 0.0), start));
/// problem.set_fixed(a, true);
/// let z = AutoBetweenSe3::new(a, b, Se3::from_parts(Vector3::x(), UnitQuaternion::identity()));
/// let factor = AutoDiff::<_, 14, 6>::new(z, problem.values()).unwrap();
/// problem.add_factor(factor, None, None).unwrap();
/// Solver::new(SolverOptions::default()).solve(&mut problem).unwrap();
/// let b: Se3 = problem.values().get(b);
/// assert!((b.translation() - Vector3::x()).norm() < 1e-9);
/// ```
#[derive(Debug, Clone)]
pub struct AutoBetweenSe3 {
    keys: [Key; 2],
    measured_inverse: Isometry3<f64>,
}

impl AutoBetweenSe3 {
    /// Measurement Z of Xᵢ⁻¹·Xⱼ with g2o's error.
    pub fn new(from: Key, to: Key, measured: Se3) -> Self {
        Self {
            keys: [from, to],
            measured_inverse: isometry(&measured.inverse()),
        }
    }
}

fn isometry(x: &Se3) -> Isometry3<f64> {
    Isometry3::from_parts(Translation3::from(x.translation()), *x.rotation())
}

/// Reads `[x, y, z, qx, qy, qz, qw]`, normalising the quaternion as [`Se3::from_params`] does.
fn isometry_from_params<T: AdScalar>(p: &[T]) -> Isometry3<T> {
    let q = UnitQuaternion::from_quaternion(Quaternion::new(p[6], p[3], p[4], p[5]));
    Isometry3::from_parts(Translation3::new(p[0], p[1], p[2]), q)
}

impl AutoDiffResidual for AutoBetweenSe3 {
    fn keys(&self) -> &[Key] {
        &self.keys
    }

    fn residual_dim(&self) -> usize {
        6
    }

    fn residual<T: AdScalar>(&self, params: &[&[T]], residual: &mut [T]) {
        let xi = isometry_from_params(params[0]);
        let xj = isometry_from_params(params[1]);
        let e = self.measured_inverse.cast::<T>() * (xi.inverse() * xj);
        let t = e.translation.vector;
        let q = e.rotation.quaternion();
        // q and −q are the same rotation; g2o takes the one with w ≥ 0.
        let v: Vector3<T> = if q.w.re() < 0.0 { -q.imag() } else { q.imag() };
        residual.copy_from_slice(&[t.x, t.y, t.z, v.x, v.y, v.z]);
    }
}
