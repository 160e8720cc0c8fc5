"""The admin API: state, request log, virtual time, save and load."""

from conftest import FEDORA_41_X86_US_EAST_1


def test_state_survives_save_and_load(sandbox, tmp_path):
    ec2 = sandbox.client("ec2")
    copied = ec2.copy_image(SourceImageId=FEDORA_41_X86_US_EAST_1, SourceRegion="us-east-1", Name="kept")["ImageId"]
    state = sandbox.admin("GET", "/_sandbox/state")
    assert state["images"]["pending"] == 1
    path = tmp_path / "state.json"
    sandbox.admin("POST", "/_sandbox/save", {"path": str(path)})
    ec2.deregister_image(ImageId=copied)
    sandbox.admin("POST", "/_sandbox/load", {"path": str(path)})
    assert ec2.describe_images(ImageIds=[copied])["Images"][0]["Name"] == "kept"


def test_request_log_records_errors(sandbox):
    ec2 = sandbox.client("ec2")
    try:
        ec2.describe_images(ImageIds=["ami-0000000000000000f"])
    except Exception:
        pass
    log = sandbox.admin("GET", "/_sandbox/requests?operation=DescribeImages")["requests"]
    assert log[-1]["error"] == "InvalidAMIID.NotFound" and log[-1]["status"] == 400
    assert log[-1]["account"] == "111122223333" and log[-1]["region"] == "us-east-1"
