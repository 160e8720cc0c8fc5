//! Reading one number from a series' source: a command's output, a file, a JSON field over HTTP,
//! or a Prometheus metric. The parsers are pure; reading is bounded by the source's timeout.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::config::{Series, SourceKind};

/// Reads the current raw value of `series`.
pub async fn read(series: &Series) -> Result<f64, String> {
    let timeout = Duration::from_secs(series.timeout_seconds.max(1));
    match &series.source {
        SourceKind::Command(cmd) => {
            let child = tokio::process::Command::new("sh")
                .arg("-c")
                .arg(cmd)
                .stdin(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .kill_on_drop(true)
                .output();
            let out = tokio::time::timeout(timeout, child)
                .await
                .map_err(|_| {
                    format!(
                        "command {cmd:?} did not finish within {} s",
                        timeout.as_secs()
                    )
                })?
                .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
            if !out.status.success() {
                return Err(format!("command {cmd:?} failed ({})", out.status));
            }
            number(&String::from_utf8_lossy(&out.stdout))
                .map_err(|e| format!("command {cmd:?}: {e}"))
        }
        SourceKind::File(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            number(&text).map_err(|e| format!("{}: {e}", path.display()))
        }
        SourceKind::Http { url, pointer } => {
            let r = get(url, timeout).await?;
            json_number(&r, pointer).map_err(|e| format!("{url}: {e}"))
        }
        SourceKind::Prometheus {
            url,
            metric,
            labels,
        } => {
            let r = get(url, timeout).await?;
            prometheus_sum(&r, metric, labels).map_err(|e| format!("{url}: {e}"))
        }
    }
}

async fn get(url: &str, timeout: Duration) -> Result<String, String> {
    let r = crate::http::request("GET", url, &[], timeout).await?;
    if r.status != 200 {
        return Err(format!("{url} answered HTTP {}", r.status));
    }
    Ok(r.text())
}

fn usable(v: f64) -> Result<f64, String> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(format!(
            "{v} is not a usage value (must be a finite number ≥ 0)"
        ))
    }
}

/// The first word of `text` as a number.
pub fn number(text: &str) -> Result<f64, String> {
    let word = text
        .split_whitespace()
        .next()
        .ok_or("the output is empty")?;
    let v = word
        .parse::<f64>()
        .map_err(|_| format!("{word:?} is not a number"))?;
    usable(v)
}

/// The number at `pointer` (a JSON pointer; empty: the whole document) of a JSON text; a
/// numeric string counts.
pub fn json_number(text: &str, pointer: &str) -> Result<f64, String> {
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("the answer is not JSON: {e}"))?;
    let v = doc
        .pointer(pointer)
        .ok_or_else(|| format!("nothing at JSON pointer {pointer:?}"))?;
    match v {
        serde_json::Value::Number(n) => usable(n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::String(s) => number(s),
        other => Err(format!("{pointer:?} holds {other}, not a number")),
    }
}

/// The sum of every sample of `metric` whose labels include `labels`, in Prometheus text format.
pub fn prometheus_sum(
    text: &str,
    metric: &str,
    labels: &BTreeMap<String, String>,
) -> Result<f64, String> {
    let mut sum = 0.0;
    let mut found = 0;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, got, rest) = match line.find('{') {
            Some(i) => {
                let close = line[i..]
                    .find('}')
                    .map(|j| i + j)
                    .ok_or_else(|| format!("unclosed labels in {line:?}"))?;
                (
                    &line[..i],
                    parse_labels(&line[i + 1..close]),
                    &line[close + 1..],
                )
            }
            None => match line.split_once(char::is_whitespace) {
                Some((n, r)) => (n, BTreeMap::new(), r),
                None => continue,
            },
        };
        if name.trim() != metric || !labels.iter().all(|(k, v)| got.get(k) == Some(v)) {
            continue;
        }
        let value = rest
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<f64>().ok())
            .ok_or_else(|| format!("no value in {line:?}"))?;
        sum += value;
        found += 1;
    }
    if found == 0 {
        return Err(format!("no series {metric} with labels {labels:?}"));
    }
    usable(sum)
}

fn parse_labels(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = text;
    while let Some(eq) = rest.find('=') {
        let key = rest[..eq].trim().trim_start_matches(',').trim().to_owned();
        let after = rest[eq + 1..].trim_start();
        let Some(body) = after.strip_prefix('"') else {
            break;
        };
        let mut value = String::new();
        let mut escaped = false;
        let mut end = body.len();
        for (i, c) in body.char_indices() {
            match (escaped, c) {
                (true, 'n') => {
                    value.push('\n');
                    escaped = false;
                }
                (true, c) => {
                    value.push(c);
                    escaped = false;
                }
                (false, '\\') => escaped = true,
                (false, '"') => {
                    end = i;
                    break;
                }
                (false, c) => value.push(c),
            }
        }
        out.insert(key, value);
        rest = body.get(end + 1..).unwrap_or("");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Aggregate, Kind};

    /// Serves `answer` to every connection on a free local port; returns its base URL.
    async fn serve(answer: &'static str) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(answer.as_bytes()).await;
            }
        });
        format!("http://{addr}")
    }

    fn series(source: SourceKind) -> Series {
        Series {
            id: "x".into(),
            dimension: "x".into(),
            tags: BTreeMap::new(),
            kind: Kind::Gauge,
            aggregate: Aggregate::Max,
            scale: 1.0,
            source,
            timeout_seconds: 2,
        }
    }

    #[tokio::test]
    async fn every_kind_of_source_is_read_over_its_own_channel() {
        let prom = serve("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1a\r\nreqs_total{code=\"200\"} 40\n\r\n19\r\nreqs_total{code=\"500\"} 2\n\r\n0\r\n\r\n").await;
        let p = series(SourceKind::Prometheus {
            url: format!("{prom}/metrics"),
            metric: "reqs_total".into(),
            labels: BTreeMap::new(),
        });
        assert_eq!(read(&p).await, Ok(42.0));
        let json =
            serve("HTTP/1.1 200 OK\r\nContent-Length: 18\r\n\r\n{\"stats\":{\"n\":17}}").await;
        let j = series(SourceKind::Http {
            url: format!("{json}/status"),
            pointer: "/stats/n".into(),
        });
        assert_eq!(read(&j).await, Ok(17.0));
        let down = serve("HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n").await;
        let d = series(SourceKind::Http {
            url: down,
            pointer: String::new(),
        });
        assert!(read(&d).await.is_err_and(|e| e.contains("HTTP 503")));
        let c = series(SourceKind::Command("echo 6; echo ignored".into()));
        assert_eq!(read(&c).await, Ok(6.0));
        let failing = series(SourceKind::Command("exit 3".into()));
        assert!(read(&failing).await.is_err_and(|e| e.contains("failed")));
        let slow = Series {
            timeout_seconds: 1,
            ..series(SourceKind::Command("sleep 5".into()))
        };
        assert!(
            read(&slow)
                .await
                .is_err_and(|e| e.contains("did not finish"))
        );
    }

    #[test]
    fn numbers_from_text_json_and_prometheus() {
        assert_eq!(number(" 42\n").ok(), Some(42.0));
        assert_eq!(number("3.5 users").ok(), Some(3.5));
        assert!(number("").is_err());
        assert!(number("-1").is_err());
        assert!(number("lots").is_err());
        assert_eq!(
            json_number(r#"{"stats":{"users":7}}"#, "/stats/users").ok(),
            Some(7.0)
        );
        assert_eq!(json_number(r#"{"v":"12"}"#, "/v").ok(), Some(12.0));
        assert_eq!(json_number("9", "").ok(), Some(9.0));
        assert!(json_number(r#"{"v":true}"#, "/v").is_err());
        assert!(json_number(r#"{"v":1}"#, "/w").is_err());
        let text = "# HELP x\n# TYPE bytes_total counter\nbytes_total{dir=\"in\",host=\"a\"} 10\nbytes_total{dir=\"out\",host=\"a\"} 5 1700000000\nbytes_total_other 99\nbytes_total{dir=\"in\",host=\"b\\\"q\"} 1e2\n";
        assert_eq!(
            prometheus_sum(text, "bytes_total", &BTreeMap::new()).ok(),
            Some(115.0)
        );
        let only_in = [("dir".to_owned(), "in".to_owned())].into();
        assert_eq!(
            prometheus_sum(text, "bytes_total", &only_in).ok(),
            Some(110.0)
        );
        let quoted = [("host".to_owned(), "b\"q".to_owned())].into();
        assert_eq!(
            prometheus_sum(text, "bytes_total", &quoted).ok(),
            Some(100.0)
        );
        assert!(prometheus_sum(text, "missing", &BTreeMap::new()).is_err());
        assert_eq!(
            prometheus_sum("up 1\n", "up", &BTreeMap::new()).ok(),
            Some(1.0)
        );
    }
}
