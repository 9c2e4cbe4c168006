//! The trajectory readers: format detection and every `TrajectoryFormat` (g2o vertices, TUM
//! with line-index or timestamp ids, `x y θ`, `id x y θ`) on the same input.
//!
//! Like `read_trajectory`, non-UTF-8 input is rejected whole before parsing. Oracles: no panic,
//! hang or unbounded allocation; every trajectory that parses is valid
//! (`Trajectory::validate`) and can be written as TUM.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rhopt::eval::{parse_trajectory, parse_trajectory_as, write_tum, TrajectoryFormat, TumIds};

const FORMATS: [TrajectoryFormat; 5] = [
    TrajectoryFormat::G2o,
    TrajectoryFormat::Tum(TumIds::LineIndex),
    TrajectoryFormat::Tum(TumIds::Timestamp),
    TrajectoryFormat::PoseList,
    TrajectoryFormat::IdPoseList,
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let detected = parse_trajectory(text);
    let explicit = FORMATS.map(|format| parse_trajectory_as(text, format));
    for trajectory in std::iter::once(&detected).chain(&explicit).flatten() {
        trajectory
            .validate()
            .expect("a parsed trajectory must be valid");
        write_tum(trajectory, std::io::sink()).expect("a parsed trajectory must be writable");
    }
});
