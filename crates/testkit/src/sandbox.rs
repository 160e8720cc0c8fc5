//! The AWS sandbox of a test: the `fedora` world served on a free loopback port from a thread
//! (and runtime) of its own, so both blocking and async tests can use it, inspected and set up
//! in process through its world, and stopped when its handle is dropped.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A harness fails its test loudly by design.

use std::io::{Read, Write};

use amipub_sandbox::server::Shared;
use amipub_sandbox::{Background, SandboxConfig};

/// A running sandbox; it stops when dropped.
pub struct Sandbox {
    /// The world, for in-process inspection and setup (`amipub_sandbox::server::lock`).
    pub world: Shared,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    _server: Background,
}

/// A sandbox with the `fedora` world whose clock runs `time_scale` times faster than real time
/// (0 stops it: only `clock.advance` moves it).
pub fn start(time_scale: f64) -> Sandbox {
    start_with(SandboxConfig {
        time_scale,
        ..SandboxConfig::default()
    })
}

/// A sandbox with the `fedora` world and `config`.
pub fn start_with(config: SandboxConfig) -> Sandbox {
    let server = Background::start(config, "fedora").expect("the sandbox starts");
    Sandbox {
        world: server.world.clone(),
        endpoint: server.endpoint.clone(),
        _server: server,
    }
}

impl Sandbox {
    /// Stops it now (dropping it does the same).
    pub fn stop(self) {}

    /// One call of the admin API (`/_sandbox/…`) over plain HTTP; its JSON answer, which must
    /// be a 200.
    pub fn admin(&self, method: &str, path: &str, body: &serde_json::Value) -> serde_json::Value {
        let host = self.endpoint.trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(host).unwrap();
        let body = body.to_string();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut raw = String::new();
        s.read_to_string(&mut raw).unwrap();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 200"), "{head}\n{body}");
        serde_json::from_str(body).unwrap()
    }
}
