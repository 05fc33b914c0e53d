//! Unit tests of the Prometheus client against a mock server on loopback.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::eval::metrics::Sample;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Instant;

mod form;

/// What the mock server does with one connection.
enum Reply {
    /// Answer with this status and body.
    Http(u16, String),
    /// Read the request and say nothing for this long.
    Silent(Duration),
}

/// A loopback HTTP server answering `connections` connections with
/// `reply(index, request head)`, each on its own thread.
struct Mock {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

fn mock(connections: usize, reply: impl Fn(usize, &str) -> Reply + Send + Sync + 'static) -> Mock {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&requests);
    let reply = Arc::new(reply);
    std::thread::spawn(move || {
        for index in 0..connections {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            let seen = Arc::clone(&seen);
            let reply = Arc::clone(&reply);
            std::thread::spawn(move || serve(stream, index, &seen, &*reply));
        }
    });
    Mock { url, requests }
}

fn serve(mut stream: TcpStream, index: usize, seen: &Mutex<Vec<String>>, reply: &dyn Fn(usize, &str) -> Reply) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head).to_string();
    seen.lock().unwrap().push(head.clone());
    match reply(index, &head) {
        Reply::Http(code, body) => {
            let response = format!(
                    "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            let _ = stream.write_all(response.as_bytes());
        }
        Reply::Silent(d) => std::thread::sleep(d),
    }
}

/// The decoded `query` parameter of a request head.
fn query_param(head: &str) -> String {
    let target = head.split_whitespace().nth(1).unwrap_or("");
    let query = target.split_once('?').map_or("", |(_, q)| q);
    form::form_decode(query.split('&').find_map(|p| p.strip_prefix("query=")).unwrap_or(""))
}

fn client(url: &str) -> PrometheusClient {
    let mut c = PrometheusClient::new(url).unwrap().with_timeout(Duration::from_millis(2000));
    c.backoff = Duration::from_millis(10);
    c
}

fn q(expr: &str) -> Query {
    Query { expr: expr.to_string(), lookback_secs: 3600, resolution_ms: None }
}

const MATRIX: &str = r#"{"status":"success","data":{"resultType":"matrix","result":[
        {"metric":{"__name__":"acc","model":"v2"},"values":[[1795474800,"93.5"],[1795478400.5,"NaN"],[1795471200,"+Inf"]]},
        {"metric":{"__name__":"acc","model":"v1"},"values":[[1795478400,"-Inf"],[1795478300,"1e+06"]]}]}}"#;

#[test]
fn a_long_query_is_sent_as_a_form() {
    let server = mock(1, |_, _| Reply::Http(200, MATRIX.to_string()));
    let values: Vec<String> = (0..600).map(|i| format!("v{i}")).collect();
    let expr = format!("acc{{model=~\"{}\"}}", values.join("|"));
    assert!(expr.len() > MAX_GET_QUERY_BYTES);
    let series = client(&server.url).fetch(&q(&expr), 1_795_478_400 * NANOS).unwrap();
    assert_eq!(series.len(), 2);
    let requests = server.requests.lock().unwrap();
    assert!(requests[0].starts_with("POST /api/v1/query HTTP/1.1\r\n"), "{}", requests[0]);
    assert!(requests[0].to_ascii_lowercase().contains("content-type: application/x-www-form-urlencoded"));
}

#[test]
fn fetches_raw_samples_with_a_range_selector() {
    let server = mock(1, |_, _| Reply::Http(200, MATRIX.to_string()));
    let series = client(&server.url).fetch(&q(r#"acc{model=~"v.*"}"#), 1_795_478_400 * NANOS).unwrap();
    assert_eq!(series.len(), 2);
    assert_eq!(series[0].metric, "acc");
    assert_eq!(series[0].labels.get("model").map(String::as_str), Some("v2"));
    assert_eq!(series[0].samples[0], Sample { time: 1_795_471_200 * NANOS, value: f64::INFINITY });
    assert_eq!(series[0].samples[1], Sample { time: 1_795_474_800 * NANOS, value: 93.5 });
    assert_eq!(series[0].samples[2].time, 1_795_478_400 * NANOS + 500_000_000);
    assert!(series[0].samples[2].value.is_nan());
    assert_eq!(series[1].samples[0].value, 1e6);
    assert_eq!(series[1].samples[1].value, f64::NEG_INFINITY);
    let requests = server.requests.lock().unwrap();
    assert_eq!(requests.len(), 1);
    assert!(requests[0].starts_with("GET /api/v1/query?"), "{}", requests[0]);
    assert!(requests[0].contains("time=1795478400"), "{}", requests[0]);
    assert_eq!(query_param(&requests[0]), r#"acc{model=~"v.*"}[3601s]"#);
}

#[test]
fn retries_a_server_error_then_succeeds() {
    let server = mock(2, |i, _| {
        if i == 0 {
            Reply::Http(503, r#"{"status":"error","errorType":"unavailable","error":"busy"}"#.to_string())
        } else {
            Reply::Http(200, MATRIX.to_string())
        }
    });
    let series = client(&server.url).fetch(&q("acc"), 1_795_478_400).unwrap();
    assert_eq!(series.len(), 2);
    assert_eq!(server.requests.lock().unwrap().len(), 2);
}

#[test]
fn gives_up_after_two_retries() {
    let server = mock(5, |_, _| Reply::Http(500, "oops".to_string()));
    let err = client(&server.url).fetch(&q("acc"), 0).unwrap_err();
    assert_eq!(
        err,
        format!("prometheus at {} failed on the query `acc[3601s]` (HTTP 500): oops (after 3 attempts)", server.url)
    );
    assert_eq!(server.requests.lock().unwrap().len(), 3);
}

#[test]
fn malformed_json_is_not_retried() {
    let server = mock(3, |_, _| Reply::Http(200, "{not json".to_string()));
    let err = client(&server.url).fetch(&q("acc"), 0).unwrap_err();
    assert!(
        err.starts_with(&format!(
            "prometheus at {} sent a malformed answer to `acc[3601s]`: not valid JSON",
            server.url
        )),
        "{err}"
    );
    assert_eq!(server.requests.lock().unwrap().len(), 1);
}

#[test]
fn bad_query_reports_prometheus_error() {
    let body = r#"{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected \"}\""}"#;
    let server = mock(1, move |_, _| Reply::Http(400, body.to_string()));
    let err = client(&server.url).fetch(&q("acc}"), 0).unwrap_err();
    assert_eq!(
            err,
            format!(
                "prometheus at {} rejected the query `(acc}})[3601s:60s]` (HTTP 400): bad_data: 1:5: parse error: unexpected \"}}\"",
                server.url
            )
        );
}

#[test]
fn a_silent_server_times_out_within_the_bound() {
    let server = mock(3, |_, _| Reply::Silent(Duration::from_secs(5)));
    let mut c = client(&server.url).with_timeout(Duration::from_millis(300));
    c.max_retries = 2;
    let start = Instant::now();
    let err = c.fetch(&q("acc"), 0).unwrap_err();
    let elapsed = start.elapsed();
    assert_eq!(err, format!("prometheus at {} did not answer within 0.3s (after 3 attempts)", server.url));
    // The reason says the 0.3 s timeout ended each of the three attempts
    // (a server that answered after its 5 s of silence would give
    // another reason); three attempts take at least 3 x 0.3 s.
    assert!(elapsed >= Duration::from_millis(900), "{elapsed:?}");
}

#[test]
fn connection_refused_is_plain_and_not_retried() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let mut c = client(&url);
    c.backoff = Duration::from_secs(30);
    let err = c.fetch(&q("acc"), 0).unwrap_err();
    // No "(after N attempts)": the refusal was not retried.
    assert_eq!(err, format!("prometheus at {url} is unreachable: connection refused"));
}

#[test]
fn concurrent_queries_keep_their_order_and_fail_alone() {
    let server = mock(12, |_, head| {
        let query = query_param(head);
        let name = query.split('[').next().unwrap_or("").to_string();
        if name == "m7" {
            return Reply::Http(
                422,
                r#"{"status":"error","errorType":"execution","error":"too many samples"}"#.to_string(),
            );
        }
        Reply::Http(
            200,
            format!(
                r#"{{"status":"success","data":{{"resultType":"matrix","result":[{{"metric":{{"__name__":"{name}"}},"values":[[10,"1"]]}}]}}}}"#
            ),
        )
    });
    let queries: Vec<Query> = (0..12).map(|i| q(&format!("m{i}"))).collect();
    let mut c = client(&server.url);
    c.concurrency = 4;
    let results = c.fetch_range(&queries, 100);
    assert_eq!(results.len(), 12);
    for (i, result) in results.iter().enumerate() {
        if i == 7 {
            let err = result.as_ref().unwrap_err();
            assert!(err.ends_with("(HTTP 422): execution: too many samples"), "{err}");
        } else {
            let series = result.as_ref().unwrap();
            assert_eq!(series[0].metric, format!("m{i}"));
        }
    }
    assert!(c.fetch_range(&[], 0).is_empty());
}

#[test]
fn queries_overlap_up_to_the_concurrency_limit() {
    use std::sync::atomic::AtomicUsize;
    const DELAY: Duration = Duration::from_millis(100);
    /// A mock whose every answer takes `DELAY`, recording the most
    /// requests it held at once.
    fn slow_mock(connections: usize) -> (Mock, Arc<AtomicUsize>) {
        let in_flight = Arc::new(AtomicUsize::new(0));
        let highest = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&highest);
        let server = mock(connections, move |_, head| {
            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            seen.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(DELAY);
            in_flight.fetch_sub(1, Ordering::SeqCst);
            let name = query_param(head).split('[').next().unwrap_or("").to_string();
            Reply::Http(
                200,
                format!(
                    r#"{{"status":"success","data":{{"resultType":"matrix","result":[{{"metric":{{"__name__":"{name}"}},"values":[[10,"1"]]}}]}}}}"#
                ),
            )
        });
        (server, highest)
    }

    let n = 16;
    let (server, highest) = slow_mock(n);
    let queries: Vec<Query> = (0..n).map(|i| q(&format!("m{i}"))).collect();
    let c = client(&server.url);
    assert_eq!(c.concurrency, DEFAULT_CONCURRENCY);
    let results = c.fetch_range(&queries, 100);
    for (i, result) in results.iter().enumerate() {
        assert_eq!(result.as_ref().unwrap()[0].metric, format!("m{i}"));
    }
    let highest = highest.load(Ordering::SeqCst);
    assert!(highest > 1, "the queries never overlapped");
    assert!(highest <= DEFAULT_CONCURRENCY, "{highest} requests at once, more than the limit");

    // The limit holds: one at a time never overlaps.
    let (server, highest) = slow_mock(4);
    let mut c = client(&server.url);
    c.concurrency = 1;
    let start = Instant::now();
    assert!(c.fetch_range(&queries[..4], 100).iter().all(Result::is_ok));
    assert_eq!(highest.load(Ordering::SeqCst), 1);
    assert!(start.elapsed() >= DELAY * 4);
}

#[test]
fn sends_credentials() {
    let server = mock(2, |_, _| Reply::Http(200, MATRIX.to_string()));
    let c = client(&server.url).with_auth(Some(Auth::Bearer("t0k".to_string())));
    c.fetch(&q("acc"), 0).unwrap();
    let c = client(&server.url)
        .with_auth(Some(Auth::Basic { user: "Aladdin".to_string(), password: "open sesame".to_string() }));
    c.fetch(&q("acc"), 0).unwrap();
    let requests = server.requests.lock().unwrap();
    let auth = |head: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix("Authorization: ").or_else(|| l.strip_prefix("authorization: ")))
            .map(str::to_string)
    };
    let mut found: Vec<String> = requests.iter().filter_map(|h| auth(h)).collect();
    found.sort();
    assert_eq!(found, ["Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Bearer t0k"]);
}

#[test]
fn unauthorised_names_the_variables() {
    let server = mock(1, |_, _| Reply::Http(401, "Unauthorized".to_string()));
    let err = client(&server.url).fetch(&q("acc"), 0).unwrap_err();
    assert!(err.contains("refused access (HTTP 401): Unauthorized; set COMPEL_PROMETHEUS_TOKEN"), "{err}");
}

#[test]
fn vector_and_scalar_answers() {
    let vector =
        r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"x"},"value":[5.9,"2"]}]}}"#;
    let series = parse_answer(vector.as_bytes(), "up == 1", usize::MAX).unwrap();
    assert_eq!(series[0].metric, "up == 1");
    assert_eq!(series[0].samples, vec![Sample { time: 5_900_000_000, value: 2.0 }]);
    let scalar = r#"{"status":"success","data":{"resultType":"scalar","result":[5,"2"]}}"#;
    assert!(parse_answer(scalar.as_bytes(), "1", usize::MAX).unwrap_err().text().starts_with("the result is a scalar"));
    let empty = r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;
    assert_eq!(parse_answer(empty.as_bytes(), "acc", usize::MAX).unwrap(), vec![]);
    let bad = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,2]]}]}}"#;
    assert_eq!(
        parse_answer(bad.as_bytes(), "acc", usize::MAX).unwrap_err().text(),
        "result[0].values[0] is not [time, \"value\"]"
    );
    let hist =
        r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"h"},"histograms":[]}]}}"#;
    assert_eq!(parse_answer(hist.as_bytes(), "h", usize::MAX).unwrap_err().text(), "result[0] has no `values`");
    let hist = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"h"},"histograms":[[1,{"count":"2","sum":"3"}]]}]}}"#;
    assert!(parse_answer(hist.as_bytes(), "h", usize::MAX)
        .unwrap_err()
        .text()
        .contains("a native histogram sample of `h`"));
    let many = r#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"__name__":"a"},"values":[[1,"1"],[2,"2"],[3,"3"]]}]}}"#;
    assert_eq!(parse_answer(many.as_bytes(), "a", 3).unwrap().len(), 1);
    assert!(matches!(parse_answer(many.as_bytes(), "a", 2), Err(Bad::TooLarge(m))
            if m == "3 samples of `a`, more than the limit of 2 samples per series"));
}

impl Bad {
    fn text(&self) -> &str {
        match self {
            Bad::Malformed(m) | Bad::TooLarge(m) | Bad::Undecidable(m) => m,
        }
    }
}

#[test]
fn native_histograms_and_partial_results_are_undecidable_in_the_servers_words() {
    // A series with float samples and, later, native-histogram samples.
    let mixed = r#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"__name__":"lat","job":"api"},"values":[[1795478000,"0.2"]],
             "histograms":[[1795478100,{"count":"10","sum":"2.5","buckets":[[0,"0.1","0.2","10"]]}],
                           [1795478200,{"count":"12","sum":"3","buckets":[[0,"0.1","0.2","12"]]}]]}]}}"#;
    let server = mock(1, move |_, _| Reply::Http(200, mixed.to_string()));
    let err = client(&server.url).fetch(&q("lat"), 1_795_478_400 * NANOS).unwrap_err();
    assert_eq!(
        err,
        format!(
            "prometheus at {} answered `lat[3601s]` with 2 native histogram samples of `lat{{job=\"api\"}}`, \
                 which compel cannot compare with a threshold; select a float series \
                 (e.g. `histogram_quantile(0.9, lat)` in a `query`)",
            server.url
        )
    );
    // An instant vector's single histogram.
    let one = r#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"__name__":"lat"},"histogram":[1795478100,{"count":"1","sum":"1"}]}]}}"#;
    assert!(parse_answer(one.as_bytes(), "lat", usize::MAX)
        .unwrap_err()
        .text()
        .starts_with("with a native histogram sample of `lat`"));

    // A partial result: data, and warnings saying it may be incomplete.
    let partial = r#"{"status":"success","warnings":["remote_read: store eu-1 did not answer","2 of 3 shards answered"],
            "infos":["just a note"],
            "data":{"resultType":"matrix","result":[{"metric":{"__name__":"acc"},"values":[[1795478400,"0.95"]]}]}}"#;
    let server = mock(1, move |_, _| Reply::Http(200, partial.to_string()));
    let err = client(&server.url).fetch(&q("acc"), 1_795_478_400 * NANOS).unwrap_err();
    assert_eq!(
        err,
        format!(
            "prometheus at {} answered `acc[3601s]` with warnings (the result may be partial, so compel does \
                 not decide on it): remote_read: store eu-1 did not answer; 2 of 3 shards answered",
            server.url
        )
    );
    // Informational notes and empty warnings are not warnings.
    let noted = r#"{"status":"success","warnings":[],"infos":["PromQL info: metric might not be a counter"],
            "data":{"resultType":"matrix","result":[{"metric":{"__name__":"acc"},"values":[[1795478400,"0.95"]]}]}}"#;
    assert_eq!(parse_answer(noted.as_bytes(), "acc", usize::MAX).unwrap()[0].samples.len(), 1);
}

#[test]
fn subquery_points_are_dated_at_the_oldest_their_data_may_be() {
    let points = r#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{},"values":[[1795477800,"0.95"],[1795478400,"0.96"]]}]}}"#;
    let server = mock(2, move |_, _| Reply::Http(200, points.to_string()));
    let c = client(&server.url);
    let query = Query { expr: "max(acc)".to_string(), lookback_secs: 3600, resolution_ms: Some(600_000) };
    let series = c.fetch(&query, 1_795_478_400 * NANOS).unwrap();
    assert_eq!(series[0].metric, "max(acc)");
    let times: Vec<i64> = series[0].samples.iter().map(|s| s.time / NANOS).collect();
    assert_eq!(times, [1_795_477_800 - LOOKBACK_SECS, 1_795_478_400 - LOOKBACK_SECS]);
    // A plain selector's raw samples keep their times.
    let series = c.fetch(&q("max_acc"), 1_795_478_400 * NANOS).unwrap();
    assert_eq!(series[0].samples[1].time, 1_795_478_400 * NANOS);
    let requests = server.requests.lock().unwrap();
    assert_eq!(query_param(&requests[0]), "(max(acc))[3601s:600s]");
}

#[test]
fn promql_forms() {
    let c = PrometheusClient::new("http://p:9090/").unwrap();
    let promql =
        |e: &str, lookback: i64| c.promql(&Query { expr: e.to_string(), lookback_secs: lookback, resolution_ms: None });
    assert_eq!(promql("fraud_loss_rate", 604_800), "fraud_loss_rate[604801s]");
    assert_eq!(promql(r#" acc{model="v}2"} "#, 0), r#"acc{model="v}2"}[1s]"#);
    assert_eq!(promql(r#"{__name__="acc"}"#, 9), r#"{__name__="acc"}[10s]"#);
    assert_eq!(promql("sum", 9), r#"{__name__="sum"}[10s]"#);
    assert_eq!(promql(r#"count{job="x"}"#, 9), r#"{__name__="count", job="x"}[10s]"#);
    assert_eq!(promql("rate(http_total[5m])", 3599), "(rate(http_total[5m]))[3600s:60s]");
    assert_eq!(promql("a / b", 59), "(a / b)[60s:60s]");
    assert_eq!(promql("acc[5m]", 59), "(acc[5m])[60s:60s]");
    let with =
        |e: &str, ms: i64| c.promql(&Query { expr: e.to_string(), lookback_secs: 3599, resolution_ms: Some(ms) });
    assert_eq!(with("max(acc)", 30_000), "(max(acc))[3600s:30s]");
    assert_eq!(with("max(acc)", 1_500), "(max(acc))[3600s:1500ms]");
    assert_eq!(with("acc", 1_500), "acc[3600s]");
    assert!(is_plain_selector("job:errors:rate5m{a='x'}"));
    assert!(!is_plain_selector("acc offset 5m"));
    assert!(!is_plain_selector("{a=\"x\""));
    assert!(!is_plain_selector(""));
    assert!(!is_plain_selector("9acc"));
}

#[test]
fn urls() {
    assert_eq!(PrometheusClient::new("http://127.0.0.1:9090/").unwrap().base_url, "http://127.0.0.1:9090");
    assert_eq!(PrometheusClient::new("localhost:9090").unwrap().base_url, "http://localhost:9090");
    assert_eq!(PrometheusClient::new("HTTP://gw/prom/").unwrap().base_url, "http://gw/prom");
    assert!(PrometheusClient::new("https://p.example").unwrap_err().contains("https is not supported"));
    assert!(PrometheusClient::new("ftp://p").unwrap_err().contains("`ftp` is not http"));
    assert!(PrometheusClient::new("http://").is_err());
    assert!(PrometheusClient::new("http://p/?x=1").is_err());
}

#[test]
fn credentials_from_variables() {
    let vars = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    };
    assert_eq!(auth_from_vars(vars(&[])), None);
    assert_eq!(
        auth_from_vars(vars(&[("COMPEL_PROMETHEUS_TOKEN", "t"), ("COMPEL_PROMETHEUS_USER", "u")])),
        Some(Auth::Bearer("t".to_string()))
    );
    assert_eq!(
        auth_from_vars(vars(&[("COMPEL_PROMETHEUS_TOKEN", ""), ("COMPEL_PROMETHEUS_USER", "u")])),
        Some(Auth::Basic { user: "u".to_string(), password: String::new() })
    );
    assert_eq!(auth_from_vars(vars(&[("COMPEL_PROMETHEUS_PASSWORD", "p")])), None);
    let debug = format!("{:?}", Auth::Basic { user: "u".into(), password: "secret".into() });
    assert!(!debug.contains("secret"));
    assert!(!format!("{:?}", Auth::Bearer("secret".into())).contains("secret"));
}

#[test]
fn base64_vectors() {
    assert_eq!(base64(b""), "");
    assert_eq!(base64(b"f"), "Zg==");
    assert_eq!(base64(b"fo"), "Zm8=");
    assert_eq!(base64(b"foo"), "Zm9v");
    assert_eq!(base64(b"foob"), "Zm9vYg==");
}
