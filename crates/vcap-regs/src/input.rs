//! Parsing the input formats (pure: text in, values out). Every error names the origin (file),
//! the line (and column, for JSON), the field at fault and what was expected; an offending line is
//! quoted cut to [`EXCERPT`] characters.
//!
//! * Host JSON, shaped like the kernel structs: `{"type": "arm_smmuv3", "idr": ["0x…" ×6],
//!   "iidr": "0x…", "aidr": "0x…"}`, `{"type": "intel_vtd", "cap_reg": "0x…", "ecap_reg":
//!   "0x…"}`, `{"type": "amd", "efr": "0x…", "efr2": "0x…"}`, `{"type": "x86_cpuid", "cpuid":
//!   {"CPUID.0x1.0x0.ECX": "0x…", …}}`; an optional `"name"`. One object per file, or one per
//!   line (JSON lines). Parsed by serde in two passes (the `type`, then that type's own struct
//!   with `deny_unknown_fields`), located by `serde_path_to_error`.
//! * `cpuid -r` text: every CPU block, folded into one host.
//! * sysfs hex (`/sys/class/iommu/*/intel-iommu/{cap,ecap}`: hex digits without `0x`).
//! * The VMM manifest: `{"type": …, "base": "baseline" | "none", "fields": {"IDR0.ATS": 1 |
//!   "0x1" | "host"}}`.

#![allow(
    clippy::result_large_err,
    reason = "an InputError carries its coordinates (origin, line, column, offset, field) by value; errors are the cold path"
)]

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::hex::Prefix;
use crate::model::{Kind, MAX_REGS, RegSet};
use crate::sanitize::{Manifest, ManifestValue};
use crate::tables;

/// How many characters of an offending line or value an error quotes.
pub const EXCERPT: usize = 80;

/// `s` cut to [`EXCERPT`] characters (on a character boundary), with `…` when cut.
pub fn excerpt(s: &str) -> String {
    excerpt_n(s, EXCERPT)
}

/// What is wrong with an input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// Not JSON (a syntax error).
    #[error("malformed JSON: {0}")]
    Json(String),
    /// JSON of the wrong shape: a value of the wrong type, an unknown or missing key (serde's
    /// words, which name what was expected).
    #[error("{0}")]
    Shape(String),
    /// A required key is missing.
    #[error("missing")]
    Missing,
    /// A libvirt `<cpu>` definition vcap cannot read (unknown model or feature, a feature
    /// outside the leaves vcap reads, malformed XML).
    #[error("{0}")]
    Libvirt(String),
    /// Not a hex number.
    #[error("{0:?} is not a hex number (expected \"0x...\")")]
    BadHex(String),
    /// A JSON integer beyond 64 bits.
    #[error("the integer {0} does not fit in 64 bits")]
    NumberTooBig(String),
    /// More bits than the register has.
    #[error("value {value:#x} is wider than the {bits}-bit register")]
    TooWide {
        /// The value.
        value: u64,
        /// Register width.
        bits: u8,
    },
    /// The `type` is not one vcap knows.
    #[error(
        "unknown register type {0:?} (expected arm_smmuv3, intel_vtd, amd, x86_cpuid, arm64_id or kvm_cpuid2)"
    )]
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
    /// A `cpuid -r` line that gives one register twice.
    #[error("the register is given twice on this line")]
    RegisterTwice,
    /// Text in no format vcap reads.
    #[error(
        "not a host file: expected a JSON object, JSON lines, `cpuid -r` text or a libvirt <cpu>, found {0:?}"
    )]
    NotHostFormat(String),
    /// Binary data where text was expected.
    #[error(
        "binary data (a NUL byte), not a host file: expected JSON, JSON lines, `cpuid -r` text or a struct kvm_cpuid2 (raw iommufd hw_info needs --hw-info TYPE)"
    )]
    Binary,
    /// Bytes that are not UTF-8.
    #[error("not UTF-8 text")]
    NotUtf8,
    /// A line longer than the limit.
    #[error("line longer than {0} bytes (no host file has such lines): {1:?}")]
    LineTooLong(usize, String),
    /// An input bigger than the limit for its format.
    #[error(
        "more than {0} bytes (the limit for a whole-file host format; JSON lines stream without a limit)"
    )]
    TooLarge(u64),
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
    /// A tracked CPUID leaf the dump lacks although the CPU has it (or may have it).
    #[error(
        "leaf {leaf:#x} subleaf {subleaf:#x} is missing from the dump ({why}); it would leave unknown: {fields}"
    )]
    MissingLeaf {
        /// Leaf.
        leaf: u32,
        /// Subleaf.
        subleaf: u32,
        /// Why its absence is not "unsupported".
        why: &'static str,
        /// The fields it carries.
        fields: String,
    },
    /// The CPUs of one `cpuid -r` dump do not fold into one host.
    #[error("the CPUs of this dump have no common profile: {0}")]
    CpusDiffer(String),
}

/// An input error with its coordinates.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InputError {
    /// The file (or `stdin`, `live:...`).
    pub origin: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known (JSON).
    pub column: Option<usize>,
    /// Byte offset in the input, when it helps (binary data, a bad line).
    pub offset: Option<u64>,
    /// The field or key at fault, when known (`idr[2]`, `cpuid.CPUID.0x1.0x0.EAX`).
    pub field: Option<String>,
    /// What is wrong.
    pub problem: Problem,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        if let Some(k) = &self.field {
            write!(f, ": {k}")?;
        }
        write!(f, ": {}", self.problem)?;
        if let Some(o) = self.offset {
            write!(f, " (byte offset {o})")?;
        }
        Ok(())
    }
}

impl InputError {
    /// An error at `origin`, optionally at a line and a field.
    pub fn new(origin: &str, line: Option<usize>, field: Option<&str>, problem: Problem) -> Self {
        InputError {
            origin: origin.to_string(),
            line,
            column: None,
            offset: None,
            field: field.map(str::to_string),
            problem,
        }
    }

    /// The same error at byte offset `offset`.
    pub fn at_offset(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }
}

fn err(origin: &str, line: Option<usize>, field: Option<&str>, problem: Problem) -> InputError {
    InputError::new(origin, line, field, problem)
}

/// A 64-bit value through the one hex parser ([`crate::hex`]).
fn hex64(s: &str, prefix: Prefix) -> Option<u64> {
    crate::hex::parse(s, prefix, 64).ok()
}

/// A register value in JSON: a `"0x…"` string or a non-negative integer, at most `BITS` wide.
/// Read through the raw JSON text, so an integer beyond 64 bits is quoted as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Hex<const BITS: u8>(u64);

/// Checks a register value against the register width.
fn fits(value: u64, bits: u8) -> Result<u64, Problem> {
    if bits < 64 && value >> bits != 0 {
        Err(Problem::TooWide { value, bits })
    } else {
        Ok(value)
    }
}

/// Reads a register value from its raw JSON text.
fn hex_from_raw(raw: &str, bits: u8) -> Result<u64, Problem> {
    let t = raw.trim();
    if t.starts_with('"') {
        let s: Cow<'_, str> = serde_json::from_str(t).map_err(|e| Problem::Shape(e.to_string()))?;
        let n = hex64(&s, Prefix::Required).ok_or_else(|| Problem::BadHex(excerpt(&s)))?;
        return fits(n, bits);
    }
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        // JSON forbids leading zeros; serde_json has already refused them before we get here.
        return match t.parse::<u64>() {
            Ok(n) => fits(n, bits),
            Err(_) => Err(Problem::NumberTooBig(excerpt(t))),
        };
    }
    let what = match t.as_bytes().first() {
        Some(b'{') => "an object".to_string(),
        Some(b'[') => "an array".to_string(),
        _ => format!("`{}`", excerpt(t)),
    };
    Err(Problem::Shape(format!(
        "invalid value: {what}, expected a \"0x...\" string or a non-negative integer"
    )))
}

impl<'de, const BITS: u8> Deserialize<'de> for Hex<BITS> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = <&serde_json::value::RawValue>::deserialize(d)?;
        hex_from_raw(raw.get(), BITS)
            .map(Hex)
            .map_err(|p| de::Error::custom(Marked(p)))
    }
}

/// A [`Problem`] carried through serde's error string: `\u{1}` + the problem's JSON-free text.
/// The error mapping turns the message back into the problem (see [`problem_of`]).
struct Marked(Problem);

impl fmt::Display for Marked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\u{1}{}", self.0)
    }
}

/// The six SMMUv3 IDRs: exactly six entries.
#[derive(Debug)]
struct Idr([u64; 6]);

impl<'de> Deserialize<'de> for Idr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Idr;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of six \"0x...\" register values (IDR0..IDR5)")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Idr, A::Error> {
                let mut out = [0u64; 6];
                let mut n = 0usize;
                while let Some(Hex(v)) = seq.next_element::<Hex<32>>()? {
                    if let Some(slot) = out.get_mut(n) {
                        *slot = v;
                    }
                    n = n.saturating_add(1);
                }
                if n != 6 {
                    return Err(de::Error::custom(Marked(Problem::Count {
                        expected: 6,
                        found: n,
                    })));
                }
                Ok(Idr(out))
            }
        }
        d.deserialize_seq(V)
    }
}

/// A CPUID register name of the table (`CPUID.0x1.0x0.ECX`), as its index.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct CpuidReg(usize);

impl<'de> Deserialize<'de> for CpuidReg {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Cow::<'de, str>::deserialize(d)?;
        tables::cpuid::TABLE
            .register_index(&s)
            .map(CpuidReg)
            .ok_or_else(|| {
                de::Error::custom(Marked(Problem::Shape(format!(
                    "unknown register {:?}, expected one of `CPUID.<leaf>.<subleaf>.<EAX|EBX|ECX|EDX>` for the leaves {}",
                    excerpt(&s),
                    tables::cpuid::leaf_list()
                ))))
            })
    }
}

/// Only the `type` (the first pass; every other key is skipped).
#[derive(Debug, Deserialize)]
struct TypeTag<'a> {
    #[serde(rename = "type", borrow, default)]
    ty: Option<Cow<'a, str>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SmmuJson<'a> {
    #[serde(rename = "type")]
    _ty: de::IgnoredAny,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(default)]
    flags: Option<Hex<32>>,
    #[serde(rename = "__reserved", default)]
    reserved: Option<Hex<32>>,
    idr: Idr,
    iidr: Hex<32>,
    aidr: Hex<32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VtdJson<'a> {
    #[serde(rename = "type")]
    _ty: de::IgnoredAny,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(default)]
    flags: Option<Hex<32>>,
    #[serde(rename = "__reserved", default)]
    reserved: Option<Hex<32>>,
    cap_reg: Hex<64>,
    ecap_reg: Hex<64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AmdJson<'a> {
    #[serde(rename = "type")]
    _ty: de::IgnoredAny,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    efr: Hex<64>,
    #[serde(default)]
    efr2: Option<Hex<64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CpuidJson<'a> {
    #[serde(rename = "type")]
    _ty: de::IgnoredAny,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    cpuid: std::collections::BTreeMap<CpuidReg, Hex<32>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Arm64Json<'a> {
    #[serde(rename = "type")]
    _ty: de::IgnoredAny,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    regs: Arm64Regs,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case, reason = "the architectural register names")]
struct Arm64Regs {
    ID_AA64PFR0_EL1: Hex<64>,
    ID_AA64ISAR0_EL1: Hex<64>,
    ID_AA64MMFR0_EL1: Hex<64>,
    ID_AA64ISAR1_EL1: Hex<64>,
    ID_AA64ISAR2_EL1: Hex<64>,
    ID_AA64PFR1_EL1: Hex<64>,
    ID_AA64MMFR1_EL1: Hex<64>,
    ID_AA64MMFR2_EL1: Hex<64>,
    ID_AA64ZFR0_EL1: Hex<64>,
    ID_AA64DFR0_EL1: Hex<64>,
    // Optional (added after the first ten): absent is unknown, never zero.
    #[serde(default)]
    ID_AA64MMFR3_EL1: Option<Hex<64>>,
    #[serde(default)]
    ID_AA64SMFR0_EL1: Option<Hex<64>>,
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

/// Turns a serde error message back into a [`Problem`]: ours (marked), a syntax error, or
/// serde's own words about the shape. Messages are cut to a readable length.
fn problem_of(msg: &str, syntax: bool) -> Problem {
    if let Some(i) = msg.find('\u{1}') {
        let rest = &msg[i + 1..];
        // Our problems display the same text we would build again; keep it.
        return Problem::Shape(rest.to_string());
    }
    let cut = if msg.chars().count() > 4 * EXCERPT {
        excerpt_n(msg, 4 * EXCERPT)
    } else {
        msg.to_string()
    };
    if syntax {
        Problem::Json(cut)
    } else {
        Problem::Shape(cut)
    }
}

/// `s` cut to `n` characters.
fn excerpt_n(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Deserializes `text` as `T`, locating any error: line (offset by `first_line - 1`), column,
/// the path of the field (`idr[2]`), and the problem without serde's own "at line … column …".
/// (Valid input is parsed once; invalid input twice.)
fn from_json<'a, T: Deserialize<'a>>(
    text: &'a str,
    origin: &str,
    first_line: usize,
) -> Result<T, InputError> {
    // The common case, valid input, without the path bookkeeping; only an error is parsed again
    // with `serde_path_to_error` to name the field.
    if let Ok(v) = serde_json::from_str::<T>(text) {
        return Ok(v);
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let result = serde_path_to_error::deserialize::<_, T>(&mut de)
        .map_err(|e| {
            let path = e.path().to_string();
            (Some(path), e.into_inner())
        })
        .and_then(|v| de.end().map(|()| v).map_err(|e| (None, e)));
    result.map_err(|(path, e)| {
        let msg = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let msg = msg.strip_suffix(&suffix).unwrap_or(&msg);
        let syntax = e.is_syntax() || e.is_eof();
        let mut field = path.filter(|p| p != "." && p != "?");
        // serde names unknown and missing keys in its message, not in the path.
        for pre in ["unknown field `", "missing field `"] {
            if let Some(k) = msg.strip_prefix(pre).and_then(|s| s.split('`').next()) {
                field = Some(match field {
                    Some(p) if p == k || p.ends_with(&format!(".{k}")) => p,
                    Some(p) => format!("{p}.{k}"),
                    None => k.to_string(),
                });
            }
        }
        InputError {
            origin: origin.to_string(),
            line: (e.line() > 0).then(|| first_line + e.line() - 1),
            column: (e.line() > 0).then_some(e.column()),
            offset: None,
            field: field.map(|f| excerpt(&f)),
            problem: problem_of(msg, syntax),
        }
    })
}

/// Parses one host JSON object. `line` is the line the object starts on (JSON lines) or `None`
/// for a whole file.
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
    let first = line.unwrap_or(1);
    let tag: TypeTag<'a> = from_json(text, origin, first)?;
    let ty = tag
        .ty
        .ok_or_else(|| err(origin, Some(first), Some("type"), Problem::Missing))?;
    if ty == "kvm_cpuid2" {
        let doc: crate::kvm::Cpuid2Json = from_json(text, origin, first)?;
        let regs = crate::kvm::to_regset(&doc.entries).map_err(|e| {
            err(
                origin,
                line.or_else(|| line_of(text, "entries")),
                Some("entries"),
                Problem::Shape(e.to_string()),
            )
        })?;
        return Ok((regs, doc.name.map(Cow::Owned)));
    }
    let kind = Kind::from_type_name(&ty).ok_or_else(|| {
        err(
            origin,
            line.or_else(|| line_of(text, "type")),
            Some("type"),
            Problem::UnknownType(excerpt(&ty)),
        )
    })?;
    let mut regs = RegSet::zero(kind);
    let name = match kind {
        Kind::Arm64Id => {
            let h: Arm64Json<'a> = from_json(text, origin, first)?;
            regs.regs[tables::arm64::PFR0] = h.regs.ID_AA64PFR0_EL1.0;
            regs.regs[tables::arm64::ISAR0] = h.regs.ID_AA64ISAR0_EL1.0;
            regs.regs[tables::arm64::MMFR0] = h.regs.ID_AA64MMFR0_EL1.0;
            regs.regs[tables::arm64::ISAR1] = h.regs.ID_AA64ISAR1_EL1.0;
            regs.regs[tables::arm64::ISAR2] = h.regs.ID_AA64ISAR2_EL1.0;
            regs.regs[tables::arm64::PFR1] = h.regs.ID_AA64PFR1_EL1.0;
            regs.regs[tables::arm64::MMFR1] = h.regs.ID_AA64MMFR1_EL1.0;
            regs.regs[tables::arm64::MMFR2] = h.regs.ID_AA64MMFR2_EL1.0;
            regs.regs[tables::arm64::ZFR0] = h.regs.ID_AA64ZFR0_EL1.0;
            regs.regs[tables::arm64::DFR0] = h.regs.ID_AA64DFR0_EL1.0;
            for (r, v) in [
                (tables::arm64::MMFR3, h.regs.ID_AA64MMFR3_EL1),
                (tables::arm64::SMFR0, h.regs.ID_AA64SMFR0_EL1),
            ] {
                match v {
                    Some(Hex(v)) => regs.regs[r] = v,
                    None => regs.unknown |= 1u128 << r,
                }
            }
            h.name
        }
        Kind::ArmSmmuV3 => {
            let h: SmmuJson<'a> = from_json(text, origin, first)?;
            let _ = (h.flags, h.reserved);
            regs.regs[..6].copy_from_slice(&h.idr.0);
            regs.regs[tables::smmuv3::IIDR] = h.iidr.0;
            regs.regs[tables::smmuv3::AIDR] = h.aidr.0;
            h.name
        }
        Kind::IntelVtd => {
            let h: VtdJson<'a> = from_json(text, origin, first)?;
            let _ = (h.flags, h.reserved);
            regs.regs[tables::vtd::CAP] = h.cap_reg.0;
            regs.regs[tables::vtd::ECAP] = h.ecap_reg.0;
            h.name
        }
        Kind::Amd => {
            let h: AmdJson<'a> = from_json(text, origin, first)?;
            regs.regs[tables::amd::EFR] = h.efr.0;
            regs.regs[tables::amd::EFR2] = h.efr2.map_or(0, |v| v.0);
            h.name
        }
        Kind::X86Cpuid => {
            let h: CpuidJson<'a> = from_json(text, origin, first)?;
            let t = kind.table();
            let mut seen = [false; MAX_REGS];
            for (CpuidReg(r), Hex(v)) in h.cpuid {
                regs.regs[r] = v;
                seen[r] = true;
            }
            // A register left out is unknown, not zero. The required registers must all be
            // written (a leaf the CPU lacks is written as zeros, the architectural value); an
            // optional one left out stays unknown (`RegSet::unknown`).
            for r in (0..t.registers.len()).filter(|&r| !seen[r] && t.is_optional(r)) {
                regs.unknown |= 1u128 << r;
            }
            let missing: Vec<&str> = (0..t.registers.len())
                .filter(|&r| !seen[r] && !t.is_optional(r))
                .map(|r| t.registers[r].name)
                .collect();
            if !missing.is_empty() {
                return Err(err(
                    origin,
                    line.or_else(|| line_of(text, "cpuid")),
                    Some("cpuid"),
                    Problem::Shape(format!(
                        "{} register(s) missing, which would read as unknown: {} (write a leaf the CPU lacks as zeros)",
                        missing.len(),
                        missing.join(", ")
                    )),
                ));
            }
            h.name
        }
    };
    Ok((regs, name))
}

/// One CPU's leaves as a `cpuid -r` dump gives them: `(leaf, subleaf) -> [eax, ebx, ecx, edx]`.
pub type CpuidLeaves = std::collections::BTreeMap<(u32, u32), [u32; 4]>;

/// Parses `cpuid -r` output into its CPU blocks (`CPU:` or `CPU n:` headers; a dump without a
/// header is one CPU), each the leaves it lists. Lines are `0x00000007 0x00: eax=0x… ebx=0x…
/// ecx=0x… edx=0x…`, each register exactly once; a bad line is quoted (cut) with its line number
/// and byte offset. This is vcap's one `cpuid -r` reader: vcap-core's snapshot `cpuid.txt`
/// (`vcap_core::parse::cpuid::CpuidDump::parse`) is read by it too.
pub fn parse_cpuid_blocks(text: &str, origin: &str) -> Result<Vec<CpuidLeaves>, InputError> {
    let mut cpus: Vec<CpuidLeaves> = Vec::new();
    let mut offset = 0u64;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let at = offset;
        offset = offset.saturating_add(raw.len() as u64);
        let raw = raw.trim_end_matches(['\n', '\r']);
        let lineno = i + 1;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let bad =
            || err(origin, Some(lineno), None, Problem::CpuidLine(excerpt(raw))).at_offset(at);
        if line.starts_with("CPU") && line.ends_with(':') {
            cpus.push(CpuidLeaves::new());
            continue;
        }
        if !line.starts_with("0x") {
            return Err(bad());
        }
        let (head, rest) = line.split_once(':').ok_or_else(bad)?;
        let mut hp = head.split_whitespace();
        let mut num = || {
            hp.next()
                .and_then(|s| crate::hex::parse(s, Prefix::Required, 32).ok())
                .and_then(|n| u32::try_from(n).ok())
        };
        let (Some(leaf), Some(sub)) = (num(), num()) else {
            return Err(bad());
        };
        if hp.next().is_some() {
            return Err(bad());
        }
        let mut vals = [None::<u32>; 4];
        for tok in rest.split_whitespace() {
            let (k, v) = tok.split_once('=').ok_or_else(bad)?;
            let idx = match k {
                "eax" => 0,
                "ebx" => 1,
                "ecx" => 2,
                "edx" => 3,
                _ => return Err(bad()),
            };
            let n = hex64(v, Prefix::Required).ok_or_else(|| {
                err(origin, Some(lineno), Some(k), Problem::BadHex(excerpt(v))).at_offset(at)
            })?;
            let n = u32::try_from(n).map_err(|_| {
                err(
                    origin,
                    Some(lineno),
                    Some(k),
                    Problem::TooWide { value: n, bits: 32 },
                )
                .at_offset(at)
            })?;
            if vals[idx].replace(n).is_some() {
                return Err(
                    err(origin, Some(lineno), Some(k), Problem::RegisterTwice).at_offset(at)
                );
            }
        }
        let [Some(a), Some(b), Some(c), Some(d)] = vals else {
            return Err(bad());
        };
        if cpus.is_empty() {
            cpus.push(CpuidLeaves::new());
        }
        if let Some(cpu) = cpus.last_mut() {
            cpu.insert((leaf, sub), [a, b, c, d]);
        }
    }
    cpus.retain(|c| !c.is_empty());
    if cpus.is_empty() {
        return Err(err(origin, None, None, Problem::Empty));
    }
    Ok(cpus)
}

/// Parses `cpuid -r` output and folds every CPU block into one host (a machine offers what all
/// its CPUs offer; see [`parse_cpuid_blocks`] for the lines). Leaves vcap does not track are
/// skipped; see [`crate::tables::cpuid::regset_from_leaves`] for the leaves it needs.
pub fn parse_cpuid_text(text: &str, origin: &str) -> Result<Host, InputError> {
    host_from_cpus(&parse_cpuid_blocks(text, origin)?, origin)
}

/// Folds the CPUs of a dump ([`parse_cpuid_blocks`], or leaves a probe read) into one host named
/// `origin`; errors name `origin` and the CPU.
pub fn host_from_cpus(cpus: &[CpuidLeaves], origin: &str) -> Result<Host, InputError> {
    let n = cpus.len();
    let mut fold = crate::Baseline::new();
    for (i, leaves) in cpus.iter().enumerate() {
        let regs = tables::cpuid::regset_from_leaves(leaves)
            .map_err(|p| err(origin, None, Some(&format!("CPU {i}")), p))?;
        fold.add(&regs, &format!("CPU {i}"))
            .map_err(|e| err(origin, None, None, Problem::CpusDiffer(e.to_string())))?;
    }
    let r = fold
        .finish()
        .map_err(|e| err(origin, None, None, Problem::CpusDiffer(e.to_string())))?;
    Ok(Host {
        name: if n == 1 {
            origin.to_string()
        } else {
            format!("{origin} ({n} CPUs folded)")
        },
        regs: r.profile,
    })
}

/// Parses a sysfs hex register file (`d2008c40660462\n`).
pub fn parse_sysfs_hex(text: &str, origin: &str) -> Result<u64, InputError> {
    hex64(text, Prefix::Optional).ok_or_else(|| {
        err(
            origin,
            Some(1),
            None,
            Problem::BadHex(text.trim().to_string()),
        )
    })
}

/// Which host format a text is in, from its first non-blank line (see [`detect_format`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object (possibly over several lines).
    JsonObject,
    /// One JSON object per line.
    JsonLines,
    /// `cpuid -r` text.
    CpuidText,
    /// A libvirt `<cpu>` element (see [`crate::libvirt::CpuDef::parse_xml`]).
    LibvirtXml,
}

/// Decides the format of a host file from its first non-blank line: `{` starts JSON (JSON lines
/// when that line is a whole JSON value), `CPU` or `0x` starts `cpuid -r` text; anything else
/// (a JSON array, prose, binary) is an error that quotes the line; `<cpu` starts a libvirt CPU
/// definition.
pub fn detect_format(first_line: &str, origin: &str, lineno: usize) -> Result<Format, InputError> {
    let t = first_line.trim();
    if t.starts_with('{') {
        return Ok(if serde_json::from_str::<de::IgnoredAny>(t).is_ok() {
            Format::JsonLines
        } else {
            Format::JsonObject
        });
    }
    if t.starts_with("CPU") || t.starts_with("0x") {
        return Ok(Format::CpuidText);
    }
    if t.starts_with("<cpu") {
        return Ok(Format::LibvirtXml);
    }
    Err(err(
        origin,
        Some(lineno),
        None,
        Problem::NotHostFormat(excerpt(t)),
    ))
}

/// Checks that `bytes` are text: no NUL byte (binary data) and valid UTF-8; errors give the byte
/// offset (`base` is the offset of `bytes` in the input) and the 1-based line.
pub fn check_text<'a>(
    bytes: &'a [u8],
    origin: &str,
    base: u64,
    first_line: usize,
) -> Result<&'a str, InputError> {
    let line_at = |i: usize| first_line + bytes[..i].iter().filter(|&&b| b == b'\n').count();
    if let Some(i) = bytes.iter().position(|&b| b == 0) {
        return Err(err(origin, Some(line_at(i)), None, Problem::Binary)
            .at_offset(base.saturating_add(i as u64)));
    }
    std::str::from_utf8(bytes).map_err(|e| {
        let i = e.valid_up_to();
        err(origin, Some(line_at(i)), None, Problem::NotUtf8)
            .at_offset(base.saturating_add(i as u64))
    })
}

/// Parses a host file: one JSON object, JSON lines (one object per line), or `cpuid -r` text.
pub fn parse_hosts(text: &str, origin: &str) -> Result<Vec<Host>, InputError> {
    let Some((i, first)) = text.lines().enumerate().find(|(_, l)| !l.trim().is_empty()) else {
        return Err(err(origin, None, None, Problem::Empty));
    };
    check_text(text.as_bytes(), origin, 0, 1)?;
    match detect_format(first, origin, i + 1)? {
        Format::CpuidText => Ok(vec![parse_cpuid_text(text, origin)?]),
        Format::LibvirtXml => {
            let regs = crate::libvirt::CpuDef::parse_xml(text)
                .and_then(|d| d.to_regset())
                .map_err(|e| err(origin, None, None, Problem::Libvirt(e.to_string())))?;
            Ok(vec![Host {
                name: origin.to_string(),
                regs,
            }])
        }
        Format::JsonObject => Ok(vec![parse_host_json(text, origin, None)?]),
        Format::JsonLines => {
            let mut out = Vec::new();
            for (i, l) in text.lines().enumerate() {
                if l.trim().is_empty() {
                    continue;
                }
                out.push(parse_host_json(l, origin, Some(i + 1))?);
            }
            Ok(out)
        }
    }
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
    let m: ManifestJson = from_json(text, origin, 1)?;
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
                hex64(s, Prefix::Required)
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
