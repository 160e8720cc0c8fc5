"""EC2 through boto3 and the AWS CLI: DescribeImages, CopyImage, sharing, snapshots, Regions."""

import pytest
from botocore.exceptions import ClientError

from conftest import BUILD, BUILD_KEY, BUYER, BUYER_KEY, FEDORA_41_X86_US_EAST_1, GOV_SELLER_KEY, SELLER, error_code


def test_describe_images_by_owner_and_filters(sandbox):
    ec2 = sandbox.client("ec2")
    images = ec2.describe_images(Owners=[BUILD], Filters=[{"Name": "name", "Values": ["Fedora-Cloud-Base-AmazonEC2.x86_64-41*"]}])["Images"]
    assert [i["ImageId"] for i in images] == [FEDORA_41_X86_US_EAST_1]
    img = images[0]
    assert img["State"] == "available" and img["Public"] is True
    assert img["Architecture"] == "x86_64" and img["VirtualizationType"] == "hvm"
    assert img["RootDeviceType"] == "ebs" and img["EnaSupport"] is True
    assert img["BlockDeviceMappings"][0]["Ebs"]["Encrypted"] is False
    arm = ec2.describe_images(Owners=[BUILD], Filters=[{"Name": "architecture", "Values": ["arm64"]}])["Images"]
    assert arm and all(i["Architecture"] == "arm64" for i in arm)
    mine = ec2.describe_images(Owners=["self"])["Images"]
    assert mine and all(i["OwnerId"] == SELLER and not i["Public"] for i in mine)
    marketplace = ec2.describe_images(Owners=["aws-marketplace"])["Images"]
    assert marketplace and all(i["ImageOwnerAlias"] == "aws-marketplace" and i["ProductCodes"] for i in marketplace)


def test_describe_images_errors_have_ec2_codes(sandbox):
    ec2 = sandbox.client("ec2")
    with pytest.raises(ClientError) as e:
        ec2.describe_images(ImageIds=["ami-0000000000000000f"])
    assert error_code(e.value) == "InvalidAMIID.NotFound"
    with pytest.raises(ClientError) as e:
        ec2.describe_images(ImageIds=["ami-xyz"])
    assert error_code(e.value) == "InvalidAMIID.Malformed"
    with pytest.raises(ClientError) as e:
        ec2.describe_images(Filters=[{"Name": "colour", "Values": ["blue"]}])
    assert error_code(e.value) == "InvalidParameterValue"
    err = sandbox.cli("ec2", "describe-images", "--image-ids", "ami-0000000000000000f", check=False)
    assert "InvalidAMIID.NotFound" in err


def test_describe_images_paginates(sandbox):
    for n in range(8):
        sandbox.admin("POST", "/_sandbox/images", {"owner": BUILD, "region": "us-east-1", "name": f"extra-{n}", "public": True})
    ec2 = sandbox.client("ec2")
    every = ec2.describe_images(Owners=[BUILD])["Images"]
    pages = list(ec2.get_paginator("describe_images").paginate(Owners=[BUILD], PaginationConfig={"PageSize": 5}))
    assert len(every) == 13 and len(pages) == 3
    assert sorted(i["ImageId"] for p in pages for i in p["Images"]) == sorted(i["ImageId"] for i in every)


def test_copy_image_is_pending_then_available_and_idempotent(sandbox):
    ec2 = sandbox.client("ec2")
    args = dict(SourceImageId=FEDORA_41_X86_US_EAST_1, SourceRegion="us-east-1", Name="mirror-41",
                ClientToken="release-1-mirror", CopyImageTags=True,
                TagSpecifications=[{"ResourceType": "image", "Tags": [{"Key": "amipub:release", "Value": "r1"}]}])
    first = ec2.copy_image(**args)["ImageId"]
    assert ec2.copy_image(**args)["ImageId"] == first
    img = ec2.describe_images(ImageIds=[first])["Images"][0]
    assert img["State"] == "pending" and img["OwnerId"] == SELLER
    assert img["SourceImageId"] == FEDORA_41_X86_US_EAST_1
    assert {"Key": "amipub:release", "Value": "r1"} in img["Tags"]
    found = ec2.describe_images(Filters=[{"Name": "tag:amipub:release", "Values": ["r1"]}])["Images"]
    assert [i["ImageId"] for i in found] == [first]
    sandbox.advance(600)
    assert ec2.describe_images(ImageIds=[first])["Images"][0]["State"] == "available"
    with pytest.raises(ClientError) as e:
        ec2.copy_image(**{**args, "Name": "other-name"})
    assert error_code(e.value) == "IdempotentParameterMismatch"
    assert len(sandbox.admin("GET", "/_sandbox/requests?operation=CopyImage")["requests"]) == 3


def test_copy_image_across_regions_and_partitions(sandbox):
    ec2_west = sandbox.client("ec2", region="eu-west-1")
    copied = ec2_west.copy_image(SourceImageId=FEDORA_41_X86_US_EAST_1, SourceRegion="us-east-1", Name="to-eu")["ImageId"]
    assert ec2_west.describe_images(ImageIds=[copied])["Images"][0]["State"] == "pending"
    # Commercial credentials are unknown in GovCloud, as on AWS.
    with pytest.raises(ClientError) as e:
        sandbox.client("ec2", region="us-gov-west-1").describe_images(Owners=["self"])
    assert error_code(e.value) == "AuthFailure"
    # With GovCloud credentials, a copy from a commercial Region is still refused.
    gov = sandbox.client("ec2", key=GOV_SELLER_KEY, region="us-gov-west-1")
    with pytest.raises(ClientError) as e:
        gov.copy_image(SourceImageId=FEDORA_41_X86_US_EAST_1, SourceRegion="us-east-1", Name="to-gov")
    assert error_code(e.value) == "InvalidRequest"
    assert "partition" in e.value.response["Error"]["Message"]


def test_cross_account_copy_needs_sharing(sandbox):
    private = sandbox.admin("POST", "/_sandbox/images", {"owner": BUYER, "region": "us-east-1", "name": "private-build"})
    ami, snap = private["image_id"], private["snapshot_id"]
    ec2 = sandbox.client("ec2")
    owner = sandbox.client("ec2", key=BUYER_KEY)
    with pytest.raises(ClientError) as e:
        ec2.copy_image(SourceImageId=ami, SourceRegion="us-east-1", Name="xcopy")
    assert error_code(e.value) == "InvalidAMIID.NotFound"
    owner.modify_image_attribute(ImageId=ami, LaunchPermission={"Add": [{"UserId": SELLER}]})
    with pytest.raises(ClientError) as e:
        ec2.copy_image(SourceImageId=ami, SourceRegion="us-east-1", Name="xcopy")
    assert "storage" in e.value.response["Error"]["Message"]
    owner.modify_snapshot_attribute(SnapshotId=snap, Attribute="createVolumePermission",
                                    OperationType="add", UserIds=[SELLER])
    assert ec2.copy_image(SourceImageId=ami, SourceRegion="us-east-1", Name="xcopy")["ImageId"].startswith("ami-")
    perms = owner.describe_snapshot_attribute(SnapshotId=snap, Attribute="createVolumePermission")
    assert perms["CreateVolumePermissions"] == [{"UserId": SELLER}]


def test_encrypted_sources_need_a_key(sandbox):
    enc = sandbox.admin("POST", "/_sandbox/images", {"owner": BUYER, "region": "us-east-1", "name": "enc", "encrypted": True, "public": True})
    with pytest.raises(ClientError) as e:
        sandbox.client("ec2").copy_image(SourceImageId=enc["image_id"], SourceRegion="us-east-1", Name="ycopy")
    assert error_code(e.value) == "InvalidRequest"


def test_launch_permissions_and_product_codes(sandbox):
    ec2 = sandbox.client("ec2")
    mine = ec2.copy_image(SourceImageId=FEDORA_41_X86_US_EAST_1, SourceRegion="us-east-1", Name="share-me")["ImageId"]
    ec2.modify_image_attribute(ImageId=mine, LaunchPermission={"Add": [{"UserId": BUYER}]})
    attr = ec2.describe_image_attribute(ImageId=mine, Attribute="launchPermission")
    assert attr["LaunchPermissions"] == [{"UserId": BUYER}]
    buyer = sandbox.client("ec2", key=BUYER_KEY)
    assert [i["ImageId"] for i in buyer.describe_images(ExecutableUsers=["self"], Owners=[SELLER])["Images"]] == [mine]
    ec2.modify_image_attribute(ImageId=mine, LaunchPermission={"Remove": [{"UserId": BUYER}]})
    assert buyer.describe_images(Owners=[SELLER])["Images"] == []
    coded = sandbox.admin("POST", "/_sandbox/images", {"owner": SELLER, "region": "us-east-1", "name": "coded", "product_codes": ["abc123"]})
    with pytest.raises(ClientError) as e:
        ec2.modify_image_attribute(ImageId=coded["image_id"], LaunchPermission={"Add": [{"Group": "all"}]})
    assert error_code(e.value) == "InvalidParameter"
    with pytest.raises(ClientError) as e:
        buyer.describe_image_attribute(ImageId=FEDORA_41_X86_US_EAST_1, Attribute="launchPermission")
    assert error_code(e.value) == "AuthFailure"


def test_snapshots_deregistration_and_tags(sandbox):
    ec2 = sandbox.client("ec2")
    ami = ec2.copy_image(SourceImageId=FEDORA_41_X86_US_EAST_1, SourceRegion="us-east-1", Name="to-delete")["ImageId"]
    snap = ec2.describe_images(ImageIds=[ami])["Images"][0]["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    ec2.create_tags(Resources=[ami, snap], Tags=[{"Key": "retired", "Value": "yes"}])
    assert ec2.describe_snapshots(SnapshotIds=[snap])["Snapshots"][0]["Tags"] == [{"Key": "retired", "Value": "yes"}]
    with pytest.raises(ClientError) as e:
        ec2.delete_snapshot(SnapshotId=snap)
    assert error_code(e.value) == "InvalidSnapshot.InUse"
    ec2.deregister_image(ImageId=ami)
    with pytest.raises(ClientError) as e:
        ec2.describe_images(ImageIds=[ami])
    assert error_code(e.value) == "InvalidAMIID.NotFound"
    ec2.delete_snapshot(SnapshotId=snap)
    assert ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"] == []


def test_deprecation_hides_images_from_others(sandbox):
    build = sandbox.client("ec2", key=BUILD_KEY)
    now = sandbox.admin("GET", "/_sandbox/state")["now"]
    year = int(now[:4]) + 1
    build.enable_image_deprecation(ImageId=FEDORA_41_X86_US_EAST_1, DeprecateAt=f"{year}-01-01T00:00:00Z")
    seller = sandbox.client("ec2")
    assert seller.describe_images(Owners=[BUILD], Filters=[{"Name": "image-id", "Values": [FEDORA_41_X86_US_EAST_1]}])["Images"]
    sandbox.advance(2 * 365 * 86400)
    assert seller.describe_images(Owners=[BUILD], Filters=[{"Name": "image-id", "Values": [FEDORA_41_X86_US_EAST_1]}])["Images"] == []
    assert seller.describe_images(Owners=[BUILD], IncludeDeprecated=True, Filters=[{"Name": "image-id", "Values": [FEDORA_41_X86_US_EAST_1]}])["Images"]
    img = build.describe_images(ImageIds=[FEDORA_41_X86_US_EAST_1])["Images"][0]
    assert img["DeprecationTime"].startswith(str(year))


def test_regions_and_opt_in(sandbox):
    regions = sandbox.cli("ec2", "describe-regions")["Regions"]
    assert len(regions) >= 30 and all(r["OptInStatus"] in ("opt-in-not-required", "opted-in") for r in regions)
    sandbox.admin("POST", "/_sandbox/accounts", {"id": "999988887777", "access_keys": ["AKIANEWACCOUNT000001"]})
    fresh = sandbox.client("ec2", key="AKIANEWACCOUNT000001")
    listed = fresh.describe_regions(AllRegions=True)["Regions"]
    assert any(r["OptInStatus"] == "not-opted-in" for r in listed)
    with pytest.raises(ClientError) as e:
        sandbox.client("ec2", key="AKIANEWACCOUNT000001", region="af-south-1").describe_images(Owners=["self"])
    assert error_code(e.value) == "OptInRequired"


def test_dry_run_and_unknown_credentials(sandbox):
    with pytest.raises(ClientError) as e:
        sandbox.client("ec2").copy_image(SourceImageId=FEDORA_41_X86_US_EAST_1, SourceRegion="us-east-1", Name="dry", DryRun=True)
    assert error_code(e.value) == "DryRunOperation"
    with pytest.raises(ClientError) as e:
        sandbox.client("ec2", key="AKIAUNKNOWNKEY000000").describe_images()
    assert error_code(e.value) == "AuthFailure"


def test_describe_instance_types_filters_pages_and_learns_new_types(sandbox):
    ec2 = sandbox.client("ec2")
    filters = [{"Name": "current-generation", "Values": ["true"]},
               {"Name": "processor-info.supported-architecture", "Values": ["arm64"]}]
    pages = ec2.get_paginator("describe_instance_types").paginate(Filters=filters, PaginationConfig={"PageSize": 5})
    seen = [t for page in pages for t in page["InstanceTypes"]]
    names = [t["InstanceType"] for t in seen]
    assert len(names) == len(set(names)) > 5, names
    assert all(t["CurrentGeneration"] and "arm64" in t["ProcessorInfo"]["SupportedArchitectures"] for t in seen)
    assert "a1.large" not in names and "m5.large" not in names
    old = ec2.describe_instance_types(Filters=[{"Name": "current-generation", "Values": ["false"]}])["InstanceTypes"]
    assert old and not any(t["CurrentGeneration"] for t in old)
    one = ec2.describe_instance_types(InstanceTypes=["m5.large"])["InstanceTypes"]
    assert [t["InstanceType"] for t in one] == ["m5.large"]
    with pytest.raises(ClientError) as e:
        ec2.describe_instance_types(InstanceTypes=["m99.huge"])
    assert error_code(e.value) == "InvalidInstanceType"
    with pytest.raises(ClientError) as e:
        ec2.describe_instance_types(Filters=[{"Name": "colour", "Values": ["blue"]}])
    assert error_code(e.value) == "InvalidParameterValue"
    sandbox.admin("POST", "/_sandbox/instance-types", {"name": "m8g.large", "architectures": ["arm64"]})
    pages = ec2.get_paginator("describe_instance_types").paginate(Filters=filters)
    assert "m8g.large" in [t["InstanceType"] for page in pages for t in page["InstanceTypes"]]


def test_last_launched_time_follows_launches(sandbox):
    build = sandbox.client("ec2", key=BUILD_KEY)
    attr = build.describe_image_attribute(ImageId=FEDORA_41_X86_US_EAST_1, Attribute="lastLaunchedTime")
    assert "Value" not in attr.get("LastLaunchedTime", {})
    sandbox.admin("POST", "/_sandbox/instances", {"account": BUYER, "region": "us-east-1",
                                                  "image_id": FEDORA_41_X86_US_EAST_1, "may_meter": False})
    attr = build.describe_image_attribute(ImageId=FEDORA_41_X86_US_EAST_1, Attribute="lastLaunchedTime")
    assert attr["LastLaunchedTime"]["Value"].endswith("Z"), attr
