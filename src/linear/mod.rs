//! Linear algebra of the normal equations: block pattern analysed once, numeric assembly by
//! scatter-add (in parallel, deterministically), sparse Cholesky with a fill-reducing ordering, or dense Cholesky for small
//! problems.

mod assembly;
mod cholesky;
mod dense;
mod normal;
mod ordering;
mod pattern;
mod supernodal_solve;

pub use assembly::AssemblyPlan;
pub use cholesky::{
    LinearSolverError, SparseCholesky, PARALLEL_FACTOR_MIN_NNZ, SUPERNODAL_THRESHOLD,
};
pub use dense::DenseCholesky;
pub use normal::{LinearSolverKind, NormalSolver, DENSE_MAX_DIM};
pub use ordering::block_elimination_positions;
pub use pattern::{BlockTarget, FactorBlocks, GradientTarget, HessianPattern};
