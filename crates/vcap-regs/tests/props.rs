//! Property tests: the baseline fold is associative and commutative (so any grouping or order of
//! hosts gives the same profile, or the same failure), the compiled plan agrees with the
//! explanation, and a baseline runs on every host it was made from.

use proptest::prelude::*;
use vcap_regs::sanitize::ManifestValue;
use vcap_regs::{Baseline, Context, Kind, Plan, RegSet, Rule, Verdict, VmFlag, compare, explain};

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::ArmSmmuV3),
        Just(Kind::IntelVtd),
        Just(Kind::Amd),
        Just(Kind::X86Cpuid),
        Just(Kind::Arm64Id)
    ]
}

/// A register set whose field values come from a small pool per field (so equal and unequal
/// values, 0 and max, all occur), plus random unknown bits.
fn regset_from(kind: Kind, seeds: &[u64]) -> RegSet {
    let t = kind.table();
    let mut r = RegSet::zero(kind);
    for (i, f) in t.fields.iter().enumerate() {
        let s = seeds[i % seeds.len()].rotate_left((i * 7) as u32);
        let max = f.value_mask();
        let v = match f.rule {
            // Identity and enum fields: two candidates, so they often agree.
            Rule::Exact { .. } => s & 1,
            Rule::Enum { supersets } => {
                let (a, b) = supersets[(s as usize) % supersets.len()];
                if s & 2 == 0 { a } else { b }
            }
            _ => match s % 4 {
                0 => 0,
                1 => max,
                2 => (s >> 8) & max,
                _ => 1 & max,
            },
        };
        r.regs[f.reg] |= v << f.shift;
    }
    for (i, reg) in t.registers.iter().enumerate() {
        let unknown = reg.mask() & !t.known_mask(i);
        r.regs[i] |= seeds[i % seeds.len()] & unknown & 0x8000_0001_0000_0100;
    }
    r
}

fn fold(hosts: &[RegSet]) -> Result<RegSet, String> {
    let mut b = Baseline::new();
    for (i, h) in hosts.iter().enumerate() {
        b.add(h, &format!("h{i}")).map_err(|e| e.to_string())?;
    }
    b.finish().map(|r| r.profile).map_err(|e| e.to_string())
}

fn ok_part(r: &Result<RegSet, String>) -> Option<RegSet> {
    r.as_ref().ok().copied()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn baseline_is_commutative_and_associative(
        k in kind(),
        a in prop::collection::vec(any::<u64>(), 4),
        b in prop::collection::vec(any::<u64>(), 4),
        c in prop::collection::vec(any::<u64>(), 4),
    ) {
        let (a, b, c) = (regset_from(k, &a), regset_from(k, &b), regset_from(k, &c));
        let abc = fold(&[a, b, c]);
        for order in [[a, c, b], [b, a, c], [b, c, a], [c, a, b], [c, b, a]] {
            let other = fold(&order);
            prop_assert_eq!(ok_part(&abc), ok_part(&other));
            prop_assert_eq!(abc.is_err(), other.is_err());
        }
        // a ⊕ (b ⊕ c) through merge, against (a ⊕ b) ⊕ c through add.
        let mut left = Baseline::new();
        let mut right = Baseline::new();
        let tree = (|| {
            left.add(&a, "a")?;
            right.add(&b, "b")?;
            right.add(&c, "c")?;
            left.merge(&right)?;
            left.finish()
        })();
        prop_assert_eq!(ok_part(&abc), tree.as_ref().ok().map(|r| r.profile));
        prop_assert_eq!(abc.is_err(), tree.is_err());
        if let Ok(r) = tree { prop_assert_eq!(r.hosts, 3); }
    }

    #[test]
    fn baseline_is_idempotent_and_runs_on_every_host(
        k in kind(),
        a in prop::collection::vec(any::<u64>(), 4),
        b in prop::collection::vec(any::<u64>(), 4),
    ) {
        let (a, b) = (regset_from(k, &a), regset_from(k, &b));
        let t = k.table();
        // A host whose required field (VT-d SAGAW, MGAW; CPUID address widths) is 0 makes no
        // usable baseline: an error, and only then.
        let unusable = vcap_regs::baseline::REQUIRED.iter().any(|&(kind, f, _)| {
            kind == k && t.field(f).is_some_and(|f| f.get(a.regs[f.reg]) == 0)
        });
        let aa = match fold(&[a, a]) {
            Ok(aa) => aa,
            Err(e) => {
                prop_assert!(unusable && e.contains("= 0 in the baseline"), "{}", e);
                return Ok(());
            }
        };
        prop_assert!(!unusable);
        // The rules across registers (x86 CPUID: maximum subleaf, AVX10's leaf) may change a
        // register after the fold; every other register is the host's known bits, and the
        // adjusted profile is a fixed point.
        let mut b2 = Baseline::new();
        b2.add(&a, "a").unwrap();
        let adjusted: Vec<usize> = b2.finish().unwrap().adjusted.iter().map(|x| x.0).collect();
        for r in (0..t.registers.len()).filter(|r| !adjusted.contains(r)) {
            prop_assert_eq!(aa.regs[r], a.regs[r] & t.known_mask(r));
        }
        prop_assert!(adjusted.is_empty() || k == Kind::X86Cpuid);
        prop_assert_eq!(ok_part(&fold(&[aa, aa])), Some(aa));
        if let Ok(p) = fold(&[a, b]) {
            for h in [a, b] {
                let c = compare(&p, &h).unwrap();
                // Unknown bits are dropped from the baseline, so they only ever make it smaller.
                prop_assert!(matches!(c.verdict, Verdict::Identical | Verdict::Subset), "{:?}", c);
            }
        }
    }

    #[test]
    fn plan_agrees_with_explain_for_random_contexts(
        k in kind(),
        host in prop::collection::vec(any::<u64>(), 4),
        picks in prop::collection::vec((any::<u16>(), any::<u64>(), any::<bool>()), 0..12),
        caps in 0u64..8,
        flags in prop::collection::vec(any::<bool>(), 3),
        base in any::<bool>(),
    ) {
        let t = k.table();
        let host = regset_from(k, &host);
        let mut ctx = Context::new(k);
        ctx.manifest.baseline = base;
        for (i, v, h) in picks {
            let idx = i as usize % t.fields.len();
            let mv = if h { ManifestValue::Host } else { ManifestValue::Value(v & t.fields[idx].value_mask()) };
            ctx.manifest.fields.insert(idx, mv);
        }
        ctx.kernel_caps = caps;
        for (f, on) in VmFlag::ALL.into_iter().zip(flags) {
            if on { ctx.vm_flags.insert(f); }
        }
        let plan = Plan::compile(k, &ctx).unwrap();
        let mut out = RegSet::zero(k);
        let p = plan.apply(&host, &mut out);
        let e = explain(&host, &ctx);
        prop_assert_eq!(p.is_ok(), e.is_ok());
        if let Ok(e) = e {
            prop_assert_eq!(out, e.guest);
            for (r, reg) in t.registers.iter().enumerate() {
                prop_assert_eq!(out.regs[r] & !reg.mask(), 0);
                prop_assert_eq!(out.regs[r] & !t.known_mask(r), 0);
            }
            // Fields read from the host never end up more capable than the host.
            for (i, f) in t.fields.iter().enumerate() {
                use vcap_regs::Provenance as P;
                let listed = ctx.manifest.fields.contains_key(&i);
                let from_host = match f.prov {
                    P::Baseline => base || listed,
                    P::KernelCap(_) | P::VmFlag(_) | P::PerDevice { .. } => listed,
                    _ => false,
                };
                if from_host {
                    let g = f.get(out.regs[f.reg]);
                    let h = f.get(host.regs[f.reg]);
                    prop_assert!(
                        f.rule.no_more_capable(g, h, f.signed, f.width) || g == f.safe,
                        "{}: guest {:#x} host {:#x}", t.full_name(f), g, h
                    );
                }
            }
        }
    }

    #[test]
    fn combine_is_no_more_capable_than_either_input(
        k in kind(),
        i in any::<u16>(),
        a in any::<u64>(),
        b in any::<u64>(),
    ) {
        let t = k.table();
        let f = &t.fields[i as usize % t.fields.len()];
        let (a, b) = (a & f.value_mask(), b & f.value_mask());
        if let Some(c) = f.combine(a, b) {
            prop_assert_eq!(Some(c), f.combine(b, a));
            prop_assert_eq!(c & !f.value_mask(), 0);
            if !matches!(f.rule, Rule::Exact { .. }) {
                prop_assert!(f.rule.no_more_capable(c, a, f.signed, f.width));
                prop_assert!(f.rule.no_more_capable(c, b, f.signed, f.width));
            }
        }
    }
}

#[test]
fn higher_or_zero_safe_saturates_at_zero() {
    let r = Rule::HigherOrZeroSafe;
    assert_eq!(r.combine(3, 5, false, 4), Some(5));
    assert_eq!(r.combine(0, 5, false, 4), Some(0));
    assert_eq!(r.combine(5, 0, false, 4), Some(0));
}

#[test]
fn signed_lower_safe_picks_minus_one_as_not_implemented() {
    // arm64 signed 4-bit fields: 0xf = -1 = not implemented, min() picks it.
    assert_eq!(Rule::LowerSafe.combine(0xf, 0x1, true, 4), Some(0xf));
    assert_eq!(Rule::LowerSafe.combine(0xf, 0x1, false, 4), Some(0x1));
}

#[test]
fn exact_with_and_without_a_safe_value() {
    assert_eq!(
        Rule::Exact { safe: Some(0) }.combine(3, 4, false, 4),
        Some(0)
    );
    assert_eq!(Rule::Exact { safe: None }.combine(3, 4, false, 4), None);
    assert_eq!(Rule::Exact { safe: None }.combine(3, 3, false, 4), Some(3));
}

#[test]
fn enum_ttendian_mixed_covers_le_and_be_but_le_and_be_do_not_meet() {
    let t = Kind::ArmSmmuV3.table();
    let f = t.field("IDR0.TTENDIAN").unwrap();
    assert_eq!(f.combine(0, 2), Some(2));
    assert_eq!(f.combine(3, 0), Some(3));
    assert_eq!(f.combine(2, 3), None);
}

fn host_line(k: Kind, r: &RegSet, style: u8, name: bool) -> String {
    let v = |x: u64| match style % 3 {
        0 => format!("\"{x:#x}\""),
        1 => format!("{x}"),
        _ => format!("\"0x{x:016X}\""),
    };
    let sp = if style & 4 != 0 { " " } else { "" };
    let mut parts = vec![format!("\"type\":{sp}\"{}\"", k.type_name())];
    if name {
        parts.push("\"name\": \"h-1\"".to_string());
    }
    match k {
        Kind::ArmSmmuV3 => {
            let idr: Vec<String> = (0..6).map(|i| v(r.regs[i])).collect();
            parts.push(format!("\"idr\":{sp}[{}]", idr.join(&format!(",{sp}"))));
            parts.push(format!("\"iidr\":{}", v(r.regs[6])));
            parts.push(format!("\"aidr\":{}", v(r.regs[7])));
        }
        Kind::IntelVtd => {
            parts.push(format!("\"cap_reg\":{}", v(r.regs[0])));
            parts.push(format!("\"ecap_reg\":{}", v(r.regs[1])));
        }
        _ => {
            parts.push(format!("\"efr\":{}", v(r.regs[0])));
            if style & 8 != 0 {
                parts.push(format!("\"efr2\":{}", v(r.regs[1])));
            }
        }
    }
    if style & 16 != 0 {
        parts.reverse();
    }
    format!("{sp}{{{}}}{sp}", parts.join(&format!(",{sp}")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Host JSON in the usual shapes (hex strings or integers, any key order, spacing, with or
    /// without a name) parses to exactly the registers written; a mangled line either parses to
    /// some registers or fails with an error that has a line and stays short — never a panic.
    #[test]
    fn host_json_parses_what_was_written(
        k in prop_oneof![Just(Kind::ArmSmmuV3), Just(Kind::IntelVtd), Just(Kind::Amd)],
        seeds in prop::collection::vec(any::<u64>(), 4),
        style in any::<u8>(),
        name in any::<bool>(),
        cut in any::<u16>(),
        byte in any::<u8>(),
    ) {
        let mut r = regset_from(k, &seeds);
        if k == Kind::Amd && style & 8 == 0 { r.regs[1] = 0; }
        let line = host_line(k, &r, style, name);
        let (got, _) = vcap_regs::input::parse_host_json_lazy(&line, "p", Some(1)).unwrap();
        prop_assert_eq!(got, r, "{}", line);
        let mut bytes = line.into_bytes();
        let at = cut as usize % bytes.len();
        bytes[at] = byte;
        if let Ok(m) = String::from_utf8(bytes)
            && let Err(e) = vcap_regs::input::parse_host_json_lazy(&m, "p", Some(1))
        {
            prop_assert!(e.line.is_some(), "{}", e);
            prop_assert!(e.to_string().len() < 600, "{}", e);
        }
    }
}

/// Found by an earlier property: a number with a leading zero is not JSON.
#[test]
fn json_refuses_leading_zeros() {
    let line = r#"{"aidr":257,"iidr":09633,"idr":[74192156,1210777600,0,6400,256,305],"type":"arm_smmuv3"}"#;
    let e = vcap_regs::input::parse_host_json_lazy(line, "x", Some(1)).unwrap_err();
    assert!(e.to_string().contains("malformed JSON"), "{e}");
}
