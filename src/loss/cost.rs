//! A loss with its targets, as one cost of a [`Problem`](crate::problem::Problem).

use std::sync::Arc;

use super::{Evaluation, Loss, LossError, Targets};

/// Owned targets, kept by a [`LossCost`] for the life of the problem.
///
/// Built from a `Vec<f64>` (one real per output) or a `Vec<i64>` (one class per sample) with
/// `into()`.
#[derive(Clone, Debug, PartialEq)]
pub enum TargetData {
    /// One real target per output: see [`Targets::Values`].
    Values(Vec<f64>),
    /// One class index per sample: see [`Targets::Classes`].
    Classes(Vec<i64>),
}

impl TargetData {
    /// The borrowed form the losses take.
    pub fn as_targets(&self) -> Targets<'_> {
        match self {
            Self::Values(t) => Targets::Values(t),
            Self::Classes(t) => Targets::Classes(t),
        }
    }
}

impl From<Vec<f64>> for TargetData {
    fn from(t: Vec<f64>) -> Self {
        Self::Values(t)
    }
}

impl From<Vec<i64>> for TargetData {
    fn from(t: Vec<i64>) -> Self {
        Self::Classes(t)
    }
}

/// A supervised loss L(z, t) applied to a model's outputs z: the cost of a loss factor (see
/// [`Problem::add_loss`](crate::problem::Problem::add_loss)).
///
/// The targets are checked against the loss when the cost is built, so that during a solve only
/// the model outputs can be invalid (e.g. a probability outside [0, 1]).
#[derive(Clone, Debug)]
pub struct LossCost {
    loss: Arc<dyn Loss>,
    targets: TargetData,
    outputs: usize,
}

impl LossCost {
    /// Pairs `loss` with `targets`; errors if the targets have the wrong kind or are not a whole
    /// number of samples.
    pub fn new(loss: Arc<dyn Loss>, targets: TargetData) -> Result<Self, LossError> {
        let outputs = loss.expected_outputs(targets.as_targets())?;
        Ok(Self {
            loss,
            targets,
            outputs,
        })
    }

    /// The loss.
    pub fn loss(&self) -> &dyn Loss {
        self.loss.as_ref()
    }

    /// The targets.
    pub fn targets(&self) -> &TargetData {
        &self.targets
    }

    /// Number of model outputs z the loss expects for its targets.
    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// L at `outputs`.
    pub fn value(&self, outputs: &[f64]) -> Result<f64, LossError> {
        self.loss.value(outputs, self.targets.as_targets())
    }

    /// L, ∂L/∂z and the PSD curvature at `outputs`.
    pub fn evaluate(&self, outputs: &[f64]) -> Result<Evaluation, LossError> {
        self.loss.evaluate(outputs, self.targets.as_targets())
    }
}
