//! The AWS SDK for Rust clients amipub uses, driven against the sandbox over real HTTP: every
//! response must parse in the SDK's own deserialisers, and errors must arrive with their codes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use amipub_aws::Target;
use amipub_aws::document::{to_document, to_json};
use amipub_aws::failure::{Kind, code_of, kind_of};
use amipub_sandbox::server::lock;
use amipub_sandbox::worlds::{FEDORA_PRODUCT_ID, SELLER_KEY};
use amipub_testkit::sandbox::{self, Sandbox};
use aws_sdk_ec2::types::{
    Filter, LaunchPermission, LaunchPermissionModifications, ResourceType, Tag, TagSpecification,
};
use aws_sdk_marketplacecatalog::types::{Change, Entity};
use serde_json::json;

/// The clients of one Region.
#[derive(Debug, Clone)]
struct Clients {
    /// EC2.
    ec2: aws_sdk_ec2::Client,
    /// IAM (global; built in the partition's home Region).
    iam: aws_sdk_iam::Client,
    /// STS.
    sts: aws_sdk_sts::Client,
    /// SSM.
    ssm: aws_sdk_ssm::Client,
    /// Marketplace Catalog (us-east-1 only).
    catalog: aws_sdk_marketplacecatalog::Client,
}

impl Clients {
    /// Clients for `region` of `target`.
    async fn new(target: &Target, region: &str) -> Self {
        let conf = target.sdk_config(region).await;
        Self {
            ec2: aws_sdk_ec2::Client::new(&conf),
            iam: aws_sdk_iam::Client::new(&conf),
            sts: aws_sdk_sts::Client::new(&conf),
            ssm: aws_sdk_ssm::Client::new(&conf),
            catalog: aws_sdk_marketplacecatalog::Client::new(&conf),
        }
    }
}

const FEDORA_41: &str = "ami-06b2596588ff27750";

/// A seller-side copy of Fedora 41 named `name`, made available by moving time on.
async fn available_copy(c: &Clients, handle: &Sandbox, name: &str) -> String {
    let mirror = c
        .ec2
        .copy_image()
        .source_image_id(FEDORA_41)
        .source_region("us-east-1")
        .name(name)
        .send()
        .await
        .unwrap();
    advance(handle, 600.0);
    mirror.image_id().unwrap().to_owned()
}

/// A sandbox whose clock moves only when told to, and a target on it.
fn sandbox() -> (Sandbox, Target) {
    let handle = sandbox::start(0.0);
    let target = Target::sandbox(&handle.endpoint, SELLER_KEY);
    (handle, target)
}

fn advance(handle: &Sandbox, secs: f64) {
    lock(&handle.world).clock.advance(secs);
}

#[tokio::test]
async fn ec2_sts_and_iam_answers_parse() {
    let (handle, target) = sandbox();
    let c = Clients::new(&target, "us-east-1").await;
    let who = c.sts.get_caller_identity().send().await.unwrap();
    assert_eq!(who.account(), Some("111122223333"));

    let images = c
        .ec2
        .describe_images()
        .owners("125523088429")
        .filters(
            Filter::builder()
                .name("name")
                .values("Fedora-Cloud-Base-AmazonEC2.x86_64-41*")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let img = &images.images()[0];
    assert_eq!(img.image_id(), Some(FEDORA_41));
    assert_eq!(img.public(), Some(true));
    assert!(
        img.block_device_mappings()[0]
            .ebs()
            .and_then(|e| e.snapshot_id())
            .is_some()
    );

    let copy = c
        .ec2
        .copy_image()
        .source_image_id(FEDORA_41)
        .source_region("us-east-1")
        .name("amipub-mirror")
        .client_token("release-1-mirror")
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::Image)
                .tags(Tag::builder().key("amipub:release").value("r1").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let id = copy.image_id().unwrap().to_owned();
    let again = c
        .ec2
        .copy_image()
        .source_image_id(FEDORA_41)
        .source_region("us-east-1")
        .name("amipub-mirror")
        .client_token("release-1-mirror")
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::Image)
                .tags(Tag::builder().key("amipub:release").value("r1").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(again.image_id(), Some(id.as_str()));
    let state = |imgs: &aws_sdk_ec2::operation::describe_images::DescribeImagesOutput| {
        imgs.images()[0].state().map(|s| s.as_str().to_owned())
    };
    let now = c.ec2.describe_images().image_ids(&id).send().await.unwrap();
    assert_eq!(state(&now).as_deref(), Some("pending"));
    advance(&handle, 600.0);
    let later = c.ec2.describe_images().image_ids(&id).send().await.unwrap();
    assert_eq!(state(&later).as_deref(), Some("available"));
    assert_eq!(later.images()[0].tags()[0].key(), Some("amipub:release"));

    c.ec2
        .modify_image_attribute()
        .image_id(&id)
        .launch_permission(
            LaunchPermissionModifications::builder()
                .add(LaunchPermission::builder().user_id("444455556666").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let perms = c
        .ec2
        .describe_image_attribute()
        .image_id(&id)
        .attribute(aws_sdk_ec2::types::ImageAttributeName::LaunchPermission)
        .send()
        .await
        .unwrap();
    assert_eq!(
        perms.launch_permissions()[0].user_id(),
        Some("444455556666")
    );
    let snaps = c
        .ec2
        .describe_snapshots()
        .owner_ids("self")
        .send()
        .await
        .unwrap();
    assert!(!snaps.snapshots().is_empty());
    let regions = c
        .ec2
        .describe_regions()
        .all_regions(true)
        .send()
        .await
        .unwrap();
    assert!(regions.regions().len() >= 30);

    let missing = c
        .ec2
        .describe_images()
        .image_ids("ami-0000000000000000f")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_of(&missing).as_deref(), Some("InvalidAMIID.NotFound"));
    assert_eq!(kind_of(&missing), Kind::NotFound);

    let role = c
        .iam
        .get_role()
        .role_name("AwsMarketplaceAmiIngestion")
        .send()
        .await
        .unwrap();
    assert!(
        role.role()
            .map(|r| r.arn())
            .unwrap_or_default()
            .ends_with(":role/AwsMarketplaceAmiIngestion")
    );
    let attached = c
        .iam
        .list_attached_role_policies()
        .role_name("AwsMarketplaceAmiIngestion")
        .send()
        .await
        .unwrap();
    assert_eq!(
        attached.attached_policies()[0].policy_name(),
        Some("AWSMarketplaceAmiIngestion")
    );
    let gone = c.iam.get_role().role_name("nope").send().await.unwrap_err();
    assert_eq!(kind_of(&gone), Kind::NotFound);
    handle.stop();
}

#[tokio::test]
async fn ssm_answers_parse() {
    let (handle, target) = sandbox();
    let c = Clients::new(&target, "us-east-1").await;
    let ami = available_copy(&c, &handle, "for-ssm").await;
    let ami = ami.as_str();
    let put = c
        .ssm
        .put_parameter()
        .name("/fedora/cloud/41/x86_64/latest")
        .value(ami)
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .data_type("aws:ec2:image")
        .send()
        .await
        .unwrap();
    assert_eq!(put.version(), 1);
    c.ssm
        .label_parameter_version()
        .name("/fedora/cloud/41/x86_64/latest")
        .parameter_version(1)
        .labels("release-41")
        .send()
        .await
        .unwrap();
    let got = c
        .ssm
        .get_parameter()
        .name("/fedora/cloud/41/x86_64/latest:release-41")
        .send()
        .await
        .unwrap();
    assert_eq!(got.parameter().and_then(|p| p.value()), Some(ami));
    let by_path = c
        .ssm
        .get_parameters_by_path()
        .path("/fedora")
        .recursive(true)
        .send()
        .await
        .unwrap();
    assert_eq!(by_path.parameters().len(), 1);
    let history = c
        .ssm
        .get_parameter_history()
        .name("/fedora/cloud/41/x86_64/latest")
        .send()
        .await
        .unwrap();
    assert_eq!(history.parameters()[0].labels(), ["release-41".to_owned()]);
    let public = c
        .ssm
        .get_parameter()
        .name(format!(
            "/aws/service/marketplace/{FEDORA_PRODUCT_ID}/latest"
        ))
        .send()
        .await
        .unwrap();
    assert!(
        public
            .parameter()
            .and_then(|p| p.value())
            .is_some_and(|v| v.starts_with("ami-"))
    );
    let missing = c
        .ssm
        .get_parameter()
        .name("/nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(kind_of(&missing), Kind::NotFound);
    handle.stop();
}

#[tokio::test]
async fn catalog_answers_parse() {
    let (handle, target) = sandbox();
    let c = Clients::new(&target, "us-east-1").await;
    let ami = available_copy(&c, &handle, "for-catalog").await;

    let entity = c
        .catalog
        .describe_entity()
        .catalog("AWSMarketplace")
        .entity_id(FEDORA_PRODUCT_ID)
        .send()
        .await
        .unwrap();
    let doc = to_json(entity.details_document().unwrap());
    assert_eq!(doc["Versions"][0]["VersionTitle"], "40.20240416.0");
    let code = doc["Description"]["ProductCode"]
        .as_str()
        .unwrap()
        .to_owned();

    let details = json!({
        "Version": { "VersionTitle": "41.20241027.0", "ReleaseNotes": "Fedora 41" },
        "DeliveryOptions": [{ "Details": { "AmiDeliveryOptionDetails": {
            "AmiSource": { "AmiId": ami, "AccessRoleArn": "arn:aws:iam::111122223333:role/AwsMarketplaceAmiIngestion", "UserName": "fedora", "OperatingSystemName": "FEDORA", "OperatingSystemVersion": "41", "ScanningPort": 22 },
            "UsageInstructions": "ssh fedora@<ip>", "RecommendedInstanceType": "t3.small",
            "SecurityGroups": [{ "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": ["0.0.0.0/0"] }]
        }}}]
    });
    let change = Change::builder()
        .change_type("AddDeliveryOptions")
        .entity(
            Entity::builder()
                .r#type("AmiProduct@1.0")
                .identifier(FEDORA_PRODUCT_ID)
                .build()
                .unwrap(),
        )
        .details_document(to_document(&details))
        .build()
        .unwrap();
    let started = c
        .catalog
        .start_change_set()
        .catalog("AWSMarketplace")
        .change_set(change.clone())
        .client_request_token("amipub-r41")
        .send()
        .await
        .unwrap();
    let id = started.change_set_id().unwrap().to_owned();
    let locked = c
        .catalog
        .start_change_set()
        .catalog("AWSMarketplace")
        .change_set(change.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_of(&locked).as_deref(), Some("ResourceInUseException"));
    assert_eq!(kind_of(&locked), Kind::Conflict);
    let described = c
        .catalog
        .describe_change_set()
        .catalog("AWSMarketplace")
        .change_set_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(described.status().map(|s| s.as_str()), Some("PREPARING"));
    let listed = c
        .catalog
        .list_change_sets()
        .catalog("AWSMarketplace")
        .send()
        .await
        .unwrap();
    assert!(
        listed
            .change_set_summary_list()
            .iter()
            .any(|s| s.change_set_id() == Some(id.as_str()))
    );
    advance(&handle, 60.0 + 3600.0 + 1.0);
    let done = c
        .catalog
        .describe_change_set()
        .catalog("AWSMarketplace")
        .change_set_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status().map(|s| s.as_str()), Some("SUCCEEDED"));
    assert!(done.change_set()[0].error_detail_list().is_empty());

    advance(&handle, 2000.0);
    let eu = Clients::new(&target, "eu-west-1").await;
    let regional = eu
        .ec2
        .describe_images()
        .owners("aws-marketplace")
        .filters(Filter::builder().name("product-code").values(&code).build())
        .send()
        .await
        .unwrap();
    assert_eq!(regional.images().len(), 2);

    let entities = c
        .catalog
        .list_entities()
        .catalog("AWSMarketplace")
        .entity_type("AmiProduct")
        .send()
        .await
        .unwrap();
    assert_eq!(entities.entity_summary_list().len(), 2);
    let bad = c
        .catalog
        .describe_entity()
        .catalog("AWSMarketplace")
        .entity_id("prod-doesnotexist1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(kind_of(&bad), Kind::NotFound);
    handle.stop();
}

#[tokio::test]
async fn throttling_is_retried_by_the_sdk_and_reported_with_its_kind() {
    let (handle, target) = sandbox();
    {
        let mut w = lock(&handle.world);
        w.config.faults = vec![amipub_sandbox::faults::FaultRule {
            service: "ec2".into(),
            operation: "DescribeRegions".into(),
            region: String::new(),
            kind: amipub_sandbox::faults::FaultKind::Throttle,
            probability: 1.0,
            latency_ms: 0,
        }];
    }
    let c = Clients::new(&target, "us-east-1").await;
    let err = c.ec2.describe_regions().send().await.unwrap_err();
    assert_eq!(kind_of(&err), Kind::Throttled);
    let attempts = lock(&handle.world)
        .requests
        .iter()
        .filter(|r| r.operation == "DescribeRegions")
        .count();
    assert_eq!(attempts, amipub_aws::config::MAX_ATTEMPTS as usize);
    handle.stop();
}
