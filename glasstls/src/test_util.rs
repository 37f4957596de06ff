//! Helpers shared by the unit tests.

/// Bytes from hex written the way RFCs and test-vector lists print it (whitespace ignored).
pub(crate) fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("test vectors are hex"))
        .collect()
}
