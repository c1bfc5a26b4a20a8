//! Operator and transformer semantics shared by the IR interpreter and the AST evaluator
//! (spec §2.9, §2.10, §3.4, §3.5).

use std::net::IpAddr;

use regex::Regex;

use crate::event::{Val, ValSet, Values};
use rulec_ir::vocab::{Modifier, OpKind, TransformerName};

/// The right-hand side operands of a check, in the form the evaluator has them.
#[derive(Debug, Clone, Copy)]
pub enum RhsRef<'a> {
    /// Literal or extracted values, in order (duplicates kept: modifiers count them).
    Vals(&'a [Val]),
    /// A hash set of values (`in` / `intersects` on non-network types).
    Set(&'a ValSet),
    /// Compiled, fully anchored regexes.
    Regex(&'a [Regex]),
    /// `pmatch` paths as component lists.
    PMatch(&'a [Vec<String>]),
}

fn ip_bits(a: &IpAddr) -> (bool, u128) {
    match a {
        IpAddr::V4(v) => (true, u128::from(u32::from(*v))),
        IpAddr::V6(v) => (false, u128::from(*v)),
    }
}

/// Whether address `a` lies inside network `n/len` (never across address families).
pub fn in_net(a: &IpAddr, n: &IpAddr, len: u8) -> bool {
    let (a4, av) = ip_bits(a);
    let (n4, nv) = ip_bits(n);
    if a4 != n4 {
        return false;
    }
    let width = if a4 { 32 } else { 128 };
    let len = u32::from(len).min(width);
    if len == 0 {
        return true;
    }
    let shift = width - len;
    (av >> shift) == (nv >> shift)
}

/// Type-aware equality (§3.4): exact bytes for strings/buffers, numeric for numbers, address
/// equality for IPs, CIDR containment when the operand is a network.
pub fn equal(l: &Val, r: &Val) -> bool {
    match (l, r) {
        (Val::Ip(a), Val::Net(n, m)) | (Val::Net(n, m), Val::Ip(a)) => in_net(a, n, *m),
        (Val::F64(a), Val::F64(b)) => a == b,
        (Val::F64(a), Val::U64(b)) | (Val::U64(b), Val::F64(a)) => *a == *b as f64,
        (Val::F64(a), Val::I64(b)) | (Val::I64(b), Val::F64(a)) => *a == *b as f64,
        _ => l == r,
    }
}

fn order(l: &Val, r: &Val) -> Option<std::cmp::Ordering> {
    match (l, r) {
        (Val::U64(a), Val::U64(b)) => Some(a.cmp(b)),
        (Val::I64(a), Val::I64(b)) => Some(a.cmp(b)),
        (Val::U64(a), Val::I64(b)) => Some((*a as i128).cmp(&(*b as i128))),
        (Val::I64(a), Val::U64(b)) => Some((*a as i128).cmp(&(*b as i128))),
        (Val::F64(a), Val::F64(b)) => a.partial_cmp(b),
        (Val::F64(a), Val::U64(b)) => a.partial_cmp(&(*b as f64)),
        (Val::F64(a), Val::I64(b)) => a.partial_cmp(&(*b as f64)),
        (Val::U64(a), Val::F64(b)) => (*a as f64).partial_cmp(b),
        (Val::I64(a), Val::F64(b)) => (*a as f64).partial_cmp(b),
        _ => {
            let (a, b) = (l.as_bytes()?, r.as_bytes()?);
            Some(cstr(a).cmp(cstr(b)))
        }
    }
}

/// Bytes up to the first NUL (C-string semantics of string comparisons).
pub fn cstr(b: &[u8]) -> &[u8] {
    memchr::memchr(0, b).map_or(b, |p| &b[..p])
}

/// Byte substring search.
pub fn find_bytes(hay: &[u8], needle: &[u8]) -> bool {
    if needle.is_empty() {
        return true;
    }
    if needle.len() > hay.len() {
        return false;
    }
    memchr::memmem::find(hay, needle).is_some()
}

/// ASCII case-insensitive byte substring search (`icontains`).
pub fn icontains(hay: &[u8], needle: &[u8]) -> bool {
    if needle.is_empty() {
        return true;
    }
    if needle.len() > hay.len() {
        return false;
    }
    // Candidate starts are the places of the needle's first byte in either case.
    let first = needle[0];
    let (lower, upper) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    let last_start = hay.len() - needle.len();
    let mut from = 0;
    while from <= last_start {
        let Some(p) = memchr::memchr2(lower, upper, &hay[from..=last_start]) else {
            return false;
        };
        let start = from + p;
        if hay[start..start + needle.len()].eq_ignore_ascii_case(needle) {
            return true;
        }
        from = start + 1;
    }
    false
}

/// One scalar comparison `l op r` for the binary string/number operators (not `in`,
/// `intersects`, `pmatch`, `regex`, which need the whole RHS).
pub fn compare(op: OpKind, l: &Val, r: &Val) -> bool {
    use std::cmp::Ordering as O;
    match op {
        OpKind::Eq => equal(l, r),
        OpKind::Ne => !equal(l, r),
        OpKind::Lt => order(l, r) == Some(O::Less),
        OpKind::Le => matches!(order(l, r), Some(O::Less | O::Equal)),
        OpKind::Gt => order(l, r) == Some(O::Greater),
        OpKind::Ge => matches!(order(l, r), Some(O::Greater | O::Equal)),
        OpKind::In | OpKind::Intersects => equal(l, r),
        _ => {
            let (Some(a), Some(b)) = (l.as_bytes(), r.as_bytes()) else {
                return false;
            };
            let strings = matches!(l, Val::Str(_));
            let (a, b) = if strings { (cstr(a), cstr(b)) } else { (a, b) };
            match op {
                OpKind::Contains | OpKind::BContains => find_bytes(a, b),
                OpKind::IContains => icontains(a, b),
                OpKind::StartsWith | OpKind::BStartsWith => a.starts_with(b),
                OpKind::EndsWith => a.ends_with(b),
                OpKind::Glob => fnmatch(b, a, false),
                OpKind::IGlob => fnmatch(b, a, true),
                _ => false,
            }
        }
    }
}

/// Regex full match (the regex is expected to be anchored; see [`full_regex`]). LHS invalid
/// UTF-8 is sanitised (lossy) before matching.
fn regex_match(re: &Regex, l: &Val) -> bool {
    match l {
        Val::Str(s) => re.is_match(s),
        other => re.is_match(&other.to_text()),
    }
}

pub use rulec_ir::program::{full_regex, path_components};

fn pmatch_one(rhs: &[String], lhs: &str) -> bool {
    let mut comps = lhs.split('/').filter(|c| !c.is_empty());
    rhs.iter().all(|r| {
        comps.next().is_some_and(|c| {
            if r.contains(['*', '?', '[']) {
                fnmatch(r.as_bytes(), c.as_bytes(), false)
            } else {
                r == c
            }
        })
    })
}

fn member(l: &Val, rhs: RhsRef<'_>) -> bool {
    match rhs {
        RhsRef::Set(s) => s.contains(l),
        RhsRef::Vals(v) => v.iter().any(|r| equal(l, r)),
        RhsRef::Regex(_) | RhsRef::PMatch(_) => false,
    }
}

fn rhs_len(rhs: RhsRef<'_>) -> usize {
    match rhs {
        RhsRef::Vals(v) => v.len(),
        RhsRef::Set(s) => s.len(),
        RhsRef::Regex(r) => r.len(),
        RhsRef::PMatch(p) => p.len(),
    }
}

/// One scalar LHS value against the whole RHS.
fn scalar(op: OpKind, modifier: Option<Modifier>, l: &Val, rhs: RhsRef<'_>) -> bool {
    match op {
        OpKind::In | OpKind::Intersects => member(l, rhs),
        OpKind::PMatch => {
            let RhsRef::PMatch(paths) = rhs else {
                return false;
            };
            let Some(text) = l.as_bytes().map(String::from_utf8_lossy) else {
                return false;
            };
            paths.iter().any(|p| pmatch_one(p, &text))
        }
        _ => {
            let hits = |limit: usize| -> usize {
                let mut n = 0;
                let mut count = |b: bool| {
                    if b {
                        n += 1;
                    }
                    n >= limit
                };
                match rhs {
                    RhsRef::Vals(v) => {
                        for r in v {
                            if count(compare(op, l, r)) {
                                break;
                            }
                        }
                    }
                    RhsRef::Regex(res) => {
                        for re in res {
                            if count(regex_match(re, l)) {
                                break;
                            }
                        }
                    }
                    RhsRef::Set(s) => {
                        for r in s {
                            if count(compare(op, l, r)) {
                                break;
                            }
                        }
                    }
                    RhsRef::PMatch(_) => {}
                }
                n
            };
            let total = rhs_len(rhs);
            match modifier {
                None | Some(Modifier::AnyOf) => total > 0 && hits(1) >= 1,
                Some(Modifier::OneOf) => total > 0 && hits(2) == 1,
                Some(Modifier::AllOf) => total > 0 && hits(usize::MAX) == total,
            }
        }
    }
}

/// Evaluates a check whose LHS extraction succeeded with `lhs` (§3.4, §2.10). `lhs_list`: the
/// LHS is list-valued after transformers (`in` = every element, `intersects` = any element).
/// A scalar LHS that extracted several values (ancestor fields) matches when any value does.
pub fn eval_check(
    op: OpKind,
    modifier: Option<Modifier>,
    lhs_list: bool,
    lhs: &[Val],
    rhs: RhsRef<'_>,
) -> bool {
    if lhs_list {
        return match op {
            OpKind::In => lhs.iter().all(|l| member(l, rhs)),
            OpKind::Intersects => lhs.iter().any(|l| member(l, rhs)),
            _ => false,
        };
    }
    lhs.iter().any(|l| scalar(op, modifier, l, rhs))
}

/// `fnmatch(pattern, s, 0)` (or with ASCII case folding): `*` any sequence including `/`, `?`
/// one byte, `[...]` classes with `!`/`^` negation, ranges and `[:class:]`, `\` escapes.
pub fn fnmatch(pat: &[u8], s: &[u8], icase: bool) -> bool {
    let eq = |a: u8, b: u8| {
        if icase {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let (mut p, mut i) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    loop {
        if p < pat.len() {
            match pat[p] {
                b'*' => {
                    while p < pat.len() && pat[p] == b'*' {
                        p += 1;
                    }
                    star = Some((p, i));
                    continue;
                }
                b'?' if i < s.len() => {
                    p += 1;
                    i += 1;
                    continue;
                }
                b'[' if i < s.len() => {
                    if let Some((ok, next)) = bracket(pat, p, s[i], icase) {
                        if ok {
                            p = next;
                            i += 1;
                            continue;
                        }
                    } else if eq(b'[', s[i]) {
                        p += 1;
                        i += 1;
                        continue;
                    }
                }
                b'\\' if p + 1 < pat.len() && i < s.len() && eq(pat[p + 1], s[i]) => {
                    p += 2;
                    i += 1;
                    continue;
                }
                c if c != b'?'
                    && c != b'['
                    && !(c == b'\\' && p + 1 < pat.len())
                    && i < s.len()
                    && eq(c, s[i]) =>
                {
                    p += 1;
                    i += 1;
                    continue;
                }
                _ => {}
            }
        } else if i == s.len() {
            return true;
        }
        // Mismatch: backtrack to the last star.
        match star {
            Some((sp, si)) if si < s.len() => {
                star = Some((sp, si + 1));
                p = sp;
                i = si + 1;
            }
            _ => return false,
        }
    }
}

/// Matches byte `c` against the bracket expression starting at `pat[p] == '['`; returns
/// `(matched, index after ']')`, or `None` when the bracket is not closed (literal `[`).
fn bracket(pat: &[u8], p: usize, c: u8, icase: bool) -> Option<(bool, usize)> {
    let mut j = p + 1;
    let negate = matches!(pat.get(j), Some(b'!' | b'^'));
    if negate {
        j += 1;
    }
    let fold = |b: u8| if icase { b.to_ascii_lowercase() } else { b };
    let c = fold(c);
    let mut matched = false;
    let mut first = true;
    loop {
        let &b = pat.get(j)?;
        if b == b']' && !first {
            return Some((matched != negate, j + 1));
        }
        first = false;
        if b == b'[' && pat.get(j + 1) == Some(&b':') {
            if let Some(end) = pat[j + 2..].windows(2).position(|w| w == b":]") {
                let name = &pat[j + 2..j + 2 + end];
                let ok = match name {
                    b"alpha" => c.is_ascii_alphabetic(),
                    b"digit" => c.is_ascii_digit(),
                    b"alnum" => c.is_ascii_alphanumeric(),
                    b"upper" => c.is_ascii_uppercase() || (icase && c.is_ascii_lowercase()),
                    b"lower" => c.is_ascii_lowercase(),
                    b"space" => c.is_ascii_whitespace() || c == 0x0b,
                    b"xdigit" => c.is_ascii_hexdigit(),
                    b"punct" => c.is_ascii_punctuation(),
                    b"blank" => c == b' ' || c == b'\t',
                    b"cntrl" => c.is_ascii_control(),
                    b"print" => (0x20..0x7f).contains(&c),
                    b"graph" => (0x21..0x7f).contains(&c),
                    _ => false,
                };
                matched |= ok;
                j += 2 + end + 2;
                continue;
            }
        }
        let (lo, nj) = if b == b'\\' && j + 1 < pat.len() {
            (pat[j + 1], j + 2)
        } else {
            (b, j + 1)
        };
        if pat.get(nj) == Some(&b'-') && pat.get(nj + 1).is_some_and(|&h| h != b']') {
            let (hi, nj2) = if pat[nj + 1] == b'\\' && nj + 2 < pat.len() {
                (pat[nj + 2], nj + 3)
            } else {
                (pat[nj + 1], nj + 2)
            };
            let (lo, hi) = (fold(lo), fold(hi));
            if lo <= c && c <= hi {
                matched = true;
            }
            j = nj2;
        } else {
            if fold(lo) == c {
                matched = true;
            }
            j = nj;
        }
    }
}

/// Base64 decoding (standard alphabet, padding optional); `None` on invalid input.
pub fn b64_decode(s: &[u8]) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut data = s;
    while let Some((&b'=', rest)) = data.split_last() {
        data = rest;
    }
    if s.len() - data.len() > 2 || data.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    for chunk in data.chunks(4) {
        let mut acc = 0u32;
        for (k, &c) in chunk.iter().enumerate() {
            acc |= val(c)? << (18 - 6 * k);
        }
        let n = chunk.len() - 1;
        for k in 0..n {
            out.push((acc >> (16 - 8 * k)) as u8);
        }
    }
    Some(out)
}

/// `getopt(argv, optstring)` (§2.9): the list of emitted option chars and values (list mode),
/// and per option char its last value (or the char itself for flags).
pub fn getopt(argv: &[String], optstring: &str) -> Vec<(char, String)> {
    let opts: Vec<char> = optstring
        .strip_prefix(':')
        .unwrap_or(optstring)
        .chars()
        .collect();
    let spec = |c: char| -> Option<bool> {
        let p = opts.iter().position(|&o| o == c && c != ':')?;
        Some(opts.get(p + 1) == Some(&':'))
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < argv.len() {
        let tok = &argv[i];
        if tok == "--" {
            break;
        }
        if tok.starts_with("--") {
            i += 1;
            continue;
        }
        if !tok.starts_with('-') || tok == "-" {
            break;
        }
        let body: Vec<char> = tok.chars().skip(1).collect();
        let mut j = 0;
        while j < body.len() {
            let c = body[j];
            match spec(c) {
                Some(true) => {
                    let rest: String = body[j + 1..].iter().collect();
                    let value = if !rest.is_empty() {
                        rest
                    } else if i + 1 < argv.len() {
                        i += 1;
                        argv[i].clone()
                    } else {
                        String::new()
                    };
                    out.push((c, value));
                    break;
                }
                Some(false) => out.push((c, c.to_string())),
                None => out.push(('?', "?".into())),
            }
            j += 1;
        }
        i += 1;
    }
    out
}

/// Applies a transformer to its evaluated arguments (§2.9). `args[i]` is `None` when that
/// argument's extraction failed; `arg_lists[i]` tells whether argument `i` is list-valued.
/// Returns `None` when the transformation fails (the check is then false).
pub fn apply_transformer(
    name: TransformerName,
    args: &[Option<Values>],
    arg_lists: &[bool],
    sel: Option<&str>,
) -> Option<Values> {
    use TransformerName as N;
    let map = |f: &dyn Fn(&Val) -> Option<Val>| -> Option<Values> {
        args.first()?.as_ref()?.iter().map(f).collect()
    };
    match name {
        N::Val => args.first()?.clone(),
        N::ToLower => map(&|v| {
            Some(match v {
                Val::Str(s) => Val::Str(s.to_ascii_lowercase()),
                Val::Bytes(b) => Val::Bytes(b.to_ascii_lowercase()),
                o => o.clone(),
            })
        }),
        N::ToUpper => map(&|v| {
            Some(match v {
                Val::Str(s) => Val::Str(s.to_ascii_uppercase()),
                Val::Bytes(b) => Val::Bytes(b.to_ascii_uppercase()),
                o => o.clone(),
            })
        }),
        N::B64 => map(&|v| {
            let d = b64_decode(v.as_bytes()?)?;
            Some(match v {
                Val::Bytes(_) => Val::Bytes(d),
                _ => Val::Str(String::from_utf8_lossy(&d).into_owned()),
            })
        }),
        N::Basename => map(&|v| {
            let s = v.to_text();
            Some(Val::Str(s.rsplit('/').next().unwrap_or("").to_owned()))
        }),
        N::Len => {
            let vals = args.first()?.as_ref()?;
            if arg_lists.first().copied().unwrap_or(false) {
                return Some(vec![Val::U64(vals.len() as u64)]);
            }
            let n = match vals.first()? {
                Val::Str(s) => cstr(s.as_bytes()).len(),
                Val::Bytes(b) => b.len(),
                o => o.to_text().len(),
            };
            Some(vec![Val::U64(n as u64)])
        }
        N::Concat => {
            let mut s = String::new();
            for a in args {
                for v in a.as_ref()? {
                    s.push_str(&v.to_text());
                }
            }
            Some(vec![Val::Str(s)])
        }
        N::Join => {
            let sep = args.first()?.as_ref()?.first()?.to_text();
            let items = args.get(1)?.as_ref()?;
            let texts: Vec<String> = items.iter().map(Val::to_text).collect();
            Some(vec![Val::Str(texts.join(&sep))])
        }
        N::Getopt => {
            let a = args.first()?.as_ref()?;
            let argv: Vec<String> = if arg_lists.first().copied().unwrap_or(false) {
                a.iter().map(Val::to_text).collect()
            } else {
                // A scalar argument string is split on blanks (documented approximation).
                a.iter()
                    .flat_map(|v| {
                        v.to_text()
                            .split_whitespace()
                            .map(str::to_owned)
                            .collect::<Vec<_>>()
                    })
                    .collect()
            };
            let optstring = args.get(1)?.as_ref()?.first()?.to_text();
            let parsed = getopt(&argv, &optstring);
            match sel {
                Some(c) => {
                    let c = c.chars().next()?;
                    let v = parsed.iter().rev().find(|(o, _)| *o == c)?;
                    Some(vec![Val::Str(v.1.clone())])
                }
                None => {
                    let mut out = Vec::new();
                    for (c, v) in parsed {
                        out.push(Val::Str(c.to_string()));
                        if v != c.to_string() {
                            out.push(Val::Str(v));
                        }
                    }
                    Some(out)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnmatch_basics() {
        assert!(fnmatch(b"*.log", b"/var/log/x.log", false));
        assert!(fnmatch(b"/usr/*", b"/usr/bin/ls", false));
        assert!(!fnmatch(b"a?c", b"ac", false));
        assert!(fnmatch(b"[!a]bc", b"xbc", false));
        assert!(!fnmatch(b"[!a]bc", b"abc", false));
        assert!(fnmatch(b"[a-c]x", b"bx", false));
        assert!(fnmatch(b"\\*x", b"*x", false));
        assert!(!fnmatch(b"\\*x", b"ax", false));
        assert!(fnmatch(b"[]]", b"]", false));
        assert!(fnmatch(b"[[:digit:]]*", b"7abc", false));
        assert!(fnmatch(b"[", b"[", false));
        assert!(fnmatch(b"ABC*", b"abcdef", true));
        assert!(!fnmatch(b"ABC*", b"abcdef", false));
        assert!(fnmatch(b"", b"", false));
        assert!(!fnmatch(b"", b"a", false));
        assert!(fnmatch(b"*", b"", false));
        assert!(fnmatch(b"a*b*c", b"aXXbYYbc", false));
    }

    #[test]
    fn b64() {
        assert_eq!(b64_decode(b"aGVsbG8=").as_deref(), Some(&b"hello"[..]));
        assert_eq!(b64_decode(b"aGVsbG8").as_deref(), Some(&b"hello"[..]));
        assert_eq!(b64_decode(b"a"), None);
        assert_eq!(b64_decode(b"a$bc"), None);
    }

    #[test]
    fn getopt_modes() {
        let argv: Vec<String> = ["-n", "-t", "tcp", "-xv", "--long", "-ofoo", "rest", "-n"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let p = getopt(&argv, "nt:o:v");
        assert_eq!(
            p,
            vec![
                ('n', "n".into()),
                ('t', "tcp".into()),
                ('?', "?".into()),
                ('v', "v".into()),
                ('o', "foo".into())
            ]
        );
    }
}
