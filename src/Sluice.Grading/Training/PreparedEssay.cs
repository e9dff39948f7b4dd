using Sluice.Grading.Data;
using Sluice.Grading.Text;

namespace Sluice.Grading.Training;

/// <summary>An essay analysed once for training/evaluation: document, topic-free features and n-gram counts.</summary>
internal sealed record PreparedEssay(AsapEssay Essay, EssayDocument Doc, double[] Features, Dictionary<string, int> Ngrams);
