namespace Sluice.Grading.Integrity;

/// <summary>
/// Hashes the order models' string keys into a fixed number of weight slots, so the model file stores weights only
/// (the key strings were most of its size). FNV-1a over the UTF-16 code units with a final mix: stable across
/// processes and machines, unlike <see cref="string.GetHashCode()"/>, which is randomised per process.
/// </summary>
internal static class KeyHash
{
    /// <summary>Slot of <paramref name="key"/> among <paramref name="slots"/> (a power of two).</summary>
    public static int Slot(string key, int slots) => Slot(Hash(key), slots);

    /// <summary>Slot of a key hashed once by <see cref="Hash"/>, so models with different slot counts share the hashing.</summary>
    public static int Slot(uint hash, int slots) => (int)(hash & (uint)(slots - 1));

    public static uint Hash(string key)
    {
        var h = 2166136261u;
        foreach (var c in key)
        {
            h = (h ^ c) * 16777619u;
        }

        h ^= h >> 15;
        h *= 0x2c1b3c6du;
        h ^= h >> 12;
        return h;
    }
}
