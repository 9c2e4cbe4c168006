//! Turning the SVG text into a small file, written all at once.

use std::fmt::Write as _;
use std::path::Path;

use super::PlotError;

/// Merges runs of consecutive `<polyline>` / `<line>` elements that share
/// the same style into one `<path>`.
///
/// plotters' SVG backend writes every loop closure as its own element of
/// ~90 bytes, most of which repeat the same style attributes; one path with
/// `M x y L x y` per segment needs ~16. Merging only *consecutive* elements
/// keeps the drawing order, so what is on top stays on top. It also paints a
/// translucent run as one shape, so overlapping loop closures no longer
/// darken each other into a blot.
///
/// Elements are recognised by the exact text plotters-svg 0.3 writes; any
/// other line (or a future format) is passed through unchanged, so the worst
/// case is a bigger file, never a broken one.
pub(crate) fn compact_svg(svg: &str) -> String {
    let mut out = String::with_capacity(svg.len());
    let mut run: Option<(&str, String, usize)> = None; // style, path data, count
    for line in svg.lines() {
        match parse_stroke(line) {
            Some((style, data)) => match &mut run {
                Some((s, d, count)) if *s == style => {
                    d.push_str(&data);
                    *count += 1;
                }
                _ => {
                    flush(&mut out, run.take());
                    run = Some((style, data, 1));
                }
            },
            None => {
                flush(&mut out, run.take());
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    flush(&mut out, run);
    out
}

fn flush(out: &mut String, run: Option<(&str, String, usize)>) {
    if let Some((style, data, _)) = run {
        // Even a lone element is rewritten: the path form is never longer.
        let _ = writeln!(
            out,
            r#"<path fill="none" {style} d="{}"/>"#,
            data.trim_end()
        );
    }
}

/// For a stroked `<polyline>` or `<line>` written by plotters-svg, returns
/// its style attributes (`opacity="…" stroke="…" stroke-width="…"`) and its
/// geometry as SVG path data; `None` for anything else.
fn parse_stroke(line: &str) -> Option<(&str, String)> {
    if let Some(rest) = line.strip_prefix(r#"<polyline fill="none" "#) {
        let (style, rest) = rest.split_once(r#" points=""#)?;
        let points = rest.strip_suffix(r#""/>"#)?;
        let mut data = String::new();
        for (i, xy) in points.split_whitespace().enumerate() {
            let (x, y) = xy.split_once(',')?;
            let _ = write!(data, "{}{x} {y}", if i == 0 { 'M' } else { 'L' });
        }
        return (!data.is_empty()).then_some((style, data));
    }
    let rest = line.strip_prefix("<line ")?;
    let (style, rest) = rest.split_once(r#" x1=""#)?;
    let (x1, rest) = rest.split_once(r#"" y1=""#)?;
    let (y1, rest) = rest.split_once(r#"" x2=""#)?;
    let (x2, rest) = rest.split_once(r#"" y2=""#)?;
    let y2 = rest.strip_suffix(r#""/>"#)?;
    Some((style, format!("M{x1} {y1}L{x2} {y2}")))
}

/// Writes `contents` to `path` whole or not at all, through the crate's one atomic writer
/// ([`crate::io::write_atomically`]), with its error named as a plot error.
pub(crate) fn write_atomically(path: &Path, contents: &str) -> Result<(), PlotError> {
    crate::io::write_atomically(path, |w| w.write_all(contents.as_bytes())).map_err(|source| {
        PlotError::Io {
            path: path.to_owned(),
            source,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_runs_of_same_style_only() {
        let svg = concat!(
            "<svg>\n",
            r##"<polyline fill="none" opacity="0.3" stroke="#AAAAAA" stroke-width="1" points="1,2 3,4 "/>"##,
            "\n",
            r##"<line opacity="0.3" stroke="#AAAAAA" stroke-width="1" x1="5" y1="6" x2="7" y2="8"/>"##,
            "\n",
            r##"<polyline fill="none" opacity="1" stroke="#FF0000" stroke-width="1" points="0,0 1,1 2,0 "/>"##,
            "\n<text>hi</text>\n</svg>\n"
        );
        let out = compact_svg(svg);
        assert_eq!(
            out,
            concat!(
                "<svg>\n",
                r##"<path fill="none" opacity="0.3" stroke="#AAAAAA" stroke-width="1" d="M1 2L3 4M5 6L7 8"/>"##,
                "\n",
                r##"<path fill="none" opacity="1" stroke="#FF0000" stroke-width="1" d="M0 0L1 1L2 0"/>"##,
                "\n<text>hi</text>\n</svg>\n"
            )
        );
    }

    #[test]
    fn unknown_elements_pass_through() {
        let svg = "<svg>\n<polyline fill=\"none\" odd/>\n<line x=\"1\"/>\n</svg>\n";
        assert_eq!(compact_svg(svg), svg);
    }
}
