//! Issue 4, bad input: the capability parsers take any bytes without panicking or hanging, and
//! every error names an offset inside the input. Tables are also generated with a valid header
//! and checksum so that the subtable walks (not just the header check) see arbitrary bytes.

use proptest::prelude::*;
use vcap_core::caps::policy;
use vcap_core::detect::{Kind, Verdict};
use vcap_core::input::capture::{Capture, FileRead};
use vcap_core::parse::acpi::{self, AcpiError};
use vcap_core::parse::{interrupts, iommu, pci_config, virtio};

/// Wraps `body` in an ACPI header with signature `sig`, the right length and checksum.
fn table(sig: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut t = sig.to_vec();
    t.extend_from_slice(&((36 + body.len()) as u32).to_le_bytes());
    t.extend_from_slice(&[1, 0]);
    t.extend_from_slice(b"OEMID OEMTABLE");
    t.extend_from_slice(&[0; 12]);
    t.extend_from_slice(body);
    let sum = t.iter().fold(0u8, |a, &b| a.wrapping_add(b));
    t[9] = 0u8.wrapping_sub(sum);
    t
}

fn offset_inside(r: Result<impl Sized, AcpiError>, len: usize) -> Result<(), TestCaseError> {
    if let Err(e) = r {
        // Either inside the table, or the offset of a field the truncated table lacks.
        prop_assert!(
            e.offset <= len || e.what.contains("needs"),
            "{e} (len {len})"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn acpi_raw_bytes(b in proptest::collection::vec(any::<u8>(), 0..512)) {
        offset_inside(acpi::parse_dmar(&b), b.len())?;
        offset_inside(acpi::parse_ivrs(&b), b.len())?;
        offset_inside(acpi::parse_iort(&b), b.len())?;
        offset_inside(acpi::parse_viot(&b), b.len())?;
    }

    #[test]
    fn acpi_valid_header_arbitrary_body(body in proptest::collection::vec(any::<u8>(), 0..600)) {
        for sig in [b"DMAR", b"IVRS", b"IORT", b"VIOT"] {
            let t = table(sig, &body);
            match sig {
                b"DMAR" => offset_inside(acpi::parse_dmar(&t), t.len())?,
                b"IVRS" => offset_inside(acpi::parse_ivrs(&t), t.len())?,
                b"VIOT" => offset_inside(acpi::parse_viot(&t), t.len())?,
                _ => offset_inside(acpi::parse_iort(&t), t.len())?,
            }
        }
    }

    #[test]
    fn truncating_a_valid_table_is_an_error_not_a_panic(cut in 0usize..72) {
        // QEMU-style DMAR: 12 fixed bytes, one DRHD with an IOAPIC scope (72 bytes in all).
        let mut body = vec![38u8, 1];
        body.extend_from_slice(&[0; 10]);
        body.extend_from_slice(&[0, 0, 24, 0, 1, 0, 0, 0]);
        body.extend_from_slice(&0xfed9_0000u64.to_le_bytes());
        body.extend_from_slice(&[3, 8, 0, 0, 0, 0xff, 0, 0]);
        let t = table(b"DMAR", &body);
        prop_assert!(acpi::parse_dmar(&t).is_ok());
        prop_assert!(acpi::parse_dmar(&t[..cut]).is_err());
    }

    #[test]
    fn config_space(b in proptest::collection::vec(any::<u8>(), 0..4097)) {
        let (c, e) = pci_config::parse(&b);
        prop_assert_eq!(c.len, b.len());
        prop_assert!(c.caps.len() <= 48);
        if let Some(pci_config::ConfigError::Short { needed, have, .. }) = e {
            prop_assert!(needed > have);
        }
        recorded_image_parses_the_same(&b)?;
    }

    /// Standard and extended capability lists with arbitrary IDs, pointers and bodies.
    #[test]
    fn config_space_with_both_lists(
        std_caps in proptest::collection::vec((any::<u8>(), any::<u8>(), any::<u16>()), 1..24),
        ext_caps in proptest::collection::vec((0u16..0x30, 0u16..0x1000, any::<u32>()), 0..24),
        noise in proptest::collection::vec((0usize..4096, any::<u8>()), 0..64),
        len in prop_oneof![Just(64usize), Just(256), Just(4096)],
    ) {
        let mut b = vec![0u8; len];
        b[6] = 0x10;
        b[0x34] = 0x40;
        for (i, (id, next, ctrl)) in std_caps.iter().enumerate() {
            let at = 0x40 + i * 8;
            if at + 8 <= len && at + 8 <= 256 {
                b[at] = *id;
                b[at + 1] = *next;
                b[at + 2..at + 4].copy_from_slice(&ctrl.to_le_bytes());
            }
        }
        for (i, (id, next, body)) in ext_caps.iter().enumerate() {
            let at = 0x100 + i * 16;
            if at + 8 <= len {
                let h = u32::from(*id) | (1 << 16) | (u32::from(*next) << 20);
                b[at..at + 4].copy_from_slice(&h.to_le_bytes());
                b[at + 4..at + 8].copy_from_slice(&body.to_le_bytes());
            }
        }
        for (at, v) in noise {
            if at < len {
                b[at] = v;
            }
        }
        recorded_image_parses_the_same(&b)?;
    }

    #[test]
    fn config_space_with_a_capability_list(
        ptrs in proptest::collection::vec(any::<u8>(), 1..64),
        ids in proptest::collection::vec(any::<u8>(), 1..64),
        len in prop_oneof![Just(64usize), Just(256), Just(4096)],
    ) {
        let mut b = vec![0u8; len];
        b[6] = 0x10;
        b[0x34] = ptrs[0];
        for (i, p) in ptrs.iter().enumerate() {
            let at = (0x40 + i * 4) % len.max(1);
            if at + 1 < len {
                b[at] = ids[i % ids.len()];
                b[at + 1] = *p;
            }
        }
        let _ = pci_config::parse(&b);
    }

    #[test]
    fn interrupts_text(s in "\\PC{0,400}") {
        let _ = interrupts::parse(&s);
    }

    #[test]
    fn features_text(s in "[01x ]{0,200}") {
        match virtio::parse_features(&s) {
            Ok(f) => prop_assert!(f.set.iter().all(|&i| s.as_bytes()[i] == b'1')),
            Err(e) => prop_assert!(e.offset <= s.len()),
        }
    }

    #[test]
    fn register_text(s in "\\PC{0,40}") {
        let _ = iommu::parse_hex(&s);
        let _ = iommu::parse_amd_features(&s);
    }

    /// The whole policy over a capture whose capability inputs are arbitrary bytes.
    #[test]
    fn policy_never_panics(
        dmar in proptest::collection::vec(any::<u8>(), 0..200),
        cfg in proptest::collection::vec(any::<u8>(), 0..300),
        irq in "\\PC{0,200}",
        feats in "[01]{0,70}",
    ) {
        let mut c = Capture::default();
        let data = |b: Vec<u8>| FileRead::Data { bytes: b, truncated: false };
        c.files.insert("/sys/firmware/acpi/tables/DMAR".into(), data(table(b"DMAR", &dmar)));
        c.files.insert("/proc/interrupts".into(), data(irq.into_bytes()));
        c.dirs.insert(
            "/sys/bus/pci/devices".into(),
            vcap_core::input::capture::Listing::Entries(vec![vcap_core::input::capture::DirEntry {
                name: "0000:00:01.0".into(),
                link: None,
            }]),
        );
        c.files.insert("/sys/bus/pci/devices/0000:00:01.0/config".into(), data(cfg));
        c.dirs.insert(
            "/sys/bus/virtio/devices".into(),
            vcap_core::input::capture::Listing::Entries(vec![vcap_core::input::capture::DirEntry {
                name: "virtio0".into(),
                link: Some("../../../devices/pci0000:00/0000:00:01.0/virtio0".into()),
            }]),
        );
        c.files.insert("/sys/bus/virtio/devices/virtio0/features".into(), data(feats.into_bytes()));
        for kind in [Kind::BareMetal, Kind::VirtualMachine, Kind::Unknown] {
            let v = Verdict {
                kind,
                hypervisor: None,
                product: None,
                cloud: None,
                presents: Vec::new(),
                summary: String::new(),
                decided_by: Vec::new(),
            };
            let caps = policy::build(&c, &v);
            // Opt-in: a VM or an undecided verdict never gets IMS.
            if kind != Kind::BareMetal {
                prop_assert_ne!(caps.ims.verdict, policy::Tri::Yes);
            }
            prop_assert_eq!(caps.dma.len(), 1);
        }
    }
}

/// The probe reads live config space through a [`pci_config::Recording`] and keeps the parts
/// the parser read: they must parse to the same facts and the same error as the whole space, hold
/// only bytes of the space at their offsets, and no byte the parser did not read.
fn recorded_image_parses_the_same(b: &[u8]) -> Result<(), TestCaseError> {
    let mut rec = pci_config::Recording::new(b);
    let live = pci_config::parse_space(&mut rec);
    let parts = rec.into_parts();
    prop_assert_eq!(parts.len, b.len());
    prop_assert_eq!(&pci_config::parse_space(&mut &parts), &live);
    prop_assert_eq!(&pci_config::parse(b), &live);
    let mut end = 0;
    for (at, bytes) in &parts.spans {
        prop_assert!(
            *at > end || end == 0,
            "span at {:#x} touches the one before",
            at
        );
        prop_assert_eq!(Some(bytes.as_slice()), b.get(*at..at + bytes.len()));
        end = at + bytes.len();
    }
    // The header fields alone are 7 bytes; a space read whole would be one span of all of it.
    prop_assert!(b.len() < 64 || parts.spans.iter().map(|(_, x)| x.len()).sum::<usize>() < b.len());
    Ok(())
}
