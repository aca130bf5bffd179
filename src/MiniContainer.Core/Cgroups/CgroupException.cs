namespace MiniContainer.Cgroups;

/// <summary>A cgroup operation the kernel refused, worded like Docker's errors: what failed, where, and what to do.</summary>
public sealed class CgroupException : Exception
{
    public CgroupException(string message, Exception? inner = null) : base(message, inner) { }
}
