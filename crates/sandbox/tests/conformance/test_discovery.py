"""The AWS Marketplace Discovery API through boto3 and the AWS CLI: the buyer's view of the
Catalog's listings (ListFulfillmentOptions, GetProduct), who is shown what (Public, Limited to
the seller and its allowlist, Draft and restricted versions hidden), pagination and errors.

Pages followed: the developer guide's "Using the AWS Marketplace Discovery API"
(https://docs.aws.amazon.com/marketplace/latest/developerguide/discovery-apis.html) and the API
reference of each operation; the AMI alias as an SSM public parameter from the buyer guide
(https://docs.aws.amazon.com/marketplace/latest/buyerguide/buyer-ami-aliases.html)."""

import pytest
from botocore.exceptions import ClientError

from conftest import BUYER, BUYER_KEY, FEDORA_41_X86_US_EAST_1, SELLER, error_code

PRODUCT = "prod-fedoracbx8664"
CODE = "fedoracloudbasex8664code0"
SEEDED = "40.20240416.0"
ROLE = f"arn:aws:iam::{SELLER}:role/AwsMarketplaceAmiIngestion"


def ami_options(client, **kwargs):
    """Every AMI fulfillment option of a product, through the SDK's paginator."""
    pages = client.get_paginator("list_fulfillment_options").paginate(**kwargs)
    return [o["amazonMachineImageFulfillmentOption"] for p in pages for o in p["fulfillmentOptions"]]


def change(sandbox, change_type, details, product=PRODUCT):
    """Runs one change on the product to its end; returns the final DescribeChangeSet."""
    cat = sandbox.client("marketplace-catalog")
    cs = cat.start_change_set(Catalog="AWSMarketplace", ChangeSet=[{
        "ChangeType": change_type, "Entity": {"Type": "AmiProduct@1.0", "Identifier": product},
        "DetailsDocument": details}])
    for _ in range(100):
        d = cat.describe_change_set(Catalog="AWSMarketplace", ChangeSetId=cs["ChangeSetId"])
        if d["Status"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            assert d["Status"] == "SUCCEEDED", d
            return d
        sandbox.advance(600)
    raise AssertionError(f"{change_type} never finished")


def add_version(sandbox, title):
    ami = sandbox.client("ec2").copy_image(
        SourceImageId=FEDORA_41_X86_US_EAST_1, SourceRegion="us-east-1", Name=f"mirror-{title}")["ImageId"]
    sandbox.advance(600)
    change(sandbox, "AddDeliveryOptions", {
        "Version": {"VersionTitle": title, "ReleaseNotes": f"Fedora {title}"},
        "DeliveryOptions": [{"Details": {"AmiDeliveryOptionDetails": {
            "AmiSource": {"AmiId": ami, "AccessRoleArn": ROLE, "UserName": "fedora",
                          "OperatingSystemName": "FEDORA", "OperatingSystemVersion": "41", "ScanningPort": 22},
            "UsageInstructions": "ssh fedora@<ip>", "RecommendedInstanceType": "t3.small",
            "SecurityGroups": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": ["0.0.0.0/0"]}],
        }}}],
    })


def test_a_published_version_is_listed_with_its_alias_which_ssm_resolves(sandbox):
    """ListFulfillmentOptions lists the published version with its title, OS and AMI alias
    (https://docs.aws.amazon.com/marketplace/latest/APIReference/API_marketplace-discovery_AmazonMachineImageFulfillmentOption.html),
    and the alias is a public SSM parameter holding that Region's Marketplace AMI (buyer guide,
    AMI aliases)."""
    [option] = ami_options(sandbox.client("marketplace-discovery"), productId=PRODUCT)
    alias = f"/aws/service/marketplace/{PRODUCT}/{SEEDED}"
    assert option["fulfillmentOptionName"] == SEEDED and option["fulfillmentOptionVersion"] == SEEDED
    assert option["fulfillmentOptionType"] == "AMAZON_MACHINE_IMAGE"
    assert option["amiAlias"] == alias
    assert option["operatingSystems"] == [{"operatingSystemFamilyName": "Linux",
                                           "operatingSystemName": "FEDORA", "operatingSystemVersion": "40"}]
    assert option["architecture"] == "x86_64" and option["recommendation"]["instanceType"]
    assert option["releaseNotes"] and option["usageInstructions"].startswith("ssh fedora@")
    for region in ("us-east-1", "eu-west-1"):
        found = sandbox.client("ec2", region=region).describe_images(
            Owners=["aws-marketplace"], Filters=[{"Name": "product-code", "Values": [CODE]}])["Images"]
        held = sandbox.client("ssm", region=region).get_parameter(Name=alias)["Parameter"]
        assert held["Value"] == found[0]["ImageId"] and held["DataType"] == "aws:ec2:image", region
    # The AWS CLI parses the same answer (awscli 1.46.3 bundles an older model of the API,
    # without amiAlias), and resolves the alias from the buyer's account too.
    listed = sandbox.cli("marketplace-discovery", "list-fulfillment-options", "--product-id", PRODUCT)
    assert listed["fulfillmentOptions"][0]["amazonMachineImageFulfillmentOption"]["fulfillmentOptionName"] == SEEDED
    held = sandbox.cli("ssm", "get-parameter", "--name", alias, key=BUYER_KEY, region="eu-west-1")
    assert held["Parameter"]["Value"].startswith("ami-")


def test_get_product_describes_the_listing_as_buyers_see_it(sandbox):
    """GetProduct returns every member the model requires, from the listing's content
    (https://docs.aws.amazon.com/marketplace/latest/APIReference/API_marketplace-discovery_GetProduct.html)."""
    p = sandbox.client("marketplace-discovery", region="us-west-2").get_product(productId=PRODUCT)
    assert p["productId"] == PRODUCT and p["catalog"] == "AWSMarketplace"
    assert p["productName"] == "Fedora Cloud Base (x86_64)"
    assert p["fulfillmentOptionSummaries"] == [{"fulfillmentOptionType": "AMAZON_MACHINE_IMAGE",
                                                "displayName": "Amazon Machine Image"}]
    assert p["categories"][0]["displayName"] == "Operating Systems"
    assert p["logoThumbnailUrl"].startswith("https://") and p["listingId"] and p["locale"] == "en-US"
    cli = sandbox.cli("marketplace-discovery", "get-product", "--product-id", PRODUCT, region="eu-west-1")
    assert cli["productName"] == p["productName"]


def test_limited_products_are_shown_to_the_seller_and_the_allowlist_only(sandbox):
    """A Limited product is shown to its seller and allowlisted accounts only; others get
    ResourceNotFoundException, as for an unknown product
    (https://docs.aws.amazon.com/marketplace/latest/userguide/ami-update-visibility.html)."""
    buyer = sandbox.client("marketplace-discovery", key=BUYER_KEY)
    for call in (buyer.list_fulfillment_options, buyer.get_product):
        with pytest.raises(ClientError) as e:
            call(productId=PRODUCT)
        assert error_code(e.value) == "ResourceNotFoundException"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    change(sandbox, "UpdateTargeting", {"PositiveTargeting": {"BuyerAccounts": [BUYER]}})
    assert [o["fulfillmentOptionName"] for o in ami_options(buyer, productId=PRODUCT)] == [SEEDED]


def test_draft_products_and_restricted_versions_are_not_shown(sandbox):
    """A Draft product was never released and a restricted version takes no new buyers: the
    buyer's view shows neither
    (https://docs.aws.amazon.com/marketplace/latest/userguide/single-ami-versions.html)."""
    cat = sandbox.client("marketplace-catalog")
    draft = cat.start_change_set(Catalog="AWSMarketplace", ChangeSet=[{
        "ChangeType": "CreateProduct", "ChangeName": "P", "Entity": {"Type": "AmiProduct@1.0"},
        "DetailsDocument": {"ProductTitle": "Draft OS"}}])
    for _ in range(20):
        d = cat.describe_change_set(Catalog="AWSMarketplace", ChangeSetId=draft["ChangeSetId"])
        if d["Status"] == "SUCCEEDED":
            break
        sandbox.advance(600)
    draft_id = d["ChangeSet"][0]["Entity"]["Identifier"].split("@")[0]
    with pytest.raises(ClientError) as e:
        sandbox.client("marketplace-discovery").list_fulfillment_options(productId=draft_id)
    assert error_code(e.value) == "ResourceNotFoundException"

    add_version(sandbox, "41.1")
    disc = sandbox.client("marketplace-discovery")
    assert [o["fulfillmentOptionName"] for o in ami_options(disc, productId=PRODUCT)] == ["41.1", SEEDED]
    doc = cat.describe_entity(Catalog="AWSMarketplace", EntityId=PRODUCT)["DetailsDocument"]
    seeded = next(v for v in doc["Versions"] if v["VersionTitle"] == SEEDED)
    change(sandbox, "RestrictDeliveryOptions", {"DeliveryOptionIds": [seeded["DeliveryOptions"][0]["Id"]]})
    assert [o["fulfillmentOptionName"] for o in ami_options(disc, productId=PRODUCT)] == ["41.1"]


def test_pages_tokens_and_malformed_requests(sandbox):
    """maxResults pages the options (1-50) with an opaque nextToken; a token of another request
    is INVALID_PAGINATION_TOKEN and a bad member MALFORMED_REQUEST_PARAMETERS, both
    ValidationException (https://docs.aws.amazon.com/marketplace/latest/APIReference/API_marketplace-discovery_ListFulfillmentOptions.html)."""
    add_version(sandbox, "41.1")
    disc = sandbox.client("marketplace-discovery")
    first = disc.list_fulfillment_options(productId=PRODUCT, maxResults=1)
    assert len(first["fulfillmentOptions"]) == 1 and first["nextToken"]
    second = disc.list_fulfillment_options(productId=PRODUCT, maxResults=1, nextToken=first["nextToken"])
    assert second["fulfillmentOptions"][0]["amazonMachineImageFulfillmentOption"]["fulfillmentOptionName"] == SEEDED
    assert "nextToken" not in second
    cases = [
        (dict(productId="prod-acmegateway01", nextToken=first["nextToken"]), "INVALID_PAGINATION_TOKEN"),
        (dict(productId=PRODUCT, maxResults=51), "MALFORMED_REQUEST_PARAMETERS"),
        (dict(productId=PRODUCT, locale="xx"), "MALFORMED_REQUEST_PARAMETERS"),
    ]
    for kwargs, reason in cases:
        with pytest.raises(ClientError) as e:
            disc.list_fulfillment_options(**kwargs)
        assert error_code(e.value) == "ValidationException", kwargs
        assert e.value.response.get("reason") == reason, e.value.response
    with pytest.raises(ClientError) as e:
        disc.get_product(productId="prod-doesnotexist1")
    assert error_code(e.value) == "ResourceNotFoundException"
    # Only three Regions have a Discovery endpoint.
    with pytest.raises(ClientError) as e:
        sandbox.client("marketplace-discovery", region="us-east-2").get_product(productId=PRODUCT)
    assert error_code(e.value) == "AccessDeniedException"


def test_buyers_see_a_new_version_after_the_discovery_lag(sandbox):
    """With `discovery_lag_seconds` set, a version the Catalog lists reaches the buyer's view
    only that long after it was added (the sandbox's model of a buyer-facing catalog that
    updates after the seller's; the developer guide's data model keeps the two apart)."""
    sandbox.advance(2 * 86400)
    sandbox.admin("POST", "/_sandbox/config", {"discovery_lag_seconds": 86400})
    add_version(sandbox, "41.1")
    disc = sandbox.client("marketplace-discovery")
    assert [o["fulfillmentOptionName"] for o in ami_options(disc, productId=PRODUCT)] == [SEEDED]
    sandbox.advance(86400)
    assert [o["fulfillmentOptionName"] for o in ami_options(disc, productId=PRODUCT)] == ["41.1", SEEDED]
