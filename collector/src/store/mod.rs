//! Storage behind small traits, so a server database can replace SQLite without touching handlers.
//!
//! The traits are synchronous on purpose: the SQLite implementation is blocking, and a server
//! database can be driven through a blocking pool just the same. Handlers never call them
//! directly on the async threads; they go through [`Db::run`], which moves the work onto tokio's
//! blocking pool.
//!
//! Each domain gets its own trait (`EventStore` here; leases, calls and leads add theirs) and
//! [`Store`] is their sum, so one backend value serves the whole app.

pub mod calls;
pub mod leads;
pub mod leases;
mod sqlite;
pub mod visits;

use std::sync::Arc;

pub use calls::CallStore;
pub use leads::LeadStore;
pub use leases::LeaseStore;
pub use sqlite::{insert_event, SqliteStore, INSERT_EVENT_SQL};
pub use visits::VisitStore;

use crate::event::EventType;

/// A storage failure. The detail is for logs only.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Locked or overloaded: the client may retry.
    #[error("storage busy: {0}")]
    Busy(String),
    /// Anything else.
    #[error("storage error: {0}")]
    Internal(String),
}

/// One validated event, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// UUID, lower-case hyphenated: the idempotency key.
    pub id: String,
    /// Site id.
    pub site: String,
    /// Event type.
    pub kind: EventType,
    /// Visitor id from the snippet.
    pub visitor: String,
    /// Session id from the snippet.
    pub session: String,
    /// Client time, ms since the epoch.
    pub ts: i64,
    /// Server receive time, ms since the epoch.
    pub received_at: i64,
    /// Client time the batch was sent, when given (for clock-skew correction).
    pub sent_at: Option<i64>,
    /// Page URL.
    pub url: String,
    /// Path of the page URL (no query, no fragment).
    pub path: String,
    /// Referrer, possibly empty.
    pub referrer: String,
    /// Page title.
    pub title: Option<String>,
    /// Name of the source rule that matched, if any.
    pub source_name: Option<String>,
    /// Referrer group: search, social, email, paid, referral, direct.
    pub source_group: Option<String>,
    /// Revisit count.
    pub revisit: Option<i64>,
    /// The type-specific `data` object, as JSON text.
    pub data: Option<String>,
    /// The whole event as received, re-serialized as JSON text (keys sorted).
    pub raw: String,
}

/// What a batch insert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct InsertOutcome {
    /// Events stored now.
    pub accepted: usize,
    /// Events whose id was already stored (earlier, or earlier in the same batch).
    pub duplicates: usize,
}

/// A stored event, as reports show it.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    /// Event id.
    pub id: String,
    /// Site id.
    pub site: String,
    /// Event type as stored.
    pub kind: String,
    /// Visitor id.
    pub visitor: String,
    /// Session id.
    pub session: String,
    /// Client time, ms.
    pub ts: i64,
    /// Server receive time, ms.
    pub received_at: i64,
    /// Page URL.
    pub url: String,
    /// Page path.
    pub path: String,
    /// Referrer.
    pub referrer: String,
    /// Source rule name.
    pub source_name: Option<String>,
    /// Referrer group.
    pub source_group: Option<String>,
}

/// Which events a report looks at.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventFilter {
    /// Only this site, when set.
    pub site: Option<String>,
    /// Only this event type (wire name), when set.
    pub kind: Option<String>,
    /// Only this visitor, when set.
    pub visitor: Option<String>,
    /// Only this session, when set.
    pub session: Option<String>,
}

impl EventFilter {
    /// Events of one site.
    pub fn site(site: &str) -> Self {
        EventFilter {
            site: Some(site.to_owned()),
            ..EventFilter::default()
        }
    }
}

/// A stored event as the snippet sent it, with what the collector added.
#[derive(Debug, Clone, PartialEq)]
pub struct RawEvent {
    /// Site id.
    pub site: String,
    /// Server receive time, ms.
    pub received_at: i64,
    /// The event JSON as received.
    pub raw: String,
    /// The referrer group the collector classified at ingest (`None`: no `source`).
    pub source_group: Option<String>,
}

impl RawEvent {
    /// The event JSON as received, its `source` with the `group` classified at ingest (the one
    /// the reports count); `None` when the stored text is not JSON.
    pub fn event(&self) -> Option<serde_json::Value> {
        let mut event: serde_json::Value = serde_json::from_str(&self.raw).ok()?;
        if let (Some(serde_json::Value::Object(source)), Some(group)) =
            (event.get_mut("source"), &self.source_group)
        {
            source.insert("group".into(), group.as_str().into());
        }
        Some(event)
    }
}

/// A count keyed by one or two labels (the second may be empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    /// First label (e.g. type, or source group).
    pub key: String,
    /// Second label (e.g. source rule name); `None` when not applicable or absent.
    pub detail: Option<String>,
    /// How many.
    pub count: u64,
}

/// Event ingest and event reports.
pub trait EventStore {
    /// Stores each event whose id is not stored yet, in one transaction.
    ///
    /// # Errors
    /// [`StoreError::Busy`] when the database is locked for too long, otherwise `Internal`.
    fn insert_events(&self, events: &[NewEvent]) -> Result<InsertOutcome, StoreError>;
    /// The most recent events by receive time, newest first.
    ///
    /// # Errors
    /// On storage failure.
    fn recent_events(
        &self,
        filter: &EventFilter,
        limit: usize,
    ) -> Result<Vec<EventRow>, StoreError>;
    /// Events in the order they were stored, oldest first, after skipping `offset`.
    ///
    /// # Errors
    /// On storage failure.
    fn list_events(
        &self,
        filter: &EventFilter,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<RawEvent>, StoreError>;
    /// Event counts by type, largest first.
    ///
    /// # Errors
    /// On storage failure.
    fn count_events_by_type(&self, filter: &EventFilter) -> Result<Vec<Count>, StoreError>;
    /// Page-view counts by source group and rule name, largest first.
    ///
    /// # Errors
    /// On storage failure.
    fn count_page_views_by_source(&self, filter: &EventFilter) -> Result<Vec<Count>, StoreError>;
    /// How many events are stored.
    ///
    /// # Errors
    /// On storage failure.
    fn count_events(&self, filter: &EventFilter) -> Result<u64, StoreError>;
    /// The site ids that have events.
    ///
    /// # Errors
    /// On storage failure.
    fn sites_with_events(&self) -> Result<Vec<String>, StoreError>;
}

/// Everything the collector stores; one backend implements all of it.
pub trait Store:
    EventStore + VisitStore + LeadStore + LeaseStore + CallStore + Send + Sync + 'static
{
}

impl<T> Store for T where
    T: EventStore + VisitStore + LeadStore + LeaseStore + CallStore + Send + Sync + 'static
{
}

/// A shared handle to the store that runs blocking work off the async threads.
#[derive(Clone)]
pub struct Db {
    inner: Arc<dyn Store>,
}

impl Db {
    /// Wraps a backend.
    pub fn new(store: impl Store) -> Self {
        Db {
            inner: Arc::new(store),
        }
    }

    /// Runs `f` against the store on tokio's blocking pool.
    ///
    /// # Errors
    /// Whatever `f` returns, or `Internal` if the blocking task panicked or was cancelled.
    pub async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || f(inner.as_ref()))
            .await
            .map_err(|err| StoreError::Internal(format!("storage task failed: {err}")))?
    }

    /// The backend, for synchronous callers (CLI tools, tests, benchmarks).
    pub fn blocking(&self) -> &dyn Store {
        self.inner.as_ref()
    }
}
