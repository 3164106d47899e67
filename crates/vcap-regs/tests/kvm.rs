//! KVM CPUID arrays (`struct kvm_cpuid_entry2`, `struct kvm_cpuid2`): binary and JSON round trips,
//! the layout at fixed offsets, and the embedding API over a VMM's own values.

use proptest::prelude::*;
use vcap_regs::kvm::{self, CpuidEntry, KvmError};
use vcap_regs::{Baseline, Context, Kind, RegError, RegSet, compare, input, sanitize};

fn fixture_entries() -> Vec<CpuidEntry> {
    // The Xeon Gold 6252 dump, each leaf as one entry (subleaf-indexed leaves flagged).
    let text = include_str!("fixtures/cpuid-xeon-gold-6252.txt");
    let cpus = input::parse_cpuid_blocks(text, "xeon").unwrap();
    kvm::entries_from_leaves(&cpus[0])
}

#[test]
fn the_binary_layout_is_the_kernels() {
    // function, index, flags, eax, ebx, ecx, edx, padding[3]: ten little-endian u32 at 0, 4 ... 36.
    let e = CpuidEntry {
        function: 0x0102_0304,
        index: 5,
        flags: 1,
        eax: 0xa,
        ebx: 0xb,
        ecx: 0xc,
        edx: 0xd,
        padding: [7, 8, 9],
    };
    let b = kvm::entries_to_bytes(&[e]);
    assert_eq!(b.len(), 40);
    let words: Vec<u32> = b
        .chunks(4)
        .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(words, [0x0102_0304, 5, 1, 0xa, 0xb, 0xc, 0xd, 7, 8, 9]);
    assert_eq!(&b[..4], &[4, 3, 2, 1]);
    // kvm_cpuid2: nent, padding, then the entries.
    let c = kvm::cpuid2_to_bytes(&[e, e]);
    assert_eq!(&c[..8], &[2, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(&c[8..48], &b[..]);
    assert!(kvm::looks_like_cpuid2(&c));
}

#[test]
fn malformed_arrays_are_refused_with_the_reason() {
    let one = kvm::entries_to_bytes(&[CpuidEntry::default()]);
    assert_eq!(
        kvm::entries_from_bytes(&one[..39]),
        Err(KvmError::Ragged { len: 39 })
    );
    let mut c = kvm::cpuid2_to_bytes(&[CpuidEntry::default()]);
    c[0] = 2;
    assert_eq!(
        kvm::cpuid2_from_bytes(&c),
        Err(KvmError::Nent {
            nent: 2,
            need: 80,
            have: 40
        })
    );
    assert_eq!(
        kvm::cpuid2_from_bytes(&c[..5]),
        Err(KvmError::Short { len: 5 })
    );
    assert!(!kvm::looks_like_cpuid2(&c));
    let too_many = vec![CpuidEntry::default(); 257];
    assert_eq!(
        kvm::entries_from_bytes(&kvm::entries_to_bytes(&too_many)),
        Err(KvmError::TooMany(257))
    );
    let mut e = fixture_entries();
    e.push(e[1]);
    let err = kvm::to_regset(&e).unwrap_err().to_string();
    assert!(
        err.contains("leaf 0x1 subleaf 0x0 is already entry 1"),
        "{err}"
    );
    // Leaf 7 dropped: within the CPU's range, so an error, not zeros.
    let no7: Vec<_> = fixture_entries()
        .into_iter()
        .filter(|e| e.function != 7)
        .collect();
    let err = kvm::to_regset(&no7).unwrap_err().to_string();
    assert!(err.contains("leaf 0x7 subleaf 0x0 is missing"), "{err}");
}

#[test]
fn entries_give_the_same_registers_as_the_cpuid_text() {
    let text = include_str!("fixtures/cpuid-xeon-gold-6252.txt");
    let from_text = input::parse_cpuid_text(text, "xeon").unwrap().regs;
    assert_eq!(kvm::to_regset(&fixture_entries()).unwrap(), from_text);
}

#[test]
fn sanitize_apply_and_read_back() {
    let mut entries = fixture_entries();
    let host = kvm::to_regset(&entries).unwrap();
    let guest = sanitize(&host, &Context::new(Kind::X86Cpuid)).unwrap();
    kvm::apply(&guest, &mut entries).unwrap();
    assert_eq!(kvm::to_regset(&entries).unwrap(), guest);
    // Worked out in fixtures.rs (cpuid_xeon_gold_6252_with_the_default_manifest).
    assert_eq!(kvm::find(&entries, 7, 0).unwrap().ebx, 0xd19f_27eb);
    let bytes = kvm::cpuid2_to_bytes(&entries);
    assert_eq!(kvm::cpuid2_from_bytes(&bytes).unwrap(), entries);
    assert_eq!(
        kvm::apply(&RegSet::zero(Kind::IntelVtd), &mut entries),
        Err(KvmError::Kind(Kind::IntelVtd))
    );
}

#[test]
fn json_form_round_trips_and_reads_as_a_host_file() {
    let entries = fixture_entries();
    let doc = kvm::Cpuid2Json {
        ty: "kvm_cpuid2".into(),
        name: Some("xeon".into()),
        entries: entries.clone(),
    };
    let text = serde_json::to_string(&doc).unwrap();
    assert!(
        text.contains(r#""function":"0x7","index":"0x0","flags":"0x1""#),
        "{text}"
    );
    let back: kvm::Cpuid2Json = serde_json::from_str(&text).unwrap();
    assert_eq!(back, doc);
    // As a host file: the same registers as the text dump.
    let hosts = input::parse_hosts(&text, "k.json").unwrap();
    assert_eq!(hosts[0].name, "xeon");
    assert_eq!(hosts[0].regs, kvm::to_regset(&entries).unwrap());
    // A value too wide for a 32-bit register is refused with the field.
    let bad = text.replacen(r#""eax":"0x16""#, r#""eax":"0x100000016""#, 1);
    let e = input::parse_hosts(&bad, "k.json").unwrap_err().to_string();
    assert!(
        e.contains("entries[0].eax") && e.contains("wider than the 32-bit"),
        "{e}"
    );
}

#[test]
fn values_too_wide_are_refused_in_code_as_in_json() {
    let ok = RegSet::from_values(
        Kind::ArmSmmuV3,
        &[0x0d44_101a, 0x0273_0010, 0, 0x1404, 0, 0x74, 0, 1],
    )
    .unwrap();
    assert_eq!(
        RegSet::from_values(Kind::ArmSmmuV3, &[0; 3]),
        Err(RegError::Count {
            kind: Kind::ArmSmmuV3,
            expected: 8,
            found: 3
        })
    );
    let mut wide = ok;
    wide.regs[0] |= 1 << 40; // what `regs` written directly allows
    let e = RegError::TooWide {
        register: "IDR0",
        value: 0x100_0d44_101a,
        bits: 32,
    };
    assert_eq!(wide.validate(), Err(e.clone()));
    assert_eq!(
        sanitize(&wide, &Context::new(Kind::ArmSmmuV3)),
        Err(vcap_regs::SanitizeError::Register(e.clone()))
    );
    let mut b = Baseline::new();
    assert!(
        b.add(&wide, "w")
            .unwrap_err()
            .to_string()
            .contains("host w: IDR0")
    );
    assert!(
        compare(&ok, &wide)
            .unwrap_err()
            .to_string()
            .starts_with("host: IDR0")
    );
    let mut stray = ok;
    stray.regs[20] = 1;
    assert!(matches!(
        stray.validate(),
        Err(RegError::Stray { slot: 20, .. })
    ));
    assert!(ok.with_field("IDR0.NOPE", 1).is_err());
    assert!(ok.with_register("CAP", 1).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any entry list survives bytes -> entries -> bytes and entries -> JSON -> entries exactly.
    #[test]
    fn binary_and_json_round_trip(words in prop::collection::vec(prop::array::uniform10(any::<u32>()), 0..40)) {
        let entries: Vec<CpuidEntry> = words.iter().map(|w| CpuidEntry {
            function: w[0], index: w[1], flags: w[2], eax: w[3], ebx: w[4], ecx: w[5], edx: w[6],
            padding: [w[7], w[8], w[9]],
        }).collect();
        let b = kvm::entries_to_bytes(&entries);
        prop_assert_eq!(kvm::entries_from_bytes(&b).unwrap(), entries.clone());
        prop_assert_eq!(kvm::entries_to_bytes(&kvm::entries_from_bytes(&b).unwrap()), b);
        let c = kvm::cpuid2_to_bytes(&entries);
        prop_assert_eq!(kvm::cpuid2_from_bytes(&c).unwrap(), entries.clone());
        let j = serde_json::to_string(&entries).unwrap();
        prop_assert_eq!(serde_json::from_str::<Vec<CpuidEntry>>(&j).unwrap(), entries);
    }
}

/// The `cpuid -r` reader names the line and byte offset of a bad line, and takes only
/// `CPU…:` lines as CPU headers: a line that starts with "CPU" but has no colon, or a leaf line
/// with a colon but no registers, is an error, not a new CPU.
#[test]
fn cpuid_reader_errors_name_the_line_and_only_cpu_colon_lines_are_headers() {
    let l1 = "   0x00000000 0x00: eax=0x0000000d ebx=0x756e6547 ecx=0x6c65746e edx=0x49656e69\n";
    let text = format!("CPU 0:\n{l1}\n   0x00000001 0x00: eax=0x1 ebx=0x2 ecx=0x3 edx=zz\n");
    let e = input::parse_cpuid_blocks(&text, "t").unwrap_err();
    assert_eq!((e.line, e.field.as_deref()), (Some(4), Some("edx")));
    assert_eq!(e.offset, Some((7 + l1.len() + 1) as u64));
    for bad in ["CPU 0 first\n", "   0x00000001 0x00:\n"] {
        let e = input::parse_cpuid_blocks(&format!("CPU 0:\n{l1}{bad}"), "t").unwrap_err();
        assert_eq!(e.line, Some(3), "{bad:?}: {e}");
    }
    let two = input::parse_cpuid_blocks(&format!("CPU 0:\n{l1}CPU 1:\n{l1}"), "t").unwrap();
    assert_eq!(two.len(), 2);
}

#[test]
fn entries_from_leaves_flag_the_indexed_leaves_as_kvm_lists_them() {
    let mut leaves = input::CpuidLeaves::new();
    leaves.insert((0x1, 0), [1, 2, 3, 4]);
    leaves.insert((0x4, 1), [5, 6, 7, 8]);
    leaves.insert((0x7, 0), [1, 0, 0, 0]);
    let e = kvm::entries_from_leaves(&leaves);
    let got: Vec<(u32, u32, u32, [u32; 4])> = e
        .iter()
        .map(|e| (e.function, e.index, e.flags, [e.eax, e.ebx, e.ecx, e.edx]))
        .collect();
    // Linux arch/x86/kvm/cpuid.c: leaves 4 and 7 are KVM_CPUID_FLAG_SIGNIFICANT_INDEX (1), 1 is not.
    assert_eq!(
        got,
        [
            (0x1, 0, 0, [1, 2, 3, 4]),
            (0x4, 1, 1, [5, 6, 7, 8]),
            (0x7, 0, 1, [1, 0, 0, 0]),
        ]
    );
}
