using Sluice.Cli.Commands;

return await CliRunner.RunAsync(args);
