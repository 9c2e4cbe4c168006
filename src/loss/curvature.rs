//! The curvature C that a loss hands to the solver for H += JᵀCJ.

use std::ops::Range;

use nalgebra::{DMatrix, DMatrixView, DMatrixViewMut, DVector};

/// A symmetric positive semi-definite matrix C (n × n, n = number of model outputs) in a form
/// whose congruence JᵀCJ costs O(n·p²) for a Jacobian J with p columns, never O(n²).
///
/// No loss in this module couples outputs of different samples, and within a sample the
/// coupling is at most "diagonal plus rank one", so two forms cover every loss:
///
/// * [`Curvature::Diagonal`] for elementwise losses;
/// * [`Curvature::DiagonalPlusRankOne`] for losses that couple the outputs of one sample:
///   softmax cross-entropy (diag(p) − ppᵀ, coefficient < 0) and the overlap losses (Dice, IoU,
///   generalised Dice: a rank-one positive part, zero diagonal, coefficient ≥ 0).
///
/// The producer guarantees PSD (every loss here is tested for it); the methods below do not
/// re-check it. The fields are public so a solver can exploit the structure directly; the
/// methods assume they are consistent (lengths as documented).
#[derive(Clone, Debug, PartialEq)]
pub enum Curvature {
    /// C = diag(d).
    Diagonal(Vec<f64>),
    /// C = diag(d) + blockdiag(c₀v₀v₀ᵀ, c₁v₁v₁ᵀ, …): block k covers outputs
    /// `k·block .. (k+1)·block`, its vector vₖ is `vectors[k·block .. (k+1)·block]` and its
    /// coefficient cₖ is `coefficients[k]`. So `diagonal.len() == vectors.len() ==
    /// block · coefficients.len()`.
    DiagonalPlusRankOne {
        /// The diagonal d, one entry per output.
        diagonal: Vec<f64>,
        /// Outputs per block (one sample).
        block: usize,
        /// The blocks' vectors vₖ, concatenated.
        vectors: Vec<f64>,
        /// One coefficient cₖ per block; negative for softmax cross-entropy, where the diagonal
        /// dominates.
        coefficients: Vec<f64>,
    },
}

impl Curvature {
    /// The dimension n (number of model outputs).
    pub fn dim(&self) -> usize {
        self.diagonal().len()
    }

    /// The rank-one blocks cₖvₖvₖᵀ as (rows of block k, vₖ, cₖ); none for a diagonal C.
    fn rank_one_blocks(&self) -> impl Iterator<Item = (Range<usize>, &[f64], f64)> {
        let (block, vectors, coefficients): (usize, &[f64], &[f64]) = match self {
            Self::Diagonal(_) => (1, &[], &[]),
            Self::DiagonalPlusRankOne {
                block,
                vectors,
                coefficients,
                ..
            } => (*block, vectors, coefficients),
        };
        coefficients.iter().enumerate().map(move |(k, &c)| {
            let rows = k * block..(k + 1) * block;
            (rows.clone(), &vectors[rows], c)
        })
    }

    /// The diagonal d, one entry per output (both forms have one).
    pub fn diagonal(&self) -> &[f64] {
        match self {
            Self::Diagonal(d) | Self::DiagonalPlusRankOne { diagonal: d, .. } => d,
        }
    }

    /// Multiplies C by `factor` (the reduction's 1/denominator). A non-negative factor keeps C
    /// PSD.
    pub fn scale(&mut self, factor: f64) {
        match self {
            Self::Diagonal(d) => d.iter_mut().for_each(|x| *x *= factor),
            Self::DiagonalPlusRankOne {
                diagonal,
                coefficients,
                ..
            } => {
                // Scaling the coefficients rather than the vectors keeps vₖ exactly as produced.
                diagonal.iter_mut().for_each(|x| *x *= factor);
                coefficients.iter_mut().for_each(|x| *x *= factor);
            }
        }
    }

    /// The product C·x.
    ///
    /// # Panics
    /// If `x.len() != self.dim()`.
    pub fn mul_vec(&self, x: &[f64]) -> Vec<f64> {
        assert_eq!(x.len(), self.dim(), "Curvature::mul_vec: length mismatch");
        let mut y: Vec<f64> = self.diagonal().iter().zip(x).map(|(d, x)| d * x).collect();
        for (rows, v, c) in self.rank_one_blocks() {
            let vx: f64 = v.iter().zip(&x[rows.clone()]).map(|(a, b)| a * b).sum();
            for (yi, vi) in y[rows].iter_mut().zip(v) {
                *yi += c * vx * vi;
            }
        }
        y
    }

    /// C as a dense n × n matrix (for small problems, tests and debugging).
    pub fn to_dense(&self) -> DMatrix<f64> {
        let n = self.dim();
        let mut m = DMatrix::zeros(n, n);
        m.set_diagonal(&DVector::from_column_slice(self.diagonal()));
        for (rows, v, c) in self.rank_one_blocks() {
            let v = DVector::from_column_slice(v);
            let mut view = m.view_mut((rows.start, rows.start), (v.len(), v.len()));
            view.ger(c, &v, &v, 1.0);
        }
        m
    }

    /// The product `out = scale · C · J` for a Jacobian J = ∂z/∂x (n rows, one per model output;
    /// p columns), written into `out` (n × p) without allocating: the solver builds its local
    /// Hessian as Jᵀ(CJ) from it.
    ///
    /// # Panics
    /// If the shapes disagree.
    pub fn mul_mat_into(
        &self,
        jacobian: DMatrixView<'_, f64>,
        scale: f64,
        mut out: DMatrixViewMut<'_, f64>,
    ) {
        let (n, p) = jacobian.shape();
        assert_eq!(
            n,
            self.dim(),
            "mul_mat_into: Jacobian rows != curvature dim"
        );
        assert_eq!(out.shape(), (n, p), "mul_mat_into: output must be n × p");
        let diagonal = self.diagonal();
        for c in 0..p {
            for (i, d) in diagonal.iter().enumerate() {
                out[(i, c)] = scale * d * jacobian[(i, c)];
            }
        }
        // Block k adds cₖ vₖ (vₖᵀ Jₖ): one dot product per column, so O(n·p) in all.
        for (rows, v, coefficient) in self.rank_one_blocks() {
            for c in 0..p {
                let vj: f64 = v
                    .iter()
                    .zip(rows.clone())
                    .map(|(v, i)| v * jacobian[(i, c)])
                    .sum();
                let factor = scale * coefficient * vj;
                for (vi, i) in v.iter().zip(rows.clone()) {
                    out[(i, c)] += factor * vi;
                }
            }
        }
    }

    /// The Hessian update `hessian += Jᵀ C J` for a dense Jacobian J = ∂z/∂x (n rows, one per
    /// model output; p columns, one per parameter; `hessian` is p × p). Costs O(n·p²), never
    /// O(n²).
    ///
    /// # Panics
    /// If the shapes disagree.
    pub fn add_jt_c_j(&self, jacobian: &DMatrix<f64>, hessian: &mut DMatrix<f64>) {
        let (n, p) = jacobian.shape();
        assert_eq!(hessian.shape(), (p, p), "add_jt_c_j: Hessian must be p × p");
        let mut cj = DMatrix::zeros(n, p);
        self.mul_mat_into(jacobian.as_view(), 1.0, cj.as_view_mut());
        hessian.gemm_tr(1.0, jacobian, &cj, 1.0);
    }
}
