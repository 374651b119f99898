using MiniVm.Bytecode.Model;
using MiniVm.Bytecode.Opcodes;

namespace MiniVm.Compiler.CodeGen;

/// <summary>
/// Appends instructions to one code block and keeps its side tables: the constant pool
/// (de-duplicated), the line table, and the stack depth, whose maximum becomes the block's
/// declared <see cref="CodeObject.MaxStack"/> (the verifier re-derives and checks it). Code
/// that cannot be reached (after a return, break or continue) is not emitted at all.
/// </summary>
internal sealed class CodeBuilder
{
    private readonly List<byte> _code = [];
    private readonly List<Constant> _constants = [];
    private readonly Dictionary<Constant, int> _constantIndex = [];
    private readonly List<LineEntry> _lines = [];
    private readonly Func<int, int> _functionParamCount;
    private readonly bool _wideJumps;
    private int _depth;
    private int _maxDepth;
    private int _line = 1;

    /// <param name="functionParamCount">Parameter count by function index, for CALL_FUNCTION's stack effect.</param>
    /// <param name="wideJumps">Emit every jump with an EXTENDED_ARG prefix: needed once a block outgrows 16-bit offsets.</param>
    public CodeBuilder(Func<int, int> functionParamCount, bool wideJumps)
    {
        _functionParamCount = functionParamCount;
        _wideJumps = wideJumps;
    }

    /// <summary>False after an unconditional jump or return, until a label that is jumped to is bound.</summary>
    public bool IsReachable { get; private set; } = true;

    /// <summary>True if some jump target ended up beyond what a 16-bit argument can hold.</summary>
    public bool JumpOverflowed { get; private set; }

    public int Offset => _code.Count;

    /// <summary>The source line of the instructions emitted next.</summary>
    public void SetLine(int line) => _line = line;

    public int AddConstant(Constant constant)
    {
        if (!_constantIndex.TryGetValue(constant, out int index))
        {
            index = _constants.Count;
            _constants.Add(constant);
            _constantIndex.Add(constant, index);
        }
        return index;
    }

    public void LoadConstant(Constant constant) => Emit(OpCode.LoadConst, AddConstant(constant));

    public void Emit(OpCode op, int arg = 0)
    {
        if (!IsReachable) return;
        var info = OpcodeTable.Info(op);
        MarkLine();
        WriteInstruction(info, arg);
        var (pops, pushes) = OpcodeTable.StackEffect(info, arg, _functionParamCount);
        _depth += pushes - pops;
        _maxDepth = Math.Max(_maxDepth, _depth);
        if (info.Flow == FlowKind.Return) IsReachable = false;
    }

    public void EmitJump(OpCode op, Label target)
    {
        if (!IsReachable) return;
        var info = OpcodeTable.Info(op);
        MarkLine();
        int start = _code.Count;
        bool relative = info.Arg == ArgKind.JumpRelative;
        if (target.Offset >= 0)
        {
            int size = _wideJumps ? 6 : 3;
            int arg = relative ? target.Offset - (start + size) : target.Offset;
            if (arg < 0) throw new InvalidOperationException("relative jumps only go forward");
            WriteJump(info, arg);
        }
        else
        {
            WriteJump(info, 0);
            target.Patches.Add((_code.Count - 2, _code.Count, relative));
        }
        int depthAfter = _depth - info.Pops + info.Pushes;
        int depthAtTarget = info.Flow == FlowKind.Jump ? depthAfter : _depth - info.PopsOnJump;
        RecordArrival(target, depthAtTarget);
        _depth = depthAfter;
        if (info.Flow == FlowKind.Jump) IsReachable = false;
    }

    /// <summary>Binds a label here. A loop head is bound before the jumps that reach it, so it is
    /// always treated as reachable.</summary>
    public void Bind(Label label, bool loopHead = false)
    {
        label.Offset = _code.Count;
        if (label.IsReferenced)
        {
            if (!IsReachable) _depth = label.Depth;
            IsReachable = true;
        }
        else if (loopHead)
        {
            IsReachable = true;
        }
        foreach (var (argumentAt, instructionEnd, relative) in label.Patches)
        {
            int arg = relative ? label.Offset - instructionEnd : label.Offset;
            PatchArgument(argumentAt, arg);
        }
        label.Patches.Clear();
    }

    private void RecordArrival(Label target, int depth)
    {
        if (!target.IsReferenced) target.Depth = depth;
        target.IsReferenced = true;
    }

    private void MarkLine()
    {
        if (_lines.Count > 0 && _lines[^1].Line == _line) return;
        if (_lines.Count > 0 && _lines[^1].Offset == _code.Count)
            _lines[^1] = new LineEntry(_code.Count, _line);
        else
            _lines.Add(new LineEntry(_code.Count, _line));
    }

    private void WriteInstruction(OpInfo info, int arg)
    {
        if (info.HasArgument && arg > 0xFFFF)
        {
            WriteRaw(OpCode.ExtendedArg, arg >>> 16);
            arg &= 0xFFFF;
        }
        WriteRaw(info.Code, arg);
    }

    private void WriteJump(OpInfo info, int arg)
    {
        if (_wideJumps)
        {
            WriteRaw(OpCode.ExtendedArg, arg >>> 16);
            WriteRaw(info.Code, arg & 0xFFFF);
        }
        else
        {
            if (arg > 0xFFFF) JumpOverflowed = true;
            WriteRaw(info.Code, arg & 0xFFFF);
        }
    }

    private void PatchArgument(int argumentAt, int arg)
    {
        if (_wideJumps)
        {
            // The EXTENDED_ARG prefix's argument sits three bytes before the jump's own.
            _code[argumentAt - 3] = (byte)(arg >>> 16);
            _code[argumentAt - 2] = (byte)(arg >>> 24);
        }
        else if (arg > 0xFFFF)
        {
            JumpOverflowed = true;
        }
        _code[argumentAt] = (byte)arg;
        _code[argumentAt + 1] = (byte)(arg >>> 8);
    }

    private void WriteRaw(OpCode op, int arg)
    {
        _code.Add((byte)op);
        if ((byte)op >= OpcodeTable.HaveArgument)
        {
            _code.Add((byte)arg);
            _code.Add((byte)(arg >>> 8));
        }
    }

    public CodeObject Build(string name, int paramCount, IReadOnlyList<string> localNames, int firstLine)
    {
        var lines = _lines.Count > 0 ? _lines.ToArray() : [new LineEntry(0, firstLine)];
        return new CodeObject(name, paramCount, localNames.Count, _maxDepth, firstLine,
            _code.ToArray(), _constants.ToArray(), localNames.ToArray(), lines);
    }
}
