//! Config serving, number leases and the call webhook over the HTTP API (in-process).

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use ringtrail_collector::calls::WebhookSecrets;
use ringtrail_collector::store::calls::CallFilter;
use ringtrail_collector::{app, AppState, Clock, Db, Options, Sites, SqliteStore};
use serde_json::{json, Value};

const T0: i64 = 1_700_000_000_000;
const MIN: i64 = 60_000;
const SECRET: &str = "test-secret-1";

const POOLS: &str = include_str!("../configs/pools.json");
const US: &str = include_str!("../configs/us-minimal.json");

struct Harness {
    app: Router,
    db: Db,
    clock: Clock,
}

fn harness_with(db: Db, clock: Clock) -> Harness {
    let sites = Sites::open()
        .with_json(POOLS)
        .and_then(|s| s.with_json(US))
        .expect("example configs are valid");
    let options = Options {
        rate_limit: None,
        webhook_secrets: WebhookSecrets::parse([format!("pools-demo={SECRET}").as_str()])
            .expect("secret"),
        ..Options::default()
    };
    let state = AppState::new(db.clone(), sites, options).with_clock(clock.clone());
    Harness {
        app: app(state),
        db,
        clock,
    }
}

fn harness() -> Harness {
    let db = Db::new(SqliteStore::open_in_memory().expect("db"));
    harness_with(db, Clock::fixed(T0))
}

impl Harness {
    async fn send(&self, req: Request<Body>) -> (StatusCode, Value, axum::http::HeaderMap) {
        let (status, headers, text) = common::send(&self.app, req).await;
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value, headers)
    }

    async fn post(&self, uri: &str, content_type: &str, body: String) -> (StatusCode, Value) {
        let req = Request::post(uri)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .expect("request");
        let (status, value, _) = self.send(req).await;
        (status, value)
    }

    async fn lease(&self, visitor: &str) -> (StatusCode, Value) {
        self.lease_body(json!({
            "site": "pools-demo", "visitor_id": visitor, "session_id": format!("{visitor}-s1"),
            "pool": "ads", "target": "03-1234-5678", "source": "google-ads"
        }))
        .await
    }

    async fn lease_body(&self, body: Value) -> (StatusCode, Value) {
        // text/plain, as the snippet sends it (no CORS preflight).
        self.post("/v1/leases", "text/plain;charset=UTF-8", body.to_string())
            .await
    }

    async fn call(&self, body: Value, secret: Option<&str>) -> (StatusCode, Value) {
        let mut req = Request::post("/v1/calls").header(header::CONTENT_TYPE, "application/json");
        if let Some(secret) = secret {
            req = req.header(header::AUTHORIZATION, format!("Bearer {secret}"));
        }
        let (status, value, _) = self
            .send(req.body(Body::from(body.to_string())).expect("request"))
            .await;
        (status, value)
    }

    async fn page_view(&self, n: u32, visitor: &str, ts: i64, url: &str) {
        let event = json!({
            "id": format!("01890a5d-ac96-774b-bcce-{n:012x}"), "type": "page_view", "ts": ts,
            "visitor": visitor, "session": format!("{visitor}-s1"), "url": url,
            "referrer": "https://www.google.com/", "title": "Page",
            "source": {"name": "google-ads", "utm_campaign": "spring",
                       "click_id": "gclid", "landing": "/lp"}
        });
        let (status, _) = self
            .post(
                "/v1/events",
                "application/json",
                json!({"site": "pools-demo", "events": [event]}).to_string(),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
}

fn call_body(id: &str, to: &str, at: i64) -> Value {
    json!({"site": "pools-demo", "call_id": id, "called_number": to,
           "caller_number": "090-1234-5678", "started_at": at, "duration_s": 95})
}

#[tokio::test]
async fn configs_are_served_compiled_and_json_is_compiled_on_request() {
    let h = harness();
    let compiled = ringtrail::config::Config::from_json(POOLS)
        .expect("valid")
        .compile();
    let req = Request::get("/v1/config/pools-demo")
        .body(Body::empty())
        .expect("req");
    let (status, body, headers) = h.send(req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert!(headers[header::CACHE_CONTROL]
        .to_str()
        .expect("ascii")
        .contains("max-age="));
    assert_eq!(body, Value::String(compiled.clone()));
    let req = Request::get("/v1/config/nope")
        .body(Body::empty())
        .expect("req");
    let (status, body, _) = h.send(req).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "site: no config is loaded for \"nope\"");

    // POST /v1/config: the same compiled text for the same JSON, from a page's `text/plain`.
    let (status, body) = h.post("/v1/config", "text/plain", POOLS.into()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({ "compiled": compiled }));
    // A config with errors is answered (200, like a compiler): the line the snippet logs, and
    // every error with its path and hint.
    let bad = r#"{"site": "x", "region": "JP", "targets": ["03-1234-5678"], "sourcez": [], "tracking": {"session_minutes": 0}}"#;
    let (status, body) = h.post("/v1/config", "application/json", bad.into()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["message"],
        "config error: sourcez: unknown field \"sourcez\" (did you mean \"sources\"?) (and 1 more: `ringtrail check` prints every error)"
    );
    assert_eq!(body["errors"][1]["path"], "tracking.session_minutes");
    assert_eq!(body["errors"].as_array().map(Vec::len), Some(2));
    assert!(body.get("compiled").is_none());
    // Bad requests stay 4xx: not text, or another content type.
    let (status, body) = h.post("/v1/config", "image/png", POOLS.into()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(body["error"]
        .as_str()
        .is_some_and(|e| e.contains("image/png")));
    let req = Request::post("/v1/config")
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from(vec![0xff, 0xfe, b'{']))
        .expect("req");
    let (status, body, _) = h.send(req).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "body: not UTF-8 text");
}

#[tokio::test]
async fn leases_are_exclusive_renewed_and_fall_back() {
    let h = harness();
    let mut numbers = Vec::new();
    for v in ["a", "b", "c", "d"] {
        let (status, lease) = h.lease(v).await;
        assert_eq!(status, StatusCode::OK, "{lease}");
        assert_eq!(lease["fallback"], false);
        assert_eq!(lease["expires_at"], T0 + 15 * MIN);
        numbers.push(lease["number"].as_str().expect("number").to_owned());
    }
    assert_eq!(
        numbers,
        [
            "+81355550101",
            "+81355550102",
            "+81355550103",
            "+81355550104"
        ],
        "config order for never-used numbers"
    );
    let (_, a_again) = h.lease("a").await;
    assert_eq!(a_again["number"], "+81355550101");
    assert_eq!(a_again["display"], "03-5555-0101");
    let (status, overflow) = h.lease("e").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        overflow,
        json!({"lease_id": null, "number": "+81355550100", "display": "03-5555-0100",
               "expires_at": null, "heartbeat_ms": null, "fallback": true, "returning": false})
    );

    // b leaves; e gets b's number.
    let (_, b) = h.lease("b").await;
    let b_id = b["lease_id"].as_str().expect("id").to_owned();
    let req = Request::delete(format!("/v1/leases/{b_id}"))
        .body(Body::empty())
        .expect("req");
    assert_eq!(h.send(req).await.0, StatusCode::NO_CONTENT);
    h.clock.advance(1); // free right after the release
    let (_, e) = h.lease("e").await;
    assert_eq!(e["number"], "+81355550102");
    // b's heartbeat is refused now.
    let (status, gone) = h
        .post(
            &format!("/v1/leases/{b_id}/heartbeat"),
            "text/plain",
            String::new(),
        )
        .await;
    assert_eq!(status, StatusCode::GONE, "{gone}");

    // Heartbeats extend; without them a lease lapses after idle_minutes.
    h.clock.advance(10 * MIN);
    let a_id = a_again["lease_id"].as_str().expect("id");
    let (status, hb) = h
        .post(
            &format!("/v1/leases/{a_id}/heartbeat"),
            "text/plain",
            String::new(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(hb["expires_at"], T0 + 1 + 25 * MIN);
    let (_, e_again) = h.lease("e").await;
    assert_eq!(e_again["lease_id"], e["lease_id"], "asking again renews");
    h.clock.advance(6 * MIN); // c and d lapse at T0 + 15 min
    let (_, f) = h.lease("f").await;
    assert_eq!(f["number"], "+81355550103", "a free number");
    // d comes back later and gets their own number back.
    let (_, d) = h.lease("d").await;
    assert_eq!(d["number"], "+81355550104");
    assert_eq!(d["returning"], true);
}

#[tokio::test]
async fn bad_lease_requests_get_4xx_with_a_reason() {
    let h = harness();
    let ok = json!({"site": "pools-demo", "visitor_id": "v", "session_id": "s",
                    "pool": "ads", "target": "03-1234-5678"});
    let with = |key: &str, value: Value| {
        let mut body = ok.clone();
        body[key] = value;
        body
    };
    let cases = [
        (
            with("site", json!("nope")),
            404,
            "site: no config is loaded for \"nope\"",
        ),
        (
            with("site", json!("us-minimal")),
            400,
            "pool: no pool \"ads\" in the config of \"us-minimal\" (pools: main)",
        ),
        (with("pool", json!("vip")), 400, "pool: no pool \"vip\""),
        (
            with("target", json!("03-0000-0000")),
            400,
            "target: \"03-0000-0000\" is not one of the site's targets",
        ),
        (
            with("target", json!("0120-111-222")),
            400,
            "target: no source maps \"0120-111-222\" to pool \"ads\"",
        ),
        (
            with("target", json!("hello")),
            400,
            "target: not a phone number",
        ),
        (
            with("visitor_id", json!("")),
            400,
            "visitor_id: must not be empty",
        ),
        (
            with("visitor_id", json!(7)),
            400,
            "visitor_id: expected a string",
        ),
        (
            with("visitor_id", json!("x".repeat(200))),
            400,
            "visitor_id: longer than 128",
        ),
        (
            with("source", json!({})),
            400,
            "source: expected a source rule name",
        ),
        (json!([1]), 400, "body: expected a JSON object"),
        (json!({"site": "pools-demo"}), 400, "visitor_id: required"),
    ];
    for (body, status, reason) in cases {
        let (got, answer) = h.lease_body(body.clone()).await;
        assert_eq!(got.as_u16(), status, "{body} -> {answer}");
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(error.starts_with(reason), "{body}: {error}");
    }
    let (status, answer) = h.post("/v1/leases", "text/plain", "{oops".into()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(answer["error"]
        .as_str()
        .unwrap_or_default()
        .starts_with("invalid JSON"));
    let (status, _) = h
        .post("/v1/leases", "application/xml", ok.to_string())
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, answer) = h
        .post(
            "/v1/leases/not-a-uuid/heartbeat",
            "text/plain",
            String::new(),
        )
        .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("lease id: expected a UUID"))
    );
    let unknown = "01890a5d-ac96-774b-bcce-000000000001";
    let (status, _) = h
        .post(
            &format!("/v1/leases/{unknown}/heartbeat"),
            "text/plain",
            String::new(),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = h
        .post(
            &format!("/v1/leases/{unknown}/release"),
            "text/plain",
            String::new(),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn leases_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("rt.db");
    let clock = Clock::fixed(T0);
    let first = {
        let h = harness_with(
            Db::new(SqliteStore::open(&path).expect("db")),
            clock.clone(),
        );
        h.lease("a").await.1
    };
    let h = harness_with(
        Db::new(SqliteStore::open(&path).expect("reopen")),
        clock.clone(),
    );
    clock.advance(MIN);
    let (_, b) = h.lease("b").await;
    assert_ne!(b["number"], first["number"], "a still holds their number");
    let (_, a) = h.lease("a").await;
    assert_eq!(
        a["lease_id"], first["lease_id"],
        "a's lease is renewed after the restart"
    );
}

#[tokio::test]
async fn calls_need_the_sites_secret() {
    let h = harness();
    let body = call_body("c1", "03-5555-0101", T0);
    let (status, answer) = h.call(body.clone(), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(answer["error"]
        .as_str()
        .unwrap_or_default()
        .starts_with("missing webhook secret"));
    let (status, answer) = h.call(body.clone(), Some("wrong-secret")).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("wrong webhook secret"))
    );
    let mut other = body.clone();
    other["site"] = json!("us-minimal");
    let (status, answer) = h.call(other, Some(SECRET)).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "one site's secret does not open another: {answer}"
    );
    // The X-Ringtrail-Secret header works too.
    let req = Request::post("/v1/calls")
        .header("x-ringtrail-secret", SECRET)
        .body(Body::from(body.to_string()))
        .expect("req");
    assert_eq!(h.send(req).await.0, StatusCode::CREATED);
}

#[tokio::test]
async fn a_call_is_attributed_to_the_visitor_who_held_the_number() {
    let h = harness();
    h.page_view(1, "a", T0 - 2 * MIN, "https://shop.example/lp?gclid=x")
        .await;
    h.page_view(2, "a", T0 - MIN, "https://shop.example/pricing")
        .await;
    let (_, lease) = h.lease("a").await;
    h.lease("b").await;
    let number = lease["display"].as_str().expect("display").to_owned();

    let (status, answer) = h
        .call(call_body("CA-1", &number, T0 + 5 * MIN), Some(SECRET))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["attributed_to"], "visitor");
    assert_eq!(answer["visitor"], "a");
    assert_eq!(answer["session"], "a-s1");
    assert_eq!(answer["lease_id"], lease["lease_id"]);
    assert_eq!(answer["called_number"], "+81355550101");
    assert_eq!(answer["caller_number"], "+819012345678");
    assert_eq!(answer["source"]["name"], "google-ads");
    assert_eq!(answer["source"]["utm_campaign"], "spring");
    assert_eq!(answer["landing_page"], "/lp");
    assert_eq!(answer["pages_viewed"], 2);
    assert_eq!(answer["pages"][1]["url"], "https://shop.example/pricing");
    assert_eq!(answer["reason"], Value::Null);
    assert_eq!(answer["duplicate"], false);

    // The provider delivers it again: stored once, same answer, flagged.
    let (status, again) = h
        .call(call_body("CA-1", &number, T0 + 5 * MIN), Some(SECRET))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["visitor"], "a");
    let stored =
        h.db.blocking()
            .list_calls(&CallFilter::default(), 10)
            .expect("calls");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].visitor.as_deref(), Some("a"));
    assert_eq!(stored[0].session.as_deref(), Some("a-s1"));
    assert_eq!(stored[0].campaign.as_deref(), Some("spring"));

    // After a lapses (T0 + 15 min) a call within the idle window is still theirs...
    let (_, late) = h
        .call(
            call_body("CA-2", "+81 3 5555 0101", T0 + 25 * MIN),
            Some(SECRET),
        )
        .await;
    assert_eq!(late["visitor"], "a");
    // ...but not after it.
    let (_, later) = h
        .call(
            call_body("CA-3", "03-5555-0101", T0 + 31 * MIN),
            Some(SECRET),
        )
        .await;
    assert_eq!(later["attributed_to"], Value::Null);
    assert_eq!(later["reason"], "no_lease_at_that_time");
    // Before anyone held it.
    let (_, early) = h
        .call(call_body("CA-4", "03-5555-0104", T0 - MIN), Some(SECRET))
        .await;
    assert_eq!(early["reason"], "no_lease_at_that_time");
}

#[tokio::test]
async fn calls_to_other_numbers_say_why_they_have_no_visitor() {
    let h = harness();
    let cases = [
        (
            "0120-999-001",
            Value::from("source"),
            Value::Null,
            "google-ads",
        ),
        (
            "03-5555-0202",
            Value::from("source"),
            Value::Null,
            "default",
        ),
        (
            "03-5555-0100",
            Value::Null,
            Value::from("fallback_number"),
            "",
        ),
        ("03-1234-5678", Value::Null, Value::from("site_number"), ""),
        (
            "03-9876-5432",
            Value::Null,
            Value::from("unknown_number"),
            "",
        ),
    ];
    for (i, (to, attributed_to, reason, source)) in cases.into_iter().enumerate() {
        let (status, answer) = h
            .call(call_body(&format!("x{i}"), to, T0), Some(SECRET))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        assert_eq!(answer["attributed_to"], attributed_to, "{to}");
        assert_eq!(answer["reason"], reason, "{to}");
        assert_eq!(answer["visitor"], Value::Null);
        if !source.is_empty() {
            assert_eq!(answer["source"]["name"], source);
        }
    }
    let stored =
        h.db.blocking()
            .list_calls(&CallFilter::default(), 10)
            .expect("calls");
    assert_eq!(stored.len(), 5, "every call is stored");
}

#[tokio::test]
async fn bad_webhooks_get_4xx_with_a_reason() {
    let h = harness();
    let with = |key: &str, value: Value| {
        let mut body = call_body("c", "03-5555-0101", T0);
        body[key] = value;
        body
    };
    let cases = [
        (
            with("site", json!("nope")),
            401,
            "no webhook secret is configured for site \"nope\"",
        ),
        (
            with("called_number", json!("abc")),
            400,
            "called_number: not a phone number",
        ),
        (
            with("started_at", json!("last tuesday")),
            400,
            "started_at: expected RFC 3339",
        ),
        (
            with("duration_s", json!(-5)),
            400,
            "duration_s: expected 0 to",
        ),
        (
            with("call_id", json!(null)),
            400,
            "call_id: expected a string",
        ),
        (
            with("recording_url", json!("file:///etc/passwd")),
            400,
            "recording_url: expected an http(s) URL",
        ),
        (json!({"call_id": "c"}), 400, "site: required"),
    ];
    for (body, status, reason) in cases {
        let (got, answer) = h.call(body.clone(), Some(SECRET)).await;
        assert_eq!(got.as_u16(), status, "{body} -> {answer}");
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(error.starts_with(reason), "{body}: {error}");
    }
    let req = Request::post("/v1/calls")
        .header(header::AUTHORIZATION, format!("Bearer {SECRET}"))
        .body(Body::from("not json"))
        .expect("req");
    assert_eq!(h.send(req).await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_report_shows_calls_journeys_and_pools_escaped() {
    let h = harness();
    h.page_view(
        1,
        "a",
        T0 - MIN,
        "https://shop.example/<script>alert(1)</script>",
    )
    .await;
    let (_, lease) = h.lease("a").await;
    for v in ["b", "c", "d", "e"] {
        h.lease(v).await;
    }
    let to = lease["number"].as_str().expect("number").to_owned();
    h.call(call_body("r1", &to, T0 + MIN), Some(SECRET)).await;
    h.call(call_body("r2", "0120-999-001", T0 + 2 * MIN), Some(SECRET))
        .await;
    let req = Request::get("/?site=pools-demo")
        .body(Body::empty())
        .expect("req");
    let (status, page, _) = h.send(req).await;
    assert_eq!(status, StatusCode::OK);
    let page = page.as_str().expect("html").to_owned();
    for want in [
        "Calls by source and campaign, per day",
        "First-time and repeat callers",
        "Answered calls and talk time",
        "Calls and their visitor journeys",
        "Number pools: usage and overflow",
        "visitor a (session a-s1)",
        "add at least 1 number(s)",
        "<svg",
    ] {
        assert!(page.contains(want), "missing {want:?}");
    }
    assert!(!page.contains("<script>alert"), "journey URLs are escaped");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}
