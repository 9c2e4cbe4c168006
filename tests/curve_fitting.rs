//! Robust curve fitting (`rhopt::fit`, `examples/curve_fitting.rs`): with 20 % gross outliers,
//! Cauchy and L1 recover y = exp(m·x + c) within 5 % where least squares misses by far more.

use nalgebra::Vector2;
use rhopt::factor::{Factor, Jacobians};
use rhopt::fit::{fit_each_kernel, generate, DataOptions, ExponentialSample, KernelFit};
use rhopt::prelude::*;

/// Seeds the claims are checked on; [`sweep_seeds`] measures many more.
const SEEDS: [u64; 5] = [1, 2, 3, 4, 5];

/// The example's data and fits for one seed.
fn fits(seed: u64) -> (DataOptions, Vec<KernelFit>) {
    let options = DataOptions {
        seed,
        ..Default::default()
    };
    let data = generate(&options).unwrap();
    let fits =
        fit_each_kernel(&data.observations, options.sigma, &SolverOptions::default()).unwrap();
    (options, fits)
}

/// The larger of the relative errors of m and c.
fn worse_error(row: &KernelFit, truth: [f64; 2]) -> f64 {
    let [m, c] = row.fit.relative_errors(truth);
    m.max(c)
}

fn row<'a>(fits: &'a [KernelFit], name: &str) -> &'a KernelFit {
    fits.iter().find(|r| r.name == name).unwrap()
}

/// Measured on seeds 1–5 (default data, σ = 0.1, 20 % clutter): Cauchy's worse parameter is off
/// by at most 0.6 % and L1's by at most 1.9 %, while least squares is off by 19.5–45.2 %,
/// at least 17× the worst robust error of the same seed. The thresholds leave room for
/// platform rounding but would catch a robust fit that degrades to a few percent or a least
/// squares that stops being dragged away.
#[test]
fn cauchy_and_l1_recover_the_curve_where_least_squares_does_not() {
    for seed in SEEDS {
        let (options, fits) = fits(seed);
        let truth = options.truth();
        for row in &fits {
            assert!(
                row.fit.summary.converged(),
                "seed {seed}: {} stopped with {:?}",
                row.name,
                row.fit.summary.termination
            );
        }
        let robust = ["Cauchy", "L1"].map(|name| worse_error(row(&fits, name), truth));
        for (name, error) in ["Cauchy", "L1"].iter().zip(robust) {
            assert!(
                error < 0.05,
                "seed {seed}: {name} off by {:.1} %",
                100.0 * error
            );
        }
        let least_squares = worse_error(row(&fits, "L2"), truth);
        let worst_robust = robust[0].max(robust[1]);
        assert!(
            least_squares > 0.15 && least_squares > 10.0 * worst_robust,
            "seed {seed}: L2 off by {:.1} %, robust by {:.1} %",
            100.0 * least_squares,
            100.0 * worst_robust
        );
    }
}

/// The autodiff Jacobian with respect to (m, c) is the analytic [−x·eˣ, −eˣ], eˣ = exp(m·x + c),
/// and the residual is y − eˣ.
#[test]
fn exponential_sample_jacobian_is_analytic() {
    for (m, c, x, y) in [
        (0.3, 1.0, 2.0, 5.0),
        (-1.2, 0.5, 0.0, 1.0),
        (0.0, 0.0, -3.5, -2.0),
        (2.0, -4.0, 4.25, 100.0),
    ] {
        let mut problem = Problem::new();
        let mc = problem.add_variable(Euclidean(Vector2::new(m, c)));
        let factor =
            AutoDiff::<_, 2, 1>::new(ExponentialSample::new(mc, x, y), problem.values()).unwrap();
        let mut residual = [0.0];
        let mut jacobian = [0.0; 2];
        let offsets = [0, 2];
        factor.evaluate(
            problem.values(),
            &mut residual,
            Some(&mut Jacobians::new(&mut jacobian, 1, &offsets)),
        );
        let e = (m * x + c).exp();
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-14 * b.abs().max(1.0);
        assert!(close(residual[0], y - e), "residual {residual:?}");
        assert!(
            close(jacobian[0], -x * e) && close(jacobian[1], -e),
            "at m {m}, c {c}, x {x}: {jacobian:?} vs [{}, {}]",
            -x * e,
            -e
        );
    }
}

/// The example's figure from real fits: every estimator is in the legend, and a second run
/// replaces the file.
#[test]
fn figure_of_the_fits_is_written() {
    use rhopt::fit::sample_curve;
    use rhopt::plot::{render_curve_fit, CurveFitView, FittedCurve};

    let (options, fits) = fits(1);
    let data = generate(&options).unwrap();
    let pick = |outlier: bool| -> Vec<[f64; 2]> {
        data.observations
            .iter()
            .zip(&data.outlier)
            .filter(|(_, o)| **o == outlier)
            .map(|(p, _)| [p.x, p.y])
            .collect()
    };
    let truth = sample_curve(options.truth(), options.x_min, options.x_max, 100);
    let points: Vec<Vec<[f64; 2]>> = fits
        .iter()
        .map(|r| sample_curve(r.fit.params(), options.x_min, options.x_max, 100))
        .collect();
    let curves: Vec<FittedCurve> = fits
        .iter()
        .zip(&points)
        .map(|(r, points)| FittedCurve {
            label: r.name,
            points,
        })
        .collect();
    let (inliers, outliers) = (pick(false), pick(true));
    let view = CurveFitView {
        title: "test",
        x_label: "x",
        y_label: "y",
        inliers: &inliers,
        outliers: &outliers,
        truth: Some(&truth),
        curves: &curves,
    };
    let path = std::env::temp_dir().join(format!("rhopt-curve-fit-{}.svg", std::process::id()));
    for _ in 0..2 {
        render_curve_fit(&view, &path).unwrap();
    }
    let svg = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    for name in ["L2", "Huber", "Cauchy", "L1", "truth", "outliers"] {
        assert!(
            svg.contains(&format!("\n{name}\n")),
            "{name} not in the legend"
        );
    }
}

/// Across-seed figures for the README: `cargo test --release --test curve_fitting -- --ignored
/// --nocapture`. For each estimator, the smallest and largest relative error of m and of c over
/// seeds 1–50, and the iterations.
#[test]
#[ignore = "measurement, not a check"]
fn sweep_seeds() {
    let mut table: Vec<(&str, [f64; 4], usize, usize)> = Vec::new();
    let mut ratio = f64::INFINITY;
    for seed in 1..=50 {
        let (options, fits) = fits(seed);
        let truth = options.truth();
        for r in &fits {
            let [m, c] = r.fit.relative_errors(truth);
            let i = match table.iter().position(|t| t.0 == r.name) {
                Some(i) => i,
                None => {
                    table.push((
                        r.name,
                        [f64::INFINITY, 0.0, f64::INFINITY, 0.0],
                        usize::MAX,
                        0,
                    ));
                    table.len() - 1
                }
            };
            let t = &mut table[i];
            t.1 = [t.1[0].min(m), t.1[1].max(m), t.1[2].min(c), t.1[3].max(c)];
            t.2 = t.2.min(r.fit.summary.iterations);
            t.3 = t.3.max(r.fit.summary.iterations);
        }
        let robust =
            worse_error(row(&fits, "Cauchy"), truth).max(worse_error(row(&fits, "L1"), truth));
        ratio = ratio.min(worse_error(row(&fits, "L2"), truth) / robust);
    }
    println!("| kernel | error m (min–max) | error c (min–max) | iterations |");
    println!("|---|---|---|---|");
    for (name, e, lo, hi) in table {
        println!(
            "| {name} | {:.1}–{:.1} % | {:.1}–{:.1} % | {lo}–{hi} |",
            100.0 * e[0],
            100.0 * e[1],
            100.0 * e[2],
            100.0 * e[3]
        );
    }
    println!("smallest ratio of L2's worse error to the worst of Cauchy and L1: {ratio:.1}");
}
