using Sluice.Cli.Commands;

return await CommandCatalog.CreateRoot().Parse(args).InvokeAsync();
