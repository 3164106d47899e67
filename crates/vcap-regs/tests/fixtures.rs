//! Sanitize, baseline and compare on the real fixtures (sources in fixtures/README.md). Every
//! expected value below was worked out by hand from the table rows, the header macros and the
//! kdoc baseline; the arithmetic is written next to it.

use std::collections::BTreeSet;
use std::path::PathBuf;

use vcap_regs::input::{self, Host};
use vcap_regs::{
    Baseline, Context, DecisionKind, Explanation, KernelCap, Kind, Verdict, VmFlag, compare,
    decode, explain,
};

use DecisionKind::{Cleared, Forced, Kept, Lowered};

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn load(name: &str) -> Host {
    let text = std::fs::read_to_string(path(name)).unwrap();
    let mut hosts = input::parse_hosts(&text, name).unwrap();
    assert_eq!(hosts.len(), 1, "{name}");
    hosts.remove(0)
}

fn manifest(name: &str) -> vcap_regs::Manifest {
    let text = std::fs::read_to_string(path(name)).unwrap();
    input::parse_manifest(&text, name).unwrap()
}

fn reg(e: &Explanation, name: &str) -> u64 {
    e.guest.get(name).unwrap()
}

/// Asserts one field's host value, guest value and decision.
fn expect(e: &Explanation, field: &str, host: u64, guest: u64, decision: DecisionKind) {
    let d = e
        .decisions
        .iter()
        .find(|d| d.field == field)
        .unwrap_or_else(|| panic!("no decision for {field}"));
    assert_eq!(
        (d.host, d.guest, d.decision),
        (host, guest, decision),
        "{field}: {}",
        d.reason
    );
}

/// Asserts that exactly these fields have a non-zero host or guest value.
fn nonzero_fields(e: &Explanation) -> BTreeSet<String> {
    e.decisions
        .iter()
        .filter(|d| d.host != 0 || d.guest != 0)
        .map(|d| d.field.clone())
        .collect()
}

fn set(xs: &[&str]) -> BTreeSet<String> {
    xs.iter().map(|s| s.to_string()).collect()
}

/// The decisions agree with the guest registers they produced, for every fixture.
#[test]
fn decisions_agree_with_guest_registers_for_every_fixture() {
    for f in [
        "smmuv3-arm-fvp-base.json",
        "smmuv3-arm-fvp-v3.2-tfa.json",
        "smmuv3-qemu-default.json",
        "smmuv3-qemu-nested.json",
        "vtd-qemu-guest.json",
        "vtd-intel-m50fcp-sapphire-rapids.json",
        "vtd-xeon-utcs-lake.json",
        "amd-zen-desktop.json",
        "amd-epyc-snp-host.json",
        "cpuid-xeon-gold-6252.txt",
        "cpuid-amd-epyc-m6a-t2a-guest.txt",
    ] {
        let h = load(f);
        let e = explain(&h.regs, &Context::new(h.regs.kind)).unwrap();
        let t = h.regs.kind.table();
        for d in e.decisions.iter().filter(|d| d.provenance != "unknown") {
            let g = decode(t, d.register, reg(&e, d.register)).unwrap();
            let name = d.field.rsplit('.').next().unwrap();
            let x = g.iter().find(|x| x.name == name).unwrap();
            assert_eq!(x.raw, d.guest, "{f} {}", d.field);
        }
        // No unknown bit survives into the guest.
        for (r, regdef) in t.registers.iter().enumerate() {
            assert_eq!(e.guest.regs[r] & !t.known_mask(r), 0, "{f} {}", regdef.name);
        }
        // The compiled plan gives the same registers as the explanation.
        let plan = vcap_regs::Plan::compile(h.regs.kind, &Context::new(h.regs.kind)).unwrap();
        let mut out = vcap_regs::RegSet::zero(h.regs.kind);
        plan.apply(&h.regs, &mut out).unwrap();
        assert_eq!(out, e.guest, "{f}");
    }
}

#[test]
fn smmuv3_qemu_default_with_the_default_manifest() {
    let h = load("smmuv3-qemu-default.json");
    assert_eq!(h.name, "qemu-smmuv3-default");
    let e = explain(&h.regs, &Context::new(Kind::ArmSmmuV3)).unwrap();
    // IDR0 0x0d44101a minus VMID16 (bit 18, never) = 0x0d40101a.
    assert_eq!(reg(&e, "IDR0"), 0x0d40_101a);
    // IDR1 unchanged: SIDSIZE 16 (baseline), EVTQS/CMDQS 19 (VMM-owned defaults, equal to QEMU's).
    assert_eq!(reg(&e, "IDR1"), 0x0273_0010);
    assert_eq!(reg(&e, "IDR2"), 0);
    // IDR3 0x1404 minus HAD (bit 2, not in the kdoc list) = 0x1400 (RIL, BBML=2 kept).
    assert_eq!(reg(&e, "IDR3"), 0x1400);
    assert_eq!(reg(&e, "IDR4"), 0);
    // IDR5 0x74: GRAN4K/16K/64K in the baseline; OAS=4 equals the VMM-owned default 4.
    assert_eq!(reg(&e, "IDR5"), 0x74);
    assert_eq!(reg(&e, "IIDR"), 0);
    assert_eq!(reg(&e, "AIDR"), 1);
    expect(&e, "IDR0.S1P", 1, 1, Kept);
    expect(&e, "IDR0.TTF", 2, 2, Kept);
    expect(&e, "IDR0.COHACC", 1, 1, Kept);
    expect(&e, "IDR0.ASID16", 1, 1, Kept);
    expect(&e, "IDR0.VMID16", 1, 0, Cleared);
    expect(&e, "IDR0.TTENDIAN", 2, 2, Kept);
    expect(&e, "IDR0.STALL_MODEL", 1, 1, Kept);
    expect(&e, "IDR0.TERM_MODEL", 1, 1, Kept);
    expect(&e, "IDR0.ST_LEVEL", 1, 1, Kept);
    expect(&e, "IDR1.SIDSIZE", 16, 16, Kept);
    expect(&e, "IDR1.EVTQS", 19, 19, Kept);
    expect(&e, "IDR1.CMDQS", 19, 19, Kept);
    expect(&e, "IDR3.HAD", 1, 0, Cleared);
    expect(&e, "IDR3.RIL", 1, 1, Kept);
    expect(&e, "IDR3.BBML", 2, 2, Kept);
    expect(&e, "IDR5.OAS", 4, 4, Kept);
    expect(&e, "IDR5.GRAN4K", 1, 1, Kept);
    expect(&e, "IDR5.GRAN16K", 1, 1, Kept);
    expect(&e, "IDR5.GRAN64K", 1, 1, Kept);
    expect(&e, "AIDR.ARCH_REV", 1, 1, Kept);
    assert_eq!(
        nonzero_fields(&e),
        set(&[
            "IDR0.S1P",
            "IDR0.TTF",
            "IDR0.COHACC",
            "IDR0.ASID16",
            "IDR0.VMID16",
            "IDR0.TTENDIAN",
            "IDR0.STALL_MODEL",
            "IDR0.TERM_MODEL",
            "IDR0.ST_LEVEL",
            "IDR1.SIDSIZE",
            "IDR1.EVTQS",
            "IDR1.CMDQS",
            "IDR3.HAD",
            "IDR3.RIL",
            "IDR3.BBML",
            "IDR5.OAS",
            "IDR5.GRAN4K",
            "IDR5.GRAN16K",
            "IDR5.GRAN64K",
            "AIDR.ARCH_REV"
        ])
    );
}

#[test]
fn smmuv3_qemu_nested_clears_s2p() {
    let h = load("smmuv3-qemu-nested.json");
    let e = explain(&h.regs, &Context::new(Kind::ArmSmmuV3)).unwrap();
    expect(&e, "IDR0.S2P", 1, 0, Cleared);
    // 0x0d44101b minus S2P (bit 0) and VMID16 (bit 18) = 0x0d40101a: the same guest as stage=1.
    assert_eq!(reg(&e, "IDR0"), 0x0d40_101a);
}

/// A constructed host (not a real system): QEMU's default plus HTTU=2, BTM, ATS, PRI, HYP,
/// SSIDSIZE=20, MPAM, FWB and an unknown bit 31, sanitized with the accel manifest.
#[test]
fn smmuv3_constructed_host_with_the_accel_manifest() {
    let mut h = load("smmuv3-qemu-default.json").regs;
    // IDR0 |= HTTU=2 (0x80) | BTM (0x20) | ATS (0x400) | PRI (0x10000) | HYP (0x200) | bit 31.
    h.regs[0] |= 0x80 | 0x20 | 0x400 | 0x1_0000 | 0x200 | 0x8000_0000;
    // IDR1 |= SSIDSIZE=20 (20 << 6 = 0x500).
    h.regs[1] |= 0x500;
    // IDR3 |= MPAM (bit 7) | FWB (bit 8).
    h.regs[3] |= 0x80 | 0x100;
    let mut ctx = Context::new(Kind::ArmSmmuV3);
    ctx.manifest = manifest("manifest-smmuv3-accel.json");
    ctx.vm_flags.insert(VmFlag::AtsDevices);
    let e = explain(&h, &ctx).unwrap();
    expect(&e, "IDR0.HTTU", 2, 0, Cleared);
    expect(&e, "IDR0.BTM", 1, 0, Cleared);
    expect(&e, "IDR0.HYP", 1, 0, Cleared);
    expect(&e, "IDR0.ATS", 1, 1, Kept); // manifest lists it and ats-devices is set
    expect(&e, "IDR0.PRI", 1, 0, Cleared); // needs per-VM flag iopf
    expect(&e, "IDR1.SSIDSIZE", 20, 16, Lowered); // min(20, 16)
    expect(&e, "IDR3.MPAM", 1, 0, Cleared);
    expect(&e, "IDR3.FWB", 1, 0, Cleared);
    expect(&e, "IDR5.OAS", 4, 5, Forced); // VMM-owned, manifest says 0x5 (48-bit)
    expect(&e, "IDR0.bit31", 1, 0, Cleared);
    let reason = |f: &str| {
        e.decisions
            .iter()
            .find(|d| d.field == f)
            .unwrap()
            .reason
            .clone()
    };
    assert!(
        reason("IDR0.HTTU").contains("never exposed"),
        "{}",
        reason("IDR0.HTTU")
    );
    assert!(reason("IDR0.HTTU").contains("manifest asks"));
    assert!(reason("IDR0.PRI").contains("per-VM flag iopf"));
    assert!(reason("IDR0.bit31").contains("unknown bit"));
    // IDR0: 0x0d40101a (the default guest) | ATS 0x400 = 0x0d40141a.
    assert_eq!(reg(&e, "IDR0"), 0x0d40_141a);
    // IDR1: 0x02730010 | SSIDSIZE 16 << 6 (0x400) = 0x02730410.
    assert_eq!(reg(&e, "IDR1"), 0x0273_0410);
    // IDR5: GRAN bits 0x70 | OAS 5 = 0x75.
    assert_eq!(reg(&e, "IDR5"), 0x75);

    // Without a manifest ATS is not implemented by the VMM, whatever the flags.
    let mut ctx2 = Context::new(Kind::ArmSmmuV3);
    ctx2.vm_flags.insert(VmFlag::AtsDevices);
    let e2 = explain(&h, &ctx2).unwrap();
    expect(&e2, "IDR0.ATS", 1, 0, Cleared);
    assert!(
        e2.decisions
            .iter()
            .any(|d| d.field == "IDR0.ATS" && d.reason.contains("does not implement"))
    );
}

#[test]
fn vtd_qemu_guest_with_the_default_manifest() {
    let h = load("vtd-qemu-guest.json");
    let e = explain(&h.regs, &Context::new(Kind::IntelVtd)).unwrap();
    // CAP fields (iommu.h macros): ND 6, CM 1, SAGAW 0x2, MGAW 38, FRO 0x22, SLLPS 3, PSI 1,
    // MAMV 18; DWD/DRD are VMM-owned with default 1, so bits 54 and 55 are forced:
    // 0x0012008c22260286 | 0x00c0000000000000 = 0x00d2008c22260286.
    assert_eq!(reg(&e, "CAP"), 0x00d2_008c_2226_0286);
    // ECAP: QI 1 (owned, kept), PT 1 (owned, kept), IRO 0xf (owned, kept); IR, EIM, MHMV are
    // VMM-owned with default 0 and forced off: 0x2 | 0x40 | 0xf00 = 0xf42.
    assert_eq!(reg(&e, "ECAP"), 0xf42);
    expect(&e, "CAP.ND", 6, 6, Kept);
    expect(&e, "CAP.CM", 1, 1, Kept);
    expect(&e, "CAP.SAGAW", 2, 2, Kept);
    expect(&e, "CAP.MGAW", 38, 38, Kept);
    expect(&e, "CAP.FRO", 0x22, 0x22, Kept);
    expect(&e, "CAP.SLLPS", 3, 3, Kept);
    expect(&e, "CAP.PSI", 1, 1, Kept);
    expect(&e, "CAP.MAMV", 18, 18, Kept);
    expect(&e, "CAP.DWD", 0, 1, Forced);
    expect(&e, "CAP.DRD", 0, 1, Forced);
    expect(&e, "ECAP.QI", 1, 1, Kept);
    expect(&e, "ECAP.IR", 1, 0, Forced);
    expect(&e, "ECAP.EIM", 1, 0, Forced);
    expect(&e, "ECAP.PT", 1, 1, Kept);
    expect(&e, "ECAP.IRO", 0xf, 0xf, Kept);
    expect(&e, "ECAP.MHMV", 15, 0, Forced);
    assert_eq!(
        nonzero_fields(&e),
        set(&[
            "CAP.ND",
            "CAP.CM",
            "CAP.SAGAW",
            "CAP.MGAW",
            "CAP.FRO",
            "CAP.SLLPS",
            "CAP.PSI",
            "CAP.MAMV",
            "CAP.DWD",
            "CAP.DRD",
            "ECAP.QI",
            "ECAP.IR",
            "ECAP.EIM",
            "ECAP.PT",
            "ECAP.IRO",
            "ECAP.MHMV"
        ])
    );
}

#[test]
fn vtd_sapphire_rapids_with_the_default_manifest() {
    let h = load("vtd-intel-m50fcp-sapphire-rapids.json");
    let e = explain(&h.regs, &Context::new(Kind::IntelVtd)).unwrap();
    // Host CAP fields: ND 6, PLMR, PHMR, SAGAW 0xc, MGAW 56, ZLR, FRO 0x40, SLLPS 3, PSI, MAMV 45,
    // DWD, DRD, FS1GP, PI, FS5LP. Guest: ND 6 | CM<<7 | SAGAW 0xc<<8 | MGAW 56<<16 | FRO 0x22<<24
    // | SLLPS 3<<34 | PSI<<39 | MAMV 45<<48 | DWD | DRD | FS1GP<<56 | FS5LP<<60.
    assert_eq!(reg(&e, "CAP"), 0x11ed_008c_2238_0c86);
    // ECAP keeps C, SC, MTS, NWFS, EAFS, PSS 19, PDS, SMTS, FSTS, SMPWC, RPS; QI, PT, IRO 0xf
    // from the VMM; clears DT (per device), IR/EIM/MHMV (VMM-owned 0), NEST, SRS (kernel cap),
    // DIT (owned 0), SLADS, SSTS (owned 0).
    assert_eq!(reg(&e, "ECAP"), 0x0003_8c9e_0200_0fc3);
    expect(&e, "CAP.PI", 1, 0, Cleared);
    expect(&e, "CAP.PLMR", 1, 0, Forced);
    expect(&e, "CAP.ZLR", 1, 0, Forced);
    expect(&e, "CAP.FRO", 0x40, 0x22, Forced);
    expect(&e, "CAP.CM", 0, 1, Forced);
    expect(&e, "CAP.SAGAW", 0xc, 0xc, Kept);
    expect(&e, "CAP.MGAW", 56, 56, Kept);
    expect(&e, "CAP.FS1GP", 1, 1, Kept);
    expect(&e, "CAP.FS5LP", 1, 1, Kept);
    expect(&e, "ECAP.NEST", 1, 0, Cleared);
    expect(&e, "ECAP.SRS", 1, 0, Cleared);
    expect(&e, "ECAP.DT", 1, 0, Cleared);
    expect(&e, "ECAP.SLADS", 1, 0, Cleared);
    expect(&e, "ECAP.PSS", 19, 19, Kept);
    expect(&e, "ECAP.FSTS", 1, 1, Kept);
    expect(&e, "ECAP.SMTS", 1, 1, Kept);
    expect(&e, "ECAP.IRO", 0x50, 0xf, Forced);
}

#[test]
fn vtd_sapphire_rapids_with_kernel_caps_flags_and_a_manifest() {
    let h = load("vtd-intel-m50fcp-sapphire-rapids.json");
    let mut ctx = Context::new(Kind::IntelVtd);
    ctx.manifest = manifest("manifest-vtd-pasid.json");
    // Only PRIV: ERS stays cleared for lack of IOMMU_HW_CAP_PCI_PASID_EXEC (host ERS is 0 anyway).
    ctx.kernel_caps = KernelCap::PciPasidPriv.bit();
    ctx.vm_flags.insert(VmFlag::Iopf);
    let e = explain(&h.regs, &ctx).unwrap();
    expect(&e, "ECAP.SRS", 1, 1, Kept); // manifest "host" + IOMMU_HW_CAP_PCI_PASID_PRIV
    expect(&e, "ECAP.PSS", 19, 15, Lowered); // min(19, 15)
    expect(&e, "ECAP.IR", 1, 1, Kept); // VMM-owned, manifest 1
    expect(&e, "ECAP.EIM", 1, 1, Kept);
    expect(&e, "ECAP.MHMV", 15, 15, Kept);
    expect(&e, "ECAP.PRS", 0, 0, Kept);
    // Default guest ECAP 0x0003_8c9e_0200_0fc3 with PSS 19 -> 15 (bits 35..39: 0x98 -> 0x78 in
    // the 0x..9e.. nibbles), plus SRS (bit 31), IR (3), EIM (4), MHMV 15 (bits 20..23):
    // 0x0003_8c7e_82f0_0fdb.
    assert_eq!(reg(&e, "ECAP"), 0x0003_8c7e_82f0_0fdb);
    // Without the kernel capability SRS is cleared with that reason.
    ctx.kernel_caps = 0;
    let e2 = explain(&h.regs, &ctx).unwrap();
    expect(&e2, "ECAP.SRS", 1, 0, Cleared);
    let r = &e2
        .decisions
        .iter()
        .find(|d| d.field == "ECAP.SRS")
        .unwrap()
        .reason;
    assert!(r.contains("IOMMU_HW_CAP_PCI_PASID_PRIV"), "{r}");
}

#[test]
fn vtd_xeon_with_the_default_manifest() {
    let h = load("vtd-xeon-utcs-lake.json");
    let e = explain(&h.regs, &Context::new(Kind::IntelVtd)).unwrap();
    // Host: ND 6, PLMR, PHMR, SAGAW 0x4 (48-bit), MGAW 47, ZLR, FRO 0x10, SLLPS 3, PSI, NFR 7,
    // MAMV 18, DWD, DRD, PI. Guest: 6 | CM | 0x4<<8 | 47<<16 | 0x22<<24 | 3<<34 | PSI | 18<<48 |
    // DWD | DRD = 0x00d2008c222f0486.
    assert_eq!(reg(&e, "CAP"), 0x00d2_008c_222f_0486);
    // ECAP host: C, QI, DT, IR, EIM, PT, SC, IRO 0x20, MHMV 15. Guest: C | QI | PT | SC | IRO 0xf
    // = 0x1 | 0x2 | 0x40 | 0x80 | 0xf00 = 0xfc3.
    assert_eq!(reg(&e, "ECAP"), 0xfc3);
    expect(&e, "CAP.NFR", 7, 0, Forced);
    expect(&e, "ECAP.C", 1, 1, Kept);
    expect(&e, "ECAP.SC", 1, 1, Kept);
}

#[test]
fn amd_fixtures_decode_to_the_flags_linux_printed() {
    // Linux prints "PPR NX GT IA PC GA_vAPIC" for 0x58f77ef22294a5a.
    let t = Kind::Amd.table();
    let on = |v: u64| -> BTreeSet<String> {
        decode(t, "EFR", v)
            .unwrap()
            .into_iter()
            .filter(|d| !d.unknown && d.width == 1 && d.raw == 1)
            .map(|d| d.name)
            .collect()
    };
    let printed = ["PPRSUP", "NXSUP", "GTSUP", "IASUP", "PCSUP", "GAMSUP_VAPIC"];
    let zen = on(0x058f_77ef_2229_4a5a);
    for p in printed {
        assert!(zen.contains(p), "{p}");
    }
    for absent in ["XTSUP", "GASUP", "HESUP", "SNPSUP"] {
        assert!(!zen.contains(absent), "{absent}");
    }
    // "PPR X2APIC NX [5] IA GA PC GA_vAPIC SNP" for 0xa5bf7320a2294aee (bit 5 is unnamed in Linux).
    let snp = on(0xa5bf_7320_a229_4aee);
    for p in [
        "PPRSUP",
        "XTSUP",
        "NXSUP",
        "IASUP",
        "GASUP",
        "PCSUP",
        "GAMSUP_VAPIC",
        "SNPSUP",
    ] {
        assert!(snp.contains(p), "{p}");
    }
    assert!(!snp.contains("GTSUP"));
    assert!(
        decode(t, "EFR", 0xa5bf_7320_a229_4aee)
            .unwrap()
            .iter()
            .any(|d| d.unknown && d.shift == 5)
    );
}

#[test]
fn amd_fixtures_keep_exactly_the_kdoc_allow_list() {
    // Allow-list mask: PPR(1) GT(4) GA(7) GATS(13:12) GLX(15:14) PASMAX(36:32) GIO(48) EPH(50).
    let h = load("amd-zen-desktop.json");
    let e = explain(&h.regs, &Context::new(Kind::Amd)).unwrap();
    // 0x058f77ef22294a5a & mask = PPR | GT | GLX=1 | PASMAX=15 | GIO | EPH = 0x0005000f00004012.
    assert_eq!(reg(&e, "EFR"), 0x0005_000f_0000_4012);
    assert_eq!(reg(&e, "EFR2"), 0);
    expect(&e, "EFR.PASMAX", 15, 15, Kept);
    expect(&e, "EFR.GLXSUP", 1, 1, Kept);
    expect(&e, "EFR.HATS", 2, 0, Cleared);
    expect(&e, "EFR.NXSUP", 1, 0, Cleared);
    expect(&e, "EFR.HASUP", 1, 0, Cleared);

    let h = load("amd-epyc-snp-host.json");
    let e = explain(&h.regs, &Context::new(Kind::Amd)).unwrap();
    // 0xa5bf7320a2294aee & mask = PPR | GA | GLX=1 | GIO | EPH = 0x0005000000004082.
    assert_eq!(reg(&e, "EFR"), 0x0005_0000_0000_4082);
    expect(&e, "EFR.SNPSUP", 1, 0, Cleared);
    expect(&e, "EFR.GASUP", 1, 1, Kept);
    expect(&e, "EFR2.GCR3TRPMODE", 1, 0, Cleared);
    // EFR2 0x1d: bit 3 is GCR3TRPMODE; bits 0, 2 and 4 are unknown to Linux.
    for b in [0, 2, 4] {
        expect(&e, &format!("EFR2.bit{b}"), 1, 0, Cleared);
    }
    assert_eq!(reg(&e, "EFR2"), 0);
}

#[test]
fn cpuid_xeon_gold_6252_with_the_default_manifest() {
    let h = load("cpuid-xeon-gold-6252.txt");
    let e = explain(&h.regs, &Context::new(Kind::X86Cpuid)).unwrap();
    // Leaf 7.0 EBX 0xd39ff7eb minus CQM (12), MPX (14), RDT_A (15), INTEL_PT (25) = 0xd19f27eb
    // (SGX, bit 2, and the undefined bit 22 are already 0).
    assert_eq!(reg(&e, "CPUID.0x7.0x0.EBX"), 0xd19f_27eb);
    expect(&e, "CPUID.0x7.0x0.EBX.FDP_EXCPTN_ONLY", 1, 1, Kept);
    expect(&e, "CPUID.0x7.0x0.EBX.ZERO_FCS_FDS", 1, 1, Kept);
    expect(&e, "CPUID.0x7.0x0.EBX.MPX", 1, 0, Cleared);
    expect(&e, "CPUID.0x7.0x0.EBX.AVX512F", 1, 1, Kept);
    // Leaf 7.0 EAX: max subleaf 0 on the host; the VMM-owned default is the host's (KVM's
    // min(host, 2)), so 0, kept.
    expect(&e, "CPUID.0x7.0x0.EAX.MAX_SUBLEAF", 0, 0, Kept);
    // Leaf 1: identity kept; VMX needs nested-virt; HYPERVISOR forced on; OSXSAVE forced off.
    expect(&e, "CPUID.0x1.0x0.EAX.MODEL", 5, 5, Kept);
    expect(&e, "CPUID.0x1.0x0.EAX.EXT_MODEL", 5, 5, Kept);
    expect(&e, "CPUID.0x1.0x0.ECX.VMX", 1, 0, Cleared);
    expect(&e, "CPUID.0x1.0x0.ECX.HYPERVISOR", 0, 1, Forced);
    expect(&e, "CPUID.0x1.0x0.ECX.OSXSAVE", 1, 0, Forced);
    expect(&e, "CPUID.0x1.0x0.ECX.MWAIT", 1, 0, Cleared);
    expect(&e, "CPUID.0x1.0x0.EBX.INITIAL_APIC_ID", 0xc7, 0, Forced);
    expect(&e, "CPUID.0x1.0x0.EDX.HT", 1, 0, Forced);
    // 0xD.0 EAX 0x2ff is a bitmap in the baseline: kept. EBX/ECX sizes are VMM-derived (0).
    assert_eq!(reg(&e, "CPUID.0xd.0x0.EAX"), 0x2ff);
    expect(&e, "CPUID.0xd.0x0.EBX.SIZE_ENABLED", 0xa88, 0, Forced);
    // 0xD.1 EAX 0xf: XSAVEOPT, XSAVEC, XGETBV1, XSAVES kept; ECX (IA32_XSS 0x100, PT) never.
    assert_eq!(reg(&e, "CPUID.0xd.0x1.EAX"), 0xf);
    expect(&e, "CPUID.0xd.0x1.ECX.XSS_LO", 0x100, 0, Cleared);
    // 0x80000008 EAX 0x302e: 46 physical and 48 linear address bits, kept.
    assert_eq!(reg(&e, "CPUID.0x80000008.0x0.EAX"), 0x302e);
    // 0x80000001 ECX 0x121: LAHF_LM (0), ABM (5), 3DNOWPREFETCH (8) kept.
    assert_eq!(reg(&e, "CPUID.0x80000001.0x0.ECX"), 0x121);
    // 0x80000001 EDX 0x2c100800: SYSCALL (11), NX (20), GBPAGES (26), RDTSCP (27), LM (29).
    assert_eq!(reg(&e, "CPUID.0x80000001.0x0.EDX"), 0x2c10_0800);
}

#[test]
fn cpuid_amd_t2a_guest_with_the_default_manifest() {
    let h = load("cpuid-amd-epyc-m6a-t2a-guest.txt");
    let e = explain(&h.regs, &Context::new(Kind::X86Cpuid)).unwrap();
    // Leaf 1 ECX 0xfffa3203 already has HYPERVISOR (31); OSXSAVE (27) forced off; MWAIT (3) is
    // 0; X2APIC (21) and TSC_DEADLINE (24) VMM-owned 1 and set. So ECX = 0xfffa3203 - 0x08000000
    // = 0xf7fa3203.
    assert_eq!(reg(&e, "CPUID.0x1.0x0.ECX"), 0xf7fa_3203);
    // Leaf 1 EDX 0x178bfbff: HT (28) forced off -> 0x078bfbff.
    assert_eq!(reg(&e, "CPUID.0x1.0x0.EDX"), 0x078b_fbff);
    // 0x80000001 ECX 0x00c00237 = bits 0 LAHF_LM, 1 CMP_LEGACY (VMM-owned 0), 2 SVM (needs
    // nested-virt), 4 CR8_LEGACY, 5 ABM, 9 OSVW (never), 22 TOPOEXT (VMM-owned 0), 23
    // PERFCTR_CORE (never).
    expect(&e, "CPUID.0x80000001.0x0.ECX.LAHF_LM", 1, 1, Kept);
    expect(&e, "CPUID.0x80000001.0x0.ECX.CMP_LEGACY", 1, 0, Forced);
    expect(&e, "CPUID.0x80000001.0x0.ECX.SVM", 1, 0, Cleared);
    expect(&e, "CPUID.0x80000001.0x0.ECX.CR8_LEGACY", 1, 1, Kept);
    expect(&e, "CPUID.0x80000001.0x0.ECX.ABM", 1, 1, Kept);
    expect(&e, "CPUID.0x80000001.0x0.ECX.OSVW", 1, 0, Cleared);
    expect(&e, "CPUID.0x80000001.0x0.ECX.TOPOEXT", 1, 0, Forced);
    expect(&e, "CPUID.0x80000001.0x0.ECX.PERFCTR_CORE", 1, 0, Cleared);
    // Kept: bits 0 (LAHF_LM), 4 (CR8_LEGACY), 5 (ABM) = 0x31.
    assert_eq!(reg(&e, "CPUID.0x80000001.0x0.ECX"), 0x31);
    // 0x80000008 EAX 0x3030: 48/48 address bits kept.
    assert_eq!(reg(&e, "CPUID.0x80000008.0x0.EAX"), 0x3030);
}

#[test]
fn baseline_of_two_vtd_servers() {
    let a = load("vtd-intel-m50fcp-sapphire-rapids.json");
    let b = load("vtd-xeon-utcs-lake.json");
    let mut bl = Baseline::new();
    bl.add(&a.regs, &a.name).unwrap();
    bl.add(&b.regs, &b.name).unwrap();
    let r = bl.finish().unwrap();
    let t = Kind::IntelVtd.table();
    let get = |f: &str| {
        let x = t.field(f).unwrap();
        x.get(r.profile.regs[x.reg])
    };
    // SAGAW 0xc & 0x4 = 0x4; MGAW min(56, 47) = 47; MAMV min(45, 18) = 18; FS1GP min(1, 0) = 0;
    // FRO min(0x40, 0x10) = 0x10 (lower-safe); NFR min(0, 7) = 0; PSS min(19, 0) = 0.
    assert_eq!(get("CAP.SAGAW"), 0x4);
    assert_eq!(get("CAP.MGAW"), 47);
    assert_eq!(get("CAP.MAMV"), 18);
    assert_eq!(get("CAP.FS1GP"), 0);
    assert_eq!(get("ECAP.PSS"), 0);
    assert_eq!(get("ECAP.SC"), 1);
    assert_eq!(r.hosts, 2);
    // Both hosts run the baseline; the baseline is a subset of each.
    for h in [&a, &b] {
        let c = compare(&r.profile, &h.regs).unwrap();
        assert!(
            matches!(c.verdict, Verdict::Subset | Verdict::Identical),
            "{:?}",
            c
        );
    }
    // The Sapphire Rapids host is not a subset of the Xeon: SAGAW 0xc has 57-bit the Xeon lacks.
    let c = compare(&a.regs, &b.regs).unwrap();
    assert_eq!(c.verdict, Verdict::Superset);
    let sagaw = c
        .responsible
        .iter()
        .find(|d| d.field == "CAP.SAGAW")
        .unwrap();
    // 0xc (48- and 57-bit) contains 0x4 (48-bit): the profile is more capable in SAGAW...
    assert_eq!(sagaw.direction, "profile-more-capable");
    // NFR (0 < 7) is less capable, but it is the emulated unit's count (vmm-owned): listed, not
    // a reason, so the pair is a superset, not incompatible (it was before the field classes).
    assert!(c.responsible.iter().all(|d| d.class == "capability"));
    let nfr = c
        .not_capabilities
        .iter()
        .find(|d| d.field == "CAP.NFR")
        .unwrap();
    assert_eq!(
        (nfr.direction, nfr.class),
        ("profile-less-capable", "vmm-owned")
    );
}

#[test]
fn baseline_of_intel_and_amd_fails_on_the_vendor() {
    let a = load("cpuid-xeon-gold-6252.txt");
    let b = load("cpuid-amd-epyc-m6a-t2a-guest.txt");
    let mut bl = Baseline::new();
    bl.add(&a.regs, "xeon").unwrap();
    let err = bl.add(&b.regs, "epyc").unwrap_err();
    assert_eq!(
        err,
        vcap_regs::BaselineError::VendorMismatch {
            first: "xeon".into(),
            first_vendor: "GenuineIntel".into(),
            host: "epyc".into(),
            vendor: "AuthenticAMD".into(),
        }
    );
}

/// Two Intel CPUs of different models fold into a feature set: the signature (identity, not a
/// capability) folds to 0 and is reported as varied; features fold by their rules. The second
/// CPU is constructed from the Xeon Gold 6252 dump: model 0x55 stepping 4 (Skylake-SP's
/// signature 0x50654) and without AVX512_VNNI (leaf 7 ECX bit 11), which Skylake-SP lacks.
#[test]
fn baseline_across_intel_models_is_a_feature_set() {
    let a = load("cpuid-xeon-gold-6252.txt");
    let mut b = a.clone();
    let t = Kind::X86Cpuid.table();
    let eax1 = t.register_index("CPUID.0x1.0x0.EAX").unwrap();
    let ecx7 = t.register_index("CPUID.0x7.0x0.ECX").unwrap();
    assert_eq!(a.regs.regs[eax1], 0x50657);
    b.regs.regs[eax1] = 0x50654;
    b.regs.regs[ecx7] &= !(1 << 11);
    let mut bl = Baseline::new();
    bl.add(&a.regs, "cascade-lake").unwrap();
    bl.add(&b.regs, "skylake").unwrap();
    let r = bl.finish().unwrap();
    let get = |f: &str| {
        let x = t.field(f).unwrap();
        x.get(r.profile.regs[x.reg])
    };
    assert_eq!(
        get("CPUID.0x1.0x0.EAX.STEPPING"),
        0,
        "stepping 7 vs 4: no common signature"
    );
    assert_eq!(get("CPUID.0x1.0x0.EAX.MODEL"), 5, "model agrees");
    assert_eq!(get("CPUID.0x7.0x0.ECX.AVX512_VNNI"), 0);
    assert_eq!(get("CPUID.0x7.0x0.EBX.AVX512F"), 1);
    let varied = vcap_regs::report::baseline_json(&r)["varied"].clone();
    assert!(
        varied
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["field"] == "CPUID.0x1.0x0.EAX.STEPPING" && v["class"] == "identity"),
        "{varied}"
    );
    // Each host compared with the baseline: the baseline runs on both.
    for h in [&a.regs, &b.regs] {
        assert!(compare(&r.profile, h).unwrap().verdict.runs());
    }
}

/// Topology fields are not capabilities: the same CPU seen from two vCPUs (APIC IDs 0 and 3)
/// is identical in every capability, so compare says identical in neither direction is it
/// "subset" (issue 18: two Broadwell dumps differing only in INITIAL_APIC_ID).
#[test]
fn compare_ignores_apic_ids_and_says_what_they_are() {
    let a = load("cpuid-xeon-gold-6252.txt");
    let mut b = a.clone();
    let t = Kind::X86Cpuid.table();
    let f = t.field("CPUID.0x1.0x0.EBX.INITIAL_APIC_ID").unwrap();
    b.regs.regs[f.reg] = (b.regs.regs[f.reg] & !f.reg_mask()) | (3 << f.shift);
    for (p, h) in [(&a, &b), (&b, &a)] {
        let c = compare(&p.regs, &h.regs).unwrap();
        assert_eq!(c.verdict, Verdict::Identical, "{c:?}");
        assert_eq!(c.not_capabilities.len(), 1);
        assert_eq!(
            c.not_capabilities[0].field,
            "CPUID.0x1.0x0.EBX.INITIAL_APIC_ID"
        );
        assert_eq!(c.not_capabilities[0].class, "vmm-owned");
    }
}

/// A multi-CPU dump folds every CPU (before: CPU 0 only); a leaf missing inside the CPU's range
/// is an error naming it (before: its fields silently read as 0).
#[test]
fn cpuid_dumps_fold_every_cpu_and_refuse_missing_leaves() {
    let text = std::fs::read_to_string(path("cpuid-xeon-gold-6252.txt")).unwrap();
    let body: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
    // CPU 1 lacks AVX2 (leaf 7 EBX bit 5): constructed, to see that CPU 1 counts.
    let cpu1 = body.replace("ebx=0xd39ff7eb", "ebx=0xd39ff7cb");
    let two = format!("CPU 0:\n{body}CPU 1:\n{cpu1}");
    let h = input::parse_cpuid_text(&two, "two").unwrap();
    assert_eq!(h.name, "two (2 CPUs folded)");
    let t = Kind::X86Cpuid.table();
    let avx2 = t.field("CPUID.0x7.0x0.EBX.AVX2").unwrap();
    assert_eq!(avx2.get(h.regs.regs[avx2.reg]), 0);
    // Leaf 7 removed: leaf 0 says the maximum basic leaf is 0x16, so leaf 7 exists.
    let no7: String = body
        .lines()
        .filter(|l| !l.contains("0x00000007 0x00"))
        .map(|l| format!("{l}\n"))
        .collect();
    let e = input::parse_cpuid_text(&no7, "no7")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("leaf 0x7 subleaf 0x0 is missing") && e.contains("maximum leaf includes it"),
        "{e}"
    );
    assert!(e.contains("AVX2"), "{e}");
    // Leaf 0 removed too: absence cannot be told, still an error.
    let no0: String = no7
        .lines()
        .filter(|l| !l.contains("0x00000000 0x00"))
        .map(|l| format!("{l}\n"))
        .collect();
    let e = input::parse_cpuid_text(&no0, "no0")
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing"), "{e}");
    // A CPU whose maximum basic leaf is 6 has no leaf 7: its features are 0 by the architecture.
    let old = no7.replace(
        "eax=0x00000016 ebx=0x756e6547",
        "eax=0x00000006 ebx=0x756e6547",
    );
    let old: String = old
        .lines()
        .filter(|l| !l.contains("0x0000000d"))
        .map(|l| format!("{l}\n"))
        .collect();
    let h = input::parse_cpuid_text(&old, "old").unwrap();
    assert_eq!(avx2.get(h.regs.regs[avx2.reg]), 0);
}

/// A VT-d baseline that ends with SAGAW = 0 is an error naming the field and the hosts.
#[test]
fn baseline_with_no_common_sagaw_names_the_hosts() {
    let t = Kind::IntelVtd.table();
    let sagaw = t.field("CAP.SAGAW").unwrap();
    let mgaw = t.field("CAP.MGAW").unwrap();
    // Constructed: host a walks only 4-level tables (SAGAW bit 2), host b only 5-level (bit 3).
    let mk = |bits: u64| {
        let mut r = vcap_regs::RegSet::zero(Kind::IntelVtd);
        r.regs[sagaw.reg] |= bits << sagaw.shift;
        r.regs[mgaw.reg] |= 47 << mgaw.shift;
        r
    };
    let mut bl = Baseline::new();
    bl.add(&mk(0b0100), "four-level").unwrap();
    bl.add(&mk(0b1000), "five-level").unwrap();
    let e = bl.finish().unwrap_err().to_string();
    assert!(e.starts_with("CAP.SAGAW = 0 in the baseline"), "{e}");
    assert!(e.contains("five-level (lacks bit 2"), "{e}");
    assert!(e.contains("four-level (lacks bit 3"), "{e}");
    // Bits no host had are not blamed on anyone.
    assert!(
        !e.contains("bit 0") && !e.contains("bit 1") && !e.contains("bit 4"),
        "{e}"
    );
}

/// Arm's FVP SMMUv3: our decode must agree with the field values the dump's own program printed.
#[test]
fn smmuv3_arm_fvp_decode_agrees_with_the_printed_fields() {
    let h = load("smmuv3-arm-fvp-base.json");
    let t = Kind::ArmSmmuV3.table();
    let printed: &[(&str, &[(&str, u64)])] = &[
        (
            "IDR0",
            &[
                ("ST_LEVEL", 1),
                ("TERM_MODEL", 0),
                ("STALL_MODEL", 0),
                ("TTENDIAN", 0),
                ("CD2L", 1),
                ("VMID16", 1),
                ("PRI", 1),
                ("SEV", 1),
                ("MSI", 1),
                ("ASID16", 0),
                ("ATS", 1),
                ("HYP", 1),
                ("HTTU", 2),
                ("BTM", 1),
                ("COHACC", 1),
                ("TTF", 3),
                ("S1P", 1),
                ("S2P", 1),
            ],
        ),
        (
            "IDR1",
            &[
                ("TABLES_PRESET", 0),
                ("QUEUES_PRESET", 0),
                ("REL", 0),
                ("ATTR_TYPES_OVR", 1),
                ("CMDQS", 19),
                ("EVTQS", 19),
                ("PRIQS", 19),
                ("SSIDSIZE", 20),
                ("SIDSIZE", 16),
            ],
        ),
        (
            "IDR3",
            &[("BBML", 0), ("RIL", 0), ("FWB", 0), ("MPAM", 0), ("HAD", 1)],
        ),
        (
            "IDR5",
            &[
                ("STALL_MAX", 1),
                ("VAX", 0),
                ("GRAN64K", 1),
                ("GRAN16K", 0),
                ("GRAN4K", 1),
                ("OAS", 5),
            ],
        ),
        ("AIDR", &[("ARCH_REV", 1)]),
    ];
    for (reg, fields) in printed {
        let d = decode(t, reg, h.regs.get(reg).unwrap()).unwrap();
        for (name, v) in *fields {
            let x = d
                .iter()
                .find(|x| x.name == *name)
                .unwrap_or_else(|| panic!("{reg}.{name}"));
            assert_eq!(x.raw, *v, "{reg}.{name}");
        }
    }
    // Bits the program named but no Linux header (and so no row of ours) defines: IDR0 ATOS (15)
    // and VMW (17), IDR1 ATTR_PERMS_OVR (26), IDR3 XNX (4); and IDR5 bit 3, which it did not name.
    let unknown = |reg: &str| -> Vec<u8> {
        decode(t, reg, h.regs.get(reg).unwrap())
            .unwrap()
            .iter()
            .filter(|x| x.unknown)
            .map(|x| x.shift)
            .collect()
    };
    assert_eq!(unknown("IDR0"), [15, 17]);
    assert_eq!(unknown("IDR1"), [26]);
    assert_eq!(unknown("IDR3"), [4]);
    assert_eq!(unknown("IDR5"), [3]);
}

#[test]
fn smmuv3_arm_fvp_with_the_default_manifest() {
    let h = load("smmuv3-arm-fvp-base.json");
    let e = explain(&h.regs, &Context::new(Kind::ArmSmmuV3)).unwrap();
    // IDR0 keeps S1P (derived 1), TTF 3, COHACC (derived 1), CD2L, ST_LEVEL 1; clears S2P, BTM,
    // HTTU, HYP, VMID16 (never), ATS (per device, not implemented), PRI (needs iopf, not
    // implemented), ATOS/VMW (unknown); forces MSI and SEV to the VMM-owned 0:
    // 0x2 | 0xc | 0x10 | 0x80000 | 0x8000000 = 0x0808001e.
    assert_eq!(reg(&e, "IDR0"), 0x0808_001e);
    expect(&e, "IDR0.HTTU", 2, 0, Cleared);
    expect(&e, "IDR0.BTM", 1, 0, Cleared);
    expect(&e, "IDR0.S2P", 1, 0, Cleared);
    expect(&e, "IDR0.HYP", 1, 0, Cleared);
    expect(&e, "IDR0.ATS", 1, 0, Cleared);
    expect(&e, "IDR0.PRI", 1, 0, Cleared);
    expect(&e, "IDR0.MSI", 1, 0, Forced);
    expect(&e, "IDR0.SEV", 1, 0, Forced);
    expect(&e, "IDR0.TTF", 3, 3, Kept);
    expect(&e, "IDR0.TTENDIAN", 0, 0, Kept);
    expect(&e, "IDR0.bit15", 1, 0, Cleared);
    expect(&e, "IDR0.bit17", 1, 0, Cleared);
    // IDR1: SIDSIZE 16, SSIDSIZE 20 kept; PRIQS forced to the owned 0; EVTQS/CMDQS 19 kept;
    // ATTR_TYPES_OVR cleared; bit 26 unknown: 16 | 20 << 6 | 19 << 16 | 19 << 21 = 0x02730510.
    assert_eq!(reg(&e, "IDR1"), 0x0273_0510);
    expect(&e, "IDR1.SSIDSIZE", 20, 20, Kept);
    expect(&e, "IDR1.PRIQS", 19, 0, Forced);
    // IDR3: HAD cleared (never), XNX (bit 4) unknown: 0.
    assert_eq!(reg(&e, "IDR3"), 0);
    // IDR5: OAS 5 forced to the owned default 4, GRAN4K and GRAN64K kept, STALL_MAX cleared
    // (firmware data), bit 3 unknown: 4 | 0x10 | 0x40 = 0x54.
    assert_eq!(reg(&e, "IDR5"), 0x54);
    expect(&e, "IDR5.OAS", 5, 4, Forced);
    expect(&e, "IDR5.STALL_MAX", 1, 0, Cleared);
    // Compared with QEMU's default vSMMU: the FVP host lacks RIL, BBML and GRAN16K that QEMU's
    // emulated SMMU advertises, so QEMU's profile does not run on it.
    let q = load("smmuv3-qemu-default.json");
    let c = compare(&q.regs, &h.regs).unwrap();
    assert!(!c.verdict.runs(), "{c:?}");
    let fields: Vec<&str> = c.responsible.iter().map(|d| d.field.as_str()).collect();
    for f in ["IDR3.RIL", "IDR3.BBML", "IDR5.GRAN16K"] {
        assert!(fields.contains(&f), "{f} {fields:?}");
    }
}

#[test]
fn smmuv3_arm_fvp_v3_2_with_the_default_manifest() {
    let h = load("smmuv3-arm-fvp-v3.2-tfa.json");
    let e = explain(&h.regs, &Context::new(Kind::ArmSmmuV3)).unwrap();
    // IDR0 0x0046123b = S2P, S1P, TTF 2, COHACC, BTM, HYP, ASID16, VMW (17, unknown), VMID16,
    // TTENDIAN 2 (LE), ST_LEVEL 0 (linear). Guest: S1P | TTF 2 | COHACC | ASID16 | TTENDIAN 2 =
    // 0x2 | 0x8 | 0x10 | 0x1000 | 0x400000 = 0x0040101a.
    assert_eq!(reg(&e, "IDR0"), 0x0040_101a);
    expect(&e, "IDR0.ST_LEVEL", 0, 0, Kept);
    expect(&e, "IDR0.BTM", 1, 0, Cleared);
    // IDR1 0x00600002: SIDSIZE 2 kept; EVTQS 0 and CMDQS 3 forced to the VMM-owned 19:
    // 2 | 19 << 16 | 19 << 21 = 0x02730002.
    assert_eq!(reg(&e, "IDR1"), 0x0273_0002);
    expect(&e, "IDR1.CMDQS", 3, 19, Forced);
    // IDR3 0x1714: HAD (never), XNX (4) and STT (9) unknown, FWB (never) cleared; RIL and BBML 2
    // kept: 0x400 | 0x1000 = 0x1400.
    assert_eq!(reg(&e, "IDR3"), 0x1400);
    expect(&e, "IDR3.FWB", 1, 0, Cleared);
    expect(&e, "IDR3.bit9", 1, 0, Cleared);
    // IDR5 0xffff0472: OAS 2 (40-bit) forced to the VMM-owned default 4 (44-bit) -- more than
    // this host has, which compare must catch; GRAN4K/16K/64K and VAX 1 kept; STALL_MAX 0xffff
    // cleared (firmware data): 4 | 0x70 | 0x400 = 0x474.
    assert_eq!(reg(&e, "IDR5"), 0x474);
    expect(&e, "IDR5.OAS", 2, 4, Forced);
    expect(&e, "IDR5.VAX", 1, 1, Kept);
    expect(&e, "AIDR.ARCH_REV", 2, 2, Kept);
    // The guest's OAS is more than the host's: the guest profile does not fit this host.
    let c = compare(&e.guest, &h.regs).unwrap();
    assert!(
        c.responsible
            .iter()
            .any(|d| d.field == "IDR5.OAS" && d.direction == "profile-more-capable")
    );
}

/// Two Arm FVP configurations folded: enum fields meet (ST_LEVEL 1 and 0 -> linear; TTF 3 and 2
/// -> AArch64; TTENDIAN mixed and LE -> LE), numeric fields take the minimum.
#[test]
fn baseline_of_two_arm_fvp_smmus() {
    let a = load("smmuv3-arm-fvp-base.json");
    let b = load("smmuv3-arm-fvp-v3.2-tfa.json");
    let mut bl = Baseline::new();
    bl.add(&a.regs, &a.name).unwrap();
    bl.add(&b.regs, &b.name).unwrap();
    let r = bl.finish().unwrap();
    let p = r.profile;
    // IDR0: S2P 1, S1P 1, TTF 2, COHACC 1, BTM 1, HTTU min(2,0)=0, HYP 1, ATS 0, ASID16 0, MSI 0,
    // SEV 0, PRI 0, VMID16 1, CD2L 0, TTENDIAN 2, ST_LEVEL 0; unknown ATOS/VMW dropped:
    // 0x1 | 0x2 | 0x8 | 0x10 | 0x20 | 0x200 | 0x40000 | 0x400000 = 0x0044023b.
    assert_eq!(p.regs[0], 0x0044_023b);
    // IDR1: SIDSIZE min(16,2)=2, SSIDSIZE 0, PRIQS 0, EVTQS 0, CMDQS min(19,3)=3, ATTR_TYPES_OVR 0.
    assert_eq!(p.regs[1], 0x0060_0002);
    // IDR3: HAD 1, FWB 0, RIL 0, BBML 0.
    assert_eq!(p.regs[3], 0x4);
    // IDR5: OAS min(5,2)=2, GRAN4K 1, GRAN16K 0, GRAN64K 1, VAX 0, STALL_MAX min(1,0xffff)=1.
    assert_eq!(p.regs[5], 0x0001_0052);
    // AIDR min(1, 2) = 1.
    assert_eq!(p.regs[7], 1);
    // IDR0 bits 15 and 17 (from the first), IDR1 bit 26, IDR3 bits 4 and 9, IDR5 bit 3.
    assert_eq!(r.dropped_unknown[0], (1 << 15) | (1 << 17));
    assert_eq!(r.dropped_unknown[3], (1 << 4) | (1 << 9));
    for h in [&a, &b] {
        assert!(compare(&p, &h.regs).unwrap().verdict.runs());
    }
}

/// The AMD leaves read since 0x80000007/0x8000001F/0x80000021 joined the table, on the T2A
/// guest dump: 0x8000001F EAX 0x0101fd3f has bits 0-5, 8, 10-15 and 24 set — of the rows, SME (0),
/// SEV (1), VM_PAGE_FLUSH (2), SEV_ES (3), SME_COHERENT (10), DEBUG_SWAP (14), not V_TSC_AUX (9) — all host memory-encryption capabilities a guest never sees through this
/// leaf; 0x80000007 EDX 0x100 is the invariant TSC (bit 8), VMM-owned (0 unless the VMM fixes the
/// TSC frequency); 0x80000021 is beyond the dump's maximum extended leaf 0x8000001f: zeros.
#[test]
fn amd_extended_leaves_on_the_t2a_guest() {
    let h = load("cpuid-amd-epyc-m6a-t2a-guest.txt");
    let e = explain(&h.regs, &Context::new(Kind::X86Cpuid)).unwrap();
    for f in [
        "SME",
        "SEV",
        "VM_PAGE_FLUSH",
        "SEV_ES",
        "SME_COHERENT",
        "DEBUG_SWAP",
    ] {
        expect(&e, &format!("CPUID.0x8000001f.0x0.EAX.{f}"), 1, 0, Cleared);
    }
    expect(&e, "CPUID.0x8000001f.0x0.EAX.V_TSC_AUX", 0, 0, Kept);
    assert_eq!(reg(&e, "CPUID.0x8000001f.0x0.EAX"), 0);
    expect(&e, "CPUID.0x80000007.0x0.EDX.INVARIANT_TSC", 1, 0, Forced);
    assert_eq!(h.regs.get("CPUID.0x80000021.0x0.EAX"), Some(0));
}
