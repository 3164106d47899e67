//! Typed handles to the rows of the register tables, for code that reads a field by name: a
//! [`FieldRef<R>`] is typed by its register `R` (tock-registers' `Field<T, R>`), so a field of
//! one register cannot be applied to another's value, and it is resolved against the table when
//! the crate is compiled, so naming a field the table does not have does not compile.
//!
//! ```
//! use vcap_regs::field::vtd;
//! // VT-d ECAP with IR (bit 3) and EIM (bit 4) set.
//! let ecap: u64 = (1 << 3) | (1 << 4);
//! assert_eq!(vtd::ecap::EIM.get(ecap), 1);
//! assert_eq!(vtd::ecap::EIM.full_name(), "ECAP.EIM");
//! assert_eq!(vtd::ecap::EIM.field().shift, 4);
//! // The same lookup, spelled out: it compiles because the table has ECAP.EIM.
//! use vcap_regs::field::{FieldRef, vtd::Ecap};
//! const EIM: FieldRef<Ecap> = FieldRef::new("ECAP.EIM");
//! assert_eq!(EIM, vtd::ecap::EIM);
//! ```
//!
//! A name the table lacks is a compile error (the lookup is a constant):
//!
//! ```compile_fail
//! use vcap_regs::field::{FieldRef, vtd::Ecap};
//! const NOPE: FieldRef<Ecap> = FieldRef::new("ECAP.NOPE");
//! let _ = NOPE;
//! ```

use std::fmt;
use std::marker::PhantomData;

use crate::model::{Field, Kind, Table};

/// A register of one table, as a type.
pub trait Register: Copy {
    /// The table.
    const KIND: Kind;
    /// The register's index in the table's `registers`.
    const INDEX: usize;
}

/// A field of register `R`, checked against the table at compile time.
pub struct FieldRef<R: Register> {
    index: usize,
    full: &'static str,
    _reg: PhantomData<R>,
}

impl<R: Register> Clone for FieldRef<R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<R: Register> Copy for FieldRef<R> {}

impl<R: Register> PartialEq for FieldRef<R> {
    fn eq(&self, other: &Self) -> bool {
        self.index == other.index
    }
}
impl<R: Register> Eq for FieldRef<R> {}

impl<R: Register> fmt::Debug for FieldRef<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.full)
    }
}

const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

const fn table(kind: Kind) -> &'static Table {
    match kind {
        Kind::ArmSmmuV3 => &crate::tables::smmuv3::TABLE,
        Kind::IntelVtd => &crate::tables::vtd::TABLE,
        Kind::Amd => &crate::tables::amd::TABLE,
        Kind::X86Cpuid => &crate::tables::cpuid::TABLE,
        Kind::Arm64Id => &crate::tables::arm64::TABLE,
    }
}

impl<R: Register> FieldRef<R> {
    /// The field `REG.NAME` of register `R`. Evaluated as a constant, a name whose register is
    /// not `R` or that no row of the table has stops the compilation.
    pub const fn new(full: &'static str) -> Self {
        let t = table(R::KIND);
        let reg = t.registers[R::INDEX].name.as_bytes();
        let b = full.as_bytes();
        // `full` is the register's name, a dot, and the field's name.
        assert!(
            b.len() > reg.len() + 1 && b[reg.len()] == b'.',
            "not REG.NAME of this register"
        );
        let mut i = 0;
        while i < reg.len() {
            assert!(b[i] == reg[i], "the field belongs to another register");
            i += 1;
        }
        let (_, name) = b.split_at(reg.len() + 1);
        let mut k = 0;
        while k < t.fields.len() {
            let f = &t.fields[k];
            if f.reg == R::INDEX && same(f.name.as_bytes(), name) {
                return FieldRef {
                    index: k,
                    full,
                    _reg: PhantomData,
                };
            }
            k += 1;
        }
        panic!("the register table has no such field")
    }

    /// The table row.
    pub fn field(self) -> &'static Field {
        &R::KIND.table().fields[self.index]
    }

    /// `REG.NAME`, as the table and JSON spell it.
    pub fn full_name(self) -> &'static str {
        self.full
    }

    /// The field's value in a value of register `R`.
    pub fn get(self, reg: u64) -> u64 {
        self.field().get(reg)
    }
}

macro_rules! fields {
    ($reg:ident, $prefix:literal: $($name:ident),+ $(,)?) => {
        $(
            #[doc = concat!("`", $prefix, ".", stringify!($name), "`.")]
            pub const $name: FieldRef<$reg> =
                FieldRef::new(concat!($prefix, ".", stringify!($name)));
        )+
    };
}

/// Intel VT-d (`crate::tables::vtd`).
pub mod vtd {
    use super::{FieldRef, Register};
    use crate::model::Kind;

    /// CAP_REG.
    #[derive(Debug, Clone, Copy)]
    pub struct Cap;
    impl Register for Cap {
        const KIND: Kind = Kind::IntelVtd;
        const INDEX: usize = crate::tables::vtd::CAP;
    }
    /// ECAP_REG.
    #[derive(Debug, Clone, Copy)]
    pub struct Ecap;
    impl Register for Ecap {
        const KIND: Kind = Kind::IntelVtd;
        const INDEX: usize = crate::tables::vtd::ECAP;
    }

    /// CAP_REG fields.
    pub mod cap {
        use super::{Cap, FieldRef};
        fields!(Cap, "CAP": CM, SAGAW, MGAW, ND, PI, FS1GP);
    }
    /// ECAP_REG fields.
    pub mod ecap {
        use super::{Ecap, FieldRef};
        fields!(Ecap, "ECAP": IR, EIM, PT, SC, NEST, PRS, PASID, SMTS, FSTS);
    }
}

/// AMD IOMMU (`crate::tables::amd`).
pub mod amd {
    use super::{FieldRef, Register};
    use crate::model::Kind;

    /// The Extended Feature Register.
    #[derive(Debug, Clone, Copy)]
    pub struct Efr;
    impl Register for Efr {
        const KIND: Kind = Kind::Amd;
        const INDEX: usize = crate::tables::amd::EFR;
    }

    /// EFR fields.
    pub mod efr {
        use super::{Efr, FieldRef};
        fields!(Efr, "EFR": XTSUP, GTSUP, PPRSUP, GASUP, PASMAX);
    }
}

/// x86 CPUID (`crate::tables::cpuid`): each register of the table is one leaf, subleaf and
/// output register, so a handle also says where in a `cpuid -r` dump its bits are.
pub mod cpuid {
    use super::{FieldRef, Register};
    use crate::model::Kind;
    use crate::tables::cpuid::LEAVES;

    /// A CPUID register of the table: its leaf, subleaf and output register (0..4 = EAX..EDX).
    pub trait CpuidRegister: Register {
        /// The leaf.
        const LEAF: u32;
        /// The subleaf.
        const SUBLEAF: u32;
        /// The output register, 0..4 for EAX, EBX, ECX, EDX.
        const REG: usize;
    }

    /// The table index of `(leaf, subleaf, reg)`; a pair the table lacks stops the compilation.
    const fn index_of(leaf: u32, subleaf: u32, reg: usize) -> usize {
        let mut i = 0;
        while i < LEAVES.len() {
            if LEAVES[i].0 == leaf && LEAVES[i].1 == subleaf {
                return i * 4 + reg;
            }
            i += 1;
        }
        panic!("the CPUID table does not track this leaf")
    }

    macro_rules! cpuid_reg {
        ($ty:ident, $leaf:expr, $sub:expr, $reg:expr, $doc:literal) => {
            #[doc = $doc]
            #[derive(Debug, Clone, Copy)]
            pub struct $ty;
            impl Register for $ty {
                const KIND: Kind = Kind::X86Cpuid;
                const INDEX: usize = index_of($leaf, $sub, $reg);
            }
            impl CpuidRegister for $ty {
                const LEAF: u32 = $leaf;
                const SUBLEAF: u32 = $sub;
                const REG: usize = $reg;
            }
        };
    }

    cpuid_reg!(L1Ecx, 0x1, 0, 2, "CPUID.0x1.0x0.ECX (feature word 4).");
    cpuid_reg!(
        X8000001fEax,
        0x8000_001f,
        0,
        0,
        "CPUID.0x8000001f.0x0.EAX (AMD memory encryption)."
    );

    /// CPUID.0x1.0x0.ECX fields.
    pub mod leaf1_ecx {
        use super::{FieldRef, L1Ecx};
        fields!(L1Ecx, "CPUID.0x1.0x0.ECX": HYPERVISOR);
    }
    /// CPUID.0x8000001f.0x0.EAX fields.
    pub mod leaf8000001f_eax {
        use super::{FieldRef, X8000001fEax};
        fields!(X8000001fEax, "CPUID.0x8000001f.0x0.EAX": SME, SEV, SEV_ES);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_name_their_rows() {
        for (h, reg) in [
            (vtd::cap::CM.full_name(), vtd::cap::CM.field().reg),
            (vtd::ecap::SMTS.full_name(), vtd::ecap::SMTS.field().reg),
        ] {
            let t = Kind::IntelVtd.table();
            assert_eq!(t.full_name(t.field(h).unwrap()), h);
            assert_eq!(t.field(h).unwrap().reg, reg);
        }
        assert_eq!(amd::efr::XTSUP.full_name(), "EFR.XTSUP");
        assert_eq!(
            Kind::Amd.table().field("EFR.PASMAX").map(|f| f.shift),
            Some(amd::efr::PASMAX.field().shift)
        );
        assert_eq!(vtd::cap::CM.get(1 << 7), 1);
    }

    #[test]
    fn cpuid_handles_name_their_leaf_and_bit() {
        use cpuid::{CpuidRegister, L1Ecx, X8000001fEax};
        let t = Kind::X86Cpuid.table();
        let h = cpuid::leaf1_ecx::HYPERVISOR;
        assert_eq!(h.full_name(), "CPUID.0x1.0x0.ECX.HYPERVISOR");
        assert_eq!(t.full_name(h.field()), h.full_name());
        assert_eq!((L1Ecx::LEAF, L1Ecx::SUBLEAF, L1Ecx::REG), (1, 0, 2));
        assert_eq!(
            crate::tables::cpuid::register_of(1, 0, 2),
            Some(L1Ecx::INDEX)
        );
        assert_eq!(h.get(1 << 31), 1);
        assert_eq!(h.get(!(1u64 << 31)), 0);
        let sev = cpuid::leaf8000001f_eax::SEV;
        assert_eq!(X8000001fEax::LEAF, 0x8000_001f);
        assert_eq!(
            crate::tables::cpuid::register_of(0x8000_001f, 0, 0),
            Some(X8000001fEax::INDEX)
        );
        assert_eq!(
            (sev.get(0b10), cpuid::leaf8000001f_eax::SEV_ES.get(0b1000)),
            (1, 1)
        );
    }
}
