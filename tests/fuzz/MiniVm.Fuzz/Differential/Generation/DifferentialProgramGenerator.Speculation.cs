namespace MiniVm.Fuzz.Differential.Generation;

/// <summary>
/// Scenarios aimed at the optimizing tier. The tiered mode compiles a function once its calls
/// and loop iterations pass the threshold, betting on its profile: the kinds of its parameters,
/// call results and global loads, and branches that only ever went one way. So each scenario
/// first warms a site up with one kind or one direction for more iterations than the default
/// threshold (500), quietly, and then breaks the bet: a parameter, call result or global changes
/// kind (int → float → string, and back), a branch is taken for the first time, an int overflows.
/// The bet fails in compiled callees, inside recursion (compiled frames below and above), inside
/// hot loops (entered by on-stack replacement) with locals of every kind live, and in the middle
/// of deep expressions with the outer operands on the operand stack. Every scenario prints what it
/// computed, so a frame rebuilt wrongly shows.
/// <para>The scenarios are in the KindFlips, LateEvents and DeoptFrames parts; this part plans
/// them and writes their drivers. Each scenario writes its helper functions in the function section (<see cref="PlanScenarios"/>)
/// and returns the driver, written later in the top-level code (at the top level, in an
/// <c>if true</c> block, or in a function called once). Loops still end by construction: every
/// one counts to a literal bound, and the helpers have no loops of their own beyond three steps.
/// String operands stay short (literals, values of a few concatenations), so a scenario's strings
/// cannot grow with its iterations.</para>
/// </summary>
public sealed partial class DifferentialProgramGenerator
{
    /// <summary>A driver written later, in the top-level code.</summary>
    private delegate void Driver();

    /// <summary>Iterations of a warm-up: past the default threshold of the tiered mode (500), so every
    /// tiered mode compiles with a profile before the bet fails.</summary>
    private int WarmUp() => _random.Next(600, 2400);

    /// <summary>Writes the helper functions of zero to three scenarios; returns their drivers.</summary>
    private List<Driver> PlanScenarios()
    {
        var drivers = new List<Driver>();
        int count = Chance(0.2) ? 0 : _random.Next(1, 4);
        double savedChaos = _chaos;
        _chaos = 0; // a type error in a helper would end the program in the first warm-up iteration
        for (int i = 0; i < count; i++)
        {
            drivers.Add(_random.Next(9) switch
            {
                0 => ParameterKindFlip(),
                1 => ResultKindFlip(),
                2 => GlobalKindFlip(),
                3 => LateBranch(),
                4 => OverflowAfterWarmUp(),
                5 => DeoptInRecursion(),
                6 => DeepExpressionDeopt(),
                7 => OsrLoopDeopt(),
                _ => NumericKindFlip(),
            });
        }
        _chaos = savedChaos;
        return drivers;
    }

    /// <summary>
    /// Writes a driver: at the top level, in an <c>if true</c> block, or in a function called once (its
    /// loops then run in that function's frame, still entered by on-stack replacement in the tiered
    /// mode). <paramref name="body"/> gets the name of an accumulator, an int 0 at the start, and
    /// writes the lines.
    /// </summary>
    private void WriteDriver(int id, Action<string> body)
    {
        string acc = $"acc{id}";
        int place = _random.Next(10);
        if (place < 4)
        {
            Line($"let {acc} = 0;");
            body(acc);
            return;
        }
        if (place < 6)
        {
            Line("if true {");
            _indent++;
            Line($"let {acc} = 0;");
            body(acc);
            _indent--;
            Line("}");
            return;
        }
        string drive = $"drive{id}";
        Line($"fn {drive}() {{");
        _indent++;
        Line($"let {acc} = 0;");
        body(acc);
        Line($"return {acc};");
        _indent--;
        Line("}");
        Line($"print(\"{drive}\", {drive}());");
    }

    /// <summary><c>while q &lt; n { q = q + 1; ... }</c>: a counter nothing else writes, stepped first.</summary>
    private void Counted(string counter, int bound, Action body)
    {
        Line($"let {counter} = 0;");
        Line($"while {counter} < {bound} {{");
        _indent++;
        Line($"{counter} = {counter} + 1;");
        body();
        _indent--;
        Line("}");
    }
}
