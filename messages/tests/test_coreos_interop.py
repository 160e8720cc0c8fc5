"""Fedora CoreOS with code amipub did not write, across crashes of the sender: fedora-messaging
publishes `coreos.stream.metadata.update` for `stable` (a release, a newer one, then back to
the first), `amipub serve` reads the stream's metadata from a stand-in server and releases or
rolls back against the sandbox. The sender is killed with SIGKILL right after the broker
confirmed the `restricted` announcement, and again after the `alias-moved` one, before either
is marked sent; each restart sends it again under the same message id. fedora-messaging reads
every announcement back, validating it against our schemas through their entry points: each
announcement arrives, and no announcement has two ids.

Needs what test_interop.py needs.
"""

import json
import os
import signal
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pika
from fedora_messaging import api, config, message

import amipub_messages
from conftest import ROOT, Lines, amipub_binary, free_port, stop, write_config

BUILDER = "125523088429"
OLD, NEW = "41.20241027.3.0", "41.20241109.3.0"
PRODUCT = 'id = "prod-fedoracbx8664"\nproduct_code = "fedoracloudbasex8664code0"\noffer_id = "offer-fedoracbx8664"\n'
TOPIC = "coreos.stream.metadata.update"


def source_ami(endpoint, release):
    body = json.dumps({"owner": BUILDER, "region": "us-east-1", "public": True,
                       "name": f"fedora-coreos-{release}-aws.x86_64"}).encode()
    req = urllib.request.Request(f"{endpoint}/_sandbox/images", data=body, method="POST",
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)["image_id"]


class Streams:
    """Serves /streams/stable.json: the stream at the release last set."""

    def __init__(self):
        self.doc = "{}"
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                known = self.path == "/streams/stable.json"
                data = (outer.doc if known else "{}").encode()
                self.send_response(200 if known else 404)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/streams/{{stream}}.json"

    def at(self, release, ami):
        self.doc = json.dumps({"stream": "stable", "metadata": {"last-modified": "2024-11-12T16:02:56Z"},
                               "architectures": {"x86_64": {"artifacts": {}, "images": {"aws": {"regions": {
                                   "us-east-1": {"release": release, "image": ami}}}}}}})


def coreos_spec():
    spec = (ROOT / "examples/products/fedora-cloud-base.toml").read_text()
    start = spec.index("release_notes_template")
    end = spec.index('"""\n\n', start) + 4
    spec = spec[:start] + 'release_notes_template = "Fedora CoreOS {release} ({arch})."\n' + spec[end:]
    for old, new in [
        ('topic = "org.fedoraproject.prod.fedora_image_uploader.published.v1.aws.#"',
         f'topic = "org.fedoraproject.prod.{TOPIC}"\nstream = "stable"'),
        ('title_template = "{release}.{compose_date}"', 'title_template = "{release}"'),
        ('versioned = "/fedora/cloud/{release}/{arch}/{version}"',
         'versioned = "/fedora/coreos/{stream}/{arch}/{version}"'),
        ('latest = "/fedora/cloud/{release}/{arch}/latest"', 'latest = "/fedora/coreos/{stream}/{arch}/latest"'),
        ("keep_latest = 3", "keep_latest = 2"),
    ]:
        assert old in spec, old
        spec = spec.replace(old, new)
    return spec.replace("[product]\n", "[product]\n" + PRODUCT, 1)


def write_home(tmp_path, endpoint, vhost, streams):
    (tmp_path / "products").mkdir()
    (tmp_path / "products/fcos.toml").write_text(coreos_spec())
    extra = f'[coreos]\nstream_url = "{streams.url}"\nstreams_dir = "{tmp_path}/streams"\n'
    write_config(tmp_path, endpoint, vhost, "org.fedoraproject.prod.coreos.#", extra)


class Serve:
    """`amipub serve`, optionally stopping for good after the broker confirmed an announcement
    of `halt_schema` (then killed with SIGKILL)."""

    def __init__(self, tmp_path, halt_schema=None):
        env = dict(os.environ, AMIPUB_BUS_PASSWORD="guest")
        env.pop("AMIPUB_TEST_HALT_AT", None)
        if halt_schema:
            env["AMIPUB_TEST_HALT_AT"] = f"outbox:confirmed:{halt_schema}"
        self.proc = subprocess.Popen(
            [amipub_binary(), "serve", "--config", str(tmp_path / "amipub.toml"),
             "--listen", f"127.0.0.1:{free_port()}"],
            cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True)
        self.log = Lines(self.proc.stderr)
        self.log.wait_for("consuming", 60)

    def kill_when_halted(self, timeout):
        self.log.wait_for("halted at", timeout)
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=60)
        finally:
            stop(self.proc)


class Watch:
    """Reads amipub's announcements with fedora-messaging's own decoding (schema class by
    header, body validated), keeping every copy."""

    def __init__(self, vhost):
        params = pika.URLParameters(f"amqp://guest:guest@127.0.0.1:5672/{urllib.parse.quote(vhost, safe='')}")
        self.conn = pika.BlockingConnection(params)
        self.ch = self.conn.channel()
        self.ch.queue_declare("watch", durable=True)
        self.ch.queue_bind("watch", "amq.topic", "org.fedoraproject.prod.amipub.#")
        self.got = []

    def wait_for(self, done, timeout):
        """Reads announcements until `done(got)` or `timeout` seconds; whether it is done."""
        end = time.time() + timeout
        while time.time() < end and not done(self.got):
            method, props, body = self.ch.basic_get("watch", auto_ack=True)
            if method is None:
                time.sleep(0.2)
                continue
            self.got.append((props.message_id, message.get_message(method.routing_key, props, body)))
        return done(self.got)

    def until(self, done, timeout, log):
        assert self.wait_for(done, timeout), "\n".join(log.lines)

    def of(self, cls):
        return [(i, m) for i, m in self.got if type(m) is cls]


def test_new_announcements_validate_and_survive_a_killed_sender(tmp_path, sandbox, vhost):
    streams = Streams()
    old_ami, new_ami = source_ami(sandbox, OLD), source_ami(sandbox, NEW)
    write_home(tmp_path, sandbox, vhost, streams)
    config.conf.load_config(str(tmp_path / "fedora-messaging.toml"))
    watch = Watch(vhost)
    update = lambda: api.publish(message.Message(topic=TOPIC, body={"stream": "stable"}))
    try:
        serve = Serve(tmp_path, halt_schema="amipub.release.restricted.v1")
        streams.at(OLD, old_ami)
        update()
        watch.until(lambda g: any(type(m) is amipub_messages.ReleasePublishedV1 for _, m in g), 120, serve.log)
        streams.at(NEW, new_ami)
        update()
        serve.kill_when_halted(120)

        serve = Serve(tmp_path, halt_schema="amipub.release.alias-moved.v1")
        watch.until(lambda g: len(watch.of(amipub_messages.ReleaseRestrictedV1)) >= 2, 60, serve.log)
        streams.at(OLD, old_ami)
        update()
        serve.kill_when_halted(120)

        serve = Serve(tmp_path)
        watch.until(lambda g: len(watch.of(amipub_messages.ReleaseAliasMovedV1)) >= 2, 60, serve.log)
        assert serve.stop() == 0

        restricted = watch.of(amipub_messages.ReleaseRestrictedV1)
        moved = watch.of(amipub_messages.ReleaseAliasMovedV1)
        # Sent again after each kill, under the same id: one announcement each.
        assert len({i for i, _ in restricted}) == 1, restricted
        assert len({i for i, _ in moved}) == 1, moved
        r = restricted[0][1]
        assert r.restricted_versions == ["40.20240416.0"]
        assert r.replacement["version_title"] == NEW
        assert r.summary.endswith(f"use {NEW}")
        m = moved[0][1]
        assert m.reason == "rollback" and m.alias == "latest" and m.version_title == OLD
        assert m.summary.startswith("amipub rolled back")
        assert all(new.startswith("ami-") and old.startswith("ami-") for old, new in m.moves.values())
        published = watch.of(amipub_messages.ReleasePublishedV1)
        assert sorted({p.version_title for _, p in published}) == [OLD, NEW]
        assert all(p.body["stream"] == "stable" for _, p in published)
    finally:
        watch.conn.close()
        streams.server.shutdown()
