using System.Globalization;
using MiniVm;

// shapes/*.txtc come from the Shapes project (a project reference): MiniVm.Sdk compiled them
// there, and the build copied them here as it copies a referenced project's content.
var area = Load("area.txtc");
var perimeter = Load("perimeter.txtc");

var shapes = new (string Name, string Function, MiniVmValue[] Arguments)[]
{
    ("circle r=1", "circle", [1.0]),
    ("rectangle 3x4", "rectangle", [3.0, 4.0]),
    ("triangle 3-4-5", "triangle", [3.0, 4.0, 5.0]),
};

Console.WriteLine($"{"shape",-16} {"area",10} {"perimeter",10}");
foreach (var (name, function, arguments) in shapes)
{
    double a = area.Call(function, arguments).AsNumber;
    double p = perimeter.Call(function, arguments).AsNumber;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-16} {a,10:F4} {p,10:F4}"));
}

static MiniVmInstance Load(string file)
{
    var instance = MiniVmModule.Load(Path.Combine(AppContext.BaseDirectory, "shapes", file)).CreateInstance();
    instance.Run();
    return instance;
}
