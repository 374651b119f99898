using System.Globalization;
using System.Text;
using MiniVm.Bytecode.Model;
using MiniVm.Bytecode.Opcodes;
using MiniVm.Bytecode.Text;

namespace MiniVm.Bytecode.Disassembly;

/// <summary>
/// Prints a module the way <c>javap -c</c> and Python's <c>dis</c> do: per code block the
/// source line where it changes, <c>&gt;&gt;</c> at jump targets, the offset, the mnemonic, the
/// argument, and what the argument means in parentheses.
/// </summary>
public static class Disassembler
{
    public static string Disassemble(ModuleImage module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var sb = new StringBuilder();
        sb.Append("module ").Append(module.SourceName)
          .Append(module.IsSeedForm ? " (seed form)" : $" (format {File.TxtcFormat.FormatVersion})").Append('\n');
        sb.Append("globals: ").Append(module.Globals.Length == 0 ? "(none)" : string.Join(", ", module.Globals)).Append('\n');
        foreach (var code in module.AllCode())
        {
            sb.Append('\n');
            DisassembleCode(module, code, sb);
        }
        return sb.ToString();
    }

    private static void DisassembleCode(ModuleImage module, CodeObject code, StringBuilder sb)
    {
        if (code == module.TopLevel)
            sb.Append("<module>");
        else
            sb.Append("fn ").Append(code.Name).Append('(').Append(string.Join(", ", code.LocalNames.Take(code.ParamCount))).Append(')');
        sb.Append(CultureInfo.InvariantCulture, $"  # line {code.FirstLine}, {code.ParamCount} params, {code.LocalCount} locals, stack {code.MaxStack}\n");

        var instructions = Instruction.DecodeAll(code.Code);
        var targets = new HashSet<int>();
        foreach (var instruction in instructions)
            if (instruction.Info.Flow is FlowKind.Jump or FlowKind.ConditionalJump)
                targets.Add(instruction.JumpTarget);

        int lastLine = -1;
        foreach (var instruction in instructions)
        {
            int line = code.LineAt(instruction.Offset);
            string lineColumn = line != lastLine ? line.ToString(CultureInfo.InvariantCulture) : "";
            lastLine = line;
            string marker = targets.Contains(instruction.Offset) ? ">>" : "";
            sb.Append(CultureInfo.InvariantCulture, $"{lineColumn,5} {marker,2} {instruction.Offset,5} {instruction.Info.Name}");
            if (instruction.Info.HasArgument)
            {
                sb.Append(' ', Math.Max(1, 21 - instruction.Info.Name.Length));
                sb.Append(instruction.Arg.ToString(CultureInfo.InvariantCulture));
                string? meaning = Explain(module, code, instruction);
                if (meaning is not null) sb.Append(" (").Append(meaning).Append(')');
            }
            sb.Append('\n');
        }
    }

    /// <summary>What an argument means, in the words the source would use.</summary>
    public static string? Explain(ModuleImage module, CodeObject code, Instruction instruction)
    {
        int arg = instruction.Arg;
        return instruction.Info.Arg switch
        {
            ArgKind.Const => code.Constants[arg].ToDisplayString(FloatFormat.Format),
            ArgKind.Local => code.LocalNames[arg],
            ArgKind.Global => module.Globals[arg],
            ArgKind.Function => module.Functions[arg].Name,
            ArgKind.Builtin => $"{BuiltinInfo.ById(BuiltinInfo.DecodeCall(arg).Id)?.Name}, {BuiltinInfo.DecodeCall(arg).Argc} args",
            ArgKind.Compare => CompareSymbol((CompareKind)arg),
            ArgKind.BoolOperator => arg == (int)BoolOperator.And ? "and" : "or",
            ArgKind.JumpRelative => $"to {instruction.JumpTarget}",
            _ => null,
        };
    }

    public static string CompareSymbol(CompareKind kind) => kind switch
    {
        CompareKind.Less => "<",
        CompareKind.LessEqual => "<=",
        CompareKind.Equal => "==",
        CompareKind.NotEqual => "!=",
        CompareKind.Greater => ">",
        CompareKind.GreaterEqual => ">=",
        _ => "?",
    };
}
