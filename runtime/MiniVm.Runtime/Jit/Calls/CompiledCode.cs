using System.Runtime.CompilerServices;
using MiniVm.Values;

namespace MiniVm.Jit.Calls;

/// <summary>
/// Managed code's one way into compiled code. A compiled entry has the signature
/// <c>long (Value* frame, JitContext* context)</c> in the platform's C convention (System V on
/// Linux x64): it runs the activation whose local 0 is at <c>frame</c>, leaves the result in
/// that slot, and returns 0, or 1 when a run-time error is pending in the run's state.
/// </summary>
internal static unsafe class CompiledCode
{
    /// <summary>Calls <paramref name="entry"/> on the frame at <paramref name="frame"/> (pinned stack memory).</summary>
    public static long Invoke(nint entry, ref Value frame, nint context) =>
        ((delegate* unmanaged<Value*, nint, long>)entry)((Value*)Unsafe.AsPointer(ref frame), context);

    /// <summary>The address of <paramref name="slot"/>, which lives in pinned memory.</summary>
    public static nint AddressOf(ref Value slot) => (nint)Unsafe.AsPointer(ref slot);
}
