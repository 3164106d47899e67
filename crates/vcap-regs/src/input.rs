//! Parsing the input formats (pure: text in, values out). Every error names the origin (file),
//! the line and the field at fault.
//!
//! * Host JSON, shaped like the kernel structs: `{"type": "arm_smmuv3", "idr": ["0x…" ×6],
//!   "iidr": "0x…", "aidr": "0x…"}`, `{"type": "intel_vtd", "cap_reg": "0x…", "ecap_reg":
//!   "0x…"}`, `{"type": "amd", "efr": "0x…", "efr2": "0x…"}`, `{"type": "x86_cpuid", "cpuid":
//!   {"CPUID.0x1.0x0.ECX": "0x…", …}}`; an optional `"name"`. One object per file, or one per
//!   line (JSON lines).
//! * `cpuid -r` text (the first CPU's block).
//! * sysfs hex (`/sys/class/iommu/*/intel-iommu/{cap,ecap}`: hex digits without `0x`).
//! * The VMM manifest: `{"type": …, "base": "baseline" | "none", "fields": {"IDR0.ATS": 1 |
//!   "0x1" | "host"}}`.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::model::{Kind, MAX_REGS, RegSet};
use crate::sanitize::{Manifest, ManifestValue};
use crate::tables;

/// What is wrong with an input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// Not JSON.
    #[error("malformed JSON: {0}")]
    Json(String),
    /// A required key is missing.
    #[error("missing")]
    Missing,
    /// Not a hex number.
    #[error("{0:?} is not a hex number (expected \"0x...\")")]
    BadHex(String),
    /// More bits than the register has.
    #[error("value {value:#x} is wider than the {bits}-bit register")]
    TooWide {
        /// The value.
        value: u64,
        /// Register width.
        bits: u8,
    },
    /// The `type` is not one vcap knows.
    #[error("unknown register type {0:?} (expected arm_smmuv3, intel_vtd, amd or x86_cpuid)")]
    UnknownType(String),
    /// Wrong number of entries.
    #[error("expected {expected} entries, found {found}")]
    Count {
        /// Expected.
        expected: usize,
        /// Found.
        found: usize,
    },
    /// A key that this type does not have.
    #[error("not a key of a {0} host file")]
    UnexpectedKey(Kind),
    /// Nothing to read.
    #[error("no host profile in the input")]
    Empty,
    /// A `cpuid -r` line that does not parse.
    #[error("malformed cpuid -r line: {0:?}")]
    CpuidLine(String),
    /// A manifest field name the table does not have.
    #[error("no such field in the {0} table")]
    UnknownField(Kind),
    /// A manifest value that does not fit the field.
    #[error("value {value:#x} does not fit the {width}-bit field")]
    FieldTooWide {
        /// The value.
        value: u64,
        /// Field width.
        width: u8,
    },
    /// A manifest value that is neither a number nor "host".
    #[error("expected a number, a \"0x...\" string or \"host\", found {0}")]
    BadManifestValue(String),
    /// A manifest `base` that is neither "baseline" nor "none".
    #[error("expected \"baseline\" or \"none\", found {0:?}")]
    BadBase(String),
}

/// An input error with its coordinates.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InputError {
    /// The file (or `stdin`, `live:...`).
    pub origin: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// The field or key at fault, when known.
    pub field: Option<String>,
    /// What is wrong.
    pub problem: Problem,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(k) = &self.field {
            write!(f, ": {k}")?;
        }
        write!(f, ": {}", self.problem)
    }
}

fn err(origin: &str, line: Option<usize>, field: Option<&str>, problem: Problem) -> InputError {
    InputError {
        origin: origin.to_string(),
        line,
        field: field.map(str::to_string),
        problem,
    }
}

/// A hex string or a JSON number, as written (borrowed from the input when possible).
#[derive(Debug, Clone, PartialEq, Eq)]
enum HexVal<'a> {
    Str(Cow<'a, str>),
    Num(u64),
}

impl<'de: 'a, 'a> Deserialize<'de> for HexVal<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = HexVal<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a \"0x...\" string or a non-negative integer")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<HexVal<'de>, E> {
                Ok(HexVal::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<HexVal<'de>, E> {
                Ok(HexVal::Str(Cow::Owned(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<HexVal<'de>, E> {
                Ok(HexVal::Num(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<HexVal<'de>, E> {
                Ok(HexVal::Str(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<HexVal<'de>, E> {
                Ok(HexVal::Str(Cow::Owned(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<HexVal<'de>, E> {
                Ok(HexVal::Str(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_any(V)
    }
}

/// Parses `"0x…"` (or bare hex digits when `allow_bare`) into a number.
pub fn parse_hex(s: &str, allow_bare: bool) -> Option<u64> {
    let t = s.trim();
    let digits = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(d) => d,
        None if allow_bare => t,
        None => return None,
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit() || b == b'_') {
        return None;
    }
    let mut n: u64 = 0;
    let mut any = false;
    for b in digits.bytes() {
        if b == b'_' {
            continue;
        }
        let d = (b as char).to_digit(16)?;
        n = n.checked_mul(16)?.checked_add(u64::from(d))?;
        any = true;
    }
    any.then_some(n)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HostJson<'a> {
    #[serde(rename = "type")]
    ty: Option<String>,
    name: Option<String>,
    flags: Option<u64>,
    #[serde(rename = "__reserved")]
    reserved: Option<u64>,
    #[serde(borrow)]
    idr: Option<Vec<HexVal<'a>>>,
    #[serde(borrow)]
    iidr: Option<HexVal<'a>>,
    #[serde(borrow)]
    aidr: Option<HexVal<'a>>,
    #[serde(borrow)]
    cap_reg: Option<HexVal<'a>>,
    #[serde(borrow)]
    ecap_reg: Option<HexVal<'a>>,
    #[serde(borrow)]
    efr: Option<HexVal<'a>>,
    #[serde(borrow)]
    efr2: Option<HexVal<'a>>,
    #[serde(borrow)]
    cpuid: Option<std::collections::BTreeMap<Cow<'a, str>, HexVal<'a>>>,
}

/// A parsed host profile and its name (the `"name"` key, else `origin` or `origin:line`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// Display name.
    pub name: String,
    /// Registers.
    pub regs: RegSet,
}

/// 1-based line of the first occurrence of `"key"` in `text`, if any.
fn line_of(text: &str, key: &str) -> Option<usize> {
    let pat = format!("\"{key}\"");
    text.find(&pat)
        .map(|i| text[..i].bytes().filter(|&b| b == b'\n').count() + 1)
}

/// Parses one host JSON object. `line` is the line the object starts on (JSON lines) or `None`
/// for a whole file, in which case errors locate the offending key in `text`.
pub fn parse_host_json(text: &str, origin: &str, line: Option<usize>) -> Result<Host, InputError> {
    let (regs, name) = parse_host_json_lazy(text, origin, line)?;
    let name = name.map(Cow::into_owned).unwrap_or_else(|| match line {
        Some(l) => format!("{origin}:{l}"),
        None => origin.to_string(),
    });
    Ok(Host { name, regs })
}

/// Like [`parse_host_json`], but returns the `"name"` only when the object has one (borrowed when
/// possible), so a stream of unnamed hosts parses without allocating a name per line.
pub fn parse_host_json_lazy<'a>(
    text: &'a str,
    origin: &str,
    line: Option<usize>,
) -> Result<(RegSet, Option<Cow<'a, str>>), InputError> {
    if let Some((regs, name)) = fast_host(text) {
        return Ok((regs, name.map(Cow::Borrowed)));
    }
    let h = parse_host_json_serde(text, origin, line)?;
    Ok((h.regs, h.explicit_name.map(Cow::Owned)))
}

/// The general path (and the source of every error message).
fn parse_host_json_serde(
    text: &str,
    origin: &str,
    line: Option<usize>,
) -> Result<Parsed, InputError> {
    let h: HostJson = serde_json::from_str(text).map_err(|e| {
        let l = line
            .map(|l| l + e.line().saturating_sub(1))
            .unwrap_or(e.line());
        let msg = e.to_string();
        // serde reports unknown keys as "unknown field `x`, expected ..."
        let field = msg
            .strip_prefix("unknown field `")
            .and_then(|s| s.split('`').next())
            .map(str::to_string);
        InputError {
            origin: origin.to_string(),
            line: Some(l),
            field,
            problem: Problem::Json(msg),
        }
    })?;
    let at = |key: &str| line.or_else(|| line_of(text, key));
    let ty =
        h.ty.as_deref()
            .ok_or_else(|| err(origin, line.or(Some(1)), Some("type"), Problem::Missing))?;
    let kind = Kind::from_type_name(ty).ok_or_else(|| {
        err(
            origin,
            at("type"),
            Some("type"),
            Problem::UnknownType(ty.into()),
        )
    })?;
    let table = kind.table();
    let mut regs = RegSet::zero(kind);
    let value =
        |key: &str, v: &Option<HexVal>, bits: u8, required: bool| -> Result<u64, InputError> {
            let Some(v) = v else {
                return if required {
                    Err(err(origin, line.or(Some(1)), Some(key), Problem::Missing))
                } else {
                    Ok(0)
                };
            };
            hexval(v, bits).map_err(|p| {
                err(
                    origin,
                    at(key.split('[').next().unwrap_or(key)),
                    Some(key),
                    p,
                )
            })
        };
    let unexpected = |key: &str, present: bool| -> Result<(), InputError> {
        if present {
            Err(err(
                origin,
                at(key),
                Some(key),
                Problem::UnexpectedKey(kind),
            ))
        } else {
            Ok(())
        }
    };
    let _ = (h.flags, h.reserved);
    match kind {
        Kind::ArmSmmuV3 => {
            unexpected("cap_reg", h.cap_reg.is_some())?;
            unexpected("ecap_reg", h.ecap_reg.is_some())?;
            unexpected("efr", h.efr.is_some())?;
            unexpected("efr2", h.efr2.is_some())?;
            unexpected("cpuid", h.cpuid.is_some())?;
            let idr = h
                .idr
                .as_ref()
                .ok_or_else(|| err(origin, line.or(Some(1)), Some("idr"), Problem::Missing))?;
            if idr.len() != 6 {
                return Err(err(
                    origin,
                    at("idr"),
                    Some("idr"),
                    Problem::Count {
                        expected: 6,
                        found: idr.len(),
                    },
                ));
            }
            for (i, v) in idr.iter().enumerate() {
                regs.regs[i] = hexval(v, 32)
                    .map_err(|p| err(origin, at("idr"), Some(&format!("idr[{i}]")), p))?;
            }
            regs.regs[tables::smmuv3::IIDR] = value("iidr", &h.iidr, 32, true)?;
            regs.regs[tables::smmuv3::AIDR] = value("aidr", &h.aidr, 32, true)?;
        }
        Kind::IntelVtd => {
            unexpected("idr", h.idr.is_some())?;
            unexpected("iidr", h.iidr.is_some())?;
            unexpected("aidr", h.aidr.is_some())?;
            unexpected("efr", h.efr.is_some())?;
            unexpected("efr2", h.efr2.is_some())?;
            unexpected("cpuid", h.cpuid.is_some())?;
            regs.regs[tables::vtd::CAP] = value("cap_reg", &h.cap_reg, 64, true)?;
            regs.regs[tables::vtd::ECAP] = value("ecap_reg", &h.ecap_reg, 64, true)?;
        }
        Kind::Amd => {
            unexpected("idr", h.idr.is_some())?;
            unexpected("iidr", h.iidr.is_some())?;
            unexpected("aidr", h.aidr.is_some())?;
            unexpected("cap_reg", h.cap_reg.is_some())?;
            unexpected("ecap_reg", h.ecap_reg.is_some())?;
            unexpected("cpuid", h.cpuid.is_some())?;
            regs.regs[tables::amd::EFR] = value("efr", &h.efr, 64, true)?;
            regs.regs[tables::amd::EFR2] = value("efr2", &h.efr2, 64, false)?;
        }
        Kind::X86Cpuid => {
            unexpected("idr", h.idr.is_some())?;
            unexpected("cap_reg", h.cap_reg.is_some())?;
            unexpected("efr", h.efr.is_some())?;
            let map = h
                .cpuid
                .as_ref()
                .ok_or_else(|| err(origin, line.or(Some(1)), Some("cpuid"), Problem::Missing))?;
            for (k, v) in map {
                let r = table.register_index(k).ok_or_else(|| {
                    err(
                        origin,
                        at(k),
                        Some(k),
                        Problem::UnexpectedKey(Kind::X86Cpuid),
                    )
                })?;
                regs.regs[r] = hexval(v, 32).map_err(|p| err(origin, at(k), Some(k), p))?;
            }
        }
    }
    Ok(Parsed {
        regs,
        explicit_name: h.name,
    })
}

/// What the general path found.
struct Parsed {
    regs: RegSet,
    explicit_name: Option<String>,
}

fn hexval(v: &HexVal<'_>, bits: u8) -> Result<u64, Problem> {
    let n = match v {
        HexVal::Num(n) => *n,
        HexVal::Str(s) => parse_hex(s, false).ok_or_else(|| Problem::BadHex(s.to_string()))?,
    };
    if bits < 64 && n >> bits != 0 {
        return Err(Problem::TooWide { value: n, bits });
    }
    Ok(n)
}

/// Parses `cpuid -r` output: lines `0x00000007 0x00: eax=0x… ebx=0x… ecx=0x… edx=0x…` of the first
/// CPU block. Leaves vcap does not track are skipped; missing ones read as zero.
pub fn parse_cpuid_text(text: &str, origin: &str) -> Result<Host, InputError> {
    let mut regs = RegSet::zero(Kind::X86Cpuid);
    let mut seen_cpu = false;
    let mut any = false;
    for (i, raw) in text.lines().enumerate() {
        let lineno = i + 1;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with("CPU") {
            if seen_cpu {
                break;
            }
            seen_cpu = true;
            continue;
        }
        if !line.starts_with("0x") {
            return Err(err(
                origin,
                Some(lineno),
                None,
                Problem::CpuidLine(raw.to_string()),
            ));
        }
        let bad = || {
            err(
                origin,
                Some(lineno),
                None,
                Problem::CpuidLine(raw.to_string()),
            )
        };
        let (head, rest) = line.split_once(':').ok_or_else(bad)?;
        let mut hp = head.split_whitespace();
        let leaf = hp
            .next()
            .and_then(|s| parse_hex(s, false))
            .ok_or_else(bad)?;
        let sub = hp
            .next()
            .and_then(|s| parse_hex(s, false))
            .ok_or_else(bad)?;
        if hp.next().is_some() || leaf > u64::from(u32::MAX) || sub > u64::from(u32::MAX) {
            return Err(bad());
        }
        let mut vals = [None::<u64>; 4];
        for tok in rest.split_whitespace() {
            let (k, v) = tok.split_once('=').ok_or_else(bad)?;
            let idx = match k {
                "eax" => 0,
                "ebx" => 1,
                "ecx" => 2,
                "edx" => 3,
                _ => return Err(bad()),
            };
            let n = parse_hex(v, false).ok_or_else(|| {
                err(
                    origin,
                    Some(lineno),
                    Some(k),
                    Problem::BadHex(v.to_string()),
                )
            })?;
            if n >> 32 != 0 {
                return Err(err(
                    origin,
                    Some(lineno),
                    Some(k),
                    Problem::TooWide { value: n, bits: 32 },
                ));
            }
            vals[idx] = Some(n);
        }
        if vals.iter().any(Option::is_none) {
            return Err(bad());
        }
        any = true;
        for (j, v) in vals.iter().enumerate() {
            if let Some(r) = tables::cpuid::register_of(leaf as u32, sub as u32, j) {
                regs.regs[r] = v.unwrap_or(0);
            }
        }
    }
    if !any {
        return Err(err(origin, None, None, Problem::Empty));
    }
    Ok(Host {
        name: origin.to_string(),
        regs,
    })
}

/// Parses a sysfs hex register file (`d2008c40660462\n`).
pub fn parse_sysfs_hex(text: &str, origin: &str) -> Result<u64, InputError> {
    parse_hex(text, true).ok_or_else(|| {
        err(
            origin,
            Some(1),
            None,
            Problem::BadHex(text.trim().to_string()),
        )
    })
}

/// Parses a host file: one JSON object, JSON lines (one object per line), or `cpuid -r` text.
pub fn parse_hosts(text: &str, origin: &str) -> Result<Vec<Host>, InputError> {
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(err(origin, None, None, Problem::Empty));
    }
    if !trimmed.starts_with('{') {
        return Ok(vec![parse_cpuid_text(text, origin)?]);
    }
    // A whole-file object first; if that fails on trailing data, try JSON lines.
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(_) => Ok(vec![parse_host_json(text, origin, None)?]),
        Err(_) if is_json_lines(text) => {
            let mut out = Vec::new();
            for (i, l) in text.lines().enumerate() {
                if l.trim().is_empty() {
                    continue;
                }
                out.push(parse_host_json(l, origin, Some(i + 1))?);
            }
            Ok(out)
        }
        Err(_) => Err(parse_host_json(text, origin, None).unwrap_err()),
    }
}

/// Whether `text` looks like JSON lines: its first non-empty line is a complete JSON value.
pub fn is_json_lines(text: &str) -> bool {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| serde_json::from_str::<serde_json::Value>(l).is_ok())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestJson {
    #[serde(rename = "type")]
    ty: Option<String>,
    base: Option<String>,
    #[serde(default)]
    fields: std::collections::BTreeMap<String, serde_json::Value>,
    #[serde(default, rename = "comment")]
    _comment: Option<serde_json::Value>,
}

/// Parses a VMM manifest.
pub fn parse_manifest(text: &str, origin: &str) -> Result<Manifest, InputError> {
    let m: ManifestJson = serde_json::from_str(text)
        .map_err(|e| err(origin, Some(e.line()), None, Problem::Json(e.to_string())))?;
    let ty =
        m.ty.as_deref()
            .ok_or_else(|| err(origin, Some(1), Some("type"), Problem::Missing))?;
    let kind = Kind::from_type_name(ty).ok_or_else(|| {
        err(
            origin,
            line_of(text, "type"),
            Some("type"),
            Problem::UnknownType(ty.into()),
        )
    })?;
    let baseline = match m.base.as_deref() {
        None | Some("baseline") => true,
        Some("none") => false,
        Some(other) => {
            return Err(err(
                origin,
                line_of(text, "base"),
                Some("base"),
                Problem::BadBase(other.to_string()),
            ));
        }
    };
    let table = kind.table();
    let mut fields = std::collections::BTreeMap::new();
    for (name, v) in &m.fields {
        let at = line_of(text, name);
        let idx = table
            .fields
            .iter()
            .position(|f| table.full_name(f) == *name)
            .ok_or_else(|| err(origin, at, Some(name), Problem::UnknownField(kind)))?;
        let f = &table.fields[idx];
        let mv = match v {
            serde_json::Value::String(s) if s == "host" => ManifestValue::Host,
            serde_json::Value::String(s) => ManifestValue::Value(
                parse_hex(s, false)
                    .ok_or_else(|| err(origin, at, Some(name), Problem::BadHex(s.clone())))?,
            ),
            serde_json::Value::Number(n) if n.as_u64().is_some() => {
                ManifestValue::Value(n.as_u64().unwrap_or(0))
            }
            serde_json::Value::Bool(b) => ManifestValue::Value(u64::from(*b)),
            other => {
                return Err(err(
                    origin,
                    at,
                    Some(name),
                    Problem::BadManifestValue(other.to_string()),
                ));
            }
        };
        if let ManifestValue::Value(x) = mv
            && x & !f.value_mask() != 0
        {
            return Err(err(
                origin,
                at,
                Some(name),
                Problem::FieldTooWide {
                    value: x,
                    width: f.width,
                },
            ));
        }
        fields.insert(idx, mv);
    }
    Ok(Manifest {
        kind,
        baseline,
        fields,
    })
}

/// Builds a register set from raw values in table order (for tests and the CLI's live reads).
pub fn regset(kind: Kind, values: &[u64]) -> RegSet {
    let mut r = RegSet::zero(kind);
    for (i, v) in values.iter().enumerate().take(MAX_REGS) {
        r.regs[i] = *v;
    }
    r
}

/// The general (serde) path alone, without the fast path (for the benchmark that weighs the two).
#[doc(hidden)]
pub fn parse_host_json_general(
    text: &str,
    origin: &str,
    line: Option<usize>,
) -> Result<RegSet, InputError> {
    parse_host_json_serde(text, origin, line).map(|p| p.regs)
}

/// Whether the fast path accepts `text` and agrees with the general path (for tests).
#[doc(hidden)]
pub fn fast_path_agrees(text: &str) -> Option<bool> {
    let (regs, name) = fast_host(text)?;
    Some(match parse_host_json_serde(text, "x", Some(1)) {
        Ok(slow) => slow.regs == regs && name == slow.explicit_name.as_deref(),
        Err(_) => false,
    })
}

/// A fast path for the common case: one flat host object (no escapes, no `cpuid` map) that is
/// entirely valid. Anything else returns `None` and goes through serde, which also produces the
/// error messages; the two agree on every input the fast path accepts (property-tested).
fn fast_host(text: &str) -> Option<(RegSet, Option<&str>)> {
    let b = text.as_bytes();
    let mut i = 0usize;
    let ws = |i: &mut usize| {
        while *i < b.len() && matches!(b[*i], b' ' | b'\t' | b'\n' | b'\r') {
            *i += 1;
        }
    };
    let string = |i: &mut usize| -> Option<&str> {
        if b.get(*i) != Some(&b'"') {
            return None;
        }
        let start = *i + 1;
        let mut j = start;
        while j < b.len() && b[j] != b'"' {
            if b[j] == b'\\' || b[j] < 0x20 {
                return None;
            }
            j += 1;
        }
        if j >= b.len() {
            return None;
        }
        *i = j + 1;
        text.get(start..j)
    };
    #[derive(Clone, Copy)]
    enum Val<'a> {
        S(&'a str),
        N(u64),
    }
    let scalar = |i: &mut usize| -> Option<Val<'_>> {
        match b.get(*i)? {
            b'"' => string(i).map(Val::S),
            b'0'..=b'9' => {
                let start = *i;
                while *i < b.len() && b[*i].is_ascii_digit() {
                    *i += 1;
                }
                // JSON forbids leading zeros ("09633"): decline, and let serde name the error.
                if matches!(b.get(*i), Some(b'.' | b'e' | b'E'))
                    || (b[start] == b'0' && *i - start > 1)
                {
                    return None;
                }
                text[start..*i].parse().ok().map(Val::N)
            }
            _ => None,
        }
    };
    ws(&mut i);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    let mut ty = None;
    let mut name = None;
    let mut idr: [Option<Val<'_>>; 6] = [None; 6];
    let mut nidr = None;
    let mut one: [Option<Val<'_>>; 6] = [None; 6]; // iidr aidr cap_reg ecap_reg efr efr2
    let mut seen = 0u32;
    loop {
        ws(&mut i);
        let key = string(&mut i)?;
        ws(&mut i);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i += 1;
        ws(&mut i);
        let slot = match key {
            "type" => 0,
            "name" => 1,
            "idr" => 2,
            "iidr" => 3,
            "aidr" => 4,
            "cap_reg" => 5,
            "ecap_reg" => 6,
            "efr" => 7,
            "efr2" => 8,
            "flags" => 9,
            "__reserved" => 10,
            _ => return None,
        };
        if seen & (1 << slot) != 0 {
            return None;
        }
        seen |= 1 << slot;
        match slot {
            0 => ty = Some(string(&mut i)?),
            1 => name = Some(string(&mut i)?),
            2 => {
                if b.get(i) != Some(&b'[') {
                    return None;
                }
                i += 1;
                let mut n = 0;
                ws(&mut i);
                if b.get(i) == Some(&b']') {
                    return None;
                }
                loop {
                    ws(&mut i);
                    let v = scalar(&mut i)?;
                    if n >= 6 {
                        return None;
                    }
                    idr[n] = Some(v);
                    n += 1;
                    ws(&mut i);
                    match b.get(i)? {
                        b',' => i += 1,
                        b']' => {
                            i += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
                nidr = Some(n);
            }
            9 | 10 => match scalar(&mut i)? {
                Val::N(_) => {}
                Val::S(_) => return None,
            },
            s => one[s - 3] = Some(scalar(&mut i)?),
        }
        ws(&mut i);
        match b.get(i)? {
            b',' => i += 1,
            b'}' => {
                i += 1;
                break;
            }
            _ => return None,
        }
    }
    ws(&mut i);
    if i != b.len() {
        return None;
    }
    let num = |v: Option<Val<'_>>, bits: u8| -> Option<u64> {
        let n = match v? {
            Val::N(n) => n,
            Val::S(s) => parse_hex(s, false)?,
        };
        (bits >= 64 || n >> bits == 0).then_some(n)
    };
    let kind = Kind::from_type_name(ty?)?;
    let mut regs = RegSet::zero(kind);
    let has = |s: usize| seen & (1 << s) != 0;
    match kind {
        Kind::ArmSmmuV3 => {
            if has(5) || has(6) || has(7) || has(8) || nidr != Some(6) {
                return None;
            }
            for (k, v) in idr.iter().enumerate() {
                regs.regs[k] = num(*v, 32)?;
            }
            regs.regs[tables::smmuv3::IIDR] = num(one[0], 32)?;
            regs.regs[tables::smmuv3::AIDR] = num(one[1], 32)?;
        }
        Kind::IntelVtd => {
            if has(2) || has(3) || has(4) || has(7) || has(8) {
                return None;
            }
            regs.regs[tables::vtd::CAP] = num(one[2], 64)?;
            regs.regs[tables::vtd::ECAP] = num(one[3], 64)?;
        }
        Kind::Amd => {
            if has(2) || has(3) || has(4) || has(5) || has(6) {
                return None;
            }
            regs.regs[tables::amd::EFR] = num(one[4], 64)?;
            regs.regs[tables::amd::EFR2] = if has(8) { num(one[5], 64)? } else { 0 };
        }
        Kind::X86Cpuid => return None,
    }
    Some((regs, name))
}
