"""What the interop tests share: the amipub binary, a sandbox process, a RabbitMQ vhost of the
test's own, and a child process's stderr read line by line."""

import os
import socket
import subprocess
import threading
import time
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


