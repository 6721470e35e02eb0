//! Register state of an application thread.

/// General-purpose registers, in the kernel's `user_regs_struct` layout (this includes
/// `fs_base`/`gs_base`, so TLS travels with them).
pub type Regs = libc::user_regs_struct;

/// The legacy FXSAVE area (x87 + SSE state), 512 bytes.
#[derive(Clone)]
pub struct FpState(pub libc::user_fpregs_struct);

impl FpState {
    /// The state a fresh process starts with: default control words, all registers zero.
    pub fn initial() -> FpState {
        // SAFETY: user_fpregs_struct is plain integers; all-zero is a valid value.
        let mut fp: libc::user_fpregs_struct = unsafe { std::mem::zeroed() };
        fp.cwd = 0x37f;
        fp.mxcsr = 0x1f80;
        fp.mxcr_mask = 0xffff;
        FpState(fp)
    }
}

impl std::fmt::Debug for FpState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FpState { .. }")
    }
}

/// Registers with every field zero, for building a new thread's state.
pub fn zeroed_regs() -> Regs {
    // SAFETY: user_regs_struct is plain integers; all-zero is a valid value.
    unsafe { std::mem::zeroed() }
}
