//! The interrupt-domain model: a vector domain or an interrupt-remapping (IR) domain, real or
//! virtual, as the MSI parent of MSI, MSI-X and IMS child domains.
//!
//! Capability is a parent's feature-flag set checked as `(supported & required) == required`,
//! exactly `pci_msi_domain_supports()` in `drivers/pci/msi/irqdomain.c`. The flag bits are the
//! Linux `enum` in `include/linux/msi.h` (v6.2–v6.9 for `MSI_FLAG_PCI_IMS`).

/// `MSI_FLAG_MULTI_PCI_MSI` (bit 16): multi-message PCI MSI.
pub const MSI_FLAG_MULTI_PCI_MSI: u32 = 1 << 16;
/// `MSI_FLAG_PCI_MSIX` (bit 17).
pub const MSI_FLAG_PCI_MSIX: u32 = 1 << 17;
/// `MSI_FLAG_PCI_MSIX_ALLOC_DYN` (bit 20): dynamic MSI-X allocation.
pub const MSI_FLAG_PCI_MSIX_ALLOC_DYN: u32 = 1 << 20;
/// `MSI_FLAG_PCI_IMS` (bit 21, v6.2–v6.9): PCI/IMS.
pub const MSI_FLAG_PCI_IMS: u32 = 1 << 21;
/// `MSI_GENERIC_FLAGS_MASK` = `GENMASK(15, 0)`.
pub const MSI_GENERIC_FLAGS_MASK: u32 = 0xffff;
/// `X86_VECTOR_MSI_FLAGS_SUPPORTED` (`arch/x86/include/asm/msi.h`/`irqdomain.h`).
pub const X86_VECTOR_MSI_FLAGS_SUPPORTED: u32 =
    MSI_GENERIC_FLAGS_MASK | MSI_FLAG_PCI_MSIX | MSI_FLAG_PCI_MSIX_ALLOC_DYN;

/// What kind of MSI parent domain sits under the device domains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ParentKind {
    /// The x86 vector domain: no remapping, the message names the CPU and vector directly.
    Vector,
    /// An interrupt-remapping unit; `virtual_unit` for a vIR emulated by a hypervisor
    /// (VT-d Caching Mode / AMD NpCache set).
    Ir {
        /// The unit is emulated by a hypervisor.
        virtual_unit: bool,
    },
}

/// A child (per-device) MSI domain type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChildKind {
    /// PCI MSI (config-space capability), `nvec` messages.
    Msi {
        /// Vectors requested (more than one needs `MSI_FLAG_MULTI_PCI_MSI`).
        nvec: u8,
    },
    /// PCI MSI-X.
    MsiX,
    /// IMS with its message store in device memory (e.g. IDXD).
    ImsDevMem,
    /// IMS with its message store in system memory (queue memory).
    ImsSysMem,
}

impl ChildKind {
    /// The flags the parent must support for this child.
    pub fn required_flags(&self) -> u32 {
        match self {
            ChildKind::Msi { nvec } if *nvec > 1 => MSI_FLAG_MULTI_PCI_MSI,
            ChildKind::Msi { .. } => 0,
            ChildKind::MsiX => MSI_FLAG_PCI_MSIX,
            ChildKind::ImsDevMem | ChildKind::ImsSysMem => MSI_FLAG_PCI_IMS,
        }
    }

    /// True for both IMS storage types.
    pub fn is_ims(&self) -> bool {
        matches!(self, ChildKind::ImsDevMem | ChildKind::ImsSysMem)
    }
}

/// Why a child domain or vector could not be had: never a silent fallback.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The parent does not support what the child requires.
    #[error("{child:?} is not supported by the {parent} parent domain: missing flags {missing:#x}")]
    NotSupported {
        /// The parent's name (`VECTOR`, `IR`, `vIR`, `vIR (negotiated)`).
        parent: &'static str,
        /// The child asked for.
        child: ChildKind,
        /// Required flags the parent lacks.
        missing: u32,
    },
    /// Negotiation was attempted on something other than a vIR.
    #[error("only a virtual IR unit negotiates; the {parent} parent cannot")]
    NotNegotiable {
        /// The parent's name.
        parent: &'static str,
    },
}

/// An MSI parent domain with the features it advertises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParentDomain {
    /// Vector, IR or vIR.
    pub kind: ParentKind,
    /// For a vIR: whether the hypervisor granted the new scheme.
    pub negotiated: bool,
}

impl ParentDomain {
    /// The x86 vector domain.
    pub const VECTOR: ParentDomain = ParentDomain {
        kind: ParentKind::Vector,
        negotiated: false,
    };
    /// A real IR unit (bare metal).
    pub const IR: ParentDomain = ParentDomain {
        kind: ParentKind::Ir {
            virtual_unit: false,
        },
        negotiated: false,
    };
    /// A virtual IR unit before negotiation.
    pub const VIR: ParentDomain = ParentDomain {
        kind: ParentKind::Ir { virtual_unit: true },
        negotiated: false,
    };

    /// A short name for messages.
    pub fn name(&self) -> &'static str {
        match (self.kind, self.negotiated) {
            (ParentKind::Vector, _) => "VECTOR",
            (
                ParentKind::Ir {
                    virtual_unit: false,
                },
                _,
            ) => "IR",
            (ParentKind::Ir { virtual_unit: true }, false) => "vIR",
            (ParentKind::Ir { virtual_unit: true }, true) => "vIR (negotiated)",
        }
    }

    /// The advertised `supported_flags`: the vector domain is `X86_VECTOR_MSI_FLAGS_SUPPORTED`;
    /// an IR unit adds multi-MSI (`dmar_msi_parent_ops`); IMS only on a real unit or on a vIR
    /// after negotiation (the step Linux never merged: `virt_dmar_msi_parent_ops` lacks IMS).
    pub fn supported_flags(&self) -> u32 {
        match self.kind {
            ParentKind::Vector => X86_VECTOR_MSI_FLAGS_SUPPORTED,
            ParentKind::Ir { virtual_unit } => {
                let base = X86_VECTOR_MSI_FLAGS_SUPPORTED | MSI_FLAG_MULTI_PCI_MSI;
                if !virtual_unit || self.negotiated {
                    base | MSI_FLAG_PCI_IMS
                } else {
                    base
                }
            }
        }
    }

    /// `(supported & required) == required`.
    pub fn supports(&self, required: u32) -> bool {
        (self.supported_flags() & required) == required
    }

    /// `system_supports_ims()` from the proposal.
    pub fn supports_ims(&self) -> bool {
        self.supports(MSI_FLAG_PCI_IMS)
    }

    /// Creating a child domain of `child` under this parent, or why not.
    pub fn check_child(&self, child: ChildKind) -> Result<(), DomainError> {
        let required = child.required_flags();
        if self.supports(required) {
            Ok(())
        } else {
            Err(DomainError::NotSupported {
                parent: self.name(),
                child,
                missing: required & !self.supported_flags(),
            })
        }
    }

    /// `pci_alloc_ims_vector()` → `new_scheme_alloc_ims()`: `Ok` only where IMS is supported;
    /// a clear `NotSupported` otherwise.
    pub fn alloc_ims_vector(&self, storage: ChildKind) -> Result<(), DomainError> {
        let child = if storage.is_ims() {
            storage
        } else {
            ChildKind::ImsDevMem
        };
        self.check_child(child)
    }

    /// Records the hypervisor's answer to the switch request (vIR only).
    pub fn negotiate(&mut self, granted: bool) -> Result<(), DomainError> {
        match self.kind {
            ParentKind::Ir { virtual_unit: true } => {
                self.negotiated = granted;
                Ok(())
            }
            _ => Err(DomainError::NotNegotiable {
                parent: self.name(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ims_rule_for_every_parent() {
        assert!(!ParentDomain::VECTOR.supports_ims());
        assert!(ParentDomain::IR.supports_ims());
        assert!(!ParentDomain::VIR.supports_ims());
        let mut v = ParentDomain::VIR;
        v.negotiate(true).unwrap();
        assert!(v.supports_ims());
        v.negotiate(false).unwrap();
        assert!(!v.supports_ims());
        let mut vec = ParentDomain::VECTOR;
        assert!(
            vec.negotiate(true).is_err(),
            "the vector domain never becomes IMS-capable"
        );
        assert!(!vec.supports_ims());
    }

    #[test]
    fn not_supported_names_parent_child_and_missing_flags() {
        let e = ParentDomain::VECTOR
            .alloc_ims_vector(ChildKind::ImsSysMem)
            .unwrap_err();
        assert_eq!(
            e,
            DomainError::NotSupported {
                parent: "VECTOR",
                child: ChildKind::ImsSysMem,
                missing: MSI_FLAG_PCI_IMS
            }
        );
        assert!(e.to_string().contains("VECTOR"));
        let e = ParentDomain::VECTOR
            .check_child(ChildKind::Msi { nvec: 4 })
            .unwrap_err();
        assert!(matches!(
            e,
            DomainError::NotSupported {
                missing: MSI_FLAG_MULTI_PCI_MSI,
                ..
            }
        ));
        assert!(ParentDomain::VECTOR.check_child(ChildKind::MsiX).is_ok());
        assert!(
            ParentDomain::VIR
                .check_child(ChildKind::Msi { nvec: 4 })
                .is_ok()
        );
    }

    #[test]
    fn supports_is_subset_rule_for_every_single_bit() {
        for p in [ParentDomain::VECTOR, ParentDomain::IR, ParentDomain::VIR] {
            for bit in 0..32 {
                let req = 1u32 << bit;
                assert_eq!(p.supports(req), p.supported_flags() & req == req);
            }
            assert!(p.supports(0));
        }
    }
}
