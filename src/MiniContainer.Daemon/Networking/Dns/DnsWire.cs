namespace MiniContainer.Networking.Dns;

/// <summary>The record types this server reads or writes (RFC 1035 §3.2.2, RFC 3596 for AAAA, RFC 6891 for OPT).</summary>
public enum DnsType : ushort
{
    A = 1, NS = 2, CName = 5, Soa = 6, Ptr = 12, Mx = 15, Txt = 16, Aaaa = 28, Srv = 33, Opt = 41, Any = 255,
}

/// <summary>Response codes (RFC 1035 §4.1.1; BadVers is an EDNS extended code, RFC 6891 §9).</summary>
public enum DnsRcode
{
    NoError = 0, FormErr = 1, ServFail = 2, NXDomain = 3, NotImp = 4, Refused = 5, BadVers = 16,
}

public static class DnsClass
{
    public const ushort IN = 1;
    public const ushort Any = 255;
}

/// <summary>A message that breaks the wire format: the server drops it (or answers FORMERR when it can).</summary>
public sealed class DnsFormatException(string message) : Exception(message);
