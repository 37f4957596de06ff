//! glasstls-tokio under hyper 1.x, against real peers on loopback: the example client
//! (`glasstls-tokio/examples/hyper_client.rs`) → `glasstls serve` and → `openssl s_server`;
//! the example server (`hyper_server.rs`) ← curl over HTTP/1.1 and h2, chosen by ALPN.

mod common;

#[allow(dead_code)]
#[path = "../../glasstls-tokio/examples/hyper_client.rs"]
mod hyper_client;
#[allow(dead_code)]
#[path = "../../glasstls-tokio/examples/hyper_server.rs"]
mod hyper_server;

use common::*;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_client_gets_the_page_of_glasstls_serve() {
    let pki = Pki::new();
    let (_server, addr) = ecdsa_server(&pki, &["--alpn", "http/1.1"]);
    let port: u16 = addr.rsplit_once(':').unwrap().1.parse().unwrap();
    let (status, body) = hyper_client::get("localhost", port, "/text", Some(&pki.path("ca.pem")))
        .await
        .unwrap();
    let page = String::from_utf8_lossy(&body);
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("ALPN: http/1.1") && page.contains("version: TLSv1.3"),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_client_gets_the_page_of_openssl_s_server() {
    let pki = Pki::new();
    let (_server, port) = ecdsa_openssl_server(&pki, &["-www"]);
    let (status, body) = hyper_client::get("localhost", port, "/", Some(&pki.path("ca.pem")))
        .await
        .unwrap();
    let page = String::from_utf8_lossy(&body);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("TLSv1.3"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_talks_http11_and_h2_to_the_hyper_server() {
    let pki = Pki::new();
    let config = hyper_server::config(&pki.path("ecdsa.pem"), &pki.path("ecdsa.key")).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(hyper_server::serve(listener, config));
    for (flag, expected) in [
        ("--http1.1", "HTTP/1.1 over TLSv1.3: /hello"),
        ("--http2", "HTTP/2.0 over TLSv1.3: /hello"),
    ] {
        let mut curl = curl_localhost(&pki, port, "/hello");
        curl.arg(flag);
        let (status, stdout, stderr) = tokio::task::spawn_blocking(move || {
            run_with_input(&mut curl, Vec::new(), Duration::from_secs(30))
        })
        .await
        .unwrap();
        let body = String::from_utf8_lossy(&stdout);
        assert!(status.success(), "{flag}: {stderr}");
        assert_eq!(body.trim(), expected, "{flag}");
    }
}
