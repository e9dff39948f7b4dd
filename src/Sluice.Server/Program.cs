using Sluice.Server.Hosting;

return await SluiceServerHost.MainAsync(args, Console.Error);

/// <summary>Entry point; partial so WebApplicationFactory&lt;Program&gt; can host it in tests.</summary>
public partial class Program;
