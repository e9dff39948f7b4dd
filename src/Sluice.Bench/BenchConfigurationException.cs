namespace Sluice.Bench;

/// <summary>A bench setting is invalid or would send traffic where it is not allowed.</summary>
internal sealed class BenchConfigurationException : Exception
{
    public BenchConfigurationException(string message)
        : base(message)
    {
    }

    public BenchConfigurationException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public BenchConfigurationException()
    {
    }
}
