//! `amipub init` creates what the seller account needs before the first release (the ingestion
//! role, trusting AWS Marketplace, with its managed policy; with `[events]`, the queue of
//! change-set events and its policy, and it prints the EventBridge rule to apply, since amipub
//! never calls EventBridge), looking first so it can run any number of times. `amipub
//! iam-policy` prints the least-privilege policy for exactly the calls amipub makes, scoped to
//! the configured account, role, SSM parameter prefixes and events queue.

use std::collections::BTreeSet;
use std::path::PathBuf;

use amipub_aws::adapters::queue::{DEFAULT_REGION, RULE_NAME};
use amipub_aws::{AwsPorts, QueueAddress, Target, ensure_queue};
use amipub_domain::changeset::events::RULE_PATTERN;
use amipub_domain::settings::Settings;
use amipub_engine::Ports;
use amipub_engine::memory::MemoryStore;
use serde_json::{Value, json};

use crate::Outcome;
use crate::config;
use crate::runtime::{seller, target};

/// Arguments of `amipub init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// amipub.toml.
    #[arg(long)]
    config: Option<PathBuf>,
}

/// Arguments of `amipub iam-policy`.
#[derive(Debug, clap::Args)]
pub struct PolicyArgs {
    /// Also allow the calls of `amipub init` (creating the ingestion role).
    #[arg(long)]
    with_init: bool,
    /// amipub.toml.
    #[arg(long)]
    config: Option<PathBuf>,
}

/// `amipub init`.
pub fn init(args: InitArgs) -> anyhow::Result<Outcome> {
    let Some((settings, _)) = config::load(args.config.as_deref())? else {
        return Ok(Outcome::Invalid);
    };
    super::block_on(async move {
        let s = seller(&settings)?;
        let t: Target = target(&settings)?;
        let ports = AwsPorts::connect(&t, s.clone(), MemoryStore::default()).await;
        let done = ports
            .grants()
            .ensure()
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        println!(
            "{} {}",
            if done.created_role {
                "created"
            } else {
                "found"
            },
            s.ingestion_role
        );
        println!(
            "{} its trust in assets.marketplace.amazonaws.com and the AWSMarketplaceAmiIngestion policy",
            if done.attached_policy {
                "attached"
            } else {
                "verified"
            }
        );
        if let Some(queue) = events_queue(&settings)? {
            init_events(&t, &queue, &settings.tags).await?;
        }
        Ok(Outcome::Ok)
    })
}

/// The queue of `[events] queue_url`, if one is configured.
fn events_queue(settings: &Settings) -> anyhow::Result<Option<QueueAddress>> {
    let Some(url) = settings.events.as_ref().and_then(|e| e.queue()) else {
        return Ok(None);
    };
    QueueAddress::parse(url)
        .map(Some)
        .map_err(|why| anyhow::anyhow!("[events] queue_url: {why}"))
}

/// Creates the events queue if missing, lets the rule send to it, and prints the rule.
async fn init_events(
    t: &Target,
    queue: &QueueAddress,
    tags: &std::collections::BTreeMap<String, String>,
) -> anyhow::Result<()> {
    let done = ensure_queue(t, queue, tags)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "{} queue {}",
        if done.created { "created" } else { "found" },
        done.url
    );
    println!(
        "{} its policy: events.amazonaws.com may send to it for the rule {} only",
        if done.policy_written {
            "wrote"
        } else {
            "verified"
        },
        queue.rule_arn()
    );
    print!("{}", rule_text(queue, &done.arn));
    Ok(())
}

/// The EventBridge rule that feeds the queue (ARN `queue_arn`), with the AWS CLI commands that
/// apply it (<https://docs.aws.amazon.com/cli/latest/reference/events/put-rule.html>,
/// <https://docs.aws.amazon.com/cli/latest/reference/events/put-targets.html>).
fn rule_text(queue: &QueueAddress, queue_arn: &str) -> String {
    let region = &queue.region;
    let mut out = format!(
        "\nApply this EventBridge rule once, in {region} of account {account} (amipub does not \
         call EventBridge itself):\n  name     {RULE_NAME}\n  pattern  {RULE_PATTERN}\n  \
         target   {queue_arn}\n\n  aws events put-rule --region {region} --name {RULE_NAME} \
         --event-pattern '{RULE_PATTERN}'\n  aws events put-targets --region {region} --rule \
         {RULE_NAME} --targets 'Id=amipub-events,Arn={queue_arn}'\n",
        account = queue.account
    );
    // The Catalog sends its events in us-east-1, and a rule delivers to queues of its own Region
    // (<https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-marketplacecatalog.html>).
    if region != DEFAULT_REGION {
        out.push_str(&format!(
            "warning: the Marketplace Catalog sends change-set events in {DEFAULT_REGION} only; a \
             queue in {region} receives none: use a queue in {DEFAULT_REGION}\n"
        ));
    }
    out
}

/// The SSM parameter name prefixes of every product spec (the literal text before the first
/// placeholder), for the policy's resources.
pub(crate) fn ssm_prefixes(settings: &Settings) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if let Ok(entries) = std::fs::read_dir(&settings.products_dir) {
        for e in entries.flatten() {
            let Ok(text) = std::fs::read_to_string(e.path()) else {
                continue;
            };
            let Ok(spec) = amipub_domain::spec::parse_spec(&text) else {
                continue;
            };
            if let Some(ssm) = &spec.ssm {
                for tpl in std::iter::once(&ssm.versioned).chain(ssm.aliases.values()) {
                    let prefix = tpl.split('{').next().unwrap_or("/");
                    out.insert(prefix.to_owned());
                }
            }
        }
    }
    if out.is_empty() {
        out.insert("/".to_owned());
    }
    out
}

/// The policy document.
pub fn policy(settings: &Settings, with_init: bool) -> anyhow::Result<Value> {
    let s = seller(settings)?;
    let partition = s
        .ingestion_role
        .split(':')
        .nth(1)
        .unwrap_or("aws")
        .to_owned();
    let acct = &s.account;
    let params: Vec<String> = ssm_prefixes(settings)
        .into_iter()
        .map(|p| {
            format!(
                "arn:{partition}:ssm:*:{acct}:parameter{}*",
                p.trim_end_matches('*')
            )
        })
        .collect();
    let queue = events_queue(settings)?;
    let mut statements = vec![
        json!({
            "Sid": "InspectAndLocateImages",
            "Effect": "Allow",
            "Action": ["ec2:DescribeImages", "ec2:DescribeInstanceTypes", "ec2:DescribeSnapshots"],
            "Resource": "*"
        }),
        json!({
            "Sid": "MirrorSourceImages",
            "Effect": "Allow",
            "Action": ["ec2:CopyImage", "ec2:CreateTags"],
            "Resource": [
                format!("arn:{partition}:ec2:us-east-1::image/*"),
                format!("arn:{partition}:ec2:us-east-1::snapshot/*")
            ]
        }),
        // Retention: a mirror of a retired version is deprecated, then (past the grace period
        // and unlaunched for `idle_days`) deregistered with its snapshots; the attributes tell
        // its sharing and last launch
        // (<https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ami-deprecate.html>).
        json!({
            "Sid": "RetireSellerImages",
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeImageAttribute",
                "ec2:DescribeSnapshotAttribute",
                "ec2:ModifyImageAttribute",
                "ec2:ModifySnapshotAttribute",
                "ec2:EnableImageDeprecation",
                "ec2:DeregisterImage",
                "ec2:DeleteSnapshot"
            ],
            "Resource": [
                format!("arn:{partition}:ec2:us-east-1::image/*"),
                format!("arn:{partition}:ec2:us-east-1::snapshot/*")
            ]
        }),
        json!({
            "Sid": "CheckIngestionRole",
            "Effect": "Allow",
            "Action": ["iam:GetRole", "iam:ListAttachedRolePolicies"],
            "Resource": s.ingestion_role
        }),
        json!({
            "Sid": "HandIngestionRoleToMarketplace",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": s.ingestion_role,
            "Condition": { "StringEquals": { "iam:PassedToService": "assets.marketplace.amazonaws.com" } }
        }),
        json!({
            "Sid": "SubmitVersions",
            "Effect": "Allow",
            "Action": [
                "aws-marketplace:DescribeEntity",
                "aws-marketplace:ListChangeSets",
                "aws-marketplace:StartChangeSet",
                "aws-marketplace:DescribeChangeSet",
                "aws-marketplace:CancelChangeSet",
                // StartChangeSet with ChangeSetTags and EntityTags (`[tags]`), and the tags of
                // the listing's entities that `verify` reads and `apply --tags` adds.
                "aws-marketplace:TagResource",
                "aws-marketplace:ListTagsForResource",
                // A finished change set's AMI security assessment, as AWS's read-only seller
                // policy grants it (<https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSMarketplaceSellerProductsReadOnly.html>).
                "aws-marketplace:ListAssessments",
                "aws-marketplace:DescribeAssessment"
            ],
            "Resource": "*"
        }),
        // The buyer's view each release and `verify` check (Discovery API,
        // <https://docs.aws.amazon.com/marketplace/latest/developerguide/discovery-api-access-control.html>).
        json!({
            "Sid": "ReadBuyersView",
            "Effect": "Allow",
            "Action": ["aws-marketplace:ListFulfillmentOptions"],
            "Resource": "*"
        }),
        json!({
            "Sid": "WriteImageParameters",
            "Effect": "Allow",
            "Action": ["ssm:GetParameter", "ssm:GetParameters", "ssm:PutParameter", "ssm:AddTagsToResource", "ssm:ListTagsForResource"],
            "Resource": params
        }),
    ];
    // The change-set events of `[events]`: DeleteMessageBatch is allowed by sqs:DeleteMessage
    // (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html>).
    if let Some(q) = &queue {
        statements.push(json!({
            "Sid": "ReadChangeSetEvents",
            "Effect": "Allow",
            "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
            "Resource": q.arn()
        }));
    }
    if with_init {
        statements.push(json!({
            "Sid": "CreateIngestionRole",
            "Effect": "Allow",
            "Action": ["iam:CreateRole", "iam:UpdateAssumeRolePolicy", "iam:AttachRolePolicy", "iam:TagRole"],
            "Resource": s.ingestion_role
        }));
        if let Some(q) = &queue {
            statements.push(json!({
                "Sid": "CreateChangeSetEventsQueue",
                "Effect": "Allow",
                "Action": ["sqs:CreateQueue", "sqs:SetQueueAttributes", "sqs:GetQueueAttributes", "sqs:TagQueue"],
                "Resource": q.arn()
            }));
        }
    }
    Ok(json!({ "Version": "2012-10-17", "Statement": statements }))
}

/// `amipub iam-policy`.
pub fn iam_policy(args: PolicyArgs) -> anyhow::Result<Outcome> {
    let Some((settings, _)) = config::load(args.config.as_deref())? else {
        return Ok(Outcome::Invalid);
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&policy(&settings, args.with_init)?)?
    );
    Ok(Outcome::Ok)
}
