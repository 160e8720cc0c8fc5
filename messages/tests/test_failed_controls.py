"""The optional `failed_controls` of `amipub.release.failed.v1` (added in 1.1.0): a failed scan's
message names each failed AWS Marketplace AMI security control with its remedy, a message
without the field still validates, and a malformed list is refused by the schema."""

import jsonschema
import pytest

import amipub_messages

BODY = {
    "architecture": "x86_64", "regions": {}, "product": "p", "version_title": "1",
    "release_id": "r-0123456789ab", "step": "scanning", "kind": "scan_failed",
    "detail": "The scan found problems. Failed AMI security controls: SUDO_USER.",
    "remedy": "Fix each failed control in the image.",
}


def test_failed_controls_are_named_with_their_remedies():
    msg = amipub_messages.ReleaseFailedV1(body=dict(BODY, failed_controls=[
        {"control": "SUDO_USER", "remedy": "Add a sudo user. (AMI_ID ami-0123456789abcdef0)"},
        {"control": "SSH_ROOT_LOGIN", "remedy": "Lock root's password."},
    ]))
    msg.validate()
    assert msg.failed_controls == [
        ("SUDO_USER", "Add a sudo user. (AMI_ID ami-0123456789abcdef0)"),
        ("SSH_ROOT_LOGIN", "Lock root's password."),
    ]
    text = str(msg)
    assert "Failed controls:" in text and "SSH_ROOT_LOGIN: Lock root's password." in text


def test_a_message_without_failed_controls_still_validates():
    msg = amipub_messages.ReleaseFailedV1(body=dict(BODY))
    msg.validate()
    assert msg.failed_controls == []
    assert "Failed controls" not in str(msg)


@pytest.mark.parametrize("bad", [
    [{"remedy": "no control"}],
    [{"control": "", "remedy": "empty id"}],
    "SUDO_USER",
])
def test_malformed_failed_controls_are_refused(bad):
    with pytest.raises(jsonschema.exceptions.ValidationError):
        amipub_messages.ReleaseFailedV1(body=dict(BODY, failed_controls=bad)).validate()
