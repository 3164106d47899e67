//! libvirt `<cpu>` XML and QEMU `-cpu` strings, in and out, on the libvirt fixtures
//! (`fixtures/libvirt/`), and the model/feature table against the libvirt map it was generated
//! from (values below copied from `/usr/share/libvirt/cpu_map/` of Debian's libvirt0 9.0.0).

use std::collections::BTreeSet;
use std::path::PathBuf;

use vcap_regs::input;
use vcap_regs::libvirt::{self, CpuDef, LibvirtError, Loc, Policy, Reg};
use vcap_regs::tables::cpuid::TABLE;
use vcap_regs::{Kind, RegSet};

fn fixtures() -> Vec<(String, RegSet)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/libvirt");
    let mut v: Vec<(String, RegSet)> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "txt").then(|| {
                let n = p.file_stem().unwrap().to_string_lossy().into_owned();
                let h = input::parse_cpuid_text(&std::fs::read_to_string(&p).unwrap(), &n).unwrap();
                (n, h.regs)
            })
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

fn names(set: &RegSet) -> BTreeSet<&'static str> {
    libvirt::features_of(set)
        .unwrap()
        .iter()
        .map(|f| f.name)
        .collect()
}

#[test]
fn the_table_is_libvirts_map() {
    // x86_features.xml: <feature name='avx2'><cpuid eax_in='0x07' ecx_in='0x00' ebx='0x00000020'/>
    let f = libvirt::feature("avx2").unwrap();
    assert_eq!(
        f.loc,
        Loc::Cpuid {
            leaf: 7,
            subleaf: 0,
            reg: Reg::Ebx,
            bit: 5
        }
    );
    // <feature name='pclmuldq'><alias name='pclmulqdq' source='qemu'/>: QEMU's name finds it.
    assert_eq!(libvirt::feature("pclmulqdq").unwrap().name, "pclmuldq");
    assert_eq!(libvirt::feature("lahf-lm").unwrap().name, "lahf_lm");
    // <feature name='invtsc' migratable='no'>, leaf 0x80000007 EDX bit 8.
    let t = libvirt::feature("invtsc").unwrap();
    assert!(!t.migratable);
    assert_eq!(t.position(), Some((8 * 4 + 3, 1 << 8)));
    // An MSR feature has no vcap position.
    assert!(libvirt::feature("rdctl-no").unwrap().position().is_none());
    // x86_Haswell-noTSX-IBRS.xml: signatures 6/60, 6/63, 6/69, 6/70, vendor Intel.
    let m = libvirt::model("Haswell-noTSX-IBRS").unwrap();
    assert_eq!(m.vendor, Some("Intel"));
    assert_eq!(m.signatures, &[(6, 60), (6, 63), (6, 69), (6, 70)]);
    assert!(m.features.contains(&"avx2") && !m.features.contains(&"hle"));
    // x86_EPYC.xml lists monitor removed='yes': not a feature of the model.
    assert!(
        !libvirt::model("EPYC")
            .unwrap()
            .features
            .contains(&"monitor")
    );
    assert_eq!(libvirt::FEATURES.len(), 212);
    assert_eq!(libvirt::MODELS.len(), 58);
}

#[test]
fn every_fixture_round_trips_through_xml_qemu_and_registers() {
    for (name, set) in fixtures() {
        let want = names(&set);
        let def = CpuDef::from_regset(&set).unwrap();
        let m = libvirt::model(def.model.as_deref().unwrap()).unwrap();
        assert!(m.features.iter().all(|f| want.contains(f)), "{name}");
        assert_eq!(def.feature_names().unwrap(), want, "{name}");
        let xml = def.to_xml();
        let back = CpuDef::parse_xml(&xml).unwrap();
        assert_eq!(back, def, "{name}: {xml}");
        let host = CpuDef::parse_xml(&def.to_host_xml().unwrap()).unwrap();
        assert_eq!(host.feature_names().unwrap(), want, "{name}");
        // For QEMU: a model QEMU has, less the features QEMU has no property for.
        let (qdef, dropped) = CpuDef::for_qemu(&set).unwrap();
        let qm = qdef.model.as_deref().unwrap();
        assert!(!libvirt::QEMU_NO_MODEL.contains(&qm), "{name}: {qm}");
        assert!(
            dropped
                .iter()
                .all(|d| libvirt::QEMU_NO_PROPERTY.contains(d) && want.contains(d)),
            "{name}: {dropped:?}"
        );
        let q = qdef.to_qemu().unwrap();
        assert!(
            q.starts_with(&format!("{qm},")) && q.ends_with(",enforce"),
            "{q}"
        );
        let mut want_q = want.clone();
        for d in &dropped {
            want_q.remove(d);
        }
        // Read back as QEMU's model: exactly the set, but for VMM-owned bits QEMU's model sets
        // (`hypervisor` on a host's dump), which the writer leaves to QEMU.
        let got = CpuDef::parse_qemu(&q).unwrap().feature_names().unwrap();
        assert_eq!(
            want_q.difference(&got).collect::<Vec<_>>(),
            Vec::<&&str>::new(),
            "{name}: {q}"
        );
        let qemu_model = libvirt::qemu_model_features(qm).unwrap();
        for extra in got.difference(&want_q) {
            let (r, m) = libvirt::feature(extra).unwrap().position().unwrap();
            let owned = TABLE
                .fields_of(r)
                .any(|f| f.reg_mask() & m != 0 && f.prov.name() == "vmm-owned");
            assert!(
                owned && qemu_model.contains(extra),
                "{name}: {extra} in {q}"
            );
        }
        if !dropped.is_empty() {
            // The libvirt definition keeps them, and its -cpu spelling is refused.
            assert!(
                matches!(def.to_qemu(), Err(LibvirtError::Qemu(_))),
                "{name}"
            );
        }
        let regs = back.to_regset().unwrap();
        assert_eq!(names(&regs), want, "{name}");
        assert_eq!(
            libvirt::vendor_of(&regs).unwrap(),
            libvirt::vendor_of(&set).unwrap()
        );
    }
}

#[test]
fn qemu_names_and_policies() {
    let set = &fixtures()
        .into_iter()
        .find(|(n, _)| n == "Xeon-E5-2650-v4")
        .unwrap()
        .1;
    let q = CpuDef::for_qemu(set).unwrap().0.to_qemu().unwrap();
    // libvirt's pni/pclmuldq/sse4.1 are QEMU's sse3/pclmulqdq/sse4-1 (in Broadwell already, so
    // the extras are checked by the round trip); ds_cpl is QEMU's ds-cpl.
    assert!(q.contains(",+ds-cpl,"), "{q}");
    let d = CpuDef::parse_qemu("Haswell-noTSX,-avx2,fma=off,+x2apic,pcid=on,enforce").unwrap();
    let f = d.feature_names().unwrap();
    assert!(
        !f.contains("avx2") && !f.contains("fma") && f.contains("x2apic") && f.contains("pcid")
    );
    assert_eq!(d.vendor.as_deref(), Some("Intel"));
    let opt = CpuDef {
        model: Some("Haswell".into()),
        vendor: None,
        features: vec![("avx512f".into(), Policy::Optional)],
    };
    assert!(matches!(opt.to_qemu(), Err(LibvirtError::Qemu(_))));
    let dis = CpuDef {
        model: Some("Haswell".into()),
        vendor: None,
        features: vec![("avx2".into(), Policy::Disable)],
    };
    assert!(dis.to_qemu().unwrap().contains(",-avx2,"));
    assert!(dis.to_host_xml().is_err());
    // A model or feature QEMU does not have is an error naming it, not a -cpu QEMU refuses.
    let icl = CpuDef {
        model: Some("Icelake-Client".into()),
        vendor: None,
        features: vec![],
    };
    let e = icl.to_qemu().unwrap_err().to_string();
    assert!(e.contains("no CPU model `Icelake-Client`"), "{e}");
    let os = CpuDef {
        model: Some("Haswell".into()),
        vendor: None,
        features: vec![("osxsave".into(), Policy::Require)],
    };
    let e = os.to_qemu().unwrap_err().to_string();
    assert!(e.contains("no -cpu property for feature `osxsave`"), "{e}");
}

#[test]
fn bad_definitions_are_named() {
    let e = |s: &str| CpuDef::parse_xml(s).unwrap_err().to_string();
    assert_eq!(
        e("<cpu><model>Skylake-X</model></cpu>"),
        "unknown CPU model `Skylake-X` (libvirt 9.0.0-4+deb12u2's map has 58 x86 models)"
    );
    assert_eq!(
        e("<cpu><feature name='avx9'/></cpu>"),
        "unknown CPU feature `avx9`"
    );
    assert!(
        e("<cpu><feature name='avx2' policy='maybe'/></cpu>")
            .contains("line 1: feature `avx2` has policy `maybe`")
    );
    assert!(e("<domain/>").contains("expected a <cpu> element, found <domain>"));
    assert!(e("<cpu>").starts_with("libvirt CPU XML: "));
    assert!(e("<cpu><vendor>VIA</vendor></cpu>").contains("`VIA` is none of Intel, AMD, Hygon"));
    let q = |s: &str| CpuDef::parse_qemu(s).unwrap_err().to_string();
    assert_eq!(
        q("host,+avx2"),
        "unknown CPU model `host` (libvirt 9.0.0-4+deb12u2's map has 58 x86 models)"
    );
    assert!(q("Haswell,avx2=maybe").contains("a feature is on or off"));
    assert!(q("Haswell,level=13").contains("a feature is on or off"));
    // A feature outside the leaves vcap reads cannot become registers (`npt`, leaf
    // 0x8000000A); `arat` (leaf 6 EAX bit 2) is read since leaf 6 joined the table, so
    // Skylake-Server becomes registers with ARAT set.
    let d = CpuDef::parse_xml(
        "<cpu><model>EPYC</model><feature name='npt'/><vendor>AMD</vendor></cpu>",
    )
    .unwrap();
    assert_eq!(
        d.to_regset().unwrap_err().to_string(),
        "feature `npt` is not representable: it is CPUID 0x8000000a.0x0 Edx bit 0, outside the CPUID leaves vcap reads"
    );
    let sky = CpuDef::parse_xml("<cpu><model>Skylake-Server</model><vendor>Intel</vendor></cpu>")
        .unwrap()
        .to_regset()
        .unwrap();
    assert_eq!(sky.get("CPUID.0x6.0x0.EAX"), Some(1 << 2), "ARAT only");
    // Not CPUID.
    assert!(matches!(
        libvirt::features_of(&RegSet::zero(Kind::IntelVtd)),
        Err(LibvirtError::NotCpuid(_))
    ));
}
