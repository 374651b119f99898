namespace MiniVm.Bytecode.Semantics;

/// <summary>
/// The language's integer arithmetic, in one place: the interpreter's slow paths and the
/// compiler's constant folder both call these, so a folded constant can never differ from
/// what the program would have computed. Each returns false where the language raises an
/// error (<see cref="ErrorMessages.IntegerOverflow"/> or <see cref="ErrorMessages.DivisionByZero"/>).
/// </summary>
public static class IntegerOps
{
    public static bool TryAdd(long a, long b, out long result)
    {
        result = unchecked(a + b);
        return ((a ^ result) & (b ^ result)) >= 0;
    }

    public static bool TrySubtract(long a, long b, out long result)
    {
        result = unchecked(a - b);
        return ((a ^ b) & (a ^ result)) >= 0;
    }

    public static bool TryMultiply(long a, long b, out long result)
    {
        long high = Math.BigMul(a, b, out long low);
        result = low;
        return high == (low >> 63);
    }

    public static bool TryNegate(long a, out long result)
    {
        result = unchecked(-a);
        return a != long.MinValue;
    }

    /// <summary>Truncating division; fails with <paramref name="overflow"/> false for <c>/ 0</c>,
    /// with it true for <c>MIN / -1</c>.</summary>
    public static bool TryDivide(long a, long b, out long result, out bool overflow)
    {
        overflow = false;
        result = 0;
        if (b == 0) return false;
        if (b == -1)
        {
            overflow = a == long.MinValue;
            result = unchecked(-a);
            return !overflow;
        }
        result = a / b;
        return true;
    }

    /// <summary>Remainder with the dividend's sign; fails only for <c>% 0</c>. <c>MIN % -1</c> is 0.</summary>
    public static bool TryModulo(long a, long b, out long result)
    {
        result = 0;
        if (b == 0) return false;
        result = b == -1 ? 0 : a % b;
        return true;
    }
}

/// <summary>Run-time error texts that more than one stage produces.</summary>
public static class ErrorMessages
{
    public const string IntegerOverflow = "integer overflow";
    public const string DivisionByZero = "division by zero";
}
