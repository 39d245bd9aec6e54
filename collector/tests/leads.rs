//! Visits and leads over the HTTP API (in-process): `GET /v1/visits`, `GET /v1/leads`,
//! `GET /leads.csv`, the report sections, and lead merging across devices and calls.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use ringtrail_collector::calls::WebhookSecrets;
use ringtrail_collector::{app, AppState, Clock, Db, Options, Sites, SqliteStore};
use serde_json::{json, Value};

mod common;
use common::send;

const T0: i64 = 1_700_000_000_000;
const MIN: i64 = 60_000;
const SITE: &str = "demo-jp";
const SECRET: &str = "test-secret-1";
const POOLS: &str = include_str!("../configs/pools.json");

fn setup() -> Router {
    let db = Db::new(SqliteStore::open_in_memory().expect("db"));
    let state = AppState::new(db, Sites::open(), Options::default()).with_clock(Clock::fixed(T0));
    app(state)
}

async fn get(app: &Router, uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    send(app, Request::get(uri).body(Body::empty()).expect("request")).await
}

async fn get_json(app: &Router, uri: &str) -> (StatusCode, Value) {
    let (status, _, text) = get(app, uri).await;
    let value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    (status, value)
}

async fn post_json(app: &Router, uri: &str, body: &Value) -> (StatusCode, Value) {
    let req = Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    let (status, _, text) = send(app, req).await;
    let value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    (status, value)
}

/// Builds events with increasing ids.
struct Events {
    next: u32,
    site: &'static str,
}

impl Events {
    fn new(site: &'static str) -> Self {
        Events { next: 1, site }
    }

    fn id(n: u32) -> String {
        format!("01890a5d-ac96-774b-bcce-{n:012x}")
    }

    #[allow(clippy::too_many_arguments)]
    fn event(
        &mut self,
        kind: &str,
        visitor: &str,
        session: &str,
        ts: i64,
        path: &str,
        source: Value,
        revisit: i64,
        data: Value,
    ) -> (String, Value) {
        let id = Events::id(self.next);
        self.next += 1;
        let event = json!({
            "id": id, "type": kind, "ts": ts, "visitor": visitor, "session": session,
            "url": format!("https://shop.example{path}"), "referrer": "", "revisit": revisit,
            "source": source, "data": data
        });
        (id, event)
    }

    fn batch(&self, events: Vec<Value>) -> Value {
        json!({"site": self.site, "sent_at": T0, "events": events})
    }
}

fn paid() -> Value {
    json!({"name": "google-ads", "utm_source": "google", "click_id": "gclid",
           "landing": "/lp", "first_seen": T0})
}

fn search() -> Value {
    json!({"name": null, "referrer_host": "www.google.com", "landing": "/",
           "first_seen": T0})
}

#[tokio::test]
async fn visits_aggregate_sessions_engagement_and_revisits() {
    let app = setup();
    let mut ev = Events::new(SITE);
    let (pv1, e1) = ev.event(
        "page_view",
        "v1",
        "s1",
        T0,
        "/lp",
        paid(),
        0,
        json!({"path": "/lp", "nav": "load"}),
    );
    let (_, e2) = ev.event(
        "engagement",
        "v1",
        "s1",
        T0 + 5_000,
        "/lp",
        paid(),
        0,
        json!({"engaged_ms": 4000, "scroll_pct": 30, "page_view": pv1}),
    );
    let (_, e3) = ev.event(
        "engagement",
        "v1",
        "s1",
        T0 + 9_000,
        "/lp",
        paid(),
        0,
        json!({"engaged_ms": 2000, "scroll_pct": 80, "page_view": pv1}),
    );
    let (pv2, e4) = ev.event(
        "page_view",
        "v1",
        "s1",
        T0 + 10_000,
        "/pricing",
        paid(),
        0,
        json!({"path": "/pricing", "nav": "push"}),
    );
    let (_, e5) = ev.event(
        "engagement",
        "v1",
        "s1",
        T0 + 20_000,
        "/pricing",
        paid(),
        0,
        json!({"engaged_ms": 10_000, "scroll_pct": 100, "page_view": pv2}),
    );
    let (_, e6) = ev.event(
        "trigger",
        "v1",
        "s1",
        T0 + 21_000,
        "/pricing",
        paid(),
        0,
        json!({"name": "pricing-chat"}),
    );
    // A returning visitor from search: one page view, a bounce.
    let (_, e7) = ev.event(
        "page_view",
        "v2",
        "s2",
        T0 + 30_000,
        "/lp",
        search(),
        2,
        json!({}),
    );
    let (_, e8) = ev.event(
        "custom",
        "v2",
        "s2",
        T0 + 31_000,
        "/lp",
        search(),
        2,
        json!({"name": "video-play", "props": {"id": 3}}),
    );
    let (_, e9) = ev.event(
        "page_view",
        "v3",
        "s3",
        T0 + 40_000,
        "/<b>",
        search(),
        0,
        json!({}),
    );
    let mut body = ev.batch(vec![e1, e2, e3, e4, e5, e6, e7, e8, e9.clone()]);
    body["dropped"] = json!(3);
    let (status, answer) = post_json(&app, "/v1/events", &body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(answer, json!({"accepted": 9, "duplicates": 0}));
    // The same batch retried (its answer was lost): no new events, drops not counted twice.
    post_json(&app, "/v1/events", &body).await;
    // A batch that only reports drops.
    let (status, _) = post_json(
        &app,
        "/v1/events",
        &json!({"site": SITE, "dropped": 2, "events": []}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);

    let (status, v) = get_json(&app, &format!("/v1/visits?site={SITE}")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let t = &v["totals"];
    assert_eq!(t["visits"], 3);
    assert_eq!(t["visitors"], 3);
    assert_eq!(t["page_views"], 4);
    assert_eq!(t["engaged_page_views"], 2);
    assert_eq!(t["median_engaged_ms"], (6000 + 10_000) / 2);
    // v2 had custom interaction, v3 bounced.
    assert_eq!(t["bounces"], 1);
    assert_eq!(v["dropped_events"], 5);
    assert_eq!(v["dropped_batches"], 2);

    let by_source = v["by_source"].as_array().expect("by_source");
    let search_row = by_source
        .iter()
        .find(|s| s["source"]["group"] == "search")
        .expect("search");
    assert_eq!(search_row["visits"], 2);
    assert_eq!(search_row["revisit_rate"], 0.5);
    let paid_row = by_source
        .iter()
        .find(|s| s["source"]["name"] == "google-ads")
        .expect("paid");
    assert_eq!(paid_row["revisit_rate"], 0.0);
    assert_eq!(paid_row["median_engaged_ms"], 8000);

    let s1 = v["visits"]
        .as_array()
        .expect("visits")
        .iter()
        .find(|s| s["session"] == "s1")
        .expect("s1");
    assert_eq!(s1["page_views"], 2);
    assert_eq!(s1["engaged_ms"], 16_000);
    assert_eq!(s1["max_scroll_pct"], 100);
    assert_eq!(s1["triggers"], 1);
    assert_eq!(s1["landing"], "/lp");
    assert_eq!(
        v["triggers"],
        json!([{"name": "pricing-chat", "fired": 1, "visits": 1}])
    );
    let pricing = v["pages"]
        .as_array()
        .expect("pages")
        .iter()
        .find(|p| p["path"] == "/pricing")
        .expect("pricing");
    assert_eq!(pricing["median_engaged_ms"], 10_000);

    let (_, v) = get_json(&app, &format!("/v1/visits?site={SITE}&limit=1")).await;
    assert_eq!(v["visits"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["visits"][0]["session"], "s3", "newest first");

    // The report page shows the sections, escaped.
    let (status, _, html) = get(&app, &format!("/?site={SITE}")).await;
    assert_eq!(status, StatusCode::OK);
    for heading in [
        "<h2>Visits</h2>",
        "<h2>Visits by source</h2>",
        "<h2>Views per page</h2>",
        "<h2>Triggers fired</h2>",
        "<h2>Leads by source</h2>",
        "<h2>Leads by lead moment</h2>",
    ] {
        assert!(html.contains(heading), "{heading}");
    }
    assert!(html.contains("pricing-chat"));
    assert!(html.contains("Browsers dropped 5 events"));
    assert!(html.contains("/&lt;b&gt;") && !html.contains("/<b>"));
    assert!(html.contains("<svg class=\"bars\""));
}

#[tokio::test]
async fn leads_merge_devices_and_export_as_csv() {
    let app = setup();
    let mut ev = Events::new(SITE);
    // Laptop: paid visit, pricing, a form with an email.
    let (_, a1) = ev.event("page_view", "laptop", "l1", T0, "/lp", paid(), 0, json!({}));
    let (_, a2) = ev.event(
        "page_view",
        "laptop",
        "l1",
        T0 + MIN,
        "/pricing",
        paid(),
        0,
        json!({}),
    );
    let (_, a3) = ev.event(
        "trigger",
        "laptop",
        "l1",
        T0 + MIN,
        "/pricing",
        paid(),
        0,
        json!({"name": "pricing-chat"}),
    );
    let (form_id, a4) = ev.event("form_submit", "laptop", "l1", T0 + 2 * MIN, "/contact", paid(), 0,
        json!({"form": "contact", "fields": {"email": "Taro@Example.jp", "name": "=cmd|' /C calc'!A0",
               "company": "<script>alert(1)</script>"}}));
    // Phone, later: from search, identifies with the same email and a user id.
    let (_, b1) = ev.event(
        "page_view",
        "phone",
        "p1",
        T0 + 60 * MIN,
        "/",
        search(),
        0,
        json!({}),
    );
    let (_, b2) = ev.event(
        "identify",
        "phone",
        "p1",
        T0 + 61 * MIN,
        "/account",
        search(),
        0,
        json!({"user_id": "u-42", "traits": {"email": "taro@example.jp"}}),
    );
    // Someone else: a hashed form, and an anonymous call click.
    let hash = "ab".repeat(32);
    let (_, c1) = ev.event(
        "page_view",
        "other",
        "o1",
        T0 + 5 * MIN,
        "/",
        search(),
        0,
        json!({}),
    );
    let (_, c2) = ev.event(
        "form_submit",
        "other",
        "o1",
        T0 + 6 * MIN,
        "/",
        search(),
        0,
        json!({"form": "quote", "fields": {"email_sha256": hash}}),
    );
    let (_, d1) = ev.event(
        "page_view",
        "clicker",
        "c1",
        T0 + 7 * MIN,
        "/",
        search(),
        0,
        json!({}),
    );
    let (_, d2) = ev.event(
        "call_click",
        "clicker",
        "c1",
        T0 + 8 * MIN,
        "/",
        search(),
        0,
        json!({"number": "+81399990001", "target": "+81312345678"}),
    );
    // Just browsing.
    let (_, e1) = ev.event(
        "page_view",
        "browser",
        "b1",
        T0 + 9 * MIN,
        "/",
        paid(),
        0,
        json!({}),
    );
    let body = ev.batch(vec![a1, a2, a3, a4, b1, b2, c1, c2, d1, d2, e1]);
    let (status, answer) = post_json(&app, "/v1/events", &body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");

    let (status, v) = get_json(&app, &format!("/v1/leads?site={SITE}")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["total"], 3);
    assert_eq!(v["visitors"], 5);
    assert_eq!(v["converted_visitors"], 4);
    let leads = v["leads"].as_array().expect("leads");
    let taro = leads
        .iter()
        .find(|l| l["id"] == form_id.as_str())
        .expect("the laptop form starts Taro's lead");
    assert_eq!(taro["identities"]["visitors"], json!(["laptop", "phone"]));
    assert_eq!(taro["identities"]["emails"], json!(["taro@example.jp"]));
    assert_eq!(taro["identities"]["user_ids"], json!(["u-42"]));
    assert_eq!(taro["first_moment"], "form");
    assert_eq!(taro["first_touch"]["visitor"], "laptop");
    assert_eq!(taro["first_touch"]["landing"], "/lp");
    assert_eq!(taro["source"]["name"], "google-ads");
    assert_eq!(taro["event_counts"]["page_view"], 3);
    assert_eq!(taro["event_counts"]["trigger"], 1);
    let moments: Vec<&str> = taro["moments"]
        .as_array()
        .expect("moments")
        .iter()
        .filter_map(|m| m["moment"].as_str())
        .collect();
    assert_eq!(moments, ["form", "identify"]);
    let hashed = leads
        .iter()
        .find(|l| l["identities"]["visitors"] == json!(["other"]))
        .expect("hashed lead");
    assert_eq!(hashed["identities"]["email_sha256"], json!([hash]));
    assert!(leads
        .iter()
        .any(|l| l["first_moment"] == "call_click"
            && l["identities"]["visitors"] == json!(["clicker"])));

    let paid_row = v["by_source"]
        .as_array()
        .expect("by_source")
        .iter()
        .find(|s| s["source"]["name"] == "google-ads")
        .expect("paid");
    assert_eq!(
        (
            paid_row["visitors"].as_u64(),
            paid_row["converted"].as_u64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(paid_row["conversion_rate"], 0.5);
    assert_eq!(paid_row["leads"], 1);
    let form_row = v["by_moment"]
        .as_array()
        .expect("by_moment")
        .iter()
        .find(|m| m["moment"] == "form")
        .expect("form");
    assert_eq!(
        (form_row["first"].as_u64(), form_row["leads"].as_u64()),
        (Some(2), Some(2))
    );

    let (_, v) = get_json(&app, &format!("/v1/leads?site={SITE}&limit=1")).await;
    assert_eq!(v["leads"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["total"], 3);

    // CSV: headers, one row per lead, escaped and guarded.
    let (status, headers, csv) = get(&app, &format!("/leads.csv?site={SITE}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert_eq!(
        headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"leads-demo-jp.csv\""
    );
    let lines: Vec<&str> = csv.trim_end_matches("\r\n").split("\r\n").collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[0].starts_with("\u{feff}lead_id,site,first_seen_utc,"));
    let row = lines
        .iter()
        .find(|l| l.starts_with(form_id.as_str()))
        .expect("taro row");
    assert!(
        row.contains(",form,form; identify,paid,google-ads,/lp,"),
        "{row}"
    );
    assert!(
        row.contains(r#""'=cmd|' /C calc'!A0""#) || row.contains(",'=cmd|' /C calc'!A0,"),
        "{row}"
    );
    assert!(
        row.contains(",<script>alert(1)</script>,"),
        "CSV is text, not HTML: {row}"
    );
    assert!(row.contains(",taro@example.jp,"), "{row}");
    assert!(row.contains(",laptop; phone,3,1,0,1,0"), "{row}");

    // The report page: journeys, escaped.
    let (_, _, html) = get(&app, &format!("/?site={SITE}")).await;
    assert!(html.contains("<h2>Lead journeys (latest 20)</h2>"));
    assert!(html.contains("3 leads on demo-jp. 4 of 5 visitors (80.0 %) became a lead"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains("href=\"/leads.csv?site=demo-jp\""));
    assert!(html.contains("Anonymous → tracked conversion by source"));
}

#[tokio::test]
async fn a_call_links_through_its_visitor_and_caller_number() {
    let db = Db::new(SqliteStore::open_in_memory().expect("db"));
    let sites = Sites::open().with_json(POOLS).expect("config");
    let options = Options {
        rate_limit: None,
        webhook_secrets: WebhookSecrets::parse([format!("pools-demo={SECRET}").as_str()])
            .expect("secret"),
        ..Options::default()
    };
    let app = app(AppState::new(db, sites, options).with_clock(Clock::fixed(T0)));
    let mut ev = Events::new("pools-demo");
    // The mobile visitor holds a pool number and calls it.
    let (_, m1) = ev.event(
        "page_view",
        "mobile",
        "mobile-s1",
        T0 - MIN,
        "/lp?gclid=x",
        paid(),
        0,
        json!({}),
    );
    // The laptop sends a form with the same phone number, later.
    let (_, l1) = ev.event(
        "page_view",
        "laptop",
        "laptop-s1",
        T0 + 30 * MIN,
        "/",
        search(),
        0,
        json!({}),
    );
    let (_, l2) = ev.event(
        "form_submit",
        "laptop",
        "laptop-s1",
        T0 + 31 * MIN,
        "/contact",
        search(),
        0,
        json!({"form": "contact", "fields": {"phone": "+819012345678"}}),
    );
    let (status, _) = post_json(&app, "/v1/events", &ev.batch(vec![m1, l1, l2])).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let lease = json!({"site": "pools-demo", "visitor_id": "mobile", "session_id": "mobile-s1",
                       "pool": "ads", "target": "03-1234-5678", "source": "google-ads"});
    let (status, lease) = post_json(&app, "/v1/leases", &lease).await;
    assert!(status.is_success(), "{lease}");
    let number = lease["display"].as_str().expect("display").to_owned();
    let req = Request::post("/v1/calls")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {SECRET}"))
        .body(Body::from(
            json!({"site": "pools-demo", "call_id": "CA-1", "called_number": number,
                   "caller_number": "090-1234-5678", "started_at": T0 + 5 * MIN, "duration_s": 95})
            .to_string(),
        ))
        .expect("request");
    let (status, _, answer) = send(&app, req).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");

    let (_, v) = get_json(&app, "/v1/leads?site=pools-demo").await;
    assert_eq!(v["total"], 1, "{v}");
    let lead = &v["leads"][0];
    assert_eq!(lead["identities"]["visitors"], json!(["laptop", "mobile"]));
    assert_eq!(lead["identities"]["phones"], json!(["+819012345678"]));
    assert_eq!(lead["first_moment"], "call");
    assert_eq!(lead["calls"], 1);
    assert_eq!(lead["first_touch"]["visitor"], "mobile");

    let (_, _, html) = get(&app, "/?site=pools-demo").await;
    assert!(html.contains("Phone call"), "journey shows the call");
}

#[tokio::test]
async fn bad_query_parameters_are_400_with_a_reason() {
    let app = setup();
    for path in ["/v1/leads", "/v1/visits", "/leads.csv"] {
        for (query, want) in [
            ("", "site: missing"),
            ("?site=Demo%20JP", "site: expected a site id"),
            ("?site=", "site: expected a site id"),
            (
                "?site=demo&limit=0",
                "limit: expected an integer from 1 to 10000",
            ),
            ("?site=demo&limit=abc", "limit: expected an integer"),
            ("?site=demo&limit=-1", "limit: expected an integer"),
            ("?site=demo&sort=desc", "unknown field `sort`"),
        ] {
            let (status, headers, body) = get(&app, &format!("{path}{query}")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}{query}: {body}");
            assert!(
                headers[header::CONTENT_TYPE]
                    .to_str()
                    .is_ok_and(|t| t.starts_with("application/json")),
                "{path}{query}"
            );
            let error: Value = serde_json::from_str(&body).expect("JSON error");
            let error = error["error"].as_str().expect("error");
            assert!(
                error.contains(want),
                "{path}{query}: {error:?} should say {want:?}"
            );
        }
    }
    // An unknown site is just empty.
    let (status, v) = get_json(&app, "/v1/leads?site=nobody").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["total"], 0);
    let (status, v) = get_json(&app, "/v1/visits?site=nobody").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["totals"]["visits"], 0);
    let (status, _, csv) = get(&app, "/leads.csv?site=nobody").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(csv.matches("\r\n").count(), 1, "header only");
}

#[tokio::test]
async fn bad_event_data_is_refused_whole_with_its_path() {
    let app = setup();
    let mut ev = Events::new(SITE);
    let (_, ok) = ev.event("page_view", "v", "s", T0, "/", search(), 0, json!({}));
    let (_, bad) = ev.event(
        "engagement",
        "v",
        "s",
        T0,
        "/",
        search(),
        0,
        json!({"engaged_ms": -5}),
    );
    let (status, answer) = post_json(&app, "/v1/events", &ev.batch(vec![ok, bad])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer["error"],
        "events[1].data.engaged_ms: expected a non-negative integer (milliseconds)"
    );
    let (status, answer) = post_json(
        &app,
        "/v1/events",
        &json!({"site": SITE, "dropped": "many", "events": []}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["error"], "dropped: expected a non-negative integer");
    let (_, v) = get_json(&app, &format!("/v1/visits?site={SITE}")).await;
    assert_eq!(v["totals"]["visits"], 0);
    assert_eq!(v["dropped_events"], 0);
}

#[tokio::test]
async fn a_single_site_report_shows_its_leads_without_choosing() {
    let app = setup();
    let mut ev = Events::new(SITE);
    let (_, e) = ev.event(
        "lead",
        "v",
        "s",
        T0,
        "/",
        search(),
        0,
        json!({"channel": "email_link", "lead_token": "T1"}),
    );
    post_json(&app, "/v1/events", &ev.batch(vec![e])).await;
    let (_, _, html) = get(&app, "/").await;
    assert!(html.contains("1 lead on demo-jp"), "one site: its leads");
    assert!(html.contains("Email link"));
    // With two sites, the page asks to pick one.
    let mut other = Events::new("other-site");
    other.next = 100;
    let (_, e) = other.event("page_view", "v", "s", T0, "/", search(), 0, json!({}));
    post_json(&app, "/v1/events", &other.batch(vec![e])).await;
    let (_, _, html) = get(&app, "/").await;
    assert!(html.contains("Choose a site above to see its leads."));
}
