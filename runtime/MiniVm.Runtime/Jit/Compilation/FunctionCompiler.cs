using System.Runtime.InteropServices;
using Iced.Intel;
using MiniVm.Bytecode.Model;
using MiniVm.Bytecode.Opcodes;
using MiniVm.Bytecode.Verification;
using Instruction = MiniVm.Bytecode.Opcodes.Instruction;
using MiniVm.Interpreter;
using MiniVm.Jit.Calls;
using MiniVm.Values;
using static Iced.Intel.AssemblerRegisters;

namespace MiniVm.Jit.Compilation;

/// <summary>
/// Compiles one verified code block to x86-64 with Iced's <see cref="Assembler"/>: a baseline
/// compiler in the style of V8's Sparkplug. Compiled code keeps the interpreter's frame (locals,
/// then the operand stack, 16-byte values in pinned stack memory; the verifier's stack depths
/// give every value a fixed slot), so entering compiled code in the middle of a loop (on-stack
/// replacement) is a jump, and a compiled frame is an interpreter frame. Int and float fast
/// paths are inline; everything else calls <see cref="RuntimeHelpers"/>, the interpreter's own
/// semantics. Calls between compiled functions are native calls that also write the
/// interpreter's <see cref="CallFrame"/> record, so depth limits and stack traces are the same.
/// <para>Registers: <c>rbx</c> the frame (local 0), <c>r12</c> the <see cref="JitContext"/>,
/// <c>r13</c> the globals; <c>rax, rcx, rdx, xmm0, xmm1</c> scratch.</para>
/// </summary>
internal sealed partial class FunctionCompiler
{
    private const int SlotSize = 16;
    private const int KindOffset = 8;
    private static readonly int CallFrameSize = Marshal.SizeOf(typeof(CallFrame));
    private static readonly int CallFrameFunction = (int)Marshal.OffsetOf(typeof(CallFrame), nameof(CallFrame.Function));
    private static readonly int CallFrameResumeAt = (int)Marshal.OffsetOf(typeof(CallFrame), nameof(CallFrame.ResumeAt));

    private readonly PreparedModule _module;
    private readonly FunctionCode _function;
    private readonly nint _entryTable;
    private readonly Assembler _asm = new(64);
    private readonly Instruction[] _code;
    private readonly int[] _depth;
    private readonly bool[] _isTarget;
    private readonly Label[] _labels;
    private readonly OperandStack _stack;
    private readonly List<Action> _outOfLine = [];
    private readonly List<int> _loopHeaders = [];
    /// <summary>The assembler instruction where each bytecode instruction's code starts (-1: none).</summary>
    private readonly int[] _asmStart;
    private Label _fail;

    /// <summary>
    /// The value location whose bits rax holds at this point of the straight-line code, if any:
    /// an arithmetic result just stored, or a value just loaded. A later read of that location
    /// takes rax instead of memory, so a chain like <c>(s + i * 7) % m</c> does not wait for each
    /// intermediate result to go through memory (a store-to-load round trip costs several
    /// cycles). Every emission that changes rax or writes the location forgets it.
    /// </summary>
    private Operand _raxHolds = Operand.None;

    /// <summary>Globals known to be assigned on every path to this point of the current block (a
    /// global, once assigned, stays so): their "used before assigned" check is not repeated. Global
    /// g is known when <c>_assignedInBlock[g] == _block</c>; a new block just counts up.</summary>
    private readonly int[] _assignedInBlock;
    private int _block = 1;

    /// <summary>Records that global <paramref name="global"/> is assigned from here to the end of the block;
    /// false if that was known already.</summary>
    private bool MarkAssigned(int global)
    {
        if (_assignedInBlock[global] == _block) return false;
        _assignedInBlock[global] = _block;
        return true;
    }

    private FunctionCompiler(PreparedModule module, FunctionCode function, nint entryTable)
    {
        _module = module;
        _function = function;
        _entryTable = entryTable;
        _code = Instruction.DecodeAll(function.Source.Code);
        var depthByOffset = Verifier.StackDepths(module.Image, function.Source);
        _stack = new OperandStack(function.Source.MaxStack);
        _assignedInBlock = new int[module.Image.Globals.Length];
        var indexAt = new int[function.Source.Code.Length];
        for (int i = 0; i < _code.Length; i++) indexAt[_code[i].Offset] = i;
        _asmStart = new int[_code.Length];
        Array.Fill(_asmStart, -1);
        _depth = new int[_code.Length];
        _isTarget = new bool[_code.Length];
        _labels = new Label[_code.Length];
        _targetIndex = new int[_code.Length];
        for (int i = 0; i < _code.Length; i++)
        {
            _depth[i] = depthByOffset[_code[i].Offset];
            _usesGlobals |= _code[i].Info.Code is OpCode.LoadGlobal or OpCode.StoreGlobal;
            var flow = _code[i].Info.Flow;
            if (flow is FlowKind.Jump or FlowKind.ConditionalJump)
            {
                int target = indexAt[_code[i].JumpTarget];
                _targetIndex[i] = target;
                if (!_isTarget[target]) _labels[target] = _asm.CreateLabel();
                _isTarget[target] = true;
                if (target <= i && !_loopHeaders.Contains(target)) _loopHeaders.Add(target);
            }
        }
    }

    private readonly int[] _targetIndex;

    /// <summary>Whether the code reads or writes globals (else r13 is not loaded).</summary>
    private readonly bool _usesGlobals;

    /// <summary>Compiles <paramref name="function"/>. <paramref name="entryTable"/> is the address of
    /// the module's table of compiled entries, which calls go through.</summary>
    public static CompiledBlock Compile(PreparedModule module, FunctionCode function, nint entryTable) =>
        new FunctionCompiler(module, function, entryTable).Run();

    private CompiledBlock Run()
    {
        _fail = _asm.CreateLabel();
        Prologue();
        for (int i = 0; i < _code.Length; i++)
        {
            if (_depth[i] < 0) continue; // unreachable: no code
            if (_isTarget[i])
            {
                FlushAll();
                Bind(ref _labels[i]);
                ResetStack(_depth[i]);
                _raxHolds = Operand.None; // another path arrives here
                _block++;
            }
            _asmStart[i] = _asm.Instructions.Count;
            i = EmitInstruction(i);
        }
        foreach (var emit in _outOfLine.ToArray())
        {
            _raxHolds = Operand.None; // slow paths start from a jump, with nothing known about registers
            emit();
        }

        Bind(ref _fail);
        _asm.mov(eax, 1);
        Epilogue();

        var osrLabels = new Label[_loopHeaders.Count];
        for (int h = 0; h < osrLabels.Length; h++)
        {
            osrLabels[h] = _asm.CreateLabel();
            Bind(ref osrLabels[h]);
            EntrySequence();
            _asm.jmp(_labels[_loopHeaders[h]]);
        }

        var writer = new ByteWriter();
        var result = _asm.Assemble(writer, 0, BlockEncoderOptions.ReturnNewInstructionOffsets);
        var osr = new int[_code.Length];
        Array.Fill(osr, -1);
        for (int h = 0; h < osrLabels.Length; h++) osr[_loopHeaders[h]] = (int)result.GetLabelRIP(osrLabels[h]);
        var offsets = result.Result[0].NewInstructionOffsets;
        var starts = new int[_code.Length];
        for (int i = 0; i < starts.Length; i++) starts[i] = _asmStart[i] < 0 ? -1 : (int)offsets[_asmStart[i]];
        return new CompiledBlock(writer.ToArray(), osr, starts);
    }

    // ---- Frame entry and exit ----

    private Label _entry;

    /// <summary>The entry compiled calls use; a recursive call jumps straight to it.</summary>
    private void Prologue()
    {
        _entry = _asm.CreateLabel();
        Bind(ref _entry);
        EntrySequence();
    }

    /// <summary>Saves the callee-saved registers compiled code uses and loads them. Three pushes
    /// after the return address leave rsp 16-byte aligned for helper calls.</summary>
    private void EntrySequence()
    {
        _asm.push(rbx);
        _asm.push(r12);
        _asm.push(r13);
        _asm.mov(rbx, rdi);
        _asm.mov(r12, rsi);
        if (_usesGlobals) _asm.mov(r13, __qword_ptr[r12 + JitContext.GlobalsOffset]);
    }

    private void Epilogue()
    {
        _asm.pop(r13);
        _asm.pop(r12);
        _asm.pop(rbx);
        _asm.ret();
    }

    // ---- The compile-time operand stack ----

    private int Depth => _stack.Count;

    private void Push(Operand operand) => _stack.Push(operand);

    private Operand Pop() => _stack.Pop();

    private void ResetStack(int depth) => _stack.Reset(depth);

    /// <summary>Writes every pending entry to its slot.</summary>
    private void FlushAll()
    {
        for (int p = 0; p < _stack.Count; p++) Materialize(p);
    }

    /// <summary>Writes the entries that still read <paramref name="source"/> (about to change) to their slots.</summary>
    private void FlushReadsOf(Operand source)
    {
        for (int p = 0; p < _stack.Count; p++)
            if (_stack[p] == source) Materialize(p);
    }

    private void FlushGlobals()
    {
        for (int p = 0; p < _stack.Count; p++)
            if (_stack[p].Kind == OperandKind.Global) Materialize(p);
    }

    private void Materialize(int position)
    {
        var entry = _stack[position];
        if (entry.Kind == OperandKind.Slot && entry.Index == position) return;
        Copy(entry, Operand.Slot(position));
        _stack[position] = Operand.Slot(position);
    }

    // ---- Addressing ----

    private int SlotDisplacement(int position) => (_function.LocalCount + position) * SlotSize;

    private AssemblerMemoryOperand Address(Operand operand, int extra = 0) => operand.Kind switch
    {
        OperandKind.Slot => __[rbx + (SlotDisplacement(operand.Index) + extra)],
        OperandKind.Local => __[rbx + (operand.Index * SlotSize + extra)],
        OperandKind.Global => __[r13 + (operand.Index * SlotSize + extra)],
        _ => throw new InvalidOperationException("a constant has no address"),
    };

    private AssemblerMemoryOperand Bits(Operand operand) => __qword_ptr[Address(operand)];

    private AssemblerMemoryOperand KindByte(Operand operand) => __byte_ptr[Address(operand, KindOffset)];

    private Value ConstantValue(Operand operand) => _function.Constants[operand.Index];

    /// <summary>A <see cref="StaticKind"/> that says "not known while compiling".</summary>
    private const ValueKind Unknown = (ValueKind)0xFF;

    /// <summary>The value's kind if it is known while compiling (a constant), else <see cref="Unknown"/>.</summary>
    private ValueKind StaticKind(Operand operand) =>
        operand.Kind == OperandKind.Const ? ConstantValue(operand).Kind : Unknown;

    /// <summary>
    /// Copies a value (its bits and kind, or a constant's) to <paramref name="destination"/>. The
    /// bits go as 8 bytes and the kind as 1, the sizes they are stored with, so the loads take the
    /// values straight from recent stores (a 16-byte load of two smaller stores would stall).
    /// Leaves rax holding the bits.
    /// </summary>
    private void Copy(Operand source, Operand destination)
    {
        if (source == destination) return;
        if (source.Kind == OperandKind.Const)
        {
            var value = ConstantValue(source);
            _asm.mov(rax, value.Bits);
            _asm.mov(Bits(destination), rax);
            _asm.mov(KindByte(destination), (int)value.Kind);
            _raxHolds = destination;
            return;
        }
        if (_raxHolds != source) _asm.mov(rax, Bits(source));
        _asm.movzx(ecx, KindByte(source));
        _asm.mov(Bits(destination), rax);
        _asm.mov(KindByte(destination), cl);
        _raxHolds = destination;
    }

    /// <summary>Forgets what rax holds if it is <paramref name="location"/>, about to be written some other way.</summary>
    private void Overwriting(Operand location)
    {
        if (_raxHolds == location) _raxHolds = Operand.None;
    }

    /// <summary>Stores the int in rax (which then holds <paramref name="destination"/>).</summary>
    private void StoreInt(Operand destination)
    {
        _asm.mov(Bits(destination), rax);
        _asm.mov(KindByte(destination), (int)ValueKind.Int);
        _raxHolds = destination;
    }

    private void StoreFloat(Operand destination, AssemblerRegisterXMM value)
    {
        Overwriting(destination);
        _asm.movsd(__qword_ptr[Address(destination)], value);
        _asm.mov(KindByte(destination), (int)ValueKind.Float);
    }

    /// <summary>Stores the bool (0 or 1) in rax (which then holds <paramref name="destination"/>).</summary>
    private void StoreBool(Operand destination)
    {
        _asm.mov(Bits(destination), rax);
        _asm.mov(KindByte(destination), (int)ValueKind.Bool);
        _raxHolds = destination;
    }

    /// <summary>Loads an int operand into <paramref name="register"/>, going to <paramref name="notInt"/> if it is not one.</summary>
    private void LoadInt(Operand operand, AssemblerRegister64 register, Label notInt)
    {
        if (operand.Kind == OperandKind.Const)
        {
            var value = ConstantValue(operand);
            if (value.Kind != ValueKind.Int) _asm.jmp(notInt);
            else _asm.mov(register, value.Bits);
            if (register == rax) _raxHolds = Operand.None;
            return;
        }
        _asm.cmp(KindByte(operand), (int)ValueKind.Int);
        _asm.jne(notInt);
        if (_raxHolds == operand)
        {
            if (register != rax) _asm.mov(register, rax);
            return;
        }
        _asm.mov(register, Bits(operand));
        if (register == rax) _raxHolds = operand;
    }

    /// <summary>Loads an int or float operand as a double, going to <paramref name="other"/> for anything else.</summary>
    private void LoadNumber(Operand operand, AssemblerRegisterXMM register, Label other)
    {
        if (operand.Kind == OperandKind.Const)
        {
            var value = ConstantValue(operand);
            if (value.Kind is not (ValueKind.Int or ValueKind.Float))
            {
                _asm.jmp(other);
                return;
            }
            _asm.mov(rax, BitConverter.DoubleToInt64Bits(value.ToDouble()));
            _asm.movq(register, rax);
            _raxHolds = Operand.None;
            return;
        }
        var isFloat = _asm.CreateLabel();
        var done = _asm.CreateLabel();
        _asm.cmp(KindByte(operand), (int)ValueKind.Float);
        _asm.je(isFloat);
        _asm.cmp(KindByte(operand), (int)ValueKind.Int);
        _asm.jne(other);
        _asm.cvtsi2sd(register, Bits(operand));
        _asm.jmp(done);
        Bind(ref isFloat);
        _asm.movsd(register, __qword_ptr[Address(operand)]);
        Bind(ref done);
    }

    // ---- Helper calls ----

    /// <summary>Calls a helper with up to six integer arguments already in place and goes to the
    /// failure exit if it returns non-zero.</summary>
    private void CallHelper(nint helper, bool checkStatus = true)
    {
        _raxHolds = Operand.None;
        _asm.mov(rax, helper);
        _asm.call(rax);
        if (checkStatus)
        {
            _asm.test(rax, rax);
            _asm.jne(_fail);
        }
    }

    /// <summary>Raises the error of kind <paramref name="kind"/> for the value in <paramref name="operand"/> (materialized first).</summary>
    private void RaiseError(RuntimeHelpers.ErrorKind kind, Operand operand, int argument, int at)
    {
        _asm.mov(rdi, r12);
        _asm.mov(esi, (int)kind);
        if (operand.Kind == OperandKind.Const) throw new InvalidOperationException("materialize constants before raising");
        _asm.lea(rdx, Address(operand));
        _asm.mov(ecx, argument);
        _asm.mov(r8d, _function.Index);
        _asm.mov(r9d, at);
        CallHelper(RuntimeHelpers.Error, checkStatus: false);
        _asm.jmp(_fail);
    }

    private int _lastBound = -1;

    /// <summary>Binds <paramref name="label"/> to the next instruction. Iced allows one label per
    /// instruction, so a second label at the same place gets a one-byte nop of its own.</summary>
    private void Bind(ref Label label)
    {
        if (_lastBound == _asm.Instructions.Count) _asm.nop();
        _asm.Label(ref label);
        _lastBound = _asm.Instructions.Count;
    }

    /// <summary>Adds code emitted after the function body (slow paths stay out of the hot straight line).</summary>
    private void OutOfLine(Action emit) => _outOfLine.Add(emit);

    /// <summary>An instruction after <paramref name="i"/> that a peephole may fold into it: reachable and
    /// not a jump target (nothing can arrive between the two).</summary>
    private OpCode? Next(int i) =>
        i + 1 < _code.Length && !_isTarget[i + 1] && _depth[i + 1] >= 0 ? _code[i + 1].Info.Code : null;

    private sealed class ByteWriter : CodeWriter
    {
        private readonly List<byte> _bytes = [];
        public override void WriteByte(byte value) => _bytes.Add(value);
        public byte[] ToArray() => [.. _bytes];
    }
}

/// <summary>A compiled code block before it is installed: position-independent machine code, and
/// by bytecode instruction index the offset of its on-stack-replacement entry (loop headers) and
/// where its code starts (for listings); -1 where there is none.</summary>
internal sealed record CompiledBlock(byte[] Code, int[] OsrOffsets, int[] InstructionStarts);
