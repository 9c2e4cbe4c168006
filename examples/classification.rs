//! Classification with loss factors: logistic regression on an imbalanced set with BCE and focal
//! losses, and softmax regression with three equivalent cross-entropies.
//!
//! ```sh
//! cargo run --release --example classification [-- --seed S]
//! ```
//!
//! **Binary.** 1000 training samples in the plane, about 8 % positive, the classes two unit
//! Gaussians 2σ apart (they overlap). Logistic regression p = σ(w·x + b) is fitted with
//! BCE on logits, BCE on probabilities (σ inside an autodiff model), BCE with `pos_weight`
//! = N₋/N₊, and sigmoid focal losses; each is scored on 20 000 held-out samples drawn with the
//! next seed, thresholding p at ½. The minority class is the positive one, so its precision,
//! recall and F1 and the balanced accuracy are what tell the losses apart; plain accuracy
//! rewards ignoring it.
//!
//! The focal loss by itself barely moves the boundary here: (1 − p_t)^γ down-weights the easy
//! samples of both classes, and the model is the right one for the data, so BCE and focal γ = 2
//! find nearly the same line. What raises the minority recall is weighting the classes: `pos_weight`,
//! or the focal α = 0.75 (torchvision's default α = 0.25 weights the *majority* up and halves
//! the recall). LM needs more iterations on focal losses than on BCE: their curvature holds the
//! focal factor fixed (see `rhopt::loss`), so each step is a weighted-BCE step.
//!
//! **Multiclass.** Softmax regression on four overlapping Gaussian classes (50/25/15/10 %), with
//! the same maximum-likelihood objective written three ways: cross-entropy on logits (PyTorch
//! `CrossEntropyLoss`, the reference), NLL on a model that outputs log-softmax, and Keras's
//! sparse categorical cross-entropy on a model that outputs softmax probabilities. The last two
//! models are differentiated by `rhopt::autodiff`. Each is solved by LM and by argmin's L-BFGS
//! (iterations, and in brackets the evaluations of F and ∇F). The fits must reach the same loss
//! and held-out probabilities to 10⁻⁶ and the same parameters, up to the softmax's invariance
//! (see `centred_softmax_parameters`), to 10⁻⁵: the minimum is flat, and a solver that stops
//! when the loss no longer changes in its 15th digit leaves the parameters uncertain by
//! √(ε·L/λ_min) ≈ 10⁻⁶. The example fails otherwise. NLL is the exception with LM: its
//! curvature is zero, so LM runs damped gradient descent and stops (or runs out of iterations)
//! short of the optimum; that row is shown but not held to the tolerance.

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use rhopt::factor::LinearModel;
use rhopt::learn::{
    centred_softmax_parameters, gaussian_classes, imbalanced_binary, linear_link_model, minimise,
    predict, BinaryCounts, BinaryOptions, ClassOptions, ConfusionMatrix, Link, Method, Minimised,
};
use rhopt::loss::{
    BceLoss, BceWithLogitsLoss, CrossEntropyLoss, LossCost, NllLoss, SigmoidFocalLoss,
    SparseCategoricalCrossEntropy, TargetData,
};
use rhopt::prelude::*;
use rhopt::problem::VariableKind;

#[macro_use]
mod common;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

const TRAIN: usize = 1000;
const TEST: usize = 20_000;
/// Classes of the multiclass set (`ClassOptions::default()`) and parameters of its softmax
/// regression: 4 × (2 features + bias). Const, because the autodiff models need them at
/// compile time.
const CLASSES: usize = 4;
const SOFTMAX_PARAMS: usize = CLASSES * 3;
/// Largest difference allowed between the softmax fits in loss and held-out probabilities, and
/// in centred parameters (see the module docs).
const AGREEMENT: f64 = 1e-6;
const PARAMETER_AGREEMENT: f64 = 1e-5;
const NLL: &str = "NLL on log-softmax";

fn parse_args() -> std::result::Result<u64, String> {
    let mut seed = 1;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seed" => {
                let value = it.next().ok_or("--seed needs a value")?;
                seed = value
                    .parse()
                    .map_err(|e| format!("--seed {value:?}: {e}"))?;
            }
            other => return Err(format!("unknown argument {other:?} (usage: [--seed S])")),
        }
    }
    Ok(seed)
}

/// Options that run to the optimum: the softmax fits are compared to 10⁻⁶, which the default
/// relative decrease of 10⁻⁶ does not guarantee.
fn tight() -> SolverOptions {
    SolverOptions {
        function_tolerance: 1e-14,
        gradient_tolerance: 1e-12,
        parameter_tolerance: 1e-12,
        max_iterations: 500,
        ..SolverOptions::default()
    }
}

/// One solved fit: what the minimiser reported and the parameters it found.
struct Fit {
    report: Minimised,
    params: Vec<f64>,
}

/// Fits `n` parameters, starting at zero, with one loss factor whose model `model` builds.
fn fit(
    method: Method,
    n: usize,
    model: impl FnOnce(Key, &Values) -> Result<Arc<dyn Factor>>,
    loss: Arc<dyn Loss>,
    targets: TargetData,
) -> Result<Fit> {
    let mut problem = Problem::new();
    let key = problem.add_variable_params(VariableKind::Euclidean(n), &vec![0.0; n]);
    let model = model(key, problem.values())?;
    problem.add_loss_cost(model, Arc::new(LossCost::new(loss, targets)?))?;
    let report = minimise(&mut problem, method, &tight())?;
    Ok(Fit {
        report,
        params: problem.values().params(key).to_vec(),
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Marks a fit that did not converge, and notes why for below the table.
fn flag(name: &str, run: &Fit, notes: &mut Vec<String>) -> &'static str {
    match &run.report.failure {
        None => "",
        Some(why) => {
            notes.push(format!("* {name}: stopped by {why}"));
            " *"
        }
    }
}

fn binary(seed: u64) -> Result<()> {
    let options = |samples, seed| BinaryOptions {
        samples,
        seed,
        ..BinaryOptions::default()
    };
    let train = imbalanced_binary(&options(TRAIN, seed));
    let test = imbalanced_binary(&options(TEST, seed.wrapping_add(1)));
    let (pos, neg) = (train.positives(), TRAIN - train.positives());
    out!(
        "## Logistic regression: {TRAIN} samples ({pos} positive), held-out {TEST} ({} positive)\n",
        test.positives()
    );
    let design = train.features.clone().insert_column(2, 1.0);
    let logits = |k: Key, _: &Values| -> Result<Arc<dyn Factor>> {
        Ok(Arc::new(LinearModel::new(k, design.clone())))
    };
    let sigmoid = |k: Key, v: &Values| -> Result<Arc<dyn Factor>> {
        Ok(Arc::new(linear_link_model::<3, 1>(
            k,
            &train.features,
            Link::Sigmoid,
            v,
        )?))
    };
    let pos_weight = neg as f64 / pos.max(1) as f64;
    let mean = Reduction::Mean;
    let runs: Vec<(String, Result<Fit>)> = vec![
        (
            "BCE on logits".into(),
            Arc::new(BceWithLogitsLoss::new(mean)) as Arc<dyn Loss>,
            false,
        ),
        (
            "BCE on σ (autodiff)".into(),
            Arc::new(BceLoss::new(mean)),
            true,
        ),
        (
            format!("BCE, pos_weight {pos_weight:.1}"),
            Arc::new(BceWithLogitsLoss::new(mean).with_pos_weight(vec![pos_weight])?),
            false,
        ),
        (
            "focal γ=2".into(),
            Arc::new(SigmoidFocalLoss::new(2.0, None, mean)?),
            false,
        ),
        (
            "focal γ=2, α=0.25".into(),
            Arc::new(SigmoidFocalLoss::new(2.0, Some(0.25), mean)?),
            false,
        ),
        (
            "focal γ=2, α=0.75".into(),
            Arc::new(SigmoidFocalLoss::new(2.0, Some(0.75), mean)?),
            false,
        ),
    ]
    .into_iter()
    .map(|(name, loss, on_probabilities)| {
        let targets = TargetData::Values(train.labels.clone());
        let run = if on_probabilities {
            fit(Method::LevenbergMarquardt, 3, sigmoid, loss, targets)
        } else {
            fit(Method::LevenbergMarquardt, 3, logits, loss, targets)
        };
        (name, run)
    })
    .collect();
    out!("| loss | final L | iterations | time (ms) | accuracy | precision₊ | recall₊ | F1₊ | balanced acc. |");
    out!("|---|---|---|---|---|---|---|---|---|");
    let mut notes = Vec::new();
    for (name, run) in runs {
        let run = run.map_err(|e| format!("{name}: {e}"))?;
        let p = predict(&test.features, &run.params, 1, Link::Sigmoid);
        let c = BinaryCounts::from_probabilities(&p, &test.labels, 0.5);
        out!(
            "| {name} | {:.5} | {}{} | {:.1} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
            run.report.final_cost,
            run.report.iterations,
            flag(&name, &run, &mut notes),
            ms(run.report.time),
            c.accuracy(),
            c.precision(),
            c.recall(),
            c.f1(),
            c.balanced_accuracy()
        );
    }
    for note in notes {
        out!("{note}");
    }
    Ok(())
}

fn multiclass(seed: u64) -> Result<()> {
    let options = |samples, seed| ClassOptions {
        samples,
        seed,
        ..ClassOptions::default()
    };
    let train = gaussian_classes(&options(TRAIN, seed));
    let test = gaussian_classes(&options(TEST, seed.wrapping_add(1)));
    if train.classes != CLASSES {
        return Err("the default class set changed: update CLASSES".into());
    }
    out!("\n## Softmax regression: {CLASSES} classes (50/25/15/10 %), {TRAIN} samples, held-out {TEST}\n");
    let k = CLASSES;
    let link = |link: Link| {
        let features = &train.features;
        move |key: Key, v: &Values| -> Result<Arc<dyn Factor>> {
            Ok(Arc::new(linear_link_model::<SOFTMAX_PARAMS, CLASSES>(
                key, features, link, v,
            )?))
        }
    };
    let targets = || TargetData::Classes(train.labels.clone());
    let mean = Reduction::Mean;
    let mut runs = Vec::new();
    for method in [Method::LevenbergMarquardt, Method::Lbfgs] {
        let logits = |key, _: &Values| -> Result<Arc<dyn Factor>> {
            Ok(Arc::new(LinearModel::multiclass(key, &train.features, k)))
        };
        let ce = Arc::new(CrossEntropyLoss::new(k, mean)?);
        let nll = Arc::new(NllLoss::new(k, mean)?);
        let scce = Arc::new(SparseCategoricalCrossEntropy::new(k, mean)?);
        let n = SOFTMAX_PARAMS;
        runs.push((
            "cross-entropy on logits",
            method,
            fit(method, n, logits, ce, targets())?,
        ));
        runs.push((
            NLL,
            method,
            fit(method, n, link(Link::LogSoftmax), nll, targets())?,
        ));
        runs.push((
            "sparse CE on softmax",
            method,
            fit(method, n, link(Link::Softmax), scce, targets())?,
        ));
    }
    out!("| loss | solver | final L | iterations | time (ms) | accuracy | balanced acc. | macro F1 | recall of class 3 (10 %) |");
    out!("|---|---|---|---|---|---|---|---|---|");
    let probabilities: Vec<Vec<f64>> = runs
        .iter()
        .map(|(_, _, run)| predict(&test.features, &run.params, k, Link::Softmax))
        .collect();
    let mut notes = Vec::new();
    for ((name, method, run), p) in runs.iter().zip(&probabilities) {
        let predicted = p.chunks(k).map(|row| {
            (0..k)
                .max_by(|a, b| row[*a].total_cmp(&row[*b]))
                .unwrap_or(0)
        });
        let matrix =
            ConfusionMatrix::from_pairs(k, predicted.zip(test.labels.iter().map(|t| *t as usize)));
        let label = format!("{name}, {}", method.name());
        out!(
            "| {name} | {} | {:.8} | {}{} | {:.1} | {:.3} | {:.3} | {:.3} | {:.3} |",
            method.name(),
            run.report.final_cost,
            run.report.iterations,
            flag(&label, run, &mut notes),
            ms(run.report.time),
            matrix.accuracy(),
            matrix.balanced_accuracy(),
            matrix.macro_f1(),
            matrix.one_vs_rest(3).recall()
        );
    }
    for note in notes {
        out!("{note}");
    }

    out!("\nAgreement with cross-entropy on logits solved by LM (loss and p within {AGREEMENT:e}, centred parameters within {PARAMETER_AGREEMENT:e}, † excepted):\n");
    out!("| loss | solver | \\|ΔL\\| | max \\|Δ centred parameter\\| | max \\|Δp\\| held-out |");
    out!("|---|---|---|---|---|");
    let reference = &runs[0].2;
    let centred = centred_softmax_parameters(&reference.params, k);
    let mut failures = Vec::new();
    for ((name, method, run), p) in runs.iter().zip(&probabilities).skip(1) {
        let d_loss = (run.report.final_cost - reference.report.final_cost).abs();
        let d_params = max_abs_diff(&centred_softmax_parameters(&run.params, k), &centred);
        let d_p = max_abs_diff(p, &probabilities[0]);
        // NLL's curvature is zero, so LM's normal equations hold nothing but its damping: it
        // runs damped gradient descent, whose decrease per step gets tiny long before the
        // parameters are within 10⁻⁵, and its stopping test fires there.
        let first_order = *name == NLL && *method == Method::LevenbergMarquardt;
        let exempt = first_order || run.report.failure.is_some();
        let mark = if exempt { " †" } else { "" };
        out!(
            "| {name} | {}{mark} | {d_loss:.1e} | {d_params:.1e} | {d_p:.1e} |",
            method.name()
        );
        if !exempt && (d_loss.max(d_p) > AGREEMENT || d_params > PARAMETER_AGREEMENT) {
            failures.push(format!("{name} by {}", method.name()));
        }
    }
    out!("\n† NLL has zero curvature: LM on it is damped gradient descent and stops short of the");
    out!("  optimum. L-BFGS builds its curvature from gradients and gets there.");
    if !failures.is_empty() {
        let which = failures.join(", ");
        return Err(format!("fits disagree with cross-entropy on logits: {which}").into());
    }
    Ok(())
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .fold(0.0, |m: f64, (a, b)| m.max((a - b).abs()))
}

fn main() -> std::process::ExitCode {
    let seed = match parse_args() {
        Ok(seed) => seed,
        Err(e) => {
            eprintln!("classification: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    out!("# Classification with loss factors (seed {seed})\n");
    match binary(seed).and_then(|()| multiclass(seed)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("classification: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
