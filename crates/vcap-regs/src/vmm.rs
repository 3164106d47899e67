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
