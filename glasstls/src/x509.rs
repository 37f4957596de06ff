//! What a certificate looks like to a person: subject, issuer, validity, read with
//! `x509-parser` for display in the trace and in error messages. Nothing here decides trust;
//! rustls-webpki does that in `verify`. A certificate that does not parse shows as
//! "(unreadable)" rather than failing anything.

use rustls_pki_types::CertificateDer;
use x509_parser::time::ASN1Time;

/// What the trace shows of one certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateSummary {
    /// The subject's distinguished name, as `CN=…, O=…`.
    pub subject: String,
    /// The issuer's distinguished name.
    pub issuer: String,
    /// notBefore, as `YYYY-MM-DD HH:MM:SS UTC`.
    pub not_before: String,
    /// notAfter, as `YYYY-MM-DD HH:MM:SS UTC`.
    pub not_after: String,
}

impl CertificateSummary {
    /// The summary of a DER certificate.
    pub fn of(cert: &CertificateDer<'_>) -> Self {
        let unreadable = || "(unreadable)".to_string();
        match x509_parser::parse_x509_certificate(cert.as_ref()) {
            Ok((_, parsed)) => {
                let validity = parsed.validity();
                Self {
                    subject: name(&parsed.subject().to_string()),
                    issuer: name(&parsed.issuer().to_string()),
                    not_before: time(&validity.not_before),
                    not_after: time(&validity.not_after),
                }
            }
            Err(_) => Self {
                subject: unreadable(),
                issuer: unreadable(),
                not_before: unreadable(),
                not_after: unreadable(),
            },
        }
    }
}

fn name(rendered: &str) -> String {
    if rendered.is_empty() {
        "(empty name)".into()
    } else {
        rendered.to_string()
    }
}

fn time(t: &ASN1Time) -> String {
    let t = t.to_datetime();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Seconds since the Unix epoch as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn format_time(secs: u64) -> String {
    match i64::try_from(secs)
        .ok()
        .and_then(|s| ASN1Time::from_timestamp(s).ok())
    {
        Some(t) => time(&t),
        None => format!("{secs} seconds after 1970"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_unix_times_as_utc_dates() {
        assert_eq!(format_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_time(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(format_time(1_795_000_000), "2026-11-18 11:06:40 UTC");
    }

    #[test]
    fn garbage_is_unreadable_not_a_panic() {
        for junk in [
            &[][..],
            &[0x30],
            &[0x30, 0x84, 1, 2, 3, 4],
            &[0x30, 0x05, 0x30, 0x03, 0xa0, 0x01],
        ] {
            assert_eq!(
                CertificateSummary::of(&CertificateDer::from(junk.to_vec())).subject,
                "(unreadable)"
            );
        }
    }

    #[test]
    fn a_certificate_shows_its_names_and_validity() {
        let mut params = rcgen::CertificateParams::new(vec!["a.test".to_string()]).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "a.test");
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "Example");
        params.not_before = rcgen::date_time_ymd(2025, 1, 2);
        params.not_after = rcgen::date_time_ymd(2026, 3, 4);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let summary = CertificateSummary::of(cert.der());
        assert_eq!(summary.subject, "CN=a.test, O=Example");
        assert_eq!(summary.issuer, summary.subject);
        assert_eq!(summary.not_before, "2025-01-02 00:00:00 UTC");
        assert_eq!(summary.not_after, "2026-03-04 00:00:00 UTC");
    }
}
