//! A stand-in web server for the documents amipub fetches (a stream's metadata, datagrepper's
//! pages): plain HTTP/1.1 on loopback, one connection at a time, each request answered by the
//! test's own function of its path and query. Stops when dropped.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A harness fails its test loudly by design.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// The answer to one request: status and JSON body.
pub type Answer = (u16, String);

/// What answers: the request's path with its query (`/streams/stable.json`, `/v2/search?…`).
pub type Pages = Arc<dyn Fn(&str) -> Answer + Send + Sync>;

/// A running server.
pub struct Web {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    stop: Arc<AtomicBool>,
    hits: Arc<AtomicUsize>,
}

impl Web {
    /// Serves `pages` until dropped.
    pub fn start(pages: Pages) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let hits = Arc::new(AtomicUsize::new(0));
        let (s, h) = (stop.clone(), hits.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        h.fetch_add(1, Ordering::Relaxed);
                        let _ = answer(conn, &pages);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Web { base, stop, hits }
    }

    /// How many requests came.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::Relaxed)
    }
}

impl Drop for Web {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn answer(conn: TcpStream, pages: &Pages) -> std::io::Result<()> {
    conn.set_nonblocking(false)?;
    conn.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    // The headers are read and ignored (GETs have no body).
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
    }
    let target = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let (status, body) = pages(&target);
    let mut conn = conn;
    write!(
        conn,
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )?;
    conn.flush()
}
