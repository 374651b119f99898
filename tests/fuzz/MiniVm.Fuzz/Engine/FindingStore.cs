using System.Text;

namespace MiniVm.Fuzz.Engine;

/// <summary>
/// Saves a finding's input next to a text file that says what happened and how to reproduce
/// it: <c>loader-exception-seed42-input1234.txtc</c> and <c>.txt</c>; a minimised input, when
/// the harness made one, as <c>...-input1234-min.expr</c>, its note in the <c>.txt</c>.
/// </summary>
public static class FindingStore
{
    public static void Save(IFuzzHarness harness, ulong seed, Finding finding, FuzzInput input, string directory, MinimizedInput? minimized = null)
    {
        try
        {
            Directory.CreateDirectory(directory);
            string stem = Path.Combine(directory, $"{harness.Name}-{finding.Kind}-seed{seed}-input{finding.Index}");
            string inputPath = stem + harness.InputExtension;
            File.WriteAllBytes(inputPath, input.Data);
            string? minimizedPath = null;
            if (minimized is not null)
            {
                minimizedPath = stem + "-min" + harness.InputExtension;
                File.WriteAllBytes(minimizedPath, minimized.Data);
            }
            var text = new StringBuilder()
                .AppendLine($"harness:   {harness.Name}")
                .AppendLine($"kind:      {finding.Kind}")
                .AppendLine($"signature: {finding.Signature}")
                .AppendLine($"input:     seed {seed}, input {finding.Index}, generator {input.Generator}, {input.Data.Length} bytes")
                .AppendLine($"replay:    tests/fuzz/run {harness.Name} --replay {inputPath}")
                .AppendLine($"remake:    tests/fuzz/run {harness.Name} --seed {seed} --start {finding.Index} --count 1");
            if (minimizedPath is not null)
                text.AppendLine($"minimised: {minimizedPath} (replay: tests/fuzz/run {harness.Name} --replay {minimizedPath})");
            text.AppendLine().AppendLine(finding.Description);
            if (minimized is not null)
                text.AppendLine().AppendLine("----- minimised -----").AppendLine(minimized.Note);
            File.WriteAllText(stem + ".txt", text.ToString());
            finding.InputPath = inputPath;
            finding.MinimizedPath = minimizedPath;
        }
        catch (IOException)
        {
            // A finding must still be reported when the directory is not writable; the input can
            // be made again from the seed and number.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
