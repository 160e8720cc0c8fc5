"""What the interop tests share: the amipub binary, a sandbox process, a RabbitMQ vhost of the
test's own, and a child process's stderr read line by line."""

import os
import socket
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def amipub_binary():
    explicit = os.environ.get("AMIPUB_BIN")
    if explicit:
        return explicit
    target = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target"))
    return str(Path(target) / "debug" / "amipub")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lines:
    """Collects a process's stderr lines in a thread."""

    def __init__(self, stream):
        self.lines = []
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream):
        for line in stream:
            self.lines.append(line.rstrip())

    def wait_for(self, text, timeout):
        end = time.time() + timeout
        while time.time() < end:
            if any(text in l for l in self.lines):
                return
            time.sleep(0.1)
        raise AssertionError(f"no {text!r} within {timeout} s:\n" + "\n".join(self.lines))


def stop(proc):
    """Ends a child process for good, even when it ignores SIGTERM: no process outlives a test."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def vhost():
    name = f"amipub-interop-{os.getpid()}"
    subprocess.run(["rabbitmqctl", "delete_vhost", name], capture_output=True)
    subprocess.run(["rabbitmqctl", "add_vhost", name], check=True, capture_output=True)
    subprocess.run(["rabbitmqctl", "set_permissions", "-p", name, "guest", ".*", ".*", ".*"],
                   check=True, capture_output=True)
    yield name
    subprocess.run(["rabbitmqctl", "delete_vhost", name], capture_output=True)


@pytest.fixture
def sandbox():
    binary = amipub_binary()
    if not Path(binary).exists():
        pytest.fail(f"{binary} does not exist: run cargo build first (or set AMIPUB_BIN)")
    proc = subprocess.Popen([binary, "sandbox", "--world", "fedora", "--port", "0", "--time-scale", "3000"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("AWS_ENDPOINT_URL="), line
        yield line.split("=", 1)[1]
    finally:
        stop(proc)




def write_config(tmp_path, endpoint, vhost, binding, extra=""):
    """amipub.toml of a home in `tmp_path` on the sandbox at `endpoint` and the test's vhost,
    bound to `binding` (plus `extra` TOML), and fedora-messaging.toml for the same vhost."""
    (tmp_path / "amipub.toml").write_text(f"""products_dir = "{tmp_path}/products"
feed_file = "{tmp_path}/feed.json"
[store]
url = "sqlite://{tmp_path}/amipub.db"
[partitions.aws]
account_id = "111122223333"
ingestion_role = "arn:aws:iam::111122223333:role/AwsMarketplaceAmiIngestion"
[partitions.aws-us-gov]
account_id = "222233334444"
[trust]
build_accounts = ["125523088429"]
[endpoints]
url = "{endpoint}"
[bus]
url = "amqp://guest@127.0.0.1:5672/{vhost}"
password_env = "AMIPUB_BUS_PASSWORD"
bindings = ["{binding}"]
topic_prefix = "org.fedoraproject.prod."
{extra}""")
    quoted = urllib.parse.quote(vhost, safe="")
    (tmp_path / "fedora-messaging.toml").write_text(f"""amqp_url = "amqp://guest:guest@127.0.0.1:5672/{quoted}"
publish_exchange = "amq.topic"
topic_prefix = "org.fedoraproject.prod"
""")
