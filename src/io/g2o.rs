//! Reader and writer for the g2o pose-graph text format.
//!
//! Supported lines (fields separated by ASCII whitespace):
//!
//! ```text
//! VERTEX_SE2      id x y θ
//! EDGE_SE2        i j dx dy dθ  I11 I12 I13 I22 I23 I33
//! VERTEX_SE3:QUAT id x y z qx qy qz qw
//! EDGE_SE3:QUAT   i j x y z qx qy qz qw  I11 I12 … I16 I22 … I66   (21 entries)
//! FIX             id [id …]
//! # comment
//! ```
//!
//! The information entries are the upper triangle of the symmetric information matrix, row by
//! row; for SE3 the rows/columns are ordered (tx, ty, tz, qx, qy, qz). Both the SE2 and the SE3
//! paths are served by one table-driven parser: a [`Layout`] says how many ids, pose values and
//! information entries a tag has, and everything else is shared.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::str::SplitAsciiWhitespace;

use nalgebra::{DMatrix, DVector, Matrix3, Matrix6, SMatrix};

use crate::io::atomic::write_atomically;

/// Spatial dimension of a pose graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dimension {
    /// Planar poses, SE(2): `VERTEX_SE2` / `EDGE_SE2`.
    Two,
    /// Spatial poses, SE(3): `VERTEX_SE3:QUAT` / `EDGE_SE3:QUAT`.
    Three,
}

impl Dimension {
    /// Number of values in a g2o pose: 3 (`x y θ`) or 7 (`x y z qx qy qz qw`).
    pub const fn pose_len(self) -> usize {
        match self {
            Dimension::Two => 3,
            Dimension::Three => 7,
        }
    }

    /// Side of the information matrix (degrees of freedom of a pose): 3 or 6.
    pub const fn info_dim(self) -> usize {
        match self {
            Dimension::Two => 3,
            Dimension::Three => 6,
        }
    }

    /// Number of upper-triangular information entries stored on an edge line: 6 or 21.
    const fn info_len(self) -> usize {
        let n = self.info_dim();
        n * (n + 1) / 2
    }

    const fn vertex_tag(self) -> &'static str {
        match self {
            Dimension::Two => "VERTEX_SE2",
            Dimension::Three => "VERTEX_SE3:QUAT",
        }
    }

    const fn edge_tag(self) -> &'static str {
        match self {
            Dimension::Two => "EDGE_SE2",
            Dimension::Three => "EDGE_SE3:QUAT",
        }
    }

    /// Names of the pose values, used to say which field is wrong.
    const fn pose_names(self) -> &'static [&'static str] {
        match self {
            Dimension::Two => &["x", "y", "theta"],
            Dimension::Three => &["x", "y", "z", "qx", "qy", "qz", "qw"],
        }
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dimension::Two => "2D",
            Dimension::Three => "3D",
        })
    }
}

/// Pose stored in a vertex or measured by an edge, in g2o's parameterisation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum G2oPose {
    /// `x y θ` (θ in radians, not wrapped).
    Se2([f64; 3]),
    /// `x y z qx qy qz qw`; the quaternion is normalised on read.
    Se3([f64; 7]),
}

impl G2oPose {
    /// Dimension of the pose.
    pub fn dimension(&self) -> Dimension {
        match self {
            G2oPose::Se2(_) => Dimension::Two,
            G2oPose::Se3(_) => Dimension::Three,
        }
    }

    /// The values in file order: `x y θ` or `x y z qx qy qz qw`.
    pub fn values(&self) -> &[f64] {
        match self {
            G2oPose::Se2(v) => v,
            G2oPose::Se3(v) => v,
        }
    }
}

/// Full symmetric information matrix (g2o stores the upper triangle row by row).
///
/// For SE3 the rows and columns are ordered (tx, ty, tz, qx, qy, qz), as in g2o.
#[derive(Debug, Clone, Copy, PartialEq)]
// Not boxed: a file is all 2D or all 3D, so the size difference only costs memory in 2D
// graphs, while boxing would cost an allocation and an indirection for every 3D edge.
#[allow(clippy::large_enum_variant)]
pub enum G2oInformation {
    /// 3×3 information of an SE2 edge, ordered (x, y, θ).
    Se2(Matrix3<f64>),
    /// 6×6 information of an SE3 edge, ordered (tx, ty, tz, qx, qy, qz).
    Se3(Matrix6<f64>),
}

impl G2oInformation {
    /// Dimension of the edge the matrix belongs to.
    pub fn dimension(&self) -> Dimension {
        match self {
            G2oInformation::Se2(_) => Dimension::Two,
            G2oInformation::Se3(_) => Dimension::Three,
        }
    }

    /// The upper triangle row by row, i.e. the order of the entries on a g2o edge line.
    pub fn upper_triangle(&self) -> impl Iterator<Item = f64> + '_ {
        let (n, entries) = match self {
            G2oInformation::Se2(m) => (3, m.as_slice()),
            G2oInformation::Se3(m) => (6, m.as_slice()),
        };
        // nalgebra stores column-major: entry (r, c) is at c * n + r (always in bounds).
        upper_indices(n).map(move |(r, c)| entries[c * n + r])
    }

    /// The nearest symmetric positive definite matrix: the matrix is symmetrised, decomposed
    /// into eigenvalues, and every eigenvalue below [`SPD_REPAIR_FLOOR`] × the largest one is
    /// raised to that floor. Clamping the eigenvalues is the Frobenius-nearest positive
    /// semi-definite matrix (Higham, 1988); the floor makes it definite, so the solver can whiten
    /// with it, while keeping the repaired directions almost uninformative, as the input said.
    ///
    /// Returns `None` when no eigenvalue is positive (nothing informative is left to keep) or an
    /// entry is not finite. Repairing an SPD matrix whose eigenvalues are all above the floor
    /// returns it unchanged (up to rounding).
    ///
    /// ```
    /// use nalgebra::Matrix3;
    /// use rhopt::io::G2oInformation;
    ///
    /// // Indefinite: eigenvalues 3, -1 and 1.
    /// let info = G2oInformation::Se2(Matrix3::new(1.0, 2.0, 0.0, 2.0, 1.0, 0.0, 0.0, 0.0, 1.0));
    /// let repair = info.nearest_spd().unwrap();
    /// assert!((repair.min_eigenvalue_before + 1.0).abs() < 1e-12);
    /// assert!((repair.min_eigenvalue_after - 3e-6).abs() < 1e-15);
    /// ```
    pub fn nearest_spd(&self) -> Option<SpdRepair> {
        let (repaired, before, after) = nearest_spd_matrix(self.to_dmatrix())?;
        let information = match self {
            G2oInformation::Se2(_) => {
                G2oInformation::Se2(Matrix3::from_column_slice(repaired.as_slice()))
            }
            G2oInformation::Se3(_) => {
                G2oInformation::Se3(Matrix6::from_column_slice(repaired.as_slice()))
            }
        };
        Some(SpdRepair {
            information,
            min_eigenvalue_before: before,
            min_eigenvalue_after: after,
        })
    }

    /// The matrix as a dynamically sized one (3×3 or 6×6), as [`crate::problem::Problem`]
    /// takes information matrices.
    pub fn to_dmatrix(&self) -> DMatrix<f64> {
        match self {
            G2oInformation::Se2(m) => DMatrix::from_column_slice(3, 3, m.as_slice()),
            G2oInformation::Se3(m) => DMatrix::from_column_slice(6, 6, m.as_slice()),
        }
    }
}

/// Floor of the eigenvalues of a repaired information matrix, relative to its largest
/// eigenvalue ([`G2oInformation::nearest_spd`]). 1e-6 bounds the condition number of a repaired
/// matrix by 10⁶: far enough from singular that Cholesky (of Ω and of the normal equations it
/// enters) keeps about ten significant digits, and small enough that a direction the input gave
/// no or negative information still carries a millionth of the best-measured one's weight.
pub const SPD_REPAIR_FLOOR: f64 = 1e-6;

/// Result of [`G2oInformation::nearest_spd`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpdRepair {
    /// The repaired, symmetric positive definite matrix.
    pub information: G2oInformation,
    /// Smallest eigenvalue of the (symmetrised) input.
    pub min_eigenvalue_before: f64,
    /// Smallest eigenvalue of the repaired matrix (at least the floor).
    pub min_eigenvalue_after: f64,
}

/// Eigenvalue clamping of `(m + mᵀ)/2`: the repaired matrix with the smallest eigenvalue
/// before and after, or `None` if nothing positive is left or the result is still not SPD.
fn nearest_spd_matrix(m: DMatrix<f64>) -> Option<(DMatrix<f64>, f64, f64)> {
    let (eigenvalues, v) = symmetric_eigen(&m)?;
    let largest = eigenvalues.max();
    if largest <= 0.0 {
        return None;
    }
    let floor = SPD_REPAIR_FLOOR * largest;
    let clamped = eigenvalues.map(|l| l.max(floor));
    // Symmetrised again so that the upper triangle, which is all a g2o file stores, says it all.
    let repaired = symmetric_part(&(&v * DMatrix::from_diagonal(&clamped) * v.transpose()));
    let (before, after) = (eigenvalues.min(), clamped.min());
    repaired
        .clone()
        .cholesky()
        .map(|_| (repaired, before, after))
}

/// (m + mᵀ)/2.
fn symmetric_part(m: &DMatrix<f64>) -> DMatrix<f64> {
    (m + m.transpose()) * 0.5
}

/// Most QR sweeps of the eigen-decomposition; a 6×6 matrix needs a handful.
const MAX_EIGEN_ITERATIONS: usize = 1000;

/// Eigenvalues and eigenvectors of `(m + mᵀ)/2`, or `None` if an entry is not finite or the
/// iteration does not converge. The matrix is scaled to entries of at most 1 first, so that
/// entries near `f64::MAX` cannot overflow.
fn symmetric_eigen(m: &DMatrix<f64>) -> Option<(DVector<f64>, DMatrix<f64>)> {
    if m.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let scale = m.amax();
    if scale == 0.0 {
        return Some((
            DVector::zeros(m.nrows()),
            DMatrix::identity(m.nrows(), m.ncols()),
        ));
    }
    let eigen = nalgebra::SymmetricEigen::try_new(
        symmetric_part(&(m / scale)),
        f64::EPSILON,
        MAX_EIGEN_ITERATIONS,
    )?;
    Some((eigen.eigenvalues * scale, eigen.eigenvectors))
}

/// `(row, column)` of the upper triangle of an `n × n` matrix, row by row.
fn upper_indices(n: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..n).flat_map(move |r| (r..n).map(move |c| (r, c)))
}

/// A `VERTEX_*` line.
#[derive(Debug, Clone, PartialEq)]
pub struct G2oVertex {
    /// Vertex id (any `i64`; ids need not be contiguous or start at 0).
    pub id: i64,
    /// Initial estimate of the pose.
    pub pose: G2oPose,
    /// 1-based line number in the source file (0 for vertices not read from a file).
    pub line: usize,
}

/// An `EDGE_*` line: a relative-pose measurement between two vertices.
#[derive(Debug, Clone, PartialEq)]
pub struct G2oEdge {
    /// Id of the first vertex.
    pub from: i64,
    /// Id of the second vertex.
    pub to: i64,
    /// Measured pose of `to` in the frame of `from`.
    pub measurement: G2oPose,
    /// Information (inverse covariance) of the measurement; symmetric positive definite when
    /// read from a file.
    pub information: G2oInformation,
    /// 1-based line number in the source file (0 for edges not read from a file).
    pub line: usize,
}

impl G2oEdge {
    /// Whether this edge is a loop closure: its vertex ids are not consecutive. Odometry joins
    /// consecutive ids in every public dataset and in rhopt's generators.
    pub fn is_loop_closure(&self) -> bool {
        self.from.abs_diff(self.to) != 1
    }
}

/// A non-fatal problem found while reading, such as an unknown tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct G2oWarning {
    /// 1-based line number.
    pub line: usize,
    /// What was found (one line of text).
    pub message: String,
}

impl fmt::Display for G2oWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// A pose graph as stored in a g2o file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct G2oGraph {
    /// Vertices in file order.
    pub vertices: Vec<G2oVertex>,
    /// Edges in file order.
    pub edges: Vec<G2oEdge>,
    /// Ids of fixed (gauge) vertices, in order of first appearance, without duplicates.
    pub fixed: Vec<i64>,
    /// Non-fatal problems found while reading.
    pub warnings: Vec<G2oWarning>,
    /// Information matrices replaced by their nearest SPD matrix while reading, in file order
    /// (only with [`G2oReadOptions::repair_information`]; empty otherwise).
    pub repairs: Vec<InformationRepair>,
}

/// How to read a g2o file. The default is strict: every information matrix must be symmetric
/// positive definite.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct G2oReadOptions {
    /// Replace an information matrix that is not positive definite by the nearest SPD matrix
    /// ([`G2oInformation::nearest_spd`]) and record it in [`G2oGraph::repairs`], instead of
    /// rejecting the file. A matrix without any positive eigenvalue is still an error
    /// ([`G2oErrorKind::UnrepairableInformation`]).
    pub repair_information: bool,
}

/// An information matrix that was not positive definite and was replaced while reading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InformationRepair {
    /// 1-based line of the edge.
    pub line: usize,
    /// First vertex of the edge.
    pub from: i64,
    /// Second vertex of the edge.
    pub to: i64,
    /// Smallest eigenvalue of the matrix as written.
    pub min_eigenvalue_before: f64,
    /// Smallest eigenvalue of the matrix now on the edge.
    pub min_eigenvalue_after: f64,
}

impl fmt::Display for InformationRepair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}: information matrix of edge {} -> {} replaced by the nearest positive \
             definite matrix (smallest eigenvalue {:e} -> {:e})",
            self.line, self.from, self.to, self.min_eigenvalue_before, self.min_eigenvalue_after
        )
    }
}

impl G2oGraph {
    /// The dimension shared by all vertices and edges, or `None` when the graph is empty or
    /// (only possible for graphs built in code) mixes 2D and 3D elements. Takes O(n).
    pub fn dimension(&self) -> Option<Dimension> {
        let mut dims = self.vertices.iter().map(|v| v.pose.dimension()).chain(
            self.edges
                .iter()
                .flat_map(|e| [e.measurement.dimension(), e.information.dimension()]),
        );
        let first = dims.next()?;
        dims.all(|d| d == first).then_some(first)
    }

    /// Whether the graph has vertex lines. Files may hold only edges, in which case the caller
    /// must create the vertices (e.g. by composing odometry edges).
    pub fn has_vertices(&self) -> bool {
        !self.vertices.is_empty()
    }
}

/// Why a g2o file is invalid. The line number, if any, is in [`G2oError::Invalid`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum G2oErrorKind {
    /// Fewer fields than the tag needs.
    #[error("truncated {tag} line: expected {expected} fields after the tag, found {found}")]
    Truncated {
        /// The line's tag.
        tag: &'static str,
        /// Number of fields the tag needs.
        expected: usize,
        /// Number of fields present.
        found: usize,
    },
    /// More fields than the tag takes.
    #[error("too many fields on {tag} line: expected {expected} after the tag, found {found}")]
    TooManyFields {
        /// The line's tag.
        tag: &'static str,
        /// Number of fields the tag takes.
        expected: usize,
        /// Number of fields present.
        found: usize,
    },
    /// A `FIX` line without ids.
    #[error("FIX line lists no vertex ids")]
    EmptyFix,
    /// A value that does not parse as a number.
    #[error("{tag} field {name} (#{position} after the tag) is not a number: {token:?}")]
    NotANumber {
        /// The line's tag.
        tag: &'static str,
        /// 1-based position of the field after the tag.
        position: usize,
        /// Name of the field, e.g. `y` or `I12`.
        name: String,
        /// The offending text (shortened if very long).
        token: String,
    },
    /// A value that is NaN or infinite (including overflowing literals such as `1e999`).
    #[error("{tag} field {name} (#{position} after the tag) is not finite: {token:?}")]
    NotFinite {
        /// The line's tag.
        tag: &'static str,
        /// 1-based position of the field after the tag.
        position: usize,
        /// Name of the field, e.g. `y` or `I12`.
        name: String,
        /// The offending text (shortened if very long).
        token: String,
    },
    /// A vertex id that is not an integer in the `i64` range.
    #[error(
        "{tag} field {name} (#{position} after the tag) is not an integer vertex id: {token:?}"
    )]
    InvalidId {
        /// The line's tag.
        tag: &'static str,
        /// 1-based position of the field after the tag.
        position: usize,
        /// Name of the field, e.g. `id` or `from id`.
        name: String,
        /// The offending text (shortened if very long).
        token: String,
    },
    /// A quaternion too close to zero to be normalised.
    #[error("{tag} quaternion (qx qy qz qw) has norm {norm:e}, too close to zero to normalise")]
    ZeroQuaternion {
        /// The line's tag.
        tag: &'static str,
        /// Norm of the quaternion as written.
        norm: f64,
    },
    /// An information matrix that is not symmetric positive definite.
    #[error(
        "information matrix of {tag} {from} -> {to} is not symmetric positive definite \
         (Cholesky factorisation failed)"
    )]
    NotPositiveDefinite {
        /// The edge's tag.
        tag: &'static str,
        /// First vertex of the edge.
        from: i64,
        /// Second vertex of the edge.
        to: i64,
    },
    /// An information matrix that `repair_information` cannot repair: it has no positive
    /// eigenvalue (or a repair would still not be positive definite).
    #[error(
        "information matrix of {tag} {from} -> {to} cannot be repaired: its largest eigenvalue \
         is {largest_eigenvalue:e}, and a matrix without a positive eigenvalue carries no \
         information"
    )]
    UnrepairableInformation {
        /// The edge's tag.
        tag: &'static str,
        /// First vertex of the edge.
        from: i64,
        /// Second vertex of the edge.
        to: i64,
        /// Largest eigenvalue of the symmetrised matrix (NaN if it could not be computed).
        largest_eigenvalue: f64,
    },
    /// A vertex id defined twice.
    #[error("duplicate vertex id {id}, already defined on line {first_line}")]
    DuplicateVertex {
        /// The repeated id.
        id: i64,
        /// Line of the first definition.
        first_line: usize,
    },
    /// An edge naming a vertex that has no `VERTEX` line (only checked when the file has any).
    #[error("edge {from} -> {to} references vertex {id}, which has no VERTEX line")]
    UnknownVertex {
        /// First vertex of the edge.
        from: i64,
        /// Second vertex of the edge.
        to: i64,
        /// The missing vertex.
        id: i64,
    },
    /// A `FIX` of a vertex that is neither defined nor (in edge-only files) used by an edge.
    #[error("FIX refers to vertex {id}, which is not in the graph")]
    FixUnknownVertex {
        /// The unknown id.
        id: i64,
    },
    /// A file mixing 2D and 3D tags.
    #[error(
        "{tag} is a {dimension} tag but line {first_line} has the {first_dimension} tag \
         {first_tag}; a file must be all 2D or all 3D"
    )]
    MixedDimensions {
        /// The tag that disagrees.
        tag: &'static str,
        /// Its dimension.
        dimension: Dimension,
        /// The first tag that fixed the file's dimension.
        first_tag: &'static str,
        /// Its dimension.
        first_dimension: Dimension,
        /// Its line.
        first_line: usize,
    },
    /// A file without any vertex or edge.
    #[error("no vertices or edges found")]
    Empty,
    /// An edge from a vertex to itself.
    #[error("edge {id} -> {id} connects a vertex to itself")]
    SelfLoop {
        /// The vertex.
        id: i64,
    },
    /// Bytes that are not UTF-8 text.
    #[error("not valid UTF-8 text")]
    InvalidUtf8,
}

/// Error reading or writing a g2o file. Displays as one line: `PATH:LINE: what is wrong`, or
/// `PATH: what is wrong` when no line applies (`<input>` for [`parse_g2o`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum G2oError {
    /// The file could not be read or written.
    #[error("{}: {error}", one_line_path(.path))]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        error: io::Error,
    },
    /// The text is not a valid g2o pose graph.
    #[error("{}: {kind}", location(.path, *.line))]
    Invalid {
        /// The file (`<input>` for [`parse_g2o`]).
        path: PathBuf,
        /// 1-based line number, if the problem belongs to one line.
        line: Option<usize>,
        /// What is wrong.
        kind: G2oErrorKind,
    },
}

impl G2oError {
    /// The 1-based line the error refers to, if any.
    pub fn line(&self) -> Option<usize> {
        match self {
            G2oError::Invalid { line, .. } => *line,
            G2oError::Io { .. } => None,
        }
    }

    /// What is wrong with the content, or `None` for I/O errors.
    pub fn kind(&self) -> Option<&G2oErrorKind> {
        match self {
            G2oError::Invalid { kind, .. } => Some(kind),
            G2oError::Io { .. } => None,
        }
    }
}

/// `PATH:LINE` or `PATH`.
pub(crate) fn location(path: &Path, line: Option<usize>) -> String {
    match line {
        Some(line) => format!("{}:{line}", one_line_path(path)),
        None => one_line_path(path),
    }
}

/// The path for an error message, escaped if it contains control characters (such as a
/// newline), because error messages must stay on one line.
pub(crate) fn one_line_path(path: &Path) -> String {
    let shown = path.display().to_string();
    if shown.contains(char::is_control) {
        format!("{shown:?}")
    } else {
        shown
    }
}

/// Longest token quoted in a message; a corrupt file can have megabyte-long "tokens".
const MAX_TOKEN_CHARS: usize = 40;

/// The token, shortened to a readable length at a character boundary.
fn excerpt(token: &str) -> String {
    match token.char_indices().nth(MAX_TOKEN_CHARS) {
        Some((cut, _)) => format!("{}...", &token[..cut]),
        None => token.to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// Reader
// ---------------------------------------------------------------------------------------------

/// Parses g2o text. Errors name the path `<input>`.
///
/// # Errors
///
/// Returns [`G2oError::Invalid`] for the first problem found; see [`G2oErrorKind`] for the
/// cases. Per-line problems are found in file order; problems that need the whole file
/// (unknown vertices, FIX of unknown vertices, an empty file) are reported after that.
///
/// # Example
///
/// ```
/// use rhopt::io::{parse_g2o, Dimension, G2oPose};
///
/// let text = "\
/// # two poses one metre apart
/// VERTEX_SE2 0 0 0 0
/// VERTEX_SE2 1 1 0 0
/// FIX 0
/// EDGE_SE2 0 1 1 0 0 100 0 0 100 0 400
/// ";
/// let graph = parse_g2o(text)?;
/// assert_eq!(graph.dimension(), Some(Dimension::Two));
/// assert_eq!(graph.vertices[1].pose, G2oPose::Se2([1.0, 0.0, 0.0]));
/// assert_eq!(graph.fixed, [0]);
/// assert_eq!(graph.edges[0].line, 5);
///
/// let err = parse_g2o("VERTEX_SE2 0 0 zero 0").unwrap_err();
/// assert_eq!(err.to_string(), r#"<input>:1: VERTEX_SE2 field y (#3 after the tag) is not a number: "zero""#);
/// # Ok::<(), rhopt::io::G2oError>(())
/// ```
pub fn parse_g2o(text: &str) -> Result<G2oGraph, G2oError> {
    parse_g2o_with(text, &G2oReadOptions::default())
}

/// [`parse_g2o`] with options, e.g. to repair information matrices that are not positive
/// definite.
///
/// # Errors
///
/// As [`parse_g2o`].
///
/// ```
/// use rhopt::io::{parse_g2o, parse_g2o_with, G2oReadOptions};
///
/// // The information matrix has a negative eigenvalue.
/// let text = "VERTEX_SE2 0 0 0 0\nVERTEX_SE2 1 1 0 0\nEDGE_SE2 0 1 1 0 0 1 2 0 1 0 1\n";
/// assert!(parse_g2o(text).is_err());
/// let options = G2oReadOptions { repair_information: true };
/// let graph = parse_g2o_with(text, &options)?;
/// assert_eq!(graph.repairs.len(), 1);
/// assert_eq!(graph.repairs[0].line, 3);
/// assert!(graph.repairs[0].min_eigenvalue_before < 0.0);
/// # Ok::<(), rhopt::io::G2oError>(())
/// ```
pub fn parse_g2o_with(text: &str, options: &G2oReadOptions) -> Result<G2oGraph, G2oError> {
    parse_named(text, Path::new("<input>"), options)
}

/// Reads and parses a g2o file.
///
/// # Errors
///
/// [`G2oError::Io`] if the file cannot be read, [`G2oError::Invalid`] as for [`parse_g2o`]
/// (with `path` in the messages), including [`G2oErrorKind::InvalidUtf8`].
pub fn read_g2o(path: &Path) -> Result<G2oGraph, G2oError> {
    read_g2o_with(path, &G2oReadOptions::default())
}

/// [`read_g2o`] with options (see [`parse_g2o_with`]).
///
/// # Errors
///
/// As [`read_g2o`].
pub fn read_g2o_with(path: &Path, options: &G2oReadOptions) -> Result<G2oGraph, G2oError> {
    let bytes = std::fs::read(path).map_err(|error| G2oError::Io {
        path: path.to_owned(),
        error,
    })?;
    parse_bytes_named(&bytes, path, options)
}

/// Parses the raw bytes of a g2o file exactly as [`read_g2o`] does once it has read them:
/// invalid UTF-8 is [`G2oErrorKind::InvalidUtf8`] on the line where it starts. Errors name the
/// path `<input>`. (This is the entry point of the `g2o` and `problem` fuzz targets.)
///
/// # Errors
///
/// As [`parse_g2o`], plus [`G2oErrorKind::InvalidUtf8`].
///
/// ```
/// use rhopt::io::parse_g2o_bytes;
///
/// let err = parse_g2o_bytes(b"VERTEX_SE2 0 0 0 0\n# caf\xe9\n").unwrap_err();
/// assert_eq!(err.to_string(), "<input>:2: not valid UTF-8 text");
/// ```
pub fn parse_g2o_bytes(bytes: &[u8]) -> Result<G2oGraph, G2oError> {
    parse_bytes_named(bytes, Path::new("<input>"), &G2oReadOptions::default())
}

fn parse_bytes_named(
    bytes: &[u8],
    path: &Path,
    options: &G2oReadOptions,
) -> Result<G2oGraph, G2oError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes
            .iter()
            .take(e.valid_up_to())
            .filter(|&&b| b == b'\n')
            .count();
        invalid(path, Some(line), G2oErrorKind::InvalidUtf8)
    })?;
    parse_named(text, path, options)
}

fn invalid(path: &Path, line: Option<usize>, kind: G2oErrorKind) -> G2oError {
    G2oError::Invalid {
        path: path.to_owned(),
        line,
        kind,
    }
}

/// An error before the path is attached.
struct Failure {
    line: Option<usize>,
    kind: G2oErrorKind,
}

fn parse_named(text: &str, path: &Path, options: &G2oReadOptions) -> Result<G2oGraph, G2oError> {
    parse_text(text, options).map_err(|f| invalid(path, f.line, f.kind))
}

fn parse_text(text: &str, options: &G2oReadOptions) -> Result<G2oGraph, Failure> {
    // Editors on Windows may prepend a byte-order mark; it would otherwise turn the first tag
    // into an unknown one and silently drop that line.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut builder = GraphBuilder {
        options: *options,
        ..GraphBuilder::default()
    };
    // `lines` also strips a trailing '\r'; any other '\r' is ASCII whitespace anyway.
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        builder.add_line(raw, line).map_err(|kind| Failure {
            line: Some(line),
            kind,
        })?;
    }
    builder.finish()
}

/// What a line with a known tag holds.
#[derive(Debug, Clone, Copy)]
enum Record {
    /// A vertex or an edge.
    Pose(Layout),
    Fix,
}

impl Record {
    fn from_tag(tag: &str) -> Option<Record> {
        if tag == "FIX" {
            return Some(Record::Fix);
        }
        LAYOUTS
            .iter()
            .find(|layout| layout.tag() == tag)
            .map(|&layout| Record::Pose(layout))
    }
}

/// Every vertex and edge line the reader knows.
const LAYOUTS: [Layout; 4] = [
    Layout {
        dim: Dimension::Two,
        is_edge: false,
    },
    Layout {
        dim: Dimension::Two,
        is_edge: true,
    },
    Layout {
        dim: Dimension::Three,
        is_edge: false,
    },
    Layout {
        dim: Dimension::Three,
        is_edge: true,
    },
];

/// Field layout of a vertex or edge line: the table that drives the shared parser.
#[derive(Debug, Clone, Copy)]
struct Layout {
    dim: Dimension,
    is_edge: bool,
}

/// Most ids on a line (an edge's two endpoints).
const MAX_IDS: usize = 2;
/// Most numbers on a line (an SE3 edge: pose and information).
const MAX_VALUES: usize = Dimension::Three.pose_len() + Dimension::Three.info_len();
/// Most fields after the tag on any vertex or edge line.
const MAX_FIELDS: usize = MAX_IDS + MAX_VALUES;

impl Layout {
    fn tag(self) -> &'static str {
        if self.is_edge {
            self.dim.edge_tag()
        } else {
            self.dim.vertex_tag()
        }
    }

    fn id_count(self) -> usize {
        if self.is_edge {
            2
        } else {
            1
        }
    }

    fn value_count(self) -> usize {
        let info = if self.is_edge { self.dim.info_len() } else { 0 };
        self.dim.pose_len() + info
    }

    fn field_count(self) -> usize {
        self.id_count() + self.value_count()
    }

    /// Human-readable name of field `index` (0-based, after the tag).
    fn field_name(self, index: usize) -> String {
        let ids: &[&str] = if self.is_edge {
            &["from id", "to id"]
        } else {
            &["id"]
        };
        let pose = self.dim.pose_names();
        if let Some(name) = ids.get(index) {
            return (*name).to_owned();
        }
        let index = index - ids.len();
        if let Some(name) = pose.get(index) {
            return (*name).to_owned();
        }
        match upper_indices(self.dim.info_dim()).nth(index - pose.len()) {
            Some((r, c)) => format!("I{}{}", r + 1, c + 1),
            None => format!("#{}", index + 1),
        }
    }
}

/// The numbers of one vertex or edge line, before they become a vertex or an edge.
struct RawRecord {
    ids: [i64; MAX_IDS],
    values: [f64; MAX_VALUES],
}

/// Splits the fields after the tag, checking their number first: a missing or extra field
/// shifts all the others, so the count is the most useful thing to report.
fn split_fields<'a>(
    layout: Layout,
    tokens: SplitAsciiWhitespace<'a>,
) -> Result<[&'a str; MAX_FIELDS], G2oErrorKind> {
    let mut fields = [""; MAX_FIELDS];
    let mut found = 0;
    for token in tokens {
        if let Some(slot) = fields.get_mut(found) {
            *slot = token;
        }
        found += 1;
    }
    let expected = layout.field_count();
    let tag = layout.tag();
    if found < expected {
        return Err(G2oErrorKind::Truncated {
            tag,
            expected,
            found,
        });
    }
    if found > expected {
        return Err(G2oErrorKind::TooManyFields {
            tag,
            expected,
            found,
        });
    }
    Ok(fields)
}

fn parse_record(layout: Layout, fields: &[&str; MAX_FIELDS]) -> Result<RawRecord, G2oErrorKind> {
    let mut record = RawRecord {
        ids: [0; MAX_IDS],
        values: [0.0; MAX_VALUES],
    };
    let (id_fields, value_fields) = fields.split_at(layout.id_count());
    for (index, (slot, token)) in record.ids.iter_mut().zip(id_fields).enumerate() {
        *slot = parse_id(layout.tag(), index, token, || layout.field_name(index))?;
    }
    let value_fields = value_fields.iter().take(layout.value_count());
    for (offset, (slot, token)) in record.values.iter_mut().zip(value_fields).enumerate() {
        let index = layout.id_count() + offset;
        *slot = parse_value(layout.tag(), index, token, || layout.field_name(index))?;
    }
    Ok(record)
}

/// Parses a vertex id; `name` is only called to build an error message.
fn parse_id(
    tag: &'static str,
    index: usize,
    token: &str,
    name: impl FnOnce() -> String,
) -> Result<i64, G2oErrorKind> {
    token.parse().map_err(|_| G2oErrorKind::InvalidId {
        tag,
        position: index + 1,
        name: name(),
        token: excerpt(token),
    })
}

/// Parses a finite number; `name` is only called to build an error message.
fn parse_value(
    tag: &'static str,
    index: usize,
    token: &str,
    name: impl FnOnce() -> String,
) -> Result<f64, G2oErrorKind> {
    match token.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(value),
        // `parse` accepts "nan", "inf" and overflowing literals such as "1e999".
        Ok(_) => Err(G2oErrorKind::NotFinite {
            tag,
            position: index + 1,
            name: name(),
            token: excerpt(token),
        }),
        Err(_) => Err(G2oErrorKind::NotANumber {
            tag,
            position: index + 1,
            name: name(),
            token: excerpt(token),
        }),
    }
}

/// Quaternions with a smaller norm are rejected: their direction (the rotation) is noise.
const MIN_QUATERNION_NORM: f64 = 1e-6;

/// A squared norm this close to 1 is already unit to machine precision. Leaving such a
/// quaternion untouched makes normalisation idempotent, so that read → write → read returns
/// bit-identical numbers (dividing by a norm of "1 ± 1 ulp" would flip last bits every time).
const UNIT_NORM_SQUARED_TOLERANCE: f64 = 64.0 * f64::EPSILON;

/// Normalises `q = [qx, qy, qz, qw]` in place.
fn normalise_quaternion(tag: &'static str, q: &mut [f64]) -> Result<(), G2oErrorKind> {
    let norm_squared: f64 = q.iter().map(|v| v * v).sum();
    if (norm_squared - 1.0).abs() <= UNIT_NORM_SQUARED_TOLERANCE {
        return Ok(());
    }
    // Scale by the largest component first so that squaring cannot overflow or underflow.
    let scale = q.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    let scaled_norm = if scale > 0.0 {
        q.iter().map(|v| (v / scale).powi(2)).sum::<f64>().sqrt()
    } else {
        0.0
    };
    let norm = scale * scaled_norm;
    if norm < MIN_QUATERNION_NORM {
        return Err(G2oErrorKind::ZeroQuaternion { tag, norm });
    }
    for v in q.iter_mut() {
        *v = *v / scale / scaled_norm;
    }
    Ok(())
}

/// Builds a pose from its values (`values.len() == dim.pose_len()`).
fn make_pose(tag: &'static str, dim: Dimension, values: &[f64]) -> Result<G2oPose, G2oErrorKind> {
    Ok(match dim {
        Dimension::Two => G2oPose::Se2(array_from(values)),
        Dimension::Three => {
            let mut pose: [f64; 7] = array_from(values);
            normalise_quaternion(tag, &mut pose[3..])?;
            G2oPose::Se3(pose)
        }
    })
}

/// Copies the first `N` values (the caller guarantees there are `N`; missing ones would be 0).
fn array_from<const N: usize>(values: &[f64]) -> [f64; N] {
    let mut array = [0.0; N];
    for (slot, value) in array.iter_mut().zip(values) {
        *slot = *value;
    }
    array
}

/// Builds the symmetric information matrix from its upper triangle.
fn make_information(dim: Dimension, upper: &[f64]) -> G2oInformation {
    match dim {
        Dimension::Two => G2oInformation::Se2(symmetric_from_upper(upper)),
        Dimension::Three => G2oInformation::Se3(symmetric_from_upper(upper)),
    }
}

/// Mirrors the upper triangle (row by row) into a full matrix, so symmetry holds by
/// construction.
fn symmetric_from_upper<const N: usize>(upper: &[f64]) -> SMatrix<f64, N, N> {
    let mut m = SMatrix::<f64, N, N>::zeros();
    for ((r, c), &v) in upper_indices(N).zip(upper) {
        m[(r, c)] = v;
        m[(c, r)] = v;
    }
    m
}

/// Whether a Cholesky factorisation succeeds: the positive definiteness the solver's whitening
/// needs.
fn is_positive_definite(information: &G2oInformation) -> bool {
    match information {
        G2oInformation::Se2(m) => m.cholesky().is_some(),
        G2oInformation::Se3(m) => m.cholesky().is_some(),
    }
}

/// Largest eigenvalue of the symmetric part of an information matrix, for error messages.
fn largest_eigenvalue(information: &G2oInformation) -> f64 {
    symmetric_eigen(&information.to_dmatrix()).map_or(f64::NAN, |(values, _)| values.max())
}

/// The tag and line that fixed the file's dimension.
#[derive(Debug, Clone, Copy)]
struct FirstTag {
    dim: Dimension,
    tag: &'static str,
    line: usize,
}

/// Accumulates the graph line by line and performs the checks that need the whole file.
#[derive(Default)]
struct GraphBuilder<'a> {
    graph: G2oGraph,
    /// Vertex id → line of its definition. Hashing (not a dense vector) keeps memory
    /// proportional to the number of vertices, whatever the ids are.
    vertex_lines: HashMap<i64, usize>,
    first_tag: Option<FirstTag>,
    /// Line of each entry of `graph.fixed`.
    fix_lines: Vec<usize>,
    fixed_seen: HashSet<i64>,
    /// Unknown tag → (index of its warning, number of lines with it). One warning per tag
    /// keeps a file full of, say, landmark lines from producing a million warnings.
    unknown_tags: HashMap<&'a str, (usize, usize)>,
    options: G2oReadOptions,
}

impl<'a> GraphBuilder<'a> {
    fn add_line(&mut self, raw: &'a str, line: usize) -> Result<(), G2oErrorKind> {
        let mut tokens = raw.split_ascii_whitespace();
        let Some(tag) = tokens.next() else {
            return Ok(()); // blank line
        };
        if tag.starts_with('#') {
            return Ok(());
        }
        match Record::from_tag(tag) {
            Some(Record::Pose(layout)) => self.add_pose_line(layout, tokens, line),
            Some(Record::Fix) => self.add_fix(tokens, line),
            None => {
                self.warn_unknown(tag, line);
                Ok(())
            }
        }
    }

    fn add_pose_line(
        &mut self,
        layout: Layout,
        tokens: SplitAsciiWhitespace<'_>,
        line: usize,
    ) -> Result<(), G2oErrorKind> {
        self.check_dimension(layout, line)?;
        let fields = split_fields(layout, tokens)?;
        let raw = parse_record(layout, &fields)?;
        if layout.is_edge {
            self.add_edge(layout, &raw, line)
        } else {
            self.add_vertex(layout, &raw, line)
        }
    }

    fn check_dimension(&mut self, layout: Layout, line: usize) -> Result<(), G2oErrorKind> {
        let first = *self.first_tag.get_or_insert(FirstTag {
            dim: layout.dim,
            tag: layout.tag(),
            line,
        });
        if first.dim == layout.dim {
            return Ok(());
        }
        Err(G2oErrorKind::MixedDimensions {
            tag: layout.tag(),
            dimension: layout.dim,
            first_tag: first.tag,
            first_dimension: first.dim,
            first_line: first.line,
        })
    }

    fn add_vertex(
        &mut self,
        layout: Layout,
        raw: &RawRecord,
        line: usize,
    ) -> Result<(), G2oErrorKind> {
        let [id, _] = raw.ids;
        let pose = make_pose(layout.tag(), layout.dim, &raw.values)?;
        match self.vertex_lines.entry(id) {
            Entry::Occupied(first) => Err(G2oErrorKind::DuplicateVertex {
                id,
                first_line: *first.get(),
            }),
            Entry::Vacant(slot) => {
                slot.insert(line);
                self.graph.vertices.push(G2oVertex { id, pose, line });
                Ok(())
            }
        }
    }

    fn add_edge(
        &mut self,
        layout: Layout,
        raw: &RawRecord,
        line: usize,
    ) -> Result<(), G2oErrorKind> {
        let [from, to] = raw.ids;
        if from == to {
            return Err(G2oErrorKind::SelfLoop { id: from });
        }
        let (pose_values, info_values) = raw.values.split_at(layout.dim.pose_len());
        let measurement = make_pose(layout.tag(), layout.dim, pose_values)?;
        let written = make_information(layout.dim, info_values);
        let information = match is_positive_definite(&written) {
            true => written,
            false if !self.options.repair_information => {
                return Err(G2oErrorKind::NotPositiveDefinite {
                    tag: layout.tag(),
                    from,
                    to,
                })
            }
            false => {
                let repair =
                    written
                        .nearest_spd()
                        .ok_or_else(|| G2oErrorKind::UnrepairableInformation {
                            tag: layout.tag(),
                            from,
                            to,
                            largest_eigenvalue: largest_eigenvalue(&written),
                        })?;
                self.graph.repairs.push(InformationRepair {
                    line,
                    from,
                    to,
                    min_eigenvalue_before: repair.min_eigenvalue_before,
                    min_eigenvalue_after: repair.min_eigenvalue_after,
                });
                repair.information
            }
        };
        self.graph.edges.push(G2oEdge {
            from,
            to,
            measurement,
            information,
            line,
        });
        Ok(())
    }

    fn add_fix(
        &mut self,
        tokens: SplitAsciiWhitespace<'_>,
        line: usize,
    ) -> Result<(), G2oErrorKind> {
        let mut any = false;
        for (index, token) in tokens.enumerate() {
            any = true;
            let id = parse_id("FIX", index, token, || "id".to_owned())?;
            if self.fixed_seen.insert(id) {
                self.graph.fixed.push(id);
                self.fix_lines.push(line);
            }
        }
        if any {
            Ok(())
        } else {
            Err(G2oErrorKind::EmptyFix)
        }
    }

    fn warn_unknown(&mut self, tag: &'a str, line: usize) {
        let warnings = &mut self.graph.warnings;
        self.unknown_tags
            .entry(tag)
            .and_modify(|(_, count)| *count += 1)
            .or_insert_with(|| {
                warnings.push(G2oWarning {
                    line,
                    message: format!("unknown tag {:?}, line ignored", excerpt(tag)),
                });
                (warnings.len() - 1, 1)
            });
    }

    /// Runs the whole-file checks and returns the graph.
    fn finish(mut self) -> Result<G2oGraph, Failure> {
        if self.graph.vertices.is_empty() && self.graph.edges.is_empty() {
            return Err(Failure {
                line: None,
                kind: G2oErrorKind::Empty,
            });
        }
        self.check_edge_endpoints()?;
        self.check_fixed()?;
        self.count_unknown_tags();
        Ok(self.graph)
    }

    /// Edges must connect defined vertices — unless the file defines none, in which case the
    /// caller builds the vertices from the edges.
    fn check_edge_endpoints(&self) -> Result<(), Failure> {
        if self.graph.vertices.is_empty() {
            return Ok(());
        }
        for edge in &self.graph.edges {
            let missing = [edge.from, edge.to]
                .into_iter()
                .find(|id| !self.vertex_lines.contains_key(id));
            if let Some(id) = missing {
                return Err(Failure {
                    line: Some(edge.line),
                    kind: G2oErrorKind::UnknownVertex {
                        from: edge.from,
                        to: edge.to,
                        id,
                    },
                });
            }
        }
        Ok(())
    }

    /// A fixed id must be a defined vertex, or, in an edge-only file, an edge endpoint.
    fn check_fixed(&self) -> Result<(), Failure> {
        if self.graph.fixed.is_empty() {
            return Ok(());
        }
        let endpoints: HashSet<i64> = if self.graph.vertices.is_empty() {
            self.graph
                .edges
                .iter()
                .flat_map(|e| [e.from, e.to])
                .collect()
        } else {
            HashSet::new()
        };
        let known = |id: &i64| self.vertex_lines.contains_key(id) || endpoints.contains(id);
        let unknown = self
            .graph
            .fixed
            .iter()
            .zip(&self.fix_lines)
            .find(|(id, _)| !known(id));
        match unknown {
            Some((&id, &line)) => Err(Failure {
                line: Some(line),
                kind: G2oErrorKind::FixUnknownVertex { id },
            }),
            None => Ok(()),
        }
    }

    /// Adds the number of affected lines to the warnings of tags seen more than once.
    fn count_unknown_tags(&mut self) {
        for &(index, count) in self.unknown_tags.values() {
            if let (true, Some(warning)) = (count > 1, self.graph.warnings.get_mut(index)) {
                warning.message = format!(
                    "{} ({count} lines with this tag, first here)",
                    warning.message
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------------

/// Writes `graph` in g2o format: vertices in stored order, one `FIX id` line per fixed vertex
/// (one id per line, which every g2o reader accepts), then edges in stored order, each with
/// its information matrix as the upper triangle row by row. Warnings are not written.
///
/// Numbers are written in the shortest form that parses back to the identical `f64`, so
/// [`parse_g2o`] of the output reproduces the graph bit for bit. The output is buffered
/// internally; pass an unbuffered writer freely.
///
/// # Errors
///
/// Propagates I/O errors. Gives [`io::ErrorKind::InvalidData`] for a NaN or infinite value
/// and for an edge whose information matrix does not match its measurement's dimension
/// (both only possible for graphs built in code), since the file would not read back.
pub fn write_g2o<W: Write>(graph: &G2oGraph, w: W) -> io::Result<()> {
    let mut out = BufWriter::new(w);
    for vertex in &graph.vertices {
        let dim = vertex.pose.dimension();
        write!(out, "{} {}", dim.vertex_tag(), vertex.id)?;
        write_values(&mut out, vertex.pose.values().iter().copied())?;
        writeln!(out)?;
    }
    for id in &graph.fixed {
        writeln!(out, "FIX {id}")?;
    }
    for edge in &graph.edges {
        write_edge(&mut out, edge)?;
    }
    out.flush()
}

fn write_edge(out: &mut impl Write, edge: &G2oEdge) -> io::Result<()> {
    let dim = edge.measurement.dimension();
    if edge.information.dimension() != dim {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "edge {} -> {}: {} measurement with {} information matrix",
                edge.from,
                edge.to,
                dim,
                edge.information.dimension()
            ),
        ));
    }
    write!(out, "{} {} {}", dim.edge_tag(), edge.from, edge.to)?;
    write_values(out, edge.measurement.values().iter().copied())?;
    write_values(out, edge.information.upper_triangle())?;
    writeln!(out)
}

/// Writes each value preceded by a space.
fn write_values(out: &mut impl Write, values: impl Iterator<Item = f64>) -> io::Result<()> {
    for value in values {
        write!(out, " ")?;
        write_f64(out, value)?;
    }
    Ok(())
}

/// Magnitudes outside `[1e-5, 1e16)` are written in exponent form: `{}` never uses an
/// exponent and would spell out e.g. 1e300 with 301 digits. Both forms are the shortest
/// round-trip representation.
fn write_f64(out: &mut impl Write, value: f64) -> io::Result<()> {
    if !value.is_finite() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("cannot write non-finite value {value} in g2o format"),
        ));
    }
    let magnitude = value.abs();
    if magnitude != 0.0 && !(1e-5..1e16).contains(&magnitude) {
        write!(out, "{value:e}")
    } else {
        write!(out, "{value}")
    }
}

/// Writes `graph` to `path` atomically (see [`write_atomically`]): either the whole new file
/// replaces the old one, or the old one is left untouched.
///
/// # Errors
///
/// [`G2oError::Io`] naming `path` if writing fails or the graph cannot be written (see
/// [`write_g2o`]).
pub fn write_g2o_file(graph: &G2oGraph, path: &Path) -> Result<(), G2oError> {
    write_atomically(path, |w| write_g2o(graph, w)).map_err(|error| G2oError::Io {
        path: path.to_owned(),
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::test_dir::TestDir;

    /// An SE2 information upper triangle that is positive definite.
    const INFO2: &str = "100 0 0 100 0 400";
    /// An SE3 information upper triangle that is positive definite (identity × 10).
    const INFO3: &str = "10 0 0 0 0 0 10 0 0 0 0 10 0 0 0 10 0 0 10 0 10";

    fn parse_ok(text: &str) -> G2oGraph {
        parse_g2o(text).unwrap_or_else(|e| panic!("unexpected error: {e}"))
    }

    /// Parses `text`, expecting an error on `line` whose message contains every `gist`.
    fn assert_error(text: &str, line: Option<usize>, gists: &[&str]) -> G2oError {
        let err = parse_g2o(text).expect_err("expected a parse error");
        let message = err.to_string();
        assert_eq!(err.line(), line, "wrong line in {message:?}");
        let prefix = match line {
            Some(line) => format!("<input>:{line}: "),
            None => "<input>: ".to_owned(),
        };
        assert!(
            message.starts_with(&prefix),
            "{message:?} should start with {prefix:?}"
        );
        assert!(!message.contains('\n'), "multi-line message {message:?}");
        for gist in gists {
            assert!(
                message.contains(gist),
                "{message:?} should mention {gist:?}"
            );
        }
        err
    }

    /// Clears what legitimately changes in a round trip: line numbers and warnings (the
    /// writer drops comments and unknown lines, and moves FIX lines).
    fn without_provenance(mut graph: G2oGraph) -> G2oGraph {
        graph.vertices.iter_mut().for_each(|v| v.line = 0);
        graph.edges.iter_mut().for_each(|e| e.line = 0);
        graph.warnings.clear();
        graph
    }

    fn write_to_string(graph: &G2oGraph) -> String {
        let mut out = Vec::new();
        write_g2o(graph, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// parse → write → parse must give the same graph, and the written text must be a fixed
    /// point of the cycle.
    fn assert_round_trip(text: &str) -> G2oGraph {
        let first = parse_ok(text);
        let written = write_to_string(&first);
        let second = parse_ok(&written);
        assert_eq!(
            without_provenance(first.clone()),
            without_provenance(second.clone())
        );
        assert_eq!(
            write_to_string(&second),
            written,
            "writing is not idempotent"
        );
        first
    }

    /// Deterministic pseudo-random numbers (SplitMix64), to avoid a dev-dependency.
    struct Rng(u64);

    impl Rng {
        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        /// Uniform in [-1, 1).
        fn unit(&mut self) -> f64 {
            (self.next_u64() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next_u64() % n as u64) as usize
        }
    }

    // ---- reading valid files ----------------------------------------------------------------

    #[test]
    fn reads_se2_graph() {
        let text =
            "VERTEX_SE2 0 0 0 0\nVERTEX_SE2 1 1.5 -2 0.25\nEDGE_SE2 0 1 1.5 -2 0.25 1 2 3 20 5 60\n";
        let graph = parse_ok(text);
        assert_eq!(graph.dimension(), Some(Dimension::Two));
        assert!(graph.has_vertices());
        assert_eq!(graph.vertices[1].pose, G2oPose::Se2([1.5, -2.0, 0.25]));
        assert_eq!(graph.vertices[1].line, 2);
        let edge = &graph.edges[0];
        assert_eq!((edge.from, edge.to, edge.line), (0, 1, 3));
        let expected = Matrix3::new(1.0, 2.0, 3.0, 2.0, 20.0, 5.0, 3.0, 5.0, 60.0);
        assert_eq!(edge.information, G2oInformation::Se2(expected));
        let upper: Vec<f64> = edge.information.upper_triangle().collect();
        assert_eq!(upper, [1.0, 2.0, 3.0, 20.0, 5.0, 60.0]);
    }

    #[test]
    fn reads_se3_graph_in_g2o_information_order() {
        // Distinct entries show that the upper triangle is filled row by row.
        let info: Vec<String> = upper_indices(6)
            .map(|(r, c)| {
                if r == c {
                    "100".to_owned()
                } else {
                    format!("0.{r}{c}")
                }
            })
            .collect();
        let text = format!(
            "VERTEX_SE3:QUAT 3 1 2 3 0 0 0 1\nVERTEX_SE3:QUAT 4 0 0 0 0 0 0 1\n\
             EDGE_SE3:QUAT 3 4 1 0 0 0 0 0 1 {}\n",
            info.join(" ")
        );
        let graph = parse_ok(&text);
        assert_eq!(graph.dimension(), Some(Dimension::Three));
        assert_eq!(
            graph.vertices[0].pose,
            G2oPose::Se3([1.0, 2.0, 3.0, 0.0, 0.0, 0.0, 1.0])
        );
        let G2oInformation::Se3(m) = graph.edges[0].information else {
            panic!("expected SE3 information");
        };
        assert_eq!(m[(0, 0)], 100.0);
        assert_eq!(m[(1, 4)], 0.14);
        assert_eq!(m[(4, 1)], 0.14);
        assert_eq!(m[(2, 5)], 0.25);
        assert_eq!(m, m.transpose());
    }

    #[test]
    fn normalises_quaternions_of_vertices_and_edges() {
        let text = format!(
            "VERTEX_SE3:QUAT 0 0 0 0 0 0 0 2\nVERTEX_SE3:QUAT 1 0 0 0 0 0 3 4\n\
             EDGE_SE3:QUAT 0 1 0 0 0 1 1 1 1 {INFO3}\n"
        );
        let graph = parse_ok(&text);
        assert_eq!(graph.vertices[0].pose.values()[3..], [0.0, 0.0, 0.0, 1.0]);
        assert_eq!(graph.vertices[1].pose.values()[3..], [0.0, 0.0, 0.6, 0.8]);
        assert_eq!(graph.edges[0].measurement.values()[3..], [0.5; 4]);
    }

    #[test]
    fn quaternion_normalisation_is_idempotent() {
        let mut rng = Rng(7);
        for _ in 0..10_000 {
            let mut q: Vec<f64> = (0..4).map(|_| rng.unit() * 3.0).collect();
            if normalise_quaternion("T", &mut q).is_err() {
                continue;
            }
            let norm: f64 = q.iter().map(|v| v * v).sum::<f64>().sqrt();
            assert!((norm - 1.0).abs() < 1e-15, "norm {norm}");
            let once = q.clone();
            normalise_quaternion("T", &mut q).unwrap();
            assert_eq!(
                once.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                q.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn extreme_quaternions_normalise_without_overflow() {
        let mut big = [1e200, 0.0, 0.0, 1e200];
        normalise_quaternion("T", &mut big).unwrap();
        assert!((big[0] - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-15);
        let mut small = [0.0, 0.0, 1e-5, 0.0];
        normalise_quaternion("T", &mut small).unwrap();
        assert_eq!(small, [0.0, 0.0, 1.0, 0.0]);
    }

    #[test]
    fn skips_comments_blank_lines_and_carriage_returns() {
        let text = "# header\r\n\r\n   \r\n  # indented comment\r\nVERTEX_SE2 0 0 0 0\r\n\
                    \tVERTEX_SE2   1  1 0 0 \r\nEDGE_SE2 0 1 1 0 0 100 0 0 100 0 400\r\n";
        let graph = parse_ok(text);
        assert_eq!(graph.vertices.len(), 2);
        assert_eq!(graph.edges.len(), 1);
        assert_eq!(graph.vertices[0].line, 5);
        assert_eq!(graph.edges[0].line, 7);
        assert!(graph.warnings.is_empty());
    }

    #[test]
    fn skips_byte_order_mark() {
        let graph = parse_ok("\u{feff}VERTEX_SE2 0 0 0 0\n");
        assert_eq!(graph.vertices.len(), 1);
        assert!(graph.warnings.is_empty());
    }

    #[test]
    fn edges_only_file_is_legal() {
        let graph = parse_ok(&format!(
            "EDGE_SE2 0 1 1 0 0 {INFO2}\nEDGE_SE2 1 2 1 0 0 {INFO2}\nFIX 2\n"
        ));
        assert!(!graph.has_vertices());
        assert_eq!(graph.edges.len(), 2);
        assert_eq!(graph.fixed, [2]);
        assert_eq!(graph.dimension(), Some(Dimension::Two));
    }

    #[test]
    fn vertices_only_file_is_legal() {
        let graph = parse_ok("VERTEX_SE3:QUAT 0 0 0 0 0 0 0 1\n");
        assert_eq!(graph.dimension(), Some(Dimension::Three));
        assert!(graph.edges.is_empty());
    }

    #[test]
    fn edges_may_precede_their_vertices() {
        let graph = parse_ok(&format!(
            "EDGE_SE2 0 1 1 0 0 {INFO2}\nVERTEX_SE2 0 0 0 0\nVERTEX_SE2 1 1 0 0\n"
        ));
        assert_eq!(graph.edges[0].line, 1);
    }

    #[test]
    fn fix_accepts_several_ids_and_drops_repeats() {
        let text =
            "VERTEX_SE2 5 0 0 0\nVERTEX_SE2 9 0 0 0\nVERTEX_SE2 2 0 0 0\nFIX 9 5\nFIX 9\nFIX 2\n";
        assert_eq!(parse_ok(text).fixed, [9, 5, 2]);
    }

    #[test]
    fn huge_and_negative_ids_do_not_allocate_by_value() {
        let text = format!(
            "VERTEX_SE2 1000000000000000000 0 0 0\nVERTEX_SE2 -9223372036854775808 1 0 0\n\
             EDGE_SE2 1000000000000000000 -9223372036854775808 1 0 0 {INFO2}\n\
             FIX 1000000000000000000\n"
        );
        let graph = parse_ok(&text);
        assert_eq!(graph.edges[0].from, 1_000_000_000_000_000_000);
        assert_eq!(graph.edges[0].to, i64::MIN);
        assert_round_trip(&text);
    }

    #[test]
    fn numbers_in_every_rust_float_syntax_are_accepted() {
        let graph = parse_ok("VERTEX_SE2 +7 1e3 -2.5E-2 .5\n");
        assert_eq!(graph.vertices[0].id, 7);
        assert_eq!(graph.vertices[0].pose, G2oPose::Se2([1000.0, -0.025, 0.5]));
    }

    #[test]
    fn dimension_of_empty_or_mixed_graph_is_none() {
        assert_eq!(G2oGraph::default().dimension(), None);
        let mut graph = parse_ok("VERTEX_SE2 0 0 0 0\n");
        graph.vertices.push(G2oVertex {
            id: 1,
            pose: G2oPose::Se3([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]),
            line: 0,
        });
        assert_eq!(graph.dimension(), None);
    }

    // ---- warnings ---------------------------------------------------------------------------

    #[test]
    fn unknown_tag_warns_and_parsing_continues() {
        let text = "VERTEX_XY 7 1 2\nVERTEX_SE2 0 0 0 0\nPARAMS_SE3OFFSET 0\nVERTEX_XY 8 1 2\nVERTEX_SE2 1 0 0 0\n";
        let graph = parse_ok(text);
        assert_eq!(graph.vertices.len(), 2);
        assert_eq!(graph.warnings.len(), 2);
        let first = &graph.warnings[0];
        assert_eq!(first.line, 1);
        assert!(first.message.contains("\"VERTEX_XY\""), "{}", first.message);
        assert!(first.message.contains("2 lines"), "{}", first.message);
        assert_eq!(graph.warnings[1].line, 3);
        assert!(graph.warnings[1].message.contains("PARAMS_SE3OFFSET"));
        assert!(!graph.warnings[1].message.contains("lines"));
        assert!(first.to_string().starts_with("line 1: unknown tag"));
    }

    #[test]
    fn lowercase_tag_is_unknown() {
        let graph = parse_ok("vertex_se2 0 0 0 0\nVERTEX_SE2 0 0 0 0\n");
        assert_eq!(graph.warnings[0].line, 1);
    }

    // ---- errors -----------------------------------------------------------------------------

    #[test]
    fn error_truncated_line() {
        assert_error(
            "VERTEX_SE2 0 0 0 0\nVERTEX_SE2 1 2.0 3.0\n",
            Some(2),
            &["truncated VERTEX_SE2", "expected 4", "found 3"],
        );
        let err = assert_error(
            "VERTEX_SE3:QUAT 0 0 0 0 0 0 0 1\nVERTEX_SE3:QUAT 1 0 0 0 0 0 0 1\nEDGE_SE3:QUAT 0 1 0 0 0 0 0 0 1 1 2 3\n",
            Some(3),
            &["EDGE_SE3:QUAT", "expected 30", "found 12"],
        );
        assert_eq!(
            err.kind(),
            Some(&G2oErrorKind::Truncated {
                tag: "EDGE_SE3:QUAT",
                expected: 30,
                found: 12
            })
        );
        assert_error("EDGE_SE2\n", Some(1), &["expected 11", "found 0"]);
    }

    #[test]
    fn error_too_many_fields() {
        assert_error(
            "VERTEX_SE2 0 0 0 0 5\n",
            Some(1),
            &["too many fields", "expected 4", "found 5"],
        );
        // Trailing comments are not part of the format either.
        let text = format!("EDGE_SE2 0 1 1 0 0 {INFO2} # loop closure\n");
        assert_error(&text, Some(1), &["EDGE_SE2", "expected 11", "found 14"]);
    }

    #[test]
    fn error_non_numeric_field() {
        assert_error(
            "\nVERTEX_SE2 0 0 abc 0\n",
            Some(2),
            &["field y", "#3", "not a number", "\"abc\""],
        );
        let text = "EDGE_SE2 0 1 1 0 0 100 0 0 1,5 0 400\n";
        assert_error(text, Some(1), &["field I22", "\"1,5\""]);
        let info3 = INFO3.replacen("10", "ten", 4).replacen("ten", "10", 3);
        let text = format!("EDGE_SE3:QUAT 0 1 0 0 0 0 0 0 1 {info3}\n");
        assert_error(&text, Some(1), &["EDGE_SE3:QUAT field I44", "\"ten\""]);
    }

    #[test]
    fn error_non_numeric_field_quotes_long_tokens_shortened_and_escaped() {
        let token = format!("\"{}", "x".repeat(1000));
        let err = assert_error(
            &format!("VERTEX_SE2 0 {token} 0 0\n"),
            Some(1),
            &["field x", "..."],
        );
        assert!(err.to_string().len() < 200, "{err}");
        assert!(err.to_string().contains("\"\\\"xxx"), "{err}");
    }

    #[test]
    fn error_nan_or_infinity() {
        for bad in ["NaN", "nan", "inf", "-inf", "+infinity", "1e999"] {
            let text = format!("VERTEX_SE2 0 0 0 0\nVERTEX_SE2 1 0 {bad} 0\n");
            assert_error(&text, Some(2), &["field y", "not finite", bad]);
        }
        let text = "EDGE_SE2 0 1 1 0 0 100 0 0 100 0 inf\n";
        assert_error(text, Some(1), &["field I33", "not finite"]);
        // In a measurement, of either dimension.
        let text = format!("VERTEX_SE2 0 0 0 0\nEDGE_SE2 0 1 nan 0 0 {INFO2}\n");
        assert_error(&text, Some(2), &["EDGE_SE2 field x", "not finite", "nan"]);
        let text = format!("EDGE_SE3:QUAT 0 1 0 0 0 0 0 0 -inf {INFO3}\n");
        assert_error(&text, Some(1), &["EDGE_SE3:QUAT field qw", "not finite"]);
        let info3 = INFO3.replacen("10", "NaN", 1);
        let text = format!("EDGE_SE3:QUAT 0 1 0 0 0 0 0 0 1 {info3}\n");
        assert_error(&text, Some(1), &["EDGE_SE3:QUAT field I11", "not finite"]);
    }

    #[test]
    fn duplicate_edges_are_kept_as_separate_measurements() {
        // g2o reads a repeated edge as a second, independent measurement; so does rhopt.
        let edge = format!("EDGE_SE2 0 1 1 0 0 {INFO2}\n");
        let text = format!("VERTEX_SE2 0 0 0 0\nVERTEX_SE2 1 1 0 0\n{edge}{edge}");
        let graph = parse_ok(&text);
        assert_eq!(graph.edges.len(), 2);
        assert_eq!(graph.edges[0].measurement, graph.edges[1].measurement);
        assert_eq!((graph.edges[0].line, graph.edges[1].line), (3, 4));
        assert!(graph.warnings.is_empty());
    }

    fn parse_repairing(text: &str) -> Result<G2oGraph, G2oError> {
        parse_g2o_with(
            text,
            &G2oReadOptions {
                repair_information: true,
            },
        )
    }

    /// Whether the information is positive definite, as the strict reader requires.
    fn is_spd(information: &G2oInformation) -> bool {
        information.to_dmatrix().cholesky().is_some()
    }

    #[test]
    fn repair_information_replaces_non_spd_matrices_and_reports_them() {
        // (upper triangle, smallest eigenvalue as written)
        let cases = [
            ("100 0 0 -1 0 400", -1.0),           // negative diagonal
            ("1 2 0 1 0 1", -1.0),                // symmetric but indefinite
            ("1 0 0 1 0 0", 0.0),                 // only semi-definite
            ("1e300 0 0 -1e300 0 1e300", -1e300), // near overflow
        ];
        for (info, before) in cases {
            let text = format!(
                "VERTEX_SE2 4 0 0 0\nVERTEX_SE2 2 0 0 0\nEDGE_SE2 2 4 1 0 0 {INFO2}\n\
                 EDGE_SE2 4 2 1 0 0 {info}\n"
            );
            let graph = parse_repairing(&text).unwrap_or_else(|e| panic!("{info}: {e}"));
            assert_eq!(
                graph.repairs.len(),
                1,
                "{info}: only the bad edge is repaired"
            );
            let repair = graph.repairs[0];
            assert_eq!((repair.line, repair.from, repair.to), (4, 4, 2));
            assert!(
                (repair.min_eigenvalue_before - before).abs() <= 1e-12 * before.abs().max(1.0),
                "{info}: {repair:?}"
            );
            let largest = graph.edges[1].information.to_dmatrix().amax();
            assert!(
                repair.min_eigenvalue_after >= 0.99 * SPD_REPAIR_FLOOR * largest,
                "{info}: {repair:?}"
            );
            assert!(is_spd(&graph.edges[1].information), "{info}");
            let good_edge_only = &text[..text.find("EDGE_SE2 4 2").unwrap()];
            assert_eq!(graph.edges[0], parse_ok(good_edge_only).edges[0]);
            let message = repair.to_string();
            assert!(
                message.starts_with("line 4: ") && message.contains("4 -> 2"),
                "{message}"
            );
        }
        let info3 = INFO3.replacen("10", "-10", 1);
        let text = format!("EDGE_SE3:QUAT 0 1 0 0 0 0 0 0 1 {info3}\n");
        let graph = parse_repairing(&text).unwrap();
        assert_eq!(graph.repairs.len(), 1);
        assert!(is_spd(&graph.edges[0].information));
        assert_eq!(graph.repairs[0].min_eigenvalue_before, -10.0);
        assert!((graph.repairs[0].min_eigenvalue_after - 1e-5).abs() < 1e-15);
    }

    #[test]
    fn repaired_information_reads_back_unchanged() {
        let text = "VERTEX_SE2 0 0 0 0\nVERTEX_SE2 1 1 0 0\nEDGE_SE2 0 1 1 0 0 1 2 0 1 0 1\n";
        let graph = parse_repairing(text).unwrap();
        let again = parse_ok(&write_to_string(&graph));
        assert_eq!(again.edges[0].information, graph.edges[0].information);
    }

    #[test]
    fn repair_keeps_positive_definite_matrices() {
        let m = Matrix3::new(4.0, 1.0, 0.5, 1.0, 3.0, 0.2, 0.5, 0.2, 2.0);
        let repair = G2oInformation::Se2(m).nearest_spd().unwrap();
        let G2oInformation::Se2(repaired) = repair.information else {
            panic!("dimension changed");
        };
        assert!((repaired - m).amax() < 1e-12, "{repaired}");
        assert_eq!(repair.min_eigenvalue_before, repair.min_eigenvalue_after);
    }

    #[test]
    fn repair_symmetrises_matrices_built_in_code() {
        let m = Matrix3::new(2.0, 1.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 2.0);
        let G2oInformation::Se2(repaired) =
            G2oInformation::Se2(m).nearest_spd().unwrap().information
        else {
            panic!("dimension changed");
        };
        assert_eq!(repaired, repaired.transpose());
        assert!((repaired[(0, 1)] - 0.5).abs() < 1e-12, "{repaired}");
    }

    #[test]
    fn error_unrepairable_information() {
        for (info, largest) in [("0 0 0 0 0 0", "0e0"), ("-1 0 0 -2 0 -3", "-1e0")] {
            let text =
                format!("VERTEX_SE2 0 0 0 0\nVERTEX_SE2 1 0 0 0\nEDGE_SE2 0 1 1 0 0 {info}\n");
            let err = parse_repairing(&text).expect_err(info);
            assert_eq!(err.line(), Some(3));
            let message = err.to_string();
            assert!(
                message.contains("EDGE_SE2 0 -> 1 cannot be repaired")
                    && message.contains(&format!("largest eigenvalue is {largest}")),
                "{message}"
            );
        }
    }

    #[test]
    fn error_invalid_id() {
        assert_error(
            "VERTEX_SE2 1.5 0 0 0\n",
            Some(1),
            &["field id", "not an integer vertex id", "\"1.5\""],
        );
        let text = format!("VERTEX_SE2 0 0 0 0\nEDGE_SE2 0 b 1 0 0 {INFO2}\n");
        assert_error(&text, Some(2), &["EDGE_SE2 field to id", "#2", "\"b\""]);
        assert_error(
            "VERTEX_SE2 99999999999999999999 0 0 0\n",
            Some(1),
            &["not an integer vertex id"],
        );
        assert_error(
            "VERTEX_SE2 0 0 0 0\nFIX 0 x\n",
            Some(2),
            &["FIX field id", "#2", "\"x\""],
        );
    }

    #[test]
    fn error_zero_quaternion() {
        let text = "VERTEX_SE3:QUAT 0 0 0 0 0 0 0 1\nVERTEX_SE3:QUAT 1 1 2 3 0 0 0 0\n";
        assert_error(
            text,
            Some(2),
            &["quaternion", "norm 0e0", "too close to zero"],
        );
        let text = format!("EDGE_SE3:QUAT 0 1 0 0 0 1e-9 0 0 -1e-9 {INFO3}\n");
        assert_error(
            &text,
            Some(1),
            &["EDGE_SE3:QUAT quaternion", "too close to zero"],
        );
    }

    #[test]
    fn error_information_not_positive_definite() {
        let cases = [
            "100 0 0 -1 0 400", // negative diagonal
            "0 0 0 0 0 0",      // zero matrix
            "1 2 0 1 0 1",      // symmetric but indefinite
            "1 0 0 1 0 0",      // only semi-definite
        ];
        for info in cases {
            let text =
                format!("VERTEX_SE2 4 0 0 0\nVERTEX_SE2 2 0 0 0\nEDGE_SE2 4 2 1 0 0 {info}\n");
            let err = assert_error(
                &text,
                Some(3),
                &[
                    "information matrix of EDGE_SE2 4 -> 2",
                    "positive definite",
                    "Cholesky",
                ],
            );
            assert!(matches!(
                err.kind(),
                Some(G2oErrorKind::NotPositiveDefinite { from: 4, to: 2, .. })
            ));
        }
        let info3 = INFO3.replacen("10", "-10", 1);
        let text = format!("EDGE_SE3:QUAT 0 1 0 0 0 0 0 0 1 {info3}\n");
        assert_error(
            &text,
            Some(1),
            &["EDGE_SE3:QUAT 0 -> 1", "positive definite"],
        );
    }

    #[test]
    fn error_duplicate_vertex() {
        let text = "VERTEX_SE2 3 0 0 0\n# comment\nVERTEX_SE2 4 0 0 0\nVERTEX_SE2 3 1 1 1\n";
        let err = assert_error(text, Some(4), &["duplicate vertex id 3", "line 1"]);
        assert_eq!(
            err.kind(),
            Some(&G2oErrorKind::DuplicateVertex {
                id: 3,
                first_line: 1
            })
        );
    }

    #[test]
    fn error_edge_to_unknown_vertex() {
        let text = format!("VERTEX_SE2 0 0 0 0\nVERTEX_SE2 1 0 0 0\nEDGE_SE2 0 1 1 0 0 {INFO2}\nEDGE_SE2 1 7 1 0 0 {INFO2}\n");
        assert_error(
            &text,
            Some(4),
            &["edge 1 -> 7", "vertex 7", "no VERTEX line"],
        );
        // Also when the missing vertex is the first endpoint and vertices come after edges.
        let text = format!("EDGE_SE2 9 0 1 0 0 {INFO2}\nVERTEX_SE2 0 0 0 0\n");
        assert_error(&text, Some(1), &["references vertex 9"]);
    }

    #[test]
    fn error_fix_of_unknown_vertex() {
        assert_error(
            "VERTEX_SE2 0 0 0 0\nFIX 0\nFIX 1\n",
            Some(3),
            &["FIX refers to vertex 1"],
        );
        // In an edge-only file FIX may name any edge endpoint, but nothing else.
        let text = format!("EDGE_SE2 0 1 1 0 0 {INFO2}\nFIX 5\n");
        assert_error(&text, Some(2), &["vertex 5"]);
    }

    #[test]
    fn error_empty_fix() {
        assert_error(
            "VERTEX_SE2 0 0 0 0\nFIX\n",
            Some(2),
            &["FIX line lists no vertex ids"],
        );
    }

    #[test]
    fn error_mixed_dimensions() {
        let text = "VERTEX_SE2 0 0 0 0\n\nVERTEX_SE3:QUAT 1 0 0 0 0 0 0 1\n";
        let err = assert_error(
            text,
            Some(3),
            &[
                "VERTEX_SE3:QUAT is a 3D tag",
                "line 1 has the 2D tag VERTEX_SE2",
                "all 2D or all 3D",
            ],
        );
        assert!(matches!(
            err.kind(),
            Some(G2oErrorKind::MixedDimensions { first_line: 1, .. })
        ));
        let text = format!("EDGE_SE3:QUAT 0 1 0 0 0 0 0 0 1 {INFO3}\nEDGE_SE2 0 1 1 0 0 {INFO2}\n");
        assert_error(&text, Some(2), &["EDGE_SE2 is a 2D tag", "EDGE_SE3:QUAT"]);
    }

    #[test]
    fn error_empty_file() {
        for text in ["", "\n\n", "# nothing but a comment\r\n", "UNKNOWN 1 2\n"] {
            let err = assert_error(text, None, &["no vertices or edges"]);
            assert_eq!(err.to_string(), "<input>: no vertices or edges found");
        }
        // FIX alone does not make a graph; the more useful message is that it is empty.
        assert_error("FIX 0\n", None, &["no vertices or edges"]);
    }

    #[test]
    fn error_self_loop() {
        let text = format!("VERTEX_SE2 0 0 0 0\nEDGE_SE2 0 0 0 0 0 {INFO2}\n");
        assert_error(&text, Some(2), &["edge 0 -> 0", "itself"]);
    }

    #[test]
    fn error_io_names_path() {
        let dir = TestDir::new();
        let path = dir.path().join("missing.g2o");
        let err = read_g2o(&path).unwrap_err();
        assert!(matches!(err, G2oError::Io { .. }));
        let message = err.to_string();
        assert!(
            message.starts_with(&format!("{}: ", path.display())),
            "{message}"
        );
        assert_eq!(err.line(), None);
    }

    #[test]
    fn error_from_file_names_path_and_line() {
        let dir = TestDir::new();
        let path = dir.path().join("bad.g2o");
        std::fs::write(&path, "VERTEX_SE2 0 0 0 0\nVERTEX_SE2 0 0 0 0\n").unwrap();
        let err = read_g2o(&path).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}:2: duplicate vertex id 0, already defined on line 1",
                path.display()
            )
        );
    }

    #[test]
    fn error_invalid_utf8_names_line() {
        let dir = TestDir::new();
        let path = dir.path().join("latin1.g2o");
        std::fs::write(&path, b"VERTEX_SE2 0 0 0 0\n# caf\xe9\n").unwrap();
        let err = read_g2o(&path).unwrap_err();
        assert_eq!(err.line(), Some(2));
        assert!(
            err.to_string().ends_with(":2: not valid UTF-8 text"),
            "{err}"
        );
    }

    #[test]
    fn path_with_newline_stays_on_one_line() {
        let err = invalid(Path::new("a\nb.g2o"), Some(3), G2oErrorKind::Empty);
        assert_eq!(
            err.to_string(),
            "\"a\\nb.g2o\":3: no vertices or edges found"
        );
    }

    #[test]
    fn every_field_has_a_name() {
        let last_names = ["theta", "I33", "qw", "I66"];
        for (layout, last) in LAYOUTS.iter().zip(last_names) {
            assert!(layout.field_count() <= MAX_FIELDS);
            let names: Vec<String> = (0..layout.field_count())
                .map(|i| layout.field_name(i))
                .collect();
            assert!(names.iter().all(|n| !n.starts_with('#')), "{names:?}");
            assert_eq!(names.last().map(String::as_str), Some(last));
        }
    }

    /// Mutates valid lines at random (dropped, duplicated and garbage tokens, cut lines) and
    /// checks that the parser returns instead of panicking.
    #[test]
    fn never_panics_on_corrupted_input() {
        let valid = format!(
            "VERTEX_SE2 0 0 0 0\nVERTEX_SE2 1 1 0 0\nEDGE_SE2 0 1 1 0 0 {INFO2}\nFIX 0\n\
             VERTEX_SE3:QUAT 0 0 0 0 0 0 0 1\nEDGE_SE3:QUAT 0 1 0 0 0 0 0 0 1 {INFO3}\n"
        );
        let garbage = [
            "",
            "x",
            "-",
            "1e",
            "nan",
            "9223372036854775808",
            "#",
            "FIX",
            "EDGE_SE2",
            "\u{e9}",
            "0",
        ];
        let lines: Vec<&str> = valid.lines().collect();
        let mut rng = Rng(42);
        for _ in 0..3000 {
            let mut text = String::new();
            for _ in 0..rng.below(6) + 1 {
                let mut tokens: Vec<&str> = lines[rng.below(lines.len())].split(' ').collect();
                match rng.below(4) {
                    0 => {
                        tokens.remove(rng.below(tokens.len()));
                    }
                    1 => tokens.insert(
                        rng.below(tokens.len() + 1),
                        garbage[rng.below(garbage.len())],
                    ),
                    2 => {
                        let i = rng.below(tokens.len());
                        tokens[i] = garbage[rng.below(garbage.len())];
                    }
                    _ => tokens.truncate(rng.below(tokens.len() + 1)),
                }
                text.push_str(&tokens.join(" "));
                text.push('\n');
            }
            match parse_g2o(&text) {
                Ok(graph) => {
                    let _ = write_to_string(&graph);
                }
                Err(err) => assert!(!err.to_string().contains('\n')),
            }
        }
    }

    // ---- round trips and the writer ---------------------------------------------------------

    #[test]
    fn round_trip_se2_with_fix_comments_and_sparse_ids() {
        let text = format!(
            "# a 2D graph\n\nVERTEX_SE2 17 0 0 0\nVERTEX_SE2 5 1.25 -0.5 3.14159\n\
             UNKNOWN_TAG 1 2 3\nVERTEX_SE2 -3 0.1 0.2 -6.2\nFIX 17\n\n\
             EDGE_SE2 17 5 1.25 -0.5 3.14159 {INFO2}\nEDGE_SE2 5 -3 0.3 0.7 0.0001 1 0.5 0.25 2 0.125 3\n\
             # trailing comment\nEDGE_SE2 -3 17 1e-7 -123456.789 2.5 44.7 1e-3 0 12 0 1e6\n"
        );
        let graph = assert_round_trip(&text);
        assert_eq!(
            graph.vertices.iter().map(|v| v.id).collect::<Vec<_>>(),
            [17, 5, -3]
        );
        assert_eq!(graph.fixed, [17]);
        assert_eq!(graph.warnings.len(), 1);
    }

    #[test]
    fn round_trip_se3_with_fix_comments_and_sparse_ids() {
        let text = format!(
            "# a 3D graph\r\nVERTEX_SE3:QUAT 100 0 0 0 0 0 0 1\r\n\r\n\
             VERTEX_SE3:QUAT 7 1.033099 0.093536 -0.037961 0.3171845 -0.2366641 0.1427899 0.9071908\r\n\
             VERTEX_SE3:QUAT 1000000 -1 2 -3 0.1 0.2 0.3 0.4\r\nFIX 7 100\r\n\
             EDGE_SE3:QUAT 100 7 1 0 0 0 0 0.7071 0.7071 {INFO3}\r\n\
             EDGE_SE3:QUAT 7 1000000 0.5 0.25 0.125 0.1 0.2 0.3 0.9 \
             2 0.1 0 0 0 0.01 3 0.2 0 0 0 4 0 0 0 50 1 0.5 60 0.25 70\r\n"
        );
        let graph = assert_round_trip(&text);
        assert_eq!(graph.fixed, [7, 100]);
        assert_eq!(graph.edges.len(), 2);
    }

    #[test]
    fn round_trip_is_bit_exact_for_awkward_numbers() {
        let values = [
            0.1,
            -0.0,
            1.0 / 3.0,
            0.1 + 0.2,
            5e-324,
            2.2250738585072014e-308,
            1e-300,
            9.99999e-6,
            1e-5,
            123456789.12345679,
            9.999999999999998e15,
            1e16,
            f64::MAX,
            -f64::MAX,
            std::f64::consts::PI,
        ];
        let vertices = values
            .iter()
            .enumerate()
            .map(|(i, &x)| G2oVertex {
                id: i as i64,
                pose: G2oPose::Se2([x, -x, x * 0.5]),
                line: 0,
            })
            .collect();
        let graph = G2oGraph {
            vertices,
            ..G2oGraph::default()
        };
        let text = write_to_string(&graph);
        let read = parse_ok(&text);
        for (a, b) in graph.vertices.iter().zip(&read.vertices) {
            let bits = |p: &G2oPose| p.values().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&a.pose), bits(&b.pose), "{:?} vs {:?}", a.pose, b.pose);
        }
        // Exponent form keeps extreme values short.
        assert!(text.lines().all(|l| l.len() < 120), "{text}");
    }

    #[test]
    fn random_se3_graph_round_trips_bit_exactly() {
        let mut rng = Rng(3);
        let mut text = String::new();
        for id in 0..50 {
            let v: Vec<String> = (0..7).map(|_| (rng.unit() * 100.0).to_string()).collect();
            text.push_str(&format!("VERTEX_SE3:QUAT {} {}\n", id * 3, v.join(" ")));
        }
        for id in 1..50 {
            let v: Vec<String> = (0..7).map(|_| rng.unit().to_string()).collect();
            text.push_str(&format!(
                "EDGE_SE3:QUAT {} {} {} {INFO3}\n",
                (id - 1) * 3,
                id * 3,
                v.join(" ")
            ));
        }
        let first = parse_ok(&text);
        let second = parse_ok(&write_to_string(&first));
        assert_eq!(without_provenance(first), without_provenance(second));
    }

    #[test]
    fn writer_output_format() {
        let text = format!("EDGE_SE2 2 1 0.5 0 -0 {INFO2}\nFIX 1\nVERTEX_SE2 1 0 0 0\nVERTEX_SE2 2 1e-7 1e20 0.25\n");
        let written = write_to_string(&parse_ok(&text));
        assert_eq!(
            written,
            "VERTEX_SE2 1 0 0 0\nVERTEX_SE2 2 1e-7 1e20 0.25\nFIX 1\n\
             EDGE_SE2 2 1 0.5 0 -0 100 0 0 100 0 400\n"
        );
    }

    #[test]
    fn writer_rejects_unwritable_graphs() {
        let mut graph = parse_ok(&format!("EDGE_SE2 0 1 1 0 0 {INFO2}\n"));
        graph.edges[0].measurement = G2oPose::Se2([f64::NAN, 0.0, 0.0]);
        let err = write_g2o(&graph, Vec::new()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("NaN"), "{err}");

        graph.edges[0].measurement = G2oPose::Se3([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
        let err = write_g2o(&graph, Vec::new()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(
            err.to_string()
                .contains("3D measurement with 2D information"),
            "{err}"
        );
    }

    #[test]
    fn write_file_round_trips_and_reports_path_on_error() {
        let dir = TestDir::new();
        let path = dir.path().join("graph.g2o");
        let graph = parse_ok(&format!(
            "VERTEX_SE2 0 0 0 0\nVERTEX_SE2 1 1 0 0\nEDGE_SE2 0 1 1 0 0 {INFO2}\n"
        ));
        write_g2o_file(&graph, &path).unwrap();
        let read = read_g2o(&path).unwrap();
        assert_eq!(without_provenance(read), without_provenance(graph.clone()));

        let bad = dir.path().join("no such dir").join("graph.g2o");
        let err = write_g2o_file(&graph, &bad).unwrap_err();
        assert!(
            err.to_string().starts_with(&bad.display().to_string()),
            "{err}"
        );
    }

    #[test]
    fn write_file_leaves_target_untouched_when_graph_is_unwritable() {
        let dir = TestDir::new();
        let path = dir.path().join("graph.g2o");
        std::fs::write(&path, "old\n").unwrap();
        let mut graph = parse_ok("VERTEX_SE2 0 0 0 0\n");
        graph.vertices.push(G2oVertex {
            id: 1,
            pose: G2oPose::Se2([f64::INFINITY, 0.0, 0.0]),
            line: 0,
        });
        write_g2o_file(&graph, &path).unwrap_err();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
