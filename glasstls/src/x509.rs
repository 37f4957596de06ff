//! Just enough DER reading to *show* a certificate in the trace: subject, issuer, validity.
//! Nothing here decides trust; rustls-webpki does that in `verify`. Any malformed input renders
//! as "(unreadable)" rather than failing.

use rustls_pki_types::CertificateDer;

/// What the trace prints for one certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub subject: String,
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
}

impl Summary {
    pub fn parse(cert: &CertificateDer<'_>) -> Self {
        parse_summary(cert.as_ref()).unwrap_or_else(|| Self {
            subject: "(unreadable)".into(),
            issuer: "(unreadable)".into(),
            not_before: "(unreadable)".into(),
            not_after: "(unreadable)".into(),
        })
    }
}

/// One DER TLV: tag and contents; `rest` is what follows it.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 3 {
            return None;
        }
        let bytes = rest.get(..n)?;
        (
            bytes
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b)),
            rest.get(n..)?,
        )
    };
    let contents = rest.get(..len)?;
    Some((tag, contents, rest.get(len..)?))
}

fn parse_summary(der: &[u8]) -> Option<Summary> {
    let (_, cert, _) = tlv(der)?;
    let (_, tbs, _) = tlv(cert)?;
    let (tag, _, mut rest) = tlv(tbs)?;
    if tag == 0xa0 {
        // [0] version present: the next element is the serial number.
        rest = tlv(rest)?.2;
    }
    let (_, _, rest) = tlv(rest)?; // signature AlgorithmIdentifier
    let (_, issuer, rest) = tlv(rest)?;
    let (_, validity, rest) = tlv(rest)?;
    let (_, subject, _) = tlv(rest)?;
    let (nb_tag, not_before, after) = tlv(validity)?;
    let (na_tag, not_after, _) = tlv(after)?;
    Some(Summary {
        subject: name(subject),
        issuer: name(issuer),
        not_before: time(nb_tag, not_before).unwrap_or_else(|| "(unreadable)".into()),
        not_after: time(na_tag, not_after).unwrap_or_else(|| "(unreadable)".into()),
    })
}

/// RFC 5280 §4.1.2.4 Name: a sequence of RDN sets of (type, value) pairs.
fn name(mut rdns: &[u8]) -> String {
    let mut parts = Vec::new();
    while let Some((_, set, rest)) = tlv(rdns) {
        rdns = rest;
        let mut set = set;
        while let Some((_, atv, rest)) = tlv(set) {
            set = rest;
            let Some((_, oid, value)) = tlv(atv) else {
                continue;
            };
            let Some((_, value, _)) = tlv(value) else {
                continue;
            };
            let label = match oid {
                [0x55, 0x04, 0x03] => "CN",
                [0x55, 0x04, 0x06] => "C",
                [0x55, 0x04, 0x07] => "L",
                [0x55, 0x04, 0x08] => "ST",
                [0x55, 0x04, 0x0a] => "O",
                [0x55, 0x04, 0x0b] => "OU",
                _ => "?",
            };
            parts.push(format!("{label}={}", String::from_utf8_lossy(value)));
        }
    }
    if parts.is_empty() {
        "(empty name)".into()
    } else {
        parts.join(", ")
    }
}

/// UTCTime (tag 0x17, YYMMDDHHMMSSZ) or GeneralizedTime (0x18, YYYYMMDDHHMMSSZ).
fn time(tag: u8, value: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(value).ok()?;
    let (year, rest) = match tag {
        0x17 => {
            let yy: u32 = s.get(..2)?.parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, s.get(2..)?)
        }
        0x18 => (s.get(..4)?.parse().ok()?, s.get(4..)?),
        _ => return None,
    };
    let field = |i: usize| rest.get(i..i + 2);
    Some(format!(
        "{year:04}-{}-{} {}:{}:{} UTC",
        field(0)?,
        field(2)?,
        field(4)?,
        field(6)?,
        field(8)?
    ))
}

/// Seconds since the Unix epoch as `YYYY-MM-DD HH:MM:SS UTC` (proleptic Gregorian).
pub fn format_time(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
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
                Summary::parse(&CertificateDer::from(junk.to_vec())).subject,
                "(unreadable)"
            );
        }
    }
}
