//! Forward-mode automatic differentiation: write a residual once, generic over its scalar, and
//! get a [`Factor`](crate::factor::Factor) with exact Jacobians.
//!
//! A residual implements [`AutoDiffResidual`]: it reads each variable's **stored parameters**
//! (SE2 `[x, y, θ]`, SE3 `[x, y, z, qx, qy, qz, qw]`, a Euclidean vector as is; see
//! [`VariableKind`](crate::problem::VariableKind)) as numbers of a type `T: AdScalar` and writes
//! its residual in the same type. [`AutoDiff`] turns it into a factor:
//!
//! * without Jacobians it runs the residual with `T = f64`, at the cost of a hand-written one;
//! * with Jacobians it runs it once with `T =` [`DualSVec64<N>`], a dual number carrying the
//!   derivatives with respect to all `N` stored parameters of the factor's variables, and then
//!   applies each variable's [plus Jacobian](crate::problem::VariableKind::plus_jacobian)
//!   ∂params(X ⊞ δ)/∂δ, so that the blocks are, like every factor's, derivatives with respect to
//!   the right perturbations X ⊞ δ = X·Exp(δ) the solver steps along.
//!
//! Everything is on the stack: one evaluation allocates nothing.
//!
//! # Writing residuals
//!
//! [`AdScalar`] is both a [`DualNum`] and a nalgebra [`RealField`], so a residual can use
//! arithmetic with `f64` constants on the right (`x * 2.0`, `x - y_measured`), the usual
//! functions (`x.exp()`, `x.sin()`, `y.atan2(x)`, `x.sqrt()`, …) and nalgebra vectors,
//! matrices and quaternions of `T`. Points to know:
//!
//! * An `f64` on the *left* of an operator needs converting: `T::from(2.0) * x`.
//! * Branch on values with [`re`](num_dual::DualStruct::re): `if x.re() < 0.0 { … }`.
//! * Method calls resolve to the by-value [`RealField`] versions, so `x.powf(e)` and
//!   `x.log(base)` take a `T`; write `x.powf(T::from(2.5))`. `floor`, `round`, `trunc`, `ceil`
//!   and `fract` panic on dual numbers (they have no useful derivative).
//! * Functions with removable singularities (`sin θ / θ` at 0) need a series branch near the
//!   singular point, as [`AutoBetweenSe2`]'s log-map error has: the dual numbers differentiate
//!   the formula that runs, not the function it approximates.
//!
//! # Example
//!
//! Fit y = exp(m·x + c) to samples, with (m, c) one `Euclidean<2>` variable:
//!
//! ```
//! use nalgebra::Vector2;
//! use rhopt::autodiff::{AdScalar, AutoDiff, AutoDiffResidual};
//! use rhopt::manifold::Euclidean;
//! use rhopt::prelude::*;
//!
//! /// One sample (x, y) of y = exp(m·x + c).
//! #[derive(Debug)]
//! struct ExpSample {
//!     key: [Key; 1],
//!     x: f64,
//!     y: f64,
//! }
//!
//! impl AutoDiffResidual for ExpSample {
//!     fn keys(&self) -> &[Key] {
//!         &self.key
//!     }
//!     fn residual_dim(&self) -> usize {
//!         1
//!     }
//!     fn residual<T: AdScalar>(&self, params: &[&[T]], residual: &mut [T]) {
//!         let (m, c) = (params[0][0], params[0][1]);
//!         residual[0] = T::from(self.y) - (m * self.x + c).exp();
//!     }
//! }
//!
//! let mut problem = Problem::new();
//! let mc = problem.add_variable(Euclidean(Vector2::new(0.0, 0.0)));
//! for i in 0..20 {
//!     let x = i as f64 / 10.0;
//!     let sample = ExpSample { key: [mc], x, y: (0.3 * x + 0.1).exp() };
//!     // 2 stored parameters (m, c), residual of dimension 1.
//!     let factor = AutoDiff::<_, 2, 1>::new(sample, problem.values()).unwrap();
//!     problem.add_factor(factor, None, None).unwrap();
//! }
//! let summary = Solver::new(SolverOptions::default()).solve(&mut problem).unwrap();
//! assert!(summary.converged());
//! let fit: Euclidean<2> = problem.values().get(mc);
//! assert!((fit.0 - Vector2::new(0.3, 0.1)).norm() < 1e-8);
//! ```

mod between;
#[cfg(test)]
mod tests;
mod wrapper;

use std::fmt::Debug;

use nalgebra::RealField;

use crate::problem::Key;

pub use between::{AutoBetweenSe2, AutoBetweenSe3};
pub use num_dual::{DualNum, DualSVec64};
pub use wrapper::{AutoDiff, AutoDiffError};

/// The scalars a residual is generic over: `f64` for plain evaluations and the dual number
/// [`DualSVec64<N>`] for Jacobians.
///
/// It bundles [`DualNum`] (elementary functions, arithmetic with `f64` constants, [`re`]
/// for branching on values) with nalgebra's [`RealField`] (vectors, matrices and quaternions
/// of `T`). Implemented for every type with those traits; there is nothing to implement.
///
/// [`re`]: num_dual::DualStruct::re
pub trait AdScalar: DualNum<Primitive = f64> + RealField + Copy {}

impl<T: DualNum<Primitive = f64> + RealField + Copy> AdScalar for T {}

/// A residual function written once for any [`AdScalar`]; wrap it in [`AutoDiff`] to use it as
/// a [`Factor`](crate::factor::Factor).
///
/// See the [module documentation](self) for an example and for what residual code may do.
pub trait AutoDiffResidual: Send + Sync + Debug {
    /// The variables the residual reads, in the order of `params` and of the Jacobian blocks.
    fn keys(&self) -> &[Key];

    /// Dimension d of the residual.
    fn residual_dim(&self) -> usize;

    /// Writes e(x) into `residual` (length d). `params[k]` holds the stored parameters of
    /// variable `keys()[k]` (length [`VariableKind::params`](crate::problem::VariableKind::params)).
    ///
    /// SE3 quaternions are unit length after every solver step; a residual that may see
    /// user-supplied values normalises them, as [`Values::get`](crate::problem::Values::get)
    /// does (it does not change the Jacobian at unit length).
    fn residual<T: AdScalar>(&self, params: &[&[T]], residual: &mut [T]);
}
