"""IAM roles and managed policies, STS identity and AssumeRole, through boto3 and the AWS CLI."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import BUYER, BUYER_KEY, SELLER, error_code

INGESTION = "arn:aws:iam::aws:policy/AWSMarketplaceAmiIngestion"


def test_caller_identity(sandbox):
    assert sandbox.client("sts").get_caller_identity()["Account"] == SELLER
    assert sandbox.cli("sts", "get-caller-identity", key=BUYER_KEY)["Account"] == BUYER


def test_ingestion_role_lifecycle(sandbox):
    iam = sandbox.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "assets.marketplace.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName="Ingest2", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    assert role["Arn"] == f"arn:aws:iam::{SELLER}:role/Ingest2"
    assert iam.get_role(RoleName="Ingest2")["Role"]["AssumeRolePolicyDocument"] == trust
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName="Ingest2", AssumeRolePolicyDocument=json.dumps(trust))
    assert error_code(e.value) == "EntityAlreadyExists"
    iam.attach_role_policy(RoleName="Ingest2", PolicyArn=INGESTION)
    attached = iam.list_attached_role_policies(RoleName="Ingest2")["AttachedPolicies"]
    assert attached == [{"PolicyName": "AWSMarketplaceAmiIngestion", "PolicyArn": INGESTION}]
    policy = iam.get_policy(PolicyArn=INGESTION)["Policy"]
    doc = iam.get_policy_version(PolicyArn=INGESTION, VersionId=policy["DefaultVersionId"])["PolicyVersion"]["Document"]
    actions = {a for s in doc["Statement"] for a in s["Action"]}
    assert {"ec2:ModifySnapshotAttribute", "ec2:DescribeImages", "ec2:ModifyImageAttribute"} <= actions
    with pytest.raises(ClientError) as e:
        iam.attach_role_policy(RoleName="Ingest2", PolicyArn="arn:aws:iam::aws:policy/Nope")
    assert error_code(e.value) == "NoSuchEntity"
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName="Ingest2")
    assert error_code(e.value) == "DeleteConflict"
    cli_role = sandbox.cli("iam", "get-role", "--role-name", "AwsMarketplaceAmiIngestion")["Role"]
    assert cli_role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"] == "assets.marketplace.amazonaws.com"


def test_assume_role_follows_the_trust_policy(sandbox):
    iam = sandbox.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{BUYER}:root"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="publisher", AssumeRolePolicyDocument=json.dumps(trust))
    creds = sandbox.client("sts", key=BUYER_KEY).assume_role(RoleArn=f"arn:aws:iam::{SELLER}:role/publisher", RoleSessionName="amipub")["Credentials"]
    assumed = sandbox.client("sts", key=creds["AccessKeyId"]).get_caller_identity()
    assert assumed["Account"] == SELLER
    assert assumed["Arn"] == f"arn:aws:sts::{SELLER}:assumed-role/publisher/amipub"
    with pytest.raises(ClientError) as e:
        sandbox.client("sts").assume_role(RoleArn=f"arn:aws:iam::{SELLER}:role/AwsMarketplaceAmiIngestion", RoleSessionName="nope")
    assert error_code(e.value) == "AccessDenied"
    with pytest.raises(ClientError) as e:
        sandbox.client("iam").get_role(RoleName="missing")
    assert error_code(e.value) == "NoSuchEntity"
    with pytest.raises(ClientError) as e:
        sandbox.client("sts", key="AKIAUNKNOWNKEY000000").get_caller_identity()
    assert error_code(e.value) == "InvalidClientTokenId"
