//! Benchmark (prints, asserts nothing): DescribeImages requests per second against a sandbox
//! holding 100,000 images, with 2 concurrent clients on loopback, and the memory the images take.
//!
//! Run: `cargo bench -p amipub-sandbox --bench describe_images`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A benchmark fails loudly by design.

use std::time::{Duration, Instant};

use amipub_sandbox::server::lock;
use amipub_sandbox::{SandboxConfig, start};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const IMAGES: usize = 100_000;
const SECONDS_PER_CASE: u64 = 5;
const CLIENTS: usize = 2;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

async fn call(addr: std::net::SocketAddr, body: &str) -> u16 {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIASANDBOXSELLER001/20261121/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    String::from_utf8_lossy(&out[..out.len().min(16)])
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

async fn measure(addr: std::net::SocketAddr, label: &str, body: String) {
    let deadline = Instant::now() + Duration::from_secs(SECONDS_PER_CASE);
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < deadline {
                assert_eq!(call(addr, &body).await, 200);
                n += 1;
            }
            n
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    println!(
        "{label:<58} {:>9.0} requests/s",
        total as f64 / SECONDS_PER_CASE as f64
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let before = rss_kib();
    let sandbox = start(
        SandboxConfig::default(),
        "fedora",
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let seeded_at = Instant::now();
    let sample = {
        let mut w = lock(&sandbox.world);
        let template = w
            .ec2
            .images
            .values()
            .find(|i| i.region == "us-east-1")
            .cloned()
            .unwrap();
        let mut last = String::new();
        for n in 0..IMAGES {
            let mut img = template.clone();
            img.id = w.ids.resource("ami");
            img.name = format!("bench-image-{n:06}");
            img.owner = "111122223333".into();
            img.public = false;
            last = img.id.clone();
            w.ec2.images.insert(img.id.clone(), img);
        }
        last
    };
    let after = rss_kib();
    println!(
        "seeded {IMAGES} images in {:.1} s",
        seeded_at.elapsed().as_secs_f64()
    );
    println!(
        "memory: {:.1} MiB for {IMAGES} images ({:.2} KiB per image); process RSS {:.1} MiB",
        (after - before) as f64 / 1024.0,
        (after - before) as f64 / IMAGES as f64,
        after as f64 / 1024.0
    );
    let addr = sandbox.addr;
    println!(
        "{CLIENTS} concurrent clients, {SECONDS_PER_CASE} s per case, new connection per request:"
    );
    measure(
        addr,
        "DescribeImages ImageId.1 (direct lookup)",
        format!("Action=DescribeImages&ImageId.1={sample}"),
    )
    .await;
    measure(
        addr,
        "DescribeImages Owner=self, name filter (scans 100k)",
        "Action=DescribeImages&Owner.1=self&Filter.1.Name=name&Filter.1.Value.1=bench-image-00000*"
            .into(),
    )
    .await;
    measure(
        addr,
        "DescribeImages Owner=125523088429 (public Fedora images)",
        "Action=DescribeImages&Owner.1=125523088429".into(),
    )
    .await;
    sandbox.stop().await;
}
