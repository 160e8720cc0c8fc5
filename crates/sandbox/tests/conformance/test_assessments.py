"""AMI security assessments through boto3 (the AWS CLI installed here carries a service model
older than these two operations): every scanned version gets an
`AMISecurity@1.0` assessment whose controls match the scan's verdict, ListAssessments filters
(change set, entity, latest per entity, framework, delivery option), pagination of both
operations, and their errors. Follows the AWS Marketplace API Reference pages
https://docs.aws.amazon.com/marketplace/latest/APIReference/API_ListAssessments.html and
https://docs.aws.amazon.com/marketplace/latest/APIReference/API_DescribeAssessment.html."""

import urllib.error

import pytest
from botocore.exceptions import ClientError

from conftest import BUYER_KEY, FEDORA_41_X86_US_EAST_1, SELLER, error_code

ROLE = f"arn:aws:iam::{SELLER}:role/AwsMarketplaceAmiIngestion"
PRODUCT = "prod-fedoracbx8664"
CATALOG = "AWSMarketplace"
CONTROLS = 7


def mirror(sandbox, name):
    ec2 = sandbox.client("ec2")
    ami = ec2.copy_image(SourceImageId=FEDORA_41_X86_US_EAST_1, SourceRegion="us-east-1", Name=name)["ImageId"]
    sandbox.advance(600)
    return ami


def add_version(title, ami):
    return {
        "ChangeType": "AddDeliveryOptions",
        "Entity": {"Type": "AmiProduct@1.0", "Identifier": PRODUCT},
        "DetailsDocument": {
            "Version": {"VersionTitle": title, "ReleaseNotes": f"Release {title}"},
            "DeliveryOptions": [{"Details": {"AmiDeliveryOptionDetails": {
                "AmiSource": {"AmiId": ami, "AccessRoleArn": ROLE, "UserName": "fedora",
                              "OperatingSystemName": "FEDORA", "OperatingSystemVersion": "41", "ScanningPort": 22},
                "UsageInstructions": "ssh fedora@<ip>",
                "RecommendedInstanceType": "t3.small",
                "SecurityGroups": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": ["0.0.0.0/0"]}],
            }}}],
        },
    }


def publish(sandbox, cat, title, ami):
    """Submits a version and waits for its change set to end; returns (change set id, status)."""
    cs = cat.start_change_set(Catalog=CATALOG, ChangeSet=[add_version(title, ami)])["ChangeSetId"]
    for _ in range(50):
        status = cat.describe_change_set(Catalog=CATALOG, ChangeSetId=cs)["Status"]
        if status in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return cs, status
        sandbox.advance(600)
    raise AssertionError(f"{cs} never finished")


def listed(cat, **filters):
    return cat.list_assessments(Catalog=CATALOG, **filters)["AssessmentSummaryList"]


def test_a_passed_scan_records_one_assessment_with_every_control_passed(sandbox):
    cat = sandbox.client("marketplace-catalog")
    cs, status = publish(sandbox, cat, "41.50", mirror(sandbox, "pass"))
    assert status == "SUCCEEDED"
    versions = cat.describe_entity(Catalog=CATALOG, EntityId=PRODUCT)["DetailsDocument"]["Versions"]
    option = next(v for v in versions if v["VersionTitle"] == "41.50")["DeliveryOptions"][0]["Id"]

    [summary] = listed(cat, AssessmentTargetFilter={"ChangeSetId": cs})
    assert summary["FrameworkId"] == "AMISecurity@1.0"
    assert summary["AssessmentResult"] == "PASS"
    assert summary["AssessmentTargetSummary"] == {"EntityId": PRODUCT, "ChangeSetId": cs}
    assert summary["FrameworkSummary"] == {"AMISecuritySummary": {"DeliveryOptionId": option}}
    assert summary["AssessmentArn"].endswith(f":AWSMarketplace/Assessment/{summary['AssessmentId']}")
    assert len(summary["CreatedAt"]) == 20 and summary["CreatedAt"].endswith("Z")

    by_arn = cat.describe_assessment(Catalog=CATALOG, AssessmentIdentifier=summary["AssessmentArn"])
    assert by_arn["AssessmentId"] == summary["AssessmentId"]
    controls = by_arn["ControlAssessments"]
    assert len(controls) == CONTROLS and "NextToken" not in by_arn
    assert {c["ControlAssessmentResult"] for c in controls} == {"PASS"}
    assert all(c["Errors"] == [] and c["VerificationSource"] == "AWS_VERIFIED" for c in controls)

    # Framework and delivery-option filters.
    ami_filter = {"AMISecurityFilters": {"DeliveryOptionId": option}}
    assert [a["AssessmentId"] for a in listed(cat, FrameworkFilters=ami_filter)] == [summary["AssessmentId"]]
    assert listed(cat, FrameworkFilters={"AMISecurityFilters": {"DeliveryOptionId": "no-such-option"}}) == []
    assert listed(cat, FrameworkFilters={"ContainerSecurityFilters": {}}) == []
    assert len(listed(cat, FrameworkId="AMISecurity", AssessmentTargetFilter={"EntityId": PRODUCT})) == 1
    assert listed(cat, FrameworkId="ContainerSecurity") == []


def test_a_failed_scan_fails_the_controls_the_scan_was_set_to_fail(sandbox):
    cat = sandbox.client("marketplace-catalog")
    ami = mirror(sandbox, "fail")
    failing = ["SSH_PASSWORD_AUTHENTICATION", "SUDO_USER"]
    sandbox.admin("POST", "/_sandbox/scan", {"ami": ami, "verdict": "fail", "controls": failing})
    cs, status = publish(sandbox, cat, "41.51", ami)
    assert status == "FAILED"

    [summary] = listed(cat, AssessmentTargetFilter={"ChangeSetId": cs, "EntityId": PRODUCT})
    assert summary["AssessmentResult"] == "FAIL"
    # The version was never added, so there is no delivery option to name.
    assert summary["FrameworkSummary"] == {"AMISecuritySummary": {}}

    described = cat.describe_assessment(Catalog=CATALOG, AssessmentIdentifier=summary["AssessmentId"])
    results = {c["ControlId"]: c for c in described["ControlAssessments"]}
    assert len(results) == CONTROLS
    assert sorted(i for i, c in results.items() if c["ControlAssessmentResult"] == "FAIL") == failing
    for control in failing:
        [err] = results[control]["Errors"]
        assert err["Code"] and err["Message"] and err["Scope"][0]["Name"] in ("FILE_PATH", "AMI_ID")
    assert results["SUDO_USER"]["Errors"][0]["Scope"] == [{"Name": "AMI_ID", "Value": ami}]
    assert "PasswordAuthentication no" in results["SSH_PASSWORD_AUTHENTICATION"]["Errors"][0]["Message"]

    # Unknown controls, or controls for a passing verdict, are refused by the admin API.
    for body in ({"ami": ami, "verdict": "fail", "controls": ["NOPE"]},
                 {"ami": ami, "verdict": "pass", "controls": ["SUDO_USER"]}):
        with pytest.raises(urllib.error.HTTPError) as e:
            sandbox.admin("POST", "/_sandbox/scan", body)
        assert e.value.code == 400


def test_a_failed_scan_without_chosen_controls_fails_known_vulnerabilities(sandbox):
    cat = sandbox.client("marketplace-catalog")
    sandbox.admin("POST", "/_sandbox/scan", {"verdict": "fail"})
    cs, status = publish(sandbox, cat, "41.52", mirror(sandbox, "default-fail"))
    assert status == "FAILED"
    [summary] = listed(cat, AssessmentTargetFilter={"ChangeSetId": cs})
    controls = cat.describe_assessment(Catalog=CATALOG, AssessmentIdentifier=summary["AssessmentId"])["ControlAssessments"]
    failed = [c for c in controls if c["ControlAssessmentResult"] == "FAIL"]
    assert [c["ControlId"] for c in failed] == ["KNOWN_VULNERABILITIES"]
    assert failed[0]["Errors"][0]["Scope"][0]["Name"] == "PACKAGE_NAME"


def test_pages_newest_first_and_the_latest_published_per_entity(sandbox):
    cat = sandbox.client("marketplace-catalog")
    sets = [publish(sandbox, cat, f"41.6{i}", mirror(sandbox, f"page-{i}"))[0] for i in range(3)]

    first = cat.list_assessments(Catalog=CATALOG, MaxResults=2)
    assert len(first["AssessmentSummaryList"]) == 2 and first["NextToken"]
    second = cat.list_assessments(Catalog=CATALOG, MaxResults=2, NextToken=first["NextToken"])
    assert len(second["AssessmentSummaryList"]) == 1 and "NextToken" not in second
    newest_first = [a["AssessmentTargetSummary"]["ChangeSetId"]
                    for a in first["AssessmentSummaryList"] + second["AssessmentSummaryList"]]
    assert newest_first == sets[::-1]
    paged = [a for page in cat.get_paginator("list_assessments").paginate(
        Catalog=CATALOG, PaginationConfig={"PageSize": 1}) for a in page["AssessmentSummaryList"]]
    assert [a["AssessmentTargetSummary"]["ChangeSetId"] for a in paged] == sets[::-1]

    latest = listed(cat, FrameworkId="AMISecurity", AssessmentTargetFilter={"EntityIds": [PRODUCT, "prod-none"]})
    assert [a["AssessmentTargetSummary"]["ChangeSetId"] for a in latest] == [sets[-1]]

    pages = list(cat.get_paginator("describe_assessment").paginate(
        Catalog=CATALOG, AssessmentIdentifier=latest[0]["AssessmentId"], PaginationConfig={"PageSize": 3}))
    assert [len(p["ControlAssessments"]) for p in pages] == [3, 3, 1]
    assert len({c["ControlId"] for p in pages for c in p["ControlAssessments"]}) == CONTROLS


def test_errors_of_both_operations(sandbox):
    cat = sandbox.client("marketplace-catalog")
    cs, _ = publish(sandbox, cat, "41.70", mirror(sandbox, "errors"))
    [summary] = listed(cat, AssessmentTargetFilter={"ChangeSetId": cs})

    cases = [
        (cat.describe_assessment, {"AssessmentIdentifier": "assessment-doesnotexist0"}, "ResourceNotFoundException"),
        (cat.describe_assessment, {"AssessmentIdentifier": "not-an-assessment"}, "ValidationException"),
        (cat.describe_assessment, {"AssessmentIdentifier": summary["AssessmentId"], "NextToken": "bogus"}, "ValidationException"),
        (cat.list_assessments, {"AssessmentTargetFilter": {"EntityIds": [PRODUCT]}}, "ValidationException"),
        (cat.list_assessments, {"FrameworkId": "AMISecurity", "AssessmentTargetFilter": {"EntityIds": [PRODUCT], "ChangeSetId": cs}}, "ValidationException"),
        (cat.list_assessments, {"NextToken": "sbx-99"}, "ValidationException"),
    ]
    for call, args, code in cases:
        with pytest.raises(ClientError) as e:
            call(Catalog=CATALOG, **args)
        assert error_code(e.value) == code, args
    with pytest.raises(ClientError) as e:
        cat.list_assessments(Catalog="OtherCatalog")
    assert error_code(e.value) == "ValidationException"

    # Another account sees none of the seller's assessments.
    buyer = sandbox.client("marketplace-catalog", key=BUYER_KEY)
    assert listed(buyer, AssessmentTargetFilter={"ChangeSetId": cs}) == []
    with pytest.raises(ClientError) as e:
        buyer.describe_assessment(Catalog=CATALOG, AssessmentIdentifier=summary["AssessmentId"])
    assert error_code(e.value) == "ResourceNotFoundException"
