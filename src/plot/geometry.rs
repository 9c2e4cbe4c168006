//! Plain-number helpers behind the plots: bounding boxes, equal-aspect axis
//! ranges, polyline simplification and loop-closure de-duplication.
//!
//! Nothing here knows about plotters, so it is easy to test in isolation.

use std::collections::HashSet;
use std::ops::Range;

use super::{PlotError, TopView};

/// Most points one polyline (trajectory, reference, cost curve) keeps in the
/// SVG. Past this, even a sub-pixel simplification is thinned out by an even
/// stride, which keeps figures for very long runs small.
pub(crate) const MAX_POINTS: usize = 2000;

/// True when both coordinates are finite; NaN / ±inf points are skipped
/// everywhere instead of poisoning ranges or being drawn at pixel 0.
pub(crate) fn is_finite(p: [f64; 2]) -> bool {
    p[0].is_finite() && p[1].is_finite()
}

/// Axis-aligned bounding box of the finite points seen so far.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Bounds {
    min: [f64; 2],
    max: [f64; 2],
}

impl Bounds {
    /// A box that contains nothing; `include` grows it.
    pub(crate) fn empty() -> Self {
        Self {
            min: [f64::INFINITY; 2],
            max: [f64::NEG_INFINITY; 2],
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.min[0] > self.max[0]
    }

    pub(crate) fn include(&mut self, p: [f64; 2]) {
        if is_finite(p) {
            self.min = [self.min[0].min(p[0]), self.min[1].min(p[1])];
            self.max = [self.max[0].max(p[0]), self.max[1].max(p[1])];
        }
    }

    pub(crate) fn union(mut self, other: Self) -> Self {
        if !other.is_empty() {
            self.include(other.min);
            self.include(other.max);
        }
        self
    }

    /// Everything a top view draws: trajectory, reference and both ends of
    /// every loop closure, so that nothing falls outside the axes.
    ///
    /// Errors when the trajectory has no finite point: a plot of nothing is
    /// almost certainly a bug upstream, and saying so beats an empty picture.
    pub(crate) fn of_view(view: &TopView<'_>) -> Result<Self, PlotError> {
        let mut b = Self::empty();
        view.trajectory.iter().for_each(|p| b.include(*p));
        if b.is_empty() {
            return Err(PlotError::EmptyTrajectory {
                title: view.title.to_owned(),
            });
        }
        view.reference
            .unwrap_or_default()
            .iter()
            .for_each(|p| b.include(*p));
        for lc in view.loop_closures {
            // Half-finite closures are skipped when drawn, so they must not
            // stretch the axes either.
            if is_finite(lc.from) && is_finite(lc.to) {
                b.include(lc.from);
                b.include(lc.to);
            }
        }
        Ok(b)
    }

    /// Axis ranges for a plotting area of `width` × `height` pixels such that
    /// one metre has the same length on both axes, the data is centred, and
    /// `margin` (a fraction of the data span) is left free on each side along
    /// the tighter axis.
    ///
    /// A degenerate box (a single point, or spans lost in floating-point
    /// rounding next to huge coordinates) is widened so plotters never sees
    /// an empty range; spans that overflow to infinity are an error.
    pub(crate) fn equal_aspect(
        &self,
        width: u32,
        height: u32,
        margin: f64,
    ) -> Result<(Range<f64>, Range<f64>), PlotError> {
        let centre = [
            0.5 * self.min[0] + 0.5 * self.max[0],
            0.5 * self.min[1] + 0.5 * self.max[1],
        ];
        let mut span = [self.max[0] - self.min[0], self.max[1] - self.min[1]];
        // Below ~1e-6 of the magnitude, f64 can no longer tell the two ends
        // of an axis apart reliably; show at least that much (and at least a
        // metre when all points coincide).
        let floor = 1e-6 * centre[0].abs().max(centre[1].abs()).max(1.0);
        if span[0].max(span[1]) < floor {
            span = [floor.max(1.0); 2];
        }
        // plotters maps a range onto pixels 0..=size-1.
        let px = [f64::from(width.max(2) - 1), f64::from(height.max(2) - 1)];
        let metres_per_px = (span[0] / px[0]).max(span[1] / px[1]) * (1.0 + 2.0 * margin);
        let half = [0.5 * metres_per_px * px[0], 0.5 * metres_per_px * px[1]];
        let x = (centre[0] - half[0])..(centre[0] + half[0]);
        let y = (centre[1] - half[1])..(centre[1] + half[1]);
        let ok = |r: &Range<f64>| r.start.is_finite() && r.end.is_finite() && r.start < r.end;
        if ok(&x) && ok(&y) {
            Ok((x, y))
        } else {
            Err(PlotError::NonFiniteRange)
        }
    }
}

impl Bounds {
    /// Axis ranges covering the box with `margin` (a fraction of each span)
    /// free on every side, each axis scaled on its own: for plots whose axes
    /// carry different quantities, such as y against x of a fitted curve.
    ///
    /// A degenerate axis (a single value, or a span lost in rounding next to
    /// a huge value) is widened as [`Bounds::equal_aspect`] widens the box;
    /// spans that overflow to infinity are an error.
    pub(crate) fn padded(&self, margin: f64) -> Result<(Range<f64>, Range<f64>), PlotError> {
        let axis = |lo: f64, hi: f64| {
            let centre = 0.5 * lo + 0.5 * hi;
            let floor = 1e-6 * centre.abs().max(1.0);
            let span = if hi - lo < floor {
                floor.max(1.0)
            } else {
                hi - lo
            };
            let half = 0.5 * span * (1.0 + 2.0 * margin);
            let r = (centre - half)..(centre + half);
            if r.start.is_finite() && r.end.is_finite() && r.start < r.end {
                Ok(r)
            } else {
                Err(PlotError::NonFiniteRange)
            }
        };
        Ok((
            axis(self.min[0], self.max[0])?,
            axis(self.min[1], self.max[1])?,
        ))
    }
}

/// Distance from `p` to the segment `a`–`b` (not the infinite line, so that
/// a trajectory that doubles back on itself is not flattened away).
fn segment_distance(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let d = [b[0] - a[0], b[1] - a[1]];
    let len2 = d[0] * d[0] + d[1] * d[1];
    let t = if len2 > 0.0 {
        (((p[0] - a[0]) * d[0] + (p[1] - a[1]) * d[1]) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (p[0] - a[0] - t * d[0]).hypot(p[1] - a[1] - t * d[1])
}

/// Shrinks a polyline for drawing, in two steps:
///
/// 1. non-finite points are dropped, then Ramer–Douglas–Peucker removes
///    every point whose removal moves the line by at most `tolerance`
///    (callers pass half a pixel in data units, so this step is invisible);
/// 2. if more than `max_points` remain, `max_points` of them are kept at
///    evenly spaced indices, always including the first and the last.
pub(crate) fn simplify(points: &[[f64; 2]], tolerance: f64, max_points: usize) -> Vec<[f64; 2]> {
    let pts: Vec<[f64; 2]> = points.iter().copied().filter(|p| is_finite(*p)).collect();
    let n = pts.len();
    if n <= 2 {
        return pts;
    }
    let mut keep = vec![false; n];
    keep[0] = true;
    keep[n - 1] = true;
    // An explicit stack instead of recursion: a long, wiggly trajectory must
    // not be able to overflow the call stack.
    let mut stack = vec![(0, n - 1)];
    while let Some((a, b)) = stack.pop() {
        let farthest = (a + 1..b)
            .map(|i| (i, segment_distance(pts[i], pts[a], pts[b])))
            .max_by(|l, r| l.1.total_cmp(&r.1));
        if let Some((i, d)) = farthest {
            if d > tolerance {
                keep[i] = true;
                stack.push((a, i));
                stack.push((i, b));
            }
        }
    }
    let kept: Vec<[f64; 2]> = pts
        .into_iter()
        .zip(keep)
        .filter_map(|(p, k)| k.then_some(p))
        .collect();
    thin_evenly(kept, max_points)
}

/// Keeps `max_points` (at least 2) entries at evenly spaced indices,
/// including both ends; shorter inputs are returned unchanged.
pub(crate) fn thin_evenly<T: Copy>(items: Vec<T>, max_points: usize) -> Vec<T> {
    let max_points = max_points.max(2);
    let n = items.len();
    if n <= max_points {
        return items;
    }
    (0..max_points)
        .map(|i| items[i * (n - 1) / (max_points - 1)])
        .collect()
}

/// Loop closures worth drawing: both ends finite, at least one pixel long,
/// and not a duplicate (in either direction) of one already kept once both
/// are snapped to whole pixels. `to_px` maps data to pixel coordinates.
///
/// Real data sets close many loops between the same few places; drawn, those
/// pile up on one pixel row, so keeping one of each costs nothing visually and
/// keeps the SVG small.
pub(crate) fn distinct_segments(
    segments: impl Iterator<Item = ([f64; 2], [f64; 2])>,
    to_px: impl Fn([f64; 2]) -> (i32, i32),
) -> Vec<([f64; 2], [f64; 2])> {
    let mut seen = HashSet::new();
    segments
        .filter(|(a, b)| is_finite(*a) && is_finite(*b))
        .filter(|(a, b)| {
            let (pa, pb) = (to_px(*a), to_px(*b));
            pa != pb && seen.insert(if pa <= pb { (pa, pb) } else { (pb, pa) })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_aspect_gives_same_metres_per_pixel() {
        let mut b = Bounds::empty();
        b.include([0.0, 0.0]);
        b.include([10.0, 2.0]);
        let (x, y) = b.equal_aspect(501, 201, 0.05).unwrap();
        let sx = (x.end - x.start) / 500.0;
        let sy = (y.end - y.start) / 200.0;
        assert!((sx - sy).abs() < 1e-12 * sx);
        assert!(x.start < 0.0 && x.end > 10.0 && y.start < 0.0 && y.end > 2.0);
    }

    #[test]
    fn degenerate_and_huge_bounds() {
        let mut b = Bounds::empty();
        b.include([3.0, 3.0]);
        let (x, y) = b.equal_aspect(100, 100, 0.05).unwrap();
        assert!(x.start < 3.0 && x.end > 3.0 && y.start < 3.0 && y.end > 3.0);

        let mut far = Bounds::empty();
        far.include([1e20, -1e20]);
        assert!(far.equal_aspect(100, 100, 0.05).is_ok());

        let mut wide = Bounds::empty();
        wide.include([-1.7e308, 0.0]);
        wide.include([1.7e308, 0.0]);
        assert!(matches!(
            wide.equal_aspect(100, 100, 0.05),
            Err(PlotError::NonFiniteRange)
        ));
    }

    #[test]
    fn padded_scales_each_axis_on_its_own() {
        let mut b = Bounds::empty();
        b.include([0.0, 100.0]);
        b.include([10.0, 300.0]);
        let (x, y) = b.padded(0.05).unwrap();
        assert!((x.start + 0.5).abs() < 1e-12 && (x.end - 10.5).abs() < 1e-12);
        assert!((y.start - 90.0).abs() < 1e-12 && (y.end - 310.0).abs() < 1e-12);

        let mut point = Bounds::empty();
        point.include([3.0, 3.0]);
        let (x, y) = point.padded(0.05).unwrap();
        assert!(x.start < 3.0 && x.end > 3.0 && y.start < 3.0 && y.end > 3.0);

        let mut wide = Bounds::empty();
        wide.include([0.0, -1.7e308]);
        wide.include([1.0, 1.7e308]);
        assert!(matches!(wide.padded(0.05), Err(PlotError::NonFiniteRange)));
    }

    #[test]
    fn simplify_drops_collinear_and_non_finite_points_and_caps_length() {
        let line: Vec<[f64; 2]> = (0..100).map(|i| [f64::from(i), 0.0]).collect();
        assert_eq!(
            simplify(&line, 0.01, MAX_POINTS),
            vec![[0.0, 0.0], [99.0, 0.0]]
        );

        let with_nan = [
            [0.0, 0.0],
            [f64::NAN, 1.0],
            [1.0, f64::INFINITY],
            [2.0, 2.0],
        ];
        assert_eq!(
            simplify(&with_nan, 0.01, MAX_POINTS),
            vec![[0.0, 0.0], [2.0, 2.0]]
        );

        let zigzag: Vec<[f64; 2]> = (0..10_000)
            .map(|i| [f64::from(i), f64::from(i % 2)])
            .collect();
        let out = simplify(&zigzag, 0.01, 2000);
        assert_eq!(out.len(), 2000);
        assert_eq!(out[0], zigzag[0]);
        assert_eq!(out[1999], zigzag[9999]);
    }

    #[test]
    fn distinct_segments_merges_pixel_duplicates() {
        let px = |p: [f64; 2]| (p[0].round() as i32, p[1].round() as i32);
        let segs = [
            ([0.0, 0.0], [5.0, 5.0]),
            ([5.1, 4.9], [0.1, 0.0]), // same pixels, reversed
            ([1.0, 1.0], [1.2, 1.1]), // shorter than a pixel
            ([f64::NAN, 0.0], [1.0, 1.0]),
            ([0.0, 0.0], [5.0, 6.0]),
        ];
        assert_eq!(distinct_segments(segs.into_iter(), px).len(), 2);
    }
}
