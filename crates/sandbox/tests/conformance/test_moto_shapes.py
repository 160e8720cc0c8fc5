"""The same EC2, IAM, STS and SSM scenarios against the sandbox and against moto (a third-party
emulator, installed from PyPI), comparing the shape of every answer: the same keys with values of
the same types. moto implements these operations, so where the two disagree the sandbox is wrong
about the wire format (moto's shapes come from botocore's models, like the real service's)."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import boto3
import pytest
from botocore.config import Config

from conftest import FEDORA_41_X86_US_EAST_1

# Keys one emulator fills and the other leaves out, for reasons that are not wire-format errors
# (optional members that depend on data each emulator invents).
OPTIONAL = {
    # Members real AWS returns that moto leaves out.
    "Encrypted", "EnaSupport", "Hypervisor", "ImageLocation", "PlatformDetails", "UsageOperation",
    "SourceImageId", "SourceImageRegion", "Description", "Policies",
    # Members moto fills with empty or invented values where AWS (and the sandbox) omit them.
    "RoleLastUsed", "Tags", "BootMode", "Platform", "ProductCodes",
}


def shape(v):
    if isinstance(v, dict):
        return {k: shape(x) for k, x in v.items() if k != "ResponseMetadata"}
    if isinstance(v, list):
        return [shape(v[0])] if v else []
    return type(v).__name__


def differences(a, b, path=""):
    """Keys present in both with different shapes, and keys only one side has (minus OPTIONAL)."""
    out = []
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k in a and k in b:
                out += differences(a[k], b[k], f"{path}.{k}")
            elif k not in OPTIONAL:
                out.append(f"{path}.{k} only in {'sandbox' if k in a else 'moto'}")
    elif isinstance(a, list) and isinstance(b, list):
        if a and b:
            out += differences(a[0], b[0], path + "[]")
    elif a != b and {a, b} != {"int", "float"}:
        out.append(f"{path}: sandbox {a} vs moto {b}")
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def moto():
    port = free_port()
    env = dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="true")
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1)
            break
        except Exception:
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def clients(endpoint, key):
    def make(service, region="us-east-1"):
        return boto3.client(service, endpoint_url=endpoint, region_name=region, aws_access_key_id=key,
                            aws_secret_access_key="sandbox", config=Config(retries={"total_max_attempts": 1}))
    return make


def scenario(c, source_ami, advance):
    """Runs the scenario; returns {step: response}."""
    out = {}
    ec2, iam, sts, ssm = c("ec2"), c("iam"), c("sts"), c("ssm")
    out["sts.get_caller_identity"] = sts.get_caller_identity()
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "assets.marketplace.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    out["iam.create_role"] = iam.create_role(RoleName="Ingest", AssumeRolePolicyDocument=json.dumps(trust))
    out["iam.get_role"] = iam.get_role(RoleName="Ingest")
    arn = "arn:aws:iam::aws:policy/AWSMarketplaceAmiIngestion"
    out["iam.attach_role_policy"] = iam.attach_role_policy(RoleName="Ingest", PolicyArn=arn)
    out["iam.list_attached_role_policies"] = iam.list_attached_role_policies(RoleName="Ingest")
    out["iam.get_policy"] = iam.get_policy(PolicyArn=arn)
    copy = ec2.copy_image(SourceImageId=source_ami, SourceRegion="us-east-1", Name="shape-copy", ClientToken="shape-1")
    out["ec2.copy_image"] = copy
    advance()
    out["ec2.describe_images"] = ec2.describe_images(ImageIds=[copy["ImageId"]])
    out["ec2.create_tags"] = ec2.create_tags(Resources=[copy["ImageId"]], Tags=[{"Key": "amipub:release", "Value": "r1"}])
    out["ec2.modify_image_attribute"] = ec2.modify_image_attribute(ImageId=copy["ImageId"], LaunchPermission={"Add": [{"UserId": "444455556666"}]})
    out["ec2.describe_image_attribute"] = ec2.describe_image_attribute(ImageId=copy["ImageId"], Attribute="launchPermission")
    snap = out["ec2.describe_images"]["Images"][0]["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    out["ec2.describe_snapshots"] = ec2.describe_snapshots(SnapshotIds=[snap])
    out["ec2.modify_snapshot_attribute"] = ec2.modify_snapshot_attribute(SnapshotId=snap, Attribute="createVolumePermission", OperationType="add", UserIds=["444455556666"])
    out["ec2.describe_snapshot_attribute"] = ec2.describe_snapshot_attribute(SnapshotId=snap, Attribute="createVolumePermission")
    out["ec2.describe_regions"] = ec2.describe_regions()
    out["ssm.put_parameter"] = ssm.put_parameter(Name="/shape/latest", Value="one", Type="String")
    ssm.put_parameter(Name="/shape/latest", Value="two", Type="String", Overwrite=True)
    out["ssm.label_parameter_version"] = ssm.label_parameter_version(Name="/shape/latest", ParameterVersion=1, Labels=["first"])
    out["ssm.get_parameter"] = ssm.get_parameter(Name="/shape/latest")
    out["ssm.get_parameters_by_path"] = ssm.get_parameters_by_path(Path="/shape", Recursive=True)
    out["ssm.get_parameter_history"] = ssm.get_parameter_history(Name="/shape/latest")
    out["ec2.deregister_image"] = ec2.deregister_image(ImageId=copy["ImageId"])
    return out


def test_answers_have_the_same_shape_as_moto(sandbox, moto):
    ours = scenario(clients(sandbox.endpoint, "AKIASANDBOXSELLER001"), FEDORA_41_X86_US_EAST_1, lambda: sandbox.advance(600))
    theirs_ec2 = clients(moto, "AKIAMOTOEXAMPLE00001")("ec2")
    amazon = theirs_ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    theirs = scenario(clients(moto, "AKIAMOTOEXAMPLE00001"), amazon, lambda: None)
    problems = []
    for step in ours:
        problems += [f"{step}{d}" for d in differences(shape(ours[step]), shape(theirs[step]))]
    assert not problems, "\n".join(problems)
