"""Amazon SQS through boto3 and the AWS CLI: errors of the query-compatible JSON protocol, queue
attributes, message attributes and their digests, system attributes, receipt handles, FIFO
queues, delays, size limits, dead-letter queues and queue policies.

Each test names the AWS documentation page it follows.
"""

import hashlib
import json
import struct
from datetime import datetime

import pytest
from botocore.exceptions import ClientError

from conftest import SELLER, error_code

STANDARD_ATTRIBUTES = {
    "QueueArn", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed", "CreatedTimestamp", "LastModifiedTimestamp",
    "VisibilityTimeout", "MaximumMessageSize", "MessageRetentionPeriod", "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds", "SqsManagedSseEnabled",
}
FIFO_ATTRIBUTES = STANDARD_ATTRIBUTES | {
    "FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit",
}


def now_ms(sandbox):
    """The sandbox's virtual time in epoch milliseconds."""
    now = sandbox.advance(0)["now"]
    return int(datetime.fromisoformat(now.replace("Z", "+00:00")).timestamp() * 1000)


def md5_of_attributes(attributes):
    """The digest of message attributes as the SQS Developer Guide specifies it: names sorted;
    per attribute the name, the data type (each as a 4-byte big-endian length and UTF-8 bytes),
    one transport byte (1 string, 2 binary) and the value as length and bytes."""
    def field(data):
        return struct.pack(">I", len(data)) + data
    out = b""
    for name in sorted(attributes):
        a = attributes[name]
        out += field(name.encode()) + field(a["DataType"].encode())
        if "BinaryValue" in a:
            out += b"\x02" + field(a["BinaryValue"])
        else:
            out += b"\x01" + field(a["StringValue"].encode())
    return hashlib.md5(out).hexdigest()


def cli(sandbox, *args, **kwargs):
    """The AWS CLI against the sandbox. AWS CLI v1 swaps in SQS's legacy us-east-1 host unless
    `--endpoint-url` is given on the command line, so it is."""
    return sandbox.cli(*args, "--endpoint-url", sandbox.endpoint, **kwargs)


def queue(sqs, name, **attributes):
    return sqs.create_queue(QueueName=name, Attributes={k: str(v) for k, v in attributes.items()})["QueueUrl"]


def attrs(sqs, url, *names):
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(names) or ["All"]).get("Attributes", {})


def test_missing_queue_reports_the_query_error_code(sandbox):
    """https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-json-api-responses.html
    (the `x-amzn-query-error` header carries `AWS.SimpleQueueService.NonExistentQueue;Sender`, the
    body's `__type` names the modeled `QueueDoesNotExist` error)."""
    sqs = sandbox.client("sqs")
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as e:
        sqs.get_queue_url(QueueName="no-such-queue")
    err = e.value.response["Error"]
    assert err["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert err["QueryErrorCode"] == "QueueDoesNotExist" and err["Type"] == "Sender"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    url = sandbox.endpoint + f"/{SELLER}/no-such-queue"
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.send_message(QueueUrl=url, MessageBody="x")
    out = cli(sandbox, "sqs", "get-queue-url", "--queue-name", "no-such-queue", check=False)
    assert "(AWS.SimpleQueueService.NonExistentQueue)" in out


def test_get_queue_attributes_returns_every_documented_attribute(sandbox):
    """https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html
    and the defaults of https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html"""
    sqs = sandbox.client("sqs")
    created = now_ms(sandbox) // 1000
    url = queue(sqs, "plain")
    got = attrs(sqs, url)
    assert set(got) == STANDARD_ATTRIBUTES
    assert got["QueueArn"] == f"arn:aws:sqs:us-east-1:{SELLER}:plain"
    assert got["VisibilityTimeout"] == "30" and got["DelaySeconds"] == "0"
    assert got["MaximumMessageSize"] == "1048576" and got["MessageRetentionPeriod"] == "345600"
    assert got["ReceiveMessageWaitTimeSeconds"] == "0" and got["SqsManagedSseEnabled"] == "true"
    assert got["CreatedTimestamp"] == str(created) == got["LastModifiedTimestamp"]
    assert got["ApproximateNumberOfMessages"] == "0"
    assert attrs(sqs, url, "QueueArn", "DelaySeconds") == {"QueueArn": got["QueueArn"], "DelaySeconds": "0"}
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=url)
    with pytest.raises(ClientError) as e:
        attrs(sqs, url, "NoSuchAttribute")
    assert error_code(e.value) == "InvalidAttributeName"
    fifo = queue(sqs, "ordered.fifo", FifoQueue="true")
    got = attrs(sqs, fifo)
    assert set(got) == FIFO_ATTRIBUTES
    assert (got["FifoQueue"], got["ContentBasedDeduplication"]) == ("true", "false")
    assert (got["DeduplicationScope"], got["FifoThroughputLimit"]) == ("queue", "perQueue")
    out = cli(sandbox, "sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "QueueArn")
    assert out["Attributes"] == {"QueueArn": f"arn:aws:sqs:us-east-1:{SELLER}:plain"}


def test_message_attributes_are_kept_and_digested(sandbox):
    """https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html
    (attributes, their MD5 digest algorithm, `All`, `.*` and prefix selection on receive) and
    https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html"""
    sqs = sandbox.client("sqs")
    url = queue(sqs, "attributes", VisibilityTimeout=0)
    sent_attrs = {
        "trace.id": {"DataType": "String", "StringValue": "abc"},
        "trace.hops": {"DataType": "Number", "StringValue": "3"},
        "blob": {"DataType": "Binary.gz", "BinaryValue": b"\x00\x01binary"},
    }
    sent = sqs.send_message(QueueUrl=url, MessageBody="hello", MessageAttributes=sent_attrs,
                            MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-5759e988-bd862e3fe1be46a994272793"}})
    assert sent["MD5OfMessageBody"] == hashlib.md5(b"hello").hexdigest()
    assert sent["MD5OfMessageAttributes"] == md5_of_attributes(sent_attrs)
    assert sent["MD5OfMessageSystemAttributes"] == md5_of_attributes({"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-5759e988-bd862e3fe1be46a994272793"}})
    msg = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], MessageSystemAttributeNames=["AWSTraceHeader"])["Messages"][0]
    assert msg["MessageAttributes"] == sent_attrs
    assert msg["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert msg["Attributes"] == {"AWSTraceHeader": "Root=1-5759e988-bd862e3fe1be46a994272793"}
    msg = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["trace.*"])["Messages"][0]
    assert set(msg["MessageAttributes"]) == {"trace.id", "trace.hops"}
    assert msg["MD5OfMessageAttributes"] == md5_of_attributes({k: sent_attrs[k] for k in ("trace.id", "trace.hops")})
    msg = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert "MessageAttributes" not in msg and "MD5OfMessageAttributes" not in msg
    batch = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "a", "MessageBody": "one", "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}},
        {"Id": "b", "MessageBody": "two"},
    ])
    ok = {e["Id"]: e for e in batch["Successful"]}
    assert ok["a"]["MD5OfMessageAttributes"] == md5_of_attributes({"k": {"DataType": "String", "StringValue": "v"}})
    assert "MD5OfMessageAttributes" not in ok["b"] and batch.get("Failed", []) == []
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes={"AWS.reserved": {"DataType": "String", "StringValue": "v"}})
    assert error_code(e.value) == "InvalidParameterValue"


def test_receive_returns_the_system_attributes_asked_for(sandbox):
    """https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
    (`MessageSystemAttributeNames`, the older `AttributeNames`; timestamps in epoch milliseconds)."""
    sqs = sandbox.client("sqs")
    url = queue(sqs, "system", VisibilityTimeout=0)
    sent_at = now_ms(sandbox)
    sqs.send_message(QueueUrl=url, MessageBody="m")
    sandbox.advance(5)
    msg = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert "Attributes" not in msg
    names = ["SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp", "SenderId"]
    got = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=names)["Messages"][0]["Attributes"]
    assert set(got) == set(names)
    assert got["SentTimestamp"] == str(sent_at)
    assert got["ApproximateFirstReceiveTimestamp"] == str(sent_at + 5000)
    assert got["ApproximateReceiveCount"] == "2" and got["SenderId"] == SELLER
    legacy = sqs.receive_message(QueueUrl=url, AttributeNames=["All"])["Messages"][0]["Attributes"]
    assert {"SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp", "SenderId"} <= set(legacy)
    assert legacy["ApproximateReceiveCount"] == "3"
    out = cli(sandbox, "sqs", "receive-message", "--queue-url", url, "--message-system-attribute-names", "SentTimestamp")
    assert out["Messages"][0]["Attributes"] == {"SentTimestamp": str(sent_at)}


def test_old_and_reused_receipt_handles_are_accepted(sandbox):
    """https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessage.html
    (an older receipt handle succeeds but may leave the message; only the latest one deletes it)."""
    sqs = sandbox.client("sqs")
    url = queue(sqs, "handles", VisibilityTimeout=0)
    sqs.send_message(QueueUrl=url, MessageBody="m")
    first = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    latest = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    assert first != latest
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=latest)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=latest)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid):
        sqs.delete_message(QueueUrl=url, ReceiptHandle="not-a-receipt-handle")


def test_fifo_queues_need_groups_and_deduplicate(sandbox):
    """https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-exactly-once-processing.html
    and https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
    (`MessageGroupId` required, deduplication by id or content within 5 minutes, no per-message delay)."""
    sqs = sandbox.client("sqs")
    for name, attributes in (("plain.fifo", {}), ("no-suffix", {"FifoQueue": "true"})):
        with pytest.raises(ClientError) as e:
            queue(sqs, name, **attributes)
        assert error_code(e.value) == "InvalidParameterValue"
    url = queue(sqs, "jobs.fifo", FifoQueue="true")
    assert url.endswith("/jobs.fifo")
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d")
    assert error_code(e.value) == "MissingParameter"
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")
    assert error_code(e.value) == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d", DelaySeconds=5)
    assert error_code(e.value) == "InvalidParameterValue"
    first = sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d")
    again = sqs.send_message(QueueUrl=url, MessageBody="y", MessageGroupId="g", MessageDeduplicationId="d")
    assert again["MessageId"] == first["MessageId"] and int(first["SequenceNumber"]) > 0
    sandbox.advance(301)
    later = sqs.send_message(QueueUrl=url, MessageBody="z", MessageGroupId="g", MessageDeduplicationId="d")
    assert later["MessageId"] != first["MessageId"]
    assert int(later["SequenceNumber"]) > int(first["SequenceNumber"])
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"])["Messages"]
    assert [m["Body"] for m in msgs] == ["x", "z"]
    assert msgs[0]["Attributes"]["MessageGroupId"] == "g" and msgs[0]["Attributes"]["MessageDeduplicationId"] == "d"
    assert msgs[0]["Attributes"]["SequenceNumber"] == first["SequenceNumber"]
    cbd = queue(sqs, "content.fifo", FifoQueue="true", ContentBasedDeduplication="true")
    a = sqs.send_message(QueueUrl=cbd, MessageBody="same", MessageGroupId="g")
    b = sqs.send_message(QueueUrl=cbd, MessageBody="same", MessageGroupId="g")
    assert a["MessageId"] == b["MessageId"]
    got = sqs.receive_message(QueueUrl=cbd, MaxNumberOfMessages=10, MessageSystemAttributeNames=["MessageDeduplicationId"])["Messages"]
    assert len(got) == 1
    assert got[0]["Attributes"]["MessageDeduplicationId"] == hashlib.sha256(b"same").hexdigest()


def test_fifo_queues_keep_order_within_a_group(sandbox):
    """https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-understanding-logic.html
    and `ReceiveRequestAttemptId` on https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
    (while a group's message is in flight, no later message of that group is returned)."""
    sqs = sandbox.client("sqs")
    url = queue(sqs, "orders.fifo", FifoQueue="true", ContentBasedDeduplication="true")
    for body, group in (("a1", "A"), ("a2", "A"), ("b1", "B")):
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group)
    a1 = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert a1["Body"] == "a1"
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]] == ["b1"]
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=a1["ReceiptHandle"])
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "a2"


def test_delays_and_size_limits(sandbox):
    """https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-delay-queues.html,
    https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
    (MaximumMessageSize 1,024 to 1,048,576 bytes) and
    https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html"""
    sqs = sandbox.client("sqs")
    url = queue(sqs, "delayed", DelaySeconds=60, MaximumMessageSize=1024)
    sqs.send_message(QueueUrl=url, MessageBody="late")
    sqs.send_message(QueueUrl=url, MessageBody="now", DelaySeconds=0)
    counts = attrs(sqs, url, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed")
    assert counts == {"ApproximateNumberOfMessages": "1", "ApproximateNumberOfMessagesDelayed": "1"}
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in first] == ["now"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"])
    sandbox.advance(60)
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]] == ["late"]
    sqs.send_message(QueueUrl=url, MessageBody="x" * 1024)
    for body, extra in (("x" * 1025, {}), ("x" * 1000, {"MessageAttributes": {"pad": {"DataType": "String", "StringValue": "y" * 30}}})):
        with pytest.raises(ClientError) as e:
            sqs.send_message(QueueUrl=url, MessageBody=body, **extra)
        assert error_code(e.value) == "InvalidParameterValue"
        assert "1024" in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"MaximumMessageSize": "1023"})
    assert error_code(e.value) == "InvalidAttributeValue"
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"MaximumMessageSize": "2048", "DelaySeconds": "0"})
    assert attrs(sqs, url, "MaximumMessageSize", "DelaySeconds") == {"MaximumMessageSize": "2048", "DelaySeconds": "0"}
    sqs.send_message(QueueUrl=url, MessageBody="x" * 2048)


def test_redrive_policy_moves_messages_to_the_dead_letter_queue(sandbox):
    """https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
    (after maxReceiveCount receives the message moves to the dead-letter queue) and
    https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html"""
    sqs = sandbox.client("sqs")
    dlq = queue(sqs, "dead")
    dlq_arn = attrs(sqs, dlq, "QueueArn")["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
    src = queue(sqs, "work", VisibilityTimeout=0, RedrivePolicy=policy)
    assert json.loads(attrs(sqs, src, "RedrivePolicy")["RedrivePolicy"]) == {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}
    sent = sqs.send_message(QueueUrl=src, MessageBody="poison")
    for _ in range(2):
        assert sqs.receive_message(QueueUrl=src)["Messages"][0]["Body"] == "poison"
    assert "Messages" not in sqs.receive_message(QueueUrl=src)
    moved = sqs.receive_message(QueueUrl=dlq, MessageSystemAttributeNames=["DeadLetterQueueSourceArn"])["Messages"][0]
    assert moved["MessageId"] == sent["MessageId"] and moved["Body"] == "poison"
    assert moved["Attributes"]["DeadLetterQueueSourceArn"] == attrs(sqs, src, "QueueArn")["QueueArn"]
    missing = json.dumps({"deadLetterTargetArn": f"arn:aws:sqs:us-east-1:{SELLER}:nope", "maxReceiveCount": 2})
    with pytest.raises(ClientError) as e:
        sqs.set_queue_attributes(QueueUrl=src, Attributes={"RedrivePolicy": missing})
    assert error_code(e.value) == "InvalidParameterValue"
    fifo_dlq = queue(sqs, "dead.fifo", FifoQueue="true")
    wrong_type = json.dumps({"deadLetterTargetArn": attrs(sqs, fifo_dlq, "QueueArn")["QueueArn"], "maxReceiveCount": 2})
    with pytest.raises(ClientError) as e:
        sqs.set_queue_attributes(QueueUrl=src, Attributes={"RedrivePolicy": wrong_type})
    assert error_code(e.value) == "InvalidParameterValue"


def test_policy_and_set_queue_attributes(sandbox):
    """https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
    and https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html
    (same name and attributes returns the queue; different attributes is `QueueAlreadyExists`)."""
    sqs = sandbox.client("sqs")
    url = queue(sqs, "governed")
    assert queue(sqs, "governed") == url
    arn = attrs(sqs, url, "QueueArn")["QueueArn"]
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": arn}]})
    sandbox.advance(10)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy, "VisibilityTimeout": "45"})
    got = attrs(sqs, url)
    assert json.loads(got["Policy"]) == json.loads(policy) and got["VisibilityTimeout"] == "45"
    assert int(got["LastModifiedTimestamp"]) == int(got["CreatedTimestamp"]) + 10
    with pytest.raises(ClientError) as e:
        queue(sqs, "governed", VisibilityTimeout=5)
    assert error_code(e.value) == "QueueAlreadyExists"
    for bad in ({"NoSuchAttribute": "1"}, {"FifoQueue": "true"}):
        with pytest.raises(ClientError) as e:
            sqs.set_queue_attributes(QueueUrl=url, Attributes=bad)
        assert error_code(e.value) in ("InvalidAttributeName", "InvalidAttributeValue")
    with pytest.raises(ClientError) as e:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "43201"})
    assert error_code(e.value) == "InvalidAttributeValue"
    cli(sandbox, "sqs", "set-queue-attributes", "--queue-url", url, "--attributes", "DelaySeconds=7")
    assert attrs(sqs, url, "DelaySeconds") == {"DelaySeconds": "7"}


def test_batches_visibility_purge_and_queue_lifecycle(sandbox):
    """https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessageBatch.html,
    https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html,
    https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_PurgeQueue.html (one purge
    per 60 seconds), https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ListQueues.html
    and https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteQueue.html"""
    sqs = sandbox.client("sqs")
    url = queue(sqs, "batch-work")
    with pytest.raises(ClientError) as e:
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "same", "MessageBody": "a"}, {"Id": "same", "MessageBody": "b"}])
    assert error_code(e.value) == "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"
    with pytest.raises(ClientError) as e:
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "m"} for i in range(11)])
    assert error_code(e.value) == "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(3)])
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(msgs) == 3
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=msgs[0]["ReceiptHandle"], VisibilityTimeout=0)
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["MessageId"] == msgs[0]["MessageId"]
    out = sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": "x", "ReceiptHandle": msgs[1]["ReceiptHandle"]}, {"Id": "y", "ReceiptHandle": "garbage"}])
    assert [s["Id"] for s in out["Successful"]] == ["x"]
    assert out["Failed"][0]["Id"] == "y" and out["Failed"][0]["Code"] == "ReceiptHandleIsInvalid" and out["Failed"][0]["SenderFault"]
    sqs.purge_queue(QueueUrl=url)
    with pytest.raises(sqs.exceptions.PurgeQueueInProgress) as e:
        sqs.purge_queue(QueueUrl=url)
    assert error_code(e.value) == "AWS.SimpleQueueService.PurgeQueueInProgress"
    assert attrs(sqs, url, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible") == {
        "ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}
    queue(sqs, "batch-other")
    listed = sqs.list_queues(QueueNamePrefix="batch-")["QueueUrls"]
    assert sorted(listed) == sorted([url, url.replace("batch-work", "batch-other")])
    sqs.delete_queue(QueueUrl=url)
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName="batch-work")
    with pytest.raises(sqs.exceptions.QueueDeletedRecently) as e:
        queue(sqs, "batch-work")
    assert error_code(e.value) == "AWS.SimpleQueueService.QueueDeletedRecently"
    sandbox.advance(60)
    assert queue(sqs, "batch-work") == url


def test_queues_take_tags_at_creation_and_later(sandbox):
    sqs = sandbox.client("sqs")
    url = sqs.create_queue(QueueName="tagged-queue", tags={"FedoraGroup": "cloud"})["QueueUrl"]
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"FedoraGroup": "cloud"}
    sqs.tag_queue(QueueUrl=url, Tags={"Team": "releng"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"FedoraGroup": "cloud", "Team": "releng"}
