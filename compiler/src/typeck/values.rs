//! Parsing of literal right-hand side values per LHS type (spec §3.3).
//!
//! Approximations (documented deviations from libs):
//! * regex patterns are compiled with the `regex` crate instead of RE2 (POSIX syntax); both
//!   reject the common mistakes (unbalanced groups, bad repetitions, backreferences), but the
//!   error texts after `invalid regex pattern: ` are the `regex` crate's, not RE2's.
//! * port service names are looked up in [`SERVICES`], a small built-in subset of the IANA
//!   registry (`/etc/services`), not in the system services database.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::condition::ast::OpKind;
use crate::schema::FieldType;

pub use rulec_ir::value::SERVICES;

fn is_int(v: &str) -> bool {
    let t = v.trim_start();
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

fn is_even_hex(v: &str) -> bool {
    v.len().is_multiple_of(2) && v.bytes().all(|b| b.is_ascii_hexdigit())
}

fn v4_net(v: &str) -> Result<(), String> {
    let Some((addr, mask)) = v.split_once('/') else {
        return Err(format!("unrecognized IP network {v}"));
    };
    if addr.parse::<Ipv4Addr>().is_err() {
        return Err(format!("unrecognized IP network {v}"));
    }
    match mask.parse::<u32>() {
        Ok(m) if m <= 32 => Ok(()),
        _ => Err(format!("invalid netmask {mask}")),
    }
}

fn v6_net(v: &str) -> Result<(), String> {
    let Some((addr, mask)) = v.split_once('/') else {
        return Err(format!("invalid v6 netmask: {v}"));
    };
    if addr.parse::<Ipv6Addr>().is_err() {
        return Err(format!("unrecognized IPv6 address {addr}"));
    }
    match mask.parse::<u32>() {
        Ok(m) if (1..=128).contains(&m) => Ok(()),
        _ => Err(format!("invalid v6 netmask {mask}")),
    }
}

/// Checks that `v` parses as a value of type `ty` compared with `op`; `Err` holds the libs
/// message (verbatim from spec §2.13).
pub fn parse_value(ty: FieldType, op: OpKind, v: &str) -> Result<(), String> {
    use FieldType as T;
    if v.contains('\0') {
        return Err("filter error: filter value cannot contain a NUL byte (\\x00)".into());
    }
    let not_number = || Err(format!("{v} is not a valid number"));
    match ty {
        t if t.is_signed_int() || t.is_unsigned_int() || t == T::Double => {
            if is_int(v) {
                Ok(())
            } else {
                not_number()
            }
        }
        T::Port => {
            if v.is_empty()
                || v.bytes().all(|b| b.is_ascii_digit())
                || SERVICES.iter().any(|(n, _)| *n == v)
            {
                Ok(())
            } else {
                Err(format!("unrecognized protocol {v}"))
            }
        }
        T::Bool => match v {
            "true" | "false" => Ok(()),
            _ => Err(format!("filter error: unrecognized boolean value {v}")),
        },
        T::Bytebuf => {
            if matches!(op, OpKind::BContains | OpKind::BStartsWith) && !is_even_hex(v) {
                Err(
                    "filter error: bcontains and bstartswith operator support hex strings only"
                        .into(),
                )
            } else {
                Ok(())
            }
        }
        T::Ipv4addr => v
            .parse::<Ipv4Addr>()
            .map(|_| ())
            .map_err(|_| format!("unrecognized IPv4 address {v}")),
        T::Ipv6addr => v
            .parse::<Ipv6Addr>()
            .map(|_| ())
            .map_err(|_| format!("unrecognized IPv6 address {v}")),
        T::Ipaddr => {
            let ok = if v.contains('.') {
                v.parse::<Ipv4Addr>().is_ok()
            } else {
                v.parse::<Ipv6Addr>().is_ok()
            };
            if ok {
                Ok(())
            } else {
                Err(format!("unrecognized IP address {v}"))
            }
        }
        T::Ipv4net => v4_net(v),
        T::Ipv6net => v6_net(v),
        T::Ipnet => {
            if v.contains('.') {
                v4_net(v)
            } else {
                v6_net(v)
            }
        }
        T::Charbuf | T::Fspath | T::Fsrelpath => {
            if op == OpKind::Regex {
                regex::Regex::new(v)
                    .map(|_| ())
                    .map_err(|e| format!("invalid regex pattern: {}", regex_error(&e)))
            } else {
                Ok(())
            }
        }
        _ => Ok(()),
    }
}

/// The one-line reason of a `regex` error (the crate's message is multi-line).
fn regex_error(e: &regex::Error) -> String {
    let s = e.to_string();
    s.lines()
        .rev()
        .find(|l| l.trim_start().starts_with("error:"))
        .map(|l| {
            l.trim_start()
                .trim_start_matches("error:")
                .trim()
                .to_owned()
        })
        .unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_decimal_only() {
        assert!(parse_value(FieldType::Int64, OpKind::Eq, "-12").is_ok());
        assert_eq!(
            parse_value(FieldType::Uint32, OpKind::Lt, "0x1A").unwrap_err(),
            "0x1A is not a valid number"
        );
        assert!(parse_value(FieldType::Double, OpKind::Eq, "1.0").is_err());
    }

    #[test]
    fn ips_and_nets() {
        assert!(parse_value(FieldType::Ipnet, OpKind::Eq, "10.0.0.0/8").is_ok());
        assert!(parse_value(FieldType::Ipnet, OpKind::Eq, "fe80::/10").is_ok());
        assert_eq!(
            parse_value(FieldType::Ipnet, OpKind::Eq, "10.0.0.0/33").unwrap_err(),
            "invalid netmask 33"
        );
        assert_eq!(
            parse_value(FieldType::Ipv4net, OpKind::Eq, "10.0.0.0").unwrap_err(),
            "unrecognized IP network 10.0.0.0"
        );
        assert!(parse_value(FieldType::Ipaddr, OpKind::Eq, "::ffff:1.2.3.4").is_err());
    }

    #[test]
    fn ports_bools_buffers_regex() {
        assert!(parse_value(FieldType::Port, OpKind::Eq, "ssh").is_ok());
        assert!(parse_value(FieldType::Port, OpKind::Eq, "sshh").is_err());
        assert!(parse_value(FieldType::Bool, OpKind::Eq, "yes").is_err());
        assert!(parse_value(FieldType::Bytebuf, OpKind::BContains, "48545").is_err());
        assert!(parse_value(FieldType::Charbuf, OpKind::Regex, "a(b").is_err());
    }
}
