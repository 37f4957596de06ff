//! `glasstls connect`: handshake, then standard input to the server and the server's data to
//! standard output until the server closes.

use crate::cli::ConnectArgs;
use crate::{apply_common, names_rsa_key_exchange, print_events};
use glasstls::{ClientConfig, Connection, RootStore, ServerName, UnixTime};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};

pub fn run(args: &ConnectArgs) -> Result<(), String> {
    let host = host_of(&args.address)?;
    let name = args.servername.clone().unwrap_or(host);
    let server_name = ServerName::try_from(name.clone())
        .map_err(|_| format!("{name:?} is not a valid host name or IP address"))?;
    let roots = match &args.cafile {
        Some(path) => RootStore::from_pem_file(path),
        None => RootStore::system(),
    }
    .map_err(|e| e.to_string())?;
    let mut config = ClientConfig::new(roots);
    apply_common(&mut config.common, &args.common)?;
    config.common.rsa_key_exchange =
        !args.common.cipher.is_empty() && names_rsa_key_exchange(&config.common);

    let mut tcp = TcpStream::connect(&args.address)
        .map_err(|e| format!("cannot connect to {}: {e}", args.address))?;
    let _ = tcp.set_nodelay(true);
    let mut conn = Connection::client(Arc::new(config), server_name).map_err(|e| e.to_string())?;
    let mut stderr = std::io::stderr();

    // The handshake, on this thread alone.
    let mut buf = vec![0u8; 32 * 1024];
    let mut plaintext = Vec::new();
    while conn.is_handshaking() {
        write_out(&mut conn, &mut tcp)?;
        let n = tcp
            .read(&mut buf)
            .map_err(|e| format!("reading from the server: {e}"))?;
        if n == 0 {
            print_events(&mut stderr, "", &mut conn);
            return Err("the server closed the connection during the handshake".into());
        }
        let result = feed(&mut conn, &buf[..n], &mut plaintext);
        print_events(&mut stderr, "", &mut conn);
        let _ = write_out(&mut conn, &mut tcp);
        result?;
    }
    write_out(&mut conn, &mut tcp)?;
    if !args.quiet {
        let info = conn.info();
        eprintln!(
            "glasstls: connected to {} with {} {}{}",
            args.address,
            info.version.map(|v| v.to_string()).unwrap_or_default(),
            info.cipher_suite.map(|s| s.to_string()).unwrap_or_default(),
            info.group.map(|g| format!(" ({g})")).unwrap_or_default(),
        );
    }
    std::io::stdout()
        .write_all(&plaintext)
        .map_err(|e| e.to_string())?;

    // Standard input to the server on its own thread; the server's data to standard output here.
    let conn = Arc::new(Mutex::new(conn));
    let writer = tcp.try_clone().map_err(|e| e.to_string())?;
    {
        let conn = Arc::clone(&conn);
        std::thread::spawn(move || pump_stdin(&conn, writer));
    }
    let mut stdout = std::io::stdout();
    loop {
        let n = tcp
            .read(&mut buf)
            .map_err(|e| format!("reading from the server: {e}"))?;
        let mut guard = conn
            .lock()
            .map_err(|_| "internal error: lock poisoned".to_string())?;
        if n == 0 {
            if guard.peer_has_closed() {
                return Ok(());
            }
            eprintln!(
                "glasstls: warning: the server closed the connection without close_notify; the data may be truncated"
            );
            return Ok(());
        }
        plaintext.clear();
        let result = feed(&mut guard, &buf[..n], &mut plaintext);
        print_events(&mut stderr, "", &mut guard);
        let _ = write_out(&mut guard, &mut tcp);
        let closed = guard.peer_has_closed();
        drop(guard);
        stdout
            .write_all(&plaintext)
            .and_then(|()| stdout.flush())
            .map_err(|e| e.to_string())?;
        result?;
        if closed {
            return Ok(());
        }
    }
}

fn pump_stdin(conn: &Mutex<Connection>, mut tcp: TcpStream) {
    let mut stdin = std::io::stdin();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match stdin.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let Ok(mut conn) = conn.lock() else { return };
        if conn.send(&buf[..n]).is_err() || write_out(&mut conn, &mut tcp).is_err() {
            return;
        }
    }
}

/// Feeds transport bytes to the connection, collecting any plaintext.
fn feed(conn: &mut Connection, mut data: &[u8], plaintext: &mut Vec<u8>) -> Result<(), String> {
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let taken = conn.read_tls(data);
        data = &data[taken..];
        conn.process_new_packets(UnixTime::now())
            .map_err(|e| e.to_string())?;
        let mut progress = taken > 0;
        loop {
            let n = conn.recv(&mut chunk);
            if n == 0 {
                break;
            }
            progress = true;
            plaintext.extend_from_slice(&chunk[..n]);
        }
        if data.is_empty() || !progress {
            return Ok(());
        }
    }
}

fn write_out(conn: &mut Connection, tcp: &mut TcpStream) -> Result<(), String> {
    let out = conn.take_outgoing();
    if out.is_empty() {
        return Ok(());
    }
    tcp.write_all(&out)
        .map_err(|e| format!("writing to the server: {e}"))
}

/// The host part of HOST:PORT (brackets removed from an IPv6 literal).
fn host_of(address: &str) -> Result<String, String> {
    let (host, port) = address
        .rsplit_once(':')
        .ok_or_else(|| format!("{address:?} is not HOST:PORT"))?;
    port.parse::<u16>()
        .map_err(|_| format!("{port:?} is not a port number"))?;
    Ok(host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string())
}
