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
                    subject: name(&distinguished_name(parsed.subject())),
                    issuer: name(&distinguished_name(parsed.issuer())),
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

/// A distinguished name as `CN=…, O=…` in the certificate's order, every attribute by its
/// usual short name (RFC 4514 §3 and those RFC 4519, RFC 4524 and PKCS #9 add), one we do not
/// know by its dotted OID: never a bare `?`.
fn distinguished_name(dn: &x509_parser::x509::X509Name<'_>) -> String {
    let mut parts = Vec::new();
    for rdn in dn.iter_rdn() {
        for attr in rdn.iter() {
            let oid = attr.attr_type().to_id_string();
            let key = match oid.as_str() {
                "2.5.4.3" => "CN",
                "2.5.4.4" => "SN",
                "2.5.4.5" => "serialNumber",
                "2.5.4.6" => "C",
                "2.5.4.7" => "L",
                "2.5.4.8" => "ST",
                "2.5.4.9" => "street",
                "2.5.4.10" => "O",
                "2.5.4.11" => "OU",
                "2.5.4.12" => "title",
                "2.5.4.15" => "businessCategory",
                "2.5.4.17" => "postalCode",
                "2.5.4.42" => "GN",
                "2.5.4.43" => "initials",
                "2.5.4.44" => "generationQualifier",
                "2.5.4.46" => "dnQualifier",
                "2.5.4.65" => "pseudonym",
                "2.5.4.97" => "organizationIdentifier",
                "0.9.2342.19200300.100.1.1" => "UID",
                "0.9.2342.19200300.100.1.25" => "DC",
                "1.2.840.113549.1.9.1" => "emailAddress",
                "1.3.6.1.4.1.311.60.2.1.3" => "jurisdictionC",
                "1.3.6.1.4.1.311.60.2.1.2" => "jurisdictionST",
                "1.3.6.1.4.1.311.60.2.1.1" => "jurisdictionL",
                other => other,
            }
            .to_string();
            let value = match attr.as_str() {
                Ok(text) => text.to_string(),
                Err(_) => match std::str::from_utf8(attr.attr_value().data) {
                    Ok(text) => text.to_string(),
                    Err(_) => format!("#{}", crate::trace::hex(attr.attr_value().data)),
                },
            };
            parts.push(format!("{key}={value}"));
        }
    }
    parts.join(", ")
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
        // Attributes beyond the common few have names too, never a bare `?`.
        let leaf = glasstls_test::pki::self_signed_with_subject(
            &["a.test"],
            &[
                (&[0, 9, 2342, 19200300, 100, 1, 25], "example"),
                (&[2, 5, 4, 3], "localhost"),
                (&[1, 2, 840, 113549, 1, 9, 1], "ops@example.com"),
                (&[2, 5, 4, 5], "42"),
                (&[1, 2, 3, 4], "x"),
            ],
        )
        .unwrap();
        assert_eq!(
            CertificateSummary::of(&leaf.chain[0]).subject,
            "DC=example, CN=localhost, emailAddress=ops@example.com, serialNumber=42, 1.2.3.4=x"
        );
        assert_eq!(summary.issuer, summary.subject);
        assert_eq!(summary.not_before, "2025-01-02 00:00:00 UTC");
        assert_eq!(summary.not_after, "2026-03-04 00:00:00 UTC");
    }
}
