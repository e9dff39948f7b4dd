using Sluice.Blog.Hosting;

return await BlogHost.MainAsync(args, Console.Error);
