//! Lie groups used as optimisation variables: [`Se2`], [`Se3`] and
//! [`Euclidean`], behind the common [`LieGroup`] trait, plus SO(3) helpers in
//! [`so3`].
//!
//! # Conventions
//!
//! * **Right perturbations.** `X ⊞ ξ = X·Exp(ξ)` ([`LieGroup::plus`]) and
//!   `Y ⊟ X = Log(X⁻¹·Y)` ([`LieGroup::minus`]). Every Jacobian is taken with
//!   respect to these right perturbations of its inputs and outputs:
//!   `J = ∂(f(X ⊞ δ) ⊟ f(X))/∂δ` at `δ = 0`. This is the right-Jacobian
//!   convention of Solà et al., "A micro Lie theory for state estimation in
//!   robotics".
//! * **Tangent ordering: translation first, then rotation.** SE(2) tangents
//!   are `(ρx, ρy, θ)`, SE(3) tangents `(ρx, ρy, ρz, ωx, ωy, ωz)`, matching the
//!   ordering of g2o information matrices.
//! * **Parameter vectors** match g2o files: SE(2) is `[x, y, θ]`, SE(3) is
//!   `[x, y, z, qx, qy, qz, qw]`.
//! * **Angles** are normalised to `(−π, π]` (see [`normalize_angle`]).
//!
//! All types are fixed-size and stack allocated; nothing here allocates.
//! Small-angle cases use Taylor series in `θ²`, so every map is smooth at the
//! identity.

mod euclidean;
mod se2;
mod se3;
pub(crate) mod series;
pub mod so3;
#[cfg(test)]
pub(crate) mod testing;

use std::fmt::Debug;
use std::ops::{Add, Index, IndexMut, Mul, Neg, Sub};

pub use euclidean::Euclidean;
pub use se2::{normalize_angle, Se2};
pub use se3::Se3;

/// A matrix Lie group with right-perturbation calculus.
///
/// Implementors supply the group operations, `Exp`/`Log`, the adjoint and the
/// right Jacobians; the Jacobians of composite operations have generic
/// default implementations in terms of those.
///
/// The bounds on [`Tangent`](LieGroup::Tangent) and
/// [`Jacobian`](LieGroup::Jacobian) are the operations of nalgebra's
/// fixed-size vectors and matrices that generic code (solvers, tests) needs:
/// element access and arithmetic. (`Default` is deliberately not required:
/// nalgebra only provides it for dimensions up to 32. `Log(identity)` is the
/// zero tangent and `Ad(identity)` the identity matrix.)
pub trait LieGroup: Copy + Clone + Debug + Send + Sync + 'static {
    /// Degrees of freedom (tangent dimension).
    const DOF: usize;
    /// Length of the stored parameter vector.
    const PARAMS: usize;
    /// Tangent vector type, nalgebra `SVector<f64, DOF>`.
    type Tangent: Copy
        + Debug
        + PartialEq
        + Index<usize, Output = f64>
        + IndexMut<usize>
        + Add<Output = Self::Tangent>
        + Sub<Output = Self::Tangent>
        + Neg<Output = Self::Tangent>
        + Mul<f64, Output = Self::Tangent>;
    /// DOF×DOF matrix type (adjoints and Jacobians), nalgebra `SMatrix`.
    type Jacobian: Copy
        + Debug
        + PartialEq
        + Index<(usize, usize), Output = f64>
        + IndexMut<(usize, usize)>
        + Neg<Output = Self::Jacobian>
        + Mul<Output = Self::Jacobian>
        + Mul<Self::Tangent, Output = Self::Tangent>;

    /// The identity element.
    fn identity() -> Self;

    /// Group product `self · rhs`.
    fn compose(&self, rhs: &Self) -> Self;

    /// Group inverse `self⁻¹`.
    fn inverse(&self) -> Self;

    /// Exponential map from the tangent space at the identity.
    fn exp(xi: &Self::Tangent) -> Self;

    /// Logarithm map; inverse of [`exp`](LieGroup::exp) for rotation angles
    /// in `(−π, π)`.
    fn log(&self) -> Self::Tangent;

    /// Adjoint matrix: `Exp(Ad(X) ξ) = X · Exp(ξ) · X⁻¹`.
    fn adjoint(&self) -> Self::Jacobian;

    /// Right Jacobian Jr(ξ): Exp(ξ + δ) ≈ Exp(ξ)·Exp(Jr(ξ) δ).
    fn right_jacobian(xi: &Self::Tangent) -> Self::Jacobian;

    /// Inverse of the right Jacobian: Log(Exp(ξ)·Exp(δ)) ≈ ξ + Jr⁻¹(ξ) δ.
    fn right_jacobian_inverse(xi: &Self::Tangent) -> Self::Jacobian;

    /// `self ⊞ delta = self · Exp(delta)`.
    fn plus(&self, delta: &Self::Tangent) -> Self {
        self.compose(&Self::exp(delta))
    }

    /// The relative motion `self⁻¹ · other`. Groups override it where one fused operation is
    /// cheaper than an inverse and a product (SE2: one `sin_cos` instead of two). Inlined so
    /// that the 3D relative-pose factor's evaluation is one body (see `Se3::compose`).
    #[inline]
    fn between(&self, other: &Self) -> Self {
        self.inverse().compose(other)
    }

    /// `self ⊟ other = Log(other⁻¹ · self)`.
    fn minus(&self, other: &Self) -> Self::Tangent {
        other.inverse().compose(self).log()
    }

    /// Reads an element from a parameter slice of length at least
    /// [`PARAMS`](LieGroup::PARAMS). Angles are normalised and SE(3)
    /// quaternions are normalised to unit length.
    ///
    /// # Panics
    /// If `p` is shorter than `PARAMS`.
    fn from_params(p: &[f64]) -> Self;

    /// Writes the parameter vector into `out[..PARAMS]`.
    ///
    /// # Panics
    /// If `out` is shorter than `PARAMS`.
    fn write_params(&self, out: &mut [f64]);

    /// `self · rhs` with Jacobians w.r.t. `self` and `rhs`:
    /// `(Ad(rhs⁻¹), I)`.
    fn compose_with_jacobians(&self, rhs: &Self) -> (Self, Self::Jacobian, Self::Jacobian) {
        // Ad(identity) = I, which avoids a separate "identity matrix" item.
        let identity = Self::identity().adjoint();
        (self.compose(rhs), rhs.inverse().adjoint(), identity)
    }

    /// `self⁻¹` with its Jacobian `−Ad(self)`.
    fn inverse_with_jacobian(&self) -> (Self, Self::Jacobian) {
        (self.inverse(), -self.adjoint())
    }

    /// `Log(self)` with its Jacobian `Jr⁻¹(Log(self))`.
    fn log_with_jacobian(&self) -> (Self::Tangent, Self::Jacobian) {
        let xi = self.log();
        (xi, Self::right_jacobian_inverse(&xi))
    }

    /// `between(a, b) = a⁻¹ · b` with Jacobians w.r.t. `a` (= `self`) and `b`
    /// (= `other`): `(−Ad((a⁻¹b)⁻¹), I)`.
    fn between_with_jacobians(&self, other: &Self) -> (Self, Self::Jacobian, Self::Jacobian) {
        // Perturbing a: (a·Exp(δ))⁻¹·b = Exp(−δ)·a⁻¹b = a⁻¹b·Exp(−Ad((a⁻¹b)⁻¹) δ).
        let relative = self.between(other);
        let identity = Self::identity().adjoint();
        (relative, -relative.inverse().adjoint(), identity)
    }
}
