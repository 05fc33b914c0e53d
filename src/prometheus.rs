//! The host-side client for a live Prometheus server (its HTTP API).
//!
//! This is the one I/O adapter of evaluation: it fetches raw samples and
//! hands them to the pure core as [`Series`]. The core never reaches the
//! network; whoever runs `compel` chooses the server (`--prometheus URL`).
//!
//! **What is asked.** For each [`Query`], one instant query of a range
//! selector evaluated at `now`:
//! `GET BASE/api/v1/query?query=EXPR[Ns]&time=NOW`, where `N` is the
//! query's `lookback_secs` plus one second (Prometheus 3 range selectors
//! leave out their start, compel windows include it). That returns the raw
//! samples of every matching series, not values resampled by Prometheus'
//! five-minute instant lookback. An expression that is not a plain selector
//! (it calls functions or uses operators) is fetched as a subquery
//! `(EXPR)[Ns:RES]`, evaluated every [`Query::resolution_ms`] (a `query`
//! KPI's `resolution`; [`PrometheusClient::subquery_step_secs`] when unset)
//! at times aligned to multiples of the resolution.
//!
//! **Subquery points are dated conservatively.** Each step of a subquery
//! evaluates the expression with Prometheus' lookback
//! ([`LOOKBACK_SECS`], five minutes): the point at step `t` may carry a
//! sample from as early as `t - 5m`. compel dates every point at `t - 5m`,
//! the oldest its data may be, so a query never looks fresher than the
//! samples behind it: a sample 10 minutes old is stale under `max_age 6m`
//! from Prometheus as from a file, although the subquery repeats it up to
//! five minutes later. (This is why a `query` KPI's `max_age` must be at
//! least its `resolution` plus the lookback, E0514: a series scraped
//! without pause then always has a point that young.) Range functions
//! inside the expression (`max_over_time(x[1h])`) reach further back than
//! the lookback; their own range is the expression's business.
//!
//! **Results.** Timestamps are kept exactly (Prometheus' milliseconds); values `NaN`,
//! `+Inf` and `-Inf` are kept. A result's `__name__` label becomes the series'
//! metric; a result without one (a subquery over functions) is named by the
//! query's expression.
//!
//! **Answers compel does not decide on.** A native-histogram sample (a
//! series' `histograms`, even beside float `values`) and an answer with
//! `warnings` (Prometheus says the result may be partial, e.g. a remote
//! store did not answer) fail the query with the server's words, so the
//! KPIs reading it are `unknown`; informational notes (`infos`) do not.
//!
//! **Failures.** Each query succeeds or fails on its own, with a message in
//! plain words. Queries run concurrently ([`PrometheusClient::concurrency`]
//! at a time), each attempt bounded by [`PrometheusClient::timeout`]. A
//! timeout, a dropped connection, HTTP 429 or a 5xx answer is retried up to
//! [`PrometheusClient::max_retries`] times, waiting
//! [`PrometheusClient::backoff`] and then twice as long; a refused
//! connection, an unknown host or any other answer is not.
//!
//! **Transport.** Plain `http://` only: this build has no TLS. To reach an
//! `https://` server, put a local plain-HTTP reverse proxy or an SSH tunnel
//! in front of it. Credentials (see [`auth_from_env`]) travel in the
//! `Authorization` header, so keep them on loopback or a trusted network.

use std::fmt;
use std::io::Read;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use crate::eval::metrics::{Series, NANOS};

mod answer;
mod selector;

use answer::{date_points_conservatively, error_detail, parse_answer, Bad};
pub use selector::is_plain_selector;
use selector::plain_selector;

/// How long one attempt of one query may take by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// How many times a transient failure is retried by default.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// The wait before the first retry by default (doubled for each next one).
pub const DEFAULT_BACKOFF: Duration = Duration::from_millis(250);
/// Prometheus' default lookback (`--query.lookback-delta`), in seconds: an
/// instant evaluation at `t` sees the latest sample at or after `t - 5m`
/// (the checker's [`crate::check::schema::PROMETHEUS_LOOKBACK_SECS`]).
pub const LOOKBACK_SECS: i64 = crate::check::schema::PROMETHEUS_LOOKBACK_SECS;
/// How many queries run at once by default.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// The evaluation step of subqueries by default, in seconds.
pub const DEFAULT_SUBQUERY_STEP_SECS: i64 = 60;
/// The most bytes read from the server by default, all answers of one
/// [`PrometheusClient::fetch_range`] together (`compel eval
/// --max-metrics-bytes`).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 256 * 1024 * 1024;
/// The most samples one series of an answer may hold by default (`compel
/// eval --max-samples`).
pub const DEFAULT_MAX_SAMPLES: usize = 1_000_000;

/// Credentials for a Prometheus behind authentication.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Bearer TOKEN`.
    Bearer(String),
    /// HTTP basic authentication.
    Basic {
        /// The user name.
        user: String,
        /// The password.
        password: String,
    },
}

impl Auth {
    /// The value of the `Authorization` header.
    pub fn header_value(&self) -> String {
        match self {
            Auth::Bearer(token) => format!("Bearer {token}"),
            Auth::Basic { user, password } => {
                format!("Basic {}", base64(format!("{user}:{password}").as_bytes()))
            }
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Bearer(_) => f.write_str("Bearer(<redacted>)"),
            Auth::Basic { user, .. } => {
                write!(f, "Basic {{ user: {user:?}, password: <redacted> }}")
            }
        }
    }
}

/// Credentials from the environment: `COMPEL_PROMETHEUS_TOKEN` (a bearer
/// token) or else `COMPEL_PROMETHEUS_USER` with `COMPEL_PROMETHEUS_PASSWORD`
/// (basic authentication; the password may be unset). Empty variables count
/// as unset.
pub fn auth_from_env() -> Option<Auth> {
    auth_from_vars(|name| std::env::var(name).ok())
}

/// [`auth_from_env`] over any variable lookup.
pub fn auth_from_vars(var: impl Fn(&str) -> Option<String>) -> Option<Auth> {
    let get = |name: &str| var(name).filter(|v| !v.is_empty());
    if let Some(token) = get("COMPEL_PROMETHEUS_TOKEN") {
        return Some(Auth::Bearer(token));
    }
    let user = get("COMPEL_PROMETHEUS_USER")?;
    let password = get("COMPEL_PROMETHEUS_PASSWORD").unwrap_or_default();
    Some(Auth::Basic { user, password })
}

/// One thing to fetch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    /// A selector such as `metric{k="v"}`, or any PromQL expression
    /// returning an instant vector.
    pub expr: String,
    /// How far back from `now` to fetch samples, in seconds.
    pub lookback_secs: i64,
    /// The step of the subquery of an expression that is not a plain
    /// selector, in milliseconds (a `query` KPI's `resolution`); `None`
    /// takes [`PrometheusClient::subquery_step_secs`].
    pub resolution_ms: Option<i64>,
}

/// A client for one Prometheus server.
#[derive(Clone, Debug)]
pub struct PrometheusClient {
    /// `http://host:port`, possibly with a path prefix, without a final `/`.
    pub base_url: String,
    /// The bound on one attempt of one query (connect, send, answer).
    pub timeout: Duration,
    /// Credentials, if the server needs them.
    pub auth: Option<Auth>,
    /// Retries of a transient failure.
    pub max_retries: u32,
    /// The wait before the first retry; doubled for each next one.
    pub backoff: Duration,
    /// How many queries run at once.
    pub concurrency: usize,
    /// The step of subqueries for expressions that are not plain
    /// selectors, in seconds.
    pub subquery_step_secs: i64,
    /// The most bytes read, all answers of one fetch together; past it a
    /// query fails with a message naming the limit.
    pub max_response_bytes: u64,
    /// The most samples in one series of an answer; past it the query fails
    /// with a message naming the limit.
    pub max_samples: usize,
}

impl PrometheusClient {
    /// A client with the default settings. `base_url` is `http://HOST:PORT`
    /// with an optional path prefix (`http://gw/prometheus`); a URL without
    /// a scheme gets `http://`. `https://` is refused (no TLS in this build).
    pub fn new(base_url: &str) -> Result<PrometheusClient, String> {
        let url = base_url.trim();
        let url = if url.contains("://") { url.to_string() } else { format!("http://{url}") };
        let (scheme, rest) = url.split_once("://").unwrap_or(("", &url));
        match scheme.to_ascii_lowercase().as_str() {
            "http" => {}
            "https" => {
                return Err(format!(
                    "cannot reach prometheus at {url}: https is not supported by this build of compel; \
                     put a plain-http reverse proxy or an SSH tunnel on this machine in front of it"
                ))
            }
            other => return Err(format!("cannot reach prometheus at {url}: the scheme `{other}` is not http")),
        }
        let host = rest.split('/').next().unwrap_or("");
        if host.is_empty() || rest.contains(['?', '#']) || rest.contains(char::is_whitespace) {
            return Err(format!("`{base_url}` is not a prometheus URL such as http://127.0.0.1:9090"));
        }
        Ok(PrometheusClient {
            base_url: format!("http://{}", rest.trim_end_matches('/')),
            timeout: DEFAULT_TIMEOUT,
            auth: None,
            max_retries: DEFAULT_MAX_RETRIES,
            backoff: DEFAULT_BACKOFF,
            concurrency: DEFAULT_CONCURRENCY,
            subquery_step_secs: DEFAULT_SUBQUERY_STEP_SECS,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            max_samples: DEFAULT_MAX_SAMPLES,
        })
    }

    /// The same client with other bounds on what it reads: bytes over all
    /// answers of one fetch, and samples per series.
    pub fn with_limits(mut self, max_response_bytes: u64, max_samples: usize) -> PrometheusClient {
        self.max_response_bytes = max_response_bytes;
        self.max_samples = max_samples;
        self
    }

    /// The same client with another per-attempt timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> PrometheusClient {
        self.timeout = timeout;
        self
    }

    /// The same client with credentials.
    pub fn with_auth(mut self, auth: Option<Auth>) -> PrometheusClient {
        self.auth = auth;
        self
    }

    /// The PromQL sent for `query`: `EXPR[Ns]` for a plain selector,
    /// `(EXPR)[Ns:RES]` otherwise, with `N = lookback_secs + 1` and `RES`
    /// the query's resolution (`60s`, `500ms`).
    pub fn promql(&self, query: &Query) -> String {
        let range = query.lookback_secs.max(0).saturating_add(1);
        let expr = query.expr.trim();
        match plain_selector(expr) {
            Some(selector) => format!("{selector}[{range}s]"),
            None => {
                let ms = query.resolution_ms.unwrap_or(self.subquery_step_secs.saturating_mul(1000)).max(1);
                let step = if ms % 1000 == 0 { format!("{}s", ms / 1000) } else { format!("{ms}ms") };
                format!("({expr})[{range}s:{step}]")
            }
        }
    }

    /// Fetches every query at `now`, concurrently; one result per query, in
    /// the order of `queries`.
    pub fn fetch_range(&self, queries: &[Query], now: i64) -> Vec<Result<Vec<Series>, String>> {
        let agent = self.agent();
        let workers = self.concurrency.max(1).min(queries.len());
        let next = AtomicUsize::new(0);
        let read = AtomicU64::new(0);
        let mut results: Vec<Option<Result<Vec<Series>, String>>> = vec![None; queries.len()];
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    scope.spawn(|| {
                        let mut done = Vec::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(query) = queries.get(i) else { break };
                            done.push((i, self.fetch_with(&agent, query, now, &read)));
                        }
                        done
                    })
                })
                .collect();
            for handle in handles {
                if let Ok(done) = handle.join() {
                    for (i, result) in done {
                        results[i] = Some(result);
                    }
                }
            }
        });
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err("internal error: a prometheus query worker stopped".to_string())))
            .collect()
    }

    /// Fetches one query at `now` (with retries).
    pub fn fetch(&self, query: &Query, now: i64) -> Result<Vec<Series>, String> {
        self.fetch_with(&self.agent(), query, now, &AtomicU64::new(0))
    }

    fn agent(&self) -> ureq::Agent {
        ureq::AgentBuilder::new()
            .timeout(self.timeout)
            .user_agent(concat!("compel/", env!("CARGO_PKG_VERSION")))
            .build()
    }

    fn fetch_with(
        &self,
        agent: &ureq::Agent,
        query: &Query,
        now: i64,
        read: &AtomicU64,
    ) -> Result<Vec<Series>, String> {
        let promql = self.promql(query);
        let subquery = !is_plain_selector(&query.expr);
        let mut wait = self.backoff;
        let mut attempt = 0;
        loop {
            match self.attempt(agent, &promql, now, query.expr.trim(), read) {
                Ok(mut series) => {
                    if subquery {
                        date_points_conservatively(&mut series);
                    }
                    return Ok(series);
                }
                Err(failure) if failure.transient && attempt < self.max_retries => {
                    attempt += 1;
                    std::thread::sleep(wait);
                    wait = wait.saturating_mul(2);
                }
                Err(failure) if failure.transient && attempt > 0 => {
                    return Err(format!("{} (after {} attempts)", failure.message, attempt + 1))
                }
                Err(failure) => return Err(failure.message),
            }
        }
    }

    fn attempt(
        &self,
        agent: &ureq::Agent,
        promql: &str,
        now: i64,
        expr: &str,
        read: &AtomicU64,
    ) -> Result<Vec<Series>, Failure> {
        let url = format!("{}/api/v1/query", self.base_url);
        let mut request = agent.get(&url).query("query", promql).query("time", &api_time(now));
        if let Some(auth) = &self.auth {
            request = request.set("Authorization", &auth.header_value());
        }
        match request.call() {
            Ok(response) => {
                let body = self.read_body(response, read)?;
                parse_answer(&body, expr, self.max_samples).map_err(|bad| Failure {
                    message: match bad {
                        Bad::Malformed(why) => {
                            format!("prometheus at {} sent a malformed answer to `{promql}`: {why}", self.base_url)
                        }
                        Bad::TooLarge(why) => format!(
                            "prometheus at {} answered `{promql}` with {why}; ask for a shorter window \
                             or raise the limit (`--max-samples`)",
                            self.base_url
                        ),
                        Bad::Undecidable(why) => format!("prometheus at {} answered `{promql}` {why}", self.base_url),
                    },
                    transient: false,
                })
            }
            Err(ureq::Error::Status(code, response)) => {
                let body = self.read_body(response, read).unwrap_or_default();
                Err(self.status_failure(code, &body, promql))
            }
            Err(ureq::Error::Transport(transport)) => Err(self.transport_failure(&transport)),
        }
    }

    /// Reads an answer, counting its bytes into `read` (shared by every
    /// query of one fetch) so all answers together stay within
    /// [`PrometheusClient::max_response_bytes`].
    fn read_body(&self, response: ureq::Response, read: &AtomicU64) -> Result<Vec<u8>, Failure> {
        let mut body = Vec::new();
        let mut reader = response.into_reader();
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            let n = match reader.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.io_failure(&e)),
            };
            let total = read.fetch_add(n as u64, Ordering::Relaxed).saturating_add(n as u64);
            if total > self.max_response_bytes {
                return Err(Failure {
                    message: format!(
                        "prometheus at {} sent more than {} bytes in all; ask for shorter windows or raise the limit \
                         (`--max-metrics-bytes`)",
                        self.base_url, self.max_response_bytes
                    ),
                    transient: false,
                });
            }
            body.extend_from_slice(&chunk[..n]);
        }
        Ok(body)
    }

    fn status_failure(&self, code: u16, body: &[u8], promql: &str) -> Failure {
        let base = &self.base_url;
        let detail = error_detail(body);
        let message = match code {
            401 | 403 => format!(
                "prometheus at {base} refused access (HTTP {code}){detail}; \
                 set COMPEL_PROMETHEUS_TOKEN, or COMPEL_PROMETHEUS_USER and COMPEL_PROMETHEUS_PASSWORD"
            ),
            404 => format!("prometheus at {base} has no query API at {base}/api/v1/query (HTTP 404); check the URL"),
            400..=499 => format!("prometheus at {base} rejected the query `{promql}` (HTTP {code}){detail}"),
            _ => format!("prometheus at {base} failed on the query `{promql}` (HTTP {code}){detail}"),
        };
        Failure { message, transient: code == 429 || code >= 500 }
    }

    fn transport_failure(&self, transport: &ureq::Transport) -> Failure {
        let base = &self.base_url;
        if let Some(io) = io_source(transport) {
            return self.io_failure(io);
        }
        let message = match transport.kind() {
            ureq::ErrorKind::Dns => {
                format!("prometheus at {base} is unreachable: its host name does not resolve")
            }
            ureq::ErrorKind::BadStatus | ureq::ErrorKind::BadHeader => {
                format!("prometheus at {base} did not answer in HTTP; is it a Prometheus server?")
            }
            _ => format!("prometheus at {base} is unreachable: {}", lowercase_first(&transport.to_string())),
        };
        Failure { message, transient: false }
    }

    fn io_failure(&self, error: &std::io::Error) -> Failure {
        use std::io::ErrorKind as K;
        let base = &self.base_url;
        let seconds = self.timeout.as_secs_f64();
        match error.kind() {
            K::ConnectionRefused => Failure {
                message: format!("prometheus at {base} is unreachable: connection refused"),
                transient: false,
            },
            K::TimedOut | K::WouldBlock => {
                Failure { message: format!("prometheus at {base} did not answer within {seconds}s"), transient: true }
            }
            K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
                Failure { message: format!("prometheus at {base} dropped the connection"), transient: true }
            }
            _ => Failure {
                message: format!("prometheus at {base} is unreachable: {}", lowercase_first(&error.to_string())),
                transient: false,
            },
        }
    }
}

/// A failed attempt, and whether trying again may help.
struct Failure {
    message: String,
    transient: bool,
}

/// The `std::io::Error` behind a transport error, if any.
fn io_source(transport: &ureq::Transport) -> Option<&std::io::Error> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(transport);
    while let Some(error) = source {
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        source = error.source();
    }
    None
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Unix nanoseconds as the API's decimal seconds (`1795478400.25`).
pub fn api_time(nanos: i64) -> String {
    let (secs, frac) = (nanos.div_euclid(NANOS), nanos.rem_euclid(NANOS));
    if frac == 0 {
        secs.to_string()
    } else {
        let digits = format!("{frac:09}");
        format!("{secs}.{}", digits.trim_end_matches('0'))
    }
}

/// Standard base64 with padding (for basic authentication).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (k, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if k <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> shift & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
