//! An HTTPS client on hyper 1.x and glasstls-tokio: GET one URL, print the body.
//!
//! ```text
//! cargo run -p glasstls-tokio --example hyper_client -- localhost 8443 / ca.pem
//! ```
#![forbid(unsafe_code)]

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use std::sync::Arc;

/// GETs `path` from `host:port` over HTTP/1.1 on TLS (roots from `cafile`, or the system's);
/// returns the status and the body.
pub async fn get(
    host: &str,
    port: u16,
    path: &str,
    cafile: Option<&str>,
) -> Result<(u16, Vec<u8>), Box<dyn std::error::Error + Send + Sync>> {
    let roots = match cafile {
        Some(path) => glasstls::RootStore::from_pem_file(path)?,
        None => glasstls::RootStore::system()?,
    };
    let mut config = glasstls::ClientConfig::new(roots);
    config.common.alpn_protocols = vec![b"http/1.1".to_vec()];
    let tcp = tokio::net::TcpStream::connect((host, port)).await?;
    let name = glasstls::ServerName::try_from(host.to_string())?;
    let tls = glasstls_tokio::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;
    tokio::spawn(connection);
    let request = hyper::Request::get(path)
        .header(hyper::header::HOST, host)
        .body(Empty::<Bytes>::new())?;
    let response = sender.send_request(request).await?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await?.to_bytes().to_vec();
    Ok((status, body))
}

#[allow(dead_code)] // also included by the tests, which have their own main
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (host, port, path) = match args.as_slice() {
        [host, port, path, ..] => (host.as_str(), port.parse()?, path.as_str()),
        _ => return Err("usage: hyper_client HOST PORT PATH [CAFILE]".into()),
    };
    let (status, body) = get(host, port, path, args.get(3).map(String::as_str)).await?;
    eprintln!("status {status}");
    std::io::Write::write_all(&mut std::io::stdout(), &body)?;
    Ok(())
}
