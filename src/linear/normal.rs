//! The choice between the sparse and the dense factorisation of the normal equations.

use super::cholesky::{LinearSolverError, SparseCholesky};
use super::dense::DenseCholesky;
use super::pattern::HessianPattern;

/// Largest system dimension that [`LinearSolverKind::Auto`] solves densely. Up to here a dense
/// factorisation is at most 64³/3 ≈ 9·10⁴ multiply-adds, and the solve skips the sparse path's
/// ordering, symbolic analysis and supernode bookkeeping, which dominate for a handful of
/// unknowns; beyond, the sparse path's lower complexity takes over for sparse graphs.
pub const DENSE_MAX_DIM: usize = 64;

/// Which factorisation solves the normal equations (Ceres' `linear_solver_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LinearSolverKind {
    /// Dense up to [`DENSE_MAX_DIM`] unknowns, sparse above (the default).
    #[default]
    Auto,
    /// Sparse Cholesky with a fill-reducing ordering ([`SparseCholesky`]).
    SparseCholesky,
    /// Dense Cholesky ([`DenseCholesky`]); O(n³) per iteration, for small or dense problems.
    DenseCholesky,
}

/// A factorisation of the normal equations of one fixed structure, sparse or dense.
#[derive(Debug)]
pub enum NormalSolver {
    /// Sparse Cholesky (boxed: it is ten times the size of the dense variant's handle).
    Sparse(Box<SparseCholesky>),
    /// Dense Cholesky.
    Dense(DenseCholesky),
}

impl NormalSolver {
    /// Prepares the factorisation of `kind` for `pattern` (`factor_threads` as in
    /// [`SparseCholesky::analyse`]; the dense path is sequential).
    pub fn new(
        pattern: &HessianPattern,
        kind: LinearSolverKind,
        factor_threads: Option<usize>,
    ) -> Result<Self, LinearSolverError> {
        let dense = match kind {
            LinearSolverKind::Auto => pattern.dim <= DENSE_MAX_DIM,
            LinearSolverKind::SparseCholesky => false,
            LinearSolverKind::DenseCholesky => true,
        };
        Ok(if dense {
            Self::Dense(DenseCholesky::new(pattern.dim))
        } else {
            Self::Sparse(Box::new(SparseCholesky::analyse(pattern, factor_threads)?))
        })
    }

    /// Numeric factorisation of the matrix with `pattern`'s structure and these values.
    pub fn factorize(
        &mut self,
        pattern: &HessianPattern,
        values: &[f64],
    ) -> Result<(), LinearSolverError> {
        match self {
            Self::Sparse(s) => s.factorize(pattern, values),
            Self::Dense(d) => d.factorize(pattern, values),
        }
    }

    /// Solves `A x = rhs` in place with the last successful factorisation.
    pub fn solve_in_place(&mut self, rhs: &mut [f64]) {
        match self {
            Self::Sparse(s) => s.solve_in_place(rhs),
            Self::Dense(d) => d.solve_in_place(rhs),
        }
    }
}
