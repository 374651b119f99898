namespace MiniVm.Interpreter;

/// <summary>
/// What a host can stop a run with, in every tier alike: a budget of steps (MiniVm calls plus
/// loop back-edges taken, the points where a program can keep running without end) and a
/// <see cref="CancellationToken"/>. Each tier decrements one counter per step (the interpreter
/// <see cref="ExecutionState.StepsLeft"/>, compiled code a register it writes back at every exit)
/// and calls <see cref="Renew"/> when it goes below zero, which checks the token and the budget and grants
/// the next steps. The budget is exact, so a run stops at the same step, with the same output and
/// trace, whatever the tier; the token is polled every <see cref="PollInterval"/> steps.
/// </summary>
internal sealed class StepBudget
{
    /// <summary>Steps between two looks at the token (about a millisecond of compiled loop).</summary>
    public const long PollInterval = 1 << 20;

    private readonly long? _maxSteps;
    private readonly CancellationToken _cancellation;
    private long _notGranted;

    public StepBudget(long? maxSteps, CancellationToken cancellation)
    {
        _maxSteps = maxSteps;
        _cancellation = cancellation;
    }

    /// <summary>Whether nothing can stop a run (no budget, no token that can be cancelled): the
    /// counter then starts at a value no run reaches.</summary>
    public bool Unlimited => _maxSteps is null && !_cancellation.CanBeCanceled;

    /// <summary>Grants the first steps of a run: <paramref name="stepsLeft"/> is the counter, the
    /// steps left before the next call to <see cref="Renew"/>.</summary>
    public void Start(out long stepsLeft)
    {
        _notGranted = _maxSteps ?? long.MaxValue;
        stepsLeft = Unlimited ? long.MaxValue : Grant();
    }

    /// <summary>
    /// A step found the counter used up (the counter went below zero). Returns null and
    /// grants more steps (this one taken from them), or the run-time error message when the
    /// budget is spent; throws <see cref="OperationCanceledException"/> when the token is cancelled.
    /// </summary>
    public string? Renew(ref long stepsLeft)
    {
        _cancellation.ThrowIfCancellationRequested();
        if (_notGranted == 0) return $"execution budget exhausted ({_maxSteps} steps)";
        stepsLeft = Grant() - 1;
        return null;
    }

    /// <summary>
    /// Takes <paramref name="steps"/> steps ahead of time (compiled code reserving a loop's next
    /// inlined call with its back-edge), granting more first if the counter has fewer: true. False,
    /// with nothing taken, when the budget cannot cover them (then the steps are taken one by one,
    /// and the one that finds the budget spent fails the run at its own place). Throws
    /// <see cref="OperationCanceledException"/> when the token is cancelled.
    /// </summary>
    public bool TryReserve(ref long stepsLeft, int steps)
    {
        _cancellation.ThrowIfCancellationRequested();
        while (stepsLeft < steps)
        {
            if (_notGranted == 0) return false;
            stepsLeft += Grant();
        }
        stepsLeft -= steps;
        return true;
    }

    private long Grant()
    {
        long grant = Math.Min(_notGranted, _cancellation.CanBeCanceled ? PollInterval : long.MaxValue);
        _notGranted -= grant;
        return grant;
    }
}
