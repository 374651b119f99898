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
/// <para>Registers: <c>rbx</c> the frame (local 0, saved by each compiled activation);
/// <c>r12</c> the <see cref="JitContext"/>, <c>r13</c> the globals, <c>r14</c> the number of frame
/// records in use, <c>r15</c> the steps the run may still take (<see cref="StepBudget"/>): these four are the same in every compiled
/// activation of a run, so compiled calls neither pass nor save them (the external entry, which
/// managed code calls, loads and restores them). <c>rax, rcx, rdx, rsi, rdi, r8, r9, xmm0,
/// xmm1</c> are scratch.</para>
/// </summary>
internal sealed partial class FunctionCompiler
{
    private const int SlotSize = 16;
    private const int KindOffset = 8;
    private static readonly int CallFrameFunction = (int)Marshal.OffsetOf(typeof(CallFrame), nameof(CallFrame.Function));
    private static readonly int CallFrameResumeAt = (int)Marshal.OffsetOf(typeof(CallFrame), nameof(CallFrame.ResumeAt));

    private readonly PreparedModule _module;
    private readonly FunctionCode _function;
    private readonly nint _entryTable;
    private readonly Assembler _asm;
    private readonly Instruction[] _code;
    private readonly int[] _depth;
    private readonly bool[] _isTarget;
    private readonly Label[] _labels;
    private readonly OperandStack _stack;
    private readonly List<Action> _outOfLine;
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

    /// <summary>Like <see cref="_raxHolds"/> for floats: the location whose value (a float) xmm0
    /// holds, so <c>2.0 * zr * zi + ci</c> stays in a register from one operation to the next.</summary>
    private Operand _xmm0Holds = Operand.None;

    /// <summary>Nothing is known about registers any more (a label, a call, a slow path).</summary>
    private void ForgetRegisters()
    {
        _raxHolds = Operand.None;
        _xmm0Holds = Operand.None;
    }

    private FunctionCompiler(PreparedModule module, FunctionCode function, nint entryTable, CompileRequest request, HashSet<int> framedCalls,
        HashSet<int> noReservation)
        : this(module, function, entryTable, request, new Emission(), inline: null, entry: null)
    {
        _framedCalls = framedCalls;
        _noReservation = noReservation;
    }

    /// <param name="emission">Where the code goes: a new block, or the caller's when <paramref name="inline"/> is set.</param>
    /// <param name="inline">Set for a callee's body compiled inline into its caller's code (see FunctionCompiler.Inlining.cs).</param>
    /// <param name="entry">What is known of the parameters on entry (an inline body's arguments), or null.</param>
    private FunctionCompiler(PreparedModule module, FunctionCode function, nint entryTable, CompileRequest request,
        Emission emission, InlineBody? inline, EntryFacts? entry)
    {
        _module = module;
        _function = function;
        _entryTable = entryTable;
        _version = request.Version;
        _forcedFlags = request.ForcedFlags;
        _calleeSpeculation = request.CalleeSpeculation;
        _emission = emission;
        _asm = emission.Assembler;
        _outOfLine = emission.OutOfLine;
        _inline = inline;
        _frameBase = inline?.FrameBase ?? 0;
        _code = Instruction.DecodeAll(function.Source.Code);
        var depthByOffset = Verifier.StackDepths(module.Image, function.Source);
        _stack = new OperandStack(function.Source.MaxStack);
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
            var flow = _code[i].Info.Flow;
            if (flow is FlowKind.Jump or FlowKind.ConditionalJump)
            {
                int target = indexAt[_code[i].JumpTarget];
                _targetIndex[i] = target;
                if (!_isTarget[target]) _labels[target] = _asm.CreateLabel();
                _isTarget[target] = true;
                if (target <= i)
                {
                    int loop = _loopHeaders.IndexOf(target);
                    if (loop < 0)
                    {
                        _loopHeaders.Add(target);
                        _loopEnds.Add(i);
                    }
                    else
                    {
                        _loopEnds[loop] = Math.Max(_loopEnds[loop], i);
                    }
                }
            }
        }
        _kinds = KindAnalysis.Run(module, function, _code, _targetIndex, _depth, request.Speculation, entry);
        // Bets need the analysis to take them as facts; without it (very large code) there are none.
        _speculation = _kinds.Ran ? request.Speculation : null;
        // An inline body leaves its caller's registers as they are, and may use the ones after them.
        _promotion = inline is not null
            ? RegisterPromotion.ForInlineBody(_code, function.LocalCount, _kinds, HasCode, inline.Caller._promotion)
            : RegisterPromotion.Choose(_code, function.LocalCount, module.Image.Globals.Length, _kinds,
                HasCode, _loopHeaders, _loopEnds);
        _registerOnly = inline is not null ? RegisterOnlyLocals() : [];
    }

    /// <summary>The last back-edge of each loop in <see cref="_loopHeaders"/>.</summary>
    private readonly List<int> _loopEnds = [];

    /// <summary>The locals and globals that live (also) in registers.</summary>
    private readonly RegisterPromotion _promotion;

    /// <summary>The bets of an optimizing compile; null for a compile that bets on nothing (the
    /// <c>jit</c> mode, a function without a profile, or one that deoptimized too often).</summary>
    private readonly Speculation? _speculation;

    /// <summary>This compile's number in the module, which its deoptimization exits pass to the helper.</summary>
    private readonly int _version;

    /// <summary>The test mode that forces deoptimization: the address of one flag byte per
    /// instruction, 0 until an exit resuming there has been taken once (0 when the mode is off).</summary>
    private readonly nint _forcedFlags;

    private readonly int[] _targetIndex;

    /// <summary>What kinds each local and stack slot can hold (checks it proves cannot fail are left out).</summary>
    private readonly KindAnalysis _kinds;

    /// <summary>The instruction being compiled (slow paths compiled later restore it: kinds are per instruction).</summary>
    private int _at;

    /// <summary>Compiles <paramref name="function"/>. <paramref name="entryTable"/> is the address of
    /// the module's table of compiled entries, which calls go through.</summary>
    public static CompiledBlock Compile(PreparedModule module, FunctionCode function, nint entryTable, CompileRequest request)
    {
        // An inlined call checks for room in the stack segment only if its body turns out to use
        // memory past this frame's end; such a call is found while compiling, and the compile
        // starts again with it in the set (once per such call: compiles are small and fast).
        // Likewise a loop that turns out unable to reserve its call's step (FunctionCompiler.StepReservation.cs).
        var framedCalls = new HashSet<int>();
        var noReservation = new HashSet<int>();
        while (true)
        {
            try
            {
                return new FunctionCompiler(module, function, entryTable, request, framedCalls, noReservation).Run();
            }
            catch (FrameRoomNeeded)
            {
            }
            catch (StepReservationImpossible impossible)
            {
                noReservation.Add(impossible.Header);
            }
        }
    }

    private CompiledBlock Run()
    {
        PlanLoopDepthChecks();
        PlanStepReservations();
        PlanBoundedIncrements();
        _fail = _asm.CreateLabel();
        Prologue();
        EmitBody();

        // Managed code enters through an external entry: the normal one, or one per loop header
        // (on-stack replacement, which continues an interpreted activation in this code).
        var external = _asm.CreateLabel();
        Bind(ref external);
        ExternalEntry(_entry);
        _loopHeaders.RemoveAll(header => !_kinds.Reached(header));
        var osrLabels = new Label[_loopHeaders.Count];
        for (int h = 0; h < osrLabels.Length; h++)
        {
            var body = _asm.CreateLabel();
            osrLabels[h] = _asm.CreateLabel();
            Bind(ref osrLabels[h]);
            ExternalEntry(body);
            Bind(ref body);
            InternalEntry();
            EmitOsrGuards(_loopHeaders[h]);
            EmitOsrDepthCheck(_loopHeaders[h]);
            EmitOsrStepReservation(_loopHeaders[h]);
            LoadPromoted();
            _asm.jmp(_labels[_loopHeaders[h]]);
        }

        for (int k = 0; k < _outOfLine.Count; k++) // slow paths may add more (a deoptimization exit)
        {
            ForgetRegisters(); // slow paths start from a jump, with nothing known about registers
            _outOfLine[k]();
        }

        Bind(ref _fail);
        _asm.mov(eax, 1);
        Epilogue();

        var assembled = _emission.Assemble();
        var osr = new int[_code.Length];
        Array.Fill(osr, -1);
        for (int h = 0; h < osrLabels.Length; h++) osr[_loopHeaders[h]] = assembled.OffsetOf(osrLabels[h]);
        var starts = new int[_code.Length];
        for (int i = 0; i < starts.Length; i++) starts[i] = _asmStart[i] < 0 ? -1 : assembled.OffsetOfInstruction(_asmStart[i]);
        return new CompiledBlock(assembled.Code, assembled.OffsetOf(external), osr, starts, [.. _deoptPoints]);
    }

    /// <summary>Whether instruction <paramref name="i"/> gets code: it is reachable (the verifier gives
    /// unreachable code no stack depth), and not only through a branch bet against.</summary>
    private bool HasCode(int i) => _depth[i] >= 0 && _kinds.Reached(i);

    /// <summary>The code of every reachable instruction, in order (slow paths are added to <see cref="_outOfLine"/>).</summary>
    private void EmitBody()
    {
        for (int i = 0; i < _code.Length; i++)
        {
            if (!HasCode(i)) continue;
            if (_isTarget[i])
            {
                FlushAll();
                Bind(ref _labels[i]);
                ResetStack(_depth[i]);
                ForgetRegisters(); // another path arrives here
            }
            _asmStart[i] = _asm.Instructions.Count;
            _at = i;
            EnterReservationRegion(i);
            EmitLoopDepthCheck(i);
            int first = i;
            i = EmitInstruction(i);
            AssertNoDepthCheckSwallowed(first, i);
            if (i >= _inRegisterOnlyTaker) _inRegisterOnly = Operand.None; // taken (see FunctionCompiler.ResultRegisters.cs)
        }
    }

    // ---- Frame entry and exit ----

    private Label _entry;

    /// <summary>The internal entry, at offset 0: what compiled calls (and a recursive call) enter.</summary>
    private void Prologue()
    {
        _entry = _asm.CreateLabel();
        Bind(ref _entry);
        InternalEntry();
        EmitParameterGuards();
        LoadPromoted();
    }

    /// <summary>A compiled activation saves the caller's frame register and takes its own from rdi.
    /// One push after the return address leaves rsp 16-byte aligned for helper calls.</summary>
    private void InternalEntry()
    {
        _asm.push(rbx);
        _asm.mov(rbx, rdi);
    }

    /// <summary>Loads every promoted variable's register from the frame or the globals (at an
    /// entry, and after anything that may have changed the registers or the globals).</summary>
    private void LoadPromoted()
    {
        // (Operand.None: a register of the caller an inline body is in. A register-only local of an
        // inline body is written before it is read: its memory holds nothing.)
        for (int k = 0; k < _promotion.IntVariables.Length; k++)
            if (_promotion.IntVariables[k] != Operand.None && !IsRegisterOnly(_promotion.IntVariables[k]))
                _asm.mov(RegisterPromotion.IntRegister(k), Bits(_promotion.IntVariables[k]));
        for (int k = 0; k < _promotion.FloatVariables.Length; k++)
            if (_promotion.FloatVariables[k] != Operand.None && !IsRegisterOnly(_promotion.FloatVariables[k]))
                _asm.movsd(RegisterPromotion.FloatRegister(k), __qword_ptr[Address(_promotion.FloatVariables[k])]);
    }

    /// <summary>After a store of <paramref name="variable"/> whose bits are in <paramref name="bits"/>:
    /// its register, if it has one, gets them too.</summary>
    private void WroteBits(Operand variable, AssemblerRegister64 bits)
    {
        if (_promotion.TryInt(variable, out var register)) _asm.mov(register, bits);
        else if (_promotion.TryFloat(variable, out var floatRegister)) _asm.movq(floatRegister, bits);
    }

    private void Epilogue()
    {
        _asm.pop(rbx);
        _asm.ret();
    }

    /// <summary>
    /// <c>long entry(Value* frame, JitContext* context)</c> for managed callers: saves the
    /// callee-saved registers compiled code pins, loads them from the context, runs
    /// <paramref name="body"/> on the frame and passes its status back. Five pushes keep the
    /// stack aligned for the call.
    /// </summary>
    private void ExternalEntry(Label body)
    {
        _asm.push(rbx);
        _asm.push(r12);
        _asm.push(r13);
        _asm.push(r14);
        _asm.push(r15);
        _asm.mov(r12, rsi);
        _asm.mov(r13, __qword_ptr[r12 + JitContext.GlobalsOffset]);
        _asm.mov(r14d, __dword_ptr[r12 + JitContext.FrameCountOffset]);
        _asm.mov(r15, __qword_ptr[r12 + JitContext.StepsLeftOffset]);
        _asm.call(body);
        _asm.mov(__qword_ptr[r12 + JitContext.StepsLeftOffset], r15);
        _asm.pop(r15);
        _asm.pop(r14);
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

    private void Materialize(int position)
    {
        var entry = _stack[position];
        if (entry.Kind == OperandKind.Slot && entry.Index == position) return;
        Copy(entry, Operand.Slot(position));
        _stack[position] = Operand.Slot(position);
    }

    // ---- Addressing ----

    private int SlotDisplacement(int position) => (_function.LocalCount + position) * SlotSize;

    private AssemblerMemoryOperand Address(Operand operand, int extra = 0)
    {
        if (_inline is not null) CheckInlineFrameUse(operand);
        return operand.Kind switch
        {
            OperandKind.Slot => __[rbx + (_frameBase + SlotDisplacement(operand.Index) + extra)],
            OperandKind.Local => __[rbx + (_frameBase + operand.Index * SlotSize + extra)],
            OperandKind.Global => __[r13 + (operand.Index * SlotSize + extra)],
            _ => throw new InvalidOperationException("a constant has no address"),
        };
    }

    private AssemblerMemoryOperand Bits(Operand operand) => __qword_ptr[Address(operand)];

    private AssemblerMemoryOperand KindByte(Operand operand) => __byte_ptr[Address(operand, KindOffset)];

    /// <summary>A constant operand's value: one of the code block's constants, or a value the
    /// analysis computed (<see cref="Immediate"/>).</summary>
    private Value ConstantValue(Operand operand) =>
        operand.Index < _function.Constants.Length ? _function.Constants[operand.Index] : _immediates[operand.Index - _function.Constants.Length];

    /// <summary>Values known while compiling that are not among the block's constants (an array,
    /// not a list: generic code over this assembly's structs would be compiled at start-up).</summary>
    private Value[] _immediates = [];
    private int _immediateCount;

    /// <summary>A constant operand for <paramref name="value"/>, which the analysis proved.</summary>
    private Operand Immediate(Value value)
    {
        if (_immediateCount == _immediates.Length)
        {
            var larger = new Value[Math.Max(8, 2 * _immediates.Length)];
            Array.Copy(_immediates, larger, _immediateCount);
            _immediates = larger;
        }
        _immediates[_immediateCount] = value;
        return Operand.Const(_function.Constants.Length + _immediateCount++);
    }

    /// <summary>The kinds the value may have here: a constant's own, or what <see cref="KindAnalysis"/>
    /// proved for the local or slot before the current instruction (never empty).</summary>
    private KindSet KindsOf(Operand operand)
    {
        var kinds = operand.Kind switch
        {
            OperandKind.Const => KindAnalysis.Of(ConstantValue(operand).Kind),
            OperandKind.Local => _kinds.Local(_at, operand.Index),
            OperandKind.Slot => _kinds.Stack(_at, operand.Index),
            OperandKind.Global => _kinds.Global(_at, operand.Index) & KindSet.Any,
            _ => KindSet.Any,
        };
        return kinds == KindSet.Empty ? KindSet.Any : kinds; // empty: the code cannot run; any code will do
    }

    /// <summary>Whether a value of <paramref name="kinds"/> may be one of <paramref name="some"/>.</summary>
    private static bool May(KindSet kinds, KindSet some) => (kinds & some) != 0;

    /// <summary>
    /// Copies a value (its bits and kind, or a constant's) to <paramref name="destination"/>. The
    /// bits go as 8 bytes and the kind as 1, the sizes they are stored with, so the loads take the
    /// values straight from recent stores (a 16-byte load of two smaller stores would stall).
    /// Leaves rax holding the bits.
    /// </summary>
    private void Copy(Operand source, Operand destination)
    {
        if (source == destination) return;
        Overwriting(destination);
        if (IsRegisterOnly(destination))
        {
            // Only its register, if it has one, needs the bits.
            if (!IsPromoted(destination)) return;
            if (source.Kind == OperandKind.Const) _asm.mov(rax, ConstantValue(source).Bits);
            else LoadBits(source, rax);
            WroteBits(destination, rax);
            _raxHolds = destination;
            return;
        }
        if (source.Kind == OperandKind.Const)
        {
            var value = ConstantValue(source);
            if (value.Bits == (int)value.Bits && !IsPromoted(destination))
            {
                _asm.mov(Bits(destination), (int)value.Bits);
            }
            else
            {
                _asm.mov(rax, value.Bits);
                _asm.mov(Bits(destination), rax);
                WroteBits(destination, rax);
                _raxHolds = destination;
            }
            StoreKind(destination, value.Kind);
            return;
        }
        LoadBits(source, rax);
        _asm.mov(Bits(destination), rax);
        if (source == _inRegisterOnly)
            _asm.mov(KindByte(destination), (int)_inRegisterOnlyKind);
        else if (IsRegisterOnly(source))
            _asm.mov(KindByte(destination), (int)SingleKind(_kinds.Local(_at, source.Index))!.Value); // its reads' one proved kind
        else
        {
            _asm.movzx(ecx, KindByte(source));
            _asm.mov(KindByte(destination), cl);
        }
        WroteBits(destination, rax);
        _raxHolds = destination;
    }

    private bool IsPromoted(Operand variable) => _promotion.TryInt(variable, out _) || _promotion.TryFloat(variable, out _);

    /// <summary>Loads a value's bits into <paramref name="register"/>: from rax or a promoted
    /// variable's register when they hold them, else from memory.</summary>
    private void LoadBits(Operand source, AssemblerRegister64 register)
    {
        if (_raxHolds == source)
        {
            if (register != rax) _asm.mov(register, rax);
        }
        else if (source == _inRegisterOnly && _xmm0Holds == source) _asm.movq(register, xmm0); // a float kept in xmm0
        else if (_promotion.TryInt(source, out var promoted)) _asm.mov(register, promoted);
        else if (_promotion.TryFloat(source, out var floatRegister)) _asm.movq(register, floatRegister);
        else _asm.mov(register, Bits(source));
        if (register == rax) _raxHolds = source;
    }

    /// <summary>Writes the kind byte of <paramref name="destination"/>, unless the analysis proved
    /// it already holds that kind (a loop's <c>i = i + 1</c> then stores only the bits).</summary>
    private void StoreKind(Operand destination, ValueKind kind)
    {
        var known = destination.Kind switch
        {
            OperandKind.Local when destination.Index < _function.LocalCount && !ArgumentNotInSlot(destination.Index) => _kinds.Local(_at, destination.Index),
            OperandKind.Global => _kinds.Global(_at, destination.Index), // with "maybe unassigned"
            _ => KindSet.Empty, // a stack slot's old kind byte is another value's
        };
        if (known == KindAnalysis.Of(kind)) return;
        _asm.mov(KindByte(destination), (int)kind);
    }

    /// <summary>Forgets what the registers hold of <paramref name="location"/>, about to be written.</summary>
    private void Overwriting(Operand location)
    {
        if (_inRegisterOnly == location) _inRegisterOnly = Operand.None;
        if (_raxHolds == location) _raxHolds = Operand.None;
        if (_xmm0Holds == location) _xmm0Holds = Operand.None;
    }

    /// <summary>Stores the int in rax (which then holds <paramref name="destination"/>).</summary>
    private void StoreInt(Operand destination)
    {
        Overwriting(destination);
        if (!IsRegisterOnly(destination))
        {
            _asm.mov(Bits(destination), rax);
            StoreKind(destination, ValueKind.Int);
        }
        WroteBits(destination, rax);
        _raxHolds = destination;
    }

    /// <summary>Stores a float (if from xmm0, xmm0 then holds <paramref name="destination"/>).</summary>
    private void StoreFloat(Operand destination, AssemblerRegisterXMM value)
    {
        Overwriting(destination);
        if (!IsRegisterOnly(destination))
        {
            _asm.movsd(__qword_ptr[Address(destination)], value);
            StoreKind(destination, ValueKind.Float);
        }
        if (_promotion.TryFloat(destination, out var floatRegister)) _asm.movapd(floatRegister, value);
        else if (_promotion.TryInt(destination, out var register)) _asm.movq(register, value);
        if (value == xmm0) _xmm0Holds = destination;
    }

    /// <summary>Stores the bool (0 or 1) in rax (which then holds <paramref name="destination"/>).</summary>
    private void StoreBool(Operand destination)
    {
        Overwriting(destination);
        if (!IsRegisterOnly(destination))
        {
            _asm.mov(Bits(destination), rax);
            StoreKind(destination, ValueKind.Bool);
        }
        WroteBits(destination, rax);
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
        var kinds = KindsOf(operand);
        if (!May(kinds, KindSet.Int))
        {
            _asm.jmp(notInt);
            return;
        }
        if (kinds != KindSet.Int)
        {
            _asm.cmp(KindByte(operand), (int)ValueKind.Int);
            _asm.jne(notInt);
        }
        LoadBits(operand, register);
    }

    /// <summary>Loads an int or float operand as a double, going to <paramref name="other"/> for anything else.</summary>
    private void LoadNumber(Operand operand, AssemblerRegisterXMM register, Label other)
    {
        if (operand == _xmm0Holds)
        {
            if (register != xmm0) _asm.movapd(register, xmm0);
            return;
        }
        if (register == xmm0) _xmm0Holds = Operand.None;
        if (operand.Kind == OperandKind.Const)
        {
            var value = ConstantValue(operand);
            if (value.Kind is not (ValueKind.Int or ValueKind.Float))
            {
                _asm.jmp(other);
                return;
            }
            _asm.mov(r11, BitConverter.DoubleToInt64Bits(value.ToDouble())); // (not rax: it may hold the other operand)
            _asm.movq(register, r11);
            return;
        }
        var kinds = KindsOf(operand);
        if (kinds == KindSet.Float)
        {
            if (_promotion.TryFloat(operand, out var floatRegister)) _asm.movapd(register, floatRegister);
            else _asm.movsd(register, __qword_ptr[Address(operand)]);
            if (register == xmm0) _xmm0Holds = operand;
            return;
        }
        if (kinds == KindSet.Int)
        {
            _asm.xorps(register, register); // see below
            if (operand == _inRegisterOnly && _raxHolds == operand) _asm.cvtsi2sd(register, rax); // an int kept in rax
            else if (_promotion.TryInt(operand, out var intRegister)) _asm.cvtsi2sd(register, intRegister);
            else _asm.cvtsi2sd(register, Bits(operand));
            return;
        }
        if (!May(kinds, KindSet.Number))
        {
            _asm.jmp(other);
            return;
        }
        var isFloat = _asm.CreateLabel();
        var done = _asm.CreateLabel();
        _asm.cmp(KindByte(operand), (int)ValueKind.Float);
        _asm.je(isFloat);
        if ((kinds & ~KindSet.Number) != 0)
        {
            _asm.cmp(KindByte(operand), (int)ValueKind.Int);
            _asm.jne(other);
        }
        // cvtsi2sd writes only the low half of the register, so it would wait for whatever last
        // wrote the register (in a loop, often the previous iteration's slowest result: a sqrt,
        // a running sum). Zeroing it first breaks that false dependency, as C compilers do.
        _asm.xorps(register, register);
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
        RequireExactSteps();
        ForgetRegisters();
        if (_inline is not null)
        {
            // An inline body calls no helper: whatever needs one (an error, a string, a slow
            // path) re-runs the whole call in the interpreter, which has no inline frames to rebuild.
            _asm.jmp(_inline.Bail);
            return;
        }
        // The record count and the steps left live in r14 and r15 while compiled code runs; a
        // helper reads them here (for traces; to run the interpreter, which takes steps too).
        _asm.mov(__dword_ptr[r12 + JitContext.FrameCountOffset], r14d);
        _asm.mov(__qword_ptr[r12 + JitContext.StepsLeftOffset], r15);
        _asm.mov(rax, helper);
        _asm.call(rax);
        _asm.mov(r15, __qword_ptr[r12 + JitContext.StepsLeftOffset]);
        LoadPromoted(); // the helper may have used their registers (it leaves rax and the flags alone)
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

    /// <summary>Binds <paramref name="label"/> to the next instruction (see <see cref="Emission"/>).</summary>
    private void Bind(ref Label label) => _emission.Bind(ref label);

    /// <summary>Adds code emitted after the function body (slow paths stay out of the hot straight line).</summary>
    private void OutOfLine(Action emit)
    {
        int at = _at;
        int reservedIn = _stepReservedIn;
        _outOfLine.Add(() =>
        {
            _at = at;
            _stepReservedIn = reservedIn;
            ForgetRegisters(); // slow paths start from a jump, with nothing known about registers
            emit();
        });
    }

    /// <summary>An instruction after <paramref name="i"/> that a peephole may fold into it: reachable and
    /// not a jump target (nothing can arrive between the two).</summary>
    private OpCode? Next(int i) =>
        i + 1 < _code.Length && !_isTarget[i + 1] && _depth[i + 1] >= 0 ? _code[i + 1].Info.Code : null;
}

/// <summary>A compiled code block before it is installed: position-independent machine code whose
/// internal entry (for compiled callers) is at offset 0, the offset of its external entry (for
/// managed callers), by bytecode instruction index the offset of its on-stack-replacement entry
/// (loop headers) and where its code starts (for listings), -1 where there is none; and its
/// deoptimization exits.</summary>
internal sealed record CompiledBlock(byte[] Code, int ExternalEntryOffset, int[] OsrOffsets, int[] InstructionStarts, DeoptPoint[] DeoptPoints);

/// <summary>What a compile is asked for: its number in the module (<see cref="Version"/>), its bets
/// (null: none), in the test mode that forces deoptimization the address of its exits' flags, and
/// the bets on other functions' bodies, for inlining them (null: nothing is inlined).</summary>
internal sealed record CompileRequest(int Version, Speculation? Speculation, nint ForcedFlags, Func<int, Speculation?>? CalleeSpeculation = null);
