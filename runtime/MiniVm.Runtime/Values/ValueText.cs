using System.Globalization;
using MiniVm.Bytecode.Text;

namespace MiniVm.Values;

/// <summary>The text <c>print</c> and <c>str</c> produce for a value (docs/language.md, "Printing values").</summary>
internal static class ValueText
{
    public static string Format(Value value, StringHeap strings) => value.Kind switch
    {
        ValueKind.None => "none",
        ValueKind.Bool => value.AsBool ? "true" : "false",
        ValueKind.Int => value.AsInt.ToString(CultureInfo.InvariantCulture),
        ValueKind.Float => FloatFormat.Format(value.AsFloat),
        ValueKind.String => strings.Get(value.AsHandle),
        _ => "<unassigned>",
    };
}
