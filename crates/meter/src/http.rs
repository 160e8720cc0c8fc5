//! A minimal HTTP/1.1 client for plain `http://` on the instance itself: the instance metadata
//! service and local usage endpoints. One request per connection (`Connection: close`), bodies
//! by length, chunks or end of stream, a size cap and a timeout. No TLS on purpose: the AWS API
//! goes through the SDK.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Largest body accepted.
pub const MAX_BODY: usize = 4 << 20;

/// A response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Splits `http://host:port/path` into (`host:port`, `/path`).
pub fn split_url(url: &str) -> Result<(String, String), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{url:?} is not an http:// URL"))?;
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if host.is_empty() {
        return Err(format!("{url:?} has no host"));
    }
    let host = if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:80")
    };
    Ok((host, path.to_owned()))
}

/// Sends one request and reads the whole response within `timeout`.
pub async fn request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    timeout: Duration,
) -> Result<Response, String> {
    let (host, path) = split_url(url)?;
    let fut = async {
        let mut s = TcpStream::connect(&host)
            .await
            .map_err(|e| format!("cannot connect to {host}: {e}"))?;
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: 0\r\nUser-Agent: amipub-meter\r\n"
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes())
            .await
            .map_err(|e| format!("cannot send to {host}: {e}"))?;
        let mut raw = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            let n = s
                .read(&mut chunk)
                .await
                .map_err(|e| format!("cannot read from {host}: {e}"))?;
            if n == 0 {
                break;
            }
            raw.extend_from_slice(&chunk[..n]);
            if raw.len() > MAX_BODY + 16 * 1024 {
                return Err(format!("{url}: the answer is larger than {MAX_BODY} bytes"));
            }
        }
        parse(&raw).map_err(|e| format!("{url}: {e}"))
    };
    tokio::time::timeout(timeout, fut)
        .await
        .map_err(|_| format!("{url}: no answer within {} s", timeout.as_secs_f64()))?
}

/// Parses a whole HTTP/1.1 response.
pub fn parse(raw: &[u8]) -> Result<Response, String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("the answer has no end of headers")?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse::<u16>().ok())
        .ok_or("the answer has no status line")?;
    let mut chunked = false;
    let mut length = None;
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
            if k == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked") {
                chunked = true;
            } else if k == "content-length" {
                length = v.parse::<usize>().ok();
            }
        }
    }
    let rest = &raw[end + 4..];
    let body = if chunked {
        dechunk(rest)?
    } else if let Some(n) = length {
        rest.get(..n)
            .ok_or("the answer is shorter than its Content-Length")?
            .to_vec()
    } else {
        rest.to_vec()
    };
    Ok(Response { status, body })
}

fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let eol = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("a chunk size line is missing")?;
        let size_text = String::from_utf8_lossy(&rest[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| format!("bad chunk size {size_text:?}"))?;
        rest = &rest[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        let data = rest.get(..size).ok_or("a chunk is cut short")?;
        out.extend_from_slice(data);
        rest = rest.get(size + 2..).unwrap_or(&[]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_host_and_path() {
        assert_eq!(
            split_url("http://169.254.169.254").ok(),
            Some(("169.254.169.254:80".into(), "/".into()))
        );
        assert_eq!(
            split_url("http://127.0.0.1:9/_imds/i-1/latest").ok(),
            Some(("127.0.0.1:9".into(), "/_imds/i-1/latest".into()))
        );
        assert!(split_url("https://x").is_err());
    }

    #[test]
    fn bodies_by_length_chunks_or_end_of_stream() {
        let r = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef").ok();
        assert_eq!(r.map(|r| (r.status, r.body)), Some((200, b"abc".to_vec())));
        let r = parse(b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n").ok();
        assert_eq!(
            r.map(|r| (r.status, r.body)),
            Some((404, b"abcde".to_vec()))
        );
        let r = parse(b"HTTP/1.0 200 OK\r\n\r\nall of it").ok();
        assert_eq!(r.map(|r| r.body), Some(b"all of it".to_vec()));
        assert!(parse(b"garbage").is_err());
    }
}
