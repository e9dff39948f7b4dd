using Sluice.Server.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddSluiceServer();
var app = builder.Build();
app.MapSluice();
app.Run();

/// <summary>Entry point; partial so WebApplicationFactory&lt;Program&gt; can host it in tests.</summary>
public partial class Program;
