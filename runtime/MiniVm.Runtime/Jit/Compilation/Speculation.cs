using MiniVm.Interpreter;
using MiniVm.Jit.Profiling;

namespace MiniVm.Jit.Compilation;

/// <summary>Which way a conditional jump is bet to go.</summary>
internal enum BranchBet : byte
{
    /// <summary>No bet: both ways are compiled.</summary>
    Both,
    /// <summary>The jump was never taken: its target is not compiled from here, a guard stands in for it.</summary>
    NeverJumps,
    /// <summary>The jump was always taken: the fall-through is not compiled from here.</summary>
    AlwaysJumps,
}

/// <summary>
/// The bets an optimizing compile makes, from a <see cref="FunctionProfile"/>: the kinds each
/// parameter, call result and global load will have, and the direction of each conditional jump
/// that only ever went one way. <see cref="KindAnalysis"/> takes them as facts past their guards
/// (so every check they make redundant disappears, and branches never seen are not compiled), and
/// <see cref="FunctionCompiler"/> places the guards that deoptimize when a bet fails. Both ask the
/// same questions with the same arguments, so they agree on every bet.
/// </summary>
internal sealed class Speculation(FunctionProfile profile, FunctionCode code)
{
    /// <summary>The kinds parameter <paramref name="parameter"/> is bet to have (<see cref="KindSet.Any"/>: no bet).</summary>
    public KindSet Parameter(int parameter) => Bet(profile.ParameterKinds(parameter), KindSet.Any);

    /// <summary>The kinds instruction <paramref name="instruction"/> (a call, a global load) is bet to
    /// produce, given the kinds the analysis proved it can produce (<paramref name="proven"/>, returned when there is no bet).</summary>
    public KindSet Value(int instruction, KindSet proven) => Bet(profile.ValueKinds(instruction), proven);

    /// <summary>The bet on conditional jump <paramref name="instruction"/>: one way only if it was
    /// seen going only that way. Never that a loop's back-edge is always taken: its other way is
    /// the loop's exit, which a loop hot enough to be compiled while running has simply not
    /// reached yet, and which costs nothing to compile.</summary>
    public BranchBet Branch(int instruction)
    {
        int taken = profile.Taken(instruction), notTaken = profile.NotTaken(instruction);
        if (taken == 0 && notTaken > 0) return BranchBet.NeverJumps;
        if (notTaken == 0 && taken > 0 && code.Code[instruction].Arg > 0) return BranchBet.AlwaysJumps;
        return BranchBet.Both;
    }

    /// <summary>Whether call <paramref name="instruction"/> may be compiled inline: not if an inline
    /// body there has left its fast path before (the call then stays a call).</summary>
    public bool MayInline(int instruction) => !profile.InlineFailed(instruction);

    /// <summary>What was seen, where it is narrower than what is proven; never a bet the proof
    /// contradicts (a stale profile), never a bet on nothing seen.</summary>
    private static KindSet Bet(byte seen, KindSet proven)
    {
        var narrowed = (KindSet)seen & proven;
        return narrowed == KindSet.Empty ? proven : narrowed;
    }
}
