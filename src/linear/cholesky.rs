//! Sparse Cholesky of the normal equations: symbolic analysis once, numeric refactorisation
//! every iteration into preallocated storage.
//!
//! The matrix arrives already in its fill-reducing elimination order: the blocks of the
//! pattern are numbered by AMD on the block graph ([`super::ordering`]), so the factorisation
//! uses the identity ordering and never permutes the matrix.

use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::linalg::cholesky::llt::factor::LltError;
use faer::linalg::cholesky::llt::factor::LltRegularization;
use faer::sparse::linalg::cholesky::{
    factorize_symbolic_cholesky, CholeskySymbolicParams, LltRef, SymbolicCholesky,
    SymbolicCholeskyRaw, SymmetricOrdering,
};
use faer::sparse::linalg::SupernodalThreshold;
use faer::sparse::{SparseColMatRef, SymbolicSparseColMatRef};
use faer::{Conj, MatMut, Par, Side};

use super::pattern::HessianPattern;
use super::supernodal_solve::SupernodalSolver;

/// Errors of the sparse linear solver.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LinearSolverError {
    /// The matrix is not numerically positive definite (rank deficient or indefinite).
    #[error("the normal equations are not positive definite (pivot {pivot} failed)")]
    NotPositiveDefinite {
        /// Index of the failing pivot in the permuted matrix.
        pivot: usize,
    },
    /// Memory or index-size failure inside the sparse library.
    #[error("sparse factorisation failed: {0}")]
    Internal(String),
}

/// Size of the factor L (stored entries) from which [`SparseCholesky::analyse`] factorises in
/// parallel by default.
pub const PARALLEL_FACTOR_MIN_NNZ: usize = 6_000_000;

/// When faer factorises supernodally: its flops-per-entry-of-L test scaled by this factor
/// (faer's own default is 1).
///
/// The normal equations of a factor graph come in dense blocks of 3 or 6 unknowns, so even a
/// sparse L has supernodes at least that wide, which faer's generic test does not expect.
/// Measured with `cargo bench --bench factorization` (numeric factorisation, one thread):
/// parking-garage 8.4 ms simplicial → 3.3 ms supernodal, manhattanOlson3500 3.2 → 2.3 ms;
/// at 0.25 the tiny, nearly tree-shaped graphs (intel, MIT, ring), where simplicial is still
/// faster, stay simplicial, and graphs faer already sends to the supernodal path stay there.
pub const SUPERNODAL_THRESHOLD: f64 = 0.25;

/// A sparse LLᵀ factorisation whose structure is fixed at construction.
pub struct SparseCholesky {
    symbolic: SymbolicCholesky<usize>,
    l_values: Vec<f64>,
    factor_scratch: MemBuffer,
    solves: TriangularSolves,
    par: Par,
}

/// How the triangular solves run, chosen with faer's layout of the factor.
enum TriangularSolves {
    /// A simplicial factor: faer's solve, with its scratch.
    Faer(MemBuffer),
    /// A supernodal factor: rhopt's own solves.
    Supernodal(SupernodalSolver),
}

impl std::fmt::Debug for SparseCholesky {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SparseCholesky")
            .field("dim", &self.symbolic.nrows())
            .field("factor_nnz", &self.l_values.len())
            .finish()
    }
}

fn internal(e: impl std::fmt::Debug) -> LinearSolverError {
    LinearSolverError::Internal(format!("{e:?}"))
}

impl SparseCholesky {
    /// Computes the symbolic factorisation of `pattern` in its own order, which must be the
    /// elimination order (patterns built by [`crate::solver::Linearizer`] are numbered by
    /// [`super::block_elimination_positions`]); allocates all numeric storage.
    ///
    /// `threads`: `Some(1)` factorises sequentially, `Some(n)` on `n` rayon threads, `None`
    /// decides from the size of the factor: in parallel on the current rayon pool when L has at
    /// least [`PARALLEL_FACTOR_MIN_NNZ`] entries, sequentially below (measured here: on torus3D,
    /// 4.1M entries, two threads were 7 % slower; on sphere2500 with 1000 false loop closures,
    /// 14.3M entries, 1.46× faster). The parallel factorisation may round differently from the
    /// sequential one; `Some(1)` gives results independent of the thread count.
    pub fn analyse(
        pattern: &HessianPattern,
        threads: Option<usize>,
    ) -> Result<Self, LinearSolverError> {
        let n = pattern.dim;
        // faer's symbolic analysis reads its input as the upper triangle whenever it is given
        // no ordering to apply (its `side` argument is ignored then), so it gets the transpose
        // of the stored lower triangle; the numeric factorisation takes the lower values as
        // they are.
        let (col_ptr, row_idx) = transpose_structure(n, &pattern.col_ptr, &pattern.row_idx);
        let upper = SymbolicSparseColMatRef::new_checked(n, n, &col_ptr, None, &row_idx);
        // The pattern's blocks already come in elimination order (see `super::ordering`).
        let symbolic = factorize_symbolic_cholesky(
            upper,
            Side::Upper,
            SymmetricOrdering::Identity,
            CholeskySymbolicParams {
                supernodal_flop_ratio_threshold: SupernodalThreshold(SUPERNODAL_THRESHOLD),
                ..Default::default()
            },
        )
        .map_err(internal)?;
        let l_values = vec![0.0; symbolic.len_val()];
        let par = match threads {
            Some(0 | 1) => Par::Seq,
            Some(n) => Par::rayon(n),
            None if l_values.len() >= PARALLEL_FACTOR_MIN_NNZ
                && rayon::current_num_threads() > 1 =>
            {
                Par::rayon(0)
            }
            None => Par::Seq,
        };
        let factor_req: StackReq =
            symbolic.factorize_numeric_llt_scratch::<f64>(par, Default::default());
        let solves = match symbolic.raw() {
            SymbolicCholeskyRaw::Simplicial(_) => TriangularSolves::Faer(
                MemBuffer::try_new(symbolic.solve_in_place_scratch::<f64>(1, par))
                    .map_err(internal)?,
            ),
            SymbolicCholeskyRaw::Supernodal(s) => {
                TriangularSolves::Supernodal(SupernodalSolver::new(s))
            }
        };
        Ok(Self {
            solves,
            factor_scratch: MemBuffer::try_new(factor_req).map_err(internal)?,
            symbolic,
            l_values,
            par,
        })
    }

    /// Whether faer chose its supernodal factorisation (else the simplicial one); see
    /// [`SUPERNODAL_THRESHOLD`].
    pub fn is_supernodal(&self) -> bool {
        matches!(self.symbolic.raw(), SymbolicCholeskyRaw::Supernodal(_))
    }

    /// Number of stored entries of the factor L.
    pub fn factor_nnz(&self) -> usize {
        self.l_values.len()
    }

    /// Numeric factorisation of the matrix with the analysed pattern and the given values.
    pub fn factorize(
        &mut self,
        pattern: &HessianPattern,
        values: &[f64],
    ) -> Result<(), LinearSolverError> {
        let n = pattern.dim;
        let matrix = SparseColMatRef::new(
            SymbolicSparseColMatRef::new_checked(n, n, &pattern.col_ptr, None, &pattern.row_idx),
            values,
        );
        self.symbolic
            .factorize_numeric_llt::<f64>(
                &mut self.l_values,
                matrix,
                Side::Lower,
                LltRegularization::default(),
                self.par,
                MemStack::new(&mut self.factor_scratch),
                Default::default(),
            )
            .map(|_| ())
            .map_err(|e| match e {
                LltError::NonPositivePivot { index } => {
                    LinearSolverError::NotPositiveDefinite { pivot: index }
                }
            })
    }

    /// Solves `A x = rhs` in place with the last successful factorisation, a supernodal
    /// factor on up to two threads of the current rayon pool (with the same result for any
    /// thread count; see [`SupernodalSolver`]).
    pub fn solve_in_place(&mut self, rhs: &mut [f64]) {
        match (&mut self.solves, self.symbolic.raw()) {
            (TriangularSolves::Supernodal(solver), SymbolicCholeskyRaw::Supernodal(symbolic)) => {
                solver.solve_in_place(symbolic, &self.l_values, rhs)
            }
            (TriangularSolves::Faer(scratch), _) => {
                let n = rhs.len();
                let llt = LltRef::<'_, usize, f64>::new(&self.symbolic, &self.l_values);
                llt.solve_in_place_with_conj(
                    Conj::No,
                    MatMut::from_column_major_slice_mut(rhs, n, 1),
                    self.par,
                    MemStack::new(scratch),
                );
            }
            (TriangularSolves::Supernodal(_), SymbolicCholeskyRaw::Simplicial(_)) => {
                unreachable!("the solves are chosen with the factor's layout in `analyse`")
            }
        }
    }
}

/// The CSC structure of the transpose of the `n × n` matrix with structure (`col_ptr`,
/// `row_idx`), rows sorted within each column.
fn transpose_structure(n: usize, col_ptr: &[usize], row_idx: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let mut counts = vec![0usize; n + 1];
    for &r in row_idx {
        counts[r + 1] += 1;
    }
    for i in 0..n {
        counts[i + 1] += counts[i];
    }
    let transposed_ptr = counts.clone();
    let mut transposed_idx = vec![0usize; row_idx.len()];
    // Columns visited in order, so each transposed column receives its rows sorted.
    for (c, range) in col_ptr.windows(2).enumerate() {
        for &r in &row_idx[range[0]..range[1]] {
            transposed_idx[counts[r]] = c;
            counts[r] += 1;
        }
    }
    (transposed_ptr, transposed_idx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linear::supernodal_solve::is_small_supernode;
    use nalgebra::{DMatrix, DVector};

    /// The symmetric matrix whose lower triangle `values` holds in `pattern`'s storage.
    fn dense_symmetric(pattern: &HessianPattern, values: &[f64]) -> DMatrix<f64> {
        let n = pattern.dim;
        let mut h = DMatrix::zeros(n, n);
        for c in 0..n {
            #[allow(clippy::needless_range_loop)] // p indexes both row_idx and values
            for p in pattern.col_ptr[c]..pattern.col_ptr[c + 1] {
                let r = pattern.row_idx[p];
                h[(r, c)] = values[p];
                h[(c, r)] = values[p];
            }
        }
        h
    }

    /// The pattern and values of H for factors on blocks of 12 unknowns in total: each local
    /// system is MᵀM with a pseudo-random M (positive semidefinite, dense within the factor;
    /// `seed` varies M), and H's diagonal gets 1 more, so H is positive definite.
    fn random_system(
        dims: &[usize],
        factors: &[Vec<(Option<usize>, usize)>],
        seed: usize,
    ) -> (HessianPattern, Vec<f64>) {
        let pattern = HessianPattern::analyse(dims, factors.iter().map(|v| v.as_slice()));
        let mut values = vec![0.0; pattern.nnz()];
        let mut grad = vec![0.0; pattern.dim];
        for k in 0..factors.len() {
            let m = DMatrix::from_fn(12, 12, |i, j| {
                ((i * 13 + j * 7 + k * 5 + seed) % 17) as f64 - 8.0
            });
            let local = m.transpose() * m;
            pattern.scatter(k, local.as_slice(), &[0.0; 12], 12, &mut values, &mut grad);
        }
        for &d in &pattern.diag_pos {
            values[d] += 1.0;
        }
        (pattern, values)
    }

    #[test]
    fn solves_a_block_tridiagonal_system() {
        // A chain of 5 blocks of size 3 (2D poses): H = tridiagonal block Laplacian + I.
        let dims = [3usize; 5];
        let factors: Vec<Vec<(Option<usize>, usize)>> = (0..4)
            .map(|i| vec![(Some(i), 3), (Some(i + 1), 3)])
            .collect();
        let pattern = HessianPattern::analyse(&dims, factors.iter().map(|v| v.as_slice()));
        let local = {
            let i = DMatrix::<f64>::identity(3, 3);
            let mut m = DMatrix::zeros(6, 6);
            m.view_mut((0, 0), (3, 3)).copy_from(&(&i * 2.0));
            m.view_mut((3, 3), (3, 3)).copy_from(&(&i * 2.0));
            m.view_mut((0, 3), (3, 3)).copy_from(&(-&i));
            m.view_mut((3, 0), (3, 3)).copy_from(&(-&i));
            m
        };
        let mut values = vec![0.0; pattern.nnz()];
        let mut grad = vec![0.0; pattern.dim];
        for k in 0..4 {
            pattern.scatter(k, local.as_slice(), &[0.0; 6], 6, &mut values, &mut grad);
        }
        for &d in &pattern.diag_pos {
            values[d] += 1.0;
        }
        let mut chol = SparseCholesky::analyse(&pattern, Some(1)).unwrap();
        chol.factorize(&pattern, &values).unwrap();
        let b = DVector::from_fn(15, |i, _| (i as f64).sin());
        let mut x = b.as_slice().to_vec();
        chol.solve_in_place(&mut x);

        // Dense check: H x = b.
        let h = dense_symmetric(&pattern, &values);
        let residual = &h * DVector::from_vec(x) - b;
        assert!(residual.norm() < 1e-12, "residual {}", residual.norm());
    }

    #[test]
    fn supernodal_solve_matches_dense() {
        // 40 blocks of 6 (3D poses): a chain, whose supernodes are narrow, then a band where
        // each block is linked to the next five, whose supernodes are wide; faer factorises the
        // whole supernodally.
        let dims = [6usize; 40];
        let reach = |i: usize| if i < 20 { 2 } else { 6 };
        let factors: Vec<Vec<(Option<usize>, usize)>> = (0..40)
            .flat_map(|i| {
                (i + 1..(i + reach(i)).min(40)).map(move |j| vec![(Some(i), 6), (Some(j), 6)])
            })
            .collect();
        let (pattern, values) = random_system(&dims, &factors, 0);
        let mut chol = SparseCholesky::analyse(&pattern, Some(1)).unwrap();
        let SymbolicCholeskyRaw::Supernodal(symbolic) = chol.symbolic.raw() else {
            panic!("expected a supernodal factorisation");
        };
        let shapes: Vec<(usize, usize)> = (0..symbolic.n_supernodes())
            .map(|s| {
                let ptr = symbolic.col_ptr_for_row_idx();
                (
                    symbolic.supernode_end()[s] - symbolic.supernode_begin()[s],
                    ptr[s + 1] - ptr[s],
                )
            })
            .collect();
        // Both paths of the supernodal solves are taken.
        assert!(
            shapes.iter().any(|&(w, p)| is_small_supernode(w, p)),
            "{shapes:?}"
        );
        assert!(
            shapes.iter().any(|&(w, p)| !is_small_supernode(w, p)),
            "{shapes:?}"
        );
        chol.factorize(&pattern, &values).unwrap();
        let n = pattern.dim;
        let b = DVector::from_fn(n, |i, _| (i as f64 * 0.7).cos());
        let mut x = b.as_slice().to_vec();
        chol.solve_in_place(&mut x);

        let h = dense_symmetric(&pattern, &values);
        let reference = h.cholesky().unwrap().solve(&b);
        let err = (DVector::from_vec(x) - &reference).amax() / reference.amax();
        assert!(err < 1e-10, "relative error {err:e}");
    }

    #[test]
    fn split_supernodal_solve_matches_dense_on_any_thread_count() {
        // Two chains of 40 blocks of 6, each linked to the next two blocks, meeting in two
        // separator blocks numbered last: the elimination tree has two large subtrees under a
        // small top, which the solves run at once.
        let dims = [6usize; 82];
        let mut factors: Vec<Vec<(Option<usize>, usize)>> = Vec::new();
        for chain in [0, 40] {
            for i in chain..chain + 40 {
                for j in i + 1..(i + 3).min(chain + 40) {
                    factors.push(vec![(Some(i), 6), (Some(j), 6)]);
                }
            }
            factors.push(vec![(Some(chain + 39), 6), (Some(80), 6)]);
            factors.push(vec![(Some(chain), 6), (Some(81), 6)]);
        }
        factors.push(vec![(Some(80), 6), (Some(81), 6)]);
        let (pattern, values) = random_system(&dims, &factors, 3);
        let mut chol = SparseCholesky::analyse(&pattern, Some(1)).unwrap();
        assert!(
            matches!(&chol.solves, TriangularSolves::Supernodal(s) if s.is_split()),
            "the solves must run two groups of subtrees"
        );
        chol.factorize(&pattern, &values).unwrap();
        let n = pattern.dim;
        let b = DVector::from_fn(n, |i, _| (i as f64 * 0.3).sin());
        let h = dense_symmetric(&pattern, &values);
        let reference = h.cholesky().unwrap().solve(&b);
        let mut solutions = Vec::new();
        for threads in [1, 2] {
            let mut x = b.as_slice().to_vec();
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| chol.solve_in_place(&mut x));
            let err = (DVector::from_column_slice(&x) - &reference).amax() / reference.amax();
            assert!(err < 1e-10, "{threads} threads: relative error {err:e}");
            solutions.push(x.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
        }
        assert_eq!(solutions[0], solutions[1], "1 and 2 threads differ");
    }

    #[test]
    fn reports_an_indefinite_matrix() {
        let dims = [1usize, 1];
        let factors = [vec![(Some(0), 1), (Some(1), 1)]];
        let pattern = HessianPattern::analyse(&dims, factors.iter().map(|v| v.as_slice()));
        let mut values = vec![0.0; pattern.nnz()];
        let mut grad = vec![0.0; 2];
        // [[1, 2], [2, 1]] has a negative eigenvalue.
        pattern.scatter(
            0,
            &[1.0, 2.0, 2.0, 1.0],
            &[0.0; 2],
            2,
            &mut values,
            &mut grad,
        );
        let mut chol = SparseCholesky::analyse(&pattern, Some(1)).unwrap();
        assert!(matches!(
            chol.factorize(&pattern, &values),
            Err(LinearSolverError::NotPositiveDefinite { .. })
        ));
    }
}
