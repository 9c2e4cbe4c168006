//! Turning a parsed g2o file into a [`Problem`] and the optimised estimate back into a g2o file.
//!
//! * Vertices become variables in file order; FIX lines hold vertices constant; with no FIX line
//!   the first vertex is held fixed (the gauge), as g2o's command-line tool does.
//! * Files with edges but no vertex lines get their vertices from the edge ids (in ascending id
//!   order) and an initial guess by chaining measurements along a spanning tree from the first
//!   edge's first vertex: odometry edges (ids differing by one) first, so the guess is the
//!   dead-reckoning one, and other edges only to reach what odometry does not.

use std::collections::{HashMap, VecDeque};

use nalgebra::DMatrix;

use super::g2o::{G2oEdge, G2oGraph, G2oInformation, G2oPose, G2oVertex};
use crate::factor::{BetweenError, BetweenSe2, BetweenSe3};
use crate::manifold::{LieGroup, Se2, Se3};
use crate::problem::{Key, Problem};

/// A pose graph ready to solve, with the bookkeeping to write it back.
#[derive(Debug)]
pub struct PoseGraph {
    /// The problem: one variable per vertex, one factor per edge (in file order).
    pub problem: Problem,
    /// g2o id of each variable, by key index.
    pub vertex_ids: Vec<i64>,
    /// The parsed file (its vertices are replaced by the estimate on [`PoseGraph::to_g2o`]).
    pub graph: G2oGraph,
    /// Whether the initial guess was built from the edges (the file had no vertex lines).
    pub initialised_from_edges: bool,
    /// Keys held fixed as the gauge.
    pub fixed: Vec<Key>,
}

impl From<Se2> for G2oPose {
    fn from(x: Se2) -> Self {
        let mut p = [0.0; 3];
        x.write_params(&mut p);
        G2oPose::Se2(p)
    }
}

impl From<Se3> for G2oPose {
    fn from(x: Se3) -> Self {
        let mut p = [0.0; 7];
        x.write_params(&mut p);
        G2oPose::Se3(p)
    }
}

impl G2oPose {
    fn to_se2(self) -> Option<Se2> {
        match self {
            G2oPose::Se2(p) => Some(Se2::from_params(&p)),
            G2oPose::Se3(_) => None,
        }
    }
    fn to_se3(self) -> Option<Se3> {
        match self {
            G2oPose::Se3(p) => Some(Se3::from_params(&p)),
            G2oPose::Se2(_) => None,
        }
    }
}

/// Builds the problem of a parsed g2o graph; `error` selects the relative-pose error definition.
///
/// The parser has already checked ids, dimensions and information matrices, so this cannot fail.
pub fn build_problem(graph: G2oGraph, error: BetweenError) -> PoseGraph {
    let initialised_from_edges = graph.vertices.is_empty();
    let vertices = if initialised_from_edges {
        spanning_tree_guess(&graph)
    } else {
        graph.vertices.clone()
    };

    let mut problem = Problem::new();
    let mut key_of = HashMap::with_capacity(vertices.len());
    let mut vertex_ids = Vec::with_capacity(vertices.len());
    for v in &vertices {
        let key = match v.pose {
            G2oPose::Se2(p) => problem.add_variable(Se2::from_params(&p)),
            G2oPose::Se3(p) => problem.add_variable(Se3::from_params(&p)),
        };
        key_of.insert(v.id, key);
        vertex_ids.push(v.id);
    }
    for edge in &graph.edges {
        let (from, to) = (key_of[&edge.from], key_of[&edge.to]);
        let (factor, info): (std::sync::Arc<dyn crate::factor::Factor>, DMatrix<f64>) =
            match (edge.measurement, &edge.information) {
                (G2oPose::Se2(z), G2oInformation::Se2(info)) => (
                    std::sync::Arc::new(BetweenSe2::with_error(
                        from,
                        to,
                        Se2::from_params(&z),
                        error,
                    )),
                    DMatrix::from_column_slice(3, 3, info.as_slice()),
                ),
                (G2oPose::Se3(z), G2oInformation::Se3(info)) => (
                    std::sync::Arc::new(BetweenSe3::with_error(
                        from,
                        to,
                        Se3::from_params(&z),
                        error,
                    )),
                    DMatrix::from_column_slice(6, 6, info.as_slice()),
                ),
                _ => unreachable!("the parser rejects mixed dimensions"),
            };
        problem
            .add_shared_factor(factor, Some(info), None)
            .expect("the parser validated ids and information matrices");
    }
    let mut fixed: Vec<Key> = graph.fixed.iter().map(|id| key_of[id]).collect();
    if fixed.is_empty() {
        if let Some(first) = gauge_vertex(&graph, &vertices) {
            fixed.push(key_of[&first]);
        }
    }
    for &k in &fixed {
        problem.set_fixed(k, true);
    }
    PoseGraph {
        problem,
        vertex_ids,
        graph,
        initialised_from_edges,
        fixed,
    }
}

/// The vertex held fixed when the file names none: the first vertex line, or for edge-only files
/// the root of the spanning tree.
fn gauge_vertex(graph: &G2oGraph, vertices: &[G2oVertex]) -> Option<i64> {
    if graph.vertices.is_empty() {
        graph.edges.first().map(|e| e.from)
    } else {
        vertices.first().map(|v| v.id)
    }
}

/// Initial poses for an edge-only graph, by breadth-first chaining from the first edge's source:
/// odometry edges (consecutive ids) are used before any other edge.
fn spanning_tree_guess(graph: &G2oGraph) -> Vec<G2oVertex> {
    let mut ids: Vec<i64> = graph.edges.iter().flat_map(|e| [e.from, e.to]).collect();
    ids.sort_unstable();
    ids.dedup();
    let index: HashMap<i64, usize> = ids.iter().enumerate().map(|(i, &id)| (id, i)).collect();
    let three_d = matches!(
        graph.edges.first().map(|e| e.measurement),
        Some(G2oPose::Se3(_))
    );

    // Adjacency: (neighbour, edge index, forward?) per vertex.
    let mut adjacency: Vec<Vec<(usize, usize, bool)>> = vec![Vec::new(); ids.len()];
    for (k, e) in graph.edges.iter().enumerate() {
        let (a, b) = (index[&e.from], index[&e.to]);
        adjacency[a].push((b, k, true));
        adjacency[b].push((a, k, false));
    }
    let is_odometry = |k: usize| !graph.edges[k].is_loop_closure();

    let identity = if three_d {
        G2oPose::from(Se3::identity())
    } else {
        G2oPose::from(Se2::identity())
    };
    let mut poses: Vec<Option<G2oPose>> = vec![None; ids.len()];
    let Some(root_id) = graph.edges.first().map(|e| e.from) else {
        return Vec::new();
    };
    let mut root = Some(index[&root_id]);

    // Xⱼ = Xᵢ·Z along an edge's direction, Xᵢ = Xⱼ·Z⁻¹ against it.
    fn step<G: LieGroup>(x: G, z: G, forward: bool) -> G {
        x.compose(&if forward { z } else { z.inverse() })
    }
    let chain = |from: G2oPose, z: G2oPose, forward: bool| -> G2oPose {
        match (from.to_se2(), z.to_se2()) {
            (Some(x), Some(z)) => step(x, z, forward).into(),
            _ => step(from.to_se3().unwrap(), z.to_se3().unwrap(), forward).into(),
        }
    };

    // Pass 1 follows odometry only; pass 2 restarts from every placed vertex with all edges.
    // A component the root cannot reach starts at the identity from its lowest id.
    while let Some(r) = root {
        poses[r] = Some(identity);
        for odometry_only in [true, false] {
            let mut queue: VecDeque<usize> =
                (0..ids.len()).filter(|&i| poses[i].is_some()).collect();
            while let Some(v) = queue.pop_front() {
                let here = poses[v].expect("queued vertices are placed");
                for &(w, k, forward) in &adjacency[v] {
                    if poses[w].is_none() && (!odometry_only || is_odometry(k)) {
                        poses[w] = Some(chain(here, graph.edges[k].measurement, forward));
                        queue.push_back(w);
                    }
                }
            }
        }
        root = poses.iter().position(Option::is_none);
    }
    ids.iter()
        .zip(poses)
        .filter_map(|(&id, pose)| pose.map(|pose| G2oVertex { id, pose, line: 0 }))
        .collect()
}

impl PoseGraph {
    /// Whether each edge (in file order) is a loop closure: its vertex ids are not consecutive.
    /// Odometry edges join consecutive ids in every public dataset and in the generators here.
    pub fn loop_closures(&self) -> Vec<bool> {
        self.graph
            .edges
            .iter()
            .map(G2oEdge::is_loop_closure)
            .collect()
    }

    /// The graph with every vertex set to the current estimate; edges, ids and FIX lines as read.
    /// Edge-only inputs gain vertex lines for the estimated poses.
    pub fn to_g2o(&self) -> G2oGraph {
        let values = self.problem.values();
        let vertices = self
            .vertex_ids
            .iter()
            .enumerate()
            .map(|(i, &id)| {
                let key = Key(i);
                let p = values.params(key);
                let pose = match p.len() {
                    3 => G2oPose::Se2([p[0], p[1], p[2]]),
                    _ => G2oPose::Se3([p[0], p[1], p[2], p[3], p[4], p[5], p[6]]),
                };
                let line = self.graph.vertices.get(i).map_or(0, |v| v.line);
                G2oVertex { id, pose, line }
            })
            .collect();
        G2oGraph {
            vertices,
            ..self.graph.clone()
        }
    }
}
