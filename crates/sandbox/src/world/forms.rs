//! Second-party load-form tickets: the "New AMI Version " sheet a person attached to a ticket in
//! AWS Marketplace's second-party queue, as read, and how the Marketplace catalog team answered
//! it. State only: `catalog::second_party` reads workbooks, checks forms and publishes versions.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Where a ticket is.
///
/// ```text
/// submitted ──process──▶ accepted ──publish delay──▶ published
///     └──────process──▶ rejected
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// Waiting for the Marketplace team.
    Submitted,
    /// Checked and accepted; publishing is under way.
    Accepted,
    /// The versions are on their products and the Marketplace AMIs exist.
    Published,
    /// Checked and refused; `reason` says what to fix.
    Rejected,
}

impl TicketStatus {
    /// The status as the admin API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Accepted => "accepted",
            Self::Published => "published",
            Self::Rejected => "rejected",
        }
    }
}

/// One data row of the sheet: one new version of one product. Cells are trimmed text, empty
/// when the cell is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormRow {
    /// The sheet's row number, 1-based, as a person reads it.
    pub row: u32,
    /// `Product ID or ASIN or URL`.
    pub product: String,
    /// `Product Title`.
    pub product_title: String,
    /// `New Version Title`.
    pub version_title: String,
    /// `Release Notes`.
    pub release_notes: String,
    /// `Source AMI ID` (optional).
    pub source_ami: String,
    /// (Region, AMI id) of every filled `<region> Cloned AMI ID` cell, in column order.
    pub clones: Vec<(String, String)>,
}

impl FormRow {
    /// The cloned AMI id the row gives for `region`, if any.
    pub fn clone_in(&self, region: &str) -> Option<&str> {
        self.clones
            .iter()
            .find(|(r, _)| r == region)
            .map(|(_, ami)| ami.as_str())
    }
}

/// The "New AMI Version " sheet as read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Form {
    /// The sheet's name as the workbook spells it.
    pub sheet: String,
    /// Header (canonical spelling) → column letter, for reasons that point at a cell.
    pub columns: BTreeMap<String, String>,
    /// The data rows, from row 4 to the first empty row.
    pub rows: Vec<FormRow>,
}

impl Form {
    /// `column G ("eu-west-1 Cloned AMI ID")`, or the header alone when its column is unknown.
    pub fn column(&self, header: &str) -> String {
        match self.columns.get(header) {
            Some(letter) => format!("column {letter} (\"{header}\")"),
            None => format!("column \"{header}\""),
        }
    }
}

/// A ticket of the second-party queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    /// `2p-000001`.
    pub id: String,
    /// Where it is.
    pub status: TicketStatus,
    /// Who submitted it (free text from the submitter).
    pub submitted_by: Option<String>,
    /// The submitter's link to the ticket, if any.
    pub ticket_url: Option<String>,
    /// Virtual second of submission.
    pub submitted: f64,
    /// The sheet, when the attachment could be read.
    pub form: Option<Form>,
    /// Why the attachment could not be read, when it could not.
    pub unreadable: Option<String>,
    /// Why it was rejected.
    pub reason: Option<String>,
    /// Virtual second of the team's decision.
    pub processed: Option<f64>,
    /// Virtual second at which an accepted form is published.
    pub publish_at: Option<f64>,
}
