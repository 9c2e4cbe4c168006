//! Small problems: the dense and the sparse linear-solver paths on the same solves, to show what
//! `LinearSolverKind::Auto`'s dense path buys below `DENSE_MAX_DIM` unknowns.
//!
//! Run with `cargo bench --bench small`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use nalgebra::DMatrix;
use rhopt::factor::LinearModel;
use rhopt::generate::Rng;
use rhopt::linear::LinearSolverKind;
use rhopt::loss::{CrossEntropyLoss, MseLoss, Reduction};
use rhopt::prelude::*;
use rhopt::problem::VariableKind;

/// Softmax regression: 3 classes, 2 features, 300 samples (9 unknowns).
fn softmax_regression() -> Problem {
    let mut rng = Rng::new(7);
    let samples = 300;
    let mut features = DMatrix::zeros(samples, 2);
    let mut labels = Vec::with_capacity(samples);
    for i in 0..samples {
        let c = rng.below(3);
        features[(i, 0)] = c as f64 + rng.normal();
        features[(i, 1)] = (c % 2) as f64 + rng.normal();
        labels.push(c as i64);
    }
    let mut problem = Problem::new();
    let key = problem.add_variable_params(VariableKind::Euclidean(9), &[0.0; 9]);
    let model = LinearModel::multiclass(key, &features, 3);
    let loss = CrossEntropyLoss::new(3, Reduction::Mean).unwrap();
    problem.add_loss(model, loss, labels).unwrap();
    problem
}

/// A quadratic least-squares fit to 20 points: the 3-parameter curve of the issue.
fn quadratic_fit() -> Problem {
    let mut rng = Rng::new(3);
    let (n, degree) = (20, 3);
    let design = DMatrix::from_fn(n, degree, |i, j| (i as f64 / n as f64).powi(j as i32));
    let targets: Vec<f64> = (0..n)
        .map(|i| (6.0 * i as f64 / n as f64).sin() + 0.05 * rng.normal())
        .collect();
    let mut problem = Problem::new();
    let key = problem.add_variable_params(VariableKind::Euclidean(degree), &[0.0; 3]);
    let model = LinearModel::new(key, design);
    problem
        .add_loss(model, MseLoss::new(Reduction::Sum), targets)
        .unwrap();
    problem
}

fn dense_vs_sparse(c: &mut Criterion) {
    let mut group = c.benchmark_group("small");
    for (name, problem) in [
        ("softmax_regression", softmax_regression()),
        ("quadratic_fit", quadratic_fit()),
    ] {
        for (path, kind) in [
            ("dense", LinearSolverKind::DenseCholesky),
            ("sparse", LinearSolverKind::SparseCholesky),
        ] {
            let options = SolverOptions {
                linear_solver: kind,
                ..SolverOptions::default()
            };
            group.bench_function(format!("{name}/{path}"), |b| {
                b.iter_batched(
                    || problem.clone(),
                    |mut p| Solver::new(options.clone()).solve(&mut p).unwrap(),
                    BatchSize::SmallInput,
                )
            });
        }
    }
    group.finish();
}

criterion_group!(benches, dense_vs_sparse);
criterion_main!(benches);
