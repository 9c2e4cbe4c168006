//! SVG figures of pose-graph estimates: a top view with its cost curve, and
//! a grid comparing several estimates side by side; and of curve fits
//! ([`render_curve_fit`]): samples, outliers and fitted curves.
//!
//! Everything is passed in as plain numbers ([`TopView`], [`LoopClosure`]),
//! so this module does not depend on the rest of the crate.
//!
//! The figures are meant to be committed next to the code, so they are kept
//! small:
//! * polylines are simplified with Ramer–Douglas–Peucker to within half a
//!   pixel (invisible), then, if still longer than 2000 points, thinned to
//!   2000 points at evenly spaced indices (first and last always kept);
//! * loop closures that land on the same pixels as one already drawn, or are
//!   shorter than a pixel, are drawn once or not at all;
//! * coordinates are whole pixels (plotters' SVG backend rounds them), and
//!   runs of lines with the same style are merged into one `<path>`.
//!
//! With 3500 poses, a reference and 3000 loop closures (an M3500-like grid
//! walk) a top-view figure is about 50 KB, 75 KB if all 3000 closures are
//! long random outliers; a 6-panel comparison of it is about 250 KB.
//!
//! Text is plain SVG `<text>` in the viewer's `sans-serif` font; plotters is
//! built without its `ttf` feature, so no font files, fontconfig or FreeType
//! are needed to build or render.
//!
//! Bad data never panics: NaN / infinite points are skipped, a trajectory
//! with no finite point is an error ([`PlotError::EmptyTrajectory`]), and a
//! single point (or all points equal) is shown in a window of about a metre.
#![warn(missing_docs)]

mod curves;
mod solution;

pub use curves::{render_curve_fit, CurveFitView, FittedCurve};
pub use solution::{positions, solution_drawing, SolutionDrawing};
mod geometry;
mod output;
mod panels;

use std::path::{Path, PathBuf};

use plotters::prelude::*;

use geometry::Bounds;
use output::{compact_svg, write_atomically};
use panels::{caption, draw_cost_panel, draw_err, draw_legend, draw_top_view, Area, LegendEntries};

/// One estimate to draw in a top view (the x–y plane, seen from above).
///
/// ```
/// use rhopt::plot::{LoopClosure, TopView};
///
/// let poses = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.05, 0.02]];
/// let closures = [LoopClosure { from: [0.05, 0.02], to: [0.0, 0.0], outlier: false }];
/// let view = TopView {
///     title: "Cauchy — ATE 0.03 m",
///     trajectory: &poses,
///     reference: None,
///     loop_closures: &closures,
///     costs: &[120.0, 4.0, 0.9],
/// };
/// assert_eq!(view.trajectory.len(), 5);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct TopView<'a> {
    /// Title above the panel, e.g. `"Cauchy — ATE 0.81 m, P 1.00 R 0.99"`.
    pub title: &'a str,
    /// x, y in metres of each pose, in order; drawn as one dark polyline.
    pub trajectory: &'a [[f64; 2]],
    /// Ground truth or another reference, drawn in a light colour underneath.
    pub reference: Option<&'a [[f64; 2]]>,
    /// Loop closures, each drawn as a segment between the two poses.
    pub loop_closures: &'a [LoopClosure],
    /// Cost after each iteration (index 0 = initial cost), for the cost
    /// panel of [`render_top_view`]; may be empty. Ignored by
    /// [`render_comparison`].
    pub costs: &'a [f64],
}

/// A loop-closure edge, as a segment between the positions of its two poses.
///
/// ```
/// use rhopt::plot::LoopClosure;
///
/// let lc = LoopClosure { from: [0.0, 0.0], to: [3.0, 4.0], outlier: true };
/// assert!(lc.outlier);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LoopClosure {
    /// Position of the first pose, metres.
    pub from: [f64; 2],
    /// Position of the second pose, metres.
    pub to: [f64; 2],
    /// Judged an outlier by the estimator: drawn in red, on top.
    pub outlier: bool,
}

/// Why a figure could not be written. No file is left behind in any case.
///
/// ```
/// use rhopt::plot::{render_top_view, PlotError, TopView};
///
/// let view = TopView { title: "empty", trajectory: &[], reference: None,
///                      loop_closures: &[], costs: &[] };
/// let err = render_top_view(&view, std::path::Path::new("never-written.svg")).unwrap_err();
/// assert!(matches!(err, PlotError::EmptyTrajectory { .. }));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlotError {
    /// The trajectory has no pose with finite coordinates.
    #[error("trajectory of {title:?} has no finite pose to plot")]
    EmptyTrajectory {
        /// Title of the offending view.
        title: String,
    },
    /// [`render_curve_fit`] was given no finite point at all.
    #[error("figure {title:?} has no finite point to plot")]
    NothingToPlot {
        /// Title of the offending figure.
        title: String,
    },
    /// [`render_comparison`] was given no view.
    #[error("no views to compare")]
    NoViews,
    /// [`render_comparison`] was asked for zero columns.
    #[error("a comparison grid needs at least one column")]
    NoColumns,
    /// Coordinates so large that the axis span overflows `f64`.
    #[error("coordinates too large to plot (axis span is not finite)")]
    NonFiniteRange,
    /// plotters failed while drawing into the in-memory SVG.
    #[error("drawing failed: {0}")]
    Draw(String),
    /// Writing the file failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The figure that was to be written.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// Size of a [`render_top_view`] figure, pixels.
const TOP_VIEW_SIZE: (u32, u32) = (1240, 640);
/// Width of the top-view panel in it; the cost panel gets the rest.
const TOP_VIEW_PANEL_WIDTH: u32 = 680;
/// Size of one [`render_comparison`] cell, pixels.
const CELL_SIZE: (u32, u32) = (440, 480);
/// Height of the legend row.
const LEGEND_HEIGHT: u32 = 34;

/// Draws `view` into an SVG file at `path`: on the left the top view (equal
/// scale on both axes; reference underneath in light orange, estimate in dark
/// navy, loop closures in translucent grey, judged outliers in red on top,
/// with a legend), on the right the cost per iteration on a log10 axis.
///
/// The file is replaced whole or not at all.
///
/// ```
/// use rhopt::plot::{render_top_view, LoopClosure, TopView};
///
/// let poses = [[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0], [0.1, 0.1]];
/// let closures = [
///     LoopClosure { from: [0.1, 0.1], to: [0.0, 0.0], outlier: false },
///     LoopClosure { from: [2.0, 2.0], to: [0.0, 0.0], outlier: true },
/// ];
/// let view = TopView {
///     title: "Huber — ATE 0.05 m",
///     trajectory: &poses,
///     reference: Some(&[[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0], [0.0, 0.0]]),
///     loop_closures: &closures,
///     costs: &[50.0, 3.0, 0.4, 0.39],
/// };
/// let path = std::env::temp_dir().join(format!("rhopt-doc-top-{}.svg", std::process::id()));
/// render_top_view(&view, &path)?;
/// assert!(std::fs::read_to_string(&path)?.contains("Huber"));
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn render_top_view(view: &TopView<'_>, path: &Path) -> Result<(), PlotError> {
    let bounds = Bounds::of_view(view)?;
    render(TOP_VIEW_SIZE, path, |root| {
        let body = caption(root, view.title, 24)?;
        let (left, right) = body.split_horizontally(TOP_VIEW_PANEL_WIDTH);
        let (legend, top_view) = left.split_vertically(LEGEND_HEIGHT);
        draw_legend(&legend, LegendEntries::of([view]))?;
        draw_top_view(&top_view, view, &bounds)?;
        draw_cost_panel(&caption(&right, "cost per iteration", 17)?, view.costs)
    })
}

/// Draws `views` as a grid of top views, `columns` per row (fewer if there
/// are fewer views), each with its own title and one legend for all. Every
/// panel shows the same x and y ranges — the union of all views — so they
/// can be compared at a glance. Cost curves are not drawn.
///
/// The file is replaced whole or not at all.
///
/// ```
/// use rhopt::plot::{render_comparison, TopView};
///
/// let good = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]];
/// let bad = [[0.0, 0.0], [1.5, 0.3], [2.0, 1.8]];
/// let view = |title, trajectory| TopView {
///     title, trajectory, reference: Some(&good), loop_closures: &[], costs: &[],
/// };
/// let views = [view("L2", &bad[..]), view("Cauchy", &good[..])];
/// let path = std::env::temp_dir().join(format!("rhopt-doc-cmp-{}.svg", std::process::id()));
/// render_comparison(&views, 2, &path)?;
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn render_comparison(
    views: &[TopView<'_>],
    columns: usize,
    path: &Path,
) -> Result<(), PlotError> {
    if columns == 0 {
        return Err(PlotError::NoColumns);
    }
    let bounds = views
        .iter()
        .map(Bounds::of_view)
        .try_fold(None, |acc: Option<Bounds>, b| {
            b.map(|b| Some(acc.map_or(b, |a| a.union(b))))
        })?
        .ok_or(PlotError::NoViews)?;
    let columns = columns.min(views.len());
    let rows = views.len().div_ceil(columns);
    // Sized as an exact multiple of the cell so every panel gets the same
    // pixels, hence the same ranges.
    let size = (
        CELL_SIZE.0 * columns as u32,
        LEGEND_HEIGHT + CELL_SIZE.1 * rows as u32,
    );
    render(size, path, |root| {
        let (legend, grid) = root.split_vertically(LEGEND_HEIGHT);
        draw_legend(&legend, LegendEntries::of(views))?;
        for (cell, view) in grid.split_evenly((rows, columns)).iter().zip(views) {
            draw_top_view(&caption(cell, view.title, 17)?, view, &bounds)?;
        }
        Ok(())
    })
}

/// Runs `draw` on a white canvas of `size` pixels held in memory, then
/// compacts the SVG and writes it atomically to `path`.
fn render(
    size: (u32, u32),
    path: &Path,
    draw: impl FnOnce(&Area<'_>) -> Result<(), PlotError>,
) -> Result<(), PlotError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        draw(&root)?;
        root.present().map_err(draw_err)?;
    }
    write_atomically(path, &compact_svg(&svg))
}

#[cfg(test)]
mod tests;
