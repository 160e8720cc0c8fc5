"""Retention's announcements with code amipub did not write, across a crash of the sender: with
`keep_latest = 1` and no grace period, Fedora CoreOS's `stable` moves to a release, then to a
newer one (whose change set restricts the first); `amipub apply --detach` asks for the listing
sync that retires the first release's seller-side copy, and `amipub serve` runs it. The sender
is killed with SIGKILL right after the broker confirmed the `image-retired` announcement, before
it is marked sent; the restart sends it again under the same message id. A second sync deletes
the copy, announced once. fedora-messaging reads each announcement back, validated against our
schema through its entry point.

Needs what test_interop.py needs.
"""

import subprocess

from fedora_messaging import api, config, message

import amipub_messages
from conftest import amipub_binary
from test_coreos_interop import TOPIC, Serve, Streams, Watch, coreos_spec, source_ami, write_home

FIRST, SECOND = "41.20241027.3.0", "41.20241109.3.0"


def retained_spec():
    spec = coreos_spec()
    for old, new in [("keep_latest = 2", "keep_latest = 1"), ("grace_days = 90", "grace_days = 0")]:
        assert old in spec, old
        spec = spec.replace(old, new)
    return spec


def amipub(tmp_path, *args):
    done = subprocess.run(
        [amipub_binary(), *args, "--config", str(tmp_path / "amipub.toml"),
         "--product", str(tmp_path / "products/fcos.toml")],
        cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def sync(tmp_path):
    """`amipub apply --detach`: records the sync job (with retention cleanup) for serve, the
    listing's content approved first (the spec's differs from the sandbox's seeded listing)."""
    amipub(tmp_path, "approve", "--reference", "https://pagure.io/fedora-websites/issue/1234")
    amipub(tmp_path, "apply", "--detach")


def test_image_retired_validates_and_survives_a_killed_sender(tmp_path, sandbox, vhost):
    streams = Streams()
    first, second = source_ami(sandbox, FIRST), source_ami(sandbox, SECOND)
    write_home(tmp_path, sandbox, vhost, streams)
    (tmp_path / "products/fcos.toml").write_text(retained_spec())
    config.conf.load_config(str(tmp_path / "fedora-messaging.toml"))
    watch = Watch(vhost)
    update = lambda: api.publish(message.Message(topic=TOPIC, body={"stream": "stable"}))
    published = lambda n: lambda g: len(watch.of(amipub_messages.ReleasePublishedV1)) >= n
    retired = lambda action: [(i, m) for i, m in watch.of(amipub_messages.ReleaseImageRetiredV1)
                              if m.action == action]
    try:
        serve = Serve(tmp_path, halt_schema="amipub.release.image-retired.v1")
        streams.at(FIRST, first)
        update()
        watch.until(published(1), 120, serve.log)
        streams.at(SECOND, second)
        update()
        watch.until(published(2), 120, serve.log)
        sync(tmp_path)
        serve.kill_when_halted(120)

        serve = Serve(tmp_path)
        watch.until(lambda g: len(retired("retired")) >= 2, 60, serve.log)
        # The first sync may still be finishing after the restart: asking again while it is in
        # flight records nothing new, so ask until a sync deletes the copy (a bounded number of
        # times).
        for _ in range(6):
            sync(tmp_path)
            if watch.wait_for(lambda g: retired("deleted"), 20):
                break
        watch.until(lambda g: retired("deleted"), 1, serve.log)
        assert serve.stop() == 0
        watch.wait_for(lambda g: False, 2)  # reads the rest: a second `deleted` would count

        # Sent again after the kill, under the same id: one announcement.
        once = retired("retired")
        assert len({i for i, _ in once}) == 1, once
        gone = retired("deleted")
        assert len(gone) == 1, gone
        r, d = once[0][1], gone[0][1]
        first_release = next(p for _, p in watch.of(amipub_messages.ReleasePublishedV1)
                             if p.version_title == FIRST)
        assert r.release_id == first_release.release_id
        assert r.body["version_title"] == FIRST
        assert r.ami == d.ami and r.ami.startswith("ami-")
        assert r.body["deprecate_at"] and r.summary.startswith("amipub retired ")
        assert d.summary.startswith("amipub deleted ") and d.body["snapshots"]
    finally:
        watch.conn.close()
        streams.server.shutdown()
