namespace MiniContainer;

/// <summary>The daemon's readable log lines: "12:00:01.234 INFO  container 1a2b3c started (pid 1234)".</summary>
public static class Log
{
    public static bool Debug { get; set; }
    private static readonly object Gate = new();

    public static void Info(string message) => Write("INFO ", message);
    public static void Warn(string message) => Write("WARN ", message);
    public static void Error(string message) => Write("ERROR", message);
    public static void Trace(string message) { if (Debug) Write("DEBUG", message); }

    private static void Write(string level, string message)
    {
        lock (Gate) Console.Error.WriteLine($"{DateTime.Now:HH:mm:ss.fff} {level} {message}");
    }
}
