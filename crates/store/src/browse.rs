//! The queries of the console and the JSON API: releases and jobs a page at a time (newest
//! first, by the row's insertion number, with optional state and product filters) and the
//! timelines of many releases in one query, for the chart of where release time goes.

use std::collections::BTreeMap;

use amipub_domain::job::Job;
use amipub_domain::release::Release;
use amipub_engine::ports::TimelineEntry;
use sqlx::{AssertSqlSafe, Row};

use crate::db::SqlStore;
use crate::error::StoreError;

/// Which rows a page asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only rows in this state (its stored name).
    pub state: Option<String>,
    /// Only rows of this product.
    pub product: Option<String>,
    /// Only rows older than this cursor (a row number a previous page gave).
    pub before: Option<i64>,
    /// At most this many.
    pub limit: i64,
}

impl Filter {
    /// `SELECT rowid, id, body FROM <table>` with the filter's conditions, newest first; the
    /// values to bind in order.
    fn sql(&self, table: &str) -> (String, Vec<String>, Option<i64>) {
        let mut conds = Vec::new();
        let mut texts = Vec::new();
        for (column, value) in [("state", &self.state), ("product", &self.product)] {
            if let Some(v) = value {
                texts.push(v.clone());
                conds.push(format!("{column} = ${}", texts.len()));
            }
        }
        if self.before.is_some() {
            conds.push(format!("rowid < ${}", texts.len() + 1));
        }
        let limit_at = texts.len() + usize::from(self.before.is_some()) + 1;
        let filter = if conds.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conds.join(" AND "))
        };
        let sql = format!(
            "SELECT rowid, id, body FROM {table}{filter} ORDER BY rowid DESC LIMIT ${limit_at}"
        );
        (sql, texts, self.before)
    }
}

impl SqlStore {
    async fn rows(
        &self,
        table: &str,
        f: &Filter,
    ) -> Result<Vec<(i64, String, String)>, StoreError> {
        let (sql, texts, before) = f.sql(table);
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for t in texts {
            q = q.bind(t);
        }
        if let Some(b) = before {
            q = q.bind(b);
        }
        let rows = q.bind(f.limit.max(0)).fetch_all(&self.pool).await?;
        rows.into_iter()
            .map(|r| Ok((r.try_get("rowid")?, r.try_get("id")?, r.try_get("body")?)))
            .collect()
    }

    /// A page of releases, newest first, each with its row number (the next page's cursor).
    pub async fn release_page(&self, f: &Filter) -> Result<Vec<(i64, Release)>, StoreError> {
        self.rows("releases", f)
            .await?
            .into_iter()
            .map(|(n, id, body)| Ok((n, crate::releases::decode(&id, &body)?)))
            .collect()
    }

    /// A page of lifecycle jobs, newest first.
    pub async fn job_page(&self, f: &Filter) -> Result<Vec<(i64, Job)>, StoreError> {
        self.rows("jobs", f)
            .await?
            .into_iter()
            .map(|(n, id, body)| Ok((n, crate::jobs::decode(&id, &body)?)))
            .collect()
    }

    /// The timelines of several releases, oldest entry first, in one query.
    pub async fn timelines(
        &self,
        ids: &[String],
    ) -> Result<BTreeMap<String, Vec<TimelineEntry>>, StoreError> {
        let mut out: BTreeMap<String, Vec<TimelineEntry>> = BTreeMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT release_id, at, event, from_state, to_state, detail FROM timeline \
             WHERE release_id IN ({}) ORDER BY seq",
            marks.join(", ")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for id in ids {
            q = q.bind(id.clone());
        }
        for r in q.fetch_all(&self.pool).await? {
            let id: String = r.try_get("release_id")?;
            out.entry(id).or_default().push(TimelineEntry {
                at: r.try_get("at")?,
                event: r.try_get("event")?,
                from: r.try_get("from_state")?,
                to: r.try_get("to_state")?,
                detail: r.try_get("detail")?,
            });
        }
        Ok(out)
    }
}
