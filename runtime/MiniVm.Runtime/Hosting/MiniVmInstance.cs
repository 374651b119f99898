using MiniVm.Interpreter;
using MiniVm.Values;

namespace MiniVm;

/// <summary>
/// One run of a module: its globals, strings and frames. Run the top-level code with
/// <see cref="Run"/> (it sets the globals), then call functions by name with <see cref="Call"/>.
/// An instance is used by one thread at a time; make one per thread to run a module in parallel.
/// </summary>
public sealed class MiniVmInstance
{
    private readonly ExecutionState _state;

    internal MiniVmInstance(MiniVmModule module, ResolvedOptions options)
    {
        Module = module;
        Tier = options.Tier;
        MaxDepth = options.MaxDepth;
        _state = new ExecutionState(module.Prepared, options.Output, options.MaxDepth);
    }

    public MiniVmModule Module { get; }
    public MiniVmTier Tier { get; }
    public int MaxDepth { get; }

    /// <summary>Runs the top-level code. Returns the value of the program's final expression, or none.
    /// A run-time error raises <see cref="MiniVmRuntimeException"/>; what was printed before it stays printed.</summary>
    public MiniVmValue Run() => Execute(_state.Module.TopLevel, []);

    /// <summary>Calls a function by name. Globals are whatever the top-level code (if it ran) and
    /// earlier calls left; a global read before its <c>let</c> ran is a run-time error.</summary>
    public MiniVmValue Call(string function, params MiniVmValue[] arguments)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(arguments);
        int index = _state.Module.Image.FunctionIndex(function);
        if (index < 0)
            throw new ArgumentException($"{Module.SourceName} has no function '{function}'", nameof(function));
        var code = _state.Module.Functions[index];
        if (arguments.Length != code.ParamCount)
            throw new ArgumentException($"function '{function}' takes {code.ParamCount} argument(s), but {arguments.Length} were given", nameof(arguments));
        return Execute(code, arguments);
    }

    private MiniVmValue Execute(FunctionCode code, MiniVmValue[] arguments)
    {
        if (_state.IsRunning)
            throw new InvalidOperationException("this instance is already running; an instance is not re-entrant (create one per thread)");
        _state.IsRunning = true;
        try
        {
            var args = new Value[arguments.Length];
            _state.ActiveSegment = 0;
            _state.ActiveTop = 0;
            for (int i = 0; i < args.Length; i++)
            {
                args[i] = arguments[i].ToInternal(_state.NewString);
                // Keep the arguments made so far visible to a collection triggered by the next one.
                _state.Stack[0][i] = args[i];
                _state.ActiveTop = i + 1;
            }
            Value result = BytecodeInterpreter.Run(_state, code, args);
            return MiniVmValue.FromInternal(result, _state.Strings);
        }
        finally
        {
            _state.IsRunning = false;
        }
    }
}
