namespace Sluice.Server.Http;

/// <summary>
/// Endpoint metadata of a HEAD twin (<c>MapGetAndHead</c>): the query its GET takes, filled in when the GET endpoint is
/// built, since the parameters are documented on the GET alone and the HEAD must take the same ones.
/// </summary>
internal sealed class QueryParameterNames
{
    /// <summary>The parameter names the GET declares (<see cref="DocumentedParameter"/> in the query).</summary>
    public IReadOnlyList<string> Names { get; private set; } = [];

    /// <summary>True when the GET carries <see cref="AnyQueryAccepted"/>.</summary>
    public bool AnyAccepted { get; private set; }

    /// <summary>Takes the query of the GET endpoint being built.</summary>
    public void CopyFrom(EndpointBuilder get)
    {
        var names = new List<string>();
        foreach (var m in get.Metadata)
        {
            if (m is DocumentedParameter { In: Microsoft.OpenApi.ParameterLocation.Query } p)
            {
                names.Add(p.Name);
            }

            AnyAccepted |= m is AnyQueryAccepted;
        }

        Names = names;
    }

    /// <summary>The query names an endpoint declares, in the order it declares them.</summary>
    public static IReadOnlyList<string> Of(EndpointMetadataCollection metadata)
    {
        var names = new List<string>();
        foreach (var p in metadata.GetOrderedMetadata<DocumentedParameter>())
        {
            if (p.In == Microsoft.OpenApi.ParameterLocation.Query)
            {
                names.Add(p.Name);
            }
        }

        return names;
    }
}
