//! An HTTPS server on hyper 1.x and glasstls-tokio, HTTP/1.1 and h2 by ALPN:
//!
//! ```text
//! cargo run -p glasstls-tokio --example hyper_server -- 127.0.0.1:8443 cert.pem key.pem
//! curl --cacert ca.pem https://localhost:8443/
//! ```
#![forbid(unsafe_code)]

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::sync::Arc;

/// Serves every connection `listener` accepts: the TLS handshake, then HTTP/1.1 or h2 as
/// ALPN chose, answering each request with a line naming the protocol, the TLS version and
/// the path.
pub async fn serve(listener: tokio::net::TcpListener, config: Arc<glasstls::ServerConfig>) {
    let acceptor = glasstls_tokio::TlsAcceptor::from(config);
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let h2 = tls.conn().info().alpn_protocol.as_deref() == Some(b"h2");
            let version = tls
                .conn()
                .info()
                .version
                .map(|v| v.to_string())
                .unwrap_or_default();
            let answer = move |request: Request<Incoming>| {
                let body = format!(
                    "{:?} over {version}: {}\n",
                    request.version(),
                    request.uri().path()
                );
                async move {
                    Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from(body))))
                }
            };
            let service = hyper::service::service_fn(answer);
            let io = TokioIo::new(tls);
            let _ = if h2 {
                hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                    .serve_connection(io, service)
                    .await
            } else {
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await
            };
        });
    }
}

/// The server's config: one identity from PEM files, ALPN h2 then http/1.1.
pub fn config(cert: &str, key: &str) -> Result<Arc<glasstls::ServerConfig>, glasstls::Error> {
    let identity = glasstls::Identity::from_pem_files(cert, key)?;
    let mut config = glasstls::ServerConfig::new(vec![identity]);
    config.common.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[allow(dead_code)] // also included by the tests, which have their own main
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, cert, key] = args.as_slice() else {
        return Err("usage: hyper_server ADDR CERT.pem KEY.pem".into());
    };
    let listener = tokio::net::TcpListener::bind(addr).await?;
    eprintln!("listening on {}", listener.local_addr()?);
    serve(listener, config(cert, key)?).await;
    Ok(())
}
