//! Trajectories and the text formats they are read from and written to.
//!
//! All list formats are whitespace-separated numeric tables with one pose per line; blank lines
//! and lines starting with `#` are skipped, and every other line must have exactly the
//! format's number of columns. One table reader ([`records`]) serves all of them, as well as the
//! weight files and the outlier sidecar files of [`crate::corrupt`].

use std::collections::HashMap;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::io::{parse_g2o, Dimension, G2oError, G2oGraph, G2oPose};
use crate::manifold::{so3, LieGroup, Se2, Se3};
use nalgebra::{Quaternion, UnitQuaternion, Vector3};

use super::{EvalError, FileError};

/// A sequence of poses, each identified by an integer id (the g2o vertex id, or the pose's
/// position in a list file).
///
/// Poses are always [`Se3`]; planar poses `(x, y, θ)` are lifted to `(x, y, 0)` with a rotation
/// by `θ` about z, and [`planar`](Trajectory::planar) records that they came from 2D data.
///
/// The fields are public for convenience, so nothing stops a caller from making them
/// inconsistent; every function that consumes a trajectory checks it first (see
/// [`Trajectory::validate`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Trajectory {
    /// Id of each pose, unique.
    pub ids: Vec<i64>,
    /// The poses (`ids[k]` is the id of `poses[k]`).
    pub poses: Vec<Se3>,
    /// Whether the poses are planar (read from 2D data).
    pub planar: bool,
    /// Timestamps of the poses, when the source had them (TUM files).
    pub timestamps: Option<Vec<f64>>,
}

impl Trajectory {
    /// A spatial trajectory from ids and poses, without timestamps.
    ///
    /// # Errors
    /// As [`Trajectory::validate`].
    pub fn new(ids: Vec<i64>, poses: Vec<Se3>) -> Result<Self, EvalError> {
        let trajectory = Trajectory {
            ids,
            poses,
            planar: false,
            timestamps: None,
        };
        trajectory.validate()?;
        Ok(trajectory)
    }

    /// A planar trajectory from ids and [`Se2`] poses, lifted to 3D.
    ///
    /// ```
    /// use rhopt::eval::Trajectory;
    /// use rhopt::manifold::Se2;
    ///
    /// let t = Trajectory::from_se2(vec![4, 7], &[Se2::new(1.0, 2.0, 0.5), Se2::new(0.0, 0.0, 0.0)])?;
    /// assert!(t.planar);
    /// assert_eq!(t.poses[0].translation().z, 0.0);
    /// # Ok::<(), rhopt::eval::EvalError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Trajectory::validate`].
    pub fn from_se2(ids: Vec<i64>, poses: &[Se2]) -> Result<Self, EvalError> {
        let trajectory = Trajectory {
            ids,
            poses: poses.iter().map(lift).collect(),
            planar: true,
            timestamps: None,
        };
        trajectory.validate()?;
        Ok(trajectory)
    }

    /// The poses of a g2o graph's vertices, in vertex order, with the vertex ids.
    ///
    /// # Errors
    /// [`EvalError::NoVertices`] for edge-only graphs; otherwise as [`Trajectory::validate`]
    /// (only possible for graphs built in code: the g2o reader rejects such files).
    pub fn from_g2o(graph: &G2oGraph) -> Result<Self, EvalError> {
        if graph.vertices.is_empty() {
            return Err(EvalError::NoVertices);
        }
        let trajectory = Trajectory {
            ids: graph.vertices.iter().map(|v| v.id).collect(),
            poses: graph.vertices.iter().map(|v| pose_of(&v.pose)).collect(),
            planar: graph.dimension() == Some(Dimension::Two),
            timestamps: None,
        };
        trajectory.validate()?;
        Ok(trajectory)
    }

    /// Number of poses.
    pub fn len(&self) -> usize {
        self.poses.len()
    }

    /// Whether the trajectory has no poses.
    pub fn is_empty(&self) -> bool {
        self.poses.is_empty()
    }

    /// Checks that the fields are consistent.
    ///
    /// # Errors
    /// [`EvalError::LengthMismatch`] if `ids` or `timestamps` do not have one entry per pose,
    /// [`EvalError::DuplicateId`] for a repeated id, [`EvalError::NonFinite`] for a pose with
    /// a NaN or infinite value.
    pub fn validate(&self) -> Result<(), EvalError> {
        let poses = self.poses.len();
        let lengths = [
            ("ids", Some(self.ids.len())),
            ("timestamps", self.timestamps.as_ref().map(Vec::len)),
        ];
        for (what, found) in lengths {
            if let Some(found) = found.filter(|&found| found != poses) {
                return Err(EvalError::LengthMismatch { what, found, poses });
            }
        }
        let mut seen = HashMap::with_capacity(poses);
        for (&id, pose) in self.ids.iter().zip(&self.poses) {
            if seen.insert(id, ()).is_some() {
                return Err(EvalError::DuplicateId { id });
            }
            if !is_finite(pose) {
                return Err(EvalError::NonFinite { id });
            }
        }
        Ok(())
    }

    /// The trajectory moved rigidly by `motion` (applied on the left: `motion · pose`).
    /// `planar` is kept only if `motion` is known to keep the plane (`keeps_plane`).
    pub(crate) fn moved(&self, motion: &Se3, keeps_plane: bool) -> Trajectory {
        Trajectory {
            ids: self.ids.clone(),
            poses: self.poses.iter().map(|p| motion.compose(p)).collect(),
            planar: self.planar && keeps_plane,
            timestamps: self.timestamps.clone(),
        }
    }
}

fn is_finite(pose: &Se3) -> bool {
    let q = pose.rotation().quaternion();
    pose.translation()
        .iter()
        .chain(q.coords.iter())
        .all(|v| v.is_finite())
}

/// `(x, y, θ)` as `(x, y, 0)` rotated by `θ` about z.
fn lift(pose: &Se2) -> Se3 {
    let t = pose.translation();
    Se3::from_parts(
        Vector3::new(t.x, t.y, 0.0),
        so3::exp(&Vector3::new(0.0, 0.0, pose.angle())),
    )
}

fn pose_of(pose: &G2oPose) -> Se3 {
    match pose {
        G2oPose::Se2(p) => lift(&Se2::from_params(p)),
        G2oPose::Se3(p) => Se3::from_params(p),
    }
}

// ---------------------------------------------------------------------------------------------
// Formats and their detection
// ---------------------------------------------------------------------------------------------

/// How the ids of TUM poses are chosen (TUM files have timestamps, not ids).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TumIds {
    /// The 0-based position of the pose among the file's pose lines.
    #[default]
    LineIndex,
    /// The timestamp, which must then be an integer (as in files written by [`write_tum`]
    /// from a trajectory without timestamps).
    Timestamp,
}

/// A trajectory text format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrajectoryFormat {
    /// A g2o pose graph; the trajectory is its vertices.
    G2o,
    /// TUM RGB-D: `timestamp tx ty tz qx qy qz qw` per line.
    Tum(TumIds),
    /// `x y θ` per line; the pose on the k-th pose line (0-based) has id k.
    PoseList,
    /// `id x y θ` per line.
    IdPoseList,
}

const TUM_COLUMNS: [&str; 8] = ["timestamp", "tx", "ty", "tz", "qx", "qy", "qz", "qw"];
const POSE_LIST_COLUMNS: [&str; 3] = ["x", "y", "theta"];
const ID_POSE_LIST_COLUMNS: [&str; 4] = ["id", "x", "y", "theta"];

/// Detects the format from the first line that is neither blank nor a `#` comment: a g2o tag
/// (`VERTEX…`, `EDGE…`, `FIX`) means g2o; otherwise the number of columns decides (8: TUM with
/// line-index ids, 3: `x y θ`, 4: `id x y θ`).
fn detect(text: &str) -> Result<TrajectoryFormat, LineError> {
    let Some((line, first)) = data_lines(text).next() else {
        return Err(LineError::file(
            "no poses found (the file is empty or all comments)",
        ));
    };
    let mut tokens = first.split_ascii_whitespace();
    let tag = tokens.next().unwrap_or_default();
    if tag.starts_with("VERTEX") || tag.starts_with("EDGE") || tag == "FIX" {
        return Ok(TrajectoryFormat::G2o);
    }
    match 1 + tokens.count() {
        8 => Ok(TrajectoryFormat::Tum(TumIds::LineIndex)),
        3 => Ok(TrajectoryFormat::PoseList),
        4 => Ok(TrajectoryFormat::IdPoseList),
        n => Err(LineError::at(
            line,
            format!(
                "cannot detect the trajectory format: {n} columns and no g2o tag; expected \
                 8 (TUM: timestamp tx ty tz qx qy qz qw), 3 (x y theta) or 4 (id x y theta)"
            ),
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Readers
// ---------------------------------------------------------------------------------------------

/// Reads a trajectory file, detecting its format: g2o if the first line (after blank lines and
/// `#` comments) has a g2o tag, else by the number of columns: 8 for TUM
/// ([`TumIds::LineIndex`] ids), 3 for `x y θ`, 4 for `id x y θ`.
///
/// # Errors
/// [`EvalError::File`] if the file cannot be read or is malformed, [`EvalError::G2o`] for a
/// malformed g2o file, [`EvalError::NoVertices`] for an edge-only g2o file; messages name the
/// path and line.
pub fn read_trajectory(path: &Path) -> Result<Trajectory, EvalError> {
    let text = read_text(path)?;
    parse_named(&text, path, None)
}

/// Reads a trajectory file in the given format.
///
/// # Errors
/// As [`read_trajectory`].
pub fn read_trajectory_as(path: &Path, format: TrajectoryFormat) -> Result<Trajectory, EvalError> {
    let text = read_text(path)?;
    parse_named(&text, path, Some(format))
}

/// Parses trajectory text, detecting the format as [`read_trajectory`]. Errors name the path
/// `<input>`.
///
/// ```
/// use rhopt::eval::parse_trajectory;
///
/// let t = parse_trajectory("# x y theta\n0 0 0\n1 0 1.5708\n")?;
/// assert_eq!(t.ids, [0, 1]);
/// assert!(t.planar);
///
/// let err = parse_trajectory("0 0 0\n1 zero 0\n").unwrap_err();
/// assert_eq!(err.to_string(), r#"<input>:2: column y is not a number: "zero""#);
/// # Ok::<(), rhopt::eval::EvalError>(())
/// ```
///
/// # Errors
/// As [`read_trajectory`].
pub fn parse_trajectory(text: &str) -> Result<Trajectory, EvalError> {
    parse_named(text, Path::new("<input>"), None)
}

/// Parses trajectory text in the given format. Errors name the path `<input>`.
///
/// # Errors
/// As [`read_trajectory`].
pub fn parse_trajectory_as(text: &str, format: TrajectoryFormat) -> Result<Trajectory, EvalError> {
    parse_named(text, Path::new("<input>"), Some(format))
}

fn parse_named(
    text: &str,
    path: &Path,
    format: Option<TrajectoryFormat>,
) -> Result<Trajectory, EvalError> {
    let format = match format {
        Some(format) => format,
        None => detect(text).map_err(|e| e.in_file(path))?,
    };
    let lists = match format {
        TrajectoryFormat::G2o => {
            let graph = parse_g2o(text).map_err(|e| renamed(e, path))?;
            return Trajectory::from_g2o(&graph);
        }
        TrajectoryFormat::Tum(ids) => parse_tum(text, ids),
        TrajectoryFormat::PoseList => parse_pose_list(text),
        TrajectoryFormat::IdPoseList => parse_id_pose_list(text),
    };
    Ok(lists.map_err(|e| e.in_file(path))?)
}

/// `parse_g2o` names its input `<input>`; put the real path back.
fn renamed(error: G2oError, path: &Path) -> G2oError {
    match error {
        G2oError::Invalid { line, kind, .. } => G2oError::Invalid {
            path: path.to_owned(),
            line,
            kind,
        },
        other => other,
    }
}

/// Collects poses read from a list file, rejecting repeated ids with both lines named.
struct ListBuilder {
    trajectory: Trajectory,
    first_line: HashMap<i64, usize>,
}

impl ListBuilder {
    fn new(planar: bool, timestamps: bool) -> Self {
        ListBuilder {
            trajectory: Trajectory {
                ids: Vec::new(),
                poses: Vec::new(),
                planar,
                timestamps: timestamps.then(Vec::new),
            },
            first_line: HashMap::new(),
        }
    }

    fn push(
        &mut self,
        line: usize,
        id: i64,
        pose: Se3,
        stamp: Option<f64>,
    ) -> Result<(), LineError> {
        if let Some(first) = self.first_line.insert(id, line) {
            return Err(LineError::at(
                line,
                format!("duplicate pose id {id}, already on line {first}"),
            ));
        }
        self.trajectory.ids.push(id);
        self.trajectory.poses.push(pose);
        if let (Some(stamps), Some(stamp)) = (self.trajectory.timestamps.as_mut(), stamp) {
            stamps.push(stamp);
        }
        Ok(())
    }

    fn finish(self) -> Result<Trajectory, LineError> {
        if self.trajectory.is_empty() {
            return Err(LineError::file(
                "no poses found (the file is empty or all comments)",
            ));
        }
        Ok(self.trajectory)
    }
}

/// 0-based index of a pose line, as an id.
fn index_id(index: usize, line: usize) -> Result<i64, LineError> {
    i64::try_from(index).map_err(|_| LineError::at(line, "too many poses for i64 ids"))
}

fn parse_tum(text: &str, ids: TumIds) -> Result<Trajectory, LineError> {
    let mut builder = ListBuilder::new(false, true);
    for (index, record) in records(text, &TUM_COLUMNS).enumerate() {
        let record = record?;
        let v = record.numbers()?;
        let line = record.line;
        let q = Quaternion::new(v[7], v[4], v[5], v[6]);
        let norm = q.norm();
        // Unit to rounding in well-formed files; anything near zero has no direction.
        if !(norm > 1e-9 && norm.is_finite()) {
            return Err(LineError::at(
                line,
                format!(
                    "quaternion (qx qy qz qw) has norm {norm:e}, too close to zero to normalise"
                ),
            ));
        }
        let pose = Se3::from_parts(
            Vector3::new(v[1], v[2], v[3]),
            UnitQuaternion::from_quaternion(q),
        );
        let id = match ids {
            TumIds::LineIndex => index_id(index, line)?,
            TumIds::Timestamp => integral(v[0]).ok_or_else(|| {
                LineError::at(
                    line,
                    format!("timestamp {} is not an integer pose id", v[0]),
                )
            })?,
        };
        builder.push(line, id, pose, Some(v[0]))?;
    }
    builder.finish()
}

/// `value` as an `i64` if it is an integer in range.
fn integral(value: f64) -> Option<i64> {
    // 2^63 is exactly representable; every f64 below it in magnitude converts without loss.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    (value.fract() == 0.0 && value.abs() < LIMIT).then_some(value as i64)
}

fn parse_pose_list(text: &str) -> Result<Trajectory, LineError> {
    let mut builder = ListBuilder::new(true, false);
    for (index, record) in records(text, &POSE_LIST_COLUMNS).enumerate() {
        let record = record?;
        let [x, y, theta] = record.numbers()?;
        let id = index_id(index, record.line)?;
        builder.push(record.line, id, lift(&Se2::new(x, y, theta)), None)?;
    }
    builder.finish()
}

fn parse_id_pose_list(text: &str) -> Result<Trajectory, LineError> {
    let mut builder = ListBuilder::new(true, false);
    for record in records(text, &ID_POSE_LIST_COLUMNS) {
        let record = record?;
        let id = record.integer(0)?;
        let [x, y, theta] = [record.number(1)?, record.number(2)?, record.number(3)?];
        builder.push(record.line, id, lift(&Se2::new(x, y, theta)), None)?;
    }
    builder.finish()
}

// ---------------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------------

/// Writes a trajectory in the TUM format, `timestamp tx ty tz qx qy qz qw` per line after a
/// `#` header, in the trajectory's order. The timestamps are the trajectory's own if it has
/// them, else the ids (so [`TumIds::Timestamp`] reads the ids back). Numbers are written in
/// the shortest form that reads back to the same `f64`.
///
/// evo (`evo_ape tum …`) reads the output; it expects ascending timestamps, which holds for
/// trajectories read from g2o files with increasing vertex ids.
///
/// ```
/// use rhopt::eval::{write_tum, Trajectory};
/// use rhopt::manifold::Se2;
///
/// let t = Trajectory::from_se2(vec![0, 1], &[Se2::new(0.0, 0.0, 0.0), Se2::new(1.0, 2.0, 0.0)])?;
/// let mut out = Vec::new();
/// write_tum(&t, &mut out)?;
/// assert_eq!(
///     String::from_utf8(out).unwrap(),
///     "# timestamp tx ty tz qx qy qz qw\n0 0 0 0 0 0 0 1\n1 1 2 0 0 0 0 1\n"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// Errors of `w`, and [`io::ErrorKind::InvalidInput`] for an inconsistent trajectory (see
/// [`Trajectory::validate`]).
pub fn write_tum<W: Write>(trajectory: &Trajectory, w: W) -> io::Result<()> {
    trajectory
        .validate()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
    let mut w = BufWriter::new(w);
    writeln!(w, "# timestamp {}", TUM_COLUMNS[1..].join(" "))?;
    for (k, (id, pose)) in trajectory.ids.iter().zip(&trajectory.poses).enumerate() {
        match &trajectory.timestamps {
            Some(stamps) => write!(w, "{}", stamps[k])?,
            None => write!(w, "{id}")?,
        }
        let t = pose.translation();
        let q = pose.rotation().quaternion();
        writeln!(
            w,
            " {} {} {} {} {} {} {}",
            t.x, t.y, t.z, q.i, q.j, q.k, q.w
        )?;
    }
    w.flush()
}

// ---------------------------------------------------------------------------------------------
// Whitespace-separated numeric tables, shared by every list format of the crate
// ---------------------------------------------------------------------------------------------

/// A problem in a text file, located at a line or at the whole file; [`LineError::in_file`]
/// adds the path.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LineError {
    line: Option<usize>,
    message: String,
}

impl LineError {
    pub(crate) fn at(line: usize, message: impl Into<String>) -> Self {
        LineError {
            line: Some(line),
            message: message.into(),
        }
    }

    pub(crate) fn file(message: impl Into<String>) -> Self {
        LineError {
            line: None,
            message: message.into(),
        }
    }

    pub(crate) fn in_file(self, path: &Path) -> FileError {
        FileError::Parse {
            path: path.to_owned(),
            line: self.line,
            message: self.message,
        }
    }
}

/// Reads a whole text file, naming the path (and for bad UTF-8 the line) on error.
pub(crate) fn read_text(path: &Path) -> Result<String, FileError> {
    let bytes = std::fs::read(path).map_err(|error| FileError::Io {
        path: path.to_owned(),
        error,
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = 1 + valid.iter().filter(|&&b| b == b'\n').count();
        LineError::at(line, "not valid UTF-8 text").in_file(path)
    })
}

/// `(1-based line number, line)` of the lines that are neither blank nor `#` comments.
fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    // `lines` also strips a trailing '\r', so CRLF files read the same.
    text.lines().enumerate().filter_map(|(i, line)| {
        let first = line.split_ascii_whitespace().next()?;
        (!first.starts_with('#')).then_some((i + 1, line))
    })
}

/// The data lines of a table whose columns are named `names`, each split into exactly
/// `N` fields (a line with another number of fields is an error).
pub(crate) fn records<'a, const N: usize>(
    text: &'a str,
    names: &'static [&'static str; N],
) -> impl Iterator<Item = Result<Record<'a, N>, LineError>> {
    data_lines(text).map(move |(line, content)| {
        let mut fields = [""; N];
        let mut found = 0;
        for token in content.split_ascii_whitespace() {
            if let Some(slot) = fields.get_mut(found) {
                *slot = token;
            }
            found += 1;
        }
        if found != N {
            let noun = if N == 1 { "column" } else { "columns" };
            let expected = names.join(" ");
            return Err(LineError::at(
                line,
                format!("expected {N} {noun} ({expected}), found {found}"),
            ));
        }
        Ok(Record {
            line,
            fields,
            names,
        })
    })
}

/// One data line of a table, split into its `N` fields.
pub(crate) struct Record<'a, const N: usize> {
    /// 1-based line number.
    pub(crate) line: usize,
    fields: [&'a str; N],
    names: &'static [&'static str; N],
}

/// Longest token quoted in a message; a corrupt file can have megabyte-long "tokens".
const MAX_TOKEN_CHARS: usize = 40;

impl<const N: usize> Record<'_, N> {
    fn bad(&self, column: usize, problem: &str) -> LineError {
        let token = self.fields[column];
        let shown = match token.char_indices().nth(MAX_TOKEN_CHARS) {
            Some((cut, _)) => format!("{}...", &token[..cut]),
            None => token.to_owned(),
        };
        LineError::at(
            self.line,
            format!("column {} is {problem}: {shown:?}", self.names[column]),
        )
    }

    /// Column `column` as a finite number. `column` must be below `N`.
    pub(crate) fn number(&self, column: usize) -> Result<f64, LineError> {
        match self.fields[column].parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            Ok(_) => Err(self.bad(column, "not finite")),
            Err(_) => Err(self.bad(column, "not a number")),
        }
    }

    /// All columns as finite numbers.
    pub(crate) fn numbers(&self) -> Result<[f64; N], LineError> {
        let mut values = [0.0; N];
        for (column, value) in values.iter_mut().enumerate() {
            *value = self.number(column)?;
        }
        Ok(values)
    }

    /// Column `column` as an `i64`. `column` must be below `N`.
    pub(crate) fn integer(&self, column: usize) -> Result<i64, LineError> {
        self.fields[column]
            .parse()
            .map_err(|_| self.bad(column, "not an integer id"))
    }

    /// Column `column` as a non-negative index. `column` must be below `N`.
    pub(crate) fn index(&self, column: usize) -> Result<usize, LineError> {
        self.fields[column]
            .parse()
            .map_err(|_| self.bad(column, "not a non-negative integer"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::test_data::{dataset, TempFile};
    use std::f64::consts::FRAC_PI_2;

    fn err(text: &str, format: Option<TrajectoryFormat>) -> String {
        let result = match format {
            Some(format) => parse_trajectory_as(text, format),
            None => parse_trajectory(text),
        };
        let message = result.unwrap_err().to_string();
        assert!(!message.contains('\n'), "multi-line message {message:?}");
        message
    }

    #[test]
    // 1.5708 is the file's rounded value, not an attempt at π/2.
    #[allow(clippy::approx_constant)]
    fn reads_manhattan_ground_truth() {
        let Some(path) = dataset("ground-truth/manhattanOlson3500_nodes_groundTruth.dat") else {
            return;
        };
        let t = read_trajectory(&path).unwrap();
        assert_eq!(t.len(), 3500);
        assert!(t.planar && t.timestamps.is_none());
        assert!(t.ids.iter().copied().eq(0..3500));
        // Line 5 of the file is "3.00000 1.00000 1.57080"; the last "-41.0000 -36.0000 1.57080".
        for (k, (x, y, theta)) in [(4, (3.0, 1.0, 1.5708)), (3499, (-41.0, -36.0, 1.5708))] {
            let pose = &t.poses[k];
            assert_eq!(pose.translation(), Vector3::new(x, y, 0.0));
            let axis_angle = so3::log(pose.rotation());
            assert!((axis_angle - Vector3::new(0.0, 0.0, theta)).norm() < 1e-12);
        }
    }

    #[test]
    fn reads_ring_ground_truth_and_graph() {
        let (Some(truth), Some(graph)) = (
            dataset("ground-truth/ring_poses.txt"),
            dataset("2d/ring.g2o"),
        ) else {
            return;
        };
        let t = read_trajectory(&truth).unwrap();
        assert_eq!(t.len(), 434);
        assert_eq!(t.ids[433], 433);
        // Last line: "433 25.000000 -0.000000 0.000000".
        assert_eq!(t.poses[433].translation(), Vector3::new(25.0, 0.0, 0.0));

        let g = read_trajectory(&graph).unwrap();
        assert_eq!(g.len(), 434);
        assert!(g.planar);
        // Second vertex: "VERTEX_SE2 1 0.950912 0.000000 0.000000".
        assert_eq!(g.ids[1], 1);
        assert_eq!(g.poses[1].translation(), Vector3::new(0.950912, 0.0, 0.0));
    }

    #[test]
    fn reads_3d_g2o_vertices() {
        let Some(path) = dataset("3d/sphere2500.g2o") else {
            return;
        };
        let t = read_trajectory(&path).unwrap();
        assert_eq!(t.len(), 2500);
        assert!(!t.planar);
        // "VERTEX_SE3:QUAT 1 0.341895 -0.0416997 0.0330394 -0.00189341 0.00395691 0.0899835 0.995934"
        assert_eq!(
            t.poses[1].translation(),
            Vector3::new(0.341895, -0.0416997, 0.0330394)
        );
        assert!((t.poses[1].rotation().quaternion().k - 0.0899835).abs() < 1e-6);
    }

    #[test]
    fn g2o_errors_name_the_file() {
        let path = Path::new("/nonexistent/dir/trajectory.txt");
        let message = read_trajectory(path).unwrap_err().to_string();
        assert!(
            message.starts_with("/nonexistent/dir/trajectory.txt: "),
            "{message}"
        );
        assert_eq!(
            err("VERTEX_SE2 0 0 0 0\nVERTEX_SE2 1 0 zero 0\n", None),
            r#"<input>:2: VERTEX_SE2 field y (#3 after the tag) is not a number: "zero""#
        );
        assert_eq!(
            err("EDGE_SE2 0 1 1 0 0 1 0 0 1 0 1\n", None),
            "the g2o graph has no VERTEX lines, so it holds no trajectory \
             (an edge-only file must be optimised first)"
        );
    }

    #[test]
    fn parses_tum_with_comments_and_unnormalised_quaternions() {
        let text = "# timestamp tx ty tz qx qy qz qw\n\n\
                    1.5 1 2 3 0 0 0 2\n\
                    2.25 4 5 6 0 0 1 1\r\n";
        let t = parse_trajectory(text).unwrap();
        assert_eq!(t.ids, [0, 1]);
        assert_eq!(t.timestamps, Some(vec![1.5, 2.25]));
        assert!(!t.planar);
        assert_eq!(t.poses[0].translation(), Vector3::new(1.0, 2.0, 3.0));
        assert_eq!(*t.poses[0].rotation(), UnitQuaternion::identity());
        // (0, 0, 1, 1)/√2 is a quarter turn about z.
        let omega = so3::log(t.poses[1].rotation());
        assert!((omega - Vector3::new(0.0, 0.0, FRAC_PI_2)).norm() < 1e-12);
    }

    #[test]
    fn tum_ids_from_timestamps() {
        let text = "10 0 0 0 0 0 0 1\n12 1 0 0 0 0 0 1\n";
        let t = parse_trajectory_as(text, TrajectoryFormat::Tum(TumIds::Timestamp)).unwrap();
        assert_eq!(t.ids, [10, 12]);
        assert_eq!(
            err(
                "10.5 0 0 0 0 0 0 1\n",
                Some(TrajectoryFormat::Tum(TumIds::Timestamp))
            ),
            "<input>:1: timestamp 10.5 is not an integer pose id"
        );
        assert_eq!(
            err(
                "3 0 0 0 0 0 0 1\n3 0 0 0 0 0 0 1\n",
                Some(TrajectoryFormat::Tum(TumIds::Timestamp))
            ),
            "<input>:2: duplicate pose id 3, already on line 1"
        );
    }

    #[test]
    fn tum_round_trip_through_writer() {
        let poses = [
            Se3::from_parts(
                Vector3::new(0.1, -2.5, 1e-7),
                so3::exp(&Vector3::new(0.3, -0.2, 1.0)),
            ),
            Se3::from_parts(
                Vector3::new(1e6, 3.0, -4.0),
                so3::exp(&Vector3::new(-2.0, 0.5, 0.1)),
            ),
        ];
        let t = Trajectory::new(vec![5, 9], poses.to_vec()).unwrap();
        let mut out = Vec::new();
        write_tum(&t, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("# timestamp tx ty tz qx qy qz qw\n5 0.1 -2.5 0.0000001 "),
            "{text}"
        );
        let back = parse_trajectory_as(&text, TrajectoryFormat::Tum(TumIds::Timestamp)).unwrap();
        assert_eq!(back.ids, t.ids);
        assert_eq!(back.timestamps, Some(vec![5.0, 9.0]));
        for (a, b) in back.poses.iter().zip(&t.poses) {
            assert_eq!(a.translation(), b.translation());
            assert!(a.rotation().angle_to(b.rotation()) < 1e-15);
        }
        // Timestamps, when present, are written instead of ids.
        let stamped = Trajectory {
            timestamps: Some(vec![0.25, 0.5]),
            ..t
        };
        let mut out = Vec::new();
        write_tum(&stamped, &mut out).unwrap();
        assert!(String::from_utf8(out).unwrap().contains("\n0.25 0.1 -2.5"));
    }

    #[test]
    fn write_tum_rejects_inconsistent_trajectories() {
        let t = Trajectory {
            ids: vec![0],
            poses: vec![Se3::identity(); 2],
            planar: false,
            timestamps: None,
        };
        let error = write_tum(&t, Vec::new()).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(
            error.to_string(),
            "inconsistent trajectory: ids has 1 entries for 2 poses"
        );
    }

    #[test]
    fn pose_list_ids_count_pose_lines_only() {
        let t = parse_trajectory("# comment\n1 2 0.5\n\n   \n3 4 -0.5\n").unwrap();
        assert_eq!(t.ids, [0, 1]);
        assert_eq!(t.poses[1].translation(), Vector3::new(3.0, 4.0, 0.0));
        assert!((so3::log(t.poses[1].rotation()).z + 0.5).abs() < 1e-15);
    }

    #[test]
    fn malformed_lines_are_reported_with_their_number() {
        let cases = [
            ("0 0 0\n1 2\n", "<input>:2: expected 3 columns (x y theta), found 2"),
            ("0 0 0\n1 2 3 4\n", "<input>:2: expected 3 columns (x y theta), found 4"),
            ("0 0 0\n\n0 nan 0\n", r#"<input>:3: column y is not finite: "nan""#),
            ("0 0 0\n0 1e999 0\n", r#"<input>:2: column y is not finite: "1e999""#),
            ("0 0 0 0\n1.5 1 0 0\n", r#"<input>:2: column id is not an integer id: "1.5""#),
            ("0 0 0 0\n7 1 0 0\n0 2 0 0\n", "<input>:3: duplicate pose id 0, already on line 1"),
            ("0 0 0 0 0 0 0 1\n1 0 0 0 0 0 0 0\n", "<input>:2: quaternion (qx qy qz qw) has norm 0e0, too close to zero to normalise"),
            ("# only\n0 0 0 0 0\n", "<input>:2: cannot detect the trajectory format: 5 columns and no g2o tag; expected 8 (TUM: timestamp tx ty tz qx qy qz qw), 3 (x y theta) or 4 (id x y theta)"),
            ("# nothing\n\n", "<input>: no poses found (the file is empty or all comments)"),
            ("hello 1 2\n", r#"<input>:1: column x is not a number: "hello""#),
        ];
        for (text, expected) in cases {
            assert_eq!(err(text, None), expected, "for {text:?}");
        }
        let long = format!("0 0 0\n0 {} 0\n", "x".repeat(1000));
        assert_eq!(
            err(&long, None),
            format!(
                "<input>:2: column y is not a number: \"{}...\"",
                "x".repeat(40)
            )
        );
    }

    #[test]
    fn file_errors_name_path_and_line() {
        let file = TempFile::new("truth.txt", b"0 0 0\n1 1 0\n2 2 \xff\n");
        let message = read_trajectory(file.path()).unwrap_err().to_string();
        assert_eq!(
            message,
            format!("{}:3: not valid UTF-8 text", file.path().display())
        );

        let file = TempFile::new("truth.txt", b"0 0 0 0\n1 1 0\n");
        let message = read_trajectory(file.path()).unwrap_err().to_string();
        assert_eq!(
            message,
            format!(
                "{}:2: expected 4 columns (id x y theta), found 3",
                file.path().display()
            )
        );
        let file = TempFile::new("graph.g2o", b"VERTEX_SE2 0 0 0 0\nVERTEX_SE2 0 1 0 0\n");
        let message = read_trajectory(file.path()).unwrap_err().to_string();
        assert_eq!(
            message,
            format!(
                "{}:2: duplicate vertex id 0, already defined on line 1",
                file.path().display()
            )
        );
        let file = TempFile::new("truth.tum", b"0 0 0 0 0 0 0 1\n");
        let t = read_trajectory_as(file.path(), TrajectoryFormat::Tum(TumIds::Timestamp)).unwrap();
        assert_eq!(t.ids, [0]);
    }

    #[test]
    fn validate_catches_inconsistent_fields() {
        let ok =
            Trajectory::from_se2(vec![1, 2], &[Se2::identity(), Se2::new(1.0, 0.0, 0.0)]).unwrap();
        let dup = Trajectory {
            ids: vec![1, 1],
            ..ok.clone()
        };
        assert_eq!(
            dup.validate().unwrap_err().to_string(),
            "trajectory has pose id 1 more than once"
        );
        let stamps = Trajectory {
            timestamps: Some(vec![0.0]),
            ..ok.clone()
        };
        assert_eq!(
            stamps.validate().unwrap_err().to_string(),
            "inconsistent trajectory: timestamps has 1 entries for 2 poses"
        );
        let nan = Trajectory::new(
            vec![3],
            vec![Se3::from_parts(
                Vector3::new(f64::NAN, 0.0, 0.0),
                UnitQuaternion::identity(),
            )],
        );
        assert_eq!(
            nan.unwrap_err().to_string(),
            "pose 3 has a non-finite coordinate"
        );
    }
}
