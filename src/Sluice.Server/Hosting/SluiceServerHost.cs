using Microsoft.Extensions.Options;

namespace Sluice.Server.Hosting;

/// <summary>Builds and runs the server; used by <c>Program</c> and by <c>./sluice serve</c>.</summary>
public static class SluiceServerHost
{
    /// <param name="args">Command line (configuration) arguments.</param>
    /// <param name="configureServices">Runs after the Sluice registrations, so it may replace one (tests swap a store or a queue).</param>
    public static WebApplication Build(string[] args, Action<IServiceCollection>? configureServices = null)
    {
        RaiseThreadPoolFloor();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.AddSluiceServer();
        configureServices?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapSluice();
        return app;
    }

    /// <summary>
    /// Model steps are CPU-bound and block a pool thread (plus the pool threads their Parallel.For borrows) for
    /// their whole duration. With the default floor of one thread per core, a 2-core server then has no thread
    /// left for HTTP and SSE writes until the pool's slow starvation injection adds one (seconds of added
    /// latency). A floor of 16 threads per core removes that stall; threads are only created when needed.
    /// </summary>
    private static void RaiseThreadPoolFloor()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        var floor = Environment.ProcessorCount * 16;
        if (workers < floor)
        {
            ThreadPool.SetMinThreads(floor, io);
        }
    }

    /// <summary>
    /// The server process's entry point (the container image and <c>./sluice dev</c> run Sluice.Server.dll): a
    /// failed start (port taken, a setting out of range, a role without its URLs) is one <c>error:</c> line on
    /// stderr and exit code 1, as with <c>./sluice serve</c>, not an unhandled exception (SIGABRT, stack trace
    /// logged twice). <c>SLUICE_DEBUG=1</c> adds the stack trace.
    /// </summary>
    public static async Task<int> MainAsync(string[] args, TextWriter error)
    {
        try
        {
            // The host would log the failure again with its stack trace; given first, so a Logging setting on
            // the command line still wins.
            return await RunAsync(["--Logging:LogLevel:Microsoft.Extensions.Hosting.Internal.Host=None", .. args], CancellationToken.None).ConfigureAwait(false);
        }
        catch (ServerStartException ex)
        {
            await error.WriteLineAsync("error: " + ex.Message).ConfigureAwait(false);
            if (Environment.GetEnvironmentVariable("SLUICE_DEBUG") == "1")
            {
                await error.WriteLineAsync(ex.ToString()).ConfigureAwait(false);
            }

            return 1;
        }
    }

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        WebApplication app;
        try
        {
            app = Build(args);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new ServerStartException(ex);
        }

        await using (app.ConfigureAwait(false))
        {
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw new ServerStartException(ex);
            }

            using var interrupts = new InterruptHandler(app.Services.GetRequiredService<ILogger<InterruptHandler>>(),
                app.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout, code => ExitAtOnce(app, code));
            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        }

        return 0;
    }

    /// <summary>A second Ctrl+C: the console logger writes from a queue, so it is flushed before the process ends.</summary>
    private static void ExitAtOnce(WebApplication app, int code)
    {
        app.Services.GetRequiredService<ILoggerFactory>().Dispose();
        Environment.Exit(code);
    }
}
