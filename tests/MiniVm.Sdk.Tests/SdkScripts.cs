namespace MiniVm.Sdk.Tests;

/// <summary>Scripts the end-to-end tests build.</summary>
internal static class SdkScripts
{
    public const string Main = """
        fn greet(who) { return "hello, " + who; }
        print(greet("sdk"));
        12 * 48 + 59
        """;

    public const string Price = """
        # pricing rule
        fn price(unit, qty) { return unit * qty; }
        print("price loaded");
        """;
}
