"""A running `amipub serve` (engine worker, no bus) with its console, on the sandbox: the
fixture the browser test and the API schema test share.

Needs: the amipub binary (AMIPUB_BIN or the cargo target dir). scripts/test builds it and
installs the rest (Chromium, chromedriver, selenium, schemathesis).
"""

import json
import os
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]
SOURCE_AMI = "ami-06b2596588ff27750"
BUILD_VARS = ["--var", "release=41", "--var", "compose_id=Fedora-41-20241027.0",
              "--var", "subvariant=Cloud_Base", "--var", "image_name=Fedora-Cloud-Base-AmazonEC2.x86_64-41-1.4"]
PRODUCT = 'id = "prod-fedoracbx8664"\nproduct_code = "fedoracloudbasex8664code0"\noffer_id = "offer-fedoracbx8664"\n'
# A title as hostile as a spec can carry: it must show as text, never run.
EVIL_TITLE = 'Fedora <script>alert(1)</script><img src=x onerror=alert(2)>'
OPERATOR_TOKEN = "op-" + "7f3a9c" * 6
VIEWER_TOKEN = "view-" + "5b1e2d" * 6
# Fast enough for a release in about 20 s, slow enough to see it run.
TIME_SCALE = 300
# While a test must see a release still running: a copy takes 30 s of real time.
SLOW_SCALE = 20
# The longest any release of these tests may take, real seconds: thirty times what one takes
# on a quiet machine, for a busy CI machine.
RELEASE_WITHIN = 600


def amipub_binary():
    explicit = os.environ.get("AMIPUB_BIN")
    if explicit:
        return explicit
    target = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target"))
    return str(Path(target) / "debug" / "amipub")


def artefacts_dir():
    """Where screenshots are kept for people to look at after the run."""
    explicit = os.environ.get("AMIPUB_ARTEFACTS")
    target = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target"))
    path = Path(explicit) if explicit else Path(target) / "artefacts" / "console"
    path.mkdir(parents=True, exist_ok=True)
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lines:
    """Collects a process's output lines in a thread."""

    def __init__(self, stream):
        self.lines = []
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream):
        for line in stream:
            self.lines.append(line.rstrip())

    def text(self):
        return "\n".join(self.lines[-200:])

    def first(self, prefix, timeout):
        """The rest of the first line that starts with `prefix`."""
        end = time.time() + timeout
        while time.time() < end:
            for line in self.lines:
                if line.startswith(prefix):
                    return line[len(prefix):]
            time.sleep(0.1)
        raise AssertionError(f"no {prefix!r} line within {timeout} s:\n" + self.text())


def stop(proc):
    """Ends a child process for good: no process outlives the tests."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Service:
    """The sandbox, an amipub home and `amipub serve` on it."""

    def __init__(self, home, endpoint, url, serve_log):
        self.home = home
        self.endpoint = endpoint
        self.url = url
        self.serve_log = serve_log

    def admin(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.endpoint + path, data=data, method=method,
                                     headers={"content-type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read() or b"null")

    def publish(self, version):
        """Records a release of the sample build as `version` for the workers; its id."""
        out = subprocess.run(
            [amipub_binary(), "publish", "--detach", "--config", str(self.home / "amipub.toml"),
             "--product", str(self.home / "products/fedora.toml"), "--ami", SOURCE_AMI,
             "--version", version, *BUILD_VARS],
            capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        for word in (out.stdout + out.stderr).split():
            word = word.strip(".,:;()")
            if word.startswith("r-") and len(word) == 14:
                return word
        raise AssertionError(f"no release id in:\n{out.stdout}\n{out.stderr}")

    def api(self, path, token=None):
        headers = {"authorization": f"Bearer {token}"} if token else {}
        req = urllib.request.Request(self.url + path, headers=headers)
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())


def write_home(home, endpoint):
    (home / "products").mkdir()
    spec = (ROOT / "examples/products/fedora-cloud-base.toml").read_text()
    spec = spec.replace("[product]\n", "[product]\n" + PRODUCT, 1)
    spec = spec.replace('title = "Fedora Cloud Base (x86_64)"', f"title = {json.dumps(EVIL_TITLE)}", 1)
    (home / "products/fedora.toml").write_text(spec)
    (home / "tokens").write_text(f"alice operator {OPERATOR_TOKEN}\nbob viewer {VIEWER_TOKEN}\n")
    (home / "amipub.toml").write_text(f"""products_dir = "{home}/products"
feed_file = "{home}/feed.json"
[store]
url = "sqlite://{home}/amipub.db"
[partitions.aws]
account_id = "111122223333"
ingestion_role = "arn:aws:iam::111122223333:role/AwsMarketplaceAmiIngestion"
[partitions.aws-us-gov]
account_id = "222233334444"
[trust]
build_accounts = ["125523088429"]
[endpoints]
url = "{endpoint}"
[console]
tokens_file = "{home}/tokens"
""")


def wait_until(check, timeout, what, retry_on=()):
    """Calls `check` until it is true; errors of a page being reloaded (`retry_on`) or of a
    service not answering yet count as not yet."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            if check():
                return
        except (urllib.error.URLError, ConnectionError, OSError, *retry_on):
            pass
        time.sleep(0.3)
    raise AssertionError(f"{what} not within {timeout} s")


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    binary = amipub_binary()
    if not Path(binary).exists():
        pytest.fail(f"{binary} does not exist: run cargo build first (or set AMIPUB_BIN)")
    home = tmp_path_factory.mktemp("home")
    sandbox = subprocess.Popen([binary, "sandbox", "--world", "fedora", "--port", "0",
                                "--time-scale", str(TIME_SCALE)],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    serve = None
    try:
        # Read in a thread, so a chatty sandbox never fills its pipe.
        endpoint = Lines(sandbox.stdout).first("AWS_ENDPOINT_URL=", 60).strip()
        write_home(home, endpoint)
        port = free_port()
        env = dict(os.environ, AWS_ACCESS_KEY_ID="sandbox", AWS_SECRET_ACCESS_KEY="sandbox")
        env.pop("AMIPUB_CONSOLE_TOKEN", None)
        serve = subprocess.Popen([binary, "serve", "--config", str(home / "amipub.toml"),
                                  "--listen", f"127.0.0.1:{port}"],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        log = Lines(serve.stdout)
        svc = Service(home, endpoint, f"http://127.0.0.1:{port}", log)
        wait_until(lambda: svc.api("/api/v1/releases") is not None, 60, "the console")
        yield svc
    finally:
        if serve is not None:
            stop(serve)
        stop(sandbox)
