//! The envelope every SQS batch shares (SendMessageBatch, DeleteMessageBatch,
//! ChangeMessageVisibilityBatch): 1 to 10 entries with distinct, well-formed ids, and an answer
//! that lists each entry under `Successful` or `Failed`
//! (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html>).

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::error::{AwsError, AwsResult};

/// Most entries in one batch.
const MAX_ENTRIES: usize = 10;
/// Longest entry id, characters.
const MAX_ID_CHARS: usize = 80;

/// The entries of a batch request, checked.
pub fn entries<'b>(body: &'b Value, entry_type: &str) -> AwsResult<&'b [Value]> {
    let entries = body["Entries"].as_array().map_or(&[][..], Vec::as_slice);
    if entries.is_empty() {
        return Err(AwsError::bad(
            "EmptyBatchRequest",
            format!("There should be at least one {entry_type} in the request."),
        ));
    }
    if entries.len() > MAX_ENTRIES {
        return Err(AwsError::bad(
            "TooManyEntriesInBatchRequest",
            format!(
                "Maximum number of entries per request are {MAX_ENTRIES}. You have sent {}.",
                entries.len()
            ),
        ));
    }
    let mut seen = BTreeSet::new();
    for e in entries {
        let id = e["Id"].as_str().unwrap_or("");
        let well_formed = !id.is_empty()
            && id.chars().count() <= MAX_ID_CHARS
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !well_formed {
            return Err(AwsError::bad(
                "InvalidBatchEntryId",
                "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
            ));
        }
        if !seen.insert(id) {
            return Err(AwsError::bad(
                "BatchEntryIdsNotDistinct",
                format!("Id {id} repeated."),
            ));
        }
    }
    Ok(entries)
}

/// Collects per-entry outcomes into the batch answer.
#[derive(Default)]
pub struct Outcomes {
    successful: Vec<Value>,
    failed: Vec<Value>,
}

impl Outcomes {
    /// Records one entry's outcome; a success's fields are merged after its `Id`.
    pub fn push(&mut self, id: &str, outcome: AwsResult<Value>) {
        match outcome {
            Ok(mut v) => {
                v["Id"] = Value::from(id);
                self.successful.push(v);
            }
            Err(e) => self.failed.push(json!({
                "Id": id,
                "SenderFault": e.status < 500,
                "Code": e.code,
                "Message": e.message,
            })),
        }
    }

    /// The answer body.
    pub fn finish(self) -> Value {
        json!({ "Successful": self.successful, "Failed": self.failed })
    }
}
