//! `TlsStream` as tokio-rustls users expect it: data both ways in both versions, end of
//! stream at close_notify, `UnexpectedEof` when the transport ends without one, TLS 1.3
//! half-close (the peer still answers after our shutdown), a writer faster than its reader
//! held back, and a real peer (`openssl s_server`) over TCP.

use glasstls::{ClientConfig, ServerConfig, Version};
use glasstls_test::pki::Pki;
use glasstls_tokio::{TlsAcceptor, TlsConnector};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

fn configs(pki: &Pki, version: Version) -> (Arc<ClientConfig>, Arc<ServerConfig>) {
    let mut client = pki.client_config();
    client.common.versions = vec![version];
    let mut server = pki.server_config();
    server.common.versions = vec![version];
    (Arc::new(client), Arc::new(server))
}

/// A client and a server stream over an in-memory duplex pipe of `capacity` bytes.
async fn pair(
    pki: &Pki,
    version: Version,
    capacity: usize,
) -> (
    glasstls_tokio::TlsStream<DuplexStream>,
    glasstls_tokio::TlsStream<DuplexStream>,
) {
    let (client, server) = configs(pki, version);
    let (a, b) = tokio::io::duplex(capacity);
    let accept = tokio::spawn(async move { TlsAcceptor::from(server).accept(b).await });
    let client = TlsConnector::from(client)
        .connect("localhost".try_into().unwrap(), a)
        .await
        .expect("the client handshake");
    let server = accept.await.unwrap().expect("the server handshake");
    (client, server)
}

const VERSIONS: [Version; 2] = [Version::Tls12, Version::Tls13];

#[tokio::test]
async fn data_flows_both_ways_and_close_notify_ends_the_stream() {
    let pki = Pki::new();
    for version in VERSIONS {
        let (mut client, mut server) = pair(&pki, version, 64 * 1024).await;
        assert_eq!(client.conn().info().version, Some(version));
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let expected = data.clone();
        let reader = tokio::spawn(async move {
            let mut got = vec![0u8; expected.len()];
            server.read_exact(&mut got).await.unwrap();
            assert!(got == expected, "{version:?}: the data changed on the way");
            server.write_all(b"thanks").await.unwrap();
            server.shutdown().await.unwrap();
            // After our close_notify the peer's arrives: end of stream.
            let mut rest = Vec::new();
            server.read_to_end(&mut rest).await.unwrap();
            assert!(rest.is_empty());
        });
        client.write_all(&data).await.unwrap();
        client.flush().await.unwrap();
        let mut reply = Vec::new();
        client.read_to_end(&mut reply).await.unwrap();
        assert_eq!(reply, b"thanks", "{version:?}");
        assert!(client.conn().peer_has_closed());
        client.shutdown().await.unwrap();
        reader.await.unwrap();
    }
}

/// RFC 8446 §6.1: in TLS 1.3 close_notify closes one direction; the server reads the whole
/// request to its end and still answers.
#[tokio::test]
async fn fill_buf_lends_the_plaintext_where_it_lies_and_is_empty_at_close_notify() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let pki = Pki::new();
    for version in [Version::Tls12, Version::Tls13] {
        let (mut client, mut server) = pair(&pki, version, 64 * 1024).await;
        client.write_all(b"first request").await.unwrap();
        client.flush().await.unwrap();
        // Waits for the record, then lends its plaintext; nothing is taken until consumed.
        assert_eq!(server.fill_buf().await.unwrap(), b"first request");
        assert_eq!(server.fill_buf().await.unwrap(), b"first request");
        server.consume(6);
        assert_eq!(server.fill_buf().await.unwrap(), b"request");
        server.consume(7);
        client.shutdown().await.unwrap();
        assert!(
            server.fill_buf().await.unwrap().is_empty(),
            "{version:?}: close_notify"
        );
    }
}

#[tokio::test]
async fn tls13_half_close_lets_the_peer_answer() {
    let pki = Pki::new();
    let (mut client, mut server) = pair(&pki, Version::Tls13, 64 * 1024).await;
    let server = tokio::spawn(async move {
        let mut request = Vec::new();
        server.read_to_end(&mut request).await.unwrap();
        server.write_all(&request.repeat(2)).await.unwrap();
        server.shutdown().await.unwrap();
    });
    client.write_all(b"request").await.unwrap();
    client.shutdown().await.unwrap();
    let mut reply = Vec::new();
    client.read_to_end(&mut reply).await.unwrap();
    assert_eq!(reply, b"requestrequest");
    server.await.unwrap();
}

/// The transport ending without close_notify is not a clean end: tokio-rustls reports
/// `UnexpectedEof`, and so do we (a truncation attack looks like this).
#[tokio::test]
async fn a_transport_that_ends_without_close_notify_is_unexpected_eof() {
    let pki = Pki::new();
    let (mut client, server) = pair(&pki, Version::Tls13, 64 * 1024).await;
    drop(server);
    let mut buf = [0u8; 16];
    let err = client.read(&mut buf).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof, "{err}");
}

/// A writer on a slow path: writes wait for the transport rather than queueing without bound,
/// and everything arrives.
#[tokio::test]
async fn a_fast_writer_waits_for_a_slow_reader() {
    let pki = Pki::new();
    let (mut client, mut server) = pair(&pki, Version::Tls13, 4096).await;
    let total = 4 << 20;
    let writer = tokio::spawn(async move {
        let chunk = vec![7u8; 64 * 1024];
        let mut sent = 0;
        while sent < total {
            client.write_all(&chunk).await.unwrap();
            sent += chunk.len();
            // What the connection holds for the transport stays bounded.
            assert!(client.conn().outgoing_tls().len() < 256 * 1024);
        }
        client.shutdown().await.unwrap();
    });
    let mut got = 0usize;
    let mut buf = vec![0u8; 1000];
    loop {
        tokio::time::sleep(Duration::from_micros(50)).await;
        let n = server.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        got += n;
    }
    assert_eq!(got, total);
    writer.await.unwrap();
}

/// An echo that writes without flushing and goes back to reading: the records the transport
/// could not take at the write leave once it can, though the reader is waiting on the peer
/// (which sends nothing more until it has its echo). This is the AsyncWrite contract's slack
/// (a write may hold bytes until a flush) made safe for the loop every echo server writes.
#[tokio::test]
async fn records_queued_at_a_write_leave_while_the_stream_waits_to_read() {
    let pki = Pki::new();
    for version in VERSIONS {
        let (mut client, mut server) = pair(&pki, version, 4096).await;
        let echo = tokio::spawn(async move {
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                let n = server.read(&mut buf).await.unwrap();
                if n == 0 {
                    return;
                }
                server.write_all(&buf[..n]).await.unwrap();
            }
        });
        let data: Vec<u8> = (0..64 * 1024u32).map(|i| (i % 249) as u8).collect();
        let (mut read_half, mut write_half) = tokio::io::split(client);
        let to_send = data.clone();
        let writer = tokio::spawn(async move {
            write_half.write_all(&to_send).await.unwrap();
            write_half.flush().await.unwrap();
            write_half
        });
        let mut got = vec![0u8; data.len()];
        tokio::time::timeout(Duration::from_secs(10), read_half.read_exact(&mut got))
            .await
            .unwrap_or_else(|_| panic!("{version:?}: the echo stalled"))
            .unwrap();
        assert!(got == data, "{version:?}: the echo differs");
        client = read_half.unsplit(writer.await.unwrap());
        client.shutdown().await.unwrap();
        echo.await.unwrap();
    }
}

/// A real peer over TCP: `openssl s_server -www` answers an HTTP request on our client.
#[tokio::test]
async fn the_client_talks_to_openssl_s_server() {
    let pki = Pki::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = tokio::process::Command::new("openssl")
        .args([
            "s_server",
            "-accept",
            &port.to_string(),
            "-www",
            "-naccept",
            "1",
        ])
        .args([
            "-cert",
            &pki.path("ecdsa.pem"),
            "-key",
            &pki.path("ecdsa.key"),
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the openssl binary must be installed");
    let tcp = loop {
        match tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            Ok(tcp) => break tcp,
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    };
    let (client, _) = configs(&pki, Version::Tls13);
    let mut tls = TlsConnector::from(client)
        .connect("localhost".try_into().unwrap(), tcp)
        .await
        .unwrap();
    tls.write_all(b"GET / HTTP/1.0\r\n\r\n").await.unwrap();
    let mut page = Vec::new();
    // s_server -www closes the TCP connection after its page, with or without close_notify.
    let _ = tls.read_to_end(&mut page).await;
    let page = String::from_utf8_lossy(&page);
    assert!(page.starts_with("HTTP/1.0 200"), "{page}");
    assert!(page.contains("TLSv1.3"), "{page}");
    let _ = server.kill().await;
}
