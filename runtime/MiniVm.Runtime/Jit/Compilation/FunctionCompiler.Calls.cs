using Iced.Intel;
using MiniVm.Bytecode.Opcodes;
using MiniVm.Interpreter;
using MiniVm.Jit.Calls;
using MiniVm.Values;
using static Iced.Intel.AssemblerRegisters;

namespace MiniVm.Jit.Compilation;

/// <summary>Calls: CALL_FUNCTION into compiled code, and the builtins.</summary>
internal sealed partial class FunctionCompiler
{
    /// <summary>
    /// CALL_FUNCTION: the arguments are already the callee's first locals (in this frame's
    /// operand slots). Checks the depth limit and native stack, writes the caller's frame record
    /// as the interpreter does, clears the callee's other locals and calls its entry through the
    /// module's table. A callee with no entry there yet asks <see cref="RuntimeHelpers.EnsureCompiled"/>
    /// for one, out of line: its compiled code in the <c>jit</c> mode, in the tiered mode an entry that
    /// interprets and profiles it until it is hot (which the table then keeps, so the helper is
    /// asked once; see <see cref="JitRun.CallInterpreted"/>).
    /// </summary>
    private void EmitCall(int i, int calleeIndex)
    {
        if (TryInline(i, calleeIndex)) return;
        RequireNotReserved(i);
        FlushAll();
        var callee = _module.AllCode[calleeIndex];
        for (int k = 0; k < callee.ParamCount; k++) Pop();
        int position = Depth;
        var args = Operand.Slot(position);
        var check = _asm.CreateLabel();
        var checkFailed = _asm.CreateLabel();
        var haveEntry = _asm.CreateLabel();
        var noEntry = _asm.CreateLabel();
        var newSegment = _asm.CreateLabel();
        var returned = _asm.CreateLabel();
        int at = i;

        ForgetRegisters();
        // A call is a step (see StepBudget), counted before the depth check, as the interpreter does.
        CountStep(i, check);
        // The depth limit. (The native stack needs no check here: a run starts only on a thread
        // with room for the limit's worth of compiled frames; see JitRun.StackNeeded.)
        Bind(ref check);
        _asm.cmp(r14d, __dword_ptr[r12 + JitContext.FrameLimitOffset]);
        _asm.jae(checkFailed);
        // The caller's record: which code, and where it resumes (for traces and the depth count).
        _asm.mov(rcx, __qword_ptr[r12 + JitContext.FramesOffset]);
        _asm.lea(rdx, __[r14 + r14 * 4]);
        _asm.mov(__dword_ptr[rcx + rdx * 4 + CallFrameFunction], _function.Index);
        _asm.mov(__dword_ptr[rcx + rdx * 4 + CallFrameResumeAt], i + 1);
        _asm.inc(r14d);
        // The callee's entry (a recursive call knows its own).
        bool recursive = calleeIndex == _function.Index;
        Bind(ref haveEntry);
        if (!recursive)
        {
            _asm.mov(rax, _entryTable + calleeIndex * nint.Size);
            _asm.mov(rax, __qword_ptr[rax]);
            _asm.test(rax, rax);
            _asm.je(noEntry);
        }
        // Its frame must fit in the active segment.
        _asm.lea(rdi, Address(args));
        _asm.lea(rcx, __[rdi + callee.FrameSize * SlotSize]);
        _asm.cmp(rcx, __qword_ptr[r12 + JitContext.SegmentEndOffset]);
        _asm.ja(newSegment);
        EmitEnter(callee, rdi, recursive);
        Bind(ref returned);
        _asm.dec(r14d);
        ForgetRegisters();
        LoadPromoted(); // the callee used the registers, and may have stored globals
        Push(args);
        if (_speculation?.Value(i, KindSet.Any) is { } bet && bet != KindSet.Any)
            CheckKind(KindByte(args), bet, DeoptExit(i + 1, DeoptReason.ResultKind, calleeIndex, bet));

        OutOfLine(() =>
        {
            Bind(ref checkFailed);
            _asm.mov(rdi, r12);
            _asm.mov(esi, _function.Index);
            _asm.mov(edx, at);
            CallHelper(RuntimeHelpers.CheckCall);
            _asm.jmp(check); // the records grew

            if (!recursive)
            {
                Bind(ref noEntry);
                _asm.mov(rdi, r12);
                _asm.mov(esi, calleeIndex);
                CallHelper(RuntimeHelpers.EnsureCompiled, checkStatus: false);
                _asm.test(rax, rax);
                _asm.je(_fail);
                _asm.jmp(haveEntry);
            }

            // A frame that starts the next segment: the helper moves the arguments there; on return
            // the result comes back to this frame's slot.
            Bind(ref newSegment);
            _asm.push(rax);
            _asm.push(rax);
            _asm.mov(rsi, rdi);
            _asm.mov(rdi, r12);
            _asm.mov(edx, calleeIndex);
            CallHelper(RuntimeHelpers.EnterSegment, checkStatus: false);
            _asm.mov(rdi, rax);
            _asm.pop(rax);
            _asm.pop(rax);
            _asm.test(rdi, rdi);
            _asm.je(_fail);
            EmitEnter(callee, rdi, recursive);
            _asm.mov(rdi, r12);
            CallHelper(RuntimeHelpers.LeaveSegment, checkStatus: false);
            _asm.movups(xmm0, __xmmword_ptr[rax]);
            _asm.movups(__xmmword_ptr[Address(args)], xmm0);
            _asm.jmp(returned);
        });
    }

    /// <summary>Clears the callee's locals past its parameters (a fresh local is none), calls the
    /// entry in rax on the frame in <paramref name="frame"/>, and fails if it reported an error.</summary>
    private void EmitEnter(FunctionCode callee, AssemblerRegister64 frame, bool recursive)
    {
        int extra = callee.LocalCount - callee.ParamCount;
        if (extra > 0)
        {
            _asm.xorps(xmm0, xmm0);
            for (int k = callee.ParamCount; k < callee.LocalCount; k++)
                _asm.movups(__xmmword_ptr[frame + k * SlotSize], xmm0);
        }
        if (recursive) _asm.call(_entry);
        else _asm.call(rax);
        _asm.test(rax, rax);
        _asm.jne(_fail);
    }

    /// <summary>CALL_BUILTIN: <c>sqrt</c> of a number inline, everything else through the helper.</summary>
    private void EmitBuiltin(int i, int call)
    {
        var (id, argc) = BuiltinInfo.DecodeCall(call);
        int at = i;
        if ((BuiltinId)id == BuiltinId.Sqrt && argc == 1)
        {
            // A proved number never takes the general path: the result is then surely in xmm0.
            bool number = KindsOf(_stack.Top) is KindSet.Int or KindSet.Float;
            var value = Pop();
            var destination = Operand.Slot(Depth);
            var general = _asm.CreateLabel();
            var done = _asm.CreateLabel();
            LoadNumber(value, xmm0, general);
            _asm.sqrtsd(xmm0, xmm0);
            int taker = number ? TakerFromRegister(i, Depth) : -1;
            if (taker >= 0) KeepInRegister(destination, ValueKind.Float, taker);
            else StoreFloat(destination, xmm0);
            Bind(ref done);
            ForgetRegisters(); // the general path arrives with a helper's status in rax
            if (number) _xmm0Holds = destination;
            Push(destination);
            OutOfLine(() =>
            {
                Bind(ref general);
                Copy(value, destination);
                EmitBuiltinCall(call, destination, at);
                _asm.jmp(done);
            });
            return;
        }
        FlushAll();
        for (int k = 0; k < argc; k++) Pop();
        var args = Operand.Slot(Depth);
        EmitBuiltinCall(call, args, at);
        Push(args);
    }

    private void EmitBuiltinCall(int call, Operand args, int at)
    {
        _asm.mov(rdi, r12);
        _asm.mov(esi, call);
        _asm.lea(rdx, Address(args));
        _asm.mov(ecx, _function.Index);
        _asm.mov(r8d, at);
        CallHelper(RuntimeHelpers.Builtin);
    }
}
