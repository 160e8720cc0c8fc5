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


def test_root_names_with_or_without_slash_are_one_parameter(sandbox):
    """A root parameter is the same with or without its leading slash; a hierarchical name without
    it is not a valid name. Follows
    https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-su-create.html#sysman-parameter-name-constraints
    ("Uniqueness" and "Fully qualified") and
    https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-hierarchies.html
    (root parameters). The answer names the parameter the way the request did."""
    ssm = sandbox.client("ssm")
    ssm.put_parameter(Name="/rootparam", Value="one", Type="String")
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name="rootparam", Value="two", Type="String")
    assert error_code(e.value) == "ParameterAlreadyExists"
    assert ssm.put_parameter(Name="rootparam", Value="two", Type="String", Overwrite=True)["Version"] == 2
    got = ssm.get_parameter(Name="rootparam")["Parameter"]
    assert (got["Name"], got["Value"], got["Version"]) == ("rootparam", "two", 2)
    assert got["ARN"].endswith(":parameter/rootparam")
    assert ssm.get_parameter(Name="/rootparam")["Parameter"]["Name"] == "/rootparam"
    assert ssm.get_parameter(Name="rootparam:1")["Parameter"]["Value"] == "one"
    assert [p["Name"] for p in ssm.get_parameters(Names=["rootparam"])["Parameters"]] == ["rootparam"]
    assert [h["Version"] for h in ssm.get_parameter_history(Name="rootparam")["Parameters"]] == [1, 2]
    assert ssm.label_parameter_version(Name="rootparam", ParameterVersion=1, Labels=["old"])["InvalidLabels"] == []
    assert ssm.get_parameter(Name="/rootparam:old")["Parameter"]["Value"] == "one"
    ssm.delete_parameter(Name="rootparam")
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name="/rootparam")
    assert error_code(e.value) == "ParameterNotFound"
    ssm.put_parameter(Name="/fedora/cloud/latest", Value="v", Type="String")
    for op in (lambda: ssm.get_parameter(Name="fedora/cloud/latest"),
               lambda: ssm.put_parameter(Name="fedora/cloud/other", Value="v", Type="String")):
        with pytest.raises(ClientError) as e:
            op()
        assert error_code(e.value) == "ValidationException"
        assert "sub-paths divided by slash symbol" in e.value.response["Error"]["Message"]


def test_parameter_arns_where_the_api_accepts_them(sandbox):
    """GetParameter, GetParameters and GetParameterHistory take a name or an ARN; the answer
    carries the parameter's own name. DeleteParameter and LabelParameterVersion take the name
    only. Follows https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html,
    https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameters.html,
    https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameterHistory.html,
    https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DeleteParameter.html and
    https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_LabelParameterVersion.html."""
    ssm = sandbox.client("ssm")
    ssm.put_parameter(Name="/fedora/cloud/41/latest", Value="a", Type="String")
    ssm.put_parameter(Name="/fedora/cloud/41/latest", Value="b", Type="String", Overwrite=True)
    ssm.put_parameter(Name="plain", Value="p", Type="String")
    arn = ssm.get_parameter(Name="/fedora/cloud/41/latest")["Parameter"]["ARN"]
    assert arn == "arn:aws:ssm:us-east-1:111122223333:parameter/fedora/cloud/41/latest"
    by_arn = ssm.get_parameter(Name=arn)["Parameter"]
    assert (by_arn["Name"], by_arn["Value"], by_arn["ARN"]) == ("/fedora/cloud/41/latest", "b", arn)
    old = ssm.get_parameter(Name=arn + ":1")["Parameter"]
    assert (old["Name"], old["Value"], old["Selector"]) == ("/fedora/cloud/41/latest", "a", ":1")
    plain_arn = "arn:aws:ssm:us-east-1:111122223333:parameter/plain"
    got = ssm.get_parameters(Names=[arn, plain_arn])
    assert [p["Name"] for p in got["Parameters"]] == ["/fedora/cloud/41/latest", "plain"]
    assert got["InvalidParameters"] == []
    history = ssm.get_parameter_history(Name=arn)["Parameters"]
    assert [(h["Name"], h["Version"]) for h in history] == [("/fedora/cloud/41/latest", 1), ("/fedora/cloud/41/latest", 2)]
    elsewhere = arn.replace("us-east-1", "eu-west-1")
    assert ssm.get_parameters(Names=[elsewhere])["InvalidParameters"] == [elsewhere]
    for op in (lambda: ssm.delete_parameter(Name=arn),
               lambda: ssm.label_parameter_version(Name=arn, Labels=["x"])):
        with pytest.raises(ClientError) as e:
            op()
        assert error_code(e.value) == "ParameterNotFound"
    assert ssm.get_parameter(Name="/fedora/cloud/41/latest")["Parameter"]["Value"] == "b"


def test_path_root_lists_root_parameters(sandbox):
    """Path "/" holds the root parameters (with or without a leading slash); Recursive on "/"
    reaches every level. Follows
    https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParametersByPath.html and
    https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-hierarchies.html."""
    ssm = sandbox.client("ssm")
    for name in ("/alpha", "beta", "/fedora/gamma", "/fedora/cloud/delta"):
        ssm.put_parameter(Name=name, Value="v", Type="String")
    root = [p["Name"] for p in ssm.get_parameters_by_path(Path="/")["Parameters"]]
    assert sorted(root) == ["/alpha", "beta"]
    pages = ssm.get_paginator("get_parameters_by_path").paginate(Path="/", Recursive=True)
    every = [p["Name"] for page in pages for p in page["Parameters"]]
    assert sorted(every) == ["/alpha", "/fedora/cloud/delta", "/fedora/gamma", "beta"]
    cli = sandbox.cli("ssm", "get-parameters-by-path", "--path", "/")
    assert sorted(p["Name"] for p in cli["Parameters"]) == ["/alpha", "beta"]


def test_get_parameters_answers_each_name_once_in_order(sandbox):
    """Each requested name is answered once, found ones in alphabetical order. Follows
    https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameters.html
    ("The results for GetParameters requests are listed in alphabetical order")."""
    ssm = sandbox.client("ssm")
    for name in ("/b/one", "/a/two"):
        ssm.put_parameter(Name=name, Value="v", Type="String")
    got = ssm.get_parameters(Names=["/b/one", "/a/two", "/b/one", "/nope", "/nope"])
    assert [p["Name"] for p in got["Parameters"]] == ["/a/two", "/b/one"]
    assert got["InvalidParameters"] == ["/nope"]
    cli = sandbox.cli("ssm", "get-parameters", "--names", "/b/one", "/b/one")
    assert [p["Name"] for p in cli["Parameters"]] == ["/b/one"]


def test_label_rules_report_invalid_labels(sandbox):
    """Labels may hold letters, digits, '.', '-' and '_', and may not begin with a digit, "aws" or
    "ssm" in any case; such labels are answered in InvalidLabels and not attached, the valid ones
    are. Follows https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-labels.html
    and https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_LabelParameterVersion.html."""
    ssm = sandbox.client("ssm")
    ssm.put_parameter(Name="/labels/p", Value="v", Type="String")
    bad = ["1st", "9", "awsLabel", "AWS-x", "SsmLabel", "has space", "colon:x", "slash/x"]
    good = ["prod", "release_41.1-b", "x1"]
    out = ssm.label_parameter_version(Name="/labels/p", ParameterVersion=1, Labels=bad[:5] + good)
    assert sorted(out["InvalidLabels"]) == sorted(bad[:5])
    assert out["ParameterVersion"] == 1
    out = ssm.label_parameter_version(Name="/labels/p", Labels=bad[5:])
    assert sorted(out["InvalidLabels"]) == sorted(bad[5:])
    history = ssm.get_parameter_history(Name="/labels/p")["Parameters"]
    assert sorted(history[0]["Labels"]) == sorted(good)
    with pytest.raises(ClientError) as e:
        ssm.label_parameter_version(Name="/labels/p", Labels=["l" * 101])
    assert error_code(e.value) == "ValidationException"
    with pytest.raises(ClientError) as e:
        ssm.label_parameter_version(Name="/labels/p", Labels=[f"l{n}" for n in range(11)])
    assert error_code(e.value) == "ValidationException"


def test_labels_move_and_are_limited_per_version(sandbox):
    """A label names one version at a time and moves when attached to another; a version holds at
    most 10 labels, and a request that would exceed that fails with
    ParameterVersionLabelLimitExceeded and changes nothing. Follows
    https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-labels.html and
    https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_LabelParameterVersion.html."""
    ssm = sandbox.client("ssm")
    name = "/labels/moving"
    for value in ("v1", "v2", "v3"):
        ssm.put_parameter(Name=name, Value=value, Type="String", Overwrite=True)
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["prod"])
    assert ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["prod"])["ParameterVersion"] == 2
    assert ssm.get_parameter(Name=f"{name}:prod")["Parameter"]["Value"] == "v2"
    ten = [f"l{n}" for n in range(10)]
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=ten)
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=ten[:3])
    with pytest.raises(ClientError) as e:
        ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["prod"])
    assert error_code(e.value) == "ParameterVersionLabelLimitExceeded"
    labels = {h["Version"]: sorted(h["Labels"]) for h in ssm.get_parameter_history(Name=name)["Parameters"]}
    assert labels == {1: sorted(ten), 2: ["prod"], 3: []}
    assert ssm.label_parameter_version(Name=name, Labels=["l0"])["ParameterVersion"] == 3
    assert ssm.get_parameter(Name=f"{name}:l0")["Parameter"]["Value"] == "v3"
    with pytest.raises(ClientError) as e:
        ssm.label_parameter_version(Name=name, ParameterVersion=9, Labels=["x"])
    assert error_code(e.value) == "ParameterVersionNotFound"
    assert e.value.response["Error"]["Message"] == (
        f"Systems Manager could not find version 9 of {name}. Verify the version and try again.")


def test_error_messages_match_aws(sandbox):
    """Error texts as AWS sends them: GetParameter's ParameterNotFound carries no message text,
    ParameterAlreadyExists says how to overwrite, ParameterVersionNotFound names the version.
    Follows https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html and
    https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html (the
    errors each operation documents)."""
    ssm = sandbox.client("ssm")
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name="/missing/param")
    assert error_code(e.value) == "ParameterNotFound"
    assert e.value.response["Error"]["Message"] == ""
    ssm.put_parameter(Name="/msg/p", Value="v", Type="String")
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name="/msg/p", Value="v", Type="String")
    assert e.value.response["Error"]["Message"] == (
        "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name="/msg/p:5")
    assert e.value.response["Error"]["Message"] == (
        "Systems Manager could not find version 5 of /msg/p. Verify the version and try again.")


def test_parameters_are_tagged_at_creation_or_later_never_with_overwrite(sandbox):
    ssm = sandbox.client("ssm")
    name = "/amipub/conformance/tagged"
    ssm.put_parameter(Name=name, Value="ami-0123456789abcdef0", Type="String", DataType="text",
                      Tags=[{"Key": "FedoraGroup", "Value": "cloud"}])
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
    assert tags == [{"Key": "FedoraGroup", "Value": "cloud"}]
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=name, Value="x", Overwrite=True, Tags=[{"Key": "a", "Value": "b"}])
    assert error_code(e.value) == "ValidationException"
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=name, Tags=[{"Key": "amipub:product", "Value": "p"}])
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
    assert {t["Key"] for t in tags} == {"FedoraGroup", "amipub:product"}
    with pytest.raises(ClientError) as e:
        ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/amipub/conformance/none")
    assert error_code(e.value) == "InvalidResourceId"
