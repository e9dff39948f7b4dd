using BenchmarkDotNet.Attributes;
using Sluice.Grading;

namespace Sluice.Benchmarks.Grading;

/// <summary>
/// Grading one made-up 350-word prompt-1 letter per operation on one thread: the full path (spelling with suggestions,
/// grammar, structure, integrity checks including the order detector, scoring, feedback). Essays/s = 1 / mean time.
/// The essay is written here, not taken from ../shared, so nothing from the data set is committed.
/// </summary>
[MemoryDiagnoser]
public class GradeEssayBenchmarks
{
    private const string Essay =
        "Dear Local Newspaper,\n\n" +
        "I believe that computers have a positive effect on people, and I think most of your readers would agree if they looked at how " +
        "they use them every day. Computers help us learn, they let us talk with friends and family who live far away, and they teach " +
        "skills that we will need for jobs in the future. Some people worry that we spend too much time in front of a screen, but I " +
        "think the benefits are much bigger than the problems.\n\n" +
        "First, computers help students learn about the world. When my class studied volcanoes last year, I was able to find maps, videos " +
        "and articles that were not in our textbook. My little brother uses a typing program that makes him practice spelling, and his " +
        "grades have gone up alot since he started. Without a computer we would have to go to the library for every question, and the " +
        "library is not open at night when most of us do our homework.\n\n" +
        "Second, computers let people stay in touch. My grandmother lives in another state, and every sunday we talk to her on a video " +
        "call. She can see how tall we are getting and we can show her our projects. Before we had the computer she only saw us once a " +
        "year. People who move for work or school can keep their friendships alive the same way.\n\n" +
        "Another reason is that computers teach skills for the future. Almost every job today uses a computer for something, from " +
        "doctors who keep records to mechanics who find problems in cars. Kids who learn to type, search and make presentations now will " +
        "be ready when they start working. Some even learn to write programs and make there own games.\n\n" +
        "Of course, people should not sit at the computer all day. They still need to exercise, go outside and spend time with their " +
        "family. Parents can set limits so that children balance screen time with other activities.\n\n" +
        "In conclusion, computers have a positive effect on people because they help us learn, keep us connected and prepare us for " +
        "the future. I hope your readers will agree with me. Thank you for reading my letter.\n\n" +
        "Sincerely, a student";

    private EssayGrader? _grader;
    private EssayRequest? _request;

    [GlobalSetup]
    public void Setup()
    {
        // Loading the dictionaries, the symmetric-delete index and the embedded model takes about a second: not measured.
        _grader = GraderFactory.Create();
        _request = new EssayRequest(Essay, 1);
        _grader.Grade(_request);
    }

    /// <summary>The holistic score, returned so the work cannot be optimised away.</summary>
    [Benchmark]
    public int GradeOneEssay() => _grader!.Grade(_request!).Score.Score ?? -1;
}
