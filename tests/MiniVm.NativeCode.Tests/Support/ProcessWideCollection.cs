namespace MiniVm.NativeCode.Tests.Support;

/// <summary>
/// Tests that measure the whole process (mapped memory, open descriptors, what is mapped at an
/// address that was just unmapped) run alone: other tests' heaps would move the numbers.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideCollection
{
    public const string Name = "Process-wide memory measurements";
}
