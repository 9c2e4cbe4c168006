//! The data of a top view of a solved pose graph: the estimate's positions, its loop closures
//! with the ones judged outliers flagged, and the cost of every accepted iteration.

use std::collections::HashMap;

use super::LoopClosure;
use crate::eval::Trajectory;
use crate::io::G2oGraph;
use crate::solver::{Summary, OUTLIER_WEIGHT};

/// What [`solution_drawing`] extracts, owned, ready to borrow into a [`super::TopView`].
#[derive(Debug, Clone, PartialEq)]
pub struct SolutionDrawing {
    /// x, y of every pose of the estimate.
    pub trajectory: Vec<[f64; 2]>,
    /// Loop closures (edges joining non-consecutive ids) between the estimate's poses; those
    /// whose final weight is below [`OUTLIER_WEIGHT`] are flagged as outliers.
    pub loop_closures: Vec<LoopClosure>,
    /// Cost after every accepted iteration.
    pub costs: Vec<f64>,
}

/// x, y of every pose of a trajectory (a top view of a 3D one).
pub fn positions(trajectory: &Trajectory) -> Vec<[f64; 2]> {
    trajectory
        .poses
        .iter()
        .map(|p| [p.translation().x, p.translation().y])
        .collect()
}

/// The drawing of `estimate` (a solve of `graph`, possibly aligned to a reference) with the
/// weights and iteration log of its `summary`. Edges whose vertices are not in `estimate` are
/// left out.
pub fn solution_drawing(
    graph: &G2oGraph,
    estimate: &Trajectory,
    summary: &Summary,
) -> SolutionDrawing {
    let index: HashMap<i64, usize> = estimate
        .ids
        .iter()
        .enumerate()
        .map(|(k, &id)| (id, k))
        .collect();
    let at = |id: i64| {
        index.get(&id).map(|&k| {
            let p = estimate.poses[k].translation();
            [p.x, p.y]
        })
    };
    let loop_closures = graph
        .edges
        .iter()
        .zip(&summary.weights)
        .filter(|(e, _)| e.is_loop_closure())
        .filter_map(|(e, &w)| {
            Some(LoopClosure {
                from: at(e.from)?,
                to: at(e.to)?,
                outlier: w < OUTLIER_WEIGHT,
            })
        })
        .collect();
    SolutionDrawing {
        trajectory: positions(estimate),
        loop_closures,
        costs: summary
            .log
            .iter()
            .filter(|r| r.accepted)
            .map(|r| r.cost)
            .collect(),
    }
}
