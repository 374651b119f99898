using System.Globalization;
using MiniVm;

// The rules were compiled by MiniVm.Sdk during the build and copied beside this program at
// the same relative path (rules/price.expr -> rules/price.txtc). A module is loaded (and
// verified) once; an instance holds one run's globals, so run its top-level code first.
string rules = Path.Combine(AppContext.BaseDirectory, "rules");
MiniVmInstance pricing = Load("price.txtc");
MiniVmInstance shipping = Load("shipping.txtc");

var orders = new (string Item, double Unit, int Quantity, double WeightKg, bool Express)[]
{
    ("notebook", 2.50, 4, 0.8, false),
    ("pen", 0.90, 25, 0.4, false),
    ("desk lamp", 34.00, 1, 2.6, true),
    ("paper (box)", 18.75, 120, 30.0, false),
};

Console.WriteLine($"{"item",-12} {"qty",4} {"goods",9} {"shipping",9} {"total",9}");
foreach (var order in orders)
{
    double goods = pricing.Call("price", order.Unit, order.Quantity).AsNumber;
    double freight = shipping.Call("shipping", order.WeightKg, order.Express).AsNumber;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{order.Item,-12} {order.Quantity,4} {goods,9:F2} {freight,9:F2} {goods + freight,9:F2}"));
}

// A mistake in a rule (or bad input) is one exception type with the script's own stack trace.
try
{
    pricing.Call("price", "ten", 3);
}
catch (MiniVmRuntimeException error)
{
    Console.WriteLine();
    Console.WriteLine("a bad order is rejected with the script's error and MiniVm stack trace:");
    Console.Write(error.FormatReport());
}

MiniVmInstance Load(string file)
{
    var instance = MiniVmModule.Load(Path.Combine(rules, file)).CreateInstance();
    instance.Run();
    return instance;
}
