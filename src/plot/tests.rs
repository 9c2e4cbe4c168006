//! End-to-end tests: render synthetic data to real files and inspect them.

use std::path::PathBuf;

use super::panels::{chart_builder, plot_size, OUTLIER};
use super::*;

/// A fresh folder under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("rhopt-plot-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
    fn files(&self) -> Vec<PathBuf> {
        let mut v: Vec<_> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        v.sort();
        v
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Small deterministic generator, so tests need no extra crates.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        ((self.next() * n as f64) as usize).min(n - 1)
    }
}

/// Test data owned in one place; `view()` borrows it as a [`TopView`].
pub(super) struct Scene {
    pub(super) truth: Vec<[f64; 2]>,
    pub(super) estimate: Vec<[f64; 2]>,
    pub(super) closures: Vec<LoopClosure>,
    pub(super) costs: Vec<f64>,
}

impl Scene {
    pub(super) fn view<'a>(&'a self, title: &'a str) -> TopView<'a> {
        TopView {
            title,
            trajectory: &self.estimate,
            reference: Some(&self.truth),
            loop_closures: &self.closures,
            costs: &self.costs,
        }
    }

    /// Three laps around a 10 m square, the estimate drifting by `drift`
    /// per pose, closures between laps and `outliers` random wrong ones.
    pub(super) fn square(drift: f64, outliers: usize, seed: u64) -> Self {
        let mut rng = Rng(seed);
        let side = 20;
        let truth: Vec<[f64; 2]> = (0..3 * 4 * side)
            .map(|i| {
                let t = f64::from(i % side) * 10.0 / f64::from(side);
                match (i / side) % 4 {
                    0 => [t, 0.0],
                    1 => [10.0, t],
                    2 => [10.0 - t, 10.0],
                    _ => [0.0, 10.0 - t],
                }
            })
            .collect();
        let estimate: Vec<[f64; 2]> = truth
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let k = drift * i as f64;
                [
                    p[0] + k + 0.05 * rng.next(),
                    p[1] - 0.5 * k + 0.05 * rng.next(),
                ]
            })
            .collect();
        let lap = (4 * side) as usize;
        let mut closures: Vec<LoopClosure> = (lap..truth.len())
            .step_by(7)
            .map(|i| LoopClosure {
                from: estimate[i],
                to: estimate[i - lap],
                outlier: false,
            })
            .collect();
        closures.extend((0..outliers).map(|_| LoopClosure {
            from: estimate[rng.below(estimate.len())],
            to: estimate[rng.below(estimate.len())],
            outlier: true,
        }));
        let costs = (0..12).map(|i| 5e4 * 0.3f64.powi(i) + 1.5).collect();
        Self {
            truth,
            estimate,
            closures,
            costs,
        }
    }

    /// A Manhattan-world random walk like M3500: `poses` poses on a 1 m
    /// grid, `closures` loop closures to earlier visits of nearby cells
    /// (5 % of them random outliers).
    pub(super) fn manhattan(poses: usize, closures: usize, seed: u64) -> Self {
        let mut rng = Rng(seed);
        let (mut x, mut y) = (0i32, 0i32);
        let mut heading = 0usize;
        let mut truth = Vec::with_capacity(poses);
        for _ in 0..poses {
            truth.push([f64::from(x), f64::from(y)]);
            if rng.next() < 0.2 {
                heading = (heading + if rng.next() < 0.5 { 1 } else { 3 }) % 4;
            }
            let (dx, dy) = [(1, 0), (0, 1), (-1, 0), (0, -1)][heading];
            // Stay inside a 60 m × 60 m city block grid, like M3500.
            if (x + dx).abs() > 30 || (y + dy).abs() > 30 {
                heading = (heading + 2) % 4;
            } else {
                x += dx;
                y += dy;
            }
        }
        let estimate: Vec<[f64; 2]> = truth
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let a = 1e-5 * i as f64; // slowly rotating drift
                [
                    p[0] * a.cos() - p[1] * a.sin() + 0.1 * rng.next(),
                    p[0] * a.sin() + p[1] * a.cos() + 0.1 * rng.next(),
                ]
            })
            .collect();
        let mut lcs = Vec::with_capacity(closures);
        while lcs.len() < closures {
            let i = 100 + rng.below(poses - 100);
            let outlier = rng.next() < 0.05;
            let j =
                if outlier {
                    rng.below(i)
                } else {
                    // An earlier pose within ~1.5 m, found by a short scan.
                    match (0..i - 50).rev().step_by(3).find(|&j| {
                        (truth[i][0] - truth[j][0]).hypot(truth[i][1] - truth[j][1]) < 1.5
                    }) {
                        Some(j) => j,
                        None => continue,
                    }
                };
            lcs.push(LoopClosure {
                from: estimate[i],
                to: estimate[j],
                outlier,
            });
        }
        let costs = (0..40).map(|i| 1e6 * 0.6f64.powi(i) + 1e3).collect();
        Self {
            truth,
            estimate,
            closures: lcs,
            costs,
        }
    }
}

/// Texts of all `<text>` elements (plotters writes the content on its own
/// line between the tags).
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| t.split_once('>'))
        .filter_map(|(_, rest)| rest.split_once("</text>"))
        .map(|(content, _)| content.trim().to_owned())
        .collect()
}

fn hex(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

#[test]
fn top_view_renders_with_title_axes_and_red_outliers() {
    let dir = TempDir::new("top");
    let scene = Scene::square(0.004, 4, 7);
    let title = "Cauchy — ATE 0.81 m, P 1.00 R 0.99 <&>";
    let path = dir.0.join("top.svg");
    render_top_view(&scene.view(title), &path).unwrap();

    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
    assert!(svg.trim_end().ends_with("</svg>"));
    let texts = texts(&svg);
    assert!(texts.contains(&"Cauchy — ATE 0.81 m, P 1.00 R 0.99 &lt;&amp;&gt;".to_owned()));
    for label in [
        "iteration",
        "cost (log)",
        "x [m]",
        "y [m]",
        "judged outlier",
        "reference",
    ] {
        assert!(
            texts.iter().any(|t| t == label),
            "no <text> {label:?} in {texts:?}"
        );
    }
    assert!(svg.contains(&format!("stroke=\"{}\"", hex(OUTLIER))));
    // Merged into paths: no per-closure elements remain.
    assert!(!svg.contains("<polyline") && !svg.contains("<line "));
    assert!(svg.len() < 100_000, "{} bytes", svg.len());
    assert_eq!(dir.files(), vec![path], "no temporary file left");
}

#[test]
fn comparison_grid_of_six_views_shares_ranges() {
    let dir = TempDir::new("grid");
    let scenes: Vec<Scene> = (0..6)
        .map(|k| Scene::square(0.002 * f64::from(k), k as usize, k as u64 + 1))
        .collect();
    let names = ["L2", "Huber", "Cauchy", "L1", "GNC", "DCS"];
    let views: Vec<TopView> = scenes.iter().zip(names).map(|(s, n)| s.view(n)).collect();
    let path = dir.0.join("grid.svg");
    render_comparison(&views, 3, &path).unwrap();

    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(
        svg.starts_with(r#"<svg width="1320" height="994""#),
        "{}",
        &svg[..60]
    );
    let texts = texts(&svg);
    for name in names {
        assert!(texts.iter().any(|t| t == name), "no title {name}");
    }
    // Same ranges: every panel has the same tick labels, "0" once on each
    // axis.
    let zeros = texts.iter().filter(|t| *t == "0").count();
    assert_eq!(zeros, 12, "{texts:?}");
    assert!(!texts.iter().any(|t| t == "iteration"), "no cost panels");

    // More columns than views: one row, no empty cells.
    render_comparison(&views[..2], 5, &path).unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.starts_with(r#"<svg width="880" height="514""#));
}

#[test]
fn large_figures_stay_small() {
    let dir = TempDir::new("large");
    let scene = Scene::manhattan(3500, 3000, 42);
    let top = dir.0.join("top.svg");
    render_top_view(&scene.view("M3500-like — 3500 poses, 3000 closures"), &top).unwrap();
    let top_size = std::fs::metadata(&top).unwrap().len();

    let views: Vec<TopView> = ["L2", "Huber", "Cauchy", "L1", "GNC", "DCS"]
        .into_iter()
        .map(|n| scene.view(n))
        .collect();
    let grid = dir.0.join("grid.svg");
    render_comparison(&views, 3, &grid).unwrap();
    let grid_size = std::fs::metadata(&grid).unwrap().len();
    // Worst case for de-duplication: every closure a long random outlier.
    let mut rng = Rng(9);
    let n = scene.estimate.len();
    let random: Vec<LoopClosure> = (0..3000)
        .map(|_| LoopClosure {
            from: scene.estimate[rng.below(n)],
            to: scene.estimate[rng.below(n)],
            outlier: true,
        })
        .collect();
    let worst = dir.0.join("worst.svg");
    let v = TopView {
        loop_closures: &random,
        ..scene.view("3000 random outliers")
    };
    render_top_view(&v, &worst).unwrap();
    let worst_size = std::fs::metadata(&worst).unwrap().len();
    eprintln!(
        "3500 poses + 3000 closures: top view {top_size} B, 6-panel grid {grid_size} B, \
         top view with 3000 random outliers {worst_size} B"
    );
    assert!(top_size < 300_000, "top view {top_size} B");
    assert!(worst_size < 300_000, "worst case {worst_size} B");
    assert!(grid_size < 600_000, "grid {grid_size} B");
}

#[test]
fn bad_data_is_skipped_or_rejected_without_panicking() {
    let dir = TempDir::new("bad");
    let path = dir.0.join("bad.svg");
    let nan = f64::NAN;
    let inf = f64::INFINITY;
    let view = |trajectory| TopView {
        title: "bad",
        trajectory,
        reference: None,
        loop_closures: &[],
        costs: &[],
    };

    // Empty or all non-finite trajectory: an error, and no file.
    let non_finite = [[nan, 0.0], [inf, 1.0]];
    for trajectory in [&[][..], &non_finite[..]] {
        let err = render_top_view(&view(trajectory), &path).unwrap_err();
        assert!(matches!(err, PlotError::EmptyTrajectory { .. }), "{err}");
        assert!(err.to_string().contains("bad"));
        let err = render_comparison(&[view(trajectory)], 1, &path).unwrap_err();
        assert!(matches!(err, PlotError::EmptyTrajectory { .. }));
    }
    assert!(dir.files().is_empty());
    assert!(matches!(
        render_comparison(&[], 2, &path),
        Err(PlotError::NoViews)
    ));
    let ok = [[0.0, 0.0], [1.0, 1.0]];
    assert!(matches!(
        render_comparison(&[view(&ok)], 0, &path),
        Err(PlotError::NoColumns)
    ));
    let huge = [[-1.7e308, 0.0], [1.7e308, 0.0]];
    assert!(matches!(
        render_top_view(&view(&huge), &path),
        Err(PlotError::NonFiniteRange)
    ));
    assert!(dir.files().is_empty());

    // NaN / inf points, closures and costs are skipped; the rest is drawn.
    let mixed = [[0.0, 0.0], [nan, 2.0], [3.0, inf], [4.0, 1.0], [-inf, nan]];
    let closures = [
        LoopClosure {
            from: [nan, 0.0],
            to: [1.0, 1.0],
            outlier: true,
        },
        LoopClosure {
            from: [0.0, 0.0],
            to: [4.0, 1.0],
            outlier: false,
        },
    ];
    let costs = [nan, 10.0, -1.0, 0.0, inf, 1.0];
    let v = TopView {
        reference: Some(&[[nan, nan]]),
        loop_closures: &closures,
        costs: &costs,
        ..view(&mixed)
    };
    render_top_view(&v, &path).unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(!svg.contains("NaN") && !svg.contains("inf"));
    assert!(
        !svg.contains(&hex(OUTLIER)),
        "the only outlier had a NaN end"
    );

    // All points equal: the range is widened to about a metre around them.
    let same = [[5.0, -3.0]; 10];
    let v = TopView {
        costs: &[2.0, 2.0, 2.0],
        ..view(&same)
    };
    render_top_view(&v, &path).unwrap();
    // Costs that are all non-positive: the panel says so.
    let v = TopView {
        costs: &[0.0, -3.0],
        ..view(&same)
    };
    render_top_view(&v, &path).unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(texts(&svg).iter().any(|t| t == "no positive cost to plot"));
    // Costs at the edges of f64: subnormals skipped, 600 decades shown.
    let v = TopView {
        costs: &[5e-324, 1e-320, f64::MIN_POSITIVE, 1.0, 1e308, f64::MAX],
        ..view(&same)
    };
    render_top_view(&v, &path).unwrap();
    // No costs at all.
    render_top_view(&view(&same), &path).unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(texts(&svg).iter().any(|t| t == "no iterations"));
    // Huge but finite coordinates: plotters still finds its ticks.
    render_top_view(&view(&[[-1e300, 0.0], [1e300, 1.0]]), &path).unwrap();
    // A single pose, far from the origin.
    render_top_view(&view(&[[1e15, -1e15]]), &path).unwrap();
    assert_eq!(dir.files(), vec![path]);
}

#[test]
fn failed_write_leaves_nothing_behind() {
    let dir = TempDir::new("fail");
    let scene = Scene::square(0.0, 1, 3);
    let missing = dir.0.join("no-such-dir").join("fig.svg");
    let err = render_top_view(&scene.view("x"), &missing).unwrap_err();
    assert!(matches!(err, PlotError::Io { .. }), "{err}");
    assert!(err.to_string().contains("no-such-dir"));
    assert!(dir.files().is_empty());

    // Target is a directory: the rename fails after the temp file was
    // written, and the temp file is cleaned up again.
    let target = dir.0.join("taken.svg");
    std::fs::create_dir(&target).unwrap();
    assert!(render_top_view(&scene.view("x"), &target).is_err());
    assert_eq!(dir.files(), vec![target]);
}

#[test]
fn plot_size_matches_plotters_layout() {
    let mut svg = String::new();
    let root = SVGBackend::with_string(&mut svg, (437, 391)).into_drawing_area();
    let chart = chart_builder(&root)
        .build_cartesian_2d(0.0..1.0, 0.0..1.0)
        .unwrap();
    assert_eq!(chart.plotting_area().dim_in_pixel(), plot_size((437, 391)));
}

/// Writes sample figures for a person to look at (e.g. after converting
/// them with `rsvg-convert`): `cargo test write_samples -- --ignored`,
/// into `$RHOPT_PLOT_SAMPLES` or `<temp>/rhopt-plot-samples`.
#[test]
#[ignore = "writes files for manual inspection"]
fn write_samples() {
    let dir = std::env::var_os("RHOPT_PLOT_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("rhopt-plot-samples"));
    std::fs::create_dir_all(&dir).unwrap();
    let square = Scene::square(0.004, 4, 7);
    render_top_view(
        &square.view("Cauchy — ATE 0.81 m, P 1.00 R 0.99"),
        &dir.join("square.svg"),
    )
    .unwrap();
    let city = Scene::manhattan(3500, 3000, 42);
    render_top_view(
        &city.view("M3500-like — Huber, ATE 1.23 m, P 0.97 R 0.99"),
        &dir.join("city.svg"),
    )
    .unwrap();
    let scenes: Vec<Scene> = (0..6)
        .map(|k| Scene::square(0.002 * f64::from(k), k as usize, k as u64 + 1))
        .collect();
    let names = ["L2 — ATE 2.10 m", "Huber", "Cauchy", "L1", "GNC", "DCS"];
    let views: Vec<TopView> = scenes.iter().zip(names).map(|(s, n)| s.view(n)).collect();
    render_comparison(&views, 3, &dir.join("grid.svg")).unwrap();
    let views: Vec<TopView> = names.iter().map(|n| city.view(n)).collect();
    render_comparison(&views, 3, &dir.join("city-grid.svg")).unwrap();
    // A long, thin corridor with no iterations: lots of spare height.
    let corridor: Vec<[f64; 2]> = (0..500)
        .map(|i| [0.2 * f64::from(i), (0.05 * f64::from(i)).sin()])
        .collect();
    let v = TopView {
        title: "corridor — no optimisation run",
        trajectory: &corridor,
        reference: None,
        loop_closures: &[],
        costs: &[],
    };
    render_top_view(&v, &dir.join("corridor.svg")).unwrap();
    let same = [[5.0, -3.0]; 10];
    let v = TopView {
        title: "all poses equal",
        trajectory: &same,
        costs: &[2.0, 2.0, 2.0],
        ..v
    };
    render_top_view(&v, &dir.join("same.svg")).unwrap();
    eprintln!("samples in {}", dir.display());
}
