//! Storage for calls from the webhook, attributed or not.
//!
//! A call is stored once per `(site, call_id)`: a provider delivering the same webhook twice
//! gets the stored attribution back. The `visitor` and `session` columns link calls to visits
//! and leads (`store::leads` reads them).

use rusqlite::{params, OptionalExtension, Row};

use super::sqlite::{internal, SqliteStore};
use super::StoreError;

/// A call with its attribution, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    /// Collector's id (UUID).
    pub id: String,
    /// Site id.
    pub site: String,
    /// Provider's call id.
    pub call_id: String,
    /// Called number, E.164.
    pub called_number: String,
    /// Caller, E.164; `None` when withheld.
    pub caller_number: Option<String>,
    /// Start, ms.
    pub started_at: i64,
    /// Talk time, s (0: not answered).
    pub duration_s: i64,
    /// Recording URL.
    pub recording_url: Option<String>,
    /// When the webhook arrived, ms.
    pub received_at: i64,
    /// Why there is no visitor (`fallback_number`, ...); `None` when a visitor was found.
    pub reason: Option<String>,
    /// Visitor attributed.
    pub visitor: Option<String>,
    /// Their session.
    pub session: Option<String>,
    /// Lease that held the number.
    pub lease_id: Option<String>,
    /// Pool of the called number.
    pub pool: Option<String>,
    /// Source rule name.
    pub source_name: Option<String>,
    /// Referrer group.
    pub source_group: Option<String>,
    /// `utm_campaign`.
    pub campaign: Option<String>,
    /// Landing page.
    pub landing: Option<String>,
    /// The attribution answered to the webhook, as JSON text.
    pub attribution: String,
}

/// Which calls a report reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallFilter {
    /// Only this site.
    pub site: Option<String>,
    /// Calls started at or after this time, ms.
    pub since: Option<i64>,
}

/// Call storage.
pub trait CallStore {
    /// Stores a call unless `(site, call_id)` is stored already; then returns the stored one.
    ///
    /// # Errors
    /// On storage failure.
    fn insert_call(&self, call: &CallRecord) -> Result<Option<CallRecord>, StoreError>;
    /// One call by provider id.
    ///
    /// # Errors
    /// On storage failure.
    fn call(&self, site: &str, call_id: &str) -> Result<Option<CallRecord>, StoreError>;
    /// Calls, newest first, at most `limit`.
    ///
    /// # Errors
    /// On storage failure.
    fn list_calls(&self, filter: &CallFilter, limit: usize) -> Result<Vec<CallRecord>, StoreError>;
}

const CALL_COLUMNS: &str = "id, site, call_id, called_number, caller_number, started_at,
    duration_s, recording_url, received_at, reason, visitor, session, lease_id, pool,
    source_name, source_group, campaign, landing, attribution";

fn call_from_row(row: &Row<'_>) -> rusqlite::Result<CallRecord> {
    Ok(CallRecord {
        id: row.get(0)?,
        site: row.get(1)?,
        call_id: row.get(2)?,
        called_number: row.get(3)?,
        caller_number: row.get(4)?,
        started_at: row.get(5)?,
        duration_s: row.get(6)?,
        recording_url: row.get(7)?,
        received_at: row.get(8)?,
        reason: row.get(9)?,
        visitor: row.get(10)?,
        session: row.get(11)?,
        lease_id: row.get(12)?,
        pool: row.get(13)?,
        source_name: row.get(14)?,
        source_group: row.get(15)?,
        campaign: row.get(16)?,
        landing: row.get(17)?,
        attribution: row.get(18)?,
    })
}

fn call_by_provider_id(
    conn: &rusqlite::Connection,
    site: &str,
    call_id: &str,
) -> Result<Option<CallRecord>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {CALL_COLUMNS} FROM calls WHERE site = ?1 AND call_id = ?2"
    ))
    .map_err(internal)?
    .query_row(params![site, call_id], call_from_row)
    .optional()
    .map_err(internal)
}

impl CallStore for SqliteStore {
    fn insert_call(&self, c: &CallRecord) -> Result<Option<CallRecord>, StoreError> {
        let conn = self.writer();
        let inserted = conn
            .prepare_cached(&format!(
                "INSERT INTO calls ({CALL_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,
                 ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)
                 ON CONFLICT (site, call_id) DO NOTHING"
            ))
            .map_err(internal)?
            .execute(params![
                c.id,
                c.site,
                c.call_id,
                c.called_number,
                c.caller_number,
                c.started_at,
                c.duration_s,
                c.recording_url,
                c.received_at,
                c.reason,
                c.visitor,
                c.session,
                c.lease_id,
                c.pool,
                c.source_name,
                c.source_group,
                c.campaign,
                c.landing,
                c.attribution
            ])
            .map_err(internal)?;
        if inserted == 1 {
            Ok(None)
        } else {
            call_by_provider_id(&conn, &c.site, &c.call_id)
        }
    }

    fn call(&self, site: &str, call_id: &str) -> Result<Option<CallRecord>, StoreError> {
        call_by_provider_id(&self.reader(), site, call_id)
    }

    fn list_calls(&self, filter: &CallFilter, limit: usize) -> Result<Vec<CallRecord>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {CALL_COLUMNS} FROM calls
                 WHERE (?1 IS NULL OR site = ?1) AND (?2 IS NULL OR started_at >= ?2)
                 ORDER BY started_at DESC, rowid DESC LIMIT ?3"
            ))
            .map_err(internal)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![filter.site, filter.since, limit], call_from_row)
            .map_err(internal)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(internal)
    }
}

/// The calls table. Shipped as a migration in `sqlite.rs`: never edit it, add a new one.
pub const MIGRATION: &str = "CREATE TABLE calls (
        id             TEXT PRIMARY KEY,
        site           TEXT NOT NULL,
        call_id        TEXT NOT NULL,
        called_number  TEXT NOT NULL,
        caller_number  TEXT,
        started_at     INTEGER NOT NULL,
        duration_s     INTEGER NOT NULL,
        recording_url  TEXT,
        received_at    INTEGER NOT NULL,
        reason         TEXT,
        visitor        TEXT,
        session        TEXT,
        lease_id       TEXT,
        pool           TEXT,
        source_name    TEXT,
        source_group   TEXT,
        campaign       TEXT,
        landing        TEXT,
        attribution    TEXT NOT NULL,
        UNIQUE (site, call_id)
    );
    CREATE INDEX calls_site_started ON calls (site, started_at);
    CREATE INDEX calls_started ON calls (started_at);
    CREATE INDEX calls_site_visitor ON calls (site, visitor);";
