//! The outlier benchmark behind the README's robust-kernel table: public datasets with false
//! loop closures added by the Vertigo protocol, solved from the file's initial guess with each
//! robust strategy, scored by ATE against ground truth (or against the clean least-squares
//! optimum) and by outlier precision and recall.
//!
//! `cargo run --release --example outlier_table -- [CASE ...] [--strategies a,b,...]`
//! Cases: manhattan-100, manhattan-1000, manhattan-1000-local, manhattan-1000-grouped, ring-100,
//! ring-1000, intel-100, intel-1000, city10000-1000, sphere2500-1000 (default: all).

use rhopt::corrupt::{corrupt, CorruptOptions, OutlierMode};
use rhopt::eval::{read_trajectory, run_robust_experiment, Alignment, Trajectory};
use rhopt::io::{build_problem, read_g2o};
use rhopt::solver::{GncSurrogate, RobustScope, RobustStrategy, Solver, SolverOptions};

#[macro_use]
mod common;
// The integration tests' locator of the public datasets, so the table reads what tests read.
#[path = "../tests/common/mod.rs"]
mod test_data;

struct Case {
    name: &'static str,
    file: &'static str,
    ground_truth: Option<&'static str>,
    outliers: usize,
    mode: OutlierMode,
}

const CASES: &[Case] = &[
    Case {
        name: "manhattan-100",
        file: "2d/manhattanOlson3500.g2o",
        ground_truth: Some("ground-truth/manhattanOlson3500_nodes_groundTruth.dat"),
        outliers: 100,
        mode: OutlierMode::Random,
    },
    Case {
        name: "manhattan-1000",
        file: "2d/manhattanOlson3500.g2o",
        ground_truth: Some("ground-truth/manhattanOlson3500_nodes_groundTruth.dat"),
        outliers: 1000,
        mode: OutlierMode::Random,
    },
    Case {
        name: "manhattan-1000-local",
        file: "2d/manhattanOlson3500.g2o",
        ground_truth: Some("ground-truth/manhattanOlson3500_nodes_groundTruth.dat"),
        outliers: 1000,
        mode: OutlierMode::Local,
    },
    Case {
        name: "manhattan-1000-grouped",
        file: "2d/manhattanOlson3500.g2o",
        ground_truth: Some("ground-truth/manhattanOlson3500_nodes_groundTruth.dat"),
        outliers: 1000,
        mode: OutlierMode::Grouped,
    },
    Case {
        name: "ring-100",
        file: "2d/ring.g2o",
        ground_truth: Some("ground-truth/ring_poses.txt"),
        outliers: 100,
        mode: OutlierMode::Random,
    },
    Case {
        name: "ring-1000",
        file: "2d/ring.g2o",
        ground_truth: Some("ground-truth/ring_poses.txt"),
        outliers: 1000,
        mode: OutlierMode::Random,
    },
    Case {
        name: "intel-100",
        file: "2d/intel.g2o",
        ground_truth: None,
        outliers: 100,
        mode: OutlierMode::Random,
    },
    Case {
        name: "intel-1000",
        file: "2d/intel.g2o",
        ground_truth: None,
        outliers: 1000,
        mode: OutlierMode::Random,
    },
    Case {
        name: "city10000-1000",
        file: "2d/city10000.g2o",
        ground_truth: None,
        outliers: 1000,
        mode: OutlierMode::Random,
    },
    Case {
        name: "sphere2500-1000",
        file: "3d/sphere2500.g2o",
        ground_truth: None,
        outliers: 1000,
        mode: OutlierMode::Random,
    },
];

fn strategies() -> Vec<(&'static str, RobustStrategy)> {
    let all =
        |name: &str, width: f64| RobustStrategy::kernel(name, width, RobustScope::All).unwrap();
    let loops = RobustScope::LoopClosures;
    vec![
        ("l2", RobustStrategy::LeastSquares),
        ("huber", all("huber", 1.345)),
        ("cauchy", all("cauchy", 1.0)),
        ("l1", all("l1", 1.0)),
        ("dcs", all("dcs", 1.0)),
        ("geman-mcclure", all("geman-mcclure", 1.0)),
        (
            "gnc-gm",
            RobustStrategy::gnc(GncSurrogate::GemanMcClure, loops),
        ),
        (
            "gnc-tls",
            RobustStrategy::gnc(GncSurrogate::TruncatedLeastSquares, loops),
        ),
        ("default", RobustStrategy::recommended()),
    ]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut wanted: Vec<&str> = Vec::new();
    let mut only: Option<Vec<String>> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--strategies" {
            only = it.next().map(|s| s.split(',').map(String::from).collect());
        } else {
            wanted.push(a);
        }
    }
    let dir = test_data::datasets_dir();
    out!("| case | strategy | ATE rmse (m) | precision | recall | iterations | time (s) |");
    out!("|---|---|---|---|---|---|---|");
    for case in CASES
        .iter()
        .filter(|c| wanted.is_empty() || wanted.contains(&c.name))
    {
        let graph = match read_g2o(&dir.join(case.file)) {
            Ok(g) => g,
            Err(e) => {
                eprintln!("skipping {}: {e}", case.name);
                continue;
            }
        };
        let (reference, alignment) = match case.ground_truth {
            Some(gt) => (read_trajectory(&dir.join(gt)).unwrap(), Alignment::Se2),
            None => {
                // The clean least-squares optimum is the reference: a perfect robust method
                // reproduces it exactly.
                let mut clean = build_problem(graph.clone(), Default::default());
                Solver::new(SolverOptions::default())
                    .solve(&mut clean.problem)
                    .unwrap();
                let alignment = if case.file.starts_with("3d") {
                    Alignment::Se3
                } else {
                    Alignment::Se2
                };
                (Trajectory::from_g2o(&clean.to_g2o()).unwrap(), alignment)
            }
        };
        let options = CorruptOptions {
            outliers: case.outliers,
            mode: case.mode,
            seed: 42,
            ..Default::default()
        };
        let corrupted = corrupt(&graph, &options).unwrap();
        for (name, strategy) in strategies() {
            if only.as_ref().is_some_and(|o| !o.iter().any(|x| x == name)) {
                continue;
            }
            let run = run_robust_experiment(
                &corrupted,
                &reference,
                alignment,
                &strategy,
                &SolverOptions::default(),
            )
            .unwrap();
            out!(
                "| {} | {name} | {:.4} | {:.3} | {:.3} | {} | {:.2} |",
                case.name,
                run.evaluation.ate.rmse,
                run.outliers.precision,
                run.outliers.recall,
                run.summary.iterations,
                run.time.as_secs_f64()
            );
        }
    }
}
