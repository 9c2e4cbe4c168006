//! Properties of the solver on random pose graphs (SE2 and SE3, random sizes, noise, loop
//! closures, some of them false, some solves with robust kernels):
//!
//! * it never panics and never returns a non-finite estimate;
//! * Levenberg-Marquardt never accepts a step that raises the cost (checked on the iteration log);
//! * results are bit-identical run to run and for any number of threads, for the linearisation
//!   (`threads`) and for the sparse factorisation (`factor_threads`).
//!
//! Case counts are kept small so that the suite runs in seconds.

use nalgebra::{Matrix3, Matrix6, Vector3, Vector6};
use proptest::prelude::*;
use rhopt::factor::BetweenError;
use rhopt::generate::Rng;
use rhopt::io::{build_problem, G2oEdge, G2oGraph, G2oInformation, G2oPose, G2oVertex};
use rhopt::linear::LinearSolverKind;
use rhopt::prelude::*;
use rhopt::solver::{RobustScope, RobustStrategy};

/// rhopt's default robust strategy ([`RobustStrategy::recommended`]), which solves several
/// candidates concurrently.
const RECOMMENDED: &str = "recommended";

/// What a random graph looks like; proptest draws these, a seeded [`Rng`] the numbers.
#[derive(Debug, Clone)]
struct Spec {
    three_d: bool,
    poses: usize,
    loop_closures: usize,
    /// Standard deviation of the measurement noise (metres and radians).
    noise: f64,
    /// Standard deviation of the extra error of the initial guess, per pose.
    initial_error: f64,
    /// Fraction of loop closures that are grossly wrong.
    outlier_fraction: f64,
    /// Robust kernel on the loop closures, if any, or [`RECOMMENDED`].
    kernel: Option<&'static str>,
    algorithm: Algorithm,
    linear_solver: LinearSolverKind,
    seed: u64,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        any::<bool>(),
        3usize..40,
        0usize..12,
        0.0..0.2f64,
        0.0..0.3f64,
        prop_oneof![Just(0.0), 0.0..0.5f64],
        prop_oneof![
            Just(None),
            Just(Some("huber")),
            Just(Some("cauchy")),
            Just(Some("dcs")),
            Just(Some("geman-mcclure")),
            Just(Some(RECOMMENDED))
        ],
        prop_oneof![
            4 => Just(Algorithm::LevenbergMarquardt),
            1 => Just(Algorithm::GaussNewton)
        ],
        prop_oneof![
            Just(LinearSolverKind::Auto),
            Just(LinearSolverKind::SparseCholesky),
            Just(LinearSolverKind::DenseCholesky)
        ],
        any::<u64>(),
    )
        .prop_map(
            |(
                three_d,
                poses,
                loop_closures,
                noise,
                initial_error,
                outlier_fraction,
                kernel,
                algorithm,
                linear_solver,
                seed,
            )| Spec {
                three_d,
                poses,
                loop_closures,
                noise,
                initial_error,
                outlier_fraction,
                kernel,
                algorithm,
                linear_solver,
                seed,
            },
        )
}

/// A random walk of `spec.poses` poses with noisy odometry and loop closures; the initial
/// guess chains the odometry and adds `initial_error`. `step` draws a true motion and
/// `perturbation(rng, σ)` a random pose of size about σ.
fn random_graph<G: LieGroup + Into<G2oPose>>(
    spec: &Spec,
    rng: &mut Rng,
    step: impl Fn(&mut Rng) -> G,
    perturbation: impl Fn(&mut Rng, f64) -> G,
    information: G2oInformation,
) -> G2oGraph {
    let mut truth = vec![G::identity()];
    for _ in 1..spec.poses {
        let last = *truth.last().unwrap();
        truth.push(last.compose(&step(rng)));
    }
    let relative = |i: usize, j: usize| truth[i].inverse().compose(&truth[j]);
    let mut edges = Vec::new();
    let mut edge = |from: usize, to: usize, z: G| {
        edges.push(G2oEdge {
            from: from as i64,
            to: to as i64,
            measurement: z.into(),
            information,
            line: 0,
        })
    };
    let mut guess = vec![G::identity()];
    for i in 1..spec.poses {
        let z = relative(i - 1, i).compose(&perturbation(rng, spec.noise));
        edge(i - 1, i, z);
        let last = *guess.last().unwrap();
        guess.push(
            last.compose(&z)
                .compose(&perturbation(rng, spec.initial_error)),
        );
    }
    for _ in 0..spec.loop_closures {
        let (i, j) = (rng.below(spec.poses), rng.below(spec.poses));
        if i.abs_diff(j) <= 1 {
            continue;
        }
        let mut z = relative(i, j).compose(&perturbation(rng, spec.noise));
        if rng.uniform() < spec.outlier_fraction {
            z = z.compose(&perturbation(rng, 3.0));
        }
        edge(i, j, z);
    }
    G2oGraph {
        vertices: guess
            .into_iter()
            .enumerate()
            .map(|(id, pose)| G2oVertex {
                id: id as i64,
                pose: pose.into(),
                line: 0,
            })
            .collect(),
        edges,
        ..G2oGraph::default()
    }
}

fn normal3(rng: &mut Rng, sigma: f64) -> Vector3<f64> {
    Vector3::from_fn(|_, _| sigma * rng.normal())
}

/// The problem a spec describes, and which of its factors are loop closures.
fn problem(spec: &Spec) -> (Problem, Vec<bool>) {
    let mut rng = Rng::new(spec.seed);
    let graph = if spec.three_d {
        random_graph(
            spec,
            &mut rng,
            |rng| {
                let turn = normal3(rng, 0.3);
                Se3::exp(&Vector6::new(1.0, 0.0, 0.0, turn.x, turn.y, turn.z))
            },
            |rng, sigma| {
                let (t, r) = (normal3(rng, sigma), normal3(rng, sigma));
                Se3::exp(&Vector6::new(t.x, t.y, t.z, r.x, r.y, r.z))
            },
            G2oInformation::Se3(Matrix6::from_diagonal(&Vector6::new(
                100.0, 100.0, 100.0, 400.0, 400.0, 400.0,
            ))),
        )
    } else {
        random_graph(
            spec,
            &mut rng,
            |rng| Se2::new(1.0, 0.0, 0.5 * rng.normal()),
            |rng, sigma| Se2::exp(&normal3(rng, sigma)),
            G2oInformation::Se2(Matrix3::from_diagonal(&Vector3::new(100.0, 100.0, 400.0))),
        )
    };
    let pose_graph = build_problem(graph, BetweenError::G2o);
    let loop_closures = pose_graph.loop_closures();
    (pose_graph.problem, loop_closures)
}

/// The robust strategy a spec asks for.
fn strategy(spec: &Spec) -> RobustStrategy {
    match spec.kernel {
        None => RobustStrategy::LeastSquares,
        Some(RECOMMENDED) => RobustStrategy::recommended(),
        Some(name) => RobustStrategy::kernel(name, 1.0, RobustScope::LoopClosures).unwrap(),
    }
}

/// Solves a copy of the problem with the given thread counts.
fn solve(spec: &Spec, threads: Option<usize>, factor_threads: Option<usize>) -> (Summary, Problem) {
    let (mut problem, loop_closures) = problem(spec);
    let options = SolverOptions {
        algorithm: spec.algorithm,
        linear_solver: spec.linear_solver,
        threads,
        factor_threads,
        ..SolverOptions::default()
    };
    let summary = strategy(spec)
        .solve(&mut problem, &loop_closures, &options, |_| {})
        .unwrap();
    (summary, problem)
}

/// Everything that must match bit for bit between two runs.
fn fingerprint(summary: &Summary, problem: &Problem) -> Vec<u64> {
    let costs = summary
        .log
        .iter()
        .flat_map(|r| [r.cost, r.lambda, r.step_norm]);
    problem
        .values()
        .as_slice()
        .iter()
        .copied()
        .chain([summary.final_cost, summary.final_chi2])
        .chain(costs)
        .chain(summary.weights.iter().copied())
        .map(f64::to_bits)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn solves_are_sound_and_bit_identical_for_any_thread_count(spec in spec()) {
        let (summary, problem) = solve(&spec, Some(1), None);

        prop_assert!(
            problem.values().as_slice().iter().all(|v| v.is_finite()),
            "non-finite estimate: {:?}", summary.termination
        );
        prop_assert!(summary.final_cost.is_finite());
        // (The recommended strategy's log chains several solves, each starting afresh.)
        if spec.algorithm == Algorithm::LevenbergMarquardt && spec.kernel != Some(RECOMMENDED) {
            prop_assert!(summary.final_cost <= summary.initial_cost);
            let mut previous = summary.initial_cost;
            for record in summary.log.iter().filter(|r| r.accepted) {
                prop_assert!(
                    record.cost <= previous,
                    "iteration {} raised the cost from {previous} to {}",
                    record.iteration,
                    record.cost
                );
                previous = record.cost;
            }
        }

        let expected = fingerprint(&summary, &problem);
        for (threads, factor_threads) in [(Some(1), None), (Some(2), None), (Some(2), Some(1))] {
            let (s, p) = solve(&spec, threads, factor_threads);
            prop_assert_eq!(
                s.termination,
                summary.termination,
                "threads {:?}, factor threads {:?}",
                threads,
                factor_threads
            );
            prop_assert!(
                fingerprint(&s, &p) == expected,
                "threads {:?}, factor threads {:?}: results differ",
                threads,
                factor_threads
            );
        }
    }
}
