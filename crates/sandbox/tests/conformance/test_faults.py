"""Fault rules: throttling and server errors in each service's own shape, resets, latency, and
the seeded determinism of the decisions."""

import time

import pytest
from botocore.exceptions import ClientError, ConnectionError as BotoConnectionError

from conftest import error_code


def test_throttling_and_server_errors_use_each_services_codes(sandbox):
    sandbox.admin("POST", "/_sandbox/faults", {"rules": [
        {"service": "ec2", "operation": "DescribeImages", "kind": "throttle", "probability": 1.0},
        {"service": "aws-marketplace", "kind": "throttle", "probability": 1.0},
        {"service": "ssm", "kind": "server_error", "probability": 1.0},
    ]})
    with pytest.raises(ClientError) as e:
        sandbox.client("ec2").describe_images(Owners=["self"])
    assert error_code(e.value) == "RequestLimitExceeded"
    sandbox.client("ec2").describe_regions()  # other operations are unaffected
    with pytest.raises(ClientError) as e:
        sandbox.client("marketplace-catalog").list_entities(Catalog="AWSMarketplace", EntityType="AmiProduct")
    assert error_code(e.value) == "ThrottlingException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    with pytest.raises(ClientError) as e:
        sandbox.client("ssm").get_parameter(Name="/x")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    failed = [r for r in sandbox.admin("GET", "/_sandbox/requests")["requests"] if r["status"] >= 429]
    assert len(failed) == 3


def test_resets_and_latency(sandbox):
    sandbox.admin("POST", "/_sandbox/faults", {"rules": [{"service": "sts", "kind": "reset", "probability": 1.0}]})
    with pytest.raises((BotoConnectionError, ClientError, Exception)):
        sandbox.client("sts").get_caller_identity()
    sandbox.admin("POST", "/_sandbox/faults", {"rules": [{"service": "sts", "kind": "latency", "probability": 1.0, "latency_ms": 300}]})
    start = time.monotonic()
    assert sandbox.client("sts").get_caller_identity()["Account"] == "111122223333"
    assert time.monotonic() - start >= 0.3


def test_probabilities_are_deterministic_from_the_seed(sandbox):
    rules = {"rules": [{"service": "sts", "kind": "throttle", "probability": 0.5}]}
    outcomes = []
    for _ in range(2):
        sandbox.admin("POST", "/_sandbox/faults", rules)
        sandbox.admin("POST", "/_sandbox/config", {"seed": 7})
        run = []
        for _ in range(40):
            try:
                sandbox.client("sts").get_caller_identity()
                run.append("ok")
            except ClientError as e:
                run.append(error_code(e))
        outcomes.append(run)
    assert 5 < outcomes[0].count("Throttling") < 35
    assert outcomes[0] == outcomes[1]
