namespace Sluice.Grading.Features;

/// <summary>Flesch reading ease and Flesch–Kincaid grade level.</summary>
internal static class Readability
{
    public static double FleschKincaidGrade(int words, int sentences, double syllablesPerWord) =>
        words == 0 ? 0 : (0.39 * words / Math.Max(1, sentences)) + (11.8 * syllablesPerWord) - 15.59;

    public static double FleschReadingEase(int words, int sentences, double syllablesPerWord) =>
        words == 0 ? 0 : 206.835 - (1.015 * words / Math.Max(1, sentences)) - (84.6 * syllablesPerWord);
}
