namespace Sluice.RabbitMq;

/// <summary>Turns <c>rabbitmq://user:pass@host:port/vhost</c> into the AMQP URI the client understands.</summary>
internal static class RabbitMqUrl
{
    /// <summary>RabbitMQ's ports when the URL names none: AMQP, and AMQP over TLS.</summary>
    public const int AmqpPort = 5672, AmqpsPort = 5671;

    public static Uri ToAmqp(string url)
    {
        var u = new Uri(url);
        if (u.Scheme is not ("rabbitmq" or "amqp" or "amqps"))
        {
            throw new FormatException("Sluice:Queue:Url must be rabbitmq://user:pass@host:5672/vhost");
        }

        var b = new UriBuilder(u) { Scheme = u.Scheme == "amqps" ? "amqps" : "amqp", Port = PortOf(u) };
        return b.Uri;
    }

    /// <summary>The URL without its password, for logs.</summary>
    public static string Redact(string url)
    {
        var u = new Uri(url);
        return $"{u.Scheme}://{u.UserInfo.Split(':')[0]}@{u.Host}:{PortOf(u)}{u.AbsolutePath}";
    }

    // .NET knows no default port for these schemes (Port is -1 when none is written), so a TLS URL without one would
    // otherwise be sent to the plain AMQP port.
    private static int PortOf(Uri u) => u.IsDefaultPort || u.Port <= 0 ? (u.Scheme == "amqps" ? AmqpsPort : AmqpPort) : u.Port;
}
