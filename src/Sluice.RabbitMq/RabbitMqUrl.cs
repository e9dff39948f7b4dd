namespace Sluice.RabbitMq;

/// <summary>Turns <c>rabbitmq://user:pass@host:port/vhost</c> into the AMQP URI the client understands.</summary>
internal static class RabbitMqUrl
{
    public static Uri ToAmqp(string url)
    {
        var u = new Uri(url);
        if (u.Scheme is not ("rabbitmq" or "amqp" or "amqps"))
        {
            throw new FormatException("Sluice:Queue:Url must be rabbitmq://user:pass@host:5672/vhost");
        }

        var b = new UriBuilder(u) { Scheme = u.Scheme == "amqps" ? "amqps" : "amqp", Port = u.IsDefaultPort || u.Port <= 0 ? 5672 : u.Port };
        return b.Uri;
    }

    /// <summary>The URL without its password, for logs.</summary>
    public static string Redact(string url)
    {
        var u = new Uri(url);
        return $"{u.Scheme}://{u.UserInfo.Split(':')[0]}@{u.Host}:{u.Port}{u.AbsolutePath}";
    }
}
