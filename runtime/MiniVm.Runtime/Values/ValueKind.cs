namespace MiniVm.Values;

/// <summary>
/// The tag of a <see cref="Value"/>. None is 0 so that a zeroed slot (a fresh local) is none.
/// <see cref="Unassigned"/> marks a global whose <c>let</c> has not run; it never reaches a program.
/// </summary>
internal enum ValueKind : byte
{
    None = 0,
    Bool = 1,
    Int = 2,
    Float = 3,
    String = 4,
    Unassigned = 5,
}
