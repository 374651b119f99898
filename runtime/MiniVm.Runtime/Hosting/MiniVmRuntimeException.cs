using System.Globalization;
using System.Text;

namespace MiniVm;

/// <summary>One line of a MiniVm stack trace: a function (or <c>&lt;module&gt;</c>), its source file and line.</summary>
public sealed record MiniVmStackFrame(string Function, string SourceName, int Line)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"at {Function} ({SourceName}:{Line})");
}

/// <summary>
/// A run-time error of a MiniVm program (division by zero, a type error, the call depth limit…):
/// the one exception type a run raises. <see cref="Exception.Message"/> is the error's text;
/// <see cref="Trace"/> is the MiniVm stack, innermost frame first.
/// </summary>
public sealed class MiniVmRuntimeException : Exception
{
    /// <summary>Identical consecutive trace lines beyond this many are summarised, as Python does.</summary>
    private const int RepeatedLinesShown = 3;

    public MiniVmRuntimeException(string message, IReadOnlyList<MiniVmStackFrame> trace)
        : base(message)
    {
        Trace = trace;
    }

    public IReadOnlyList<MiniVmStackFrame> Trace { get; }

    /// <summary>
    /// The error as the tool prints it: <c>error: message</c>, then <c>  at f (file:line)</c> per
    /// frame. A run of identical lines (deep recursion) is cut to three and a count.
    /// </summary>
    public string FormatReport()
    {
        var sb = new StringBuilder();
        sb.Append("error: ").Append(Message).Append('\n');
        for (int i = 0; i < Trace.Count;)
        {
            int run = 1;
            while (i + run < Trace.Count && Trace[i + run] == Trace[i]) run++;
            int shown = Math.Min(run, RepeatedLinesShown);
            for (int k = 0; k < shown; k++) sb.Append("  ").Append(Trace[i]).Append('\n');
            if (run > shown)
                sb.Append(CultureInfo.InvariantCulture, $"  ... (the line above repeats {run - shown} more times)\n");
            i += run;
        }
        return sb.ToString();
    }

    public override string ToString() => FormatReport();
}
