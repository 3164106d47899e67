//! What a named VMM refuses on a host, in its own check order and words: the checks a VMM makes
//! between the host IOMMU's registers and the virtual IOMMU it is about to present, as rows.
//!
//! * `qemu-arm-smmuv3-accel`: QEMU `arm-smmuv3,accel=on`,
//!   `hw/arm/smmuv3-accel.c` `smmuv3_accel_check_hw_compatible()` (read at qemu/qemu
//!   13b941aaff48060ce0b5dca5a2b345a6dc25cb1c). QEMU stops at the first failing check; vcap
//!   reports every one, in QEMU's order, the first being what QEMU would print.
//! * `qemu-intel-iommu-x-flts`: QEMU `intel-iommu,x-flts=on`, `hw/i386/intel_iommu_accel.c`
//!   `vtd_check_hiod_accel()` (read at 0686ac68e1ddab26914e51a4e7b58c79dcabe161): the register
//!   check there is first-stage 1 GB pages (`s->fs1gp && !(cap_reg & VTD_CAP_FS1GP)`); its other
//!   checks (iommufd backend, hw_info type, device behind a PCI bridge) are not register checks.
//! * `iommufd-tegra241-cmdqv`: the kernel's rule for a guest command queue a VMM hands to a
//!   Tegra241 CMDQV (`IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV` kdoc in `include/uapi/linux/iommufd.h`:
//!   the queue is at most `2 ^ idr[1].CMDQS * 16` bytes, `idr[1]` read from the host's
//!   `iommu_hw_info_arm_smmuv3`, and the VMM limits the emulated vSMMU's IDR1.CMDQS): the vSMMU's
//!   IDR1.CMDQS must not exceed the host's. Outside the SMMUv3 baseline list, so only this profile
//!   checks it (an emulated queue in guest memory has no such bound).
//! * `cloud-hypervisor-virtio-iommu` ([`check_cloud_hypervisor`]): cloud-hypervisor's
//!   virtio-iommu, from its own `VmConfig` JSON rather than a register file: its width check in
//!   `vmm/src/config.rs`, then the host aperture the kernel enforces when the guest maps.

use crate::model::{Kind, RegSet};

/// How the host value must relate to the virtual IOMMU's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Refused when host ≠ guest.
    Equal,
    /// Refused when host < guest.
    HostNotBelow,
    /// Refused when host > guest.
    HostNotAbove,
    /// Refused when the guest has it (non-zero) and the host does not.
    IfGuestThenHost,
}

/// The VMM's words for a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Words {
    /// A fixed message.
    Plain(&'static str),
    /// `"<prefix> (host=H, QEMU=G)"`.
    HostQemu(&'static str),
    /// QEMU's stream-table message with both values.
    StLevel,
    /// QEMU's OAS message with both sizes in bits.
    Oas,
}

/// One check.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    /// `REG.NAME` in vcap's table.
    pub field: &'static str,
    /// The relation.
    pub op: Op,
    /// The words.
    pub words: Words,
}

/// A VMM's checks for one register file.
#[derive(Debug, Clone, Copy)]
pub struct VmmProfile {
    /// The name `compare --vmm` takes.
    pub name: &'static str,
    /// Which register file.
    pub kind: Kind,
    /// The source file and function the checks follow.
    pub source: &'static str,
    /// The checks, in the VMM's order.
    pub checks: &'static [Check],
}

const fn c(field: &'static str, op: Op, words: Words) -> Check {
    Check { field, op, words }
}

/// Every profile.
pub const PROFILES: &[VmmProfile] = &[
    VmmProfile {
        name: "qemu-arm-smmuv3-accel",
        kind: Kind::ArmSmmuV3,
        source: "qemu hw/arm/smmuv3-accel.c smmuv3_accel_check_hw_compatible()",
        checks: &[
            c("IDR0.ST_LEVEL", Op::Equal, Words::StLevel),
            c(
                "IDR0.TTENDIAN",
                Op::HostNotAbove,
                Words::Plain("Host SMMUv3 doesn't support Little-endian translation table"),
            ),
            c(
                "IDR0.TTF",
                Op::HostNotBelow,
                Words::Plain("Host SMMUv3 doesn't support AArch64 translation table format"),
            ),
            c(
                "IDR1.SIDSIZE",
                Op::HostNotBelow,
                Words::HostQemu("Host SMMUv3 SIDSIZE not compatible"),
            ),
            c(
                "IDR1.SSIDSIZE",
                Op::HostNotBelow,
                Words::HostQemu("Host SMMUv3 SSIDSIZE not compatible"),
            ),
            c(
                "IDR3.RIL",
                Op::HostNotBelow,
                Words::Plain("Host SMMUv3 doesn't support Range Invalidation"),
            ),
            c("IDR5.OAS", Op::HostNotBelow, Words::Oas),
            c(
                "IDR0.ATS",
                Op::HostNotBelow,
                Words::Plain("Host SMMUv3 doesn't support Address Translation Services"),
            ),
            c(
                "IDR5.GRAN4K",
                Op::Equal,
                Words::Plain("Host SMMUv3 doesn't support 4K translation granule"),
            ),
            c(
                "IDR5.GRAN16K",
                Op::Equal,
                Words::Plain("Host SMMUv3 doesn't support 16K translation granule"),
            ),
            c(
                "IDR5.GRAN64K",
                Op::Equal,
                Words::Plain("Host SMMUv3 doesn't support 64K translation granule"),
            ),
        ],
    },
    VmmProfile {
        name: "iommufd-tegra241-cmdqv",
        kind: Kind::ArmSmmuV3,
        source: "linux include/uapi/linux/iommufd.h IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV",
        checks: &[c(
            "IDR1.CMDQS",
            Op::HostNotBelow,
            Words::HostQemu(
                "a guest command queue of 2^CMDQS entries exceeds the host's 2^idr[1].CMDQS x 16 bytes",
            ),
        )],
    },
    VmmProfile {
        name: "qemu-intel-iommu-x-flts",
        kind: Kind::IntelVtd,
        source: "qemu hw/i386/intel_iommu_accel.c vtd_check_hiod_accel()",
        checks: &[c(
            "CAP.FS1GP",
            Op::IfGuestThenHost,
            Words::Plain("First stage 1GB large page is unsupported by host IOMMU"),
        )],
    },
];

/// The profile called `name`.
pub fn profile(name: &str) -> Option<&'static VmmProfile> {
    PROFILES.iter().find(|p| p.name == name)
}

/// One check the host fails.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Refusal {
    /// 1-based position in the VMM's order.
    pub order: usize,
    /// `REG.NAME`.
    pub field: &'static str,
    /// The host's value.
    pub host: u64,
    /// The virtual IOMMU's value.
    pub guest: u64,
    /// The VMM's words.
    pub message: String,
}

/// Why a check could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VmmError {
    /// The registers are not the profile's register file.
    #[error("{vmm} checks {want} registers, but the {side} is {got}")]
    Kind {
        /// The profile.
        vmm: &'static str,
        /// Its kind.
        want: Kind,
        /// `profile` or `host`.
        side: &'static str,
        /// The kind given.
        got: Kind,
    },
}

fn oas_bits(v: u64) -> u64 {
    // smmuv3_oas_bits(): { 32, 36, 40, 42, 44, 48, 52, 56 }
    [32, 36, 40, 42, 44, 48, 52, 56]
        .get(v as usize)
        .copied()
        .unwrap_or(0)
}

/// Every check of `vmm` that `host` fails against the virtual IOMMU `guest`, in the VMM's order.
pub fn check(vmm: &VmmProfile, guest: &RegSet, host: &RegSet) -> Result<Vec<Refusal>, VmmError> {
    for (side, r) in [("profile", guest), ("host", host)] {
        if r.kind != vmm.kind {
            return Err(VmmError::Kind {
                vmm: vmm.name,
                want: vmm.kind,
                side,
                got: r.kind,
            });
        }
    }
    let t = vmm.kind.table();
    let mut out = Vec::new();
    for (i, ch) in vmm.checks.iter().enumerate() {
        let Some(f) = t.field(ch.field) else {
            continue;
        };
        let (h, g) = (f.get(host.regs[f.reg]), f.get(guest.regs[f.reg]));
        let refused = match ch.op {
            Op::Equal => h != g,
            Op::HostNotBelow => h < g,
            Op::HostNotAbove => h > g,
            Op::IfGuestThenHost => g != 0 && h == 0,
        };
        if refused {
            let message = match ch.words {
                Words::Plain(m) => m.to_string(),
                Words::HostQemu(m) if vmm.name.starts_with("qemu-") => {
                    format!("{m} (host={h}, QEMU={g})")
                }
                Words::HostQemu(m) => format!("{m} (host={h}, vSMMU={g})"),
                Words::StLevel => format!(
                    "Host SMMUv3 Stream Table format mismatch (host STLEVEL={h}, QEMU STLEVEL={g})"
                ),
                Words::Oas => format!(
                    "Host SMMUv3 supports only {}-bit IPA, but the vSMMU OAS implies {}-bit IPA",
                    oas_bits(h),
                    oas_bits(g)
                ),
            };
            out.push(Refusal {
                order: i + 1,
                field: ch.field,
                host: h,
                guest: g,
                message,
            });
        }
    }
    Ok(out)
}

/// The name `compare --vmm` takes for cloud-hypervisor's virtual IOMMU.
pub const CLOUD_HYPERVISOR: &str = "cloud-hypervisor-virtio-iommu";

/// Where the cloud-hypervisor profile's checks come from (read at cloud-hypervisor
/// ae44c2971c83dd2b1bd704fa81102ec0dec4e7d4).
pub const CLOUD_HYPERVISOR_SOURCE: &str = "cloud-hypervisor vmm/src/config.rs PlatformConfig::validate() and virtio-devices/src/iommu.rs Iommu::new(); the host bound is the kernel's IOMMU domain aperture (drivers/iommu/intel/iommu.c paging_domain_alloc(), arm-smmu-v3.c arm_smmu_domain_finalise())";

/// What cloud-hypervisor's VM configuration says about its virtual IOMMU: the parts of its
/// `VmConfig` JSON (the `vm.create` API body, `vmm/src/vm_config.rs`) the checks read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChIommu {
    /// Whether the VM has a virtio-iommu: `iommu`, any device, disk or network with `iommu:
    /// true`, or `platform.iommu_segments` (each makes cloud-hypervisor create one).
    pub iommu: bool,
    /// `platform.iommu_address_width_bits` (default 64, `DEFAULT_IOMMU_ADDRESS_WIDTH_BITS`).
    pub address_width_bits: u64,
}

/// Reads the parts of a cloud-hypervisor `VmConfig` JSON the profile needs (other keys are
/// cloud-hypervisor's and ignored).
pub fn parse_cloud_hypervisor_config(text: &str) -> Result<ChIommu, String> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not a cloud-hypervisor VmConfig: {e}"))?;
    let obj = v
        .as_object()
        .ok_or("not a cloud-hypervisor VmConfig: expected a JSON object")?;
    let flag = |x: &serde_json::Value| x.get("iommu").and_then(serde_json::Value::as_bool);
    let mut iommu = flag(&v).unwrap_or(false);
    for key in [
        "disks",
        "net",
        "devices",
        "pmem",
        "fs",
        "vdpa",
        "vsock",
        "user_devices",
    ] {
        match obj.get(key) {
            Some(serde_json::Value::Array(a)) => iommu |= a.iter().any(|d| flag(d) == Some(true)),
            Some(d @ serde_json::Value::Object(_)) => iommu |= flag(d) == Some(true),
            _ => {}
        }
    }
    let platform = v.get("platform");
    if let Some(serde_json::Value::Array(segs)) = platform.and_then(|p| p.get("iommu_segments")) {
        // Every device on these PCI segments sits behind the virtio-iommu.
        iommu |= !segs.is_empty();
    }
    let address_width_bits = match v
        .get("platform")
        .and_then(|p| p.get("iommu_address_width_bits"))
    {
        None => 64,
        Some(w) => w.as_u64().ok_or_else(|| {
            format!("platform.iommu_address_width_bits: expected an integer, found {w}")
        })?,
    };
    Ok(ChIommu {
        iommu,
        address_width_bits,
    })
}

/// The IOVA width the host kernel's IOMMU domain accepts, from the host IOMMU's registers, with
/// the field that bounds it: VT-d `min(MGAW + 1, widest SAGAW level)` (39, 48 or 57 bits), one
/// bit less when scalable mode with first-stage translation (`ECAP.SMTS`, `ECAP.FSTS`) lets the
/// kernel use a first-stage domain (its aperture skips the canonical bit N-1); SMMUv3 stage 1:
/// 52 bits with `IDR5.VAX`, else 48. `None` for register files without such a bound here.
pub fn host_iova_bits(host: &RegSet) -> Option<(u64, &'static str)> {
    let t = host.kind.table();
    let get = |name: &str| t.field(name).map(|f| f.get(host.regs[f.reg]));
    match host.kind {
        Kind::IntelVtd => {
            let mgaw = get("CAP.MGAW")? + 1;
            let sagaw = get("CAP.SAGAW")?;
            let levels = [(3u64, 57u64), (2, 48), (1, 39)]
                .iter()
                .find(|(bit, _)| sagaw & (1 << bit) != 0)
                .map_or(0, |(_, w)| *w);
            let (mut w, mut field) = if levels < mgaw {
                (levels, "CAP.SAGAW")
            } else {
                (mgaw, "CAP.MGAW")
            };
            if get("ECAP.SMTS")? == 1 && get("ECAP.FSTS")? == 1 && w > 0 {
                w -= 1;
                field = "ECAP.FSTS";
            }
            Some((w, field))
        }
        Kind::ArmSmmuV3 => Some((if get("IDR5.VAX")? == 1 { 52 } else { 48 }, "IDR5.VAX")),
        _ => None,
    }
}

/// What cloud-hypervisor refuses, then what its virtio-iommu would fail at run time on `host`,
/// in that order: (1) `PlatformConfig::validate()`: the address width must be at most 64
/// (cloud-hypervisor's words); (2) the guest's IOVAs reach `2^width - 1` (`input_range`, or the
/// whole 64-bit space when the width is 64 and no range is advertised), and every one the guest
/// maps for a VFIO device becomes a host IOMMU mapping, so the host domain's aperture must cover
/// it — cloud-hypervisor does not check this; the kernel fails the map when the guest first uses
/// such an IOVA; (3) the virtio-iommu page size mask is 4 KiB | 2 MiB, so an SMMUv3 host must
/// have the 4 KiB granule.
pub fn check_cloud_hypervisor(cfg: &ChIommu, host: &RegSet) -> Result<Vec<Refusal>, String> {
    let mut out = Vec::new();
    if cfg.address_width_bits > 64 {
        out.push(Refusal {
            order: 1,
            field: "platform.iommu_address_width_bits",
            host: 64,
            guest: cfg.address_width_bits,
            message: format!(
                "IOMMU address width in bits ({}) should be less than or equal to 64",
                cfg.address_width_bits
            ),
        });
        return Ok(out);
    }
    if !cfg.iommu {
        return Ok(out);
    }
    let Some((bits, field)) = host_iova_bits(host) else {
        return Err(format!(
            "{CLOUD_HYPERVISOR} checks a host VT-d or SMMUv3; this host is {}",
            host.kind
        ));
    };
    if cfg.address_width_bits > bits {
        out.push(Refusal {
            order: 2,
            field,
            host: bits,
            guest: cfg.address_width_bits,
            message: format!(
                "not a cloud-hypervisor check: the host IOMMU domain maps IOVAs below 2^{bits}, the virtio-iommu lets the guest use IOVAs up to 2^{} - 1, so the kernel fails the DMA map of a passed-through device once the guest uses one above; set --platform iommu_address_width={bits}",
                cfg.address_width_bits
            ),
        });
    }
    if host.kind == Kind::ArmSmmuV3 {
        let t = host.kind.table();
        if let Some(f) = t.field("IDR5.GRAN4K")
            && f.get(host.regs[f.reg]) == 0
        {
            out.push(Refusal {
                order: 3,
                field: "IDR5.GRAN4K",
                host: 0,
                guest: 1,
                message: "not a cloud-hypervisor check: the virtio-iommu page size mask is 4 KiB | 2 MiB and the host SMMUv3 has no 4 KiB granule, so the guest's 4 KiB mappings cannot be made".into(),
            });
        }
    }
    Ok(out)
}

/// One fleet-safe virtual IOMMU setting: a property a VMM takes, its value, and the host field
/// (after the fleet's baseline) that bounds it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Setting {
    /// QEMU's `-device` property (`hw/arm/smmuv3.c` `smmuv3_properties`, `hw/i386/intel_iommu.c`
    /// `vtd_properties`, `hw/i386/x86-iommu.c` `x86_iommu_properties`).
    pub qemu: &'static str,
    /// libvirt's `<iommu><driver>` attribute, when libvirt has one.
    pub libvirt: Option<&'static str>,
    /// The value (`on`/`off` or a number).
    pub value: String,
    /// `REG.NAME` of the baseline field that sets it.
    pub field: &'static str,
    /// That field's value in the baseline.
    pub host: u64,
}

/// The virtual IOMMU every host of a fleet can back, from the fleet's baseline (`vcap
/// baseline`): the QEMU device and libvirt model, and the settings, in QEMU's property order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ViommuSettings {
    /// QEMU's device (`arm-smmuv3`, `intel-iommu`).
    pub qemu_device: &'static str,
    /// libvirt's `<iommu model=…>`.
    pub libvirt_model: &'static str,
    /// The settings.
    pub settings: Vec<Setting>,
    /// Fleet fields with no QEMU or libvirt property to set.
    pub notes: Vec<String>,
}

/// Fleet-safe vIOMMU settings for an SMMUv3 or VT-d baseline, so that QEMU's accelerated checks
/// (`qemu-arm-smmuv3-accel`, `qemu-intel-iommu-x-flts`) pass on every host of the fleet.
///
/// SMMUv3 (`arm-smmuv3,accel=on`, which needs nested translation: IDR0.S1P and IDR0.S2P on every
/// host; QEMU 13b941aa `smmuv3_properties`: `ril` and `ats` on/off,
/// `oas` 44 or 48, `ssidsize` 0–20; libvirt `<driver accel= ats= ril= ssidsize= oas=>`, the
/// attributes of libvirt-go-xml-module's `DomainIOMMUDriver`): `ril` = IDR3.RIL, `ats` =
/// IDR0.ATS, `oas` the widest of 44/48 not above IDR5.OAS (an error below 44: QEMU has no smaller
/// value), `ssidsize` = min(IDR1.SSIDSIZE, 20). IDR1.CMDQS has no QEMU property (Tegra241
/// CMDQV's queue bound: `compare --vmm iommufd-tegra241-cmdqv`).
///
/// VT-d (`intel-iommu`; QEMU `vtd_properties` and `x86_iommu_properties`; libvirt `<driver
/// aw_bits= iotlb=>`): `x-flts=on` when every host has first-stage translation (ECAP.SMTS and
/// ECAP.FSTS), then `fs1gp` = CAP.FS1GP; `aw-bits` 48 when SAGAW has 4-level tables and MGAW + 1
/// ≥ 48, else 39 when SAGAW has 3-level (an error otherwise); `device-iotlb` = ECAP.DT. libvirt has
/// no `x-flts`/`fs1gp` attribute: they are notes.
pub fn viommu_settings(baseline: &RegSet) -> Result<ViommuSettings, String> {
    let t = baseline.kind.table();
    let get = |name: &'static str| -> Result<u64, String> {
        t.field(name)
            .map(|f| f.get(baseline.regs[f.reg]))
            .ok_or_else(|| format!("no field {name}"))
    };
    let onoff = |v: u64| if v != 0 { "on" } else { "off" }.to_string();
    let s = |qemu, libvirt, value, field, host| Setting {
        qemu,
        libvirt,
        value,
        field,
        host,
    };
    match baseline.kind {
        Kind::ArmSmmuV3 => {
            let oas = get("IDR5.OAS")?;
            let oas_bits = match oas {
                5.. => 48,
                4 => 44,
                _ => {
                    return Err(format!(
                        "the fleet's IDR5.OAS is {oas} ({} bits); QEMU's arm-smmuv3 takes oas=44 or 48",
                        oas_bits(oas)
                    ));
                }
            };
            let (ril, ats, ssid) = (get("IDR3.RIL")?, get("IDR0.ATS")?, get("IDR1.SSIDSIZE")?);
            // accel=on puts the guest's stage 1 over the host's stage 2 (nested translation).
            let nested = get("IDR0.S1P")? & get("IDR0.S2P")?;
            if nested == 0 {
                return Err("not every host has nested translation (IDR0.S1P and IDR0.S2P): accel=on cannot be backed".into());
            }
            Ok(ViommuSettings {
                qemu_device: "arm-smmuv3",
                libvirt_model: "smmuv3",
                settings: vec![
                    s("accel", Some("accel"), "on".into(), "IDR0.S2P", nested),
                    s("ril", Some("ril"), onoff(ril), "IDR3.RIL", ril),
                    s("ats", Some("ats"), onoff(ats), "IDR0.ATS", ats),
                    s("oas", Some("oas"), oas_bits.to_string(), "IDR5.OAS", oas),
                    s(
                        "ssidsize",
                        Some("ssidsize"),
                        ssid.min(20).to_string(),
                        "IDR1.SSIDSIZE",
                        ssid,
                    ),
                ],
                notes: vec![format!(
                    "IDR1.CMDQS = {} has no QEMU property; a Tegra241 CMDQV guest queue is bounded by it (compare --vmm iommufd-tegra241-cmdqv)",
                    get("IDR1.CMDQS")?
                )],
            })
        }
        Kind::IntelVtd => {
            let (sagaw, mgaw) = (get("CAP.SAGAW")?, get("CAP.MGAW")? + 1);
            let aw = if sagaw & 0b100 != 0 && mgaw >= 48 {
                48
            } else if sagaw & 0b10 != 0 && mgaw >= 39 {
                39
            } else {
                return Err(format!(
                    "the fleet's VT-d has SAGAW {sagaw:#b} and MGAW {mgaw} bits: no width QEMU's intel-iommu takes (aw-bits 39 or 48)"
                ));
            };
            let flts = get("ECAP.SMTS")? & get("ECAP.FSTS")?;
            let mut settings = Vec::new();
            let mut notes = Vec::new();
            if flts == 1 {
                let fs1gp = get("CAP.FS1GP")?;
                settings.push(s("x-flts", None, "on".into(), "ECAP.FSTS", flts));
                settings.push(s("fs1gp", None, onoff(fs1gp), "CAP.FS1GP", fs1gp));
                notes.push(
                    "libvirt has no attribute for x-flts or fs1gp: pass them with <qemu:commandline> or leave first-stage translation off".into(),
                );
            } else {
                notes.push("not every host has first-stage translation (ECAP.SMTS and ECAP.FSTS): no x-flts".into());
            }
            settings.push(s(
                "aw-bits",
                Some("aw_bits"),
                aw.to_string(),
                "CAP.MGAW",
                mgaw - 1,
            ));
            let dt = get("ECAP.DT")?;
            settings.push(s("device-iotlb", Some("iotlb"), onoff(dt), "ECAP.DT", dt));
            Ok(ViommuSettings {
                qemu_device: "intel-iommu",
                libvirt_model: "intel",
                settings,
                notes,
            })
        }
        k => Err(format!(
            "fleet-safe vIOMMU settings are for arm_smmuv3 and intel_vtd, not {k}"
        )),
    }
}

impl ViommuSettings {
    /// The QEMU `-device` value: `arm-smmuv3,accel=on,ril=off,…`.
    pub fn to_qemu(&self) -> String {
        let mut out = self.qemu_device.to_string();
        for s in &self.settings {
            out.push_str(&format!(",{}={}", s.qemu, s.value));
        }
        out
    }

    /// The libvirt `<iommu>` element (settings libvirt has no attribute for are left out; see
    /// `notes`).
    pub fn to_libvirt(&self) -> String {
        let attrs: Vec<String> = self
            .settings
            .iter()
            .filter_map(|s| s.libvirt.map(|a| format!("{a}='{}'", s.value)))
            .collect();
        format!(
            "<iommu model='{}'>\n  <driver {}/>\n</iommu>\n",
            self.libvirt_model,
            attrs.join(" ")
        )
    }
}
