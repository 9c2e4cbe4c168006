//! Supervised learning with loss factors: generalised linear models whose outputs feed a
//! [`loss`](crate::loss), seeded synthetic data sets, and the metrics to judge the fits.
//!
//! * [`LinearLink`] is one sample's k scores sᶜ = wᶜ·f + bᶜ passed through a [`Link`] (none,
//!   sigmoid, softmax, log-softmax), written once for any [`AdScalar`](crate::autodiff::AdScalar)
//!   so [`AutoDiff`](crate::autodiff::AutoDiff) gives exact Jacobians; [`Batch`] stacks samples
//!   into one model output, and [`linear_link_model`] does both for a feature matrix. Losses on
//!   probabilities (BCE, Dice, IoU, sparse categorical cross-entropy) need the link inside the
//!   model; losses on logits take [`LinearModel`](crate::factor::LinearModel) directly.
//! * [`imbalanced_binary`], [`gaussian_classes`] and [`blob_image`] generate the data of the
//!   `classification` and `segmentation` examples and of the tests.
//! * `minimise_lbfgs` (feature `argmin`) runs argmin's L-BFGS on a problem's
//!   [`Objective`](crate::objective::Objective), the alternative to Levenberg-Marquardt for
//!   losses whose curvature is only a surrogate or zero.
//! * [`BinaryCounts`] and [`ConfusionMatrix`] give accuracy, precision, recall, F1 (Dice),
//!   IoU and balanced accuracy.
//!
//! ```
//! use rhopt::learn::{imbalanced_binary, BinaryCounts, BinaryOptions};
//! use rhopt::loss::BceWithLogitsLoss;
//! use rhopt::prelude::*;
//!
//! let data = imbalanced_binary(&BinaryOptions::default());
//! // Logistic regression: logits z = [x₁, x₂, 1]·(w₁, w₂, b).
//! let design = data.features.clone().insert_column(2, 1.0);
//! let mut problem = Problem::new();
//! let key = problem.add_variable(Euclidean::<3>::zeros());
//! let model = LinearModel::new(key, design.clone());
//! problem.add_loss(model, BceWithLogitsLoss::new(Reduction::Mean), data.labels.clone())?;
//! Solver::new(SolverOptions::default()).solve(&mut problem)?;
//! let w = nalgebra::DVector::from_column_slice(problem.values().params(key));
//! let logits = &design * w;
//! let counts = BinaryCounts::from_pairs(
//!     logits.iter().zip(&data.labels).map(|(z, t)| (*z >= 0.0, *t >= 0.5)),
//! );
//! assert!(counts.accuracy() > 0.9);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(feature = "argmin")]
mod lbfgs;
mod metrics;
mod model;
mod synthetic;

#[cfg(feature = "argmin")]
pub use lbfgs::{
    minimise, minimise_lbfgs, LbfgsOptions, LbfgsSummary, Method, MinimiseError, Minimised,
};
pub use metrics::{BinaryCounts, ConfusionMatrix};
pub use model::{
    add_weight_decay, centred_softmax_parameters, linear_link_model, predict, Batch, LinearLink,
    Link, ModelError,
};
pub use synthetic::{
    blob_image, gaussian_classes, imbalanced_binary, BinaryOptions, BinarySet, BlobImage,
    BlobOptions, ClassOptions, ClassSet,
};
