//! A linear model z = A·x of one vector variable: the outputs of logistic and softmax
//! regression, for loss factors.

use nalgebra::DMatrix;

use super::{Factor, Jacobians};
use crate::problem::{Key, Values, VariableKind};

/// The model z = A·x of one Euclidean variable x ∈ Rᵖ with a fixed design matrix A (n × p):
/// logits of logistic regression (one row [xᵢᵀ, 1] per sample), of softmax regression (see
/// [`LinearModel::multiclass`]), or any linear least-squares fit. Its "residual" is z itself,
/// so it is meant as the model of a loss factor ([`crate::problem::Problem::add_loss`]); as an
/// ordinary factor it is the cost ‖Ax‖².
///
/// ```
/// use nalgebra::DMatrix;
/// use rhopt::prelude::*;
/// use rhopt::factor::LinearModel;
/// use rhopt::loss::{MseLoss, Reduction};
///
/// // Least-squares line through three points: z = m·x + c.
/// let design = DMatrix::from_row_slice(3, 2, &[0.0, 1.0, 1.0, 1.0, 2.0, 1.0]);
/// let mut problem = Problem::new();
/// let k = problem.add_variable(Euclidean::<2>::zeros());
/// problem
///     .add_loss(LinearModel::new(k, design), MseLoss::new(Reduction::Sum), vec![1.0, 3.0, 5.0])
///     .unwrap();
/// Solver::new(SolverOptions::default()).solve(&mut problem).unwrap();
/// let p = problem.values().params(k);
/// assert!((p[0] - 2.0).abs() < 1e-9 && (p[1] - 1.0).abs() < 1e-9);
/// ```
#[derive(Debug, Clone)]
pub struct LinearModel {
    key: [Key; 1],
    design: DMatrix<f64>,
}

impl LinearModel {
    /// z = `design`·x for the variable `key`, which must be a Euclidean variable with
    /// `design.ncols()` entries.
    pub fn new(key: Key, design: DMatrix<f64>) -> Self {
        Self { key: [key], design }
    }

    /// Softmax regression: k logits per sample, zᵢ꜀ = w꜀·fᵢ + b꜀, for the N × d `features`
    /// (one row per sample). The variable holds the k × (d + 1) matrix [W | b] row-major
    /// (class by class, bias last), and the outputs come sample-major with the class fastest,
    /// as [`crate::loss::CrossEntropyLoss`] takes them.
    pub fn multiclass(key: Key, features: &DMatrix<f64>, classes: usize) -> Self {
        let (samples, d) = features.shape();
        let mut design = DMatrix::zeros(samples * classes, classes * (d + 1));
        for i in 0..samples {
            for c in 0..classes {
                let (row, col) = (i * classes + c, c * (d + 1));
                for j in 0..d {
                    design[(row, col + j)] = features[(i, j)];
                }
                design[(row, col + d)] = 1.0;
            }
        }
        Self::new(key, design)
    }

    /// The design matrix A.
    pub fn design(&self) -> &DMatrix<f64> {
        &self.design
    }
}

impl Factor for LinearModel {
    fn keys(&self) -> &[Key] {
        &self.key
    }

    fn residual_dim(&self) -> usize {
        self.design.nrows()
    }

    fn validate(&self, values: &Values) -> Result<(), String> {
        match values.kind(self.key[0]) {
            VariableKind::Euclidean(p) if p == self.design.ncols() => Ok(()),
            kind => Err(format!(
                "the linear model's design matrix has {} columns but variable {} is {kind:?}",
                self.design.ncols(),
                self.key[0].0
            )),
        }
    }

    fn evaluate(&self, values: &Values, residual: &mut [f64], jacobians: Option<&mut Jacobians>) {
        let x = values.params(self.key[0]);
        for (i, z) in residual.iter_mut().enumerate() {
            *z = self.design.row(i).iter().zip(x).map(|(a, x)| a * x).sum();
        }
        if let Some(j) = jacobians {
            j.block_mut(0).copy_from(&self.design);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::factor::testing::assert_jacobians_match;

    #[test]
    fn jacobian_matches_finite_differences() {
        let features = DMatrix::from_row_slice(3, 2, &[0.5, -1.0, 2.0, 0.3, -0.7, 1.1]);
        let mut values = Values::default();
        let key = values.insert_params(VariableKind::Euclidean(9), &[0.1; 9]);
        let model = LinearModel::multiclass(key, &features, 3);
        assert_eq!(model.residual_dim(), 9);
        assert_jacobians_match(&model, &values, 1e-8);
    }

    #[test]
    fn multiclass_orders_outputs_sample_major() {
        // Two classes, one feature: z = [w₀f + b₀, w₁f + b₁] per sample.
        let features = DMatrix::from_row_slice(2, 1, &[2.0, -1.0]);
        let mut values = Values::default();
        let key = values.insert_params(VariableKind::Euclidean(4), &[1.0, 0.5, -2.0, 3.0]);
        let mut z = [0.0; 4];
        LinearModel::multiclass(key, &features, 2).evaluate(&values, &mut z, None);
        assert_eq!(z, [2.5, -1.0, -0.5, 5.0]);
    }
}
