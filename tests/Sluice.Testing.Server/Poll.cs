using Xunit;

namespace Sluice.Testing.Server;

/// <summary>Waiting for an observable state instead of sleeping through it: robust on a slow, loaded machine.</summary>
public static class Poll
{
    /// <summary>
    /// Polls <paramref name="condition"/> every 20 ms until it holds; fails with <paramref name="describe"/> (what was
    /// seen) once <paramref name="patience"/> (default a minute) has passed.
    /// </summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, Func<string> describe, TimeSpan? patience = null)
    {
        var until = DateTime.UtcNow + (patience ?? TimeSpan.FromSeconds(60));
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, describe());
            await Task.Delay(20);
        }
    }
}
