//! Generalised linear models for loss factors: per-sample residuals written once for any
//! [`AdScalar`] and a [`Batch`] factor that stacks them into one model output.

use nalgebra::{DMatrix, DMatrixView};

use crate::autodiff::{AdScalar, AutoDiff, AutoDiffError, AutoDiffResidual};
use crate::factor::{Factor, Jacobians, LinearModel};
use crate::loss::{LossError, MseLoss, Reduction};
use crate::problem::{Key, Problem, ProblemError, Values, VariableKind};

/// What a [`LinearLink`] applies to its k linear scores sᶜ = wᶜ·f + bᶜ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Link {
    /// The scores themselves (logits), for losses on logits; the same outputs as
    /// [`LinearModel`](crate::factor::LinearModel), which needs no autodiff.
    Identity,
    /// σ(sᶜ) elementwise: probabilities for [`BceLoss`](crate::loss::BceLoss) and the overlap
    /// losses (k = 1 for one binary output per sample).
    Sigmoid,
    /// softmax(s): class probabilities for
    /// [`SparseCategoricalCrossEntropy`](crate::loss::SparseCategoricalCrossEntropy).
    Softmax,
    /// log-softmax(s): log-probabilities for [`NllLoss`](crate::loss::NllLoss).
    LogSoftmax,
}

/// The outputs of one sample of a generalised linear model: k scores sᶜ = wᶜ·f + bᶜ of the
/// sample's d features f, passed through a [`Link`].
///
/// Its variable is one Euclidean vector holding the k × (d + 1) matrix [W | b] row-major (class
/// by class, bias last), the layout of
/// [`LinearModel::multiclass`](crate::factor::LinearModel::multiclass), so parameters can be
/// compared between the two. Wrap it in [`AutoDiff`] for exact Jacobians, and stack the samples
/// with [`Batch`] (or let [`linear_link_model`] do both).
#[derive(Clone, Debug, PartialEq)]
pub struct LinearLink {
    key: [Key; 1],
    features: Vec<f64>,
    outputs: usize,
    link: Link,
}

impl LinearLink {
    /// One sample with `features` (d values) and `outputs` ≥ 1 scores, for the variable `key`
    /// of `outputs · (d + 1)` entries ([`parameter_count`](Self::parameter_count)).
    /// [`linear_link_model`] checks that count; [`AutoDiff::new`] alone only checks that its
    /// `N` is the variable's size, and evaluating a sample whose variable is too short panics.
    pub fn new(key: Key, features: Vec<f64>, outputs: usize, link: Link) -> Self {
        Self {
            key: [key],
            features,
            outputs,
            link,
        }
    }

    /// Number of parameters its variable must have: outputs · (d + 1).
    pub fn parameter_count(&self) -> usize {
        self.outputs * (self.features.len() + 1)
    }
}

impl AutoDiffResidual for LinearLink {
    fn keys(&self) -> &[Key] {
        &self.key
    }

    fn residual_dim(&self) -> usize {
        self.outputs
    }

    fn residual<T: AdScalar>(&self, params: &[&[T]], out: &mut [T]) {
        let row = self.features.len() + 1;
        for (c, s) in out.iter_mut().enumerate() {
            let w = &params[0][c * row..(c + 1) * row];
            *s = self
                .features
                .iter()
                .zip(w)
                .fold(w[row - 1], |acc, (f, w)| acc + *w * *f);
        }
        match self.link {
            Link::Identity => {}
            Link::Sigmoid => out.iter_mut().for_each(|s| *s = sigmoid(*s)),
            Link::Softmax | Link::LogSoftmax => {
                // Shift by the largest score's value (a constant: derivatives are unchanged) so
                // no exponential overflows.
                let max = out.iter().map(|s| s.re()).fold(f64::NEG_INFINITY, f64::max);
                let sum = out.iter().fold(T::zero(), |acc, s| acc + (*s - max).exp());
                if self.link == Link::Softmax {
                    out.iter_mut().for_each(|s| *s = (*s - max).exp() / sum);
                } else {
                    let log_sum = sum.ln() + max;
                    out.iter_mut().for_each(|s| *s -= log_sum);
                }
            }
        }
    }
}

/// σ(s) taking only e^{−|s|}: 1/(1 + e^{−s}) overflows for s ≪ 0, and its dual part becomes
/// ∞/∞ = NaN there.
fn sigmoid<T: AdScalar>(s: T) -> T {
    if s.re() >= 0.0 {
        T::one() / (T::one() + (-s).exp())
    } else {
        let e = s.exp();
        e / (T::one() + e)
    }
}

/// Why a [`Batch`], a [`linear_link_model`] or a learning problem could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// A batch needs at least one sample.
    #[error("a batch needs at least one sample")]
    EmptyBatch,
    /// Every sample of a batch must read the same variables, in the same order.
    #[error("sample {sample} reads variables {found:?} but sample 0 reads {expected:?}")]
    MixedKeys {
        /// Index of the offending sample.
        sample: usize,
        /// The keys of sample 0.
        expected: Vec<usize>,
        /// The keys of the offending sample.
        found: Vec<usize>,
    },
    /// The variable does not have outputs · (features + 1) entries.
    #[error("variable {key} is {kind:?} but the model needs Euclidean({expected})")]
    ParameterCount {
        /// The variable.
        key: usize,
        /// Its kind.
        kind: VariableKind,
        /// outputs · (features + 1).
        expected: usize,
    },
    /// [`AutoDiff::new`] refused the per-sample residual.
    #[error(transparent)]
    AutoDiff(#[from] AutoDiffError),
    /// The problem refused a factor.
    #[error(transparent)]
    Problem(#[from] ProblemError),
    /// A loss refused its parameters or targets.
    #[error(transparent)]
    Loss(#[from] LossError),
}

/// One factor whose output is the concatenation of the outputs of per-sample factors on the
/// same variables, with their Jacobians stacked the same way: the model of a loss factor over a
/// whole data set, whose loss (and its reduction) then sees every sample at once.
///
/// A batch costs what its samples cost (one dual-number pass each for [`AutoDiff`] samples)
/// plus copying their Jacobian rows into place.
#[derive(Clone, Debug)]
pub struct Batch<F> {
    keys: Vec<Key>,
    samples: Vec<F>,
    /// First output row of each sample, and the total as the last entry.
    rows: Vec<usize>,
}

impl<F: Factor> Batch<F> {
    /// Stacks `samples`; errors if there are none or they read different variables.
    pub fn new(samples: Vec<F>) -> Result<Self, ModelError> {
        let keys = samples
            .first()
            .ok_or(ModelError::EmptyBatch)?
            .keys()
            .to_vec();
        let indices = |k: &[Key]| k.iter().map(|k| k.0).collect::<Vec<_>>();
        let mut rows = Vec::with_capacity(samples.len() + 1);
        rows.push(0);
        for (i, sample) in samples.iter().enumerate() {
            if sample.keys() != keys.as_slice() {
                return Err(ModelError::MixedKeys {
                    sample: i,
                    expected: indices(&keys),
                    found: indices(sample.keys()),
                });
            }
            rows.push(rows[i] + sample.residual_dim());
        }
        Ok(Self {
            keys,
            samples,
            rows,
        })
    }

    /// The per-sample factors.
    pub fn samples(&self) -> &[F] {
        &self.samples
    }
}

impl<F: Factor> Factor for Batch<F> {
    fn keys(&self) -> &[Key] {
        &self.keys
    }

    fn residual_dim(&self) -> usize {
        self.rows[self.rows.len() - 1]
    }

    fn validate(&self, values: &Values) -> Result<(), String> {
        // Samples of one batch are of one construction; the first speaks for the others.
        self.samples[0].validate(values)
    }

    fn evaluate(&self, values: &Values, residual: &mut [f64], jacobians: Option<&mut Jacobians>) {
        let Some(jacobians) = jacobians else {
            for (sample, rows) in self.samples.iter().zip(self.rows.windows(2)) {
                sample.evaluate(values, &mut residual[rows[0]..rows[1]], None);
            }
            return;
        };
        // A sample's rows are not contiguous in the column-major batch Jacobian, so each
        // sample writes into a small buffer of its own layout, copied block by block.
        let mut offsets = vec![0];
        for key in &self.keys {
            offsets.push(offsets[offsets.len() - 1] + values.kind(*key).dof());
        }
        let mut buffer = Vec::new();
        for (sample, rows) in self.samples.iter().zip(self.rows.windows(2)) {
            let d = rows[1] - rows[0];
            buffer.clear();
            buffer.resize(d * offsets[offsets.len() - 1], 0.0);
            let mut local = Jacobians::new(&mut buffer, d, &offsets);
            sample.evaluate(values, &mut residual[rows[0]..rows[1]], Some(&mut local));
            for k in 0..self.keys.len() {
                let (c0, c1) = (offsets[k], offsets[k + 1]);
                let source = DMatrixView::from_slice(&buffer[c0 * d..c1 * d], d, c1 - c0);
                let mut block = jacobians.block_mut(k);
                block.rows_mut(rows[0], d).copy_from(&source);
            }
        }
    }
}

/// A generalised linear model over a data set: one [`LinearLink`] per row of `features`
/// (N × d), each with `K` outputs and differentiated by [`AutoDiff`] with `N_PARAMS` =
/// K · (d + 1) parameters, stacked in a [`Batch`] whose N·K outputs come sample-major with the
/// output index fastest (the layout the class losses take).
///
/// `key` must be a Euclidean variable of K · (d + 1) entries in `values`.
///
/// ```
/// use nalgebra::{DMatrix, DMatrixView};
/// use rhopt::learn::{linear_link_model, Link};
/// use rhopt::loss::{NllLoss, Reduction};
/// use rhopt::prelude::*;
/// use rhopt::problem::VariableKind;
///
/// // Softmax regression with log-probability outputs: 2 features, 3 classes, 9 parameters.
/// let features = DMatrix::from_row_slice(4, 2, &[0.0, 0.1, 1.2, 0.4, 0.3, 1.5, 1.0, 1.0]);
/// let mut problem = Problem::new();
/// let key = problem.add_variable_params(VariableKind::Euclidean(9), &[0.0; 9]);
/// let model = linear_link_model::<9, 3>(key, &features, Link::LogSoftmax, problem.values())?;
/// let nll = NllLoss::new(3, Reduction::Mean)?;
/// problem.add_loss(model, nll, vec![0_i64, 1, 2, 1])?;
/// // At zero weights every class has probability 1/3: NLL = ln 3.
/// let summary = Solver::new(SolverOptions::default()).solve(&mut problem)?;
/// assert!((summary.initial_cost - 3f64.ln()).abs() < 1e-12);
/// assert!(summary.final_cost < summary.initial_cost);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn linear_link_model<const N_PARAMS: usize, const K: usize>(
    key: Key,
    features: &DMatrix<f64>,
    link: Link,
    values: &Values,
) -> Result<Batch<AutoDiff<LinearLink, N_PARAMS, K>>, ModelError> {
    let expected = K * (features.ncols() + 1);
    if key.0 < values.len() && values.kind(key) != VariableKind::Euclidean(expected) {
        return Err(ModelError::ParameterCount {
            key: key.0,
            kind: values.kind(key),
            expected,
        });
    }
    let samples = features
        .row_iter()
        .map(|row| {
            let sample = LinearLink::new(key, row.iter().copied().collect(), K, link);
            AutoDiff::new(sample, values)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Batch::new(samples)
}

/// The outputs of the model [`LinearLink`] describes for every row of `features` (N × d), at the
/// parameters `params` (k · (d + 1) values, [W | b] row-major): N·k values, sample-major with the
/// output index fastest. For predictions on held-out data after a fit.
///
/// # Panics
/// If `params.len()` is not `outputs · (d + 1)`.
///
/// ```
/// use nalgebra::DMatrix;
/// use rhopt::learn::{predict, Link};
/// let features = DMatrix::from_row_slice(2, 1, &[0.0, 2.0]);
/// // One output: p = σ(1.5·f − 3).
/// let p = predict(&features, &[1.5, -3.0], 1, Link::Sigmoid);
/// assert!((p[0] - 1.0 / (1.0 + 3f64.exp())).abs() < 1e-15 && p[1] == 0.5);
/// ```
pub fn predict(features: &DMatrix<f64>, params: &[f64], outputs: usize, link: Link) -> Vec<f64> {
    let d = features.ncols();
    assert_eq!(
        params.len(),
        outputs * (d + 1),
        "predict: expected outputs · (features + 1) parameters"
    );
    let mut out = vec![0.0; features.nrows() * outputs];
    for (i, row) in features.row_iter().enumerate() {
        let sample = LinearLink::new(Key(0), row.iter().copied().collect(), outputs, link);
        sample.residual::<f64>(&[params], &mut out[i * outputs..(i + 1) * outputs]);
    }
    out
}

/// Softmax-regression parameters [W | b] (k rows of d + 1, row-major) with the mean row
/// subtracted from every row.
///
/// softmax(s) is unchanged when the same vector is added to every class's row, so the optimum
/// of a softmax-regression loss is a line, not a point, and where on it a solver stops depends
/// on its path. Centred parameters are the point of that line closest to the origin: compare
/// these between fits.
///
/// # Panics
/// If `params.len()` is not a multiple of `classes`.
pub fn centred_softmax_parameters(params: &[f64], classes: usize) -> Vec<f64> {
    assert!(
        classes > 0 && params.len().is_multiple_of(classes),
        "centred_softmax_parameters: not k rows"
    );
    let row = params.len() / classes;
    let mean: Vec<f64> = (0..row)
        .map(|j| (0..classes).map(|c| params[c * row + j]).sum::<f64>() / classes as f64)
        .collect();
    params
        .iter()
        .enumerate()
        .map(|(i, p)| p - mean[i % row])
        .collect()
}

/// Adds weight decay (an L2 penalty) on some entries of a Euclidean variable:
/// `strength` · Σⱼ xⱼ² over the `penalised` indices, as one more factor of `problem` (an
/// [`MseLoss`] with [`Reduction::Sum`] on the selected entries scaled by √strength, so the
/// penalty is exactly quadratic and its curvature exact). Returns the factor's index.
///
/// Leave the biases out: they set where the decision boundary lies, not how sharp it is.
///
/// # Errors
/// If `strength` is not finite and ≥ 0, an index is out of range, or `key` is not a
/// Euclidean variable of the problem.
///
/// ```
/// use rhopt::learn::add_weight_decay;
/// use rhopt::prelude::*;
/// let mut problem = Problem::new();
/// let key = problem.add_variable(Euclidean::<3>::from([1.0, 2.0, 5.0]));
/// add_weight_decay(&mut problem, key, &[0, 1], 0.5)?;
/// // 0.5 · (1² + 2²) (up to rounding of √0.5); the bias (entry 2) is not penalised.
/// let summary = Solver::new(SolverOptions::default()).solve(&mut problem)?;
/// assert!((summary.initial_cost - 2.5).abs() < 1e-14);
/// // Only the bias is left as it was.
/// assert!(problem.values().params(key)[..2].iter().all(|w| w.abs() < 1e-6));
/// assert_eq!(problem.values().params(key)[2], 5.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn add_weight_decay(
    problem: &mut Problem,
    key: Key,
    penalised: &[usize],
    strength: f64,
) -> Result<usize, ModelError> {
    if !(strength.is_finite() && strength >= 0.0) {
        return Err(LossError::InvalidParameter {
            name: "strength",
            requirement: "finite and ≥ 0",
        }
        .into());
    }
    let params = match (key.0 < problem.values().len()).then(|| problem.values().kind(key)) {
        Some(VariableKind::Euclidean(n)) => n,
        kind => {
            return Err(ProblemError::BadFactor {
                factor: problem.factors().len(),
                reason: format!("weight decay needs a Euclidean variable, not {kind:?}"),
            }
            .into())
        }
    };
    if let Some(j) = penalised.iter().find(|j| **j >= params) {
        return Err(ProblemError::BadFactor {
            factor: problem.factors().len(),
            reason: format!("weight decay on entry {j} of a variable of {params}"),
        }
        .into());
    }
    let mut design = DMatrix::zeros(penalised.len(), params);
    for (row, j) in penalised.iter().enumerate() {
        design[(row, *j)] = strength.sqrt();
    }
    let targets = vec![0.0; penalised.len()];
    Ok(problem.add_loss(
        LinearModel::new(key, design),
        MseLoss::new(Reduction::Sum),
        targets,
    )?)
}
