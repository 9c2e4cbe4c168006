//! Dense Cholesky of the normal equations, for problems small enough that sparse analysis costs
//! more than it saves (a curve with three parameters, a small classifier).

use super::cholesky::LinearSolverError;
use super::pattern::HessianPattern;

/// An in-place dense LLᵀ factorisation of a fixed dimension; all storage is allocated once.
#[derive(Debug, Clone)]
pub struct DenseCholesky {
    dim: usize,
    /// Column-major `dim × dim`; the lower triangle holds L after [`DenseCholesky::factorize`].
    factor: Vec<f64>,
}

impl DenseCholesky {
    /// Storage for matrices of dimension `dim`.
    pub fn new(dim: usize) -> Self {
        Self {
            dim,
            factor: vec![0.0; dim * dim],
        }
    }

    /// Factorises the symmetric matrix whose lower triangle is given in CSC form by `pattern`
    /// and `values` (the layout the solver assembles into).
    pub fn factorize(
        &mut self,
        pattern: &HessianPattern,
        values: &[f64],
    ) -> Result<(), LinearSolverError> {
        let n = self.dim;
        debug_assert_eq!(pattern.dim, n);
        let a = &mut self.factor;
        a.fill(0.0);
        // Upper entry (i, j), i ≤ j, becomes lower entry (j, i): column i, row j.
        pattern.for_each_upper(values, |i, j, v| a[i * n + j] = v);
        // Left-looking column Cholesky: column j of L from A's column j minus the earlier
        // columns' contributions. H + λD is positive definite whenever LM damping is on, so no
        // pivoting is needed; a non-positive pivot reports the matrix as not PD.
        for j in 0..n {
            for k in 0..j {
                let ljk = a[k * n + j];
                if ljk != 0.0 {
                    for i in j..n {
                        a[j * n + i] -= a[k * n + i] * ljk;
                    }
                }
            }
            let pivot = a[j * n + j];
            if pivot.is_nan() || pivot <= 0.0 {
                return Err(LinearSolverError::NotPositiveDefinite { pivot: j });
            }
            let root = pivot.sqrt();
            for i in j..n {
                a[j * n + i] /= root;
            }
        }
        Ok(())
    }

    /// Solves `A x = rhs` in place with the last successful factorisation.
    pub fn solve_in_place(&self, rhs: &mut [f64]) {
        let (n, l) = (self.dim, &self.factor);
        // L y = rhs, column by column.
        for j in 0..n {
            rhs[j] /= l[j * n + j];
            let yj = rhs[j];
            for i in j + 1..n {
                rhs[i] -= l[j * n + i] * yj;
            }
        }
        // Lᵀ x = y, row j of Lᵀ is column j of L.
        for j in (0..n).rev() {
            let dot: f64 = (j + 1..n).map(|i| l[j * n + i] * rhs[i]).sum();
            rhs[j] = (rhs[j] - dot) / l[j * n + j];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::{DMatrix, DVector};

    /// A pattern with one block of the whole dimension, so every lower entry is stored.
    fn full_pattern(n: usize) -> HessianPattern {
        let blocks = [(Some(0), n)];
        HessianPattern::analyse(&[n], std::iter::once(&blocks[..]))
    }

    fn stored_values(pattern: &HessianPattern, a: &DMatrix<f64>) -> Vec<f64> {
        // With one full block, the CSC stores column j's rows j..n in order.
        let n = pattern.dim;
        (0..n)
            .flat_map(|j| (j..n).map(move |i| a[(i, j)]))
            .collect()
    }

    #[test]
    fn solves_a_random_spd_system_like_nalgebra() {
        let n = 7;
        let m = DMatrix::from_fn(n, n, |i, j| ((i * 7 + j * 3) % 11) as f64 / 11.0 - 0.4);
        let a = &m * m.transpose() + DMatrix::identity(n, n);
        let b = DVector::from_fn(n, |i, _| i as f64 - 2.5);
        let pattern = full_pattern(n);
        let mut chol = DenseCholesky::new(n);
        chol.factorize(&pattern, &stored_values(&pattern, &a))
            .unwrap();
        let mut x = b.as_slice().to_vec();
        chol.solve_in_place(&mut x);
        let expected = a.cholesky().unwrap().solve(&b);
        for (x, e) in x.iter().zip(expected.iter()) {
            assert!((x - e).abs() < 1e-12, "{x} vs {e}");
        }
    }

    #[test]
    fn reports_an_indefinite_matrix() {
        let a = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 2.0, 1.0]);
        let pattern = full_pattern(2);
        let mut chol = DenseCholesky::new(2);
        assert!(matches!(
            chol.factorize(&pattern, &stored_values(&pattern, &a)),
            Err(LinearSolverError::NotPositiveDefinite { pivot: 1 })
        ));
    }
}
