//! The curvature C that a loss hands to the solver for H += JᵀCJ.

use nalgebra::{DMatrix, DVector};

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
        match self {
            Self::Diagonal(d) | Self::DiagonalPlusRankOne { diagonal: d, .. } => d.len(),
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
        match self {
            Self::Diagonal(d) => d.iter().zip(x).map(|(d, x)| d * x).collect(),
            Self::DiagonalPlusRankOne {
                diagonal,
                block,
                vectors,
                coefficients,
            } => {
                let mut y: Vec<f64> = diagonal.iter().zip(x).map(|(d, x)| d * x).collect();
                for (k, c) in coefficients.iter().enumerate() {
                    let range = k * block..(k + 1) * block;
                    let v = &vectors[range.clone()];
                    let vx: f64 = v.iter().zip(&x[range.clone()]).map(|(a, b)| a * b).sum();
                    for (yi, vi) in y[range].iter_mut().zip(v) {
                        *yi += c * vx * vi;
                    }
                }
                y
            }
        }
    }

    /// C as a dense n × n matrix (for small problems, tests and debugging).
    pub fn to_dense(&self) -> DMatrix<f64> {
        let n = self.dim();
        let mut m = DMatrix::zeros(n, n);
        match self {
            Self::Diagonal(d) => m.set_diagonal(&DVector::from_column_slice(d)),
            Self::DiagonalPlusRankOne {
                diagonal,
                block,
                vectors,
                coefficients,
            } => {
                m.set_diagonal(&DVector::from_column_slice(diagonal));
                for (k, c) in coefficients.iter().enumerate() {
                    let v = DVector::from_column_slice(&vectors[k * block..(k + 1) * block]);
                    let mut view = m.view_mut((k * block, k * block), (*block, *block));
                    view.ger(*c, &v, &v, 1.0);
                }
            }
        }
        m
    }

    /// The solver's Hessian update `hessian += Jᵀ C J` for a dense Jacobian J = ∂z/∂x
    /// (n rows, one per model output; p columns, one per parameter; `hessian` is p × p).
    ///
    /// # Panics
    /// If the shapes disagree.
    pub fn add_jt_c_j(&self, jacobian: &DMatrix<f64>, hessian: &mut DMatrix<f64>) {
        let (n, p) = jacobian.shape();
        assert_eq!(n, self.dim(), "add_jt_c_j: Jacobian rows != curvature dim");
        assert_eq!(hessian.shape(), (p, p), "add_jt_c_j: Hessian must be p × p");
        let diagonal = match self {
            Self::Diagonal(d) | Self::DiagonalPlusRankOne { diagonal: d, .. } => d,
        };
        // Jᵀ·diag(d)·J as one GEMM on the row-scaled Jacobian.
        let mut dj = jacobian.clone();
        for (i, d) in diagonal.iter().enumerate() {
            dj.row_mut(i).scale_mut(*d);
        }
        hessian.gemm_tr(1.0, jacobian, &dj, 1.0);
        if let Self::DiagonalPlusRankOne {
            block,
            vectors,
            coefficients,
            ..
        } = self
        {
            // Each block adds cₖ·uuᵀ with u = Jₖᵀvₖ: a p-vector, so the cost stays O(block·p + p²).
            for (k, c) in coefficients.iter().enumerate() {
                let v = DVector::from_column_slice(&vectors[k * block..(k + 1) * block]);
                let u = jacobian.rows(k * block, *block).tr_mul(&v);
                hessian.ger(*c, &u, &u, 1.0);
            }
        }
    }
}
