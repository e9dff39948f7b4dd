using Sluice.Grading.Data;
using Sluice.Grading.Text;

namespace Sluice.Grading.Training;

/// <summary>
/// An essay analysed once for training/evaluation: document, its anonymised view the scoring model reads
/// (<see cref="Features.ScoringView"/>), topic-free features and n-gram counts of that view.
/// </summary>
internal sealed record PreparedEssay(AsapEssay Essay, EssayDocument Doc, EssayDocument ScoringDoc, double[] Features, Dictionary<string, int> Ngrams);
