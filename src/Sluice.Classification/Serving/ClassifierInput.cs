namespace Sluice.Classification.Serving;

/// <summary>A parsed classifier input.</summary>
internal sealed record ClassifierInput(string Text);
