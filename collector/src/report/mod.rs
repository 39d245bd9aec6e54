//! `GET /`: the HTML report page.
//!
//! Each report area (events here; calls, leads, visits and pools later) is a module returning
//! [`html::Section`]s for a filter; [`index`] lays them out. Add a module and one line in
//! `index` to extend the page.

pub mod calls;
pub mod events;
pub mod html;
pub mod leads;
pub mod visits;

use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{Html as HtmlResponse, IntoResponse};
use axum::routing::get;
use axum::Router;

use crate::error::AppResult;
use crate::event::is_valid_site_id;
use crate::store::EventFilter;
use crate::AppState;

use html::Html;

/// Report routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/leads.csv", get(leads::csv))
}

/// The report page; `?site=ID` narrows it to one site.
///
/// # Errors
/// When storage fails (answered as JSON 5xx, without details).
pub async fn index(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> AppResult<impl IntoResponse> {
    let filter = EventFilter {
        site: site_param(query.as_deref()),
        ..EventFilter::default()
    };
    let mut site_ids: Vec<String> = {
        let db = state.db.clone();
        db.run(|store| store.sites_with_events()).await?
    };
    site_ids.extend(state.sites.ids().map(str::to_owned));
    site_ids.sort();
    site_ids.dedup();

    let mut intro = Html::default();
    let mut links = vec![("all sites".to_owned(), "/".to_owned())];
    links.extend(site_ids.iter().map(|s| (s.clone(), format!("/?site={s}"))));
    intro.push(Html::links(&links));
    intro.push(Html::paragraph(&match &filter.site {
        Some(site) => format!("Site: {site}"),
        None => "All sites".to_owned(),
    }));

    let mut sections = Vec::new();
    sections.extend(events::sections(&state.db, &filter).await?);
    sections.extend(visits::sections(&state.db, &filter).await?);
    sections.extend(leads::sections(&state.db, &filter).await?);
    sections.extend(
        calls::sections(
            &state.db,
            &state.sites,
            filter.site.as_deref(),
            state.clock.now_ms(),
        )
        .await?,
    );

    let body = html::page("ringtrail collector", intro, &sections);
    Ok(([(header::CACHE_CONTROL, "no-store")], HtmlResponse(body)))
}

/// The `site` query parameter when it is a valid site id; anything else means all sites.
fn site_param(query: Option<&str>) -> Option<String> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == "site")
        .map(|(_, value)| value)
        .filter(|value| is_valid_site_id(value))
        .map(str::to_owned)
}
