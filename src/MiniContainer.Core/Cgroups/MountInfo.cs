namespace MiniContainer.Cgroups;

/// <summary>One line of /proc/self/mountinfo (see proc(5)): "36 35 98:0 /root /mnt opts [tags…] - fstype source superopts".
/// MountOptions are the per-mount flags (ro, nosuid, nodev, noexec, relatime…); SuperOptions are the file system's own
/// (for overlay: lowerdir=…,upperdir=…,workdir=…); Tags are the optional fields: "shared:N" (a member of peer group N),
/// "master:N" (a slave of N), ….</summary>
public sealed record MountInfoEntry(string Root, string MountPoint, string FsType, string Source, string[] SuperOptions,
    string[] MountOptions, string[] Tags);

public static class MountInfo
{
    public static List<MountInfoEntry> Parse(string text)
    {
        var entries = new List<MountInfoEntry>();
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] f = line.Split(' ');
            int dash = Array.IndexOf(f, "-", 6);  // optional fields end at a lone "-"
            if (f.Length < 7 || dash < 0 || dash + 3 > f.Length) continue;
            entries.Add(new MountInfoEntry(
                Root: Unescape(f[3]),
                MountPoint: Unescape(f[4]),
                FsType: f[dash + 1],
                Source: Unescape(f[dash + 2]),
                SuperOptions: dash + 3 < f.Length ? SplitOptions(f[dash + 3]) : [],
                MountOptions: f[5].Split(','),
                Tags: f[6..dash]));
        }
        return entries;
    }

    /// <summary>Splits "a,b=x,y" at commas, unescaping each (overlay's lowerdir=A:B holds paths with \NNN escapes).</summary>
    private static string[] SplitOptions(string s) => s.Split(',').Select(Unescape).ToArray();

    /// <summary>The kernel writes space, tab, newline and backslash in paths as \040 \011 \012 \134.</summary>
    public static string Unescape(string s)
    {
        if (!s.Contains('\\')) return s;
        var sb = new System.Text.StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && IsOctal(s, i + 1))
            {
                sb.Append((char)Convert.ToInt32(s.Substring(i + 1, 3), 8));
                i += 3;
            }
            else sb.Append(s[i]);
        }
        return sb.ToString();
    }

    private static bool IsOctal(string s, int at) =>
        at + 3 <= s.Length && s[at] is >= '0' and <= '7' && s[at + 1] is >= '0' and <= '7' && s[at + 2] is >= '0' and <= '7';
}
