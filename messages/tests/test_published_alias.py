"""The optional `ami_alias` of `amipub.release.published.v1` (added in 1.1.0): the version's AMI
alias, the public SSM parameter AWS Marketplace keeps for it in every Region of the listing
(https://docs.aws.amazon.com/marketplace/latest/buyerguide/buyer-ami-aliases.html), so a
consumer can launch with `resolve:ssm:`. A message without it still validates; a value that is
not a Marketplace alias is refused."""

import jsonschema
import pytest

import amipub_messages

ALIAS = "/aws/service/marketplace/prod-fedoracbx8664/41.20241027.0"
BODY = {
    "architecture": "x86_64", "regions": {"us-east-1": "ami-06b2596588ff27750"}, "product": "p",
    "version_title": "41.20241027.0", "release_id": "r-0123456789ab",
    "marketplace_regions": {"us-east-1": "ami-0123456789abcdef0"}, "ssm_parameters": [],
}


def test_the_alias_is_carried_and_shown_as_a_launch_hint():
    msg = amipub_messages.ReleasePublishedV1(body=dict(BODY, ami_alias=ALIAS))
    msg.validate()
    assert msg.ami_alias == ALIAS
    assert f"resolve:ssm:{ALIAS}" in str(msg)


@pytest.mark.parametrize("body", [dict(BODY), dict(BODY, ami_alias=None)])
def test_a_message_without_an_alias_still_validates(body):
    msg = amipub_messages.ReleasePublishedV1(body=body)
    msg.validate()
    assert msg.ami_alias is None
    assert "resolve:ssm" not in str(msg)


@pytest.mark.parametrize("bad", ["/fedora/cloud/41/x86_64/latest", 41])
def test_an_alias_outside_the_marketplace_namespace_is_refused(bad):
    with pytest.raises(jsonschema.exceptions.ValidationError):
        amipub_messages.ReleasePublishedV1(body=dict(BODY, ami_alias=bad)).validate()
