"""The Marketplace Catalog API through boto3 and the AWS CLI: the whole seller flow (create a
product with a draft offer, release it to Limited, add a version, scan, publish, find the
Regional AMIs by product code, restrict a version), lock conflicts, VALIDATE intent, cancel,
idempotency tokens, asynchronous failures and events."""

import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import FEDORA_41_X86_US_EAST_1, GOV_SELLER_KEY, SELLER, SELLER_KEY, error_code

ROLE = f"arn:aws:iam::{SELLER}:role/AwsMarketplaceAmiIngestion"
PRODUCT = "prod-fedoracbx8664"
CODE = "fedoracloudbasex8664code0"


def mirror(sandbox, name="mirror"):
    ec2 = sandbox.client("ec2")
    ami = ec2.copy_image(SourceImageId=FEDORA_41_X86_US_EAST_1, SourceRegion="us-east-1", Name=name)["ImageId"]
    sandbox.advance(600)
    return ami


def add_version(product, title, ami, role=ROLE, name="Add"):
    return {
        "ChangeType": "AddDeliveryOptions",
        "ChangeName": name,
        "Entity": {"Type": "AmiProduct@1.0", "Identifier": product},
        "DetailsDocument": {
            "Version": {"VersionTitle": title, "ReleaseNotes": f"Release {title}"},
            "DeliveryOptions": [{"Details": {"AmiDeliveryOptionDetails": {
                "AmiSource": {"AmiId": ami, "AccessRoleArn": role, "UserName": "fedora",
                              "OperatingSystemName": "FEDORA", "OperatingSystemVersion": "41", "ScanningPort": 22},
                "UsageInstructions": "ssh fedora@<ip>",
                "RecommendedInstanceType": "t3.small",
                "SecurityGroups": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": ["0.0.0.0/0"]}],
            }}}],
        },
    }


def run_until_done(sandbox, cat, cs_id, step=600, limit=200):
    for _ in range(limit):
        d = cat.describe_change_set(Catalog="AWSMarketplace", ChangeSetId=cs_id)
        if d["Status"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return d
        sandbox.advance(step)
    raise AssertionError(f"{cs_id} never finished")


def test_create_release_version_publish_restrict(sandbox):
    cat = sandbox.client("marketplace-catalog")
    ami = mirror(sandbox)
    P, O = "$NewProduct.Entity.Identifier", "$NewOffer.Entity.Identifier"
    creation = [
        {"ChangeType": "CreateProduct", "ChangeName": "NewProduct", "Entity": {"Type": "AmiProduct@1.0"}, "DetailsDocument": {"ProductTitle": "Widget OS"}},
        {"ChangeType": "UpdateInformation", "Entity": {"Type": "AmiProduct@1.0", "Identifier": P}, "DetailsDocument": {
            "ProductTitle": "Widget OS", "ShortDescription": "Short.", "LongDescription": "Long.", "LogoUrl": "https://example.com/logo.png",
            "Highlights": ["Fast"], "SupportDescription": "Email us.", "Categories": ["Operating Systems"], "SearchKeywords": ["widget"],
            "AdditionalResources": [], "VideoUrls": []}},
        {"ChangeType": "AddRegions", "Entity": {"Type": "AmiProduct@1.0", "Identifier": P}, "DetailsDocument": {"Regions": ["us-east-1", "eu-west-1", "us-gov-west-1"]}},
        {"ChangeType": "AddInstanceTypes", "Entity": {"Type": "AmiProduct@1.0", "Identifier": P}, "DetailsDocument": {"InstanceTypes": ["t3.small", "m5.large"]}},
        {"ChangeType": "AddDimensions", "Entity": {"Type": "AmiProduct@1.0", "Identifier": P}, "DetailsDocument": [
            {"Key": t, "Name": t, "Description": t, "Unit": "Hrs", "Types": ["Metered"]} for t in ("t3.small", "m5.large")]},
        {"ChangeType": "CreateOffer", "ChangeName": "NewOffer", "Entity": {"Type": "Offer@1.0"}, "DetailsDocument": {"ProductId": P, "Name": "Widget OS"}},
        {"ChangeType": "UpdatePricingTerms", "Entity": {"Type": "Offer@1.0", "Identifier": O}, "DetailsDocument": {"PricingModel": "Free", "Terms": [
            {"Type": "UsageBasedPricingTerm", "CurrencyCode": "USD", "RateCards": [{"RateCard": [{"DimensionKey": "t3.small", "Price": "0.00"}, {"DimensionKey": "m5.large", "Price": "0.00"}]}]}]}},
        {"ChangeType": "UpdateLegalTerms", "Entity": {"Type": "Offer@1.0", "Identifier": O}, "DetailsDocument": {"Terms": [{"Type": "LegalTerm", "Documents": [{"Type": "StandardEula", "Version": "2022-07-14"}]}]}},
        {"ChangeType": "UpdateSupportTerms", "Entity": {"Type": "Offer@1.0", "Identifier": O}, "DetailsDocument": {"Terms": [{"Type": "SupportTerm", "RefundPolicy": "No refunds."}]}},
    ]
    draft = cat.start_change_set(Catalog="AWSMarketplace", ChangeSet=creation, ChangeSetName="create widget")
    done = run_until_done(sandbox, cat, draft["ChangeSetId"])
    assert done["Status"] == "SUCCEEDED", done
    product = done["ChangeSet"][0]["Entity"]["Identifier"].split("@")[0]
    offer = next(c for c in done["ChangeSet"] if c["ChangeType"] == "CreateOffer")["Entity"]["Identifier"].split("@")[0]
    doc = cat.describe_entity(Catalog="AWSMarketplace", EntityId=product)["DetailsDocument"]
    assert doc["Description"]["Visibility"] == "Draft"
    assert doc["RegionAvailability"]["Regions"] == ["us-east-1", "eu-west-1", "us-gov-west-1"]

    release = [add_version(product, "1.0.0", ami),
               {"ChangeType": "ReleaseProduct", "Entity": {"Type": "AmiProduct@1.0", "Identifier": product}, "DetailsDocument": {}},
               {"ChangeType": "ReleaseOffer", "Entity": {"Type": "Offer@1.0", "Identifier": offer}, "DetailsDocument": {}}]
    cs = cat.start_change_set(Catalog="AWSMarketplace", ChangeSet=release, ClientRequestToken="widget-1.0.0")
    assert cat.describe_change_set(Catalog="AWSMarketplace", ChangeSetId=cs["ChangeSetId"])["Status"] == "PREPARING"
    sandbox.advance(61)
    assert cat.describe_change_set(Catalog="AWSMarketplace", ChangeSetId=cs["ChangeSetId"])["Status"] == "APPLYING"
    done = run_until_done(sandbox, cat, cs["ChangeSetId"])
    assert done["Status"] == "SUCCEEDED", done
    doc = cat.describe_entity(Catalog="AWSMarketplace", EntityId=product)["DetailsDocument"]
    assert doc["Description"]["Visibility"] == "Limited"
    version = doc["Versions"][0]
    assert version["VersionTitle"] == "1.0.0" and version["Sources"][0]["Image"] == ami
    option = version["DeliveryOptions"][0]
    assert option["AmiAlias"] == f"/aws/service/marketplace/{product}/1.0.0"
    code = doc["Description"]["ProductCode"]

    sandbox.advance(2000)
    for region in ("us-east-1", "eu-west-1", "us-gov-west-1"):
        # GovCloud is another partition: the seller's GovCloud account looks there.
        key = GOV_SELLER_KEY if region.startswith("us-gov-") else SELLER_KEY
        found = sandbox.client("ec2", key=key, region=region).describe_images(Owners=["aws-marketplace"], Filters=[{"Name": "product-code", "Values": [code]}])["Images"]
        assert len(found) == 1 and found[0]["State"] == "available", region
        assert found[0]["ProductCodes"] == [{"ProductCodeId": code, "ProductCodeType": "marketplace"}]
        alias = sandbox.client("ssm", key=key, region=region).get_parameter(Name=f"/aws/service/marketplace/{product}/latest")["Parameter"]["Value"]
        assert alias == found[0]["ImageId"]

    second = mirror(sandbox, "mirror-2")
    cs2 = cat.start_change_set(Catalog="AWSMarketplace", ChangeSet=[add_version(product, "1.1.0", second)])
    assert run_until_done(sandbox, cat, cs2["ChangeSetId"])["Status"] == "SUCCEEDED"
    restrict = cat.start_change_set(Catalog="AWSMarketplace", ChangeSet=[{"ChangeType": "RestrictDeliveryOptions", "Entity": {"Type": "AmiProduct@1.0", "Identifier": product}, "DetailsDocument": {"DeliveryOptionIds": [option["Id"]]}}])
    assert run_until_done(sandbox, cat, restrict["ChangeSetId"])["Status"] == "SUCCEEDED"
    versions = cat.describe_entity(Catalog="AWSMarketplace", EntityId=product)["DetailsDocument"]["Versions"]
    assert [v["DeliveryOptions"][0]["Visibility"] for v in versions] == ["Restricted", "Limited"]
    summary = cat.list_change_sets(Catalog="AWSMarketplace", FilterList=[{"Name": "EntityId", "ValueList": [product]}])["ChangeSetSummaryList"]
    assert len(summary) == 4


def test_locks_tokens_validate_and_cancel(sandbox):
    cat = sandbox.client("marketplace-catalog")
    ami = mirror(sandbox)
    first = cat.start_change_set(Catalog="AWSMarketplace", ChangeSet=[add_version(PRODUCT, "41.1", ami)], ClientRequestToken="rel-41.1")
    again = cat.start_change_set(Catalog="AWSMarketplace", ChangeSet=[add_version(PRODUCT, "41.1", ami)], ClientRequestToken="rel-41.1")
    assert again["ChangeSetId"] == first["ChangeSetId"]
    with pytest.raises(ClientError) as e:
        cat.start_change_set(Catalog="AWSMarketplace", ChangeSet=[add_version(PRODUCT, "41.2", ami)], ClientRequestToken="rel-41.1")
    assert error_code(e.value) == "ValidationException"
    with pytest.raises(ClientError) as e:
        cat.start_change_set(Catalog="AWSMarketplace", ChangeSet=[add_version(PRODUCT, "41.2", ami)])
    assert error_code(e.value) == "ResourceInUseException"
    assert first["ChangeSetId"] in e.value.response["Error"]["Message"]
    cat.cancel_change_set(Catalog="AWSMarketplace", ChangeSetId=first["ChangeSetId"])
    assert cat.describe_change_set(Catalog="AWSMarketplace", ChangeSetId=first["ChangeSetId"])["Status"] == "CANCELLED"
    check = cat.start_change_set(Catalog="AWSMarketplace", ChangeSet=[add_version(PRODUCT, "41.3", ami)], Intent="VALIDATE")
    sandbox.advance(61)
    with pytest.raises(ClientError) as e:
        cat.cancel_change_set(Catalog="AWSMarketplace", ChangeSetId=check["ChangeSetId"])
    assert error_code(e.value) == "ResourceInUseException"
    assert run_until_done(sandbox, cat, check["ChangeSetId"])["Status"] == "SUCCEEDED"
    titles = [v["VersionTitle"] for v in cat.describe_entity(Catalog="AWSMarketplace", EntityId=PRODUCT)["DetailsDocument"]["Versions"]]
    assert "41.3" not in titles
    with pytest.raises(ClientError) as e:
        cat.start_change_set(Catalog="AWSMarketplace", Intent="VALIDATE", ChangeSet=[{"ChangeType": "AddRegions", "Entity": {"Type": "AmiProduct@1.0", "Identifier": PRODUCT}, "DetailsDocument": {"Regions": ["us-east-1"]}}])
    assert error_code(e.value) == "ValidationException"


def test_synchronous_validation(sandbox):
    cat = sandbox.client("marketplace-catalog")
    with pytest.raises(ClientError) as e:
        cat.start_change_set(Catalog="AWSMarketplace", ChangeSet=[{"ChangeType": "AddRegions", "Entity": {"Type": "AmiProduct@1.0", "Identifier": PRODUCT}, "DetailsDocument": {"Regions": ["us-east-1"], "Colour": "blue"}}])
    assert error_code(e.value) == "ValidationException" and "additional properties" in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        cat.start_change_set(Catalog="AWSMarketplace", ChangeSet=[{"ChangeType": "AddRegions", "Entity": {"Type": "AmiProduct@1.0", "Identifier": "prod-doesnotexist1"}, "DetailsDocument": {"Regions": ["us-east-1"]}}])
    assert error_code(e.value) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        cat.start_change_set(Catalog="AWSMarketplace", ChangeSet=[{"ChangeType": "Teleport", "Entity": {"Type": "AmiProduct@1.0", "Identifier": PRODUCT}, "DetailsDocument": {}}])
    assert error_code(e.value) == "ValidationException"
    with pytest.raises(ClientError) as e:
        cat.start_change_set(Catalog="AWSMarketplace", ChangeSet=[{"ChangeType": "AddRegions", "Entity": {"Type": "AmiProduct@1.0", "Identifier": PRODUCT}, "Details": json.dumps({"Regions": ["us-east-1"]}), "DetailsDocument": {"Regions": ["us-east-1"]}}])
    assert error_code(e.value) == "ValidationException"
    with pytest.raises(ClientError) as e:
        cat.describe_entity(Catalog="AWSMarketplace", EntityId="prod-doesnotexist1")
    assert error_code(e.value) == "ResourceNotFoundException"
    err = sandbox.cli("marketplace-catalog", "describe-change-set", "--catalog", "AWSMarketplace", "--change-set-id", "nope", check=False)
    assert "ResourceNotFoundException" in err


def test_asynchronous_failures_and_scan(sandbox):
    cat = sandbox.client("marketplace-catalog")
    ami = mirror(sandbox)
    bad_role = cat.start_change_set(Catalog="AWSMarketplace", ChangeSet=[add_version(PRODUCT, "41.9", ami, role=f"arn:aws:iam::{SELLER}:role/Missing")])
    done = run_until_done(sandbox, cat, bad_role["ChangeSetId"])
    assert done["Status"] == "FAILED" and done["FailureCode"] == "CLIENT_ERROR"
    assert [x["ErrorCode"] for x in done["ChangeSet"][0]["ErrorDetailList"]] == ["ASSET_ACCESS_EXCEPTION"]
    dup = cat.start_change_set(Catalog="AWSMarketplace", ChangeSet=[add_version(PRODUCT, "40.20240416.0", ami)])
    assert run_until_done(sandbox, cat, dup["ChangeSetId"])["ChangeSet"][0]["ErrorDetailList"][0]["ErrorCode"] == "DUPLICATE_VERSION_TITLE"
    not_mine = cat.start_change_set(Catalog="AWSMarketplace", ChangeSet=[add_version(PRODUCT, "41.10", FEDORA_41_X86_US_EAST_1)])
    assert run_until_done(sandbox, cat, not_mine["ChangeSetId"])["ChangeSet"][0]["ErrorDetailList"][0]["ErrorCode"] == "ASSET_NOT_FOUND"
    sandbox.admin("POST", "/_sandbox/scan", {"ami": ami, "verdict": "fail"})
    scanned = cat.start_change_set(Catalog="AWSMarketplace", ChangeSet=[add_version(PRODUCT, "41.11", ami)])
    done = run_until_done(sandbox, cat, scanned["ChangeSetId"])
    assert done["Status"] == "FAILED"
    err = done["ChangeSet"][0]["ErrorDetailList"][0]
    assert err["ErrorCode"] == "SCAN_ERROR" and err["ErrorMessage"].startswith("https://")


def test_events_reach_the_queue(sandbox):
    cat = sandbox.client("marketplace-catalog")
    sqs = sandbox.client("sqs")
    url = sqs.get_queue_url(QueueName="amipub-catalog-events")["QueueUrl"]
    cs = cat.start_change_set(Catalog="AWSMarketplace", ChangeSet=[{"ChangeType": "UpdateFutureRegionSupport", "Entity": {"Type": "AmiProduct@1.0", "Identifier": PRODUCT}, "DetailsDocument": {"FutureRegionSupport": {"SupportedRegions": ["US"]}}}])
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    sandbox.advance(200)
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]
    event = json.loads(msgs[0]["Body"])
    assert event["source"] == "aws.marketplacecatalog" and event["detail-type"] == "Change Set Succeeded"
    assert event["detail"]["ChangeSetId"] == cs["ChangeSetId"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=msgs[0]["ReceiptHandle"])
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_list_entities_tags_and_policies(sandbox):
    cat = sandbox.client("marketplace-catalog")
    products = cat.list_entities(Catalog="AWSMarketplace", EntityType="AmiProduct", EntityTypeFilters={"AmiProductFilters": {"Visibility": {"ValueList": ["Limited"]}}},
                                 EntityTypeSort={"AmiProductSort": {"SortBy": "EntityId", "SortOrder": "DESCENDING"}})["EntitySummaryList"]
    assert [p["EntityId"] for p in products] == [PRODUCT, "prod-acmegateway01"]
    titled = cat.list_entities(Catalog="AWSMarketplace", EntityType="AmiProduct", EntityTypeFilters={"AmiProductFilters": {"ProductTitle": {"WildCardValue": "Fedora"}}})["EntitySummaryList"]
    assert [p["EntityId"] for p in titled] == [PRODUCT]
    pages = list(cat.get_paginator("list_entities").paginate(Catalog="AWSMarketplace", EntityType="AmiProduct", PaginationConfig={"PageSize": 1}))
    assert len(pages) == 2
    offers = cat.list_entities(Catalog="AWSMarketplace", EntityType="Offer", EntityTypeFilters={"OfferFilters": {"ProductId": {"ValueList": [PRODUCT]}}})["EntitySummaryList"]
    assert [o["OfferSummary"]["ProductId"] for o in offers] == [PRODUCT]
    products = [p for p in products if p["EntityId"] == PRODUCT]
    arn = products[0]["EntityArn"]
    cat.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "cloud"}])
    assert cat.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "cloud"}]
    cat.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert cat.list_tags_for_resource(ResourceArn=arn)["Tags"] == []
    cat.put_resource_policy(ResourceArn=arn, Policy=json.dumps({"Version": "2012-10-17", "Statement": []}))
    assert json.loads(cat.get_resource_policy(ResourceArn=arn)["Policy"])["Version"] == "2012-10-17"
    cat.delete_resource_policy(ResourceArn=arn)
    batch = cat.batch_describe_entities(EntityRequestList=[{"Catalog": "AWSMarketplace", "EntityId": PRODUCT}, {"Catalog": "AWSMarketplace", "EntityId": "prod-doesnotexist1"}])
    assert PRODUCT in batch["EntityDetails"] and "prod-doesnotexist1" in batch["Errors"]
    cli = sandbox.cli("marketplace-catalog", "describe-entity", "--catalog", "AWSMarketplace", "--entity-id", PRODUCT)
    assert cli["DetailsDocument"]["Description"]["ProductCode"] == CODE


def test_update_delivery_options_applies_every_field(sandbox):
    """UpdateDeliveryOptions changes a version's release notes and its delivery option's usage
    instructions, recommended instance type, security groups and access endpoint, and DescribeEntity
    shows every one of them; a member the change type does not document (the AMI itself) is refused.
    https://docs.aws.amazon.com/marketplace/latest/APIReference/work-with-single-ami-products.html"""
    cat = sandbox.client("marketplace-catalog")
    version = cat.describe_entity(Catalog="AWSMarketplace", EntityId=PRODUCT)["DetailsDocument"]["Versions"][0]
    option = version["DeliveryOptions"][0]["Id"]
    groups = [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": ["10.0.0.0/16"]},
              {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": ["0.0.0.0/0", "10.2.0.0/16"]}]
    details = {"UsageInstructions": "Open https://<ip>/ after boot.", "RecommendedInstanceType": "m5.large", "SecurityGroups": groups,
               "AccessEndpointUrl": {"Port": 443, "Protocol": "https", "RelativePath": "index.html"}}
    update = {"ChangeType": "UpdateDeliveryOptions", "Entity": {"Type": "AmiProduct@1.0", "Identifier": PRODUCT}, "DetailsDocument": {
        "Version": {"ReleaseNotes": "Updated notes."},
        "DeliveryOptions": [{"Id": option, "Details": {"AmiDeliveryOptionDetails": details}}]}}
    done = run_until_done(sandbox, cat, cat.start_change_set(Catalog="AWSMarketplace", ChangeSet=[update])["ChangeSetId"])
    assert done["Status"] == "SUCCEEDED", done
    version = cat.describe_entity(Catalog="AWSMarketplace", EntityId=PRODUCT)["DetailsDocument"]["Versions"][0]
    o = version["DeliveryOptions"][0]
    assert version["ReleaseNotes"] == "Updated notes."
    assert o["Instructions"]["Usage"] == "Open https://<ip>/ after boot."
    assert o["Instructions"]["Access"] == {"Type": "Endpoint", "Port": 443, "Protocol": "https", "RelativePath": "index.html"}
    assert o["Recommendations"]["InstanceType"] == "m5.large"
    assert o["Recommendations"]["SecurityGroups"] == [
        {"Protocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIps": ["10.0.0.0/16"]},
        {"Protocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIps": ["0.0.0.0/0", "10.2.0.0/16"]}]

    bad = json.loads(json.dumps(update))
    bad["DetailsDocument"]["DeliveryOptions"][0]["Details"]["AmiDeliveryOptionDetails"]["SecurityGroups"] = [{"IpProtocol": "icmp", "FromPort": 0, "ToPort": 0, "IpRanges": ["nowhere"]}]
    failed = run_until_done(sandbox, cat, cat.start_change_set(Catalog="AWSMarketplace", ChangeSet=[bad])["ChangeSetId"])
    assert failed["Status"] == "FAILED"
    assert {"INVALID_SECURITY_GROUP_PROTOCOL", "INVALID_SECURITY_GROUP", "INVALID_CIDR_IP"} <= {e["ErrorCode"] for e in failed["ChangeSet"][0]["ErrorDetailList"]}
    ami = json.loads(json.dumps(update))
    ami["DetailsDocument"]["DeliveryOptions"][0]["Details"]["AmiDeliveryOptionDetails"]["AmiSource"] = {"AmiId": FEDORA_41_X86_US_EAST_1}
    with pytest.raises(ClientError) as e:
        cat.start_change_set(Catalog="AWSMarketplace", ChangeSet=[ami])
    assert error_code(e.value) == "ValidationException"


def test_describe_change_set_resolves_change_name_references(sandbox):
    """Changes that name their entity with `$ChangeName.Entity.Identifier` show the created entity's
    id and revision in DescribeChangeSet (`prod-…@1`, `offer-…@1`), as do references inside a
    DetailsDocument, from submission on.
    https://docs.aws.amazon.com/marketplace/latest/APIReference/API_DescribeChangeSet.html
    https://docs.aws.amazon.com/marketplace/latest/APIReference/work-with-single-ami-products.html"""
    cat = sandbox.client("marketplace-catalog")
    P, O = "$NewProduct.Entity.Identifier", "$NewOffer.Entity.Identifier"
    changes = [
        {"ChangeType": "CreateProduct", "ChangeName": "NewProduct", "Entity": {"Type": "AmiProduct@1.0"}, "DetailsDocument": {"ProductTitle": "Gadget OS"}},
        {"ChangeType": "AddRegions", "Entity": {"Type": "AmiProduct@1.0", "Identifier": P}, "DetailsDocument": {"Regions": ["us-east-1"]}},
        {"ChangeType": "CreateOffer", "ChangeName": "NewOffer", "Entity": {"Type": "Offer@1.0"}, "DetailsDocument": {"ProductId": P, "Name": "Gadget OS"}},
        {"ChangeType": "UpdateInformation", "Entity": {"Type": "Offer@1.0", "Identifier": O}, "DetailsDocument": {"Description": "Public offer"}},
    ]
    cs = cat.start_change_set(Catalog="AWSMarketplace", ChangeSet=changes)["ChangeSetId"]

    def identifiers():
        d = cat.describe_change_set(Catalog="AWSMarketplace", ChangeSetId=cs)
        return d, [c["Entity"]["Identifier"] for c in d["ChangeSet"]]

    d, ids = identifiers()
    assert d["Status"] == "PREPARING"
    assert all("$" not in i for i in ids), ids
    assert ids[0] == ids[1] and ids[2] == ids[3]
    assert ids[0].startswith("prod-") and ids[0].endswith("@1") and ids[2].startswith("offer-") and ids[2].endswith("@1")
    assert d["ChangeSet"][2]["DetailsDocument"]["ProductId"] == ids[0].split("@")[0]
    done = run_until_done(sandbox, cat, cs)
    assert done["Status"] == "SUCCEEDED", done
    assert identifiers()[1] == ids
    product = ids[0].split("@")[0]
    later = cat.start_change_set(Catalog="AWSMarketplace", ChangeSet=[{"ChangeType": "AddRegions", "Entity": {"Type": "AmiProduct@1.0", "Identifier": product}, "DetailsDocument": {"Regions": ["eu-west-1"]}}])
    assert run_until_done(sandbox, cat, later["ChangeSetId"])["ChangeSet"][0]["Entity"]["Identifier"] == f"{product}@2"
    assert identifiers()[1] == ids


def test_entity_tags_go_on_the_entity_a_change_creates(sandbox):
    """`EntityTags` of a CreateProduct change tag the new product once the change set succeeds
    (ListTagsForResource on its ARN); an empty list or an over-long key is refused at once.
    https://docs.aws.amazon.com/marketplace/latest/APIReference/API_Change.html
    https://docs.aws.amazon.com/marketplace/latest/APIReference/API_Tag.html"""
    cat = sandbox.client("marketplace-catalog")
    create = {"ChangeType": "CreateProduct", "ChangeName": "NewProduct", "Entity": {"Type": "AmiProduct@1.0"},
              "DetailsDocument": {"ProductTitle": "Tagged OS"}}
    # What botocore would refuse before sending, sent anyway: the service refuses it too.
    unchecked = boto3.client("marketplace-catalog", endpoint_url=sandbox.endpoint, region_name="us-east-1",
                             aws_access_key_id=SELLER_KEY, aws_secret_access_key="sandbox",
                             config=Config(parameter_validation=False, retries={"total_max_attempts": 1}))
    for bad in ([], [{"Key": "k" * 129, "Value": "v"}]):
        with pytest.raises(ClientError) as e:
            unchecked.start_change_set(Catalog="AWSMarketplace", ChangeSet=[dict(create, EntityTags=bad)])
        assert error_code(e.value) == "ValidationException"
    tags = [{"Key": "FedoraGroup", "Value": "cloud"}, {"Key": "amipub:product", "Value": "tagged"}]
    cs = cat.start_change_set(Catalog="AWSMarketplace", ChangeSet=[dict(create, EntityTags=tags)],
                              ChangeSetTags=[{"Key": "FedoraGroup", "Value": "cloud"}])["ChangeSetId"]
    done = run_until_done(sandbox, cat, cs)
    assert done["Status"] == "SUCCEEDED", done
    product = done["ChangeSet"][0]["Entity"]["Identifier"].split("@")[0]
    arn = cat.describe_entity(Catalog="AWSMarketplace", EntityId=product)["EntityArn"]
    assert sorted(cat.list_tags_for_resource(ResourceArn=arn)["Tags"], key=lambda t: t["Key"]) == tags
    assert cat.list_tags_for_resource(ResourceArn=done["ChangeSetArn"])["Tags"] == [{"Key": "FedoraGroup", "Value": "cloud"}]
