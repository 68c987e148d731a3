//! Which files make a policy set: the one walk that `bona check`, every other command, the
//! webhook and the language server share, so that they always agree on the set.
//!
//! A path given by the user is taken as it is (a file, or a directory to search). Inside a
//! directory, the walk takes the files named `*.trust`, skips entries whose name starts with
//! `.` (`.git`, editor state) and build output (`target/`, `node_modules/`), and follows
//! symbolic links, because Kubernetes mounts a ConfigMap as a tree of them. It never trusts
//! what it finds:
//! - a directory is entered at most once, by its identity on disk, so a link to an ancestor
//!   (`ln -s . policies/a`) is reported as a loop and two links to one directory do not
//!   compile its files twice;
//! - nesting is bounded ([`MAX_DEPTH`]);
//! - a `*.trust` entry must be a regular file: a FIFO would block its reader and a link to
//!   `/dev/zero` would fill memory, so both are reported here, before anything is opened.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use bona_compiler::disk::FileKind;
use bona_compiler::disk::io_reason;

/// How deep directories may nest below a path given on the command line.
pub const MAX_DEPTH: usize = 32;

/// How many directory entries one walk looks at before it gives up: a policy set is a few
/// thousand files at most, and a link to `/` or a home directory must not walk a whole disk.
pub const MAX_ENTRIES: usize = 100_000;

/// A problem with one path of the policy set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkError {
    /// The path the problem is about.
    pub path: PathBuf,
    /// What is wrong, as one lower-case sentence.
    pub message: String,
}

impl fmt::Display for WalkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for WalkError {}

fn problem(path: &Path, message: impl Into<String>) -> WalkError {
    WalkError {
        path: path.to_owned(),
        message: message.into(),
    }
}

/// What a walk found: the policy files, in a stable order, and the problems met on the way.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Walk {
    pub files: Vec<PathBuf>,
    pub problems: Vec<WalkError>,
}

/// The `.trust` files under `paths`, or the first problem met. What the command line uses: a
/// policy set with an unreadable part is not compiled at all.
///
/// # Errors
/// A path that cannot be read, a directory without `.trust` files, a loop, too deep a tree,
/// or a `.trust` entry that is not a regular file.
pub fn trust_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, WalkError> {
    let walk = walk(paths, true);
    match walk.problems.into_iter().next() {
        Some(first) => Err(first),
        None => Ok(walk.files),
    }
}

/// Every `.trust` file under `paths` that can be had, and every problem. What the language
/// server uses: an editor keeps working on the rest of a workspace with a broken corner.
pub fn scan(paths: &[PathBuf]) -> Walk {
    walk(paths, false)
}

fn walk(paths: &[PathBuf], stop_at_first: bool) -> Walk {
    let mut walker = Walker {
        stop_at_first,
        ..Walker::default()
    };
    for path in paths {
        if walker.stopped() {
            break;
        }
        match std::fs::metadata(path) {
            Err(e) => walker.problem(path, format!("cannot read: {}", io_reason(&e))),
            Ok(meta) if meta.is_dir() => {
                let before = walker.walk.files.len();
                walker.directory(path, &meta, 0);
                if walker.walk.files.len() == before && walker.walk.problems.is_empty() {
                    walker.problem(path, "no `.trust` files in this directory");
                }
            }
            // A file named on the command line is taken whatever its name; reading it checks
            // that it is a regular file.
            Ok(_) => walker.walk.files.push(path.clone()),
        }
    }
    let mut walk = walker.walk;
    walk.files.sort();
    walk.files.dedup();
    walk
}

#[derive(Default)]
struct Walker {
    walk: Walk,
    /// Whether the first problem ends the walk (the command line's mode).
    stop_at_first: bool,
    /// Directory entries looked at so far.
    entries: usize,
    /// Directories entered so far, by identity.
    seen: HashSet<DirId>,
    /// The directories from the root to the current one, by identity, with their paths.
    ancestors: Vec<(DirId, PathBuf)>,
}

/// A directory's identity on disk: device and inode where there are such things.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct DirId(u64, u64);

#[cfg(unix)]
fn dir_id(meta: &std::fs::Metadata, _: &Path) -> DirId {
    use std::os::unix::fs::MetadataExt as _;
    DirId(meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn dir_id(_: &std::fs::Metadata, path: &Path) -> DirId {
    use std::hash::{Hash as _, Hasher as _};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_owned())
        .hash(&mut h);
    DirId(0, h.finish())
}

impl Walker {
    fn problem(&mut self, path: &Path, message: impl Into<String>) {
        self.walk.problems.push(problem(path, message));
    }

    fn stopped(&self) -> bool {
        (self.stop_at_first && !self.walk.problems.is_empty()) || self.entries > MAX_ENTRIES
    }

    fn directory(&mut self, dir: &Path, meta: &std::fs::Metadata, depth: usize) {
        let id = dir_id(meta, dir);
        if let Some((_, ancestor)) = self.ancestors.iter().find(|(a, _)| *a == id) {
            let message = format!(
                "symbolic link loop: this leads back to `{}`; remove the link or point it \
                 outside the policy directory",
                ancestor.display()
            );
            self.problem(dir, message);
            return;
        }
        if !self.seen.insert(id) {
            // Reached again through another link: its files are already in the set.
            return;
        }
        if depth > MAX_DEPTH {
            self.problem(
                dir,
                format!("directories nest deeper than {MAX_DEPTH} levels here"),
            );
            return;
        }
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => {
                self.problem(dir, format!("cannot read directory: {}", io_reason(&e)));
                return;
            }
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        self.ancestors.push((id, dir.to_owned()));
        for path in paths {
            self.entries += 1;
            if self.entries == MAX_ENTRIES + 1 {
                self.problem(
                    &path,
                    format!(
                        "more than {MAX_ENTRIES} entries under the policy paths; does a \
                         symbolic link point at a large tree?"
                    ),
                );
            }
            if self.stopped() {
                break;
            }
            let skipped = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.') || n == "target" || n == "node_modules");
            if !skipped {
                self.entry(&path, depth);
            }
        }
        self.ancestors.pop();
    }

    fn entry(&mut self, path: &Path, depth: usize) {
        let is_trust = path.extension().is_some_and(|e| e == "trust");
        // `metadata` follows links: what matters is what a reader would get.
        let meta = match std::fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) => {
                // A dangling link or a file that vanished: only a problem for a policy file.
                if is_trust {
                    self.problem(path, format!("cannot read: {}", io_reason(&e)));
                }
                return;
            }
        };
        match FileKind::of(&meta) {
            FileKind::Directory => self.directory(path, &meta, depth + 1),
            FileKind::Regular if is_trust => self.walk.files.push(path.to_owned()),
            kind if is_trust => self.problem(
                path,
                format!(
                    "cannot read: it is {}, not a regular file",
                    kind.described()
                ),
            ),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "let x = 1\n").unwrap();
    }

    fn names(dir: &Path, files: &[PathBuf]) -> Vec<String> {
        files
            .iter()
            .map(|f| f.strip_prefix(dir).unwrap().display().to_string())
            .collect()
    }

    #[test]
    fn finds_trust_files_in_order_and_skips_hidden_and_build_output() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in [
            "b.trust",
            "a/c.trust",
            "a/readme.md",
            ".git/x.trust",
            "target/y.trust",
            "node_modules/z.trust",
            "a/.hidden.trust",
        ] {
            touch(&root.join(f));
        }
        let files = trust_files(&[root.to_owned()]).unwrap();
        assert_eq!(names(root, &files), ["a/c.trust", "b.trust"]);
    }

    #[test]
    fn an_empty_directory_is_a_problem_and_a_named_file_is_taken() {
        let dir = tempfile::tempdir().unwrap();
        let err = trust_files(&[dir.path().to_owned()]).unwrap_err();
        assert_eq!(err.message, "no `.trust` files in this directory");
        let other = dir.path().join("policies.txt");
        touch(&other);
        assert_eq!(trust_files(std::slice::from_ref(&other)).unwrap(), [other]);
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_are_reported_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("policies");
        touch(&root.join("p.trust"));
        std::os::unix::fs::symlink(".", root.join("a")).unwrap();
        std::os::unix::fs::symlink(".", root.join("b")).unwrap();
        let err = trust_files(std::slice::from_ref(&root)).unwrap_err();
        assert_eq!(err.path, root.join("a"));
        assert!(err.message.starts_with("symbolic link loop"), "{err}");
        // The language server keeps the rest.
        let walk = scan(std::slice::from_ref(&root));
        assert_eq!(walk.files, [root.join("p.trust")]);
        assert_eq!(walk.problems.len(), 2);
    }

    #[cfg(unix)]
    #[test]
    fn two_links_to_one_directory_count_it_once() {
        let dir = tempfile::tempdir().unwrap();
        let shared = dir.path().join("shared");
        touch(&shared.join("s.trust"));
        let root = dir.path().join("policies");
        std::fs::create_dir(&root).unwrap();
        std::os::unix::fs::symlink(&shared, root.join("one")).unwrap();
        std::os::unix::fs::symlink(&shared, root.join("two")).unwrap();
        let files = trust_files(std::slice::from_ref(&root)).unwrap();
        assert_eq!(names(&root, &files), ["one/s.trust"]);
    }

    #[cfg(unix)]
    #[test]
    fn special_files_named_trust_are_problems() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(&root.join("ok.trust"));
        std::os::unix::fs::symlink("/dev/zero", root.join("zero.trust")).unwrap();
        let status = std::process::Command::new("mkfifo")
            .arg(root.join("fifo.trust"))
            .status()
            .unwrap();
        assert!(status.success());
        let walk = scan(&[root.to_owned()]);
        assert_eq!(names(root, &walk.files), ["ok.trust"]);
        let messages: Vec<String> = walk.problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                format!(
                    "{}: cannot read: it is a FIFO, not a regular file",
                    root.join("fifo.trust").display()
                ),
                format!(
                    "{}: cannot read: it is a character device, not a regular file",
                    root.join("zero.trust").display()
                ),
            ]
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_link_to_the_root_directory_is_not_walked() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("policies");
        touch(&root.join("p.trust"));
        std::os::unix::fs::symlink("/", root.join("everything")).unwrap();
        // The walk ends, on a loop back to `/` (`/proc/self/root`) or on the entry bound.
        let err = trust_files(std::slice::from_ref(&root)).unwrap_err();
        assert!(
            err.message.starts_with("symbolic link loop") || err.message.starts_with("more than"),
            "{err}"
        );
    }

    #[test]
    fn nesting_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let mut deep = dir.path().to_owned();
        for _ in 0..=MAX_DEPTH + 1 {
            deep.push("d");
        }
        touch(&deep.join("p.trust"));
        let err = trust_files(&[dir.path().to_owned()]).unwrap_err();
        assert!(err.message.contains("deeper than 32 levels"), "{err}");
    }
}
