//! Storage for leads: lead-moment events, calls attributed to visitors, first touches and
//! journeys. Merging is not done here ([`crate::merge`] is pure); this only reads rows.
//!
//! Calls live in the `calls` table of the call-attribution work (`store/calls.rs`: `visitor`,
//! `session`, `started_at`, `caller_number`). This module reads it only when it exists and has
//! `site` and `visitor` columns, and picks its time and caller columns by name from a fixed
//! list, so a schema change there degrades to "no calls in leads" rather than a failing report.

use rusqlite::{params, Connection};

use super::sqlite::{internal, SqliteStore};
use super::StoreError;

/// The event types that are lead moments.
pub const MOMENT_TYPES: [&str; 4] = ["form_submit", "identify", "lead", "call_click"];

/// A stored lead-moment event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MomentRow {
    /// Event id.
    pub id: String,
    /// Event type.
    pub kind: String,
    /// Visitor id.
    pub visitor: String,
    /// Session id.
    pub session: String,
    /// Client time, ms.
    pub ts: i64,
    /// `data` as JSON text.
    pub data: Option<String>,
}

/// A call attributed to a visitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRow {
    /// Call id.
    pub id: String,
    /// Visitor id it was attributed to.
    pub visitor: String,
    /// Session id, when known.
    pub session: String,
    /// Start time, ms (0 when the table has no time column).
    pub ts: i64,
    /// Caller's number as stored.
    pub caller: Option<String>,
}

/// One event of a visitor, for journeys and first touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TouchRow {
    /// Event id.
    pub id: String,
    /// Event type.
    pub kind: String,
    /// Visitor id.
    pub visitor: String,
    /// Session id.
    pub session: String,
    /// Client time, ms.
    pub ts: i64,
    /// Page URL.
    pub url: String,
    /// Page path.
    pub path: String,
    /// Referrer.
    pub referrer: String,
    /// Referrer group.
    pub source_group: Option<String>,
    /// Source rule name.
    pub source_name: Option<String>,
    /// `data` as JSON text.
    pub data: Option<String>,
}

/// Reads for lead reports.
pub trait LeadStore {
    /// A site's lead-moment events ([`MOMENT_TYPES`]), oldest first.
    ///
    /// # Errors
    /// On storage failure.
    fn lead_moments(&self, site: &str) -> Result<Vec<MomentRow>, StoreError>;
    /// A site's calls attributed to a visitor; empty while there is no `calls` table.
    ///
    /// # Errors
    /// On storage failure.
    fn attributed_calls(&self, site: &str) -> Result<Vec<CallRow>, StoreError>;
    /// The earliest event of every non-empty visitor id of a site.
    ///
    /// # Errors
    /// On storage failure.
    fn first_touches(&self, site: &str) -> Result<Vec<TouchRow>, StoreError>;
    /// Events of these visitors, oldest first, at most `limit` per visitor (the earliest).
    ///
    /// # Errors
    /// On storage failure.
    fn visitor_events(
        &self,
        site: &str,
        visitors: &[String],
        limit: usize,
    ) -> Result<Vec<TouchRow>, StoreError>;
    /// Event counts by visitor and type for these visitors: `(visitor, type, count)`.
    ///
    /// # Errors
    /// On storage failure.
    fn visitor_type_counts(
        &self,
        site: &str,
        visitors: &[String],
    ) -> Result<Vec<(String, String, u64)>, StoreError>;
}

const TOUCH_COLUMNS: &str =
    "id, type, visitor, session, ts, url, path, referrer, source_group, source_name, data";

fn touch_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<TouchRow> {
    Ok(TouchRow {
        id: row.get(0)?,
        kind: row.get(1)?,
        visitor: row.get(2)?,
        session: row.get(3)?,
        ts: row.get(4)?,
        url: row.get(5)?,
        path: row.get(6)?,
        referrer: row.get(7)?,
        source_group: row.get(8)?,
        source_name: row.get(9)?,
        data: row.get(10)?,
    })
}

/// The SQL reading attributed calls from whatever `calls` table exists, or `None`.
///
/// Column names come from the fixed lists below, never from input, so building the statement
/// is safe; the site is still a parameter.
fn calls_sql(conn: &Connection) -> Result<Option<String>, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT name FROM pragma_table_info('calls')")
        .map_err(internal)?;
    let columns: Vec<String> = stmt
        .query_map([], |row| row.get(0))
        .map_err(internal)?
        .collect::<Result<_, _>>()
        .map_err(internal)?;
    let has = |name: &str| columns.iter().any(|c| c == name);
    if !has("site") || !has("visitor") {
        return Ok(None);
    }
    let pick = |candidates: &[&str]| {
        candidates
            .iter()
            .find(|c| has(c))
            .map_or_else(|| "NULL".to_owned(), |c| format!("\"{c}\""))
    };
    let id = if has("id") { "\"id\"" } else { "rowid" };
    let session = pick(&["session"]);
    let ts = pick(&[
        "started_at",
        "start_ms",
        "start_at",
        "started",
        "ts",
        "received_at",
        "created_at",
    ]);
    let caller = pick(&["caller", "caller_number", "from_number", "from"]);
    Ok(Some(format!(
        "SELECT CAST({id} AS TEXT), visitor, COALESCE(CAST({session} AS TEXT), ''),
                COALESCE(CAST({ts} AS INTEGER), 0), CAST({caller} AS TEXT)
         FROM calls WHERE site = ?1 AND visitor IS NOT NULL AND visitor <> ''
         ORDER BY 4"
    )))
}

impl LeadStore for SqliteStore {
    fn lead_moments(&self, site: &str) -> Result<Vec<MomentRow>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, type, visitor, session, ts, data FROM events
                 WHERE site = ?1 AND type IN (?2, ?3, ?4, ?5) ORDER BY ts, id",
            )
            .map_err(internal)?;
        let [a, b, c, d] = MOMENT_TYPES;
        let rows = stmt
            .query_map(params![site, a, b, c, d], |row| {
                Ok(MomentRow {
                    id: row.get(0)?,
                    kind: row.get(1)?,
                    visitor: row.get(2)?,
                    session: row.get(3)?,
                    ts: row.get(4)?,
                    data: row.get(5)?,
                })
            })
            .map_err(internal)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(internal)
    }

    fn attributed_calls(&self, site: &str) -> Result<Vec<CallRow>, StoreError> {
        let conn = self.reader();
        let Some(sql) = calls_sql(&conn)? else {
            return Ok(Vec::new());
        };
        let mut stmt = conn.prepare_cached(&sql).map_err(internal)?;
        let rows = stmt
            .query_map(params![site], |row| {
                Ok(CallRow {
                    id: row.get::<_, Option<String>>(0)?.unwrap_or_default(),
                    visitor: row.get(1)?,
                    session: row.get(2)?,
                    ts: row.get(3)?,
                    caller: row.get(4)?,
                })
            })
            .map_err(internal)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(internal)
    }

    fn first_touches(&self, site: &str) -> Result<Vec<TouchRow>, StoreError> {
        let conn = self.reader();
        // SQLite returns the other columns from the row that holds MIN(ts).
        let sql = format!(
            "SELECT {TOUCH_COLUMNS}, MIN(ts) FROM events
             WHERE site = ?1 AND visitor <> '' GROUP BY visitor"
        );
        let mut stmt = conn.prepare_cached(&sql).map_err(internal)?;
        let rows = stmt.query_map(params![site], touch_row).map_err(internal)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(internal)
    }

    fn visitor_events(
        &self,
        site: &str,
        visitors: &[String],
        limit: usize,
    ) -> Result<Vec<TouchRow>, StoreError> {
        let conn = self.reader();
        let sql = format!(
            "SELECT {TOUCH_COLUMNS} FROM events WHERE site = ?1 AND visitor = ?2
             ORDER BY ts, id LIMIT ?3"
        );
        let mut stmt = conn.prepare_cached(&sql).map_err(internal)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut out = Vec::new();
        for visitor in visitors.iter().filter(|v| !v.is_empty()) {
            let rows = stmt
                .query_map(params![site, visitor, limit], touch_row)
                .map_err(internal)?;
            for row in rows {
                out.push(row.map_err(internal)?);
            }
        }
        out.sort_by(|a, b| a.ts.cmp(&b.ts).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }

    fn visitor_type_counts(
        &self,
        site: &str,
        visitors: &[String],
    ) -> Result<Vec<(String, String, u64)>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(
                "SELECT type, COUNT(*) FROM events WHERE site = ?1 AND visitor = ?2
                 GROUP BY type ORDER BY type",
            )
            .map_err(internal)?;
        let mut out = Vec::new();
        for visitor in visitors.iter().filter(|v| !v.is_empty()) {
            let rows = stmt
                .query_map(params![site, visitor], |row| {
                    let n: i64 = row.get(1)?;
                    Ok((
                        visitor.clone(),
                        row.get::<_, String>(0)?,
                        u64::try_from(n).unwrap_or(0),
                    ))
                })
                .map_err(internal)?;
            for row in rows {
                out.push(row.map_err(internal)?);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::parse_batch;
    use crate::store::EventStore;
    use serde_json::json;

    fn ev(n: u32, kind: &str, visitor: &str, ts: i64) -> serde_json::Value {
        json!({"id": format!("01890a5d-ac96-774b-bcce-{n:012x}"), "type": kind, "ts": ts,
               "visitor": visitor, "session": format!("s-{visitor}"), "url": format!("https://a.jp/p{n}"),
               "source": {"group": "search"}, "data": {"name": "x", "engaged_ms": 1, "channel": "chat"}})
    }

    fn store_with(site: &str, events: serde_json::Value) -> SqliteStore {
        let store = SqliteStore::open_in_memory().expect("db");
        let batch = parse_batch(&json!({"site": site, "events": events}), 1).expect("valid");
        store.insert_events(&batch.events).expect("insert");
        store
    }

    #[test]
    fn moments_first_touches_and_journeys() {
        let store = store_with(
            "s",
            json!([
                ev(1, "page_view", "v1", 30),
                ev(2, "page_view", "v1", 10),
                ev(3, "lead", "v1", 40),
                ev(4, "page_view", "v2", 5),
                ev(5, "engagement", "v2", 6),
                ev(6, "call_click", "", 7),
            ]),
        );
        let moments = store.lead_moments("s").expect("moments");
        let ids: Vec<&str> = moments.iter().map(|m| m.kind.as_str()).collect();
        assert_eq!(ids, ["call_click", "lead"]);
        assert!(store.lead_moments("other").expect("moments").is_empty());

        let mut firsts = store.first_touches("s").expect("firsts");
        firsts.sort_by(|a, b| a.visitor.cmp(&b.visitor));
        assert_eq!(firsts.len(), 2, "empty visitor ids are left out");
        assert_eq!(
            (
                firsts[0].visitor.as_str(),
                firsts[0].ts,
                firsts[0].path.as_str()
            ),
            ("v1", 10, "/p2")
        );
        assert_eq!(firsts[1].ts, 5);

        let journey = store
            .visitor_events("s", &["v1".into(), "v2".into(), String::new()], 2)
            .expect("journey");
        let ts: Vec<i64> = journey.iter().map(|e| e.ts).collect();
        assert_eq!(ts, [5, 6, 10, 30], "two per visitor, oldest first");

        let counts = store
            .visitor_type_counts("s", &["v1".into()])
            .expect("counts");
        assert_eq!(
            counts,
            [
                ("v1".into(), "lead".into(), 1),
                ("v1".into(), "page_view".into(), 2)
            ]
        );
    }

    #[test]
    fn calls_are_read_from_the_calls_migration() {
        let store = SqliteStore::open_in_memory().expect("db");
        // The shape of the calls migration (store/calls.rs); IF NOT EXISTS keeps this test
        // meaningful on a checkout where that migration is not in yet.
        store
            .writer()
            .execute_batch(
                "CREATE TABLE IF NOT EXISTS calls (id TEXT PRIMARY KEY, site TEXT NOT NULL,
                    call_id TEXT NOT NULL, called_number TEXT NOT NULL, caller_number TEXT,
                    started_at INTEGER NOT NULL, duration_s INTEGER NOT NULL,
                    received_at INTEGER NOT NULL, attribution TEXT NOT NULL, visitor TEXT,
                    session TEXT);
                 INSERT INTO calls (id, site, call_id, called_number, caller_number, started_at,
                    duration_s, received_at, attribution, visitor, session)
                 VALUES ('c1', 's', 'x1', '+81399990001', '+819012345678', 50, 30, 60, 'lease', 'v1', 's1'),
                        ('c2', 's', 'x2', '+81399990001', NULL, 40, 30, 60, 'none', NULL, NULL),
                        ('c3', 't', 'x3', '+81399990001', NULL, 40, 30, 60, 'lease', 'v9', NULL);",
            )
            .expect("calls");
        let calls = store.attributed_calls("s").expect("calls");
        assert_eq!(
            calls,
            [CallRow {
                id: "c1".into(),
                visitor: "v1".into(),
                session: "s1".into(),
                ts: 50,
                caller: Some("+819012345678".into()),
            }]
        );
    }

    #[test]
    fn calls_tables_of_other_shapes() {
        let store = SqliteStore::open_in_memory().expect("db");
        let conn = store.writer();
        conn.execute_batch("DROP TABLE IF EXISTS calls")
            .expect("drop");
        drop(conn);
        assert!(store.attributed_calls("s").expect("no table").is_empty());
        let conn = store.writer();
        conn.execute_batch("CREATE TABLE calls (id TEXT, site TEXT);")
            .expect("calls table");
        drop(conn);
        assert!(store
            .attributed_calls("s")
            .expect("no visitor column")
            .is_empty());
    }
}
