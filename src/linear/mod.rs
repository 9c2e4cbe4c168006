//! Sparse linear algebra of the normal equations: block pattern analysed once, numeric
//! assembly by scatter-add, sparse Cholesky with a fill-reducing ordering.

mod cholesky;
mod pattern;

pub use cholesky::{LinearSolverError, SparseCholesky, PARALLEL_FACTOR_MIN_NNZ};
pub use pattern::{BlockTarget, FactorBlocks, GradientTarget, HessianPattern};
