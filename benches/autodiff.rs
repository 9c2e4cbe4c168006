//! Criterion benchmarks of one between-factor evaluation with Jacobians: the analytic
//! `BetweenSe2`/`BetweenSe3` against their autodiff counterparts (`rhopt::autodiff`), plus the
//! autodiff factors' plain f64 residual for reference.
//!
//! Run with `cargo bench --bench autodiff` (add `-- --warm-up-time 1 --measurement-time 3` for
//! a quick run). After the measurements it prints the autodiff/analytic ratios of the medians,
//! read back from criterion's saved estimates.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::Criterion;
use nalgebra::{UnitQuaternion, Vector3};
use rhopt::autodiff::{AutoBetweenSe2, AutoBetweenSe3, AutoDiff};
use rhopt::factor::{BetweenSe2, BetweenSe3, Factor, Jacobians};
use rhopt::manifold::{Se2, Se3};
use rhopt::problem::Values;

const GROUP: &str = "between_evaluate";

/// Times `evaluate` of `factor` with Jacobians (or without, if `jacobians` is false).
fn bench_factor(
    c: &mut Criterion,
    name: &str,
    factor: &dyn Factor,
    values: &Values,
    jacobians: bool,
) {
    let d = factor.residual_dim();
    let mut offsets = vec![0];
    for key in factor.keys() {
        offsets.push(offsets.last().unwrap() + values.kind(*key).dof());
    }
    let mut data = vec![0.0; d * offsets.last().unwrap()];
    let mut residual = vec![0.0; d];
    c.benchmark_group(GROUP).bench_function(name, |b| {
        b.iter(|| {
            let values = black_box(values);
            if jacobians {
                let mut jac = Jacobians::new(&mut data, d, &offsets);
                factor.evaluate(values, &mut residual, Some(&mut jac));
            } else {
                factor.evaluate(values, &mut residual, None);
            }
            black_box((&residual, &data));
        })
    });
}

fn se2(c: &mut Criterion) {
    let mut values = Values::default();
    let a = values.insert(Se2::new(1.0, -2.0, 0.7));
    let b = values.insert(Se2::new(3.5, 0.5, -2.9));
    let z = Se2::new(2.0, 1.8, 2.6);
    let analytic = BetweenSe2::new(a, b, z);
    let auto = AutoDiff::<_, 6, 3>::new(AutoBetweenSe2::new(a, b, z), &values).unwrap();
    bench_factor(c, "se2/analytic", &analytic, &values, true);
    bench_factor(c, "se2/autodiff", &auto, &values, true);
    bench_factor(c, "se2/autodiff_residual_only", &auto, &values, false);
}

fn se3(c: &mut Criterion) {
    let pose = |t: [f64; 3], r: [f64; 3]| {
        Se3::from_parts(
            Vector3::from(t),
            UnitQuaternion::from_scaled_axis(Vector3::from(r)),
        )
    };
    let mut values = Values::default();
    let a = values.insert(pose([1.0, -2.0, 0.5], [0.3, 2.0, -1.0]));
    let b = values.insert(pose([0.4, 0.1, -3.0], [-1.2, 0.2, 0.9]));
    let z = pose([0.5, 0.5, 0.5], [0.1, 0.2, 0.3]);
    let analytic = BetweenSe3::new(a, b, z);
    let auto = AutoDiff::<_, 14, 6>::new(AutoBetweenSe3::new(a, b, z), &values).unwrap();
    bench_factor(c, "se3/analytic", &analytic, &values, true);
    bench_factor(c, "se3/autodiff", &auto, &values, true);
    bench_factor(c, "se3/autodiff_residual_only", &auto, &values, false);
}

/// Criterion's output directory, found as criterion finds it (without asking cargo).
fn criterion_dir() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return Some(PathBuf::from(home));
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return Some(PathBuf::from(target).join("criterion"));
    }
    // The bench binary is <target>/<profile>/deps/autodiff-<hash>.
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.parent()?.parent()?.join("criterion"))
}

/// Median (ns) of the latest saved run of one benchmark.
fn median_ns(name: &str) -> Option<f64> {
    // Criterion stores "se2/analytic" under the directory "se2_analytic".
    let path = criterion_dir()?
        .join(GROUP)
        .join(name.replace('/', "_"))
        .join("new/estimates.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    json["median"]["point_estimate"].as_f64()
}

fn print_ratios() {
    println!("\nautodiff / analytic, medians of evaluate() with Jacobians:");
    for group in ["se2", "se3"] {
        let analytic = median_ns(&format!("{group}/analytic"));
        let auto = median_ns(&format!("{group}/autodiff"));
        match (analytic, auto) {
            (Some(a), Some(d)) => {
                println!(
                    "  {group}: analytic {a:.1} ns, autodiff {d:.1} ns, ratio {:.2}",
                    d / a
                )
            }
            _ => println!("  {group}: no saved estimates (benchmark filtered out?)"),
        }
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    se2(&mut c);
    se3(&mut c);
    c.final_summary();
    print_ratios();
}
