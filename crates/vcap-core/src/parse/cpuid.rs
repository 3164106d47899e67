//! CPUID as data: a dump of (leaf, subleaf) → registers, read from and written to the raw format
//! that `cpuid -r -1` (Debian package `cpuid`) prints, and the hypervisor-leaf scan.

use std::fmt::Write as _;

use vcap_regs::field::FieldRef;
use vcap_regs::field::cpuid::CpuidRegister;

/// The four output registers of one CPUID query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Regs {
    /// EAX.
    pub eax: u32,
    /// EBX.
    pub ebx: u32,
    /// ECX.
    pub ecx: u32,
    /// EDX.
    pub edx: u32,
}

impl From<[u32; 4]> for Regs {
    fn from([eax, ebx, ecx, edx]: [u32; 4]) -> Regs {
        Regs { eax, ebx, ecx, edx }
    }
}

impl From<Regs> for [u32; 4] {
    fn from(r: Regs) -> [u32; 4] {
        [r.eax, r.ebx, r.ecx, r.edx]
    }
}

/// CPUID leaves of one logical CPU, keyed by (leaf, subleaf): vcap-regs' map
/// ([`vcap_regs::input::CpuidLeaves`], `[eax, ebx, ecx, edx]`), the one CPUID map that
/// detection, capabilities and the register tables all read, with named accessors over it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CpuidDump {
    /// The recorded leaves.
    pub leaves: vcap_regs::input::CpuidLeaves,
}

/// Why a `cpuid -r` text could not be parsed: the origin, line, register and problem, from
/// vcap's one `cpuid -r` reader ([`vcap_regs::input::parse_cpuid_blocks`]).
pub type CpuidParseError = vcap_regs::input::InputError;

impl CpuidDump {
    /// The registers of (leaf, subleaf), when recorded.
    pub fn get(&self, leaf: u32, subleaf: u32) -> Option<Regs> {
        self.leaves.get(&(leaf, subleaf)).map(|&r| Regs::from(r))
    }

    /// Records the registers of (leaf, subleaf).
    pub fn insert(&mut self, leaf: u32, subleaf: u32, r: Regs) {
        self.leaves.insert((leaf, subleaf), r.into());
    }

    /// Parses the raw format of `cpuid -r` / `cpuid -r -1` (errors name the origin `cpuid -r`);
    /// see [`CpuidDump::parse_from`].
    #[allow(
        clippy::result_large_err,
        reason = "the error carries its coordinates by value, as vcap-regs' input errors do; the cold path"
    )]
    pub fn parse(text: &str) -> Result<CpuidDump, CpuidParseError> {
        Self::parse_from(text, "cpuid -r")
    }

    /// Parses `cpuid -r` text read from `origin` (named in errors) with vcap's one reader,
    /// [`vcap_regs::input::parse_cpuid_blocks`]. The first CPU block is kept (`CPU:` or
    /// `CPU 0:`; a dump without a header is one CPU): the CPU the probe queried. A dump with no
    /// leaf at all is an error.
    #[allow(
        clippy::result_large_err,
        reason = "the error carries its coordinates by value, as vcap-regs' input errors do; the cold path"
    )]
    pub fn parse_from(text: &str, origin: &str) -> Result<CpuidDump, CpuidParseError> {
        let first = vcap_regs::input::parse_cpuid_blocks(text, origin)?
            .into_iter()
            .next()
            .unwrap_or_default();
        Ok(CpuidDump { leaves: first })
    }

    /// Writes the dump in the `cpuid -r -1` raw format.
    pub fn to_text(&self) -> String {
        let mut s = String::from("CPU:\n");
        for (&(leaf, sub), &[eax, ebx, ecx, edx]) in &self.leaves {
            let _ = writeln!(
                s,
                "   0x{leaf:08x} 0x{sub:02x}: eax=0x{eax:08x} ebx=0x{ebx:08x} ecx=0x{ecx:08x} edx=0x{edx:08x}"
            );
        }
        s
    }

    /// The value of a field of vcap-regs' CPUID table, by its typed handle, when its leaf was
    /// recorded: `dump.field(vcap_regs::field::cpuid::leaf1_ecx::HYPERVISOR)`.
    pub fn field<R: CpuidRegister>(&self, f: FieldRef<R>) -> Option<u64> {
        let word = self.leaves.get(&(R::LEAF, R::SUBLEAF))?[R::REG];
        Some(f.get(u64::from(word)))
    }

    /// Whether a field is recorded and non-zero (a feature bit that is set).
    pub fn has<R: CpuidRegister>(&self, f: FieldRef<R>) -> bool {
        self.field(f).is_some_and(|v| v != 0)
    }

    /// The vendor string of leaf 0 (EBX, EDX, ECX), when recorded.
    pub fn vendor(&self) -> Option<String> {
        let r = self.get(0, 0)?;
        Some(bytes_text(&sig_bytes(r.ebx, r.edx, r.ecx)))
    }

    /// The hypervisor leaves 0x40000000–0x4000FF00 (step 0x100) that were recorded.
    pub fn hypervisor_bases(&self) -> Vec<HypervisorBase> {
        (0..=0xFFu32)
            .map(|i| HV_BASE_FIRST + i * 0x100)
            .filter_map(|base| {
                let r = self.get(base, 0)?;
                Some(HypervisorBase::from_regs(base, r))
            })
            .collect()
    }
}

/// Hyper-V's CPUID leaves, named as Linux's `include/hyperv/hvgdk_mini.h` names them (the leaves
/// are outside vcap-regs' migration table: no VMM baselines them).
pub mod hyperv {
    use vcap_bits::BitRange;

    /// `HYPERV_CPUID_FEATURES`: EBX is the partition privilege mask's high half.
    pub const LEAF_FEATURES: u32 = 0x4000_0003;
    /// `HYPERV_CPUID_ISOLATION_CONFIG`.
    pub const LEAF_ISOLATION_CONFIG: u32 = 0x4000_000c;
    /// `HV_CREATE_PARTITIONS` (`BIT(0)` of the mask's high half, leaf 0x40000003 EBX).
    pub const CREATE_PARTITIONS: u32 = 1 << 0;
    /// `HV_CPU_MANAGEMENT` (`BIT(12)`).
    pub const CPU_MANAGEMENT: u32 = 1 << 12;
    /// `HV_ISOLATION` (`BIT(22)`).
    pub const ISOLATION: u32 = 1 << 22;
    /// `HV_ISOLATION_TYPE` (`GENMASK(3, 0)` of leaf 0x4000000C EBX).
    pub const ISOLATION_TYPE: BitRange = BitRange::new(0, 4);
    /// `HV_SHARED_GPA_BOUNDARY_ACTIVE` (`BIT(5)` of leaf 0x4000000C EBX).
    pub const SHARED_GPA_BOUNDARY_ACTIVE: u32 = 1 << 5;
    /// `HV_SHARED_GPA_BOUNDARY_BITS` (`GENMASK(11, 6)` of leaf 0x4000000C EBX).
    pub const SHARED_GPA_BOUNDARY_BITS: BitRange = BitRange::new(6, 6);
}

/// The first hypervisor leaf.
pub const HV_BASE_FIRST: u32 = 0x4000_0000;

/// One recorded hypervisor base leaf, interpreted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HypervisorBase {
    /// The leaf (0x40000000 + n·0x100).
    pub base: u32,
    /// EAX: the highest hypervisor leaf of this range.
    pub max_leaf: u32,
    /// The 12 signature bytes (EBX, ECX, EDX).
    pub signature: [u8; 12],
}

impl HypervisorBase {
    /// Interprets the registers of a base leaf.
    pub fn from_regs(base: u32, r: Regs) -> Self {
        HypervisorBase {
            base,
            max_leaf: r.eax,
            signature: sig_bytes(r.ebx, r.ecx, r.edx),
        }
    }

    /// The max leaf lies in `base..=base+0xFF`, as a hypervisor range must.
    pub fn max_leaf_in_range(&self) -> bool {
        self.max_leaf >= self.base && self.max_leaf - self.base <= 0xFF
    }

    /// The signature is printable ASCII, NUL-padded at the end only, and not empty.
    pub fn signature_printable(&self) -> bool {
        let end = self
            .signature
            .iter()
            .rposition(|&b| b != 0)
            .map_or(0, |p| p + 1);
        end > 0
            && self.signature[..end]
                .iter()
                .all(|&b| (0x20..=0x7e).contains(&b))
    }

    /// A valid hypervisor signature: printable and with its max leaf in range.
    pub fn is_valid(&self) -> bool {
        self.max_leaf_in_range() && self.signature_printable()
    }

    /// The signature as text, NULs and non-printable bytes shown as `.`, trailing NULs dropped.
    pub fn signature_text(&self) -> String {
        bytes_text(&self.signature)
    }
}

/// The 12 bytes of three registers in little-endian order.
pub fn sig_bytes(a: u32, b: u32, c: u32) -> [u8; 12] {
    let mut s = [0u8; 12];
    s[0..4].copy_from_slice(&a.to_le_bytes());
    s[4..8].copy_from_slice(&b.to_le_bytes());
    s[8..12].copy_from_slice(&c.to_le_bytes());
    s
}

fn bytes_text(b: &[u8]) -> String {
    let end = b.iter().rposition(|&x| x != 0).map_or(0, |p| p + 1);
    b[..end]
        .iter()
        .map(|&x| {
            if (0x20..=0x7e).contains(&x) {
                x as char
            } else {
                '.'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Lines copied from `cpuid -r -1` on this project's development machine (a KVM guest).
    const REAL: &str = "CPU:\n   0x00000000 0x00: eax=0x0000000d ebx=0x756e6547 ecx=0x6c65746e edx=0x49656e69\n   0x40000000 0x00: eax=0x40000001 ebx=0x4b4d564b ecx=0x564b4d56 edx=0x0000004d\n";

    #[test]
    fn parses_real_lines_and_names_kvm() {
        let d = CpuidDump::parse(REAL).unwrap();
        assert_eq!(d.vendor().as_deref(), Some("GenuineIntel"));
        let hv = d.hypervisor_bases();
        assert_eq!(hv.len(), 1);
        assert_eq!(hv[0].signature_text(), "KVMKVMKVM");
        assert!(hv[0].is_valid());
    }

    #[test]
    fn round_trips_the_real_text() {
        assert_eq!(CpuidDump::parse(REAL).unwrap().to_text(), REAL);
    }

    #[test]
    fn errors_name_the_line() {
        let e = CpuidDump::parse_from(
            "CPU:\n   0x0 0x0: eax=0x1 ebx=0x2 ecx=zz edx=0x4\n",
            "cpuid.txt",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(2));
        assert_eq!(e.field.as_deref(), Some("ecx"));
        assert!(e.to_string().starts_with("cpuid.txt:2: ecx: "), "{e}");
        assert_eq!(CpuidDump::parse("hello").unwrap_err().line, Some(1));
        let twice = CpuidDump::parse("CPU:\n 0x0 0x0: eax=0x1 ebx=0x1 ecx=0x1 edx=0x1 eax=0x2\n");
        assert_eq!(twice.unwrap_err().field.as_deref(), Some("eax"));
        assert!(CpuidDump::parse("CPU:\n").is_err(), "no leaf at all");
        assert!(CpuidDump::parse("CPU:\n 0x0 0x0: eax=0x1\n").is_err());
        assert!(
            CpuidDump::parse("CPU:\n 0x0 0x0: eax=0x1 ebx=0x1 ecx=0x1 edx=0x123456789\n").is_err()
        );
    }

    #[test]
    fn keeps_only_the_first_cpu() {
        let t = "CPU 0:\n 0x1 0x0: eax=0x1 ebx=0x0 ecx=0x0 edx=0x0\nCPU 1:\n 0x1 0x0: eax=0x2 ebx=0x0 ecx=0x0 edx=0x0\n";
        assert_eq!(CpuidDump::parse(t).unwrap().get(1, 0).unwrap().eax, 1);
    }

    #[test]
    fn bare_metal_shapes_are_not_hypervisors() {
        // Intel returns the highest basic leaf's data above the basic range; AMD returns zeros.
        let intel = HypervisorBase::from_regs(
            0x4000_0000,
            Regs {
                eax: 0xbb8,
                ebx: 0,
                ecx: 0x64,
                edx: 0,
            },
        );
        let amd = HypervisorBase::from_regs(0x4000_0000, Regs::default());
        assert!(!intel.is_valid());
        assert!(!amd.is_valid());
        let late = HypervisorBase::from_regs(
            0x4000_0100,
            Regs {
                eax: 0x4000_0200,
                ..REGS_KVM
            },
        );
        assert!(!late.max_leaf_in_range());
    }

    const REGS_KVM: Regs = Regs {
        eax: 0x4000_0001,
        ebx: 0x4b4d564b,
        ecx: 0x564b4d56,
        edx: 0x4d,
    };

    proptest! {
        #[test]
        fn any_dump_round_trips(leaves in proptest::collection::btree_map((any::<u32>(), 0u32..256), any::<(u32, u32, u32, u32)>(), 1..40)) {
            let dump = CpuidDump { leaves: leaves.into_iter().map(|(k, (a, b, c, d))| (k, [a, b, c, d])).collect() };
            prop_assert_eq!(CpuidDump::parse(&dump.to_text()).unwrap(), dump);
        }

        #[test]
        fn parser_never_panics(s in ".{0,400}") {
            let _ = CpuidDump::parse(&s);
        }

        #[test]
        fn parser_never_panics_on_near_miss_lines(lines in proptest::collection::vec("[ 0-9a-fx:=ebcdCPU\t]{0,60}", 0..20)) {
            let _ = CpuidDump::parse(&format!("CPU:\n{}", lines.join("\n")));
        }
    }
}
