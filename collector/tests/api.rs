//! The HTTP API and report page, driven in-process with `oneshot`.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use ringtrail_collector::store::EventFilter;
use ringtrail_collector::{app, AppState, Clock, Db, Options, Sites, SqliteStore};
use serde_json::{json, Value};

mod common;
use common::send;

const T0: i64 = 1_700_000_000_000;

fn setup_with(sites: Sites, options: Options) -> (Router, Db) {
    let db = Db::new(SqliteStore::open_in_memory().expect("in-memory db"));
    let state = AppState::new(db.clone(), sites, options).with_clock(Clock::fixed(T0));
    (app(state), db)
}

fn setup() -> (Router, Db) {
    setup_with(Sites::open(), Options::default())
}

fn id(n: u32) -> String {
    format!("01890a5d-ac96-774b-bcce-{n:012x}")
}

fn event(n: u32) -> Value {
    json!({
        "id": id(n), "type": "page_view", "ts": T0 - 1000, "visitor": "v-1", "session": "s-1",
        "url": "https://demo.example/pricing?utm_source=google", "referrer": "https://www.google.com/",
        "title": "Pricing",
        "source": {"name": "google-organic", "referrer_host": "www.google.com", "utm_source": "google", "landing": "/pricing"},
        "revisit": 0, "data": {}
    })
}

fn batch(events: Vec<Value>) -> Value {
    json!({"site": "demo-jp", "sent_at": T0, "events": events})
}

async fn post_raw(app: &Router, content_type: &str, body: impl Into<Body>) -> (StatusCode, Value) {
    let req = Request::post("/v1/events")
        .header(header::CONTENT_TYPE, content_type)
        .body(body.into())
        .expect("request");
    let (status, _, text) = send(app, req).await;
    let json = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    (status, json)
}

async fn post(app: &Router, body: &Value) -> (StatusCode, Value) {
    post_raw(app, "application/json", body.to_string()).await
}

async fn stored(db: &Db) -> u64 {
    db.blocking()
        .count_events(&EventFilter::default())
        .expect("count")
}

#[tokio::test]
async fn ingest_stores_events() {
    let (app, db) = setup();
    let (status, body) = post(&app, &batch(vec![event(1), event(2)])).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(body, json!({"accepted": 2, "duplicates": 0}));
    let rows = db
        .blocking()
        .recent_events(&EventFilter::default(), 10)
        .expect("rows");
    assert_eq!(rows.len(), 2);
    let row = &rows[0];
    assert_eq!(row.site, "demo-jp");
    assert_eq!(row.kind, "page_view");
    assert_eq!(row.path, "/pricing");
    assert_eq!(row.received_at, T0);
    assert_eq!(row.source_group.as_deref(), Some("search"));
    // Read back, the source carries the group classified at ingest.
    let req = Request::get("/v1/events")
        .body(Body::empty())
        .expect("request");
    let (_, _, text) = send(&app, req).await;
    let listed: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(listed["events"][0]["source"]["group"], "search");
}

#[tokio::test]
async fn duplicate_ids_are_stored_once() {
    let (app, db) = setup();
    let (status, body) = post(&app, &batch(vec![event(1), event(1), event(2)])).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(body, json!({"accepted": 2, "duplicates": 1}));
    // Retried batch, as the outbox does after a lost response.
    let (status, body) = post(&app, &batch(vec![event(2), event(1), event(3)])).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(body, json!({"accepted": 1, "duplicates": 2}));
    assert_eq!(stored(&db).await, 3);
}

#[tokio::test]
async fn upper_case_uuid_is_the_same_event() {
    let (app, db) = setup();
    let mut upper = event(10);
    upper["id"] = json!(id(10).to_uppercase());
    let (_, body) = post(&app, &batch(vec![event(10), upper])).await;
    assert_eq!(body, json!({"accepted": 1, "duplicates": 1}));
    assert_eq!(stored(&db).await, 1);
}

#[tokio::test]
async fn bad_json_is_400_with_position() {
    let (app, db) = setup();
    let (status, body) = post_raw(&app, "application/json", "{\"site\": ]").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let error = body["error"].as_str().expect("error string");
    assert!(
        error.starts_with("invalid JSON at line 1 column 10: "),
        "{error}"
    );
    assert_eq!(stored(&db).await, 0);
}

#[tokio::test]
async fn wrong_field_type_names_the_field() {
    let (app, db) = setup();
    let mut bad = event(1);
    bad["ts"] = json!("yesterday");
    let (status, body) = post(&app, &batch(vec![bad])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let error = body["error"].as_str().expect("error string");
    assert!(error.starts_with("events[0].ts: "), "{error}");

    let mut bad = event(2);
    bad["id"] = json!("not-a-uuid");
    let (_, body) = post(&app, &batch(vec![event(1), bad])).await;
    assert_eq!(body["error"], "events[1].id: expected a UUID");

    let mut bad = event(3);
    bad["type"] = json!("purchase");
    let (status, body) = post(&app, &batch(vec![bad])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"]
        .as_str()
        .is_some_and(|e| e.starts_with("events[0].type: unknown event type")));
    // A refused batch stores nothing, not even its valid events.
    assert_eq!(stored(&db).await, 0);
}

#[tokio::test]
async fn oversized_body_is_413() {
    let (app, _) = setup();
    let mut e = event(1);
    e["data"] = json!({"blob": "x".repeat(600 * 1024)});
    let (status, body) = post(&app, &batch(vec![e])).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body["error"]
        .as_str()
        .is_some_and(|e| e.contains("larger than 524288 bytes")));
}

#[tokio::test]
async fn oversized_streamed_body_without_length_is_413() {
    let (app, _) = setup();
    let chunks: Vec<Result<String, std::io::Error>> =
        (0..600).map(|_| Ok("x".repeat(1024))).collect();
    let body = Body::from_stream(futures_util::stream::iter(chunks));
    let (status, body) = post_raw(&app, "text/plain", body).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body["error"].is_string());
}

#[tokio::test]
async fn too_many_events_is_413() {
    let (app, db) = setup();
    let events = (0..501).map(event).collect();
    let (status, body) = post(&app, &batch(events)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body["error"]
        .as_str()
        .is_some_and(|e| e.contains("at most 500")));
    assert_eq!(stored(&db).await, 0);
}

#[tokio::test]
async fn text_plain_from_send_beacon_is_accepted() {
    let (app, db) = setup();
    let (status, body) = post_raw(
        &app,
        "text/plain;charset=UTF-8",
        batch(vec![event(7)]).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(body["accepted"], 1);
    assert_eq!(stored(&db).await, 1);
}

#[tokio::test]
async fn other_content_types_are_415() {
    let (app, _) = setup();
    let (status, body) = post_raw(&app, "application/x-www-form-urlencoded", "a=1").await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(body["error"]
        .as_str()
        .is_some_and(|e| e.contains("text/plain")));
}

#[tokio::test]
async fn unknown_site_is_404_when_configs_are_loaded() {
    let sites = Sites::open().with("demo-jp", json!({"site": "demo-jp"}));
    let (app, _) = setup_with(sites, Options::default());
    let (status, _) = post(&app, &batch(vec![event(1)])).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let mut other = batch(vec![event(2)]);
    other["site"] = json!("other-site");
    let (status, body) = post(&app, &other).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"]
        .as_str()
        .is_some_and(|e| e.contains("\"other-site\"")));
}

#[tokio::test]
async fn report_shows_events_and_escapes_them() {
    let (app, _) = setup();
    let mut nasty = event(1);
    nasty["url"] = json!("https://demo.example/<script>alert(1)</script>");
    nasty["visitor"] = json!("v\"><img src=x onerror=alert(2)>");
    post(&app, &batch(vec![nasty, event(2)])).await;

    let req = Request::get("/").body(Body::empty()).expect("request");
    let (status, headers, html) = send(&app, req).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .is_ok_and(|ct| ct.starts_with("text/html")));
    assert!(
        !html.contains("<script>alert(1)"),
        "unescaped script tag in report"
    );
    assert!(!html.contains("<img"), "unescaped img tag in report");
    assert!(html.contains("https://demo.example/&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("google-organic (search)"));
    assert!(html.contains("page_view"));
    assert!(html.contains("2 events stored."));
    assert!(html.contains("2023-11-14 22:13:20 UTC"));
}

#[tokio::test]
async fn report_filters_by_site() {
    let (app, _) = setup();
    post(&app, &batch(vec![event(1)])).await;
    let mut other = batch(vec![event(2)]);
    other["site"] = json!("other-site");
    post(&app, &other).await;
    let req = Request::get("/?site=other-site")
        .body(Body::empty())
        .expect("request");
    let (status, _, html) = send(&app, req).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("1 events stored."));
    assert!(html.contains("href=\"/?site=demo-jp\""));
}

#[tokio::test]
async fn cors_preflight_is_answered() {
    let (app, _) = setup();
    let req = Request::builder()
        .method(Method::OPTIONS)
        .uri("/v1/events")
        .header(header::ORIGIN, "https://shop.example")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
        .body(Body::empty())
        .expect("request");
    let (status, headers, _) = send(&app, req).await;
    assert!(status.is_success(), "{status}");
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    let methods = headers[header::ACCESS_CONTROL_ALLOW_METHODS]
        .to_str()
        .expect("ascii");
    assert!(methods.contains("POST"), "{methods}");
    let allowed = headers[header::ACCESS_CONTROL_ALLOW_HEADERS]
        .to_str()
        .expect("ascii");
    assert!(allowed.contains("content-type"), "{allowed}");
}

#[tokio::test]
async fn cors_allowlist_is_enforced() {
    let options = Options {
        allow_origins: vec!["https://shop.example".into()],
        ..Options::default()
    };
    let (app, _) = setup_with(Sites::open(), options);
    let preflight = |origin: &str| {
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/v1/events")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .body(Body::empty())
            .expect("request")
    };
    let (_, headers, _) = send(&app, preflight("https://shop.example")).await;
    assert_eq!(
        headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://shop.example"
    );
    let (_, headers, _) = send(&app, preflight("https://evil.example")).await;
    assert!(headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
}

#[tokio::test]
async fn healthz_says_ok() {
    let (app, _) = setup();
    let req = Request::get("/healthz")
        .body(Body::empty())
        .expect("request");
    let (status, _, body) = send(&app, req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "ok");
}

#[tokio::test]
async fn unknown_paths_are_json_404() {
    let (app, _) = setup();
    let req = Request::get("/nope").body(Body::empty()).expect("request");
    let (status, _, body) = send(&app, req).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, r#"{"error":"no such page"}"#);
}

#[tokio::test]
async fn static_mounts_are_tried_in_order() {
    let www = tempfile::tempdir().expect("tempdir");
    let pkg = tempfile::tempdir().expect("tempdir");
    std::fs::write(www.path().join("page.html"), "<p>www</p>").expect("write");
    std::fs::write(pkg.path().join("loader.js"), "// loader").expect("write");
    let options = Options {
        mounts: vec![
            ringtrail_collector::Mount::new("/pkg", pkg.path()),
            ringtrail_collector::Mount::new("/", www.path()),
        ],
        ..Options::default()
    };
    let (app, _) = setup_with(Sites::open(), options);
    for (path, want_status, want_body) in [
        ("/page.html", StatusCode::OK, "<p>www</p>"),
        ("/pkg/loader.js", StatusCode::OK, "// loader"),
        (
            "/pkg/../page.html",
            StatusCode::NOT_FOUND,
            r#"{"error":"no such page"}"#,
        ),
        (
            "/loader.js",
            StatusCode::NOT_FOUND,
            r#"{"error":"no such page"}"#,
        ),
    ] {
        let req = Request::get(path).body(Body::empty()).expect("request");
        let (status, _, body) = send(&app, req).await;
        assert_eq!((status, body.as_str()), (want_status, want_body), "{path}");
    }
}

async fn get_json(app: &Router, uri: &str) -> (StatusCode, Value) {
    let req = Request::get(uri).body(Body::empty()).expect("request");
    let (status, _, text) = send(app, req).await;
    let json = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    (status, json)
}

#[tokio::test]
async fn stored_events_can_be_read_back() {
    let (app, _) = setup();
    let mut lead = event(3);
    lead["type"] = json!("lead");
    lead["visitor"] = json!("v-2");
    post(&app, &batch(vec![event(1), event(2), lead, event(1)])).await;

    let (status, body) = get_json(&app, "/v1/events").await;
    assert_eq!(status, StatusCode::OK);
    let events = body["events"].as_array().expect("events");
    let ids: Vec<&str> = events.iter().filter_map(|e| e["id"].as_str()).collect();
    assert_eq!(ids, [id(1), id(2), id(3)], "oldest first, each id once");
    assert_eq!(events[0]["site"], "demo-jp");
    assert_eq!(events[0]["received_at"], T0);
    assert_eq!(events[0]["source"]["name"], "google-organic");
    assert_eq!(body["next_offset"], Value::Null);

    let (_, body) = get_json(&app, "/v1/events?type=lead&site=demo-jp").await;
    assert_eq!(body["events"][0]["visitor"], "v-2");
    assert_eq!(body["events"].as_array().map(Vec::len), Some(1));

    let (_, body) = get_json(&app, "/v1/events?limit=2").await;
    assert_eq!(body["next_offset"], 2);
    let (_, body) = get_json(&app, "/v1/events?limit=2&offset=2").await;
    assert_eq!(body["events"][0]["id"], id(3));

    let (status, body) = get_json(&app, "/v1/events?limit=many").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"]
        .as_str()
        .is_some_and(|e| e.starts_with("query: ")));
    let (status, _) = get_json(&app, "/v1/events?sitee=x").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_event_without_a_visitor_id_is_still_counted() {
    let (app, db) = setup();
    let mut anonymous = event(1);
    anonymous["visitor"] = json!("");
    anonymous["session"] = json!("");
    let (status, _) = post(&app, &batch(vec![anonymous])).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(stored(&db).await, 1);
}

#[tokio::test]
async fn favicon_is_204_when_no_mount_has_one() {
    let (app, _) = setup();
    let req = Request::get("/favicon.ico")
        .body(Body::empty())
        .expect("request");
    let (status, _, _) = send(&app, req).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn hostile_bodies_get_4xx_never_5xx() {
    let (app, db) = setup();
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"null".to_vec(),
        b"\xff\xfe{}".to_vec(),
        deep.into_bytes(),
        br#"{"site":"demo-jp","events":[null]}"#.to_vec(),
        br#"{"site":"demo-jp","events":[{"id":"01890a5d-ac96-774b-bcce-b302099a8057","ts":1e400}]}"#
            .to_vec(),
        br#"{"site":"demo-jp","sent_at":-5,"events":[]}"#.to_vec(),
        br#"{"site":"demo-jp","events":[{"id":"01890a5d-ac96-774b-bcce-b302099a8057","type":"page_view","ts":18446744073709551615}]}"#
            .to_vec(),
        "{\"site\":\"d\u{0}\",\"events\":[]}".as_bytes().to_vec(),
    ];
    for body in bodies {
        let shown = String::from_utf8_lossy(&body)
            .chars()
            .take(80)
            .collect::<String>();
        let (status, json) = post_raw(&app, "application/json", body).await;
        assert!(status.is_client_error(), "{shown}: {status} {json}");
        assert!(json["error"].is_string(), "{shown}: {json}");
    }
    assert_eq!(stored(&db).await, 0);
}

#[tokio::test]
async fn cross_origin_posts_expose_retry_after() {
    let (app, _) = setup();
    let req = Request::post("/v1/events")
        .header(header::ORIGIN, "https://shop.example")
        .header(header::CONTENT_TYPE, "text/plain;charset=UTF-8")
        .body(Body::from(batch(vec![event(1)]).to_string()))
        .expect("request");
    let (status, headers, _) = send(&app, req).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    let exposed = headers[header::ACCESS_CONTROL_EXPOSE_HEADERS]
        .to_str()
        .expect("ascii");
    assert!(exposed.contains("retry-after"), "{exposed}");
}

#[tokio::test]
async fn rate_limited_clients_get_429_with_retry_after() {
    use axum::extract::ConnectInfo;
    let options = Options {
        rate_limit: Some(ringtrail_collector::RateLimit {
            per_second: 1.0,
            burst: 2.0,
        }),
        ..Options::default()
    };
    let (app, _) = setup_with(Sites::open(), options);
    let peer: std::net::SocketAddr = "192.0.2.7:5555".parse().expect("addr");
    let mut statuses = Vec::new();
    for n in 0..3 {
        let mut req = Request::post("/v1/events")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(batch(vec![event(n)]).to_string()))
            .expect("request");
        req.extensions_mut().insert(ConnectInfo(peer));
        let (status, headers, body) = send(&app, req).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(headers[header::RETRY_AFTER], "1");
            assert!(body.contains("too many requests"), "{body}");
        }
        statuses.push(status.as_u16());
    }
    assert_eq!(statuses, [202, 202, 429]);
}

#[tokio::test]
async fn a_reports_token_locks_what_shows_leads_and_nothing_the_snippet_calls() {
    let token = "a-reports-token-0123";
    let options = Options {
        reports_token: Some(token.into()),
        ..Options::default()
    };
    let (app, _db) = setup_with(Sites::open(), options);
    let basic = |user_password: &str| {
        use base64::Engine as _;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(user_password)
        )
    };
    let get = |path: &str, auth: Option<String>| {
        let mut req = Request::get(path);
        if let Some(auth) = auth {
            req = req.header(header::AUTHORIZATION, auth);
        }
        req.body(Body::empty()).expect("request")
    };

    // The snippet's calls need no token.
    let (status, _) = post(&app, &batch(vec![event(1)])).await;
    assert_eq!(status, StatusCode::ACCEPTED);

    for path in [
        "/",
        "/leads.csv?site=demo-jp",
        "/v1/events",
        "/v1/leads?site=demo-jp",
        "/v1/visits?site=demo-jp",
    ] {
        let (status, headers, body) = send(&app, get(path, None)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert!(body.contains("reports token"), "{path}: {body}");
        assert!(
            headers
                .get_all(header::WWW_AUTHENTICATE)
                .iter()
                .any(|v| v.to_str().unwrap_or("").starts_with("Basic realm=")),
            "{path}: a browser is asked for the token"
        );
        let (status, _, _) = send(&app, get(path, Some("Bearer wrong-token".into()))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        let (status, _, _) = send(&app, get(path, Some(format!("Bearer {token}")))).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let (status, _, _) = send(&app, get(path, Some(basic(&format!("anna:{token}"))))).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let (status, _, _) = send(&app, get(path, Some(basic("anna:guess")))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
    }
    let (_, _, body) = send(&app, get("/v1/events", Some(format!("Bearer {token}")))).await;
    assert!(body.contains(&id(1)), "{body}");
}

#[tokio::test]
async fn guesses_at_the_reports_token_count_against_the_rate_limit() {
    use axum::extract::ConnectInfo;
    let options = Options {
        reports_token: Some("a-reports-token-0123".into()),
        rate_limit: Some(ringtrail_collector::RateLimit {
            per_second: 1.0,
            burst: 2.0,
        }),
        ..Options::default()
    };
    let (app, _) = setup_with(Sites::open(), options);
    let peer: std::net::SocketAddr = "192.0.2.8:5555".parse().expect("addr");
    let mut statuses = Vec::new();
    for n in 0..3 {
        let mut req = Request::get("/v1/events")
            .header(header::AUTHORIZATION, format!("Bearer guess-{n}"))
            .body(Body::empty())
            .expect("request");
        req.extensions_mut().insert(ConnectInfo(peer));
        statuses.push(send(&app, req).await.0.as_u16());
    }
    assert_eq!(statuses, [401, 401, 429]);
}
