namespace Sluice.Core.Events;

/// <summary>
/// A hub's log of one job that subscriptions are added to. Each subscription knows its log, so a hub unsubscribes them
/// all with one delegate instead of a closure per subscriber.
/// </summary>
internal interface ISubscriberList
{
    /// <summary>Takes <paramref name="subscription"/> out; false when it was not in.</summary>
    bool Remove(JobEventSubscription subscription);
}
