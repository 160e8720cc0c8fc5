"""SSM Parameter Store through boto3 and the AWS CLI."""

import pytest
from botocore.exceptions import ClientError

from conftest import FEDORA_41_X86_US_EAST_1, error_code


def test_versions_overwrite_and_selectors(sandbox):
    ssm = sandbox.client("ssm")
    assert ssm.put_parameter(Name="/fedora/cloud/41/x86_64/latest", Value="a", Type="String")["Version"] == 1
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name="/fedora/cloud/41/x86_64/latest", Value="b", Type="String")
    assert error_code(e.value) == "ParameterAlreadyExists"
    assert ssm.put_parameter(Name="/fedora/cloud/41/x86_64/latest", Value="b", Type="String", Overwrite=True)["Version"] == 2
    ssm.label_parameter_version(Name="/fedora/cloud/41/x86_64/latest", ParameterVersion=1, Labels=["first"])
    assert ssm.get_parameter(Name="/fedora/cloud/41/x86_64/latest")["Parameter"]["Value"] == "b"
    assert ssm.get_parameter(Name="/fedora/cloud/41/x86_64/latest:1")["Parameter"]["Value"] == "a"
    assert ssm.get_parameter(Name="/fedora/cloud/41/x86_64/latest:first")["Parameter"]["Value"] == "a"
    history = ssm.get_parameter_history(Name="/fedora/cloud/41/x86_64/latest")["Parameters"]
    assert [(h["Version"], h["Labels"]) for h in history] == [(1, ["first"]), (2, [])]
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name="/fedora/cloud/41/x86_64/latest:7")
    assert error_code(e.value) == "ParameterVersionNotFound"
    got = ssm.get_parameters(Names=["/fedora/cloud/41/x86_64/latest", "/nope"])
    assert [p["Name"] for p in got["Parameters"]] == ["/fedora/cloud/41/x86_64/latest"]
    assert got["InvalidParameters"] == ["/nope"]


def test_paths_recursion_and_pagination(sandbox):
    ssm = sandbox.client("ssm")
    for release in ("40", "41"):
        for arch in ("x86_64", "aarch64"):
            for leaf in ("latest", "41.20241027.0"):
                ssm.put_parameter(Name=f"/fedora/cloud/{release}/{arch}/{leaf}", Value="v", Type="String")
    assert ssm.get_parameters_by_path(Path="/fedora/cloud")["Parameters"] == []
    pages = list(ssm.get_paginator("get_parameters_by_path").paginate(Path="/fedora/cloud", Recursive=True, PaginationConfig={"PageSize": 3}))
    assert len(pages) == 3
    assert sum(len(p["Parameters"]) for p in pages) == 8
    direct = ssm.get_parameters_by_path(Path="/fedora/cloud/41/x86_64")["Parameters"]
    assert sorted(p["Name"] for p in direct) == ["/fedora/cloud/41/x86_64/41.20241027.0", "/fedora/cloud/41/x86_64/latest"]


def test_image_parameters_are_checked_against_ec2(sandbox):
    ssm = sandbox.client("ssm")
    ec2 = sandbox.client("ec2")
    mine = ec2.copy_image(SourceImageId=FEDORA_41_X86_US_EAST_1, SourceRegion="us-east-1", Name="for-ssm")["ImageId"]
    # Pending images are not launchable: the write is accepted and then silently dropped.
    ssm.put_parameter(Name="/img/latest", Value=mine, Type="String", DataType="aws:ec2:image")
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name="/img/latest")
    assert error_code(e.value) == "ParameterNotFound"
    sandbox.advance(600)
    ssm.put_parameter(Name="/img/latest", Value=mine, Type="String", DataType="aws:ec2:image")
    p = ssm.get_parameter(Name="/img/latest")["Parameter"]
    assert p["Value"] == mine and p["DataType"] == "aws:ec2:image"
    ssm.put_parameter(Name="/img/latest", Value="ami-0000000000000000f", Type="String", DataType="aws:ec2:image", Overwrite=True)
    assert ssm.get_parameter(Name="/img/latest")["Parameter"]["Value"] == mine
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name="/img/latest", Value="text now", Type="String", DataType="text", Overwrite=True)
    assert error_code(e.value) == "ValidationException"


def test_reserved_names_regions_and_deletion(sandbox):
    ssm = sandbox.client("ssm")
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name="/aws/service/mine", Value="x", Type="String")
    assert error_code(e.value) == "AccessDeniedException"
    ssm.put_parameter(Name="/regional", Value="east", Type="String")
    with pytest.raises(ClientError) as e:
        sandbox.client("ssm", region="eu-west-1").get_parameter(Name="/regional")
    assert error_code(e.value) == "ParameterNotFound"
    sandbox.cli("ssm", "delete-parameter", "--name", "/regional")
    err = sandbox.cli("ssm", "get-parameter", "--name", "/regional", check=False)
    assert "ParameterNotFound" in err
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name="/" + "/".join(["l"] * 16), Value="x", Type="String")
    assert error_code(e.value) == "HierarchyLevelLimitExceededException"
