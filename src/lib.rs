//! # rhopt — robust sparse nonlinear least squares for SLAM
//!
//! rhopt optimises factor graphs — above all 2D and 3D pose graphs in g2o's format — with
//! Gauss-Newton or Levenberg-Marquardt on a sparse Cholesky factorisation, and lets robust
//! kernels ρ(s) keep false loop closures from dragging the solution away.
//!
//! ## Conventions (stated once, used everywhere)
//!
//! * **Cost.** Factor k has a residual eₖ(x) ∈ Rᵈ, an information matrix Ωₖ (symmetric positive
//!   definite, the inverse covariance) and a kernel ρₖ. Its Mahalanobis cost is sₖ = eₖᵀΩₖeₖ and
//!   the objective is F(x) = Σₖ ρₖ(sₖ). With ρ(s) = s, F is **χ² = Σ eᵀΩe, exactly the number g2o
//!   prints**; every χ² reported by rhopt is this sum (no factor ½).
//! * **Loss factors.** A factor may instead feed a model's outputs z(x) to a supervised loss
//!   ([`loss`], [`problem::Problem::add_loss`]); then its s is the loss value L(z, t), and F
//!   and χ² include it unhalved, as PyTorch reports it.
//! * **Kernel widths** δ are in units of the whitened residual √s ("standard deviations"); see
//!   [`kernel`].
//! * **Manifolds.** Variables are updated by right perturbations X ⊞ δ = X·Exp(δ); tangent
//!   vectors put translation before rotation (SE2: x, y, θ; SE3: x, y, z, ωx, ωy, ωz), the order
//!   of g2o's information matrices. See [`manifold`].
//! * **g2o edge errors.** EDGE_SE2: e = (t, θ) of Z⁻¹·Xᵢ⁻¹·Xⱼ with θ wrapped to (−π, π].
//!   EDGE_SE3:QUAT: e = (t, q_xyz) of Z⁻¹·Xᵢ⁻¹·Xⱼ with the quaternion's sign chosen so w ≥ 0,
//!   so its rotation part is about half the angle. These are what the files' information
//!   matrices weigh, so rhopt's χ² equals g2o's. The tangent-space error Log(Z⁻¹·Xᵢ⁻¹·Xⱼ)
//!   of GTSAM and the Rust peers is available as [`factor::BetweenError::LogMap`]; on 3D files it
//!   is a different objective with a different optimum.
//! * **Gauge.** Pose graphs are defined up to one rigid motion per connected component: the g2o
//!   loader holds FIX vertices constant, and in every component without one its lowest vertex
//!   id (vertex 0 of a usual single-component file); see [`io::build_problem`].
//!
//! ## Example
//!
//! ```
//! use rhopt::prelude::*;
//! let mut problem = Problem::new();
//! let a = problem.add_variable(Se2::new(0.0, 0.0, 0.0));
//! let b = problem.add_variable(Se2::new(1.2, 0.3, 0.2));
//! let c = problem.add_variable(Se2::new(1.9, 1.1, 1.4));
//! problem.set_fixed(a, true);
//! let step = Se2::new(1.0, 0.0, std::f64::consts::FRAC_PI_2);
//! problem.add_factor(BetweenSe2::new(a, b, step), None, None).unwrap();
//! problem.add_factor(BetweenSe2::new(b, c, step), None, None).unwrap();
//! let summary = Solver::new(SolverOptions::default()).solve(&mut problem).unwrap();
//! assert!(summary.converged() && summary.final_chi2 < 1e-12);
//! ```
#![warn(missing_docs)]

pub mod autodiff;
pub mod corrupt;
pub mod eval;
pub mod factor;
pub mod fit;
pub mod generate;
pub mod io;
pub mod kernel;
pub mod learn;
pub mod linear;
pub mod loss;
pub mod manifold;
pub mod objective;
pub mod plot;
pub mod problem;
pub mod solver;

/// The types most programs need.
pub mod prelude {
    pub use crate::autodiff::{AdScalar, AutoDiff, AutoDiffResidual};
    pub use crate::factor::{
        Between, BetweenError, BetweenSe2, BetweenSe3, Factor, LinearModel, Prior, PriorSe2,
        PriorSe3,
    };
    pub use crate::kernel::{RobustKernel, L2};
    pub use crate::loss::{Loss, Reduction};
    pub use crate::manifold::{Euclidean, LieGroup, Se2, Se3};
    pub use crate::problem::{Key, Problem, Values};
    pub use crate::solver::{Algorithm, Solver, SolverOptions, Summary, Termination};
}
