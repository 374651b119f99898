using Iced.Intel;
using MiniVm.Jit.Calls;
using static Iced.Intel.AssemblerRegisters;

namespace MiniVm.Jit.Compilation;

/// <summary>
/// The entry compiled callers use for a function with no compiled code (not hot yet, or one the
/// JIT could not compile; see <see cref="JitEngine.InterpretingEntry"/>): it has the internal
/// calling convention (the callee's frame in rdi, r12–r15 pinned, a status in rax) and hands the
/// frame to <see cref="RuntimeHelpers.Interpret"/>. Like a helper call, it writes back the record
/// count and the steps left first and reloads the steps after, since the interpreter takes steps
/// too. When the helper answers with an entry instead of a status (the call made the function
/// hot and it was just compiled), the stub jumps there with the frame back in rdi and the stack
/// as the caller left it, so the compiled code returns straight to the caller.
/// </summary>
internal static class InterpreterStub
{
    public static byte[] Compile(int function)
    {
        var asm = new Assembler(64);
        var status = asm.CreateLabel();
        asm.push(rbx); // after the return address: rsp 16-byte aligned for the call
        asm.mov(rbx, rdi); // the frame, kept for the jump
        asm.mov(rsi, rdi);
        asm.mov(rdi, r12);
        asm.mov(edx, function);
        asm.mov(__dword_ptr[r12 + JitContext.FrameCountOffset], r14d);
        asm.mov(__qword_ptr[r12 + JitContext.StepsLeftOffset], r15);
        asm.mov(rax, RuntimeHelpers.Interpret);
        asm.call(rax);
        asm.mov(r15, __qword_ptr[r12 + JitContext.StepsLeftOffset]);
        asm.cmp(rax, 1);
        asm.jbe(status);
        asm.mov(rdi, rbx);
        asm.pop(rbx);
        asm.jmp(rax);
        asm.Label(ref status);
        asm.pop(rbx);
        asm.ret();
        var writer = new ByteWriter();
        asm.Assemble(writer, 0);
        return writer.ToArray();
    }
}
