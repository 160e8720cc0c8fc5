"""The examples in docs/usage/bus.md are real messages: each block marked
`<!-- example: SCHEMA -->` validates against that schema with fedora-messaging, through the
class its entry point names, and a broken copy of each is refused."""

import copy
import re

import jsonschema
import pytest
from fedora_messaging import message

from conftest import ROOT

DOC = (ROOT / "docs/usage/bus.md").read_text()
EXAMPLES = re.findall(r"<!-- example: ([a-z0-9.\-]+) -->\n```json\n(.*?)\n```", DOC, re.S)


def test_each_new_announcement_has_an_example():
    assert {name for name, _ in EXAMPLES} >= {
        "amipub.release.restricted.v1",
        "amipub.release.alias-moved.v1",
        "amipub.release.awaiting-submission.v1",
        "amipub.release.image-retired.v1",
    }


@pytest.mark.parametrize("name,text", EXAMPLES, ids=[n for n, _ in EXAMPLES])
def test_the_example_validates_with_fedora_messaging(name, text):
    import json

    body = json.loads(text)
    cls = message.get_class(name)
    assert cls.topic == name, f"no class registered for {name}: install ./messages"
    msg = cls(body=body)
    msg.validate()
    assert msg.summary and msg.app_name == "amipub"
    broken = copy.deepcopy(body)
    del broken[sorted(cls.body_schema["required"])[0]]
    with pytest.raises(jsonschema.exceptions.ValidationError):
        cls(body=broken).validate()
