namespace Sluice.Blog.Observability;

/// <summary>The labels of a request's counter: the route's pattern (never the raw path, which would grow without bound), method, status.</summary>
internal readonly record struct RequestKey(string Route, string Method, int Status);
