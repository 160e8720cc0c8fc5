//! The small language of the second-party tests: a sandbox with the `fedora` world and a stopped
//! clock, EC2 and Catalog calls over the wire with a chosen account's key, the admin routes of the
//! load-form queue, and load-form workbooks laid out as AWS's template is (row 1
//! REQUIRED/Optional, headers in row 2 with column A's and those past AB in row 3, data from row 4,
//! headers with line breaks and double spaces).

use std::io::{Read, Write};

use amipub_sandbox::worlds::FEDORA_PRODUCT_CODE;
use amipub_testkit::sandbox::Sandbox;
use rust_xlsxwriter::Workbook;
use serde_json::Value;

/// Fedora 41 Cloud Base x86_64 in us-east-1, public, owned by Fedora's build account.
pub const FEDORA_41_US_EAST_1: &str = "ami-06b2596588ff27750";
/// The template's sheet name, trailing space included.
pub const SHEET: &str = "New AMI Version ";
/// The template's per-Region clone columns after us-east-1, in order (G to AB).
pub const REGION_COLUMNS: [&str; 22] = [
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "us-gov-west-1",
    "us-gov-east-1",
    "ca-central-1",
    "eu-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-north-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-east-1",
    "sa-east-1",
    "cn-northwest-1",
    "cn-north-1",
    "me-south-1",
];

/// A sandbox whose clock moves only when told.
pub struct Aws {
    sb: Sandbox,
}

/// A seller's clone of an AMI in one Region.
#[derive(Debug, Clone)]
pub struct Clone {
    /// Its AMI id.
    pub ami: String,
    /// Its snapshot.
    pub snapshot: String,
    /// Its name.
    pub name: String,
    /// Its Region.
    pub region: String,
}

impl Aws {
    /// A fresh `fedora` world.
    pub fn start() -> Self {
        Self {
            sb: amipub_testkit::sandbox::start(0.0),
        }
    }

    /// One HTTP exchange; the status and body.
    pub fn http(&self, method: &str, path: &str, headers: &str, body: &[u8]) -> (u16, String) {
        let host = self.sb.endpoint.trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(host).unwrap();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n{headers}\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(body).unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        (status, body.to_owned())
    }

    /// One admin call; the status and JSON answer.
    pub fn admin(&self, method: &str, path: &str, body: &[u8]) -> (u16, Value) {
        let (status, body) = self.http(method, path, "", body);
        (status, serde_json::from_str(&body).unwrap())
    }

    /// One admin call that must answer 200.
    pub fn admin_ok(&self, method: &str, path: &str, body: &Value) -> Value {
        let (status, v) = self.admin(method, path, body.to_string().as_bytes());
        assert_eq!(status, 200, "{method} {path}: {v}");
        v
    }

    /// Moves virtual time.
    pub fn advance(&self, secs: f64) {
        self.admin_ok(
            "POST",
            "/_sandbox/time",
            &serde_json::json!({ "advance": secs }),
        );
    }

    /// One EC2 query call signed with `key` in `region`; the status and XML.
    pub fn ec2(
        &self,
        key: &str,
        region: &str,
        action: &str,
        params: &[(&str, &str)],
    ) -> (u16, String) {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("Action", action)
            .append_pair("Version", "2016-11-15");
        for (k, v) in params {
            form.append_pair(k, v);
        }
        let headers = format!(
            "Content-Type: application/x-www-form-urlencoded\r\n{}",
            auth(key, region, "ec2")
        );
        self.http("POST", "/", &headers, form.finish().as_bytes())
    }

    /// One EC2 call that must succeed; its XML.
    pub fn ec2_ok(&self, key: &str, region: &str, action: &str, params: &[(&str, &str)]) -> String {
        let (status, xml) = self.ec2(key, region, action, params);
        assert_eq!(status, 200, "{action} in {region}: {xml}");
        xml
    }

    /// Copies Fedora 41's us-east-1 AMI into `region` of the seller's account.
    pub fn clone_fedora(&self, key: &str, region: &str, name: &str) -> Clone {
        let xml = self.ec2_ok(
            key,
            region,
            "CopyImage",
            &[
                ("SourceImageId", FEDORA_41_US_EAST_1),
                ("SourceRegion", "us-east-1"),
                ("Name", name),
            ],
        );
        let ami = values(&xml, "imageId").remove(0);
        self.clone_of(key, region, &ami, name)
    }

    /// The clone `ami` with its snapshot.
    pub fn clone_of(&self, key: &str, region: &str, ami: &str, name: &str) -> Clone {
        let xml = self.ec2_ok(key, region, "DescribeImages", &[("ImageId.1", ami)]);
        Clone {
            ami: ami.to_owned(),
            snapshot: values(&xml, "snapshotId").remove(0),
            name: name.to_owned(),
            region: region.to_owned(),
        }
    }

    /// Grants launch permission on the clone to `image_to` and create-volume permission on its
    /// snapshot to `snapshot_to`.
    pub fn share(&self, key: &str, c: &Clone, image_to: &[&str], snapshot_to: &[&str]) {
        for (n, account) in image_to.iter().enumerate() {
            let name = format!("LaunchPermission.Add.{}.UserId", n + 1);
            self.ec2_ok(
                key,
                &c.region,
                "ModifyImageAttribute",
                &[("ImageId", &c.ami), (&name, account)],
            );
        }
        for (n, account) in snapshot_to.iter().enumerate() {
            let name = format!("CreateVolumePermission.Add.{}.UserId", n + 1);
            self.ec2_ok(
                key,
                &c.region,
                "ModifySnapshotAttribute",
                &[("SnapshotId", &c.snapshot), (&name, account)],
            );
        }
    }

    /// Submits a workbook; the ticket id.
    pub fn submit(&self, workbook: &[u8]) -> String {
        let (status, v) = self.admin(
            "POST",
            "/_sandbox/marketplace/forms?submitted_by=releng%40example.org",
            workbook,
        );
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["status"], "submitted", "{v}");
        v["ticket"].as_str().unwrap().to_owned()
    }

    /// Has the Marketplace team process a ticket now; the answer.
    pub fn process(&self, ticket: &str) -> Value {
        self.admin_ok(
            "POST",
            &format!("/_sandbox/marketplace/forms/{ticket}/process"),
            &Value::Null,
        )
    }

    /// A ticket as the admin API shows it.
    pub fn ticket(&self, ticket: &str) -> Value {
        let (status, v) = self.admin("GET", &format!("/_sandbox/marketplace/forms/{ticket}"), b"");
        assert_eq!(status, 200, "{v}");
        v
    }

    /// Images owned by `aws-marketplace` with the Fedora product's code and a name
    /// `<clone name>-*` in the clone's Region, as amipub looks for them.
    pub fn marketplace_copies(&self, key: &str, c: &Clone) -> Vec<String> {
        let pattern = format!("{}-*", c.name);
        let xml = self.ec2_ok(
            key,
            &c.region,
            "DescribeImages",
            &[
                ("Owner.1", "aws-marketplace"),
                ("Filter.1.Name", "product-code"),
                ("Filter.1.Value.1", FEDORA_PRODUCT_CODE),
                ("Filter.2.Name", "name"),
                ("Filter.2.Value.1", &pattern),
            ],
        );
        values(&xml, "imageId")
    }

    /// DescribeEntity's `DetailsDocument`, with the seller's key.
    pub fn entity(&self, key: &str, id: &str) -> Value {
        let path = format!("/DescribeEntity?catalog=AWSMarketplace&entityId={id}");
        let (status, body) = self.http(
            "GET",
            &path,
            &auth(key, "us-east-1", "aws-marketplace"),
            b"",
        );
        assert_eq!(status, 200, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        v["DetailsDocument"].clone()
    }
}

fn auth(key: &str, region: &str, service: &str) -> String {
    format!(
        "Authorization: AWS4-HMAC-SHA256 Credential={key}/20261121/{region}/{service}/aws4_request, SignedHeaders=host, Signature=00\r\n"
    )
}

/// The text of every `<tag>` element of an XML answer.
pub fn values(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    xml.split(&open)
        .skip(1)
        .filter_map(|rest| rest.split_once(&close).map(|(v, _)| v.to_owned()))
        .collect()
}

/// One data row of a form.
pub struct Row<'a> {
    /// Product ID or ASIN or URL.
    pub product: &'a str,
    /// New Version Title.
    pub version: &'a str,
    /// Release Notes.
    pub notes: &'a str,
    /// (Region, AMI) clone cells.
    pub clones: Vec<(&'a str, &'a str)>,
}

/// How a test workbook departs from the template.
#[derive(Default)]
pub struct Layout<'a> {
    /// Another sheet name.
    pub sheet: Option<&'a str>,
    /// A header left out.
    pub without: Option<&'a str>,
}

/// A load form with `rows`, laid out as AWS's template.
pub fn workbook(rows: &[Row<'_>]) -> Vec<u8> {
    workbook_with(&Layout::default(), rows)
}

/// A load form with `rows`, with the departures of `layout`.
pub fn workbook_with(layout: &Layout<'_>, rows: &[Row<'_>]) -> Vec<u8> {
    let mut book = Workbook::new();
    let other = book.add_worksheet();
    other.set_name("INSTRUCTIONS").unwrap();
    other
        .write_string(
            0,
            0,
            "Share your clones with 679593333241 and 684062674729.",
        )
        .unwrap();
    let sheet = book.add_worksheet();
    sheet.set_name(layout.sheet.unwrap_or(SHEET)).unwrap();
    // (column, header row, header text); header texts carry the template's line breaks and
    // double spaces.
    let mut headers: Vec<(u16, u32, String)> = vec![
        (0, 2, "Product ID or\nASIN or URL".into()),
        (1, 1, "Product\nTitle".into()),
        (2, 1, "New Version  Title".into()),
        (3, 1, "Release Notes".into()),
        (4, 1, "us-east-1\nCloned  AMI ID".into()),
        (5, 1, "Source AMI ID".into()),
    ];
    for (n, region) in REGION_COLUMNS.iter().enumerate() {
        headers.push((6 + n as u16, 1, format!("{region}\nCloned AMI  ID")));
    }
    headers.push((28, 2, "Security Group4".into()));
    headers.push((29, 2, "Security Group5".into()));
    for (col, row, text) in &headers {
        if layout
            .without
            .is_some_and(|w| text.split_whitespace().collect::<Vec<_>>().join(" ") == w)
        {
            continue;
        }
        let required = if *col <= 4 { "REQUIRED" } else { "Optional" };
        sheet.write_string(0, *col, required).unwrap();
        sheet.write_string(*row, *col, text).unwrap();
    }
    for (n, r) in rows.iter().enumerate() {
        let at = 3 + n as u32;
        let mut cells: Vec<(u16, &str)> = vec![
            (0, r.product),
            (1, "Fedora Cloud Base (x86_64)"),
            (2, r.version),
            (3, r.notes),
            (5, FEDORA_41_US_EAST_1),
        ];
        for (region, ami) in &r.clones {
            let col = if *region == "us-east-1" {
                4
            } else {
                6 + REGION_COLUMNS.iter().position(|x| x == region).unwrap() as u16
            };
            cells.push((col, ami));
        }
        for (col, text) in cells.into_iter().filter(|(_, t)| !t.is_empty()) {
            sheet.write_string(at, col, text).unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}
