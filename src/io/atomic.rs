//! Atomic file replacement: write a temporary sibling, sync it, rename it over the target.
//!
//! A rename within one directory is atomic on POSIX file systems (and replaces the target on
//! Windows), so readers see either the complete old file or the complete new one, never a
//! half-written file — even if the process is killed or the disk fills up mid-write.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Gives every temporary file created by this process a distinct name, even when several
/// threads write the same target at once (the pid alone only separates processes).
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// How many names to try when a temporary file of the same name already exists (for example
/// left behind by a crashed process that had the same pid).
const MAX_NAME_ATTEMPTS: u32 = 64;

/// Writes a file atomically: `write` fills a buffered temporary file in the same directory as
/// `path`, which is flushed, synced to disk and then renamed over `path`.
///
/// If `write` (or flushing, syncing or renaming) fails — or `write` panics — the temporary file
/// is removed and `path` is left untouched. The temporary file is named
/// `.{file name}.tmp.{pid}.{counter}`. When `path` already exists its permissions are carried
/// over to the new file, and when it is a symbolic link the file it points to is replaced
/// (not the link itself).
///
/// # Errors
///
/// Returns the first I/O error met, or the error returned by `write`. A `path` without a file
/// name (such as `/` or `dir/..`) gives [`io::ErrorKind::InvalidInput`].
///
/// # Example
///
/// ```
/// use std::io::Write;
/// let path = std::env::temp_dir().join(format!("rhopt-doc-{}.txt", std::process::id()));
/// rhopt::io::write_atomically(&path, |w| writeln!(w, "hello"))?;
/// assert_eq!(std::fs::read_to_string(&path)?, "hello\n");
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let target = resolve_symlink(path);
    let (file, temp) = create_temp_file(&target)?;
    // From here on the guard deletes the temporary file on every early return and on unwinding.
    let guard = TempGuard::new(&temp);
    fill_and_sync(file, write)?;
    copy_permissions(&target, &temp);
    fs::rename(&temp, &target)?;
    guard.disarm();
    sync_parent_dir(&target);
    Ok(())
}

/// Runs the caller's closure on a buffered writer, then makes sure the bytes reach the disk
/// before the rename publishes them (otherwise a crash could leave an empty "new" file).
fn fill_and_sync(
    file: File,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let mut writer = BufWriter::new(file);
    write(&mut writer)?;
    let file = writer
        .into_inner()
        .map_err(io::IntoInnerError::into_error)?;
    file.sync_all()
}

/// Follows a symbolic link so that the rename replaces the linked file instead of the link.
/// A dangling or unreadable link falls back to `path` itself.
fn resolve_symlink(path: &Path) -> PathBuf {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
        }
        _ => path.to_owned(),
    }
}

/// Creates a new, uniquely named temporary file next to `target` (same directory, hence same
/// file system, which is what makes the final rename atomic).
fn create_temp_file(target: &Path) -> io::Result<(File, PathBuf)> {
    let name = target.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} does not name a file", target.display()),
        )
    })?;
    let dir = target.parent().unwrap_or(Path::new(""));
    let mut last_error = None;
    for _ in 0..MAX_NAME_ATTEMPTS {
        let temp = dir.join(temp_name(name));
        // `create_new` refuses to reuse an existing file, so a stale or concurrent temporary
        // file is never truncated or shared.
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(file) => return Ok((file, temp)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_error = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last_error.unwrap_or_else(|| io::Error::other("could not create a temporary file")))
}

/// `.{name}.tmp.{pid}.{counter}`: hidden, and recognisably ours if a crash ever leaves one.
fn temp_name(name: &std::ffi::OsStr) -> OsString {
    let counter = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut temp = OsString::from(".");
    temp.push(name);
    temp.push(format!(".tmp.{}.{counter}", std::process::id()));
    temp
}

/// Best effort: keeps the mode of a file being replaced (a freshly created temporary file
/// would otherwise get the default permissions). Failing to copy them is not worth failing the
/// whole write over.
fn copy_permissions(from: &Path, to: &Path) {
    if let Ok(meta) = fs::metadata(from) {
        let _ = fs::set_permissions(to, meta.permissions());
    }
}

/// Best effort: syncs the directory so the rename itself survives a crash. Some file systems
/// refuse to sync directories; the data is already safe, so such errors are ignored.
fn sync_parent_dir(target: &Path) {
    #[cfg(unix)]
    {
        let dir = match target.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        if let Ok(dir) = File::open(dir) {
            let _ = dir.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = target;
}

/// Removes the temporary file when dropped, unless disarmed after a successful rename.
struct TempGuard<'a> {
    path: &'a Path,
    armed: bool,
}

impl<'a> TempGuard<'a> {
    fn new(path: &'a Path) -> Self {
        TempGuard { path, armed: true }
    }

    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for TempGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            let _ = fs::remove_file(self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::test_dir::TestDir;

    /// Names of all entries in `dir`, sorted, to check that no temporary file is left behind.
    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn creates_a_new_file() {
        let dir = TestDir::new();
        let path = dir.path().join("new.g2o");
        write_atomically(&path, |w| w.write_all(b"content\n")).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "content\n");
        assert_eq!(entries(dir.path()), ["new.g2o"]);
    }

    #[test]
    fn replaces_an_existing_file() {
        let dir = TestDir::new();
        let path = dir.path().join("out.g2o");
        fs::write(&path, "old content that is longer than the new one\n").unwrap();
        write_atomically(&path, |w| w.write_all(b"new\n")).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new\n");
        assert_eq!(entries(dir.path()), ["out.g2o"]);
    }

    #[test]
    fn failing_closure_leaves_target_untouched_and_no_temp_file() {
        let dir = TestDir::new();
        let path = dir.path().join("out.g2o");
        fs::write(&path, "old\n").unwrap();
        let err = write_atomically(&path, |w| {
            // Partially written data must never reach the target.
            w.write_all(b"partial")?;
            Err(io::Error::other("closure failed"))
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "closure failed");
        assert_eq!(fs::read_to_string(&path).unwrap(), "old\n");
        assert_eq!(entries(dir.path()), ["out.g2o"]);
    }

    #[test]
    fn failing_closure_does_not_create_missing_target() {
        let dir = TestDir::new();
        let path = dir.path().join("out.g2o");
        write_atomically(&path, |_| Err(io::Error::other("nope"))).unwrap_err();
        assert!(entries(dir.path()).is_empty());
    }

    #[test]
    fn panicking_closure_removes_temp_file() {
        let dir = TestDir::new();
        let path = dir.path().join("out.g2o");
        fs::write(&path, "old\n").unwrap();
        let result = std::panic::catch_unwind(|| {
            let _ = write_atomically(&path, |w| {
                w.write_all(b"partial")?;
                panic!("closure panicked");
            });
        });
        assert!(result.is_err());
        assert_eq!(fs::read_to_string(&path).unwrap(), "old\n");
        assert_eq!(entries(dir.path()), ["out.g2o"]);
    }

    #[test]
    fn missing_directory_is_an_error() {
        let dir = TestDir::new();
        let path = dir.path().join("no such dir").join("out.g2o");
        let err = write_atomically(&path, |w| w.write_all(b"x")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn path_without_file_name_is_invalid_input() {
        let err = write_atomically(Path::new("/"), |w| w.write_all(b"x")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn large_output_is_written_completely() {
        let dir = TestDir::new();
        let path = dir.path().join("big.txt");
        let line = "0123456789abcdef\n";
        write_atomically(&path, |w| {
            for _ in 0..100_000 {
                w.write_all(line.as_bytes())?;
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().len(),
            100_000 * line.len() as u64
        );
    }

    #[cfg(unix)]
    #[test]
    fn keeps_permissions_and_follows_symlinks() {
        use std::os::unix::fs::PermissionsExt;
        let dir = TestDir::new();
        let real = dir.path().join("real.g2o");
        let link = dir.path().join("link.g2o");
        fs::write(&real, "old\n").unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();

        write_atomically(&link, |w| w.write_all(b"new\n")).unwrap();

        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(&real).unwrap(), "new\n");
        let mode = fs::metadata(&real).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
        assert_eq!(entries(dir.path()), ["link.g2o", "real.g2o"]);
    }

    #[test]
    fn temp_names_are_unique_and_hidden() {
        let a = temp_name(std::ffi::OsStr::new("x.g2o"));
        let b = temp_name(std::ffi::OsStr::new("x.g2o"));
        assert_ne!(a, b);
        let a = a.to_string_lossy();
        assert!(a.starts_with(".x.g2o.tmp."), "{a}");
    }
}
