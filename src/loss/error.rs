//! The one error type of the loss module.

use std::fmt;

/// Why a loss could not be built or evaluated.
///
/// Every check happens before any arithmetic, so a loss either returns finite numbers for valid
/// inputs or one of these errors; it never panics on user data.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LossError {
    /// A constructor argument is out of its domain (e.g. Huber δ ≤ 0, a negative class weight).
    InvalidParameter {
        /// The argument's name.
        name: &'static str,
        /// What the argument must satisfy.
        requirement: &'static str,
    },
    /// The loss was given [`Targets::Values`](super::Targets::Values) where it needs
    /// [`Targets::Classes`](super::Targets::Classes), or the other way round.
    WrongTargetKind {
        /// The loss's [`name`](super::Loss::name).
        loss: &'static str,
        /// The kind it needs: `"values"` or `"classes"`.
        expected: &'static str,
    },
    /// The number of targets is not a whole number of samples.
    TargetCount {
        /// Number of targets given.
        found: usize,
        /// The targets must come in groups of this many (one sample).
        multiple_of: usize,
    },
    /// `outputs.len()` differs from [`Loss::expected_outputs`](super::Loss::expected_outputs).
    OutputCount {
        /// The number the loss expects for these targets.
        expected: usize,
        /// The number given.
        found: usize,
    },
    /// One target is invalid (a class out of range, a hinge label other than ±1, a probability
    /// target outside [0, 1], a non-finite value).
    InvalidTarget {
        /// Position in the target slice.
        index: usize,
        /// What the target must satisfy.
        requirement: &'static str,
    },
    /// One model output is invalid (e.g. a probability outside [0, 1] for a loss on
    /// probabilities, as PyTorch's `BCELoss` also refuses).
    InvalidOutput {
        /// Position in the output slice.
        index: usize,
        /// What the output must satisfy.
        requirement: &'static str,
    },
}

impl fmt::Display for LossError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidParameter { name, requirement } => {
                write!(f, "invalid loss parameter `{name}`: must be {requirement}")
            }
            Self::WrongTargetKind { loss, expected } => {
                write!(f, "loss `{loss}` needs {expected} targets")
            }
            Self::TargetCount { found, multiple_of } => write!(
                f,
                "{found} targets is not a whole number of samples of {multiple_of}"
            ),
            Self::OutputCount { expected, found } => {
                write!(f, "expected {expected} model outputs, got {found}")
            }
            Self::InvalidTarget { index, requirement } => {
                write!(f, "target {index} is invalid: must be {requirement}")
            }
            Self::InvalidOutput { index, requirement } => {
                write!(f, "model output {index} is invalid: must be {requirement}")
            }
        }
    }
}

impl std::error::Error for LossError {}
