//! The durable journal: one JSON event per line in `journal.jsonl`, each appended and fsynced
//! before the agent acts on it. Opening replays it into a ledger; a torn last line (the process
//! died mid-write) is cut off, any other unreadable line is kept aside in `journal.bad` and
//! reported. Compaction rewrites the file as one snapshot line (temporary file, fsync, rename,
//! fsync of the directory), so a crash leaves either the old or the new journal. A lock file keeps
//! a second agent off the same journal.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use crate::ledger::{Event, Ledger};

/// Lines after which the journal is compacted.
pub const COMPACT_AFTER_LINES: usize = 5_000;

/// An open journal.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    lines: usize,
    _lock: File,
}

/// What opening found.
#[derive(Debug, Default)]
pub struct Replay {
    /// The ledger rebuilt.
    pub ledger: Ledger,
    /// Problems worth a warning.
    pub warnings: Vec<String>,
}

/// The journal file in `dir`.
pub fn path_in(dir: &Path) -> PathBuf {
    dir.join("journal.jsonl")
}

/// Reads `dir`'s journal without opening it for writing (for `status`).
pub fn read(dir: &Path) -> Result<Replay, String> {
    let path = path_in(dir);
    match File::open(&path) {
        Ok(f) => Ok(replay(f, &path)?.0),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Replay::default()),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// What a replay read: the ledger and warnings, where the last good line ends, how many events
/// were applied, and the unreadable lines.
type Read = (Replay, u64, usize, Vec<Vec<u8>>);

/// Replays journal text read from `file` (named `path` in warnings) without touching any file:
/// `open` and `read` use it, and so does the fuzz target `meter_journal`.
pub fn replay(file: impl std::io::Read, path: &Path) -> Result<Read, String> {
    let mut out = Replay::default();
    let mut good_end = 0u64;
    let mut lines = 0usize;
    let mut bad = Vec::new();
    let mut reader = BufReader::new(file);
    let mut buf = Vec::new();
    let mut n = 0usize;
    loop {
        buf.clear();
        // Bytes, not text: a damaged line must not stop the replay of the lines after it.
        let read = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| format!("cannot read {} at line {}: {e}", path.display(), n + 1))?;
        if read == 0 {
            break;
        }
        n += 1;
        if !buf.ends_with(b"\n") {
            // Only the last line can lack its end: the process died while writing it.
            out.warnings.push(format!(
                "{}: line {n} was cut short by a crash; dropped (the event it held was not acted on)",
                path.display()
            ));
            break;
        }
        let event = serde_json::from_slice::<Event>(&buf)
            .map_err(|e| e.to_string())
            .and_then(|e| {
                if e.in_range() {
                    Ok(e)
                } else {
                    Err("it names an hour outside the years 1970 to 9999".to_owned())
                }
            });
        match event {
            Ok(e) => {
                out.ledger.apply(&e);
                lines += 1;
            }
            Err(e) => {
                out.warnings.push(format!(
                    "{}: line {n} is unreadable ({e}); kept in journal.bad and skipped",
                    path.display()
                ));
                bad.push(buf.clone());
            }
        }
        good_end += read as u64;
    }
    Ok((out, good_end, lines, bad))
}

impl Journal {
    /// Opens (creating) the journal in `dir`, takes its lock and replays it.
    pub fn open(dir: &Path) -> Result<(Self, Replay), String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create the state directory {}: {e}", dir.display()))?;
        let lock_path = dir.join("agent.lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| format!("cannot open {}: {e}", lock_path.display()))?;
        if lock.try_lock().is_err() {
            return Err(format!(
                "another amipub-meter is running on {} (it holds {}); stop it first",
                dir.display(),
                lock_path.display()
            ));
        }
        let path = path_in(dir);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .append(true)
            .open(&path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let reader = file
            .try_clone()
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let (replay, good_end, lines, bad) = replay(reader, &path)?;
        if !bad.is_empty() {
            let mut f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.join("journal.bad"))
                .map_err(|e| format!("cannot keep unreadable lines aside: {e}"))?;
            for b in &bad {
                f.write_all(b)
                    .map_err(|e| format!("cannot keep unreadable lines aside: {e}"))?;
            }
            f.sync_all()
                .map_err(|e| format!("cannot keep unreadable lines aside: {e}"))?;
        }
        let len = file.metadata().map(|m| m.len()).unwrap_or(good_end);
        if len > good_end {
            file.set_len(good_end)
                .map_err(|e| format!("cannot cut the torn last line of {}: {e}", path.display()))?;
        }
        let mut j = Journal {
            path,
            file,
            lines,
            _lock: lock,
        };
        if !bad.is_empty() {
            j.compact(&replay.ledger)?;
        }
        Ok((j, replay))
    }

    /// Appends events and makes them durable.
    pub fn append(&mut self, events: &[Event]) -> Result<(), String> {
        if events.is_empty() {
            return Ok(());
        }
        let mut text = String::new();
        for e in events {
            let line = serde_json::to_string(e).map_err(|e| format!("cannot encode: {e}"))?;
            text.push_str(&line);
            text.push('\n');
        }
        self.file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.sync_data())
            .map_err(|e| format!("cannot write {}: {e}", self.path.display()))?;
        self.lines += events.len();
        Ok(())
    }

    /// Whether the journal has grown enough to compact.
    pub fn wants_compaction(&self) -> bool {
        self.lines >= COMPACT_AFTER_LINES
    }

    /// Replaces the journal by one snapshot of `ledger`.
    pub fn compact(&mut self, ledger: &Ledger) -> Result<(), String> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let tmp = dir.join("journal.jsonl.tmp");
        let snapshot = Event::Snapshot {
            ledger: Box::new(ledger.clone()),
        };
        let mut line =
            serde_json::to_string(&snapshot).map_err(|e| format!("cannot encode: {e}"))?;
        line.push('\n');
        let fail = |e: std::io::Error| format!("cannot compact {}: {e}", self.path.display());
        {
            let mut f = File::create(&tmp).map_err(fail)?;
            f.write_all(line.as_bytes()).map_err(fail)?;
            f.sync_all().map_err(fail)?;
        }
        std::fs::rename(&tmp, &self.path).map_err(fail)?;
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        self.file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(&self.path)
            .map_err(fail)?;
        self.lines = 1;
        Ok(())
    }
}

// The path is spelled out so the module resolves the same when the fuzz target
// `meter_journal` compiles this file through a `#[path]` of its own.
#[cfg(test)]
#[path = "journal/fuzz_regressions.rs"]
mod fuzz_regressions;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Identity;

    fn started(id: &str) -> Event {
        Event::Started {
            identity: Identity {
                instance_id: id.into(),
                product_code: "p".into(),
                region: "us-east-1".into(),
            },
        }
    }

    #[test]
    fn events_survive_reopening_and_a_torn_line_is_cut() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        {
            let (mut j, r) = Journal::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
            assert!(r.ledger.identity.is_none());
            j.append(&[started("i-1")])
                .unwrap_or_else(|e| panic!("{e}"));
        }
        // A crash in the middle of the next write.
        let mut f = OpenOptions::new()
            .append(true)
            .open(path_in(dir.path()))
            .unwrap_or_else(|e| panic!("{e}"));
        f.write_all(b"{\"e\":\"started\",\"ident")
            .unwrap_or_else(|e| panic!("{e}"));
        drop(f);
        let (mut j, r) = Journal::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            r.ledger.identity.map(|i| i.instance_id).as_deref(),
            Some("i-1")
        );
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        j.append(&[started("i-2")])
            .unwrap_or_else(|e| panic!("{e}"));
        drop(j);
        let r = read(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert_eq!(
            r.ledger.identity.map(|i| i.instance_id).as_deref(),
            Some("i-2")
        );
    }

    #[test]
    fn a_second_agent_is_refused_and_compaction_keeps_the_meaning() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (mut j, _) = Journal::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let err = Journal::open(dir.path()).err().unwrap_or_default();
        assert!(err.contains("another amipub-meter"), "{err}");
        j.append(&[started("i-1"), started("i-3")])
            .unwrap_or_else(|e| panic!("{e}"));
        let before = read(dir.path()).unwrap_or_else(|e| panic!("{e}")).ledger;
        j.compact(&before).unwrap_or_else(|e| panic!("{e}"));
        j.append(&[]).unwrap_or_else(|e| panic!("{e}"));
        let after = read(dir.path()).unwrap_or_else(|e| panic!("{e}")).ledger;
        assert_eq!(before, after);
        let text = std::fs::read_to_string(path_in(dir.path())).unwrap_or_default();
        assert_eq!(text.lines().count(), 1);
    }

    #[test]
    fn a_line_of_broken_bytes_does_not_hide_the_lines_after_it() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut text = serde_json::to_vec(&started("i-1")).unwrap_or_default();
        text.extend_from_slice(b"\n\xff\xfe garbage\n");
        text.extend_from_slice(&serde_json::to_vec(&started("i-7")).unwrap_or_default());
        text.push(b'\n');
        std::fs::write(path_in(dir.path()), &text).unwrap_or_else(|e| panic!("{e}"));
        let (_j, r) = Journal::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            r.ledger.identity.map(|i| i.instance_id).as_deref(),
            Some("i-7")
        );
        let bad = std::fs::read(dir.path().join("journal.bad")).unwrap_or_default();
        assert_eq!(bad, b"\xff\xfe garbage\n");
        let kept = read(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            kept.ledger.identity.map(|i| i.instance_id).as_deref(),
            Some("i-7")
        );
    }

    #[test]
    fn an_unreadable_line_is_kept_aside_not_lost() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            path_in(dir.path()),
            format!(
                "{}\nnot json\n{}\n",
                serde_json::to_string(&started("i-1")).unwrap_or_default(),
                serde_json::to_string(&started("i-9")).unwrap_or_default()
            ),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let (_j, r) = Journal::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            r.ledger.identity.map(|i| i.instance_id).as_deref(),
            Some("i-9")
        );
        assert!(r.warnings[0].contains("line 2"), "{:?}", r.warnings);
        let bad = std::fs::read_to_string(dir.path().join("journal.bad")).unwrap_or_default();
        assert_eq!(bad, "not json\n");
    }
}
