//! Criterion benchmarks of whole solves and of each phase of one iteration.
//!
//! Data: a generated Manhattan-world graph (always available) and, when present under
//! `$RHOPT_DATASETS` (default `../shared/datasets`), the six public graphs of the side-by-side
//! comparison.
//! Run with `cargo bench --bench solve`; add `-- iteration` for the phase split only (each
//! graph on one and on two threads: `iteration/<graph>/<threads>t/<phase>`).

mod common;
use common::datasets;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkGroup, Criterion};
use rayon::{ThreadPool, ThreadPoolBuilder};
use rhopt::factor::BetweenError;
use rhopt::io::build_problem;
use rhopt::linear::SparseCholesky;
use rhopt::problem::Problem;
use rhopt::solver::{Linearizer, Solver, SolverOptions, Weighting};
use std::time::{Duration, Instant};

const DATASETS: &[&str] = &[
    "2d/intel.g2o",
    "2d/manhattanOlson3500.g2o",
    "2d/city10000.g2o",
    "3d/sphere2500.g2o",
    "3d/torus3D.g2o",
    "3d/parking-garage.g2o",
];

fn whole_solves(c: &mut Criterion) {
    let mut group = c.benchmark_group("solve");
    group.sample_size(10);
    for (name, graph) in datasets(DATASETS) {
        group.bench_function(&name, |b| {
            b.iter_batched(
                || build_problem(graph.clone(), BetweenError::G2o),
                |mut pg| {
                    let options = SolverOptions {
                        threads: Some(1),
                        ..Default::default()
                    };
                    Solver::new(options).solve(&mut pg.problem).unwrap()
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

fn iteration_phases(c: &mut Criterion) {
    let mut group = c.benchmark_group("iteration");
    group.sample_size(20);
    for (name, graph) in datasets(DATASETS) {
        let pg = build_problem(graph, BetweenError::G2o);
        for threads in [1, 2] {
            let pool = ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("thread pool");
            phases(
                &mut group,
                &format!("{name}/{threads}t"),
                &pg.problem,
                &pool,
            );
        }
    }
    group.finish();
}

/// Runs `f` `iters` times inside `pool`, as the solver runs its iterations: entering the pool
/// once per call would add the wake-up of its workers to every phase, which the solver never
/// pays.
fn time_on_pool(pool: &ThreadPool, iters: u64, mut f: impl FnMut() + Send) -> Duration {
    pool.install(|| {
        let start = Instant::now();
        for _ in 0..iters {
            f();
        }
        start.elapsed()
    })
}

/// Linearise, assemble and solve on `pool` (the supernodal solves use up to two threads);
/// analyse and factorise on one thread, as the solver does on graphs of this size (see
/// `SparseCholesky::analyse`).
fn phases(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    problem: &Problem,
    pool: &ThreadPool,
) {
    // Built inside the pool, which decides whether assembly runs in parallel.
    let mut lin = pool.install(|| Linearizer::new(problem));
    // Assemble once here so that every phase below has real input even when a filter skips
    // the benchmarks before it.
    lin.linearize(problem.factors(), problem.values(), Weighting::Irls);
    lin.assemble();
    group.bench_function(format!("{name}/linearize"), |b| {
        b.iter_custom(|iters| {
            time_on_pool(pool, iters, || {
                lin.linearize(problem.factors(), problem.values(), Weighting::Irls)
            })
        })
    });
    group.bench_function(format!("{name}/assemble"), |b| {
        b.iter_custom(|iters| time_on_pool(pool, iters, || lin.assemble()))
    });
    let mut chol = SparseCholesky::analyse(&lin.pattern, Some(1)).unwrap();
    // Damp lightly so the gauge-fixed but far-from-optimal H is safely positive definite.
    for &p in &lin.pattern.diag_pos {
        lin.hessian[p] *= 1.0 + 1e-6;
    }
    group.bench_function(format!("{name}/factorize"), |b| {
        b.iter(|| chol.factorize(&lin.pattern, &lin.hessian).unwrap())
    });
    let mut rhs = lin.gradient.clone();
    group.bench_function(format!("{name}/solve"), |b| {
        b.iter_custom(|iters| {
            time_on_pool(pool, iters, || {
                rhs.copy_from_slice(&lin.gradient);
                chol.solve_in_place(&mut rhs)
            })
        })
    });
    group.bench_function(format!("{name}/analyse"), |b| {
        b.iter(|| SparseCholesky::analyse(&lin.pattern, Some(1)).unwrap())
    });
}

criterion_group!(benches, iteration_phases, whole_solves);
criterion_main!(benches);
