//! Bad input: more than 1,000 malformed requests of many kinds (bad bodies, missing fields, wrong
//! types, unknown actions, bad or missing signatures, oversized bodies, odd paths) each get an
//! AWS-shaped 4xx error, and the server keeps serving valid requests afterwards.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::net::SocketAddr;

use amipub_sandbox::SandboxConfig;
use amipub_sandbox::idgen::IdGen;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const KEY: &str = "AKIASANDBOXSELLER001";

fn auth(service: &str, region: &str) -> String {
    format!(
        "Authorization: AWS4-HMAC-SHA256 Credential={KEY}/20261121/{region}/{service}/aws4_request, SignedHeaders=host, Signature=00\r\n"
    )
}

async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &str,
    body: &[u8],
) -> (u16, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// One malformed request: (label, method, path, headers, body).
fn case(n: usize, rng: &mut IdGen) -> (String, &'static str, String, String, Vec<u8>) {
    let form = "Content-Type: application/x-www-form-urlencoded\r\n";
    let services = [
        ("ec2", "us-east-1"),
        ("iam", "us-east-1"),
        ("sts", "us-east-1"),
        ("ec2", "eu-west-1"),
    ];
    let (svc, region) = services[n % services.len()];
    let signed = format!("{form}{}", auth(svc, region));
    let random_bytes: Vec<u8> = (0..(rng.next_u64() % 200) as usize)
        .map(|_| rng.next_u64() as u8)
        .collect();
    match n % 14 {
        0 => (
            "random body".into(),
            "POST",
            "/".into(),
            signed,
            random_bytes,
        ),
        1 => (
            "no action".into(),
            "POST",
            "/".into(),
            signed,
            b"Version=2016-11-15&ImageId.1=ami-12345678".to_vec(),
        ),
        2 => (
            "unknown action".into(),
            "POST",
            "/".into(),
            signed,
            format!("Action=Launch{}", rng.alnum(6)).into_bytes(),
        ),
        3 => (
            "missing params".into(),
            "POST",
            "/".into(),
            format!("{form}{}", auth("ec2", "us-east-1")),
            b"Action=CopyImage&Name=abc".to_vec(),
        ),
        4 => (
            "wrong type".into(),
            "POST",
            "/".into(),
            format!("{form}{}", auth("ec2", "us-east-1")),
            format!("Action=DescribeImages&MaxResults={}", rng.alnum(4)).into_bytes(),
        ),
        5 => (
            "bad ids".into(),
            "POST",
            "/".into(),
            format!("{form}{}", auth("ec2", "us-east-1")),
            format!("Action=DescribeImages&ImageId.1=ami-{}", rng.alnum(5)).into_bytes(),
        ),
        6 => (
            "json garbage".into(),
            "POST",
            "/".into(),
            format!(
                "Content-Type: application/x-amz-json-1.1\r\nX-Amz-Target: AmazonSSM.GetParameter\r\n{}",
                auth("ssm", "us-east-1")
            ),
            random_bytes,
        ),
        7 => (
            "no signature".into(),
            "POST",
            "/".into(),
            form.to_owned(),
            b"Action=DescribeImages".to_vec(),
        ),
        8 => (
            "garbage signature".into(),
            "POST",
            "/".into(),
            format!("{form}Authorization: {}\r\n", rng.alnum(30)),
            b"Action=DescribeImages".to_vec(),
        ),
        9 => (
            "odd path".into(),
            if n.is_multiple_of(2) { "GET" } else { "DELETE" },
            format!("/{}/{}", rng.alnum(5), rng.alnum(3)),
            signed,
            Vec::new(),
        ),
        10 => (
            "invalid utf-8 form".into(),
            "POST",
            "/".into(),
            format!("{form}{}", auth("iam", "us-east-1")),
            [b"Action=GetRole&RoleName=".as_slice(), &[0xff, 0xfe, 0x80]].concat(),
        ),
        11 => (
            "bad role name".into(),
            "POST",
            "/".into(),
            format!("{form}{}", auth("iam", "us-east-1")),
            format!(
                "Action=CreateRole&RoleName={}%20x&AssumeRolePolicyDocument=%7Bbad",
                rng.alnum(3)
            )
            .into_bytes(),
        ),
        12 => (
            "bad copy".into(),
            "POST",
            "/".into(),
            format!("{form}{}", auth("ec2", "us-east-1")),
            format!(
                "Action=CopyImage&SourceImageId=ami-{}&SourceRegion=xx-nowhere-{}&Name=abc",
                rng.hex(17),
                rng.alnum(2)
            )
            .into_bytes(),
        ),
        _ => (
            "unknown region".into(),
            "POST",
            "/".into(),
            format!("{form}{}", auth("ec2", "mars-north-1")),
            b"Action=DescribeImages".to_vec(),
        ),
    }
}

fn aws_shaped(body: &str) -> bool {
    let xml = (body.contains("<Response><Errors><Error><Code>") || body.contains("<ErrorResponse"))
        && body.contains("<Message>");
    let json = serde_json::from_str::<serde_json::Value>(body)
        .is_ok_and(|v| v["__type"].is_string() && v["message"].is_string());
    xml || json
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_aws_shaped_4xx_and_the_server_keeps_serving() {
    let sandbox = amipub_testkit::sandbox::start_with(SandboxConfig::default());
    let addr: SocketAddr = sandbox
        .endpoint
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let mut rng = IdGen::new(42);
    let mut failures = Vec::new();
    let total = 1_050;
    for n in 0..total {
        let (label, method, path, headers, body) = case(n, &mut rng);
        let (status, text) = send(addr, method, &path, &headers, &body).await;
        if !(400..500).contains(&status) || !aws_shaped(&text) {
            failures.push(format!(
                "#{n} {label}: {status} {}",
                text.chars().take(200).collect::<String>()
            ));
        }
    }
    // Oversized bodies, for each protocol family.
    for headers in [
        format!(
            "Content-Type: application/x-www-form-urlencoded\r\n{}",
            auth("ec2", "us-east-1")
        ),
        format!(
            "X-Amz-Target: AmazonSSM.PutParameter\r\n{}",
            auth("ssm", "us-east-1")
        ),
    ] {
        let (status, text) = send(addr, "POST", "/", &headers, &vec![b'a'; 3 * 1024 * 1024]).await;
        if status != 413 || !aws_shaped(&text) {
            failures.push(format!(
                "oversized: {status} {}",
                text.chars().take(200).collect::<String>()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} malformed requests were not answered with an AWS-shaped 4xx:\n{}",
        failures.len(),
        failures.join("\n")
    );

    let ok = format!(
        "Content-Type: application/x-www-form-urlencoded\r\n{}",
        auth("sts", "us-east-1")
    );
    let (status, text) = send(
        addr,
        "POST",
        "/",
        &ok,
        b"Action=GetCallerIdentity&Version=2011-06-15",
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("<Account>111122223333</Account>"));
}
