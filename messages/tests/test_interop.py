"""Interop with code amipub did not write: the real fedora-messaging library publishes a build
announcement with the fedora_image_uploader_messages schema class, `amipub serve` (with the
sandbox behind it) turns it into a release, and fedora-messaging reads amipub's announcements
back, finding our classes through their entry points and validating each body against our
schemas.

Needs: the amipub binary (AMIPUB_BIN or the cargo target dir), RabbitMQ on 127.0.0.1:5672 with
guest/guest, rabbitmqctl. scripts/test provides all three.
"""

import json
import os
import signal
import subprocess
import time
import urllib.parse
from pathlib import Path

import jsonschema
import pika
import pytest
from fedora_image_uploader_messages import AwsPublishedV1
from fedora_messaging import api, config, message

import amipub_messages
from conftest import Lines, amipub_binary, free_port, stop, write_config

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "fixtures/fedora-messaging/aws-published-cloud-base-41-x86_64.json"
PRODUCT = 'id = "prod-fedoracbx8664"\nproduct_code = "fedoracloudbasex8664code0"\noffer_id = "offer-fedoracbx8664"\n'


def write_home(tmp_path, endpoint, vhost):
    (tmp_path / "products").mkdir()
    spec = (ROOT / "examples/products/fedora-cloud-base.toml").read_text()
    (tmp_path / "products/fedora.toml").write_text(spec.replace("[product]\n", "[product]\n" + PRODUCT, 1))
    write_config(tmp_path, endpoint, vhost, "org.fedoraproject.prod.fedora_image_uploader.published.v1.aws.#")


def test_fedora_messaging_in_and_out(tmp_path, sandbox, vhost):
    write_home(tmp_path, sandbox, vhost)
    params = pika.URLParameters(f"amqp://guest:guest@127.0.0.1:5672/{urllib.parse.quote(vhost, safe='')}")
    conn = pika.BlockingConnection(params)
    ch = conn.channel()
    ch.queue_declare("watch", durable=True)
    ch.queue_bind("watch", "amq.topic", "org.fedoraproject.prod.amipub.#")

    env = dict(os.environ, AMIPUB_BUS_PASSWORD="guest")
    serve = subprocess.Popen([amipub_binary(), "serve", "--config", str(tmp_path / "amipub.toml"),
                              "--listen", f"127.0.0.1:{free_port()}"],
                             cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        log = Lines(serve.stderr)
        log.wait_for("consuming", 60)

        # The build announcement, as Fedora's image uploader sends it.
        config.conf.load_config(str(tmp_path / "fedora-messaging.toml"))
        fixture = json.loads(FIXTURE.read_text())
        inbound = AwsPublishedV1(topic="fedora_image_uploader.published.v1.aws.Cloud_Base.41.x86_64",
                                 body=fixture["body"])
        api.publish(inbound)

        got = {}
        end = time.time() + 180
        while time.time() < end and amipub_messages.ReleasePublishedV1 not in got:
            method, props, body = ch.basic_get("watch", auto_ack=True)
            if method is None:
                time.sleep(0.2)
                continue
            # The library's own decoding: schema class by header, body validated against it.
            msg = message.get_message(method.routing_key, props, body)
            got[type(msg)] = msg
        assert amipub_messages.ReleasePublishedV1 in got, "\n".join(log.lines)

        published = got[amipub_messages.ReleasePublishedV1]
        assert published.topic == "org.fedoraproject.prod.amipub.release.published.v1"
        assert published.body["image_name"] == fixture["body"]["image_name"]
        assert published.body["regions"] == {"us-east-1": fixture["body"]["regions"]["us-east-1"]}
        regions = published.marketplace_regions
        assert "us-east-1" in regions and len(regions) >= 20
        assert all(ami.startswith("ami-") for ami in regions.values())
        assert published.summary.startswith("amipub published fedora-cloud-base-x86-64 41.")
        assert published.severity == message.INFO
        assert published.app_name == "amipub"
        submitted = got[amipub_messages.ReleaseSubmittedV1]
        assert submitted.body["release_id"] == published.release_id

        # The schema package refuses what amipub must never send.
        broken = dict(published.body)
        del broken["marketplace_regions"]
        with pytest.raises(jsonschema.exceptions.ValidationError):
            amipub_messages.ReleasePublishedV1(body=broken).validate()
        with pytest.raises(jsonschema.exceptions.ValidationError):
            amipub_messages.ReleasePublishedV1(body=dict(published.body, release_id="r-1")).validate()
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            code = serve.wait(timeout=60)
        finally:
            stop(serve)
            conn.close()
        assert code == 0


def test_every_schema_loads_and_names_its_class():
    for cls in (amipub_messages.ReleasePublishedV1, amipub_messages.ReleaseSubmittedV1,
                amipub_messages.ReleaseFailedV1):
        assert cls.body_schema["title"] == cls.topic
        jsonschema.Draft201909Validator.check_schema(cls.body_schema)
    failed = amipub_messages.ReleaseFailedV1(body={
        "architecture": "x86_64", "regions": {}, "product": "p", "version_title": "1",
        "release_id": "r-0123456789ab", "step": "scanning", "kind": "scan_failed",
        "detail": "The scan found a problem", "remedy": "Fix the image and retry"})
    failed.validate()
    assert failed.severity == message.ERROR
    assert "scan_failed" in failed.summary
