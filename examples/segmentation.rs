//! Segmentation with loss factors: a soft mask fitted to a small, imbalanced, noisy image with
//! BCE, soft Dice and soft IoU, each solved by rhopt's Levenberg-Marquardt and by argmin's
//! L-BFGS.
//!
//! ```sh
//! cargo run --release --example segmentation [-- --seed S] [--weight-decay D] [--out DIR]
//! ```
//!
//! **Data.** A 32 × 32 image with one elliptic blob covering 3–13 % of the pixels,
//! intensity 1 on it and 0 elsewhere plus Gaussian noise of σ = 0.8, and its ground-truth
//! mask (`rhopt::learn::blob_image`). A second image drawn with the next seed is held out.
//!
//! **Model.** Per-pixel logistic regression on two features, the pixel's intensity I and its
//! 3 × 3 mean S: p = σ(w_I·I + w_S·S + b) (`BlobImage::segmentation_problem`). Three parameters
//! for 1024 pixels, so no loss can fit the mask exactly and each settles on its own trade-off
//! between missed foreground and false alarms: BCE fits calibrated probabilities (on an
//! imbalanced image p ≥ ½ is conservative), Dice and IoU reward overlap with the foreground
//! directly. The model is differentiated by `rhopt::autodiff` (the losses need p, not the
//! logit).
//!
//! **Weight decay.** Every fit minimises F = L + 10⁻⁴(w_I² + w_S²), the decay being one more
//! factor of the problem. Without it Dice and IoU have no minimiser: they keep improving as ‖w‖
//! grows and p hardens into a 0/1 mask, so where a solver stops says nothing about the loss.
//! `--weight-decay 0` shows what happens then; in particular LM's first step from p = ½, where
//! the rank-one surrogate curvature leaves the 3 × 3 normal equations nearly singular, jumps to
//! ‖w‖ ~ 10⁵, saturates every sigmoid and stops on a zero gradient.
//!
//! **Solvers.** BCE's curvature (Fisher) makes LM a Newton method on the logits. Dice and IoU
//! only have a PSD surrogate, the positive part of an indefinite Hessian, so the example also
//! runs L-BFGS on the same objective (`rhopt::objective::Objective`); the table shows what each
//! solver costs on each loss (for L-BFGS, iterations and in brackets the evaluations of F and
//! ∇F).
//!
//! **Output.** A table of overlap metrics (IoU and Dice against the ground truth, foreground
//! recall and precision, p thresholded at ½) on the fitted image and on the held-out one, and
//! `masks.svg` in `--out` (default `target/segmentation/`): the image, its ground truth and each
//! loss's fitted p. `docs/segmentation/masks.svg` is that picture for the default seed.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use plotters::prelude::*;
use rhopt::io::write_atomically;
use rhopt::learn::{
    blob_image, minimise, predict, BinaryCounts, BlobImage, BlobOptions, Link, Method, Minimised,
};
use rhopt::loss::{BceLoss, SoftDiceLoss, SoftIouLoss};
use rhopt::prelude::*;

#[macro_use]
mod common;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// Smoothing ε of the overlap losses: the common "+1", small beside the ~70 foreground pixels.
const OVERLAP_EPSILON: f64 = 1.0;

/// Weight decay on (w_I, w_S) by default; see the module docs.
const WEIGHT_DECAY: f64 = 1e-4;

struct Args {
    seed: u64,
    weight_decay: f64,
    out: PathBuf,
}

fn parse_args() -> std::result::Result<Args, String> {
    let mut args = Args {
        seed: 1,
        weight_decay: WEIGHT_DECAY,
        out: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/segmentation"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--seed" => {
                let v = value("--seed")?;
                args.seed = v.parse().map_err(|e| format!("--seed {v:?}: {e}"))?;
            }
            "--weight-decay" => {
                let v = value("--weight-decay")?;
                args.weight_decay = v
                    .parse()
                    .ok()
                    .filter(|d: &f64| d.is_finite() && *d >= 0.0)
                    .ok_or(format!("--weight-decay {v:?}: expected a number ≥ 0"))?;
            }
            "--out" => args.out = value("--out")?.into(),
            other => {
                return Err(format!(
                    "unknown argument {other:?} (usage: [--seed S] [--weight-decay D] [--out DIR])"
                ))
            }
        }
    }
    Ok(args)
}

/// One solved fit: what the minimiser reported and the parameters it found.
struct Fit {
    report: Minimised,
    params: Vec<f64>,
}

/// LM run to the optimum rather than to the default 1e-6 relative decrease, so that it can be
/// compared with L-BFGS.
fn lm_options() -> SolverOptions {
    SolverOptions {
        function_tolerance: 1e-12,
        parameter_tolerance: 1e-12,
        max_iterations: 500,
        ..SolverOptions::default()
    }
}

fn fit(image: &BlobImage, loss: Arc<dyn Loss>, weight_decay: f64, method: Method) -> Result<Fit> {
    let (mut problem, key) = image.segmentation_problem(loss, weight_decay)?;
    let report = minimise(&mut problem, method, &lm_options())?;
    Ok(Fit {
        report,
        params: problem.values().params(key).to_vec(),
    })
}

fn run(args: &Args) -> Result<()> {
    let options = |seed| BlobOptions {
        seed,
        ..BlobOptions::default()
    };
    let image = blob_image(&options(args.seed));
    let held_out = blob_image(&options(args.seed.wrapping_add(1)));
    let (pixels, size) = (image.mask.len(), image.size);
    out!(
        "# Segmentation with loss factors (seed {}): {size}×{size} image, foreground {:.1} % (held-out {:.1} %), weight decay {:e}\n",
        args.seed,
        100.0 * image.foreground_fraction(),
        100.0 * held_out.foreground_fraction(),
        args.weight_decay
    );
    let mean = Reduction::Mean;
    let losses: [(&str, Arc<dyn Loss>); 3] = [
        ("BCE", Arc::new(BceLoss::new(mean))),
        (
            "Dice",
            Arc::new(SoftDiceLoss::new(pixels, OVERLAP_EPSILON, mean)?),
        ),
        (
            "IoU",
            Arc::new(SoftIouLoss::new(pixels, OVERLAP_EPSILON, mean)?),
        ),
    ];
    out!("| loss | solver | final F | iterations | time (ms) | (w_I, w_S, b) | IoU | Dice | recall | precision | held-out IoU | held-out Dice |");
    out!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    let mut notes = Vec::new();
    let mut best: Vec<(&str, f64, f64, Vec<f64>)> = Vec::new();
    for (name, loss) in &losses {
        for method in [Method::LevenbergMarquardt, Method::Lbfgs] {
            let run = fit(&image, loss.clone(), args.weight_decay, method)
                .map_err(|e| format!("{name}: {e}"))?;
            let solver = method.name();
            let p = predict(&image.features(), &run.params, 1, Link::Sigmoid);
            let c = BinaryCounts::from_probabilities(&p, &image.mask, 0.5);
            let p_held = predict(&held_out.features(), &run.params, 1, Link::Sigmoid);
            let h = BinaryCounts::from_probabilities(&p_held, &held_out.mask, 0.5);
            let mark = match &run.report.failure {
                Some(why) => {
                    notes.push(format!("* {name}, {solver}: stopped by {why}"));
                    " *"
                }
                None => "",
            };
            let [w_i, w_s, b] = [run.params[0], run.params[1], run.params[2]];
            out!(
                "| {name} | {solver} | {:.6} | {}{mark} | {:.1} | ({w_i:.2}, {w_s:.2}, {b:.2}) | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
                run.report.final_cost,
                run.report.iterations,
                run.report.time.as_secs_f64() * 1e3,
                c.iou(),
                c.f1(),
                c.recall(),
                c.precision(),
                h.iou(),
                h.f1()
            );
            // Draw each loss's fit with the lower objective (the solvers agree when both
            // converge; with --weight-decay 0, LM can stop far off).
            match best.iter_mut().find(|(n, _, _, _)| n == name) {
                Some(entry) if entry.1 <= run.report.final_cost => {}
                Some(entry) => *entry = (name, run.report.final_cost, c.iou(), p),
                None => best.push((name, run.report.final_cost, c.iou(), p)),
            }
        }
    }
    for note in notes {
        out!("{note}");
    }
    let masks: Vec<(String, Vec<f64>)> = best
        .into_iter()
        .map(|(name, _, iou, p)| (format!("{name}: p, IoU {iou:.2} at p ≥ ½"), p))
        .collect();
    let path = args.out.join("masks.svg");
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    render(&image, &masks, &path).map_err(|e| format!("{}: {e}", path.display()))?;
    out!("\npicture: {}", path.display());
    Ok(())
}

fn main() -> std::process::ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("segmentation: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("segmentation: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Pixels of the SVG per image pixel.
const CELL: i32 = 6;
/// Grey levels of the picture: runs of equal level in a row become one rectangle, which keeps
/// the SVG small.
const LEVELS: f64 = 16.0;

/// Writes the image, its ground truth and the fitted masks side by side.
fn render(image: &BlobImage, masks: &[(String, Vec<f64>)], path: &Path) -> Result<()> {
    let n = image.size as i32;
    let side = n * CELL;
    let (gap, top) = (16, 28);
    // Intensity shown from −1 (white) to 2 (black), so the noise is visible but not clipped
    // much; masks from p = 0 (white) to 1 (black).
    let intensity: Vec<f64> = image.intensity.iter().map(|i| (i + 1.0) / 3.0).collect();
    let mut panels = vec![
        ("image (noise σ = 0.8)".to_string(), intensity),
        ("ground truth".to_string(), image.mask.clone()),
    ];
    panels.extend(masks.iter().cloned());
    let width = panels.len() as i32 * (side + gap) + gap;
    let height = side + top + gap;
    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (width as u32, height as u32)).into_drawing_area();
        root.fill(&WHITE)?;
        for (k, (title, values)) in panels.iter().enumerate() {
            let x0 = gap + k as i32 * (side + gap);
            let y0 = top;
            root.draw(&Text::new(
                title.clone(),
                (x0, 8),
                ("sans-serif", 13).into_font().color(&BLACK),
            ))?;
            for y in 0..n {
                let row = &values[(y * n) as usize..((y + 1) * n) as usize];
                let level = |v: f64| (v.clamp(0.0, 1.0) * (LEVELS - 1.0)).round();
                let mut x = 0;
                while x < n {
                    let l = level(row[x as usize]);
                    let mut end = x + 1;
                    while end < n && level(row[end as usize]) == l {
                        end += 1;
                    }
                    // White runs are the background already.
                    if l > 0.0 {
                        let grey = (255.0 * (1.0 - l / (LEVELS - 1.0))).round() as u8;
                        root.draw(&Rectangle::new(
                            [
                                (x0 + x * CELL, y0 + y * CELL),
                                (x0 + end * CELL, y0 + (y + 1) * CELL),
                            ],
                            RGBColor(grey, grey, grey).filled(),
                        ))?;
                    }
                    x = end;
                }
            }
            root.draw(&Rectangle::new(
                [(x0, y0), (x0 + side, y0 + side)],
                BLACK.stroke_width(1),
            ))?;
        }
        root.present()?;
    }
    let svg = merge_rects(&svg);
    write_atomically(path, |w| w.write_all(svg.as_bytes()))?;
    Ok(())
}

/// Rewrites plotters' filled `<rect>` elements as one `<path>` per colour, a quarter of the
/// bytes. The cells never overlap, so drawing each colour at its first rectangle's place keeps
/// the picture; any other line (text, frames, another plotters format) passes through as is.
fn merge_rects(svg: &str) -> String {
    let parse = |line: &str| -> Option<(String, [i64; 4])> {
        // plotters writes x, y, width, height, opacity, fill, stroke in that order.
        let (geometry, fill) = line
            .strip_prefix("<rect ")?
            .split_once(r#" opacity="1" fill=""#)?;
        let fill = fill.strip_suffix(r#"" stroke="none"/>"#)?;
        let mut numbers = geometry
            .split('"')
            .skip(1)
            .step_by(2)
            .map(|v| v.parse().ok());
        let mut next = || numbers.next().flatten();
        Some((fill.to_string(), [next()?, next()?, next()?, next()?]))
    };
    let mut lines: Vec<String> = Vec::new();
    let mut paths: Vec<(String, usize)> = Vec::new();
    for line in svg.lines() {
        match parse(line) {
            Some((fill, [x, y, w, h])) => {
                let index = match paths.iter().find(|(f, _)| *f == fill) {
                    Some((_, index)) => *index,
                    None => {
                        lines.push(format!(r#"<path fill="{fill}" d=""#));
                        paths.push((fill, lines.len() - 1));
                        lines.len() - 1
                    }
                };
                lines[index].push_str(&format!("M{x} {y}h{w}v{h}h-{w}z"));
            }
            None => lines.push(line.to_string()),
        }
    }
    for (_, index) in paths {
        lines[index].push_str(r#""/>"#);
    }
    lines.join("\n") + "\n"
}
