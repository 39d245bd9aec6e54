//! SQLite backend: one file, WAL, one writer connection and one reader connection.
//!
//! WAL lets the report pages read while a batch is being written. Writes are serialized by the
//! writer mutex (SQLite allows one writer anyway); each batch is one transaction, so a batch is
//! stored whole or not at all. All SQL is parameterized.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{params, Connection, ErrorCode};

use super::{
    Count, EventFilter, EventRow, EventStore, InsertOutcome, NewEvent, RawEvent, StoreError,
};

/// Schema migrations, applied in order; `PRAGMA user_version` counts those applied.
/// Append new ones at the end; never edit one that has shipped.
const MIGRATIONS: &[&str] = &[
    // 1: events
    "CREATE TABLE events (
        id           TEXT PRIMARY KEY,
        site         TEXT NOT NULL,
        type         TEXT NOT NULL,
        visitor      TEXT NOT NULL,
        session      TEXT NOT NULL,
        ts           INTEGER NOT NULL,
        received_at  INTEGER NOT NULL,
        sent_at      INTEGER,
        url          TEXT NOT NULL,
        path         TEXT NOT NULL,
        referrer     TEXT NOT NULL,
        title        TEXT,
        source_name  TEXT,
        source_group TEXT,
        revisit      INTEGER,
        data         TEXT,
        raw          TEXT NOT NULL
    );
    CREATE INDEX events_site_received ON events (site, received_at);
    CREATE INDEX events_received ON events (received_at);
    CREATE INDEX events_site_visitor_ts ON events (site, visitor, ts);",
    // 2: visits and leads (store/visits.rs, store/leads.rs): per-site type scans for lead
    // moments; counters of events browsers dropped from full queues.
    "CREATE INDEX events_site_type_ts ON events (site, type, ts);
    CREATE TABLE dropped_events (
        site     TEXT PRIMARY KEY,
        dropped  INTEGER NOT NULL,
        batches  INTEGER NOT NULL,
        last_at  INTEGER NOT NULL
    );",
    // 3: number leases and pool overflows (store/leases.rs)
    super::leases::MIGRATION,
    // 4: calls from the webhook (store/calls.rs)
    super::calls::MIGRATION,
    // 5: latest lease per number, for one-statement allocation (store/leases.rs)
    super::leases::MIGRATION_LATEST,
];

/// The `WHERE` clause every event query shares: `?1`..`?4` are the [`EventFilter`] fields,
/// each ignored when NULL.
macro_rules! event_filter_sql {
    () => {
        " WHERE (?1 IS NULL OR site = ?1) AND (?2 IS NULL OR type = ?2)
           AND (?3 IS NULL OR visitor = ?3) AND (?4 IS NULL OR session = ?4) "
    };
}

/// The SQL the ingest path runs per event (also used by the ingest benchmark's baseline).
pub const INSERT_EVENT_SQL: &str = "INSERT INTO events (id, site, type, visitor, session, ts,
    received_at, sent_at, url, path, referrer, title, source_name, source_group, revisit, data, raw)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
    ON CONFLICT (id) DO NOTHING";

/// SQLite-backed [`super::Store`].
pub struct SqliteStore {
    writer: Mutex<Connection>,
    /// A second connection for reads; `None` for in-memory databases, which cannot share one.
    reader: Option<Mutex<Connection>>,
}

impl SqliteStore {
    /// Opens (creating it and its parent directories if needed) and migrates the database file.
    ///
    /// # Errors
    /// When the directory cannot be created or the file cannot be opened or migrated.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|err| {
                StoreError::Internal(format!("cannot create {}: {err}", dir.display()))
            })?;
        }
        let mut writer = Connection::open(path).map_err(internal)?;
        configure(&writer)?;
        writer
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(internal)?;
        migrate(&mut writer)?;
        let reader = Connection::open(path).map_err(internal)?;
        configure(&reader)?;
        reader
            .pragma_update(None, "query_only", true)
            .map_err(internal)?;
        Ok(SqliteStore {
            writer: Mutex::new(writer),
            reader: Some(Mutex::new(reader)),
        })
    }

    /// A private in-memory database (tests).
    ///
    /// # Errors
    /// When SQLite cannot allocate it (practically never).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let mut conn = Connection::open_in_memory().map_err(internal)?;
        configure(&conn)?;
        migrate(&mut conn)?;
        Ok(SqliteStore {
            writer: Mutex::new(conn),
            reader: None,
        })
    }

    pub(super) fn writer(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves the connection usable: an open transaction is
        // rolled back when its guard drops. So a poisoned lock is taken over, not propagated.
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn reader(&self) -> MutexGuard<'_, Connection> {
        match &self.reader {
            Some(reader) => reader.lock().unwrap_or_else(|p| p.into_inner()),
            None => self.writer(),
        }
    }
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(Duration::from_secs(5))
        .map_err(internal)?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(internal)?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(internal)?;
    Ok(())
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let applied: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(internal)?;
    let applied = usize::try_from(applied).unwrap_or(0);
    if applied > MIGRATIONS.len() {
        return Err(StoreError::Internal(format!(
            "database schema version {applied} is newer than this collector ({})",
            MIGRATIONS.len()
        )));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        let tx = conn.transaction().map_err(internal)?;
        tx.execute_batch(sql).map_err(internal)?;
        tx.pragma_update(
            None,
            "user_version",
            i64::try_from(index + 1).unwrap_or(i64::MAX),
        )
        .map_err(internal)?;
        tx.commit().map_err(internal)?;
    }
    Ok(())
}

/// Maps a SQLite error: lock contention is `Busy` (retryable), the rest `Internal`.
pub(super) fn internal(err: rusqlite::Error) -> StoreError {
    match err.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            StoreError::Busy(err.to_string())
        }
        _ => StoreError::Internal(err.to_string()),
    }
}

/// The four [`EventFilter`] parameters, in `event_filter_sql!` order.
fn filter_params(filter: &EventFilter) -> [&dyn rusqlite::ToSql; 4] {
    [&filter.site, &filter.kind, &filter.visitor, &filter.session]
}

impl SqliteStore {
    /// Runs a filtered `SELECT key, detail, COUNT(*)` (detail may be `NULL`) into [`Count`]s.
    fn grouped_counts(&self, sql: &str, filter: &EventFilter) -> Result<Vec<Count>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(sql).map_err(internal)?;
        let rows = stmt
            .query_map(filter_params(filter), |row| {
                Ok(Count {
                    key: row.get(0)?,
                    detail: row.get(1)?,
                    count: get_count(row, 2)?,
                })
            })
            .map_err(internal)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(internal)
    }
}

/// Reads a `COUNT(*)` column.
fn get_count(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<u64> {
    let n: i64 = row.get(index)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Inserts one event with a prepared statement; `true` when it was new.
///
/// # Errors
/// On SQLite failure.
pub fn insert_event(
    stmt: &mut rusqlite::CachedStatement<'_>,
    e: &NewEvent,
) -> rusqlite::Result<bool> {
    let changed = stmt.execute(params![
        e.id,
        e.site,
        e.kind.as_str(),
        e.visitor,
        e.session,
        e.ts,
        e.received_at,
        e.sent_at,
        e.url,
        e.path,
        e.referrer,
        e.title,
        e.source_name,
        e.source_group,
        e.revisit,
        e.data,
        e.raw,
    ])?;
    Ok(changed == 1)
}

impl EventStore for SqliteStore {
    fn insert_events(&self, events: &[NewEvent]) -> Result<InsertOutcome, StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction().map_err(internal)?;
        let mut outcome = InsertOutcome::default();
        {
            let mut stmt = tx.prepare_cached(INSERT_EVENT_SQL).map_err(internal)?;
            for event in events {
                if insert_event(&mut stmt, event).map_err(internal)? {
                    outcome.accepted += 1;
                } else {
                    outcome.duplicates += 1;
                }
            }
        }
        tx.commit().map_err(internal)?;
        Ok(outcome)
    }

    fn recent_events(
        &self,
        filter: &EventFilter,
        limit: usize,
    ) -> Result<Vec<EventRow>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(concat!(
                "SELECT id, site, type, visitor, session, ts, received_at, url, path, referrer,
                        source_name, source_group
                 FROM events",
                event_filter_sql!(),
                "ORDER BY received_at DESC, rowid DESC LIMIT ?5"
            ))
            .map_err(internal)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(
                params![
                    filter.site,
                    filter.kind,
                    filter.visitor,
                    filter.session,
                    limit
                ],
                |row| {
                    Ok(EventRow {
                        id: row.get(0)?,
                        site: row.get(1)?,
                        kind: row.get(2)?,
                        visitor: row.get(3)?,
                        session: row.get(4)?,
                        ts: row.get(5)?,
                        received_at: row.get(6)?,
                        url: row.get(7)?,
                        path: row.get(8)?,
                        referrer: row.get(9)?,
                        source_name: row.get(10)?,
                        source_group: row.get(11)?,
                    })
                },
            )
            .map_err(internal)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(internal)
    }

    fn list_events(
        &self,
        filter: &EventFilter,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<RawEvent>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(concat!(
                "SELECT site, received_at, raw, source_group FROM events",
                event_filter_sql!(),
                "ORDER BY rowid LIMIT ?5 OFFSET ?6"
            ))
            .map_err(internal)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(
                params![
                    filter.site,
                    filter.kind,
                    filter.visitor,
                    filter.session,
                    limit,
                    offset
                ],
                |row| {
                    Ok(RawEvent {
                        site: row.get(0)?,
                        received_at: row.get(1)?,
                        raw: row.get(2)?,
                        source_group: row.get(3)?,
                    })
                },
            )
            .map_err(internal)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(internal)
    }

    fn count_events_by_type(&self, filter: &EventFilter) -> Result<Vec<Count>, StoreError> {
        self.grouped_counts(
            concat!(
                "SELECT type, NULL, COUNT(*) AS n FROM events",
                event_filter_sql!(),
                "GROUP BY type ORDER BY n DESC, type"
            ),
            filter,
        )
    }

    fn count_page_views_by_source(&self, filter: &EventFilter) -> Result<Vec<Count>, StoreError> {
        self.grouped_counts(
            concat!(
                "SELECT COALESCE(source_group, ''), source_name, COUNT(*) AS n FROM events",
                event_filter_sql!(),
                "AND type = 'page_view' GROUP BY 1, 2 ORDER BY n DESC, 1, 2"
            ),
            filter,
        )
    }

    fn count_events(&self, filter: &EventFilter) -> Result<u64, StoreError> {
        let conn = self.reader();
        conn.query_row(
            concat!("SELECT COUNT(*) FROM events", event_filter_sql!()),
            filter_params(filter),
            |row| get_count(row, 0),
        )
        .map_err(internal)
    }

    fn sites_with_events(&self) -> Result<Vec<String>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached("SELECT DISTINCT site FROM events ORDER BY site")
            .map_err(internal)?;
        let rows = stmt.query_map([], |row| row.get(0)).map_err(internal)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(internal)
    }
}
