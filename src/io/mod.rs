//! File input and output for pose graphs.
//!
//! * [`parse_g2o`] / [`parse_g2o_bytes`] / [`read_g2o`] read the g2o text format (`VERTEX_SE2`,
//!   `EDGE_SE2`, `VERTEX_SE3:QUAT`, `EDGE_SE3:QUAT`, `FIX`) into a [`G2oGraph`], validating every
//!   line and reporting problems as `PATH:LINE: what is wrong` ([`G2oError`]).
//! * [`write_g2o`] / [`write_g2o_file`] write a [`G2oGraph`] back; numbers use the shortest
//!   representation that reads back to the identical `f64`, so a read → write → read cycle is
//!   lossless.
//! * [`build_problem`] turns a parsed graph into a [`crate::problem::Problem`] (with a spanning-tree
//!   initial guess for edge-only files) and [`PoseGraph::to_g2o`] turns the estimate back.
//! * [`write_atomically`] replaces a file only once its new content is completely on disk, so an
//!   interrupted or failed write never leaves a truncated result behind.

mod atomic;
mod g2o;
mod pose_graph;
#[cfg(test)]
mod test_dir;

pub use atomic::write_atomically;
pub(crate) use g2o::{location, one_line_path};
pub use g2o::{
    parse_g2o, parse_g2o_bytes, parse_g2o_with, read_g2o, read_g2o_with, write_g2o, write_g2o_file,
    Dimension, G2oEdge, G2oError, G2oErrorKind, G2oGraph, G2oInformation, G2oPose, G2oReadOptions,
    G2oVertex, G2oWarning, InformationRepair, SpdRepair, SPD_REPAIR_FLOOR,
};
pub use pose_graph::{build_problem, PoseGraph};
