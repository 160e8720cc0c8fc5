//! Child processes of a test. [`spawn`] is the only way the kit starts a program, and the
//! [`Child`] it returns is the only owner of the process: dropping it (at the end of a test, or
//! while a failed assertion unwinds) kills the process with SIGKILL and reaps it, so no binary
//! outlives its test. Piped output is drained by threads of the guard's own, so a child never
//! blocks on a full pipe and a test can watch what it says while it runs.

use std::io::{BufRead, BufReader, Read};
use std::process::{ChildStdin, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often a wait looks again.
const POLL: Duration = Duration::from_millis(20);
/// How long the output of an exited process may take to reach its end.
const DRAIN: Duration = Duration::from_secs(2);

/// What a child wrote on one output stream so far: whole lines as they come, and the last one
/// once the stream ends. Empty when the stream was not piped.
#[derive(Debug, Clone, Default)]
pub struct Captured(Arc<Mutex<String>>);

impl Captured {
    /// Everything written so far.
    pub fn text(&self) -> String {
        self.lock().clone()
    }

    /// Whether what was written so far contains `needle`.
    pub fn contains(&self, needle: &str) -> bool {
        self.lock().contains(needle)
    }

    /// The lines written so far that contain `needle`.
    pub fn count_lines(&self, needle: &str) -> usize {
        self.lock().lines().filter(|l| l.contains(needle)).count()
    }

    fn lock(&self) -> MutexGuard<'_, String> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads `stream` to its end in a thread, a line at a time.
    fn fill(&self, stream: impl Read + Send + 'static) -> JoinHandle<()> {
        let sink = self.clone();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stream);
            let mut line = Vec::new();
            loop {
                line.clear();
                match reader.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => sink.lock().push_str(&String::from_utf8_lossy(&line)),
                }
            }
        })
    }
}

/// A running child process, killed and reaped when dropped.
#[derive(Debug)]
pub struct Child {
    process: std::process::Child,
    stdout: Captured,
    stderr: Captured,
    readers: Vec<JoinHandle<()>>,
}

/// Starts `command`; its piped stdout and stderr are captured (see [`Child::stdout`]).
pub fn spawn(command: &mut Command) -> std::io::Result<Child> {
    let mut process = command.spawn()?;
    let (stdout, stderr) = (Captured::default(), Captured::default());
    let mut readers = Vec::new();
    if let Some(s) = process.stdout.take() {
        readers.push(stdout.fill(s));
    }
    if let Some(s) = process.stderr.take() {
        readers.push(stderr.fill(s));
    }
    Ok(Child {
        process,
        stdout,
        stderr,
        readers,
    })
}

/// Runs `command` to its end (killed after `limit`) with no input and its output captured.
pub fn run(command: &mut Command, limit: Duration) -> std::io::Result<Output> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    Ok(spawn(command)?.output(limit))
}

impl Child {
    /// The process id.
    pub fn id(&self) -> u32 {
        self.process.id()
    }

    /// What it wrote on stdout so far.
    pub fn stdout(&self) -> &Captured {
        &self.stdout
    }

    /// What it wrote on stderr so far.
    pub fn stderr(&self) -> &Captured {
        &self.stderr
    }

    /// Its stdin, when piped (once).
    pub fn take_stdin(&mut self) -> Option<ChildStdin> {
        self.process.stdin.take()
    }

    /// Its exit status if it has exited.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        self.process.try_wait().ok().flatten()
    }

    /// Waits for it to exit, however long that takes.
    pub fn wait(&mut self) -> std::io::Result<ExitStatus> {
        self.process.wait()
    }

    /// SIGKILL (no destructors, no flush, no goodbye), then reaps it.
    pub fn kill(&mut self) -> std::io::Result<()> {
        self.process.kill()?;
        self.process.wait().map(drop)
    }

    /// SIGTERM, then waits at most `limit` for it to exit; if it does not, kills it and
    /// returns `None`.
    pub fn terminate(&mut self, limit: Duration) -> Option<ExitStatus> {
        if let Some(status) = self.try_wait() {
            return Some(status);
        }
        let pid = self.id().to_string();
        let _ = run(
            Command::new("kill").args(["-TERM", &pid]),
            Duration::from_secs(10),
        );
        let status = self.wait_until(Instant::now() + limit);
        if status.is_none() {
            let _ = self.kill();
        }
        status
    }

    /// Waits at most `limit` until its stderr contains `needle`; false if it exits or the time
    /// passes first.
    pub fn wait_for_stderr(&mut self, needle: &str, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            if self.stderr.contains(needle) {
                return true;
            }
            if self.try_wait().is_some() {
                self.join_readers();
                return self.stderr.contains(needle);
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(POLL);
        }
    }

    /// Waits until it exits (killed after `limit`); its status and everything it wrote.
    pub fn output(mut self, limit: Duration) -> Output {
        let status = match self.wait_until(Instant::now() + limit) {
            Some(status) => status,
            None => {
                let _ = self.process.kill();
                // A failed reap cannot leave a status to report: the kit fails the test.
                match self.process.wait() {
                    Ok(status) => status,
                    Err(e) => panic!("cannot reap process {}: {e}", self.id()),
                }
            }
        };
        self.join_readers();
        Output {
            status,
            stdout: self.stdout.text().into_bytes(),
            stderr: self.stderr.text().into_bytes(),
        }
    }

    /// Waits until it exits (killed after `limit`): (exit code, stdout, stderr), the code -9
    /// when it was killed at the limit and -1 when a signal ended it otherwise.
    pub fn finish(mut self, limit: Duration) -> (i32, String, String) {
        let exited = self.wait_until(Instant::now() + limit);
        let output = self.output(Duration::ZERO);
        let code = match exited {
            Some(status) => status.code().unwrap_or(-1),
            None => -9,
        };
        (
            code,
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    /// Once it has exited, waits until the reader threads have read its streams to their end,
    /// but no longer than [`DRAIN`]: a process it started may still hold them open, and what
    /// was read is kept either way.
    pub(crate) fn join_readers(&mut self) {
        let deadline = Instant::now() + DRAIN;
        while self.readers.iter().any(|r| !r.is_finished()) && Instant::now() < deadline {
            std::thread::sleep(POLL);
        }
        for reader in self.readers.drain(..) {
            if reader.is_finished() {
                let _ = reader.join();
            }
        }
    }

    fn wait_until(&mut self, deadline: Instant) -> Option<ExitStatus> {
        loop {
            if let Some(status) = self.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        // Already reaped: the standard library does not signal a pid that may have been reused.
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut c = Command::new("sh");
        c.args(["-c", script])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    #[test]
    fn finish_collects_both_streams_and_the_exit_code() {
        let child = spawn(&mut sh("echo out; echo err >&2; exit 3")).unwrap();
        let (code, out, err) = child.finish(Duration::from_secs(10));
        assert_eq!((code, out.as_str(), err.as_str()), (3, "out\n", "err\n"));
    }

    #[test]
    fn a_child_past_its_limit_is_killed() {
        let started = Instant::now();
        let child = spawn(&mut sh("exec sleep 30")).unwrap();
        let (code, _, _) = child.finish(Duration::from_millis(200));
        assert_eq!(code, -9);
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn dropping_the_guard_kills_and_reaps_the_process() {
        let child = spawn(&mut sh("exec sleep 30")).unwrap();
        let pid = child.id();
        drop(child);
        // Reaped: no process (not even a zombie) has the pid any more.
        assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    }

    #[test]
    fn a_panicking_test_leaves_no_process_behind() {
        let pid = Arc::new(Mutex::new(0));
        let seen = pid.clone();
        let failed = std::thread::spawn(move || {
            let child = spawn(&mut sh("exec sleep 30")).unwrap();
            *seen.lock().unwrap() = child.id();
            panic!("a failed assertion");
        })
        .join();
        assert!(failed.is_err());
        let pid = *pid.lock().unwrap();
        assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    }

    #[test]
    fn stderr_is_watched_while_the_child_runs_and_terminate_stops_it() {
        let mut child = spawn(&mut sh("echo 'halted at x' >&2; exec sleep 30")).unwrap();
        assert!(child.wait_for_stderr("halted at", Duration::from_secs(10)));
        assert!(!child.wait_for_stderr("never said", Duration::from_millis(100)));
        let status = child.terminate(Duration::from_secs(10)).unwrap();
        assert!(!status.success());
    }

    #[test]
    fn run_gives_the_output_of_a_finished_command() {
        let out = run(Command::new("echo").arg("hello"), Duration::from_secs(10)).unwrap();
        assert!(out.status.success());
        assert_eq!(out.stdout, b"hello\n");
    }
}
