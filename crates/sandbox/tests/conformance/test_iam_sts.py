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


def trust_of(account):
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}]})


def test_caller_identity_of_an_assumed_role_session(sandbox):
    """With AssumeRole's credentials, GetCallerIdentity answers UserId = AssumedRoleId
    (role id:session name) and the assumed-role ARN. Follows
    https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html,
    https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumedRoleUser.html and
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable."""
    role = sandbox.client("iam").create_role(RoleName="publisher", AssumeRolePolicyDocument=trust_of(BUYER))["Role"]
    out = sandbox.client("sts", key=BUYER_KEY).assume_role(RoleArn=role["Arn"], RoleSessionName="amipub")
    user = out["AssumedRoleUser"]
    assert user["AssumedRoleId"] == f"{role['RoleId']}:amipub"
    who = sandbox.client("sts", key=out["Credentials"]["AccessKeyId"]).get_caller_identity()
    assert (who["UserId"], who["Arn"], who["Account"]) == (user["AssumedRoleId"], user["Arn"], SELLER)
    root = sandbox.client("sts").get_caller_identity()
    assert (root["UserId"], root["Arn"]) == (SELLER, f"arn:aws:iam::{SELLER}:root")


def test_assume_role_limits_and_messages(sandbox):
    """AssumeRole refuses a DurationSeconds above the role's MaxSessionDuration (3600 by default)
    and a bad RoleSessionName, and denies with AWS's text. Follows
    https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html and
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html (MaxSessionDuration)."""
    role = sandbox.client("iam").create_role(RoleName="short", AssumeRolePolicyDocument=trust_of(BUYER))["Role"]
    sts = sandbox.client("sts", key=BUYER_KEY)
    assert sts.assume_role(RoleArn=role["Arn"], RoleSessionName="ok", DurationSeconds=3600)["Credentials"]
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="ok", DurationSeconds=7200)
    assert error_code(e.value) == "ValidationError"
    assert e.value.response["Error"]["Message"] == "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="bad name")
    assert error_code(e.value) == "ValidationError"
    assert e.value.response["Error"]["Message"] == (
        "1 validation error detected: Value 'bad name' at 'roleSessionName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w+=,.@-]*")
    arn = f"arn:aws:iam::{SELLER}:role/AwsMarketplaceAmiIngestion"
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=arn, RoleSessionName="nope")
    assert e.value.response["Error"]["Message"] == (
        f"User: arn:aws:iam::{BUYER}:root is not authorized to perform: sts:AssumeRole on resource: {arn}")
    with pytest.raises(ClientError) as e:
        sandbox.client("iam").get_role(RoleName="missing")
    assert e.value.response["Error"]["Message"] == "The role with name missing cannot be found."
    with pytest.raises(ClientError) as e:
        sandbox.client("sts", key="AKIAUNKNOWNKEY000000").get_caller_identity()
    assert e.value.response["Error"]["Message"] == "The security token included in the request is invalid."


def test_list_roles_with_path_prefix_and_pages(sandbox):
    """ListRoles filters by PathPrefix, pages with Marker/MaxItems/IsTruncated, and answers each
    role's Path, RoleName, RoleId, Arn, CreateDate, AssumeRolePolicyDocument and
    MaxSessionDuration (not Tags, PermissionsBoundary or RoleLastUsed). Follows
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListRoles.html."""
    iam = sandbox.client("iam")
    for name, path in (("a-role", "/"), ("b-role", "/team/"), ("c-role", "/team/sub/"), ("d-role", "/other/")):
        iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=trust_of(BUYER), Description=f"{name} here")
    names = [r["RoleName"] for r in sandbox.cli("iam", "list-roles")["Roles"]]
    assert {"a-role", "b-role", "c-role", "d-role", "AwsMarketplaceAmiIngestion"} <= set(names)
    team = sandbox.cli("iam", "list-roles", "--path-prefix", "/team/")["Roles"]
    assert [r["RoleName"] for r in team] == ["b-role", "c-role"]
    role = team[1]
    assert role["Path"] == "/team/sub/" and role["Arn"] == f"arn:aws:iam::{SELLER}:role/team/sub/c-role"
    assert role["AssumeRolePolicyDocument"] == json.loads(trust_of(BUYER))
    assert role["MaxSessionDuration"] == 3600 and role["Description"] == "c-role here"
    assert role["RoleId"].startswith("AROA") and role["CreateDate"]
    assert not {"Tags", "PermissionsBoundary", "RoleLastUsed"} & set(role)
    first = iam.list_roles(MaxItems=2)
    assert len(first["Roles"]) == 2 and first["IsTruncated"] is True and first["Marker"]
    rest = iam.list_roles(Marker=first["Marker"])
    assert rest["IsTruncated"] is False and "Marker" not in rest
    paged = [r["RoleName"] for r in first["Roles"] + rest["Roles"]]
    pages = list(iam.get_paginator("list_roles").paginate(PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3 and [r["RoleName"] for p in pages for r in p["Roles"]] == paged
    assert sorted(paged) == sorted(names)
    assert iam.list_roles(PathPrefix="/nobody/")["Roles"] == []
    with pytest.raises(ClientError) as e:
        iam.list_roles(MaxItems=1001)
    assert error_code(e.value) == "ValidationError"


def test_update_assume_role_policy(sandbox):
    """UpdateAssumeRolePolicy replaces a role's trust policy, which AssumeRole then honours.
    Follows https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAssumeRolePolicy.html."""
    iam = sandbox.client("iam")
    role = iam.create_role(RoleName="retrust", AssumeRolePolicyDocument=trust_of(SELLER))["Role"]
    iam.update_assume_role_policy(RoleName="retrust", PolicyDocument=trust_of(BUYER))
    assert iam.get_role(RoleName="retrust")["Role"]["AssumeRolePolicyDocument"] == json.loads(trust_of(BUYER))
    assert sandbox.client("sts", key=BUYER_KEY).assume_role(RoleArn=role["Arn"], RoleSessionName="retrusted")["Credentials"]
    with pytest.raises(ClientError) as e:
        iam.update_assume_role_policy(RoleName="nobody", PolicyDocument=trust_of(BUYER))
    assert error_code(e.value) == "NoSuchEntity"
    with pytest.raises(ClientError) as e:
        iam.update_assume_role_policy(RoleName="retrust", PolicyDocument="not json")
    assert error_code(e.value) == "MalformedPolicyDocument"


def test_roles_take_tags_at_creation_and_later(sandbox):
    iam = sandbox.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "assets.marketplace.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="Tagged", AssumeRolePolicyDocument=json.dumps(trust),
                    Tags=[{"Key": "FedoraGroup", "Value": "cloud"}])
    assert iam.list_role_tags(RoleName="Tagged")["Tags"] == [{"Key": "FedoraGroup", "Value": "cloud"}]
    iam.tag_role(RoleName="Tagged", Tags=[{"Key": "FedoraGroup", "Value": "infra"}, {"Key": "Team", "Value": "releng"}])
    tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName="Tagged")["Tags"]}
    assert tags == {"FedoraGroup": "infra", "Team": "releng"}
    with pytest.raises(ClientError) as e:
        iam.tag_role(RoleName="Nobody", Tags=[{"Key": "a", "Value": "b"}])
    assert error_code(e.value) == "NoSuchEntity"
