//! Signal frames: what Linux pushes on the application stack to run a handler, and
//! `rt_sigreturn`, which undoes it.
//!
//! Layout (x86-64 `struct rt_sigframe`): return address (sa_restorer), `ucontext`
//! (flags, link, stack_t, sigcontext, sigmask), `siginfo`; the FXSAVE area sits above
//! it, 64-byte aligned, and `sigcontext.fpstate` points to it.

use super::signal::{
    bit, SigAction, SigInfo, SA_NODEFER, SA_ONSTACK, SA_RESETHAND, SA_SIGINFO, UNBLOCKABLE,
};
use super::task::Task;
use abi::Errno;
use platform::FpState;

const REDZONE: u64 = 128;
const FP_SIZE: u64 = 512;
const UC_OFF: u64 = 8;
const MCONTEXT_OFF: u64 = UC_OFF + 40;
const SIGMASK_OFF: u64 = MCONTEXT_OFF + 256;
const INFO_OFF: u64 = SIGMASK_OFF + 8;
const FRAME_SIZE: u64 = INFO_OFF + 128;

fn fp_bytes(fp: &FpState) -> Vec<u8> {
    let f = &fp.0;
    let mut b = Vec::with_capacity(512);
    b.extend_from_slice(&f.cwd.to_le_bytes());
    b.extend_from_slice(&f.swd.to_le_bytes());
    b.extend_from_slice(&f.ftw.to_le_bytes());
    b.extend_from_slice(&f.fop.to_le_bytes());
    b.extend_from_slice(&f.rip.to_le_bytes());
    b.extend_from_slice(&f.rdp.to_le_bytes());
    b.extend_from_slice(&f.mxcsr.to_le_bytes());
    b.extend_from_slice(&f.mxcr_mask.to_le_bytes());
    for w in f.st_space.iter().chain(f.xmm_space.iter()) {
        b.extend_from_slice(&w.to_le_bytes());
    }
    b.resize(512, 0);
    b
}

fn fp_from_bytes(b: &[u8]) -> FpState {
    let mut fp = FpState::initial();
    let f = &mut fp.0;
    let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
    let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or([0; 8]));
    f.cwd = u16_at(0);
    f.swd = u16_at(2);
    f.ftw = u16_at(4);
    f.fop = u16_at(6);
    f.rip = u64_at(8);
    f.rdp = u64_at(16);
    // Reserved MXCSR bits would make the host's FXRSTOR fault: keep only valid ones.
    f.mxcsr = u32_at(24) & 0xffff;
    for (i, w) in f.st_space.iter_mut().enumerate() {
        *w = u32_at(32 + i * 4);
    }
    for (i, w) in f.xmm_space.iter_mut().enumerate() {
        *w = u32_at(160 + i * 4);
    }
    fp
}

/// Pushes a frame for `info` and points the registers at the handler.
pub fn push(t: &mut Task, info: SigInfo, action: SigAction) -> Result<(), Errno> {
    let fp = t.fp_state()?;
    let (old_mask, altstack) = {
        let s = t.shared.sig.lock().map_err(|_| Errno::EFAULT)?;
        (s.saved_mask.unwrap_or(s.blocked), s.altstack)
    };
    let r = t.regs;
    let (ss_sp, ss_flags, ss_size) = altstack;
    let on_alt = r.rsp.wrapping_sub(ss_sp) < ss_size;
    let mut sp = if action.flags & SA_ONSTACK != 0 && ss_flags == 0 && !on_alt {
        ss_sp.wrapping_add(ss_size)
    } else {
        r.rsp.wrapping_sub(REDZONE)
    };
    sp = sp.wrapping_sub(FP_SIZE) & !63;
    let fp_addr = sp;
    // At handler entry (rsp + 8) must be 16-byte aligned, as after a call.
    let frame = (sp.wrapping_sub(FRAME_SIZE) & !15).wrapping_sub(8);

    let mut f = vec![0u8; FRAME_SIZE as usize];
    let put = |f: &mut Vec<u8>, off: u64, v: u64| {
        f[off as usize..off as usize + 8].copy_from_slice(&v.to_le_bytes());
    };
    put(&mut f, 0, action.restorer);
    // uc_flags, uc_link = 0; uc_stack
    put(&mut f, UC_OFF + 16, ss_sp);
    f[(UC_OFF + 24) as usize..(UC_OFF + 28) as usize]
        .copy_from_slice(&(if on_alt { 1i32 } else { ss_flags }).to_le_bytes());
    put(&mut f, UC_OFF + 32, ss_size);
    let gregs = [
        r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, r.rdi, r.rsi, r.rbp, r.rbx, r.rdx,
        r.rax, r.rcx, r.rsp, r.rip, r.eflags,
    ];
    for (i, v) in gregs.iter().enumerate() {
        put(&mut f, MCONTEXT_OFF + i as u64 * 8, *v);
    }
    let segs =
        (r.cs & 0xffff) | (r.gs & 0xffff) << 16 | (r.fs & 0xffff) << 32 | (r.ss & 0xffff) << 48;
    put(&mut f, MCONTEXT_OFF + 144, segs);
    let trapno = if info.signo == abi::signal::SIGSEGV {
        14
    } else {
        0
    };
    put(&mut f, MCONTEXT_OFF + 160, trapno);
    put(&mut f, MCONTEXT_OFF + 168, old_mask);
    put(&mut f, MCONTEXT_OFF + 176, info.addr);
    put(&mut f, MCONTEXT_OFF + 184, fp_addr);
    put(&mut f, SIGMASK_OFF, old_mask);
    f[INFO_OFF as usize..].copy_from_slice(&info.encode());

    t.mm().copy_out(fp_addr, &fp_bytes(&fp))?;
    t.mm().copy_out(frame, &f)?;

    if action.flags & SA_RESETHAND != 0 {
        if let Ok(mut ps) = t.tg.sig.lock() {
            ps.set_action(info.signo, SigAction::default());
        }
    }
    if let Ok(mut s) = t.shared.sig.lock() {
        s.saved_mask = None;
        let mut m = s.blocked | action.mask;
        if action.flags & SA_NODEFER == 0 {
            m |= bit(info.signo);
        }
        s.blocked = m & !UNBLOCKABLE;
    }
    let regs = &mut t.regs;
    regs.rsp = frame;
    regs.rip = action.handler;
    regs.rdi = info.signo as u64;
    regs.rsi = if action.flags & SA_SIGINFO != 0 {
        frame + INFO_OFF
    } else {
        0
    };
    regs.rdx = if action.flags & SA_SIGINFO != 0 {
        frame + UC_OFF
    } else {
        0
    };
    regs.rax = 0;
    // Handlers start with a clean direction flag and no single-step.
    regs.eflags &= !(0x400 | 0x100);
    t.set_fp_state(&FpState::initial())?;
    Ok(())
}

/// `rt_sigreturn`: restores registers, FP state and mask from the frame at rsp - 8.
pub fn sigreturn(t: &mut Task) -> Result<(), Errno> {
    let frame = t.regs.rsp.wrapping_sub(8);
    let f = t.mm().copy_in_vec(frame, FRAME_SIZE as usize)?;
    let get = |off: u64| {
        u64::from_le_bytes(
            f[off as usize..off as usize + 8]
                .try_into()
                .unwrap_or([0; 8]),
        )
    };
    let g = |i: u64| get(MCONTEXT_OFF + i * 8);
    let r = &mut t.regs;
    r.r8 = g(0);
    r.r9 = g(1);
    r.r10 = g(2);
    r.r11 = g(3);
    r.r12 = g(4);
    r.r13 = g(5);
    r.r14 = g(6);
    r.r15 = g(7);
    r.rdi = g(8);
    r.rsi = g(9);
    r.rbp = g(10);
    r.rbx = g(11);
    r.rdx = g(12);
    r.rax = g(13);
    r.rcx = g(14);
    r.rsp = g(15);
    r.rip = g(16);
    // Only the flags an application may change (CF PF AF ZF SF TF DF OF AC...).
    const USER_FLAGS: u64 = 0x40dd5;
    r.eflags = (r.eflags & !USER_FLAGS) | (g(17) & USER_FLAGS);
    let fp_addr = g(23);
    let mask = get(SIGMASK_OFF);
    if let Ok(mut s) = t.shared.sig.lock() {
        s.blocked = mask & !UNBLOCKABLE;
    }
    if fp_addr != 0 {
        let b = t.mm().copy_in_vec(fp_addr, FP_SIZE as usize)?;
        t.set_fp_state(&fp_from_bytes(&b))?;
    }
    Ok(())
}
