"""The Metering Service and IMDSv2 through boto3 and plain HTTP: an instance of the metered
Acme API Gateway reports usage hourly; every MeterUsage rule answers with its documented error."""

import json
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from conftest import BUYER, error_code

CODE = "acmegatewayproductcode000"


def launch(sandbox, region="us-east-1", may_meter=True):
    ec2 = sandbox.client("ec2", region=region)
    image = ec2.describe_images(Owners=["aws-marketplace"], Filters=[{"Name": "product-code", "Values": [CODE]}])["Images"][0]
    return sandbox.admin("POST", "/_sandbox/instances", {"account": BUYER, "region": region, "image_id": image["ImageId"], "may_meter": may_meter})


def imds(sandbox, inst, path, token=None, method="GET", ttl=None):
    req = urllib.request.Request(sandbox.endpoint + inst["imds_path"] + "/latest/" + path, method=method)
    if token:
        req.add_header("X-aws-ec2-metadata-token", token)
    if ttl:
        req.add_header("X-aws-ec2-metadata-token-ttl-seconds", str(ttl))
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, ""


def meter(sandbox, inst, region="us-east-1"):
    return sandbox.client("meteringmarketplace", key=inst["access_key_id"], region=region)


def now(sandbox):
    return datetime.fromisoformat(sandbox.admin("GET", "/_sandbox/state")["now"].replace("Z", "+00:00"))


def test_imds_v2_serves_identity_and_product_codes(sandbox):
    inst = launch(sandbox)
    assert imds(sandbox, inst, "meta-data/instance-id")[0] == 401
    status, token = imds(sandbox, inst, "api/token", method="PUT", ttl=21600)
    assert status == 200 and token
    assert imds(sandbox, inst, "meta-data/instance-id", token) == (200, inst["instance_id"])
    assert imds(sandbox, inst, "meta-data/placement/region", token) == (200, "us-east-1")
    assert imds(sandbox, inst, "meta-data/product-codes", token) == (200, CODE)
    doc = json.loads(imds(sandbox, inst, "dynamic/instance-identity/document", token)[1])
    assert doc["marketplaceProductCodes"] == [CODE] and doc["accountId"] == BUYER
    role = imds(sandbox, inst, "meta-data/iam/security-credentials/", token)[1]
    creds = json.loads(imds(sandbox, inst, f"meta-data/iam/security-credentials/{role}", token)[1])
    assert creds["AccessKeyId"] == inst["access_key_id"]
    assert imds(sandbox, inst, "api/token", method="PUT", ttl=0)[0] == 400


def test_meter_usage_records_one_value_per_dimension_and_hour(sandbox):
    inst = launch(sandbox)
    mm = meter(sandbox, inst)
    ts = now(sandbox) - timedelta(minutes=5)
    with pytest.raises(ClientError) as e:
        mm.meter_usage(ProductCode=CODE, Timestamp=ts, UsageDimension="active_consumers", UsageQuantity=7, DryRun=True)
    assert error_code(e.value) == "DryRunOperation"
    first = mm.meter_usage(ProductCode=CODE, Timestamp=ts, UsageDimension="active_consumers", UsageQuantity=7)["MeteringRecordId"]
    assert mm.meter_usage(ProductCode=CODE, Timestamp=ts, UsageDimension="active_consumers", UsageQuantity=7)["MeteringRecordId"] == first
    with pytest.raises(ClientError) as e:
        mm.meter_usage(ProductCode=CODE, Timestamp=ts, UsageDimension="active_consumers", UsageQuantity=8)
    assert error_code(e.value) == "DuplicateRequestException"
    mm.meter_usage(ProductCode=CODE, Timestamp=ts, UsageDimension="processed_gb", UsageQuantity=3,
                   UsageAllocations=[{"AllocatedUsageQuantity": 2, "Tags": [{"Key": "team", "Value": "a"}]},
                                     {"AllocatedUsageQuantity": 1, "Tags": [{"Key": "team", "Value": "b"}]}])
    records = sandbox.admin("GET", "/_sandbox/metering")["records"]
    assert sorted((r["dimension"], r["quantity"]) for r in records) == [("active_consumers", 7), ("processed_gb", 3)]


def test_meter_usage_rules_and_errors(sandbox):
    inst = launch(sandbox)
    mm = meter(sandbox, inst)
    ts = now(sandbox)
    cases = [
        (dict(ProductCode="wrongcode0000000000000000", UsageDimension="active_consumers"), "InvalidProductCodeException"),
        (dict(ProductCode=CODE, UsageDimension="m5.large"), "InvalidUsageDimensionException"),
        (dict(ProductCode=CODE, UsageDimension="active_consumers", Timestamp=ts - timedelta(hours=7)), "TimestampOutOfBoundsException"),
        (dict(ProductCode=CODE, UsageDimension="processed_gb", UsageQuantity=5, UsageAllocations=[{"AllocatedUsageQuantity": 4}]), "InvalidUsageAllocationsException"),
    ]
    for args, code in cases:
        with pytest.raises(ClientError) as e:
            mm.meter_usage(**{"Timestamp": ts, "UsageQuantity": 1, **args})
        assert error_code(e.value) == code, args
    with pytest.raises(ClientError) as e:
        meter(sandbox, inst, region="eu-west-1").meter_usage(ProductCode=CODE, Timestamp=ts, UsageDimension="active_consumers", UsageQuantity=1)
    assert error_code(e.value) == "InvalidEndpointRegionException"
    sandbox.admin("POST", "/_sandbox/entitlements", {"account": BUYER, "product_code": CODE, "entitled": False})
    with pytest.raises(ClientError) as e:
        mm.meter_usage(ProductCode=CODE, Timestamp=ts, UsageDimension="active_consumers", UsageQuantity=1)
    assert error_code(e.value) == "CustomerNotEntitledException"
    no_role = launch(sandbox, may_meter=False)
    with pytest.raises(ClientError) as e:
        meter(sandbox, no_role).meter_usage(ProductCode=CODE, Timestamp=ts, UsageDimension="active_consumers", UsageQuantity=1)
    assert error_code(e.value) == "AccessDeniedException"
    with pytest.raises(ClientError) as e:
        sandbox.client("meteringmarketplace", key="AKIASANDBOXBUYER0001").meter_usage(ProductCode=CODE, Timestamp=ts, UsageDimension="active_consumers", UsageQuantity=1)
    assert error_code(e.value) == "AccessDeniedException"


def test_hours_pass_with_virtual_time(sandbox):
    inst = launch(sandbox)
    mm = meter(sandbox, inst)
    for hour in range(3):
        ts = now(sandbox)
        mm.meter_usage(ProductCode=CODE, Timestamp=ts, UsageDimension="active_consumers", UsageQuantity=hour + 1)
        sandbox.advance(3600)
    hours = sorted(r["hour"] for r in sandbox.admin("GET", "/_sandbox/metering")["records"])
    assert len(hours) == 3 and hours[1] - hours[0] == 3600 and hours[2] - hours[1] == 3600
