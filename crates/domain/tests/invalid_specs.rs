//! The invalid-spec corpus: one case per validation rule. Each case edits the frozen valid base
//! (`corpus/base.toml`) in one place and marks the line where the problem must be reported with a
//! trailing `#<<` comment; the test checks the rule, the field path and that line.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use amipub_domain::validate::{Problem, validate_text};

const BASE: &str = include_str!("corpus/base.toml");

/// (rule, edits as (text to find in the base, replacement), expected field path)
type Case = (&'static str, Vec<(&'static str, String)>, &'static str);

fn case(rule: &'static str, find: &'static str, replace: &str, path: &'static str) -> Case {
    (rule, vec![(find, replace.to_owned())], path)
}

fn cases() -> Vec<Case> {
    let many = |n: usize, f: &dyn Fn(usize) -> String| (0..n).map(f).collect::<Vec<_>>().join(", ");
    let paid = |extra: &str| {
        format!(
            "[pricing]\nmodel = \"paid\"\n\n[pricing.hourly]\n\"t3.micro\" = \"0.01\"\n\"t3.small\" = \"0.02\"\n\"t3.medium\" = \"0.04\"\n\"m5.large\" = \"0.09\"\n{extra}"
        )
    };
    // A dimension table; `mark` names the line that carries the marker ("header", "key", ...).
    let dim = |key: &str, category: &str, unit: &str, mark: &str| {
        let m = |f: &str| if f == mark { " #<<" } else { "" };
        format!(
            "\n[[pricing.dimensions]]{}\nkey = \"{key}\"{}\nname = \"Users\"\ndescription = \"Active users\"\ncategory = \"{category}\"{}\nunit = \"{unit}\"{}\nprice = \"0.01\"\n",
            m("header"),
            m("key"),
            m("category"),
            m("unit")
        )
    };
    vec![
        // TOML and schema
        case("toml.syntax", "title = \"NGINX Web Server on Amazon Linux\"", "title = \"NGINX Web Server #<<", ""),
        case("toml.unknown-field", "[listing]\n", "[listing]\ncolour = \"blue\" #<<\n", "listing.colour"),
        case("toml.missing-field", "[instance_types]\navailable = [\"t3.micro\", \"t3.small\", \"t3.medium\", \"m5.large\"]\nrecommended = \"t3.micro\"", "[instance_types] #<<\navailable = [\"t3.micro\"]", "instance_types.recommended"),
        case("toml.wrong-type", "scanning_port = 22", "scanning_port = \"22\" #<<", "delivery.scanning_port"),
        // [product]
        case("product.slug.format", "slug = \"nginx-free\"", "slug = \"NGINX Free\" #<<", "product.slug"),
        case("product.id.format", "slug = \"nginx-free\"", "slug = \"nginx-free\"\nid = \"prod-123\" #<<", "product.id"),
        case("product.offer-id.format", "slug = \"nginx-free\"", "slug = \"nginx-free\"\noffer_id = \"offer-1\" #<<", "product.offer_id"),
        case("product.product-code.format", "slug = \"nginx-free\"", "slug = \"nginx-free\"\nproduct_code = \"ABC!\" #<<", "product.product_code"),
        case("product.architecture.value", "architecture = \"x86_64\"", "architecture = \"i386\" #<<", "product.architecture"),
        // [listing] text rules
        case("text.max-length", "title = \"NGINX Web Server on Amazon Linux\"", &format!("title = \"{}\" #<<", "N".repeat(73)), "listing.title"),
        case("text.required", "short_description = \"A ready-to-run NGINX web server on Amazon Linux 2023.\"", "short_description = \"  \" #<<", "listing.short_description"),
        case("text.leading-whitespace", "long_description = \"This image", "long_description = \" This image", "listing.long_description"),
        case("text.control-characters", "support_description = \"Email", "support_description = \"\\u0007Email", "listing.support_description"),
        case("text.trademark-space", "title = \"NGINX Web Server on Amazon Linux\"", "title = \"NGINX ™ Web Server\" #<<", "listing.title"),
        case("url.https", "logo_url = \"https://awsmp-logos.s3.amazonaws.com/nginx-logo.png\"", "logo_url = \"http://example.com/logo.png\" #<<", "listing.logo_url"),
        case("listing.logo.format", "logo_url = \"https://awsmp-logos.s3.amazonaws.com/nginx-logo.png\"", "logo_url = \"https://example.com/logo.svg\" #<<", "listing.logo_url"),
        case("url.max-length", "[listing]\n", &format!("[listing]\nvideo_url = \"https://example.com/{}\" #<<\n", "v".repeat(2100)), "listing.video_url"),
        case("listing.highlights.count", "highlights = [\n  \"NGINX starts at boot on port 80\",\n  \"Amazon Linux 2023 with current security updates\",\n]", "highlights = [] #<<", "listing.highlights"),
        case("listing.categories.count", "categories = [\"Application Servers\", \"Network Infrastructure\"]", "categories = [\"Security\", \"Storage\", \"Migration\", \"Testing\"] #<<", "listing.categories"),
        case("listing.categories.unknown", "categories = [\"Application Servers\", \"Network Infrastructure\"]", "categories = [\"Web Servers\"] #<<", "listing.categories[0]"),
        case("listing.categories.duplicate", "categories = [\"Application Servers\", \"Network Infrastructure\"]", "categories = [\n  \"Security\",\n  \"Security\", #<<\n]", "listing.categories[1]"),
        case("listing.keywords.count", "keywords = [\"nginx\", \"web server\", \"reverse proxy\", \"http\"]", &format!("keywords = [{}] #<<", many(16, &|i| format!("\"k{i}\""))), "listing.keywords"),
        case("listing.keywords.total-length", "keywords = [\"nginx\", \"web server\", \"reverse proxy\", \"http\"]", &format!("keywords = [{}] #<<", many(6, &|i| format!("\"{}{i}\"", "k".repeat(44)))), "listing.keywords"),
        case("listing.keywords.duplicate", "keywords = [\"nginx\", \"web server\", \"reverse proxy\", \"http\"]", "keywords = [\n  \"nginx\",\n  \"nginx\", #<<\n]", "listing.keywords[1]"),
        case("listing.additional-resources.count", "[[listing.additional_resources]]\n", &("[[listing.additional_resources]] #<<\n".to_owned() + &"text = \"x\"\nurl = \"https://example.com/x\"\n\n[[listing.additional_resources]]\n".repeat(3)), "listing.additional_resources"),
        case("url.format", "url = \"https://nginx.org/en/docs/\"", "url = \"not a url\" #<<", "listing.additional_resources[0].url"),
        // [regions]
        case("regions.choice", "[regions]\ninclude = [\"us-east-1\", \"us-east-2\", \"eu-west-1\"]", "[regions] #<<\ninclude = []", "regions"),
        case("regions.unknown", "include = [\"us-east-1\", \"us-east-2\", \"eu-west-1\"]", "include = [\"us-east-1\", \"mars-north-1\"] #<<", "regions.include[1]"),
        case("regions.duplicate", "include = [\"us-east-1\", \"us-east-2\", \"eu-west-1\"]", "include = [\n  \"us-east-1\",\n  \"us-east-1\", #<<\n]", "regions.include[1]"),
        case("regions.govcloud-in-include", "include = [\"us-east-1\", \"us-east-2\", \"eu-west-1\"]", "include = [\"us-east-1\", \"us-gov-west-1\"] #<<", "regions.include[1]"),
        case("regions.future.value", "future = \"None\"", "future = \"Everywhere\" #<<", "regions.future"),
        case("regions.opt-in", "include = [\"us-east-1\", \"us-east-2\", \"eu-west-1\"]", "include = [\"us-east-1\", \"af-south-1\"] #<<", "regions.include[1]"),
        // [instance_types]
        case("instance-types.count", "available = [\"t3.micro\", \"t3.small\", \"t3.medium\", \"m5.large\"]", "available = [] #<<", "instance_types.available"),
        case("instance-types.format", "available = [\"t3.micro\", \"t3.small\", \"t3.medium\", \"m5.large\"]", "available = [\"t3.micro\", \"large\"] #<<", "instance_types.available[1]"),
        case("instance-types.duplicate", "available = [\"t3.micro\", \"t3.small\", \"t3.medium\", \"m5.large\"]", "available = [\n  \"t3.micro\",\n  \"t3.micro\", #<<\n]", "instance_types.available[1]"),
        case("instance-types.recommended-not-available", "recommended = \"t3.micro\"", "recommended = \"m5.xlarge\" #<<", "instance_types.recommended"),
        case("instance-types.format", "recommended = \"t3.micro\"", "recommended = \"t3.micro\"\nall_current = true\nexclude = [\"m5\"] #<<", "instance_types.exclude[0]"),
        ("instance-types.all-current-priced", vec![("recommended = \"t3.micro\"", "recommended = \"t3.micro\"\nall_current = true #<<".to_owned()), ("[pricing]\nmodel = \"free\"\n", paid(""))], "instance_types.all_current"),
        case("instance-types.architecture", "available = [\"t3.micro\", \"t3.small\", \"t3.medium\", \"m5.large\"]", "available = [\"t3.micro\", \"m6g.large\"] #<<", "instance_types.available[1]"),
        // [delivery]
        case("delivery.os-user.format", "os_user = \"ec2-user\"", "os_user = \"1user\" #<<", "delivery.os_user"),
        case("port.range", "scanning_port = 22", "scanning_port = 70000 #<<", "delivery.scanning_port"),
        case("delivery.security-groups.count", "usage_instructions = \"Connect with ssh ec2-user@<public-ip>.\"\n\n[[delivery.security_groups]]\nprotocol = \"tcp\"\nfrom_port = 22\nto_port = 22\ncidrs = [\"0.0.0.0/0\"]\n\n[[delivery.security_groups]]\nprotocol = \"tcp\"\nfrom_port = 80\nto_port = 80\ncidrs = [\"0.0.0.0/0\"]\n", "usage_instructions = \"Connect with ssh ec2-user@<public-ip>.\"\nsecurity_groups = [] #<<\n", "delivery.security_groups"),
        case("security-group.protocol", "protocol = \"tcp\"\nfrom_port = 80", "protocol = \"icmp\" #<<\nfrom_port = 80", "delivery.security_groups[1].protocol"),
        case("security-group.port-order", "from_port = 80\nto_port = 80", "from_port = 80\nto_port = 79 #<<", "delivery.security_groups[1].to_port"),
        case("security-group.cidrs.count", "to_port = 80\ncidrs = [\"0.0.0.0/0\"]", "to_port = 80\ncidrs = [] #<<", "delivery.security_groups[1].cidrs"),
        case("cidr.format", "to_port = 80\ncidrs = [\"0.0.0.0/0\"]", "to_port = 80\ncidrs = [\"0.0.0.0/33\"] #<<", "delivery.security_groups[1].cidrs[0]"),
        case("delivery.scanning-port.closed", "from_port = 22\nto_port = 22", "from_port = 23\nto_port = 23", "delivery.security_groups"),
        case("access-endpoint.protocol", "protocol = \"http\"\nport = 80", "protocol = \"ftp\" #<<\nport = 80", "delivery.access_endpoint.protocol"),
        case("access-endpoint.relative-path", "relative_path = \"index.html\"", "relative_path = \"/index.html\" #<<", "delivery.access_endpoint.relative_path"),
        // [pricing]
        case("pricing.model.value", "model = \"free\"", "model = \"cheap\" #<<", "pricing.model"),
        case("pricing.free-has-prices", "[pricing]\nmodel = \"free\"", "[pricing] #<<\nmodel = \"free\"\nhourly = { \"t3.micro\" = \"0.01\" }", "pricing"),
        case("pricing.paid-without-prices", "[pricing]\nmodel = \"free\"", "[pricing] #<<\nmodel = \"paid\"", "pricing"),
        case("price.format", "[pricing]\nmodel = \"free\"", &paid("").replace("\"t3.small\" = \"0.02\"", "\"t3.small\" = \"0.123456789\" #<<"), "pricing.hourly.\"t3.small\""),
        case("pricing.hourly.unknown-type", "[pricing]\nmodel = \"free\"", &paid("\"c5.large\" = \"0.08\" #<<\n"), "pricing.hourly.\"c5.large\""),
        case("pricing.hourly.missing-type", "[pricing]\nmodel = \"free\"", &paid("").replace("\"m5.large\" = \"0.09\"\n", "")
            , "instance_types.available[3]"),
        case("dimension.key.format", "[pricing]\nmodel = \"free\"", &paid(&dim("active users", "users", "Users", "key")), "pricing.dimensions[0].key"),
        case("dimension.key.duplicate", "[pricing]\nmodel = \"free\"", &paid(&(dim("users", "users", "Users", "") + &dim("users", "users", "Users", "header"))), "pricing.dimensions[1]"),
        case("dimension.key.collides", "[pricing]\nmodel = \"free\"", &paid(&dim("t3.micro", "users", "Users", "key")), "pricing.dimensions[0].key"),
        case("dimension.category.value", "[pricing]\nmodel = \"free\"", &paid(&dim("users", "people", "Users", "category")), "pricing.dimensions[0].category"),
        case("dimension.unit.value", "[pricing]\nmodel = \"free\"", &paid(&dim("users", "users", "GB", "unit")), "pricing.dimensions[0].unit"),
        case("pricing.dimensions.count", "[pricing]\nmodel = \"free\"", &paid(&((0..25).map(|i| dim(&format!("d{i}"), "units", "Units", if i == 0 { "header" } else { "" })).collect::<String>())), "pricing.dimensions"),
        (
            "pricing.metering-regions",
            vec![
                ("[regions]\ninclude = [\"us-east-1\", \"us-east-2\", \"eu-west-1\"]", "[regions] #<<\ninclude = [\"us-east-1\", \"ca-west-1\"]".to_owned()),
                ("[pricing]\nmodel = \"free\"", paid(&dim("users", "users", "Users", ""))),
            ],
            "regions",
        ),
        // [legal], [availability], [allowlist], [approval]
        case("url.https", "eula = \"standard\"", "eula = \"http://example.com/eula.pdf\" #<<", "legal.eula"),
        case("legal.refund-policy.charset", "refund_policy = \"No refunds, the product is free.\"", "refund_policy = \"No refunds — free.\" #<<", "legal.refund_policy"),
        case("text.trailing-whitespace", "refund_policy = \"No refunds, the product is free.\"", "refund_policy = \"No refunds. \" #<<", "legal.refund_policy"),
        case("availability.choice", "[availability]\ninclude = [\"US\", \"DE\"]", "[availability] #<<\ninclude = [\"US\"]\nexclude = [\"DE\"]", "availability"),
        case("country.format", "include = [\"US\", \"DE\"]", "include = [\"US\", \"usa\"] #<<", "availability.include[1]"),
        case("availability.duplicate", "include = [\"US\", \"DE\"]", "include = [\n  \"US\",\n  \"US\", #<<\n]", "availability.include[1]"),
        case("account.format", "buyer_accounts = [\"444455556666\"]", "buyer_accounts = [\"4444-5555-6666\"] #<<", "allowlist.buyer_accounts[0]"),
        case("allowlist.duplicate", "buyer_accounts = [\"444455556666\"]", "buyer_accounts = [\n  \"444455556666\",\n  \"444455556666\", #<<\n]", "allowlist.buyer_accounts[1]"),
        case("allowlist.count", "buyer_accounts = [\"444455556666\"]", &format!("buyer_accounts = [{}] #<<", many(101, &|i| format!("\"{:012}\"", 100_000_000_000u64 + i as u64))), "allowlist.buyer_accounts"),
        case("approval.content-hash.format", "reference = \"https://tickets.example.com/MKT-1\"", "reference = \"https://tickets.example.com/MKT-1\"\ncontent_hash = \"md5:abc\" #<<", "approval.content_hash"),
        // [intake]
        case("intake.topic.pattern", "topic = \"org.fedoraproject.prod.nginx.published.#\"", "topic = \"org.fedoraproject..#x\" #<<", "intake.topic"),
        case("intake.arch.mismatch", "arch = \"x86_64\"", "arch = \"aarch64\" #<<", "intake.arch"),
        case("intake.release.format", "release = \"*\"", "release = \"forty-one\" #<<", "intake.release"),
        case("intake.image-name.glob", "image_name = \"nginx-*\"", "image_name = \"\" #<<", "intake.image_name"),
        case("intake.source-region.unknown", "source_region = \"us-east-1\"", "source_region = \"us-gov-west-1\" #<<", "intake.source_region"),
        // templates
        case("template.syntax", "title_template = \"{release}.{compose_date}\"", "title_template = \"{release\" #<<", "versions.title_template"),
        case("template.unknown-variable", "title_template = \"{release}.{compose_date}\"", "title_template = \"{nightly}\" #<<", "versions.title_template"),
        case("versions.title.rendered", "title_template = \"{release}.{compose_date}\"", "title_template = \"{image_name}-{image_name}-{compose_id}\" #<<", "versions.title_template"),
        case("versions.title.characters", "title_template = \"{release}.{compose_date}\"", "title_template = \"Fedora {release}\" #<<", "versions.title_template"),
        // [retention]
        case("retention.keep-latest.range", "keep_latest = 2", "keep_latest = 0 #<<", "retention.keep_latest"),
        case("retention.grace-days.range", "grace_days = 90", "grace_days = -1 #<<", "retention.grace_days"),
        case("retention.end-of-life.date", "date = \"2024-11-26\"", "date = \"2024-13-40\" #<<", "retention.end_of_life[0].date"),
        // [ssm], [announce]
        case("ssm.versioned.needs-version", "versioned = \"/nginx/{release}/{version}\"", "versioned = \"/nginx/{release}\" #<<", "ssm.versioned"),
        case("ssm.alias.has-version", "latest = \"/nginx/{release}/latest\"", "latest = \"/nginx/{version}/latest\" #<<", "ssm.aliases.latest"),
        case("ssm.name.format", "versioned = \"/nginx/{release}/{version}\"", "versioned = \"/aws/{version}\" #<<", "ssm.versioned"),
        case("ssm.alias.name", "latest = \"/nginx/{release}/latest\"", "\"la test\" = \"/nginx/latest\" #<<", "ssm.aliases.\"la test\""),
        case("announce.topic.format", "topic = \"amipub.release.published.v1\"", "topic = \"amipub.release.#\" #<<", "announce.topic"),
    ]
}

fn marker_line(text: &str) -> Option<usize> {
    text.lines()
        .position(|l| l.trim_end().ends_with("#<<"))
        .map(|i| i + 1)
}

#[test]
fn the_base_is_valid() {
    let (spec, problems) = validate_text(BASE);
    assert!(spec.is_some());
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn every_rule_reports_its_path_and_line() {
    let cases = cases();
    let mut failures = Vec::new();
    for (rule, edits, path) in &cases {
        let mut text = BASE.to_owned();
        for (find, replace) in edits {
            assert!(text.contains(find), "case {rule}: base has no {find:?}");
            text = text.replacen(find, replace, 1);
        }
        let (_, problems) = validate_text(&text);
        let expected_line = marker_line(&text);
        let hit = problems
            .iter()
            .find(|p: &&Problem| p.rule == *rule && p.path == *path);
        match hit {
            None => failures.push(format!(
                "{rule}: no problem at path {path:?}; got {:?}",
                problems
                    .iter()
                    .map(|p| (p.rule, p.path.clone(), p.line))
                    .collect::<Vec<_>>()
            )),
            Some(p) if expected_line.is_some() && p.line != expected_line => failures.push(
                format!("{rule}: line {:?}, expected {expected_line:?}", p.line),
            ),
            Some(p) => {
                assert!(
                    !p.limit.is_empty() && !p.fix.is_empty(),
                    "{rule}: limit and fix must be filled"
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn the_corpus_covers_at_least_forty_distinct_rules() {
    let mut rules: Vec<&str> = cases().iter().map(|c| c.0).collect();
    rules.sort();
    rules.dedup();
    assert!(rules.len() >= 40, "{} rules", rules.len());
}

#[test]
fn every_problem_of_a_spec_is_reported_at_once() {
    let text = BASE
        .replacen("future = \"None\"", "future = \"Sometimes\"", 1)
        .replacen("os_user = \"ec2-user\"", "os_user = \"9\"", 1)
        .replacen("keep_latest = 2", "keep_latest = 0", 1);
    let (_, problems) = validate_text(&text);
    let rules: Vec<&str> = problems.iter().map(|p| p.rule).collect();
    assert_eq!(
        rules,
        vec![
            "regions.future.value",
            "delivery.os-user.format",
            "retention.keep-latest.range"
        ]
    );
}
