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
    private static readonly int CallFrameSize = Marshal.SizeOf<CallFrame>();
    private static readonly int CallFrameFunction = (int)Marshal.OffsetOf<CallFrame>(nameof(CallFrame.Function));
    private static readonly int CallFrameResumeAt = (int)Marshal.OffsetOf<CallFrame>(nameof(CallFrame.ResumeAt));

    private readonly PreparedModule _module;
    private readonly FunctionCode _function;
    private readonly nint _entryTable;
    private readonly Assembler _asm = new(64);
    private readonly Instruction[] _code;
    private readonly int[] _depth;
    private readonly bool[] _isTarget;
    private readonly Label[] _labels;
    private readonly List<Operand> _stack = [];
    private readonly List<Action> _outOfLine = [];
    private readonly List<int> _loopHeaders = [];
    private readonly List<(int Instruction, int AsmIndex)> _starts = [];
    private Label _fail;
    private int _at;

    private FunctionCompiler(PreparedModule module, FunctionCode function, nint entryTable)
    {
        _module = module;
        _function = function;
        _entryTable = entryTable;
        _code = Instruction.DecodeAll(function.Source.Code);
        var depthByOffset = Verifier.StackDepths(module.Image, function.Source);
        var indexAt = new Dictionary<int, int>(_code.Length);
        for (int i = 0; i < _code.Length; i++) indexAt[_code[i].Offset] = i;
        _depth = new int[_code.Length];
        _isTarget = new bool[_code.Length];
        _labels = new Label[_code.Length];
        _targetIndex = new int[_code.Length];
        for (int i = 0; i < _code.Length; i++)
        {
            _depth[i] = depthByOffset[_code[i].Offset];
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
                _asm.nop(); // a label needs an instruction; it also gives every block start its own address
            }
            _at = i;
            _starts.Add((i, _asm.Instructions.Count));
            i = EmitInstruction(i);
        }
        foreach (var emit in _outOfLine.ToArray()) emit();

        Bind(ref _fail);
        _asm.mov(eax, 1);
        Epilogue();

        var osrLabels = new List<(int Instruction, Label Label)>();
        foreach (int header in _loopHeaders)
        {
            var entry = _asm.CreateLabel();
            Bind(ref entry);
            EntrySequence();
            _asm.jmp(_labels[header]);
            osrLabels.Add((header, entry));
        }

        var writer = new ByteWriter();
        var result = _asm.Assemble(writer, 0, BlockEncoderOptions.ReturnNewInstructionOffsets);
        var osr = new Dictionary<int, int>();
        foreach (var (header, label) in osrLabels) osr[header] = (int)result.GetLabelRIP(label);
        var offsets = result.Result[0].NewInstructionOffsets;
        var starts = _starts.Select(s => (s.Instruction, (int)offsets[s.AsmIndex])).ToArray();
        return new CompiledBlock(writer.ToArray(), osr, starts);
    }

    // ---- Frame entry and exit ----

    private void Prologue() => EntrySequence();

    /// <summary>Saves the callee-saved registers compiled code uses and loads them. Three pushes
    /// after the return address leave rsp 16-byte aligned for helper calls.</summary>
    private void EntrySequence()
    {
        _asm.push(rbx);
        _asm.push(r12);
        _asm.push(r13);
        _asm.mov(rbx, rdi);
        _asm.mov(r12, rsi);
        _asm.mov(r13, __qword_ptr[r12 + JitContext.GlobalsOffset]);
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

    private void Push(Operand operand) => _stack.Add(operand);

    private Operand Pop()
    {
        var top = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return top;
    }

    private void ResetStack(int depth)
    {
        _stack.Clear();
        for (int p = 0; p < depth; p++) _stack.Add(Operand.Slot(p));
    }

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

    /// <summary>The value's kind if it is known while compiling (a constant).</summary>
    private ValueKind? StaticKind(Operand operand) =>
        operand.Kind == OperandKind.Const ? ConstantValue(operand).Kind : null;

    /// <summary>Copies a value (16 bytes, or a constant's bits and kind) to <paramref name="destination"/>.</summary>
    private void Copy(Operand source, Operand destination)
    {
        if (source == destination) return;
        if (source.Kind == OperandKind.Const)
        {
            var value = ConstantValue(source);
            StoreBits(destination, value.Bits);
            _asm.mov(KindByte(destination), (int)value.Kind);
            return;
        }
        _asm.movups(xmm0, __xmmword_ptr[Address(source)]);
        _asm.movups(__xmmword_ptr[Address(destination)], xmm0);
    }

    private void StoreBits(Operand destination, long bits)
    {
        if (bits == (int)bits)
        {
            _asm.mov(Bits(destination), (int)bits);
        }
        else
        {
            _asm.mov(rax, bits);
            _asm.mov(Bits(destination), rax);
        }
    }

    private void StoreInt(Operand destination, AssemblerRegister64 value)
    {
        _asm.mov(Bits(destination), value);
        _asm.mov(KindByte(destination), (int)ValueKind.Int);
    }

    private void StoreFloat(Operand destination, AssemblerRegisterXMM value)
    {
        _asm.movsd(__qword_ptr[Address(destination)], value);
        _asm.mov(KindByte(destination), (int)ValueKind.Float);
    }

    private void StoreBool(Operand destination, AssemblerRegister64 zeroOrOne)
    {
        _asm.mov(Bits(destination), zeroOrOne);
        _asm.mov(KindByte(destination), (int)ValueKind.Bool);
    }

    /// <summary>Loads an int operand into <paramref name="register"/>, going to <paramref name="notInt"/> if it is not one.</summary>
    private void LoadInt(Operand operand, AssemblerRegister64 register, Label notInt)
    {
        if (operand.Kind == OperandKind.Const)
        {
            var value = ConstantValue(operand);
            if (value.Kind != ValueKind.Int) _asm.jmp(notInt);
            else _asm.mov(register, value.Bits);
            return;
        }
        _asm.cmp(KindByte(operand), (int)ValueKind.Int);
        _asm.jne(notInt);
        _asm.mov(register, Bits(operand));
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

/// <summary>A compiled code block before it is installed: position-independent machine code, the
/// offsets of its on-stack-replacement entries by loop-header instruction, and where each
/// bytecode instruction's code starts (for listings).</summary>
internal sealed record CompiledBlock(byte[] Code, IReadOnlyDictionary<int, int> OsrEntries, (int Instruction, int Offset)[] InstructionStarts);
