"""Fixtures of the sandbox conformance suite: a fresh `amipub sandbox` per test, boto3 clients
and an AWS CLI runner bound to it, and a small admin-API helper.

The suite drives the sandbox only through third-party clients (boto3 and the AWS CLI), so every
response is parsed by botocore, which rejects malformed wire formats.
"""

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[4]
SELLER = "111122223333"
SELLER_KEY = "AKIASANDBOXSELLER001"
BUILD = "125523088429"
BUILD_KEY = "AKIASANDBOXFEDORA001"
BUYER = "444455556666"
BUYER_KEY = "AKIASANDBOXBUYER0001"
GOV_SELLER = "222233334444"
GOV_SELLER_KEY = "AKIASANDBOXGOVSELL01"
FEDORA_41_X86_US_EAST_1 = "ami-06b2596588ff27750"


def amipub_binary() -> str:
    explicit = os.environ.get("AMIPUB_BIN")
    if explicit:
        return explicit
    target = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target"))
    return str(Path(target) / "debug" / "amipub")


class Sandbox:
    def __init__(self, proc, endpoint):
        self.proc = proc
        self.endpoint = endpoint

    def client(self, service, key=SELLER_KEY, region="us-east-1"):
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id=key,
            aws_secret_access_key="sandbox",
            config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
        )

    def cli(self, *args, key=SELLER_KEY, region="us-east-1", check=True):
        """Runs the AWS CLI; returns parsed JSON output, or (code, message) of an error when check=False."""
        env = dict(os.environ)
        env.update(
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_ACCESS_KEY_ID=key,
            AWS_SECRET_ACCESS_KEY="sandbox",
            AWS_DEFAULT_REGION=region,
            AWS_PAGER="",
            AWS_MAX_ATTEMPTS="1",
        )
        env.pop("AWS_PROFILE", None)
        out = subprocess.run(
            [sys.executable, "-m", "awscli", *args, "--output", "json"],
            capture_output=True, text=True, env=env, timeout=60,
        )
        if out.returncode == 0:
            return json.loads(out.stdout) if out.stdout.strip() else {}
        if check:
            raise AssertionError(f"aws {' '.join(args)} failed: {out.stderr}")
        return out.stderr

    def admin(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.endpoint + path, data=data, method=method,
                                     headers={"content-type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def advance(self, seconds):
        return self.admin("POST", "/_sandbox/time", {"advance": seconds})


def stop(proc):
    """Ends a child process for good, even when it ignores SIGTERM: no process outlives a test."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def sandbox(tmp_path):
    binary = amipub_binary()
    if not Path(binary).exists():
        pytest.fail(f"{binary} does not exist: run cargo build first (or set AMIPUB_BIN)")
    proc = subprocess.Popen(
        [binary, "sandbox", "--world", "fedora", "--port", "0", "--time-scale", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("AWS_ENDPOINT_URL="), line
        yield Sandbox(proc, line.split("=", 1)[1])
    finally:
        stop(proc)


def error_code(exc):
    return exc.response["Error"]["Code"]
