//! `glasstls serve` under clients that try to hold it: one that trickles its handshake a byte
//! at a time, one that goes quiet in the middle of its HTTP request, and more connections than
//! the server takes. Each must lose its connection without costing anyone else theirs.

mod common;

use common::*;
use glasstls::Stream;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A glasstls client for `localhost` over a new TCP connection to `addr`.
fn client_stream(pki: &Pki, addr: &str) -> std::io::Result<Stream<TcpStream>> {
    tls_client(Arc::new(client_config(pki)), addr)
}

/// A real client fetches `/text` over TLS; the page it gets back.
fn try_fetch_text(pki: &Pki, addr: &str) -> std::io::Result<String> {
    let mut tls = client_stream(pki, addr)?;
    tls.write_all(b"GET /text HTTP/1.0\r\n\r\n")?;
    let mut page = Vec::new();
    tls.read_to_end(&mut page)?;
    Ok(String::from_utf8_lossy(&page).into_owned())
}

fn fetch_text(pki: &Pki, addr: &str) -> String {
    try_fetch_text(pki, addr).unwrap()
}

/// Whether the server has closed `tcp` within `wait`; bytes it sends first (tickets, alerts)
/// are skipped.
fn closed_by_server(tcp: &mut TcpStream, wait: Duration) -> bool {
    let deadline = Instant::now() + wait;
    let mut buf = [0u8; 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        tcp.set_read_timeout(Some(left)).unwrap();
        match tcp.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) => return !matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        }
    }
}

fn serve(pki: &Pki, extra: &[&str]) -> (Peer, String) {
    let mut args = vec![
        "--cert".to_string(),
        pki.path("ecdsa.pem"),
        "--key".to_string(),
        pki.path("ecdsa.key"),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    glasstls_server(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn a_client_trickling_its_handshake_is_cut_off_at_the_handshake_deadline() {
    let pki = Pki::new();
    let (server, addr) = serve(&pki, &["--handshake-timeout", "1"]);
    let mut slow = TcpStream::connect(&addr).unwrap();
    // A handshake record that announces 512 bytes, then one byte every 100 ms: every read
    // succeeds well inside any per-read timeout, so only a deadline on the whole handshake
    // stops it.
    let start = Instant::now();
    slow.write_all(&[22, 3, 1, 2, 0]).unwrap();
    let mut cut_off = None;
    for _ in 0..100 {
        if slow.write_all(&[0]).is_err() || closed_by_server(&mut slow, Duration::from_millis(100))
        {
            cut_off = Some(start.elapsed());
            break;
        }
    }
    let cut_off = cut_off.expect("the server still held a trickling handshake after 10 s");
    assert!(
        cut_off >= Duration::from_millis(900) && cut_off < Duration::from_secs(5),
        "cut off after {cut_off:?}, expected about 1 s"
    );
    let log = server.stderr_when(|s| s.contains("took too long"));
    assert!(
        log.contains("handshake failed: the handshake took too long"),
        "{log}"
    );
    // The server goes on serving.
    let page = fetch_text(&pki, &addr);
    assert!(page.contains("version: TLSv1.3"), "{page}");
}

#[test]
fn a_client_quiet_after_its_handshake_is_cut_off_at_the_idle_timeout() {
    let pki = Pki::new();
    let (server, addr) = serve(&pki, &["--idle-timeout", "1"]);
    let mut tls = client_stream(&pki, &addr).unwrap();
    tls.handshake().unwrap();
    // Half a request head, then silence.
    tls.write_all(b"GET /text HTTP/1.1\r\n").unwrap();
    tls.flush().unwrap();
    let (_, mut tcp) = tls.into_inner();
    let start = Instant::now();
    assert!(
        closed_by_server(&mut tcp, Duration::from_secs(10)),
        "the server kept a silent client for 10 s: {}",
        server.stderr()
    );
    let after = start.elapsed();
    assert!(after < Duration::from_secs(5), "cut off after {after:?}");
    let log = server.stderr_when(|s| s.contains("idle too long"));
    assert!(log.contains("the peer was idle too long"), "{log}");
}

#[test]
fn connections_past_the_bound_are_refused_with_an_alert_and_the_slot_comes_back() {
    let pki = Pki::new();
    let (server, addr) = serve(&pki, &["--max-connections", "2"]);
    // Two connections that say nothing hold both slots (until the 30 s handshake deadline);
    // of three, one is refused. Which one is the kernel's choice: each worker thread accepts
    // on a socket of its own, so the order they are accepted in need not be the order they
    // were made in.
    let mut conns: Vec<TcpStream> = (0..3).map(|_| TcpStream::connect(&addr).unwrap()).collect();
    let mut refused = Vec::new();
    for (i, tcp) in conns.iter_mut().enumerate() {
        tcp.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let mut got = Vec::new();
        let _ = tcp.read_to_end(&mut got);
        if !got.is_empty() {
            assert_eq!(
                plaintext_alerts(&got),
                vec![(2, 80)],
                "a refused connection gets a fatal internal_error alert, got {got:?}"
            );
            refused.push(i);
        }
    }
    assert_eq!(
        refused.len(),
        1,
        "exactly one of three refused: {refused:?}"
    );
    let log = server.stderr_when(|s| s.contains("refused"));
    assert!(
        log.contains("refused: 2 connections already open (--max-connections)"),
        "{log}"
    );
    // Closing one that holds a slot frees it (once the server has seen the EOF): a real
    // client is served again.
    let held = (0..3).find(|i| !refused.contains(i)).unwrap();
    drop(conns.remove(held));
    let deadline = Instant::now() + Duration::from_secs(10);
    let page = loop {
        match try_fetch_text(&pki, &addr) {
            Ok(page) => break page,
            Err(e) => assert!(
                Instant::now() < deadline,
                "no client was served after a slot was freed: {e}"
            ),
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(page.contains("version: TLSv1.3"), "{page}");
}

/// The client side: `connect --timeout` gives up on a server that accepts and never answers,
/// with a one-line reason, instead of waiting forever.
#[test]
fn connect_gives_up_on_a_silent_server_at_its_timeout() {
    let pki = Pki::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let silent = std::thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        // Silent for longer than the timeout: a close would end the client another way.
        std::thread::sleep(Duration::from_secs(2));
        drop(tcp);
    });
    let mut cmd = glasstls_connect(&pki, port);
    cmd.args(["--timeout", "0.5"]);
    let start = Instant::now();
    let (status, _, stderr) = run_with_input(&mut cmd, Vec::new(), Duration::from_secs(20));
    assert!(!status.success());
    assert!(stderr.contains("within --timeout"), "{stderr}");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    silent.join().unwrap();
}
