//! Storage for number leases and pool overflows; the rules are in [`crate::leases`].
//!
//! Every lease decision reads the pool's state and writes its outcome in one write
//! transaction, so two requests can never be handed the same number, and leases survive a
//! restart because they only ever live in the database.

use rusqlite::{params, OptionalExtension, Row, Transaction};

use super::sqlite::{internal, SqliteStore};
use super::StoreError;
use crate::clock::Clock;
use crate::leases::{self, Allocation, Heartbeat, Lease, PoolSpec};

/// A lease request, validated against the site's config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseRequest {
    /// Visitor id.
    pub visitor: String,
    /// Session id.
    pub session: String,
    /// The target the number replaces, E.164.
    pub target: String,
    /// Source rule name the snippet matched, if it said.
    pub source: Option<String>,
}

/// What a lease request got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseGrant {
    /// A lease (new, returning, or renewed).
    Leased {
        /// The lease as stored now.
        lease: Box<Lease>,
        /// The visitor's active lease was renewed rather than a new one issued.
        renewed: bool,
        /// A new lease on the number this visitor held before.
        returning: bool,
    },
    /// No number free: the fallback; the overflow was recorded.
    Overflow,
}

/// What happened to a heartbeat or release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseUpdate {
    /// Done; the lease as stored now.
    Done(Box<Lease>),
    /// The lease cannot be extended (reason).
    Gone(&'static str),
    /// No such lease.
    NotFound,
}

/// Pool usage over a time window, for reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolActivity {
    /// Leases that overlap the window: `(number, issued_at, end)`.
    pub leases: Vec<(String, i64, i64)>,
    /// Overflow times in the window.
    pub overflows: Vec<i64>,
    /// Leases issued in the window (new, not renewed).
    pub issued: u64,
}

/// Lease storage.
pub trait LeaseStore {
    /// Runs [`leases::allocate`] for `request` and stores its outcome; `new_id` is used if a
    /// new lease is issued. The lease methods read `clock` once they hold the write lock, so
    /// decisions are made in the order of their times.
    ///
    /// # Errors
    /// On storage failure.
    fn acquire_lease(
        &self,
        pool: &PoolSpec,
        request: &LeaseRequest,
        clock: &Clock,
        new_id: &str,
    ) -> Result<LeaseGrant, StoreError>;
    /// Extends a lease by its idle window (see [`leases::heartbeat`]).
    ///
    /// # Errors
    /// On storage failure.
    fn heartbeat_lease(&self, id: &str, clock: &Clock) -> Result<LeaseUpdate, StoreError>;
    /// Releases a lease: its number is free from now on. Releasing twice is harmless.
    ///
    /// # Errors
    /// On storage failure.
    fn release_lease(&self, id: &str, clock: &Clock) -> Result<LeaseUpdate, StoreError>;
    /// The latest lease on `number` of `site` issued before `t` (strictly: nobody calls a
    /// number in the millisecond it is shown).
    ///
    /// # Errors
    /// On storage failure.
    fn lease_at(&self, site: &str, number: &str, t: i64) -> Result<Option<Lease>, StoreError>;
    /// A lease by id.
    ///
    /// # Errors
    /// On storage failure.
    fn lease(&self, id: &str) -> Result<Option<Lease>, StoreError>;
    /// Leases and overflows of one pool in `[from, to)`.
    ///
    /// # Errors
    /// On storage failure.
    fn pool_activity(
        &self,
        site: &str,
        pool: &str,
        from: i64,
        to: i64,
    ) -> Result<PoolActivity, StoreError>;
}

const LEASE_COLUMNS: &str = "id, site, pool, target, number, visitor, session, source, issued_at,
    last_seen, expires_at, released_at, idle_ms";

fn lease_from_row(row: &Row<'_>) -> rusqlite::Result<Lease> {
    Ok(Lease {
        id: row.get(0)?,
        site: row.get(1)?,
        pool: row.get(2)?,
        target: row.get(3)?,
        number: row.get(4)?,
        visitor: row.get(5)?,
        session: row.get(6)?,
        source: row.get(7)?,
        issued_at: row.get(8)?,
        last_seen: row.get(9)?,
        expires_at: row.get(10)?,
        released_at: row.get(11)?,
        idle_ms: row.get(12)?,
    })
}

fn latest_on_number(
    tx: &Transaction<'_>,
    site: &str,
    number: &str,
) -> Result<Option<Lease>, StoreError> {
    tx.prepare_cached(&format!(
        "SELECT {LEASE_COLUMNS} FROM leases
         WHERE id = (SELECT lease_id FROM lease_latest WHERE site = ?1 AND number = ?2)"
    ))
    .map_err(internal)?
    .query_row(params![site, number], lease_from_row)
    .optional()
    .map_err(internal)
}

/// The latest lease on each of the pool's numbers, in pool order, in one statement over the
/// `lease_latest` pointers (one row per number, however long the lease history grows).
fn latest_on_numbers(
    tx: &Transaction<'_>,
    pool: &PoolSpec,
) -> Result<Vec<Option<Lease>>, StoreError> {
    let numbers = serde_json::Value::from(
        pool.numbers
            .iter()
            .map(|n| n.e164.clone())
            .collect::<Vec<_>>(),
    )
    .to_string();
    let mut stmt = tx
        .prepare_cached(&format!(
            "SELECT {LEASE_COLUMNS} FROM leases WHERE id IN (
                 SELECT lease_id FROM lease_latest
                 WHERE site = ?1 AND number IN (SELECT value FROM json_each(?2)))"
        ))
        .map_err(internal)?;
    let found = stmt
        .query_map(params![pool.site, numbers], lease_from_row)
        .map_err(internal)?
        .collect::<Result<Vec<Lease>, _>>()
        .map_err(internal)?;
    let mut by_number: std::collections::HashMap<String, Lease> = found
        .into_iter()
        .map(|lease| (lease.number.clone(), lease))
        .collect();
    Ok(pool
        .numbers
        .iter()
        .map(|n| by_number.remove(&n.e164))
        .collect())
}

fn lease_by_id(conn: &rusqlite::Connection, id: &str) -> Result<Option<Lease>, StoreError> {
    conn.prepare_cached(&format!("SELECT {LEASE_COLUMNS} FROM leases WHERE id = ?1"))
        .map_err(internal)?
        .query_row(params![id], lease_from_row)
        .optional()
        .map_err(internal)
}

impl LeaseStore for SqliteStore {
    fn acquire_lease(
        &self,
        pool: &PoolSpec,
        request: &LeaseRequest,
        clock: &Clock,
        new_id: &str,
    ) -> Result<LeaseGrant, StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction().map_err(internal)?;
        let now = clock.now_ms();
        let latest = latest_on_numbers(&tx, pool)?;
        let previous = tx
            .prepare_cached(&format!(
                "SELECT {LEASE_COLUMNS} FROM leases
                 WHERE site = ?1 AND pool = ?2 AND target = ?3 AND visitor = ?4
                 ORDER BY issued_at DESC, rowid DESC LIMIT 1"
            ))
            .map_err(internal)?
            .query_row(
                params![pool.site, pool.name, request.target, request.visitor],
                lease_from_row,
            )
            .optional()
            .map_err(internal)?;
        let grant = match leases::allocate(pool, &latest, previous.as_ref(), now) {
            Allocation::Renew => {
                let Some(mut lease) = previous else {
                    return Err(StoreError::Internal("renewal without a lease".into()));
                };
                lease.last_seen = now;
                lease.expires_at = now.saturating_add(lease.idle_ms);
                lease.session.clone_from(&request.session);
                if request.source.is_some() {
                    lease.source.clone_from(&request.source);
                }
                tx.execute(
                    "UPDATE leases SET last_seen = ?2, expires_at = ?3, session = ?4, source = ?5
                     WHERE id = ?1",
                    params![
                        lease.id,
                        lease.last_seen,
                        lease.expires_at,
                        lease.session,
                        lease.source
                    ],
                )
                .map_err(internal)?;
                LeaseGrant::Leased {
                    lease: Box::new(lease),
                    renewed: true,
                    returning: false,
                }
            }
            Allocation::New { index, returning } => {
                let number = pool
                    .numbers
                    .get(index)
                    .ok_or_else(|| StoreError::Internal("allocation out of range".into()))?;
                let lease = Lease {
                    id: new_id.to_owned(),
                    site: pool.site.clone(),
                    pool: pool.name.clone(),
                    target: request.target.clone(),
                    number: number.e164.clone(),
                    visitor: request.visitor.clone(),
                    session: request.session.clone(),
                    source: request.source.clone(),
                    issued_at: now,
                    last_seen: now,
                    expires_at: now.saturating_add(pool.idle_ms),
                    released_at: None,
                    idle_ms: pool.idle_ms,
                };
                tx.execute(
                    &format!(
                        "INSERT INTO leases ({LEASE_COLUMNS})
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
                    ),
                    params![
                        lease.id,
                        lease.site,
                        lease.pool,
                        lease.target,
                        lease.number,
                        lease.visitor,
                        lease.session,
                        lease.source,
                        lease.issued_at,
                        lease.last_seen,
                        lease.expires_at,
                        lease.released_at,
                        lease.idle_ms
                    ],
                )
                .map_err(internal)?;
                tx.execute(
                    "INSERT INTO lease_latest (site, number, lease_id) VALUES (?1, ?2, ?3)
                     ON CONFLICT (site, number) DO UPDATE SET lease_id = excluded.lease_id",
                    params![lease.site, lease.number, lease.id],
                )
                .map_err(internal)?;
                LeaseGrant::Leased {
                    lease: Box::new(lease),
                    renewed: false,
                    returning,
                }
            }
            Allocation::Exhausted => {
                tx.execute(
                    "INSERT INTO lease_overflows (site, pool, target, visitor, session, at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        pool.site,
                        pool.name,
                        request.target,
                        request.visitor,
                        request.session,
                        now
                    ],
                )
                .map_err(internal)?;
                LeaseGrant::Overflow
            }
        };
        tx.commit().map_err(internal)?;
        Ok(grant)
    }

    fn heartbeat_lease(&self, id: &str, clock: &Clock) -> Result<LeaseUpdate, StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction().map_err(internal)?;
        let now = clock.now_ms();
        let Some(mut lease) = lease_by_id(&tx, id)? else {
            return Ok(LeaseUpdate::NotFound);
        };
        let latest = latest_on_number(&tx, &lease.site, &lease.number)?;
        match leases::heartbeat(&lease, latest.as_ref(), now) {
            Heartbeat::Gone(reason) => Ok(LeaseUpdate::Gone(reason)),
            Heartbeat::Extended(expires_at) => {
                lease.last_seen = now;
                lease.expires_at = expires_at;
                tx.execute(
                    "UPDATE leases SET last_seen = ?2, expires_at = ?3 WHERE id = ?1",
                    params![lease.id, lease.last_seen, lease.expires_at],
                )
                .map_err(internal)?;
                tx.commit().map_err(internal)?;
                Ok(LeaseUpdate::Done(Box::new(lease)))
            }
        }
    }

    fn release_lease(&self, id: &str, clock: &Clock) -> Result<LeaseUpdate, StoreError> {
        let conn = self.writer();
        let now = clock.now_ms();
        let Some(mut lease) = lease_by_id(&conn, id)? else {
            return Ok(LeaseUpdate::NotFound);
        };
        if lease.released_at.is_none() && lease.expires_at > now {
            lease.released_at = Some(now);
            conn.execute(
                "UPDATE leases SET released_at = ?2 WHERE id = ?1",
                params![lease.id, now],
            )
            .map_err(internal)?;
        }
        Ok(LeaseUpdate::Done(Box::new(lease)))
    }

    fn lease_at(&self, site: &str, number: &str, t: i64) -> Result<Option<Lease>, StoreError> {
        let conn = self.reader();
        let lease = conn
            .prepare_cached(&format!(
                "SELECT {LEASE_COLUMNS} FROM leases
                 WHERE site = ?1 AND number = ?2 AND issued_at < ?3
                 ORDER BY issued_at DESC, rowid DESC LIMIT 1"
            ))
            .map_err(internal)?
            .query_row(params![site, number, t], lease_from_row)
            .optional()
            .map_err(internal);
        lease
    }

    fn lease(&self, id: &str) -> Result<Option<Lease>, StoreError> {
        lease_by_id(&self.reader(), id)
    }

    fn pool_activity(
        &self,
        site: &str,
        pool: &str,
        from: i64,
        to: i64,
    ) -> Result<PoolActivity, StoreError> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(
                "SELECT number, issued_at,
                        CASE WHEN released_at IS NOT NULL AND released_at < expires_at
                             THEN released_at ELSE expires_at END AS ended
                 FROM leases WHERE site = ?1 AND pool = ?2 AND issued_at < ?4 AND
                      (CASE WHEN released_at IS NOT NULL AND released_at < expires_at
                            THEN released_at ELSE expires_at END) > ?3
                 ORDER BY issued_at",
            )
            .map_err(internal)?;
        let leases = stmt
            .query_map(params![site, pool, from, to], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })
            .map_err(internal)?
            .collect::<Result<Vec<(String, i64, i64)>, _>>()
            .map_err(internal)?;
        let issued = leases
            .iter()
            .filter(|(_, issued_at, _)| *issued_at >= from)
            .count() as u64;
        let mut stmt = conn
            .prepare_cached(
                "SELECT at FROM lease_overflows WHERE site = ?1 AND pool = ?2 AND at >= ?3
                 AND at < ?4 ORDER BY at",
            )
            .map_err(internal)?;
        let overflows = stmt
            .query_map(params![site, pool, from, to], |row| row.get(0))
            .map_err(internal)?
            .collect::<Result<Vec<i64>, _>>()
            .map_err(internal)?;
        Ok(PoolActivity {
            leases,
            overflows,
            issued,
        })
    }
}

/// Leases and overflows. Shipped as a migration in `sqlite.rs`: never edit it, add a new one.
pub const MIGRATION: &str = "CREATE TABLE leases (
        id           TEXT PRIMARY KEY,
        site         TEXT NOT NULL,
        pool         TEXT NOT NULL,
        target       TEXT NOT NULL,
        number       TEXT NOT NULL,
        visitor      TEXT NOT NULL,
        session      TEXT NOT NULL,
        source       TEXT,
        issued_at    INTEGER NOT NULL,
        last_seen    INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL,
        released_at  INTEGER,
        idle_ms      INTEGER NOT NULL
    );
    CREATE INDEX leases_site_number ON leases (site, number, issued_at);
    CREATE INDEX leases_site_visitor ON leases (site, pool, target, visitor, issued_at);
    CREATE INDEX leases_site_pool_issued ON leases (site, pool, issued_at);
    CREATE TABLE lease_overflows (
        site     TEXT NOT NULL,
        pool     TEXT NOT NULL,
        target   TEXT NOT NULL,
        visitor  TEXT NOT NULL,
        session  TEXT NOT NULL,
        at       INTEGER NOT NULL
    );
    CREATE INDEX lease_overflows_site_pool_at ON lease_overflows (site, pool, at);";

/// The latest lease of each number, so allocation reads one row per pool number. Shipped as a
/// migration in `sqlite.rs`: never edit it, add a new one.
pub const MIGRATION_LATEST: &str = "CREATE TABLE lease_latest (
        site      TEXT NOT NULL,
        number    TEXT NOT NULL,
        lease_id  TEXT NOT NULL,
        PRIMARY KEY (site, number)
    );
    INSERT OR REPLACE INTO lease_latest (site, number, lease_id)
        SELECT site, number, id FROM leases ORDER BY issued_at, rowid;";
