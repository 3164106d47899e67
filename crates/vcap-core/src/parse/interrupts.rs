//! `/proc/interrupts`: which interrupt chips (domains) carry the interrupts in use. The chip name
//! is the column after the per-CPU counts. Names come from Linux: the IR domains prefix `IR-`
//! (`dmar_msi_parent_ops` / `amdvi_msi_parent_ops` `.prefix = "IR-"`, drivers/iommu/intel/
//! irq_remapping.c and drivers/iommu/amd/iommu.c), the virtual-IR variant of v6.2–v6.9 prefixes
//! `vIR-` (`virt_dmar_msi_parent_ops`), the per-device MSI domains since v6.2 are named
//! `PCI-MSI-<bdf>` / `PCI-MSIX-<bdf>` (drivers/pci/msi/irqdomain.c), older kernels show
//! `PCI-MSI` / `IR-PCI-MSI`; the IO-APIC chip is `IO-APIC` / `IR-IO-APIC`.

use serde::Serialize;

/// What a chip name says about the interrupt's parent domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum ChipKind {
    /// MSI or MSI-X through an interrupt-remapping domain (`IR-PCI-MSI…`).
    RemappedMsi,
    /// MSI or MSI-X through the virtual-IR domain of Linux v6.2–v6.9 (`vIR-PCI-MSI…`).
    VirtRemappedMsi,
    /// IO-APIC through interrupt remapping (`IR-IO-APIC`).
    RemappedIoapic,
    /// MSI or MSI-X on the plain vector domain (`PCI-MSI…`).
    VectorMsi,
    /// IO-APIC without remapping.
    Ioapic,
    /// An IOMMU's own interrupts (`DMAR-MSI`, `AMD-Vi…`).
    IommuOwn,
    /// Hyper-V's IO-APIC remapping domain (`HYPERV-IR`, `HYPERV-ROOT-IR` in the root partition;
    /// drivers/iommu/hyperv-iommu.c).
    HypervIr,
    /// Arm GIC ITS MSI (`ITS-MSI`, `ITS-pMSI`).
    ItsMsi,
    /// Anything else (GIC, XT-PIC, …).
    Other,
}

/// Classifies a chip name by prefix, in table order.
pub const CHIPS: &[(&str, ChipKind)] = &[
    ("vIR-PCI-MSI", ChipKind::VirtRemappedMsi),
    ("IR-PCI-MSI", ChipKind::RemappedMsi),
    ("IR-IO-APIC", ChipKind::RemappedIoapic),
    ("PCI-MSI", ChipKind::VectorMsi),
    ("IO-APIC", ChipKind::Ioapic),
    ("DMAR-MSI", ChipKind::IommuOwn),
    ("AMD-Vi", ChipKind::IommuOwn),
    ("HYPERV-IR", ChipKind::HypervIr),
    ("HYPERV-ROOT-IR", ChipKind::HypervIr),
    ("ITS-MSI", ChipKind::ItsMsi),
    ("ITS-pMSI", ChipKind::ItsMsi),
    ("ITS-fMSI", ChipKind::ItsMsi),
    // Per-device MSI domains under the ITS as MSI parent (Linux 6.x): the parent's prefix, then
    // the device domain's template name and the device (`ITS-PCI-MSIX-0000:00:01.0`), as seen
    // in the QEMU 10 + Linux 6.12 arm64 guests (tests/fixtures/qemu10-arm64-*); Linux
    // drivers/irqchip/irq-gic-v3-its-msi-parent.c `.prefix = "ITS-"`, kernel/irq/msi.c
    // msi_create_device_irq_domain().
    ("ITS-PCI-MSI", ChipKind::ItsMsi),
];

/// The kind of a chip name.
pub fn classify(chip: &str) -> ChipKind {
    CHIPS
        .iter()
        .find(|(p, _)| chip.starts_with(p))
        .map_or(ChipKind::Other, |(_, k)| *k)
}

/// One chip and how many numbered interrupts use it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Chip {
    /// Chip name without a per-device suffix (`IR-PCI-MSIX-0000:00:14.3` → `IR-PCI-MSIX`).
    pub name: String,
    /// Its kind.
    pub kind: ChipKind,
    /// Interrupt lines using it.
    pub lines: usize,
}

/// Why `/proc/interrupts` could not be parsed; names the line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[error("line {line}: {what}")]
pub struct InterruptsError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub what: String,
}

/// Strips a per-device suffix `-<domain>:<bus>:<dev>.<fn>` (or `-<bus>:<dev>.<fn>`).
fn base_name(chip: &str) -> &str {
    if let Some(i) = chip.find("-0000:").or_else(|| {
        chip.rfind('-').filter(|&i| {
            let tail = &chip[i + 1..];
            tail.contains(':') && tail.contains('.')
        })
    }) {
        &chip[..i]
    } else {
        chip
    }
}

/// Parses `/proc/interrupts`: the header names the CPUs; each numbered line has one count per CPU
/// and then the chip name. Lines with fewer counts (CPU hot-unplug) are taken as they come.
pub fn parse(text: &str) -> Result<Vec<Chip>, InterruptsError> {
    let mut lines = text.lines().enumerate();
    let cpus = match lines.next() {
        Some((_, h)) => {
            let n = h
                .split_whitespace()
                .filter(|t| {
                    t.strip_prefix("CPU")
                        .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
                })
                .count();
            if n == 0 {
                return Err(InterruptsError {
                    line: 1,
                    what: format!("header names no CPU column: {:?}", truncate(h)),
                });
            }
            n
        }
        None => {
            return Err(InterruptsError {
                line: 1,
                what: "empty".into(),
            });
        }
    };
    let mut out: Vec<Chip> = Vec::new();
    for (i, line) in lines {
        let mut toks = line.split_whitespace();
        let Some(label) = toks.next() else { continue };
        let Some(num) = label.strip_suffix(':') else {
            return Err(InterruptsError {
                line: i + 1,
                what: format!("no \"N:\" label: {:?}", truncate(line)),
            });
        };
        if !num.chars().all(|c| c.is_ascii_digit()) {
            continue; // NMI, LOC, ERR, MIS, …: not a numbered interrupt
        }
        let rest: Vec<&str> = toks.collect();
        let counts = rest
            .iter()
            .take(cpus)
            .take_while(|t| t.chars().all(|c| c.is_ascii_digit()))
            .count();
        let Some(chip) = rest.get(counts) else {
            continue; // a line with counts only (no chip): nothing to learn
        };
        let name = base_name(chip).to_string();
        let kind = classify(&name);
        match out.iter_mut().find(|c| c.name == name) {
            Some(c) => c.lines += 1,
            None => out.push(Chip {
                name,
                kind,
                lines: 1,
            }),
        }
    }
    Ok(out)
}

fn truncate(s: &str) -> String {
    s.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chips_old_and_new_naming() {
        let t = "            CPU0       CPU1       \n   0:         30          0   IO-APIC   2-edge      timer\n   8:          0          0   IR-IO-APIC    8-edge      rtc0\n 120:          0          0  DMAR-MSI    0-edge      dmar0\n 124:       1830          0  IR-PCI-MSI 327680-edge      xhci_hcd\n 125:          0         12  IR-PCI-MSIX-0000:00:14.3    0-edge      iwlwifi\n 126:          0         12  IR-PCI-MSIX-0000:00:14.3    1-edge      iwlwifi\n NMI:          0          0   Non-maskable interrupts\n";
        let c = parse(t).unwrap();
        let k = |n: &str| c.iter().find(|x| x.name == n).unwrap();
        assert_eq!(k("IR-PCI-MSIX").kind, ChipKind::RemappedMsi);
        assert_eq!(k("IR-PCI-MSIX").lines, 2);
        assert_eq!(k("IR-PCI-MSI").kind, ChipKind::RemappedMsi);
        assert_eq!(k("IR-IO-APIC").kind, ChipKind::RemappedIoapic);
        assert_eq!(k("DMAR-MSI").kind, ChipKind::IommuOwn);
        assert_eq!(k("IO-APIC").kind, ChipKind::Ioapic);
    }

    #[test]
    fn vector_domain_and_virtual_ir() {
        assert_eq!(classify("PCI-MSIX-0000:00:03.0"), ChipKind::VectorMsi);
        assert_eq!(
            classify("vIR-PCI-MSIX-0000:00:03.0"),
            ChipKind::VirtRemappedMsi
        );
    }

    #[test]
    fn junk_header_names_line() {
        assert_eq!(parse("garbage\n").unwrap_err().line, 1);
        assert_eq!(parse("garbage without a CPU header\n").unwrap_err().line, 1);
    }
}
