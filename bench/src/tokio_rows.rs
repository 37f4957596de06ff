//! glasstls-tokio against tokio-rustls: the same scenarios' configurations, one current-thread
//! runtime, one in-memory pipe (`tokio::io::duplex`) between client and server, so that what
//! differs is the adapter and the library under it. Both sides run in the same task pair, so
//! the figures count both sides' work together (a handshake row is pairs per second).

use crate::peers::{self, Pki, Scenario};
use std::future::Future;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

/// The pipe's buffer: a few records, as a socket buffer would hold.
const PIPE: usize = 64 * 1024;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime")
}

/// `n` handshakes (each side's whole work, one pair at a time): (glasstls, rustls) time.
pub fn handshakes(pki: &Pki, s: &Scenario, n: usize) -> Option<(Duration, Duration)> {
    let ((gc, gs), (rc, rs)) = peers::both_configs(pki, s)?;
    let rt = runtime();
    let (connector, acceptor) = (
        glasstls_tokio::TlsConnector::from(gc),
        glasstls_tokio::TlsAcceptor::from(gs),
    );
    let glass = rt.block_on(pairs(
        n,
        |a| connector.connect(localhost(), a),
        |b| acceptor.accept(b),
    ));
    let (connector, acceptor) = (
        tokio_rustls::TlsConnector::from(rc),
        tokio_rustls::TlsAcceptor::from(rs),
    );
    let rust = rt.block_on(pairs(
        n,
        |a| connector.connect(localhost(), a),
        |b| acceptor.accept(b),
    ));
    Some((glass, rust))
}

fn localhost() -> rustls::pki_types::ServerName<'static> {
    "localhost".try_into().expect("name")
}

/// One client and one server over a fresh pipe, both handshakes driven together.
async fn pair<C, S, FC, FS>(
    connect: impl Fn(DuplexStream) -> FC,
    accept: impl Fn(DuplexStream) -> FS,
) -> (C, S)
where
    FC: Future<Output = std::io::Result<C>>,
    FS: Future<Output = std::io::Result<S>>,
{
    let (a, b) = tokio::io::duplex(PIPE);
    let (c, s) = tokio::join!(connect(a), accept(b));
    (c.expect("handshake"), s.expect("handshake"))
}

/// `n` pairs made one after the other, each finished with a byte each way: how long it took.
async fn pairs<C, S, FC, FS>(
    n: usize,
    connect: impl Fn(DuplexStream) -> FC,
    accept: impl Fn(DuplexStream) -> FS,
) -> Duration
where
    C: AsyncReadExt + AsyncWriteExt + Unpin,
    S: AsyncReadExt + AsyncWriteExt + Unpin,
    FC: Future<Output = std::io::Result<C>>,
    FS: Future<Output = std::io::Result<S>>,
{
    let started = Instant::now();
    for _ in 0..n {
        let (mut c, mut s) = pair(&connect, &accept).await;
        finish(&mut c, &mut s).await;
    }
    started.elapsed()
}

/// One byte each way: both libraries have sent and read everything the handshake needs (a
/// TLS 1.3 server's ticket is not sent here: the rows resume nothing).
async fn finish<C, S>(client: &mut C, server: &mut S)
where
    C: AsyncReadExt + AsyncWriteExt + Unpin,
    S: AsyncReadExt + AsyncWriteExt + Unpin,
{
    let mut byte = [0u8; 1];
    client.write_all(b"x").await.expect("write");
    client.flush().await.expect("flush");
    server.read_exact(&mut byte).await.expect("read");
    server.write_all(b"y").await.expect("write");
    server.flush().await.expect("flush");
    client.read_exact(&mut byte).await.expect("read");
}

/// `bytes` client → server in 16 KiB writes over an established connection: (glasstls,
/// rustls) time, both sides together.
pub fn bulk(pki: &Pki, s: &Scenario, bytes: usize) -> Option<(Duration, Duration)> {
    let ((gc, gs), (rc, rs)) = peers::both_configs(pki, s)?;
    let rt = runtime();
    let (connector, acceptor) = (
        glasstls_tokio::TlsConnector::from(gc),
        glasstls_tokio::TlsAcceptor::from(gs),
    );
    let glass = rt.block_on(async {
        let (c, s) = pair(
            |a| connector.connect(localhost(), a),
            |b| acceptor.accept(b),
        )
        .await;
        transfer(c, s, bytes).await
    });
    let (connector, acceptor) = (
        tokio_rustls::TlsConnector::from(rc),
        tokio_rustls::TlsAcceptor::from(rs),
    );
    let rust = rt.block_on(async {
        let (c, s) = pair(
            |a| connector.connect(localhost(), a),
            |b| acceptor.accept(b),
        )
        .await;
        transfer(c, s, bytes).await
    });
    Some((glass, rust))
}

async fn transfer<C, S>(mut client: C, mut server: S, bytes: usize) -> Duration
where
    C: AsyncWriteExt + Unpin,
    S: AsyncReadExt + Unpin,
{
    let chunk = vec![0x5au8; 16 * 1024];
    let started = Instant::now();
    let send = async {
        let mut sent = 0;
        while sent < bytes {
            client.write_all(&chunk).await.expect("write");
            sent += chunk.len();
        }
        client.flush().await.expect("flush");
        client
    };
    let receive = async {
        let mut buf = vec![0u8; 32 * 1024];
        let mut got = 0;
        while got < bytes {
            let n = server.read(&mut buf).await.expect("read");
            assert!(n > 0, "the stream ended early");
            got += n;
        }
    };
    let (_client, ()) = tokio::join!(send, receive);
    started.elapsed()
}
