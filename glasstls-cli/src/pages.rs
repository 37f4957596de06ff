//! What `serve` answers over HTTP (hyper, HTTP/1.1 with keep-alive, or h2 by ALPN): the
//! connection page (`/`, and `/text`), `POST /echo` (the body back), `/selftest` (a page whose
//! script moves 1 MiB through `/echo`), and with `--inspect` the visitor's own ClientHello
//! (`/`, `/json`). Unknown paths are 404, other methods 405, bodies past the bound 413.
//! hyper does the HTTP: `Expect: 100-continue` is answered when the body is first read,
//! chunked bodies are decoded, HEAD gets the headers without the body.

use bytes::Bytes;
use glasstls::{Event, HandshakeInfo};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{ALLOW, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use std::sync::Arc;
use std::time::Duration;

/// The largest body `POST /echo` takes; past it, 413.
pub const MAX_ECHO_BODY: usize = 16 * 1024 * 1024;

/// What one connection's pages are drawn from: its handshake, taken when it completed.
pub struct Site {
    pub info: HandshakeInfo,
    /// `--inspect`: the connection's events and how long its handshake took.
    pub inspect: Option<Inspection>,
    /// The whole of a request body must come within this (a client trickling it holds no
    /// connection for ever).
    pub body_deadline: Duration,
    /// The pages, drawn at the first request for them: a connection's handshake does not
    /// change, and a keep-alive client asks again and again.
    pub drawn: Drawn,
}

/// Pages drawn once per connection, and kept once per content: connections whose pages come
/// out the same (the same client software making the same handshake) share one copy.
#[derive(Default)]
pub struct Drawn {
    text: std::sync::OnceLock<Bytes>,
    html: std::sync::OnceLock<Bytes>,
    selftest: std::sync::OnceLock<Bytes>,
}

/// What `--inspect` shows a connection, rendered only for the path asked for.
pub struct Inspection {
    pub events: Vec<(u64, Event)>,
    pub handshake_us: u128,
    pub lang: crate::explain::Lang,
}

impl Inspection {
    fn report(&self) -> serde_json::Value {
        crate::inspect::report(&self.events, self.handshake_us)
    }

    fn html(&self) -> String {
        crate::html::page_with(
            "glasstls inspect: the handshake your client just made",
            glasstls::Side::Server,
            &self.events,
            self.lang,
            Some(&self.report()),
        )
    }
}

/// The pages drawn so far, by content: a connection keeps a handle (a pointer and a count), not
/// its own copy of the ~2 KiB page. Bounded: past [`MAX_KEPT_PAGES`] distinct pages it starts
/// over (a page in use stays alive through its handles).
static KEPT_PAGES: std::sync::Mutex<Option<std::collections::HashSet<Bytes>>> =
    std::sync::Mutex::new(None);
const MAX_KEPT_PAGES: usize = 1024;

fn kept(page: String) -> Bytes {
    let Ok(mut kept) = KEPT_PAGES.lock() else {
        return page.into();
    };
    let kept = kept.get_or_insert_with(Default::default);
    if let Some(same) = kept.get(page.as_bytes()) {
        return same.clone();
    }
    if kept.len() >= MAX_KEPT_PAGES {
        kept.clear();
    }
    let page = Bytes::from(page);
    kept.insert(page.clone());
    page
}

type Reply = Response<Full<Bytes>>;

fn reply(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Reply {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    if let Ok(value) = content_type.parse() {
        response.headers_mut().insert(CONTENT_TYPE, value);
    }
    response
}

fn text(status: StatusCode, body: &str) -> Reply {
    reply(status, "text/plain; charset=utf-8", format!("{body}\n"))
}

/// Answers one request.
pub async fn answer(site: Arc<Site>, request: Request<Incoming>) -> Result<Reply, hyper::Error> {
    let path = request.uri().path().to_string();
    let method = request.method().clone();
    if path == "/echo" {
        if method != Method::POST {
            let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "POST a body to /echo");
            r.headers_mut()
                .insert(ALLOW, hyper::header::HeaderValue::from_static("POST"));
            return Ok(r);
        }
        // Boxed: hyper keeps room for this function's state in every connection, idle or
        // not, and the body's would make that room ten times what the pages need.
        return Ok(Box::pin(echo(&site, request)).await);
    }
    let page = match (path.as_str(), &site.inspect) {
        ("/json", Some(inspect)) => Some(reply(
            StatusCode::OK,
            "application/json",
            inspect.report().to_string(),
        )),
        ("/", Some(inspect)) => Some(reply(
            StatusCode::OK,
            "text/html; charset=utf-8",
            inspect.html(),
        )),
        ("/text", _) => Some(reply(
            StatusCode::OK,
            "text/plain; charset=utf-8",
            site.drawn
                .text
                .get_or_init(|| kept(describe_text(&site.info)))
                .clone(),
        )),
        ("/selftest", _) => Some(reply(
            StatusCode::OK,
            "text/html; charset=utf-8",
            site.drawn
                .selftest
                .get_or_init(|| {
                    kept(
                        describe_html(&site.info).replace("</body>", &format!("{SELFTEST}</body>")),
                    )
                })
                .clone(),
        )),
        ("/", None) => Some(reply(
            StatusCode::OK,
            "text/html; charset=utf-8",
            site.drawn
                .html
                .get_or_init(|| kept(describe_html(&site.info)))
                .clone(),
        )),
        _ => None,
    };
    Ok(match page {
        None => text(StatusCode::NOT_FOUND, &format!("{path}: no such page here")),
        Some(page) if method == Method::GET || method == Method::HEAD => page,
        Some(_) => {
            let mut r = text(
                StatusCode::METHOD_NOT_ALLOWED,
                "this page answers GET and HEAD",
            );
            r.headers_mut()
                .insert(ALLOW, hyper::header::HeaderValue::from_static("GET, HEAD"));
            r
        }
    })
}

/// `POST /echo`: the body back. A declared length past the bound is refused before a byte of
/// the body is read (so an `Expect: 100-continue` client never sends it); a chunked body is
/// cut off at the bound.
async fn echo(site: &Site, request: Request<Incoming>) -> Reply {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let too_large = || {
        text(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("/echo takes at most {MAX_ECHO_BODY} bytes"),
        )
    };
    if declared.is_some_and(|n| n > MAX_ECHO_BODY as u64) {
        return too_large();
    }
    let body = Limited::new(request.into_body(), MAX_ECHO_BODY);
    match tokio::time::timeout(site.body_deadline, body.collect()).await {
        Err(_) => text(StatusCode::REQUEST_TIMEOUT, "the body took too long"),
        Ok(Err(e))
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            too_large()
        }
        Ok(Err(e)) => text(StatusCode::BAD_REQUEST, &format!("the body: {e}")),
        Ok(Ok(collected)) => reply(
            StatusCode::OK,
            "application/octet-stream",
            collected.to_bytes(),
        ),
    }
}

/// The browser half of the self-test: 1 MiB of known bytes to `/echo` and back, compared.
const SELFTEST: &str = r#"<pre id="echo">echo test running</pre>
<script>
(async () => {
  const n = 1 << 20;
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i++) data[i] = (i * 7 + 3) & 255;
  const response = await fetch('/echo', { method: 'POST', body: data });
  const back = new Uint8Array(await response.arrayBuffer());
  let ok = back.length === n;
  for (let i = 0; ok && i < n; i++) ok = back[i] === data[i];
  document.getElementById('echo').textContent = (ok ? 'ECHO OK ' : 'ECHO BAD ') + back.length;
})().catch(e => { document.getElementById('echo').textContent = 'ECHO ERROR ' + e; });
</script>
"#;

fn rows(info: &HandshakeInfo) -> Vec<(&'static str, String)> {
    let join = |items: Vec<String>| {
        if items.is_empty() {
            "(none)".to_string()
        } else {
            items.join(", ")
        }
    };
    vec![
        (
            "version",
            info.version.map(|v| v.to_string()).unwrap_or_default(),
        ),
        (
            "cipher suite",
            info.cipher_suite.map(|s| s.to_string()).unwrap_or_default(),
        ),
        (
            "key exchange group",
            match (info.group, info.resumed, info.version) {
                (Some(g), Some(_), Some(glasstls::Version::Tls12)) => {
                    format!("{g} (the original handshake's: a resumption makes no new exchange)")
                }
                (Some(g), _, _) => g.to_string(),
                (None, Some(_), _) => "(none: the resumed session's master secret)".into(),
                (None, None, _) => "(none: RSA key exchange)".into(),
            },
        ),
        (
            "signature scheme",
            info.signature_scheme
                .map_or("(none)".into(), |s| s.to_string()),
        ),
        (
            "client certificate",
            match info.peer_certificates.first() {
                Some(cert) => format!(
                    "{} (verified; CertificateVerify {})",
                    glasstls::trace::CertificateSummary::of(cert).subject,
                    info.client_signature_scheme
                        .map_or("(resumed)".into(), |s| s.to_string())
                ),
                None => "(none)".into(),
            },
        ),
        (
            "server name (SNI)",
            info.server_name
                .clone()
                .unwrap_or_else(|| "(none sent)".into()),
        ),
        (
            "encrypted client hello",
            match info.ech {
                glasstls::EchStatus::Accepted => {
                    "accepted: the name above travelled encrypted; the wire showed the public name"
                        .into()
                }
                glasstls::EchStatus::Rejected => {
                    "rejected: handshake for the public name, retry_configs sent".into()
                }
                _ => "not offered".into(),
            },
        ),
        (
            "ALPN",
            info.alpn_protocol
                .as_ref()
                .map_or("(none)".into(), |p| String::from_utf8_lossy(p).into_owned()),
        ),
        (
            "resumed",
            info.resumed
                .map_or("no (full handshake)".into(), |by| format!("yes, by {by}")),
        ),
        (
            "extended master secret",
            match (info.version, info.extended_master_secret) {
                // RFC 8446 §7.1: the TLS 1.3 key schedule binds the transcript by itself.
                (Some(glasstls::Version::Tls13), _) => {
                    "(not in TLS 1.3: its key schedule binds the whole handshake)".into()
                }
                (_, true) => "yes".into(),
                (_, false) => "no".into(),
            },
        ),
        (
            "client offered suites",
            join(
                info.offered_suites
                    .iter()
                    .map(|s| {
                        s.name()
                            .or_else(|| crate::suite_names::name(s.0))
                            .map_or_else(|| s.to_string(), str::to_string)
                    })
                    .collect(),
            ),
        ),
        (
            "client offered groups",
            join(info.offered_groups.iter().map(|g| g.to_string()).collect()),
        ),
        (
            "client offered ALPN",
            join(
                info.offered_alpn
                    .iter()
                    .map(|p| String::from_utf8_lossy(p).into_owned())
                    .collect(),
            ),
        ),
    ]
}

pub fn describe_text(info: &HandshakeInfo) -> String {
    rows(info)
        .into_iter()
        .map(|(k, v)| format!("{k}: {v}\n"))
        .collect()
}

pub fn describe_html(info: &HandshakeInfo) -> String {
    let mut html = String::from(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>glasstls: your handshake</title></head>\n<body><h1>Your TLS handshake with glasstls</h1>\n<table>\n",
    );
    for (key, value) in rows(info) {
        let id = key.replace([' ', '(', ')'], "-");
        html.push_str(&format!(
            "<tr><th>{key}</th><td id=\"{id}\">{}</td></tr>\n",
            escape(&value)
        ));
    }
    html.push_str("</table>\n</body></html>\n");
    html
}

/// The client chooses SNI and ALPN bytes: never put them into HTML unescaped.
fn escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '&' => "&amp;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&#39;".to_string(),
            c => c.to_string(),
        })
        .collect()
}
