"""Offers through boto3 and the AWS CLI: a private offer's whole life (create, target buyers, price,
legal terms, availability, validity, payment schedule, release, expire), the validation errors
AWS documents for offers, and how ListEntities summarises and filters offers.

Sources: "Work with private offers using the AWS Marketplace APIs"
(https://docs.aws.amazon.com/marketplace/latest/APIReference/work-with-private-offers.html), the
AWS sample change sets it links to (aws-samples/aws-marketplace-reference-code), and the
ListEntities, OfferSummary and OfferFilters API reference pages.
"""

import datetime as dt

import pytest
from botocore.exceptions import ClientError

from conftest import BUYER, error_code

METERED = "prod-acmegateway01"
METERED_OFFER = "offer-acmegatewayoff1"
FEDORA_OFFER = "offer-fedoracbx8664"
OFFER = "$PrivateOffer.Entity.Identifier"
DIMENSIONS = ("m5.large", "m5.xlarge", "c5.xlarge", "active_consumers", "processed_gb", "managed_hosts")


def day(offset):
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=offset)).strftime("%Y-%m-%d")


def offer_change(change_type, details, identifier=OFFER):
    return {"ChangeType": change_type, "Entity": {"Type": "Offer@1.0", "Identifier": identifier}, "DetailsDocument": details}


def private_offer(end=None, buyers=(BUYER,), release=True, product=METERED):
    """The private-offer change set of the AWS sample for an AMI product with hourly and annual
    pricing and a flexible payment schedule."""
    changes = [
        {"ChangeType": "CreateOffer", "ChangeName": "PrivateOffer", "Entity": {"Type": "Offer@1.0"}, "DetailsDocument": {"ProductId": product}},
        offer_change("UpdateInformation", {"Name": "Acme for Example Corp", "Description": "Negotiated hourly and annual pricing"}),
        offer_change("UpdateTargeting", {"PositiveTargeting": {"BuyerAccounts": list(buyers)}}),
        offer_change("UpdateLegalTerms", {"Terms": [{"Type": "LegalTerm", "Documents": [{"Type": "CustomEula", "Url": "https://s3.amazonaws.com/sample-bucket/custom-eula.pdf"}]}]}),
        offer_change("UpdatePricingTerms", {"PricingModel": "Usage", "Terms": [
            {"Type": "UsageBasedPricingTerm", "CurrencyCode": "USD", "RateCards": [{"RateCard": [{"DimensionKey": k, "Price": "0.005"} for k in DIMENSIONS]}]},
            {"Type": "FixedUpfrontPricingTerm", "CurrencyCode": "USD", "Price": "0.0", "Duration": "P365D", "Grants": [{"DimensionKey": "m5.large", "MaxQuantity": 1}]}]}),
        offer_change("UpdateValidityTerms", {"Terms": [{"Type": "ValidityTerm", "AgreementDuration": "P650D"}]}),
        offer_change("UpdatePaymentScheduleTerms", {"Terms": [{"Type": "PaymentScheduleTerm", "CurrencyCode": "USD", "Schedule": [
            {"ChargeDate": day(40), "ChargeAmount": "200.00"}, {"ChargeDate": day(71), "ChargeAmount": "170.00"}]}]}),
    ]
    if end is not None:
        changes.append(offer_change("UpdateAvailability", {"AvailabilityEndDate": end}))
    if release:
        changes.append(offer_change("ReleaseOffer", {}))
    return changes


def run(sandbox, cat, changes, step=600, limit=200):
    cs = cat.start_change_set(Catalog="AWSMarketplace", ChangeSet=changes)["ChangeSetId"]
    for _ in range(limit):
        d = cat.describe_change_set(Catalog="AWSMarketplace", ChangeSetId=cs)
        if d["Status"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return d
        sandbox.advance(step)
    raise AssertionError(f"{cs} never finished")


def codes(done):
    return [e["ErrorCode"] for c in done["ChangeSet"] for e in c["ErrorDetailList"]]


def created_offer(done):
    return next(c for c in done["ChangeSet"] if c["ChangeType"] == "CreateOffer")["Entity"]["Identifier"].split("@")[0]


def offer_summaries(cat, **filters):
    return cat.list_entities(Catalog="AWSMarketplace", EntityType="Offer", EntityTypeFilters={"OfferFilters": filters})["EntitySummaryList"]


def test_private_offer_is_released_next_to_the_public_offer(sandbox):
    """A private offer (buyer accounts in PositiveTargeting) with every change type the "Work with
    private offers" page documents is released although the product already has a released public
    offer, and its DescribeEntity document carries its rules and terms.
    https://docs.aws.amazon.com/marketplace/latest/APIReference/work-with-private-offers.html"""
    cat = sandbox.client("marketplace-catalog")
    end = day(30)
    done = run(sandbox, cat, private_offer(end=end))
    assert done["Status"] == "SUCCEEDED", done
    offer = created_offer(done)
    doc = cat.describe_entity(Catalog="AWSMarketplace", EntityId=offer)["DetailsDocument"]
    assert doc["State"] == "Released" and doc["ProductId"] == METERED
    assert doc["Name"] == "Acme for Example Corp"
    rules = {r["Type"]: r for r in doc["Rules"]}
    assert rules["TargetingRule"]["PositiveTargeting"]["BuyerAccounts"] == [BUYER]
    assert rules["AvailabilityRule"]["AvailabilityEndDate"] == end
    terms = {t["Type"]: t for t in doc["Terms"]}
    assert terms["ValidityTerm"]["AgreementDuration"] == "P650D"
    assert [s["ChargeAmount"] for s in terms["PaymentScheduleTerm"]["Schedule"]] == ["200.00", "170.00"]
    assert {"LegalTerm", "UsageBasedPricingTerm", "FixedUpfrontPricingTerm"} <= set(terms)
    public = cat.describe_entity(Catalog="AWSMarketplace", EntityId=METERED_OFFER)["DetailsDocument"]
    assert public["State"] == "Released"


def test_private_offer_expires_through_its_availability_end_date(sandbox):
    """Expiring a private offer: UpdateAvailability with an AvailabilityEndDate in the past, as the
    AWS example "Expire a private offer" does.
    https://docs.aws.amazon.com/marketplace/latest/APIReference/marketplace-catalog_example_marketplace-catalog_ExpirePrivateOffer_section.html"""
    cat = sandbox.client("marketplace-catalog")
    done = run(sandbox, cat, private_offer(end=day(30)))
    assert done["Status"] == "SUCCEEDED", done
    offer = created_offer(done)
    expired = run(sandbox, cat, [offer_change("UpdateAvailability", {"AvailabilityEndDate": "2023-01-01"}, offer)])
    assert expired["Status"] == "SUCCEEDED", expired
    doc = cat.describe_entity(Catalog="AWSMarketplace", EntityId=offer)["DetailsDocument"]
    rules = {r["Type"]: r for r in doc["Rules"]}
    assert rules["AvailabilityRule"]["AvailabilityEndDate"] == "2023-01-01"
    ended = offer_summaries(cat, AvailabilityEndDate={"DateRange": {"BeforeValue": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}})
    assert [o["EntityId"] for o in ended] == [offer]
    assert ended[0]["OfferSummary"]["AvailabilityEndDate"] == "2023-01-01T00:00:00Z"
    # Extending it again is the documented "update the expiration date to a future date".
    extended = run(sandbox, cat, [offer_change("UpdateAvailability", {"AvailabilityEndDate": day(60)}, offer)])
    assert extended["Status"] == "SUCCEEDED", extended


def test_offer_validation_errors(sandbox):
    """The asynchronous errors of offer changes: an end date or validity term on a public offer,
    a private offer released without an end date, a second public offer, malformed buyer accounts
    and a malformed payment schedule.
    https://docs.aws.amazon.com/marketplace/latest/APIReference/work-with-private-offers.html"""
    cat = sandbox.client("marketplace-catalog")
    public_end = run(sandbox, cat, [offer_change("UpdateAvailability", {"AvailabilityEndDate": day(30)}, FEDORA_OFFER)])
    assert codes(public_end) == ["INVALID_AVAILABILITY_END_DATE"]
    public_validity = run(sandbox, cat, [offer_change("UpdateValidityTerms", {"Terms": [{"Type": "ValidityTerm", "AgreementDuration": "P12M"}]}, FEDORA_OFFER)])
    assert public_validity["Status"] == "FAILED" and codes(public_validity)
    no_end = run(sandbox, cat, private_offer(end=None))
    assert "MISSING_AVAILABILITY_END_DATE" in codes(no_end)
    past_release = run(sandbox, cat, private_offer(end="2023-01-01"))
    assert "INVALID_AVAILABILITY_END_DATE" in codes(past_release)
    bad_buyers = run(sandbox, cat, private_offer(end=day(30), buyers=("12345",)))
    assert bad_buyers["Status"] == "FAILED" and codes(bad_buyers)
    changes = private_offer(end=day(30))
    schedule = next(c for c in changes if c["ChangeType"] == "UpdatePaymentScheduleTerms")
    schedule["DetailsDocument"]["Terms"][0]["Schedule"][0]["ChargeDate"] = "01/02/2030"
    bad_schedule = run(sandbox, cat, changes)
    assert bad_schedule["Status"] == "FAILED" and codes(bad_schedule)
    second_public = run(sandbox, cat, [
        {"ChangeType": "CreateOffer", "ChangeName": "PrivateOffer", "Entity": {"Type": "Offer@1.0"}, "DetailsDocument": {"ProductId": METERED, "Name": "Another public offer"}},
        offer_change("UpdatePricingTerms", {"PricingModel": "Usage", "Terms": [{"Type": "UsageBasedPricingTerm", "CurrencyCode": "USD", "RateCards": [{"RateCard": [{"DimensionKey": k, "Price": "0.01"} for k in DIMENSIONS]}]}]}),
        offer_change("ReleaseOffer", {}),
    ])
    assert "TOO_MANY_OFFERS" in codes(second_public)
    with pytest.raises(ClientError) as e:
        cat.start_change_set(Catalog="AWSMarketplace", ChangeSet=[offer_change("UpdatePaymentScheduleTerms", {"Terms": [], "Colour": "blue"}, METERED_OFFER)])
    assert error_code(e.value) == "ValidationException"


def test_list_entities_summarises_and_filters_offers(sandbox):
    """ListEntities returns the documented OfferSummary members (Name, ProductId, ReleaseDate,
    AvailabilityEndDate, BuyerAccounts, State, Targeting) and honours OfferFilters; an untitled
    draft has no Name member rather than an empty one.
    https://docs.aws.amazon.com/marketplace/latest/APIReference/API_ListEntities.html
    https://docs.aws.amazon.com/marketplace/latest/APIReference/API_OfferSummary.html
    https://docs.aws.amazon.com/marketplace/latest/APIReference/API_OfferFilters.html"""
    cat = sandbox.client("marketplace-catalog")
    end = day(30)
    offer = created_offer(run(sandbox, cat, private_offer(end=end)))
    draft = created_offer(run(sandbox, cat, [{"ChangeType": "CreateOffer", "ChangeName": "PrivateOffer", "Entity": {"Type": "Offer@1.0"}, "DetailsDocument": {"ProductId": METERED}}]))

    private = offer_summaries(cat, Targeting={"ValueList": ["BuyerAccounts"]})
    assert [o["EntityId"] for o in private] == [offer]
    s = private[0]["OfferSummary"]
    assert s["Name"] == "Acme for Example Corp" and s["ProductId"] == METERED and s["State"] == "Released"
    assert s["BuyerAccounts"] == [BUYER] and s["Targeting"] == ["BuyerAccounts"]
    assert s["AvailabilityEndDate"] == f"{end}T00:00:00Z" and len(s["ReleaseDate"]) == 20
    assert private[0]["Name"] == "Acme for Example Corp"

    untargeted = {o["EntityId"] for o in offer_summaries(cat, Targeting={"ValueList": ["None"]})}
    assert draft in untargeted and offer not in untargeted
    drafts = offer_summaries(cat, State={"ValueList": ["Draft"]})
    assert [o["EntityId"] for o in drafts] == [draft]
    assert "Name" not in drafts[0] and "Name" not in drafts[0]["OfferSummary"]
    assert [o["EntityId"] for o in offer_summaries(cat, BuyerAccounts={"WildCardValue": BUYER[:6]})] == [offer]
    assert [o["EntityId"] for o in offer_summaries(cat, Name={"WildCardValue": "Example Corp"})] == [offer]
    assert [o["EntityId"] for o in offer_summaries(cat, Name={"ValueList": ["Acme API Gateway"]})] == [METERED_OFFER]
    after = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ending = offer_summaries(cat, AvailabilityEndDate={"DateRange": {"AfterValue": after}})
    assert [o["EntityId"] for o in ending] == [offer]
    released = {o["EntityId"] for o in offer_summaries(cat, ReleaseDate={"DateRange": {"AfterValue": after}})}
    assert offer in released and draft not in released
    by_product = offer_summaries(cat, ProductId={"ValueList": [METERED]}, State={"ValueList": ["Released"]})
    assert {o["EntityId"] for o in by_product} == {offer, METERED_OFFER}
    ordered = cat.list_entities(Catalog="AWSMarketplace", EntityType="Offer", EntityTypeSort={"OfferSort": {"SortBy": "Name", "SortOrder": "ASCENDING"}})["EntitySummaryList"]
    names = [o.get("Name", "") for o in ordered]
    assert names == sorted(names)
    cli = sandbox.cli("marketplace-catalog", "list-entities", "--catalog", "AWSMarketplace", "--entity-type", "Offer",
                      "--entity-type-filters", '{"OfferFilters": {"Targeting": {"ValueList": ["BuyerAccounts"]}}}')
    assert [o["OfferSummary"]["BuyerAccounts"] for o in cli["EntitySummaryList"]] == [[BUYER]]
