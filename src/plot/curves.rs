//! The curve-fit figure: scattered samples (inliers and outliers told apart),
//! the true curve underneath and one fitted curve per estimator on top.

use std::path::Path;

use plotters::prelude::*;

use super::geometry::{is_finite, simplify, Bounds, MAX_POINTS};
use super::panels::{
    caption, cartesian_chart, draw_err, draw_legend_row, plot_size, reference_style, Area,
    LegendSample, INLIER, OUTLIER,
};
use super::{render, PlotError, LEGEND_HEIGHT};

/// Scattered data and fitted curves to draw with [`render_curve_fit`].
///
/// ```
/// use rhopt::plot::{CurveFitView, FittedCurve};
///
/// let fit: Vec<[f64; 2]> = (0..=10).map(|i| [i as f64, 2.0 * i as f64]).collect();
/// let view = CurveFitView {
///     title: "y = 2x",
///     x_label: "x",
///     y_label: "y",
///     inliers: &[[1.0, 2.1], [2.0, 3.9]],
///     outliers: &[[3.0, 20.0]],
///     truth: None,
///     curves: &[FittedCurve { label: "L2", points: &fit }],
/// };
/// assert_eq!(view.curves.len(), 1);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct CurveFitView<'a> {
    /// Title above the chart.
    pub title: &'a str,
    /// Name of the x axis.
    pub x_label: &'a str,
    /// Name of the y axis.
    pub y_label: &'a str,
    /// Samples drawn as grey dots.
    pub inliers: &'a [[f64; 2]],
    /// Samples drawn as red crosses, on top of the curves so none hides them.
    pub outliers: &'a [[f64; 2]],
    /// The true curve, if known: a broad light-orange line underneath everything, so fits that
    /// coincide with it still show.
    pub truth: Option<&'a [[f64; 2]]>,
    /// Fitted curves, each a polyline (sample it densely enough to look smooth), drawn in this
    /// order in the colours of a fixed palette of six, which then repeats.
    pub curves: &'a [FittedCurve<'a>],
}

/// One fitted curve of a [`CurveFitView`].
#[derive(Clone, Copy, Debug)]
pub struct FittedCurve<'a> {
    /// Legend entry, e.g. `"Cauchy"`.
    pub label: &'a str,
    /// Points (x, y) of the curve, in drawing order.
    pub points: &'a [[f64; 2]],
}

/// Largest distance, in pixels, by which simplifying may move a drawn curve.
const CURVE_TOLERANCE_PX: f64 = 0.1;

/// Size of a [`render_curve_fit`] figure, pixels.
const SIZE: (u32, u32) = (960, 600);

/// Fitted-curve colours, from the Okabe-Ito set where it does not clash with the grey inliers,
/// red outliers and orange truth: distinguishable with the common colour-vision deficiencies.
const PALETTE: [RGBColor; 6] = [
    RGBColor(0x7B, 0x32, 0x94), // purple
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0x1F, 0x2D, 0x5C), // the top views' navy
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0xA6, 0x76, 0x1D), // brown
];

fn curve_style(index: usize) -> ShapeStyle {
    PALETTE[index % PALETTE.len()].stroke_width(2)
}
fn inlier_dot() -> LegendSample {
    LegendSample::Dot(3, INLIER.mix(0.8).filled())
}
fn outlier_cross() -> LegendSample {
    LegendSample::Cross(4, OUTLIER.stroke_width(2))
}

/// Draws `view` into an SVG file at `path`: a legend row, then one chart whose axes cover every
/// finite point given (samples and curves) with a small margin, each axis scaled on its own.
/// Drawing order, bottom to top: truth, inliers, fitted curves, outliers.
///
/// NaN and infinite points are skipped. The file is replaced whole or not at all.
///
/// # Errors
/// [`PlotError::NothingToPlot`] when no point at all is finite, [`PlotError::NonFiniteRange`]
/// when a span overflows, [`PlotError::Io`] when the file cannot be written.
///
/// ```
/// use rhopt::plot::{render_curve_fit, CurveFitView, FittedCurve};
///
/// let truth: Vec<[f64; 2]> = (0..=50).map(|i| [i as f64 / 10.0, (i as f64 / 10.0).exp()]).collect();
/// let view = CurveFitView {
///     title: "y = exp(x)",
///     x_label: "x",
///     y_label: "y",
///     inliers: &[[0.0, 1.1], [1.0, 2.6], [2.0, 7.5]],
///     outliers: &[[3.0, 1.0]],
///     truth: Some(&truth),
///     curves: &[FittedCurve { label: "Cauchy", points: &truth }],
/// };
/// let path = std::env::temp_dir().join(format!("rhopt-doc-fit-{}.svg", std::process::id()));
/// render_curve_fit(&view, &path)?;
/// assert!(std::fs::read_to_string(&path)?.contains("Cauchy"));
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn render_curve_fit(view: &CurveFitView<'_>, path: &Path) -> Result<(), PlotError> {
    let mut bounds = Bounds::empty();
    let curves = view.curves.iter().map(|c| c.points);
    for points in [view.inliers, view.outliers, view.truth.unwrap_or_default()]
        .into_iter()
        .chain(curves)
    {
        points.iter().for_each(|p| bounds.include(*p));
    }
    if bounds.is_empty() {
        return Err(PlotError::NothingToPlot {
            title: view.title.to_owned(),
        });
    }
    let ranges = bounds.padded(0.04)?;
    render(SIZE, path, |root| {
        let body = caption(root, view.title, 22)?;
        let (legend, chart) = body.split_vertically(LEGEND_HEIGHT);
        draw_legend_row(&legend, &legend_items(view))?;
        draw_chart(&chart, view, ranges)
    })
}

/// Legend entries for what the figure shows: kinds with no finite point are left out.
fn legend_items<'a>(view: &CurveFitView<'a>) -> Vec<(&'a str, LegendSample)> {
    let any = |points: &[[f64; 2]]| points.iter().any(|p| is_finite(*p));
    let mut items = Vec::new();
    if any(view.inliers) {
        items.push(("inliers", inlier_dot()));
    }
    if any(view.outliers) {
        items.push(("outliers", outlier_cross()));
    }
    if view.truth.is_some_and(any) {
        items.push(("truth", LegendSample::Line(reference_style())));
    }
    for (i, curve) in view.curves.iter().enumerate() {
        items.push((curve.label, LegendSample::Line(curve_style(i))));
    }
    items
}

fn draw_chart(
    area: &Area<'_>,
    view: &CurveFitView<'_>,
    (xr, yr): (std::ops::Range<f64>, std::ops::Range<f64>),
) -> Result<(), PlotError> {
    // Simplify in pixels: the axes have different units, so a pixel is a different distance
    // along each. A tenth of a pixel rather than the top views' half: a smooth curve cut into
    // long chords shows its corners when the SVG is zoomed, and the points it costs are few.
    let (pw, ph) = plot_size(area.dim_in_pixel());
    let scale = [
        f64::from(pw) / (xr.end - xr.start),
        f64::from(ph) / (yr.end - yr.start),
    ];
    let polyline = |points: &[[f64; 2]]| -> Vec<(f64, f64)> {
        let in_px: Vec<[f64; 2]> = points
            .iter()
            .map(|p| [p[0] * scale[0], p[1] * scale[1]])
            .collect();
        simplify(&in_px, CURVE_TOLERANCE_PX, MAX_POINTS)
            .into_iter()
            .map(|p| (p[0] / scale[0], p[1] / scale[1]))
            .collect()
    };
    let mut chart = cartesian_chart(area, xr, yr, view.x_label, view.y_label)?;

    let finite = |points: &'_ [[f64; 2]]| {
        points
            .iter()
            .filter(|p| is_finite(**p))
            .map(|p| (p[0], p[1]))
            .collect::<Vec<_>>()
    };
    if let Some(truth) = view.truth {
        chart
            .draw_series([PathElement::new(polyline(truth), reference_style())])
            .map_err(draw_err)?;
    }
    if let LegendSample::Dot(radius, style) = inlier_dot() {
        chart
            .draw_series(
                finite(view.inliers)
                    .into_iter()
                    .map(|p| Circle::new(p, radius, style)),
            )
            .map_err(draw_err)?;
    }
    for (i, curve) in view.curves.iter().enumerate() {
        chart
            .draw_series([PathElement::new(polyline(curve.points), curve_style(i))])
            .map_err(draw_err)?;
    }
    if let LegendSample::Cross(size, style) = outlier_cross() {
        chart
            .draw_series(
                finite(view.outliers)
                    .into_iter()
                    .map(|p| Cross::new(p, size, style)),
            )
            .map_err(draw_err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_path(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("rhopt-curves-{name}-{}.svg", std::process::id()))
    }

    #[test]
    fn draws_every_kind_and_skips_non_finite_points() {
        let curve: Vec<[f64; 2]> = (0..=100)
            .map(|i| [f64::from(i) / 20.0, (0.3 * f64::from(i) / 20.0 + 1.0).exp()])
            .chain([[f64::NAN, 1.0]])
            .collect();
        let view = CurveFitView {
            title: "fit",
            x_label: "x",
            y_label: "y",
            inliers: &[[0.0, 2.7], [2.5, 5.8], [f64::INFINITY, 0.0]],
            outliers: &[[1.0, 14.0], [4.0, 0.5]],
            truth: Some(&curve),
            curves: &[
                FittedCurve {
                    label: "L2",
                    points: &curve,
                },
                FittedCurve {
                    label: "Cauchy",
                    points: &curve,
                },
            ],
        };
        let path = temp_path("all");
        render_curve_fit(&view, &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        // plotters writes each text on a line of its own.
        for text in ["fit", "inliers", "outliers", "truth", "L2", "Cauchy"] {
            assert!(svg.contains(&format!("\n{text}\n")), "{text} missing");
        }
        // Two inlier dots and one legend dot; NaN and infinity nowhere.
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        // A smooth curve of 101 points needs far fewer at half-pixel accuracy.
        assert!(svg.len() < 20_000, "{} bytes", svg.len());
    }

    #[test]
    fn nothing_finite_is_an_error_and_writes_nothing() {
        let view = CurveFitView {
            title: "empty",
            x_label: "x",
            y_label: "y",
            inliers: &[[f64::NAN, 0.0]],
            outliers: &[],
            truth: None,
            curves: &[FittedCurve {
                label: "L2",
                points: &[],
            }],
        };
        let path = temp_path("empty");
        assert!(matches!(
            render_curve_fit(&view, &path),
            Err(PlotError::NothingToPlot { .. })
        ));
        assert!(!path.exists());
    }

    #[test]
    fn a_single_point_still_gets_axes() {
        let view = CurveFitView {
            title: "one",
            x_label: "x",
            y_label: "y",
            inliers: &[[2.0, 2.0]],
            outliers: &[],
            truth: None,
            curves: &[],
        };
        let path = temp_path("one");
        render_curve_fit(&view, &path).unwrap();
        std::fs::remove_file(&path).unwrap();
    }
}
