//! Properties of the whole pure pipeline over arbitrary captures: it never panics, malformed or
//! unreadable input is never evidence of bare metal, and the verdict only cites real evidence.

use proptest::prelude::*;
use vcap_core::detect::Kind;
use vcap_core::detect::evidence::Suggests;
use vcap_core::input::capture::{Capture, CpuidRead, DirEntry, FileRead, Listing};
use vcap_core::input::plan::{DMI_DIR, DMI_FIELDS, FILES};
use vcap_core::parse::cpuid::CpuidDump;
use vcap_core::report;

fn any_read() -> impl Strategy<Value = FileRead> {
    prop_oneof![
        Just(FileRead::Absent),
        "[ -~]{0,12}".prop_map(FileRead::Unreadable),
        proptest::collection::vec(any::<u8>(), 0..80).prop_map(|bytes| FileRead::Data {
            bytes,
            truncated: false
        }),
        prop::sample::select(vec![
            "QEMU",
            "Amazon EC2",
            "m5.metal",
            "Microsoft Corporation",
            "Virtual Machine",
            "Dell Inc.",
            "xen",
            "control_d",
            "Hyper-V",
            "innotek GmbH",
            "00000800"
        ])
        .prop_map(|s| FileRead::Data {
            bytes: format!("{s}\n").into_bytes(),
            truncated: false
        }),
    ]
}

fn any_capture() -> impl Strategy<Value = Capture> {
    let paths: Vec<String> = DMI_FIELDS
        .iter()
        .map(|f| format!("{DMI_DIR}/{f}"))
        .chain(FILES.iter().map(|f| f.path.to_string()))
        .chain(
            [
                "/sys/bus/pci/devices/0000:00:01.0/vendor",
                "/sys/bus/pci/devices/0000:00:01.0/device",
            ]
            .map(String::from),
        )
        .collect();
    let n = paths.len();
    (
        proptest::collection::vec(any_read(), n),
        proptest::option::of(proptest::collection::btree_map(
            (
                prop::sample::select(vec![0u32, 1, 0x4000_0000, 0x4000_0003, 0x4000_0100]),
                Just(0u32),
            ),
            any::<[u32; 4]>(),
            0..5,
        )),
        any::<bool>(),
    )
        .prop_map(move |(reads, cpuid, pci)| {
            let mut c = Capture::default();
            for (p, r) in paths.iter().zip(reads) {
                c.files.insert(p.clone(), r);
            }
            if pci {
                c.dirs.insert(
                    "/sys/bus/pci/devices".into(),
                    Listing::Entries(vec![DirEntry {
                        name: "0000:00:01.0".into(),
                        link: None,
                    }]),
                );
            }
            c.cpuid = match cpuid {
                None => CpuidRead::NotObserved,
                Some(m) => CpuidRead::Dump(CpuidDump { leaves: m }),
            };
            c
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn the_pipeline_never_panics_and_cites_real_evidence(c in any_capture()) {
        let r = report::build(&c);
        for &i in &r.verdict.decided_by {
            prop_assert!(i < r.evidence.len());
        }
        for conflict in &r.conflicts {
            for &i in &conflict.evidence {
                prop_assert!(i < r.evidence.len());
            }
        }
        let _ = vcap_core::report::render::human(&r);
        prop_assert!(vcap_core::detect::systemd::IDS.contains(&r.systemd_id));
        prop_assert_eq!(r.systemd_id == "none", r.verdict.kind != Kind::VirtualMachine);
    }

    #[test]
    fn unreadable_and_malformed_inputs_never_make_bare_metal(why in proptest::collection::vec("[a-z ]{1,10}", 1..5)) {
        let mut c = Capture::default();
        for (i, f) in DMI_FIELDS.iter().enumerate() {
            c.files.insert(format!("{DMI_DIR}/{f}"), FileRead::Unreadable(why[i % why.len()].clone()));
        }
        c.cpuid = CpuidRead::Malformed("line 1: junk".into());
        c.files.insert(vcap_core::input::plan::SMBIOS_TYPE0.into(), FileRead::Data { bytes: vec![7, 1], truncated: false });
        let r = report::build(&c);
        prop_assert_eq!(r.verdict.kind, Kind::Unknown);
        prop_assert!(r.evidence.iter().all(|e| e.suggests != Suggests::BareMetal));
    }
}
