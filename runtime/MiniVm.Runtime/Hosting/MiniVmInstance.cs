using MiniVm.Interpreter;
using MiniVm.Jit;
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
        // Where compiled code cannot run, the jit and tiered modes are the interpreter.
        Tier = JitEngine.IsSupported ? options.Tier : MiniVmTier.Interpreter;
        MaxDepth = options.MaxDepth;
        MaxSteps = options.MaxSteps;
        _state = new ExecutionState(Tier == MiniVmTier.Tiered ? module.PreparedTiered : module.Prepared, options.Output, options.MaxDepth);
        if (Tier != MiniVmTier.Interpreter)
        {
            JitWarmUp.Start();
            if (options.ForceDeoptimization) module.Engine.ForceDeoptimization = true;
            if (!options.Inlining) module.Engine.Inlining = false;
            _state.Jit = new JitRun(module.Engine, Tier, options.JitThreshold, options.AssemblyListing, options.JitLog);
        }
    }

    /// <summary>What the JIT has done for this instance's runs.</summary>
    public MiniVmStatistics Statistics => _state.Jit?.Statistics is { } s
        ? new MiniVmStatistics(Tier, s.FunctionsCompiled, s.OsrEntries, s.CodeBytes, s.CompileTime, s.CompileFailures, s.Deoptimizations, s.Recompiles, s.ForcedDeoptimizations)
        : new MiniVmStatistics(Tier, 0, 0, 0, TimeSpan.Zero);

    public MiniVmModule Module { get; }
    public MiniVmTier Tier { get; }
    public int MaxDepth { get; }

    /// <summary>The most steps one run may take (<see cref="MiniVmOptions.MaxSteps"/>), or null.</summary>
    public long? MaxSteps { get; }

    /// <summary>Runs the top-level code. Returns the value of the program's final expression, or none.
    /// A run-time error raises <see cref="MiniVmRuntimeException"/>; what was printed before it stays printed.</summary>
    public MiniVmValue Run() => Run(CancellationToken.None);

    /// <summary>Runs the top-level code until it ends or <paramref name="cancellationToken"/> is
    /// cancelled, which stops it (in every tier, within about a million steps: calls and loop
    /// iterations) with <see cref="OperationCanceledException"/>.</summary>
    public MiniVmValue Run(CancellationToken cancellationToken) => Execute(_state.Module.TopLevel, [], cancellationToken);

    /// <summary>Calls a function by name. Globals are whatever the top-level code (if it ran) and
    /// earlier calls left; a global read before its <c>let</c> ran is a run-time error.</summary>
    public MiniVmValue Call(string function, params MiniVmValue[] arguments) => Call(function, arguments, CancellationToken.None);

    /// <summary>Calls a function by name; <paramref name="cancellationToken"/> stops it as it stops <see cref="Run(CancellationToken)"/>.</summary>
    public MiniVmValue Call(string function, MiniVmValue[] arguments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(arguments);
        int index = _state.Module.Image.FunctionIndex(function);
        if (index < 0)
            throw new ArgumentException($"{Module.SourceName} has no function '{function}'", nameof(function));
        var code = _state.Module.Functions[index];
        if (arguments.Length != code.ParamCount)
            throw new ArgumentException($"function '{function}' takes {code.ParamCount} argument(s), but {arguments.Length} were given", nameof(arguments));
        return Execute(code, arguments, cancellationToken);
    }

    private MiniVmValue Execute(FunctionCode code, MiniVmValue[] arguments, CancellationToken cancellationToken)
    {
        if (_state.IsRunning)
            throw new InvalidOperationException("this instance is already running; an instance is not re-entrant (create one per thread)");
        cancellationToken.ThrowIfCancellationRequested();
        _state.IsRunning = true;
        _state.Budget = new StepBudget(MaxSteps, cancellationToken);
        Module.BeginRun();
        try
        {
            if (_state.Jit is not null && !JitRun.ThreadHasRoomFor(MaxDepth))
                return OnThreadWithStack(() => Execute(code, arguments, _state.Jit));
            return Execute(code, arguments, _state.Jit);
        }
        finally
        {
            Module.EndRun();
            _state.IsRunning = false;
        }
    }

    /// <summary>Runs <paramref name="run"/> on a thread whose stack holds the call depth limit's
    /// worth of compiled frames (compiled MiniVm calls recurse on the native stack).</summary>
    private MiniVmValue OnThreadWithStack(Func<MiniVmValue> run)
    {
        MiniVmValue result = default!;
        System.Runtime.ExceptionServices.ExceptionDispatchInfo? failure = null;
        long size = Math.Min(int.MaxValue, JitRun.StackNeeded(MaxDepth) + (1 << 20));
        var thread = new Thread(() =>
        {
            try
            {
                result = run();
            }
            catch (Exception e)
            {
                failure = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e);
            }
        }, (int)size);
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }

    private MiniVmValue Execute(FunctionCode code, MiniVmValue[] arguments, JitRun? jit)
    {
        jit?.Begin(_state);
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
            jit?.End();
        }
    }
}
