//! Record surgery for hostile-input tests: split a flight into records, change them, join them
//! again, and check that a connection answers with exactly the alert it must.

use glasstls::{AlertDescription, Connection, Error, UnixTime};

/// One record: its content type and payload.
pub struct Rec {
    /// The content type byte.
    pub typ: u8,
    /// The payload, as on the wire.
    pub payload: Vec<u8>,
}

/// The records in `bytes` (a trailing partial record is dropped).
pub fn split_records(mut bytes: &[u8]) -> Vec<Rec> {
    let mut out = Vec::new();
    while let Some(&[typ, _, _, hi, lo]) = bytes.first_chunk::<5>() {
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        let Some(payload) = bytes.get(5..5 + len) else {
            break;
        };
        out.push(Rec {
            typ,
            payload: payload.to_vec(),
        });
        bytes = &bytes[5 + len..];
    }
    out
}

/// A TLS 1.2-versioned record of `typ` around `payload`.
pub fn record(typ: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![typ, 3, 3];
    out.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// `payload` cut into records of `typ` of at most 2^14 bytes each (RFC 8446 §5.1), as a peer
/// sends a message longer than one record.
pub fn records(typ: u8, payload: &[u8]) -> Vec<u8> {
    payload
        .chunks(1 << 14)
        .flat_map(|chunk| record(typ, chunk))
        .collect()
}

/// The records, on the wire again.
pub fn join(records: &[Rec]) -> Vec<u8> {
    records
        .iter()
        .flat_map(|r| record(r.typ, &r.payload))
        .collect()
}

/// A raw handshake message with any type and body.
pub fn handshake(typ: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![typ];
    out.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    out.extend_from_slice(body);
    out
}

/// The alert records (level, description) in plaintext TLS bytes.
pub fn plaintext_alerts(bytes: &[u8]) -> Vec<(u8, u8)> {
    split_records(bytes)
        .into_iter()
        .filter(|r| r.typ == 21)
        .filter_map(|r| match r.payload[..] {
            [level, description] => Some((level, description)),
            _ => None,
        })
        .collect()
}

/// Feeds `input` to `conn` and checks the outcome: the expected error's alert, sent once, then
/// silence even when more bytes arrive. Returns the error.
pub fn expect_fatal(conn: &mut Connection, input: &[u8], alert: AlertDescription) -> Error {
    let _ = conn.take_outgoing();
    let err = crate::deliver(conn, input, UnixTime::now())
        .err()
        .unwrap_or_else(|| panic!("no error; expected {alert}"));
    assert_eq!(err.alert(), Some(alert), "{err}");
    let mut out = conn.take_outgoing();
    // A TLS 1.3 client sends its compatibility ChangeCipherSpec as soon as it has read the
    // ServerHello; when the failure comes in the same delivery, it precedes the alert.
    if out.starts_with(&[20, 3, 3, 0, 1, 1]) {
        out.drain(..6);
    }
    let alerts = plaintext_alerts(&out);
    if !out.is_empty() && out[0] == 21 && out.len() == 7 {
        assert_eq!(
            alerts,
            vec![(2, alert.0)],
            "exactly one fatal {alert} alert"
        );
    } else {
        // An alert sent under encryption: one record, nothing else. (TLS 1.3 hides its type:
        // the outer one says application_data.)
        assert_eq!(
            split_records(&out).len(),
            1,
            "exactly one alert record after the failure"
        );
        assert!(
            out[0] == 21 || out[0] == 23,
            "an alert record, not {}",
            out[0]
        );
    }
    // Dead: more input changes nothing and sends nothing.
    conn.read_tls(input);
    assert_eq!(conn.process_new_packets(UnixTime::now()).unwrap_err(), err);
    assert!(conn.take_outgoing().is_empty());
    err
}
