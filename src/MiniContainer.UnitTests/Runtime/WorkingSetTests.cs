using MiniContainer.Shim;
using Xunit;

namespace MiniContainer.UnitTests.Runtime;

public class WorkingSetTests
{
    private static string Vma(string range, string perms, string path, int anonymousKb) =>
        $"{range} {perms} 00000000 fe:00 5308739                    {path}\nSize:                 40 kB\nRss:                  40 kB\n" +
        $"Anonymous:          {anonymousKb} kB\nVmFlags: rd mr mw me dw\n";

    [Fact]
    public void Only_read_only_file_mappings_without_copied_pages_are_released()
    {
        string smaps =
            Vma("5610549b5000-561054c4e000", "r-xp", "/work/artifacts/bin/minicontainer-shim", 0) +      // code: released
            Vma("561054c4e000-561054d95000", "r--p", "/work/artifacts/bin/minicontainer-shim", 0) +      // constants: released
            Vma("561054e79000-561054e7b000", "r--p", "/work/artifacts/bin/minicontainer-shim", 8) +      // RELRO, relocated: kept
            Vma("561054e7b000-561054e88000", "rw-p", "/work/artifacts/bin/minicontainer-shim", 36) +     // data: kept
            Vma("561054e88000-561054fd1000", "rw-p", "", 1292) +                                         // anonymous: kept
            Vma("7f1a79e20000-7f1a79f76000", "r-xp", "/usr/lib/x86_64-linux-gnu/libc.so.6", 0) +         // libc's code: released
            Vma("7ffd61ff6000-7ffd61ff8000", "r-xp", "[vdso]", 0) +                                      // the kernel's: kept
            Vma("7f1a7a0c9000-7f1a7a0ca000", "r--s", "/dev/shm/x", 0);                                   // shared: kept
        var released = WorkingSet.Parse(smaps.Split('\n'));
        Assert.Equal(new[]
        {
            new WorkingSet.Mapping(0x5610549b5000, 0x561054c4e000),
            new WorkingSet.Mapping(0x561054c4e000, 0x561054d95000),
            new WorkingSet.Mapping(0x7f1a79e20000, 0x7f1a79f76000),
        }, released);
    }
}
