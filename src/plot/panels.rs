//! Drawing: the panels and the legend that both figures are built from.

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::geometry::{distinct_segments, is_finite, simplify, thin_evenly, Bounds, MAX_POINTS};
use super::{PlotError, TopView};

/// Where the panels draw: an area of the in-memory SVG.
pub(crate) type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// Converts any plotters error into ours; plotters' error types are generic
/// over the backend, so only their message is kept.
pub(crate) fn draw_err(e: impl std::fmt::Display) -> PlotError {
    PlotError::Draw(e.to_string())
}

pub(crate) const FONT: &str = "sans-serif";
/// Dark navy: the estimate is what the reader looks at first.
pub(crate) const ESTIMATE: RGBColor = RGBColor(0x1F, 0x2D, 0x5C);
/// Light orange: clearly another hue than the navy estimate and the red
/// outliers, and light enough to sit underneath without hiding it.
pub(crate) const REFERENCE: RGBColor = RGBColor(0xF4, 0xB0, 0x6A);
/// Loop closures are context, not content: thin, grey and translucent.
pub(crate) const INLIER: RGBColor = RGBColor(0x70, 0x70, 0x70);
const INLIER_ALPHA: f64 = 0.45;
/// Judged outliers must pop out: saturated red, on top of everything.
pub(crate) const OUTLIER: RGBColor = RGBColor(0xD6, 0x27, 0x28);
const OUTLIER_ALPHA: f64 = 0.75;
/// Up to this many iterations, each one gets a dot on the cost curve.
const MARKERS_UP_TO: usize = 60;
/// Most decades the cost axis spans (see [`draw_cost_panel`]).
const MAX_DECADES: i32 = 300;

fn estimate_style() -> ShapeStyle {
    ESTIMATE.stroke_width(2)
}
pub(crate) fn reference_style() -> ShapeStyle {
    REFERENCE.stroke_width(4)
}
fn inlier_style() -> ShapeStyle {
    INLIER.mix(INLIER_ALPHA).stroke_width(1)
}
fn outlier_style() -> ShapeStyle {
    OUTLIER.mix(OUTLIER_ALPHA).stroke_width(1)
}

/// Space around each chart and for its tick labels, in pixels. Fixed sizes
/// (rather than plotters' automatic ones) let [`plot_size`] know the plotting
/// area before the chart exists, which the equal-aspect ranges need.
const CHART_MARGIN: u32 = 10;
const X_LABEL_AREA: u32 = 42;
const Y_LABEL_AREA: u32 = 64;

/// Pixel size of the plotting area that [`chart_builder`] leaves inside an
/// area of size `area`.
pub(crate) fn plot_size(area: (u32, u32)) -> (u32, u32) {
    let shrink = |v: u32, label: u32| v.saturating_sub(2 * CHART_MARGIN + label).max(2);
    (shrink(area.0, Y_LABEL_AREA), shrink(area.1, X_LABEL_AREA))
}

/// A chart builder with the fixed margins and label areas that
/// [`plot_size`] assumes; every chart in the figures starts here.
pub(crate) fn chart_builder<'a, 'b>(area: &'a Area<'b>) -> ChartBuilder<'a, 'b, SVGBackend<'b>> {
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(CHART_MARGIN)
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(Y_LABEL_AREA);
    builder
}

/// A chart on `area` over `xr` × `yr` with the house style: light grid, axis descriptions,
/// tick labels with as many decimals as the range needs.
pub(crate) fn cartesian_chart<'a, 'b>(
    area: &'a Area<'b>,
    xr: std::ops::Range<f64>,
    yr: std::ops::Range<f64>,
    x_desc: &str,
    y_desc: &str,
) -> Result<Chart<'a, 'b>, PlotError> {
    let (x_label, y_label) = (
        metre_label(xr.end - xr.start),
        metre_label(yr.end - yr.start),
    );
    let mut chart = chart_builder(area)
        .build_cartesian_2d(xr, yr)
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .x_desc(x_desc)
        .y_desc(y_desc)
        .axis_desc_style((FONT, 15))
        .label_style((FONT, 13))
        .light_line_style(TRANSPARENT)
        .bold_line_style(BLACK.mix(0.08))
        .draw()
        .map_err(draw_err)?;
    Ok(chart)
}

/// The chart type [`cartesian_chart`] returns.
pub(crate) type Chart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A panel caption, drawn centred at the top of `area`; returns the rest.
pub(crate) fn caption<'b>(area: &Area<'b>, text: &str, size: u32) -> Result<Area<'b>, PlotError> {
    area.titled(text, (FONT, size)).map_err(draw_err)
}

/// Which kinds of lines a legend lists; the estimate is always there.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct LegendEntries {
    reference: bool,
    inliers: bool,
    outliers: bool,
}

impl LegendEntries {
    /// The kinds present in any of `views`, so a shared legend only lists
    /// what can actually be seen somewhere.
    pub(crate) fn of<'v>(views: impl IntoIterator<Item = &'v TopView<'v>>) -> Self {
        views.into_iter().fold(Self::default(), |acc, v| {
            let drawn = |outlier: bool| {
                v.loop_closures
                    .iter()
                    .any(|l| l.outlier == outlier && is_finite(l.from) && is_finite(l.to))
            };
            Self {
                reference: acc.reference
                    || v.reference.is_some_and(|r| r.iter().any(|p| is_finite(*p))),
                inliers: acc.inliers || drawn(false),
                outliers: acc.outliers || drawn(true),
            }
        })
    }
}

/// One row of legend entries (a short line sample and its name), centred
/// in `area`. Drawn outside the charts so it can never cover data.
pub(crate) fn draw_legend(area: &Area<'_>, entries: LegendEntries) -> Result<(), PlotError> {
    let mut items = vec![("estimate", LegendSample::Line(estimate_style()))];
    if entries.reference {
        items.push(("reference", LegendSample::Line(reference_style())));
    }
    if entries.inliers {
        items.push(("loop closure", LegendSample::Line(inlier_style())));
    }
    if entries.outliers {
        items.push(("judged outlier", LegendSample::Line(outlier_style())));
    }
    draw_legend_row(area, &items)
}

/// What a legend entry shows in front of its label.
#[derive(Clone, Copy, Debug)]
pub(crate) enum LegendSample {
    /// A short stretch of a line in this style.
    Line(ShapeStyle),
    /// A filled dot of this radius and colour, as scattered data are drawn.
    Dot(u32, ShapeStyle),
    /// A cross of this half-size and stroke.
    Cross(u32, ShapeStyle),
}

/// One row of legend entries (a sample and its name), centred in `area`.
pub(crate) fn draw_legend_row(
    area: &Area<'_>,
    items: &[(&str, LegendSample)],
) -> Result<(), PlotError> {
    const SIZE: u32 = 15;
    const SAMPLE: i32 = 26;
    const GAP: i32 = 6;
    const SPACING: i32 = 28;
    // The browser picks the font, so text widths are only estimates: about
    // 0.55 em per character for a sans-serif face (plotters' SVG text is
    // SIZE / 1.24 px high).
    let text_width = |t: &str| (t.chars().count() as f64 * 0.55 * f64::from(SIZE) / 1.24) as i32;
    let total: i32 = items
        .iter()
        .map(|(t, _)| SAMPLE + GAP + text_width(t))
        .sum::<i32>()
        + SPACING * (items.len() as i32 - 1);
    let (w, h) = area.dim_in_pixel();
    let mut x = (w as i32 - total).max(0) / 2;
    let y = h as i32 / 2;
    let text = TextStyle::from((FONT, SIZE)).pos(Pos::new(HPos::Left, VPos::Center));
    for &(label, sample) in items {
        let centre = (x + SAMPLE / 2, y);
        match sample {
            LegendSample::Line(style) => {
                area.draw(&PathElement::new(vec![(x, y), (x + SAMPLE, y)], style))
            }
            LegendSample::Dot(radius, style) => area.draw(&Circle::new(centre, radius, style)),
            LegendSample::Cross(size, style) => area.draw(&Cross::new(centre, size, style)),
        }
        .map_err(draw_err)?;
        area.draw_text(label, &text, (x + SAMPLE + GAP, y))
            .map_err(draw_err)?;
        x += SAMPLE + GAP + text_width(label) + SPACING;
    }
    Ok(())
}

/// Drops trailing zeros (and a bare trailing point) of a decimal number.
fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// Formats `v` as `<mantissa>e<exponent>` with up to `digits` decimals in
/// the mantissa, trailing zeros dropped: "1e4", "2.5e-5".
fn scientific(v: f64, digits: usize) -> String {
    if v == 0.0 {
        return "0".to_owned();
    }
    let s = format!("{v:.digits$e}");
    match s.split_once('e') {
        Some((mantissa, exp)) => format!("{}e{exp}", trim_zeros(mantissa)),
        None => s, // "NaN", "inf": not expected on an axis
    }
}

/// Tick-label formatter for an axis spanning `span` metres (or any other
/// unit: the curve-fit figure labels plain numbers with it): as many
/// decimals as the tick spacing needs (plotters puts about ten ticks on an
/// axis) and no trailing zeros, so "30" rather than plotters' "30.0", and
/// "0.25" where it matters. Spans of 100 km and more (not a robot's world,
/// but garbage in must not give unreadable 300-digit labels) switch to
/// scientific notation.
pub(crate) fn metre_label(span: f64) -> impl Fn(&f64) -> String {
    let decimals = (1.0 - (span / 10.0).log10().floor()).clamp(0.0, 9.0) as usize;
    move |v| {
        if span >= 1e5 {
            return scientific(*v, 2);
        }
        let s = format!("{v:.decimals$}");
        // Rounding can leave a "-0" for a tick a hair below zero.
        match trim_zeros(&s) {
            "-0" => "0".to_owned(),
            t => t.to_owned(),
        }
    }
}

/// The top view of one estimate, filling `area`; axes cover `bounds` at
/// equal scale. Drawing order, bottom to top: reference, inlier loop
/// closures, estimate, judged outliers — the outliers are the point of the
/// picture, and the estimate must not vanish under grey.
pub(crate) fn draw_top_view(
    area: &Area<'_>,
    view: &TopView<'_>,
    bounds: &Bounds,
) -> Result<(), PlotError> {
    let (pw, ph) = plot_size(area.dim_in_pixel());
    let (xr, yr) = bounds.equal_aspect(pw, ph, 0.04)?;
    // Half a pixel in metres: simplifying within it cannot be seen.
    let half_px = 0.5 * (xr.end - xr.start) / f64::from(pw);
    let mut chart = cartesian_chart(area, xr, yr, "x [m]", "y [m]")?;

    let closures = |outlier: bool, style: ShapeStyle| {
        let segments = view
            .loop_closures
            .iter()
            .filter(|l| l.outlier == outlier)
            .map(|l| (l.from, l.to));
        distinct_segments(segments, |p| chart.backend_coord(&(p[0], p[1])))
            .into_iter()
            .map(move |(a, b)| PathElement::new(vec![(a[0], a[1]), (b[0], b[1])], style))
            .collect::<Vec<_>>()
    };
    let inliers = closures(false, inlier_style());
    let outliers = closures(true, outlier_style());

    if let Some(reference) = view.reference {
        draw_polyline(&mut chart, reference, reference_style(), half_px)?;
    }
    chart.draw_series(inliers).map_err(draw_err)?;
    draw_polyline(&mut chart, view.trajectory, estimate_style(), half_px)?;
    chart.draw_series(outliers).map_err(draw_err)?;
    Ok(())
}

/// Draws `points` as one simplified polyline (see [`simplify`]). When all
/// of it lands on a single pixel — the robot never moved — a line would be
/// invisible, so a dot is drawn instead.
fn draw_polyline(
    chart: &mut Chart<'_, '_>,
    points: &[[f64; 2]],
    style: ShapeStyle,
    half_px: f64,
) -> Result<(), PlotError> {
    let path: Vec<(f64, f64)> = simplify(points, half_px, MAX_POINTS)
        .into_iter()
        .map(|p| (p[0], p[1]))
        .collect();
    let Some(&first) = path.first() else {
        return Ok(());
    };
    let origin = chart.backend_coord(&first);
    if path.iter().all(|p| chart.backend_coord(p) == origin) {
        chart
            .draw_series([Circle::new(first, 1 + style.stroke_width, style.filled())])
            .map_err(draw_err)?;
    } else {
        chart
            .draw_series([PathElement::new(path, style)])
            .map_err(draw_err)?;
    }
    Ok(())
}

/// Tick-label formatter for the log cost axis spanning `range`: plain
/// numbers when the whole axis lies within 0.001–9999 ("2", "0.25", "1500"),
/// otherwise scientific notation for every label ("1e4", "2.5e-5"), so one
/// axis never mixes the two. Ticks are 1–9 × 10^k, so two significant digits
/// are plenty.
fn cost_labels(range: &std::ops::Range<f64>) -> impl Fn(&f64) -> String {
    let plain = range.start >= 1e-3 && range.end < 1e4;
    move |v| {
        if plain {
            let decimals = (1.0 - v.abs().log10().floor()).clamp(0.0, 4.0) as usize;
            trim_zeros(&format!("{v:.decimals$}")).to_owned()
        } else {
            scientific(*v, 1)
        }
    }
}

/// Cost per iteration on a log10 axis. Non-positive and non-finite costs
/// have no place on a log axis and are skipped, and so are subnormal ones
/// (below `f64::MIN_POSITIVE`: zero for any practical purpose); with
/// nothing left the panel says so instead of drawing empty axes. The axis
/// spans at most [`MAX_DECADES`]; costs further below the largest are drawn
/// on the bottom edge.
pub(crate) fn draw_cost_panel(area: &Area<'_>, costs: &[f64]) -> Result<(), PlotError> {
    let points: Vec<(usize, f64)> = costs
        .iter()
        .enumerate()
        .filter(|(_, c)| c.is_finite() && **c >= f64::MIN_POSITIVE)
        .map(|(i, c)| (i, *c))
        .collect();
    let (Some(lowest), Some(hi)) = (
        points.iter().map(|p| p.1).reduce(f64::min),
        points.iter().map(|p| p.1).reduce(f64::max),
    ) else {
        let message = if costs.is_empty() {
            "no iterations"
        } else {
            "no positive cost to plot"
        };
        // A faint frame where the chart would be, so the message reads as
        // "this panel is empty" rather than as a stray label.
        let (pw, ph) = plot_size(area.dim_in_pixel());
        let x0 = (CHART_MARGIN + Y_LABEL_AREA) as i32;
        let y0 = CHART_MARGIN as i32;
        let (x1, y1) = (x0 + pw as i32, y0 + ph as i32);
        area.draw(&Rectangle::new([(x0, y0), (x1, y1)], BLACK.mix(0.15)))
            .map_err(draw_err)?;
        let grey = BLACK.mix(0.6);
        let style = TextStyle::from((FONT, 18))
            .color(&grey)
            .pos(Pos::new(HPos::Center, VPos::Center));
        return area
            .draw_text(message, &style, ((x0 + x1) / 2, (y0 + y1) / 2))
            .map_err(draw_err);
    };
    // plotters' log axis loops (practically) forever when the ratio of its
    // ends overflows f64, so the range is capped well before that.
    let lo = lowest.max(hi / 10f64.powi(MAX_DECADES));
    let points: Vec<(usize, f64)> = points.into_iter().map(|(i, c)| (i, c.max(lo))).collect();
    // A third of a decade of headroom keeps the curve off the frame, and
    // a flat curve still gets a visible range of about one decade.
    let pad = 10f64.powf(if hi / lo < 10.0 { 0.5 } else { 1.0 / 3.0 });
    let y = (lo / pad)..(hi * pad).min(f64::MAX);
    let x = 0..costs.len().saturating_sub(1).max(1);
    let y_label = cost_labels(&y);

    let mut chart = chart_builder(area)
        .build_cartesian_2d(x, y.log_scale())
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .x_desc("iteration")
        .y_desc("cost (log)")
        .axis_desc_style((FONT, 15))
        .label_style((FONT, 13))
        .y_label_formatter(&y_label)
        .light_line_style(TRANSPARENT)
        .bold_line_style(BLACK.mix(0.08))
        .draw()
        .map_err(draw_err)?;
    let few = points.len() <= MARKERS_UP_TO;
    let points = thin_evenly(points, MAX_POINTS);
    chart
        .draw_series([PathElement::new(points.clone(), estimate_style())])
        .map_err(draw_err)?;
    if few {
        // With few iterations, dots show where each one landed.
        chart
            .draw_series(
                points
                    .into_iter()
                    .map(|p| Circle::new(p, 3, ESTIMATE.filled())),
            )
            .map_err(draw_err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{cost_labels, metre_label};

    #[test]
    fn cost_labels_do_not_mix_styles() {
        let plain = cost_labels(&(0.1..5000.0));
        let l: Vec<String> = [1.0, 2.0, 0.25, 1500.0].iter().map(plain).collect();
        assert_eq!(l, ["1", "2", "0.25", "1500"]);
        let sci = cost_labels(&(100.0..2e6));
        let l: Vec<String> = [1000.0, 1e4, 2.5e5, 3e-5].iter().map(sci).collect();
        assert_eq!(l, ["1e3", "1e4", "2.5e5", "3e-5"]);
    }

    #[test]
    fn metre_labels_are_short() {
        let f = metre_label(70.0);
        assert_eq!(
            [f(&30.0), f(&-20.0), f(&-0.0), f(&2.5)],
            ["30", "-20", "0", "2.5"]
        );
        let f = metre_label(2.0);
        assert_eq!([f(&0.25), f(&1.0), f(&-1e-9)], ["0.25", "1", "0"]);
        let f = metre_label(2e300);
        assert_eq!(
            [f(&-1e300), f(&0.0), f(&2.5e299)],
            ["-1e300", "0", "2.5e299"]
        );
    }
}
