//! Storage for visit reports: the event fields [`crate::visits::aggregate`] reads, and the
//! per-site counter of events browsers dropped from a full queue (`"dropped": N` in a batch).

use rusqlite::{params, OptionalExtension};

use super::sqlite::{internal, SqliteStore};
use super::StoreError;
use crate::visits::VisitRow;

/// Events a site's browsers reported dropped.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DroppedCount {
    /// Site id.
    pub site: String,
    /// Events dropped, summed over batches.
    pub dropped: u64,
    /// Batches that reported drops.
    pub batches: u64,
    /// Receive time of the latest such batch, ms.
    pub last_at: i64,
}

/// Visit reports and dropped-event counters.
pub trait VisitStore {
    /// The events of a site (or of all sites) that visit reports read, with `ts >= since`.
    ///
    /// # Errors
    /// On storage failure.
    fn visit_rows(&self, site: Option<&str>, since: i64) -> Result<Vec<VisitRow>, StoreError>;
    /// Adds `dropped` to a site's counter.
    ///
    /// # Errors
    /// On storage failure.
    fn add_dropped(&self, site: &str, dropped: u64, at: i64) -> Result<(), StoreError>;
    /// The counter of one site, or of every site that has one.
    ///
    /// # Errors
    /// On storage failure.
    fn dropped_counts(&self, site: Option<&str>) -> Result<Vec<DroppedCount>, StoreError>;
}

/// `data` fields read only when they have the expected JSON type, so an odd stored value (from
/// before validation, or hand-inserted) is NULL rather than a failed row.
const VISIT_ROWS_SQL: &str = "SELECT id, type, visitor, session, ts, path, source_group,
        source_name, revisit,
        CASE WHEN json_type(data, '$.engaged_ms') = 'integer'
             THEN json_extract(data, '$.engaged_ms') END,
        CASE WHEN json_type(data, '$.scroll_pct') IN ('integer', 'real')
             THEN CAST(json_extract(data, '$.scroll_pct') AS INTEGER) END,
        CASE WHEN json_type(data, '$.page_view') = 'text'
             THEN json_extract(data, '$.page_view') END,
        CASE WHEN json_type(data, '$.name') = 'text' THEN json_extract(data, '$.name') END
    FROM events
    WHERE (?1 IS NULL OR site = ?1) AND ts >= ?2 AND session <> ''
      AND (data IS NULL OR json_valid(data))";

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl VisitStore for SqliteStore {
    fn visit_rows(&self, site: Option<&str>, since: i64) -> Result<Vec<VisitRow>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(VISIT_ROWS_SQL).map_err(internal)?;
        let rows = stmt
            .query_map(params![site, since], |row| {
                Ok(VisitRow {
                    id: row.get(0)?,
                    kind: row.get(1)?,
                    visitor: row.get(2)?,
                    session: row.get(3)?,
                    ts: row.get(4)?,
                    path: row.get(5)?,
                    source_group: row.get(6)?,
                    source_name: row.get(7)?,
                    revisit: row.get(8)?,
                    engaged_ms: row.get(9)?,
                    scroll_pct: row.get(10)?,
                    page_view: row.get(11)?,
                    name: row.get(12)?,
                })
            })
            .map_err(internal)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(internal)
    }

    fn add_dropped(&self, site: &str, dropped: u64, at: i64) -> Result<(), StoreError> {
        let dropped = i64::try_from(dropped).unwrap_or(i64::MAX);
        self.writer()
            .execute(
                "INSERT INTO dropped_events (site, dropped, batches, last_at) VALUES (?1, ?2, 1, ?3)
                 ON CONFLICT (site) DO UPDATE SET dropped = dropped + excluded.dropped,
                    batches = batches + 1, last_at = max(last_at, excluded.last_at)",
                params![site, dropped, at],
            )
            .map_err(internal)?;
        Ok(())
    }

    fn dropped_counts(&self, site: Option<&str>) -> Result<Vec<DroppedCount>, StoreError> {
        let conn = self.reader();
        let map = |row: &rusqlite::Row<'_>| {
            Ok(DroppedCount {
                site: row.get(0)?,
                dropped: to_u64(row.get(1)?),
                batches: to_u64(row.get(2)?),
                last_at: row.get(3)?,
            })
        };
        match site {
            Some(site) => {
                let one = conn
                    .query_row(
                        "SELECT site, dropped, batches, last_at FROM dropped_events WHERE site = ?1",
                        params![site],
                        map,
                    )
                    .optional()
                    .map_err(internal)?;
                Ok(one.into_iter().collect())
            }
            None => {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT site, dropped, batches, last_at FROM dropped_events ORDER BY site",
                    )
                    .map_err(internal)?;
                let rows = stmt.query_map([], map).map_err(internal)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(internal)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::parse_batch;
    use crate::store::EventStore;
    use serde_json::json;

    fn store_with(events: serde_json::Value) -> SqliteStore {
        let store = SqliteStore::open_in_memory().expect("db");
        let batch = parse_batch(&json!({"site": "s", "events": events}), 1).expect("valid");
        store.insert_events(&batch.events).expect("insert");
        store
    }

    fn ev(
        n: u32,
        kind: &str,
        session: &str,
        ts: i64,
        data: serde_json::Value,
    ) -> serde_json::Value {
        json!({"id": format!("01890a5d-ac96-774b-bcce-{n:012x}"), "type": kind, "ts": ts,
               "visitor": "v", "session": session, "url": "https://a.jp/p?q", "data": data})
    }

    #[test]
    fn rows_carry_the_data_fields() {
        let pv = "01890a5d-ac96-774b-bcce-000000000001";
        let store = store_with(json!([
            ev(
                1,
                "page_view",
                "s1",
                10,
                json!({"path": "/p", "nav": "load"})
            ),
            ev(
                2,
                "engagement",
                "s1",
                20,
                json!({"engaged_ms": 1500, "scroll_pct": 42.5, "page_view": pv})
            ),
            ev(3, "trigger", "s1", 30, json!({"name": "chat"})),
            ev(4, "page_view", "", 40, json!({})),
        ]));
        let mut rows = store.visit_rows(Some("s"), 0).expect("rows");
        rows.sort_by_key(|r| r.ts);
        assert_eq!(rows.len(), 3, "empty sessions are not visits");
        assert_eq!(rows[0].path, "/p");
        assert_eq!(
            (
                rows[1].engaged_ms,
                rows[1].scroll_pct,
                rows[1].page_view.as_deref()
            ),
            (Some(1500), Some(42), Some(pv))
        );
        assert_eq!(rows[2].name.as_deref(), Some("chat"));
        assert!(store.visit_rows(Some("s"), 25).expect("rows").len() == 1);
        assert!(store.visit_rows(Some("other"), 0).expect("rows").is_empty());
    }

    #[test]
    fn odd_stored_data_is_null_not_an_error() {
        let store = SqliteStore::open_in_memory().expect("db");
        let batch = parse_batch(
            &json!({"site": "s", "events": [ev(1, "engagement", "s1", 1, json!({"engaged_ms": 5}))]}),
            1,
        )
        .expect("valid");
        let mut event = batch.events[0].clone();
        event.data = Some(r#"{"engaged_ms": "lots", "scroll_pct": [1], "name": 3}"#.into());
        store.insert_events(&[event]).expect("insert");
        let rows = store.visit_rows(None, 0).expect("rows");
        assert_eq!(
            (
                rows[0].engaged_ms,
                rows[0].scroll_pct,
                rows[0].name.as_deref()
            ),
            (None, None, None)
        );
    }

    #[test]
    fn dropped_counters_add_up_per_site() {
        let store = SqliteStore::open_in_memory().expect("db");
        assert!(store.dropped_counts(None).expect("counts").is_empty());
        store.add_dropped("a", 3, 10).expect("add");
        store.add_dropped("a", 4, 20).expect("add");
        store.add_dropped("b", 1, 15).expect("add");
        assert_eq!(
            store.dropped_counts(Some("a")).expect("counts"),
            [DroppedCount {
                site: "a".into(),
                dropped: 7,
                batches: 2,
                last_at: 20
            }]
        );
        assert_eq!(store.dropped_counts(None).expect("counts").len(), 2);
        assert!(store.dropped_counts(Some("c")).expect("counts").is_empty());
    }
}
