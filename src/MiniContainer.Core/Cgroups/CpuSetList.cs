using System.Globalization;

namespace MiniContainer.Cgroups;

/// <summary>
/// The list syntax of cpuset.cpus and cpuset.mems, which --cpuset-cpus and --cpuset-mems take as is: comma-separated
/// numbers and inclusive ranges, "0-2,4". The kernel parses it too, but only when written; parsing it here lets a bad
/// value be refused with Docker's words before a container exists.
/// </summary>
public static class CpuSetList
{
    /// <summary>The numbers in <paramref name="list"/>; throws ArgumentException for anything the kernel would refuse to parse.</summary>
    public static SortedSet<int> Parse(string list)
    {
        var result = new SortedSet<int>();
        if (string.IsNullOrWhiteSpace(list)) return result;
        foreach (string part in list.Trim().Split(','))
        {
            string[] bounds = part.Split('-');
            if (bounds.Length > 2 || !bounds.All(IsNumber)) throw new ArgumentException($"invalid format: {list}");
            int low = int.Parse(bounds[0], CultureInfo.InvariantCulture);
            int high = bounds.Length == 2 ? int.Parse(bounds[1], CultureInfo.InvariantCulture) : low;
            if (high < low) throw new ArgumentException($"invalid range format: {part}");
            for (int i = low; i <= high; i++) result.Add(i);
        }
        return result;
    }

    private static bool IsNumber(string s) => s.Length is > 0 and < 6 && s.All(char.IsAsciiDigit);

    /// <summary>Does <paramref name="requested"/> ask only for members of <paramref name="available"/> (a cpuset.cpus/mems text)?</summary>
    public static bool IsSubset(string requested, string available) => Parse(requested).IsSubsetOf(Parse(available));
}
