namespace Sluice.Grading.Training;

/// <summary>An L2-normalised sparse tf-idf row: sorted term indices and values.</summary>
internal readonly record struct SparseVector(int[] Indices, float[] Values);
