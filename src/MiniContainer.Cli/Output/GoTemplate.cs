using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MiniContainer.Cli.Output;

/// <summary>A --format string that is not valid, or that fails on the data: docker prints "template parsing error: …".</summary>
internal sealed class TemplateException(string message) : Exception(message);

/// <summary>
/// The part of Go's text/template that docker's --format strings use, evaluated over JSON:
///   {{.State.ExitCode}} — fields, nested (a missing key prints "&lt;no value&gt;", like Go on a map);
///   {{json .Mounts}}, {{.Name | upper}}, {{join .Config.Cmd " "}}, {{index .Labels "k"}}, {{len .Mounts}};
///   {{if …}}…{{else}}…{{end}}, {{range …}}…{{end}}, {{with …}}…{{end}}, {{- trim -}} markers and literal text.
/// Values print as Go's fmt does: strings raw, arrays as "[a b]", objects as "map[k:v]", null as "&lt;nil&gt;".
/// </summary>
internal sealed class GoTemplate
{
    readonly List<Node> _nodes;

    GoTemplate(List<Node> nodes) => _nodes = nodes;

    public static GoTemplate Parse(string text)
    {
        var parser = new Parser(Lexer.Split(text));
        var nodes = parser.ParseList(out string? stop);
        if (stop is not null) throw new TemplateException($"template: :1: unexpected {{{{{stop}}}}}");
        return new GoTemplate(nodes);
    }

    public string Execute(object? data)
    {
        var sb = new StringBuilder();
        Render(_nodes, data, sb);
        return sb.ToString();
    }

    // ───────────── values ─────────────

    /// <summary>The value of a key that is not there: Go prints it as "&lt;no value&gt;".</summary>
    internal sealed class NoValue { public static readonly NoValue Instance = new(); }

    static readonly JsonWriterOptions JsonOut = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Go's fmt %v for our values.</summary>
    public static string Print(object? v) => v switch
    {
        null => "<nil>",
        NoValue => "<no value>",
        string s => s,
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString(CultureInfo.InvariantCulture),
        JsonValue jv => PrintJsonValue(jv),
        JsonArray a => "[" + string.Join(" ", a.Select(x => Print(x))) + "]",
        // Docker's sets (ExposedPorts, Volumes) are maps of empty structs, which Go prints as {}: map[80/tcp:{}].
        JsonObject o => "map[" + string.Join(" ", o.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => p.Key + ":" + (p.Value is JsonObject { Count: 0 } ? "{}" : Print(p.Value)))) + "]",
        IEnumerable<object?> list => "[" + string.Join(" ", list.Select(Print)) + "]",
        _ => v.ToString() ?? "",
    };

    static string PrintJsonValue(JsonValue v) => v.GetValueKind() switch
    {
        JsonValueKind.String => v.GetValue<string>(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => "<nil>",
        _ => v.ToJsonString(),   // numbers keep the daemon's digits: 536870912, not 5.36870912e+08
    };

    /// <summary>The json function: compact JSON without HTML escaping, as docker's template "json" prints.</summary>
    public static string ToJson(object? v)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, JsonOut)) WriteJson(w, v);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    static void WriteJson(Utf8JsonWriter w, object? v)
    {
        switch (v)
        {
            case null or NoValue: w.WriteNullValue(); break;
            case JsonNode n: n.WriteTo(w); break;
            case string s: w.WriteStringValue(s); break;
            case bool b: w.WriteBooleanValue(b); break;
            case long l: w.WriteNumberValue(l); break;
            case int i: w.WriteNumberValue(i); break;
            case double d: w.WriteNumberValue(d); break;
            case IEnumerable<object?> list:
                w.WriteStartArray();
                foreach (var x in list) WriteJson(w, x);
                w.WriteEndArray();
                break;
            default: w.WriteStringValue(v.ToString()); break;
        }
    }

    /// <summary>Go's truth: false, 0, nil, "" and empty collections are false.</summary>
    static bool Truthy(object? v) => v switch
    {
        null or NoValue => false,
        bool b => b,
        string s => s.Length > 0,
        long l => l != 0,
        int i => i != 0,
        double d => d != 0,
        JsonValue jv => jv.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.String => jv.GetValue<string>().Length > 0,
            JsonValueKind.Number => jv.ToJsonString() is not ("0" or "0.0"),
            _ => false,
        },
        JsonArray a => a.Count > 0,
        JsonObject o => o.Count > 0,
        IEnumerable<object?> list => list.Any(),
        _ => true,
    };

    static string? AsString(object? v) => v switch
    {
        string s => s,
        JsonValue jv when jv.GetValueKind() == JsonValueKind.String => jv.GetValue<string>(),
        _ => null,
    };

    static IEnumerable<object?>? AsList(object? v) => v switch
    {
        JsonArray a => a,
        JsonObject o => o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (object?)p.Value),
        IEnumerable<object?> list => list,
        _ => null,
    };

    // ───────────── evaluation ─────────────

    void Render(List<Node> nodes, object? dot, StringBuilder sb)
    {
        foreach (var node in nodes)
        {
            switch (node)
            {
                case TextNode t: sb.Append(t.Text); break;
                case ActionNode a: sb.Append(Print(Eval(a.Pipeline, dot))); break;
                case IfNode i:
                    Render(Truthy(Eval(i.Pipeline, dot)) ? i.Then : i.Else, dot, sb);
                    break;
                case WithNode w:
                    var val = Eval(w.Pipeline, dot);
                    if (Truthy(val)) Render(w.Then, val, sb); else Render(w.Else, dot, sb);
                    break;
                case RangeNode r:
                    var items = AsList(Eval(r.Pipeline, dot))?.ToList();
                    if (items is null || items.Count == 0) Render(r.Else, dot, sb);
                    else foreach (var item in items) Render(r.Body, item, sb);
                    break;
            }
        }
    }

    static object? Eval(Pipeline p, object? dot)
    {
        object? piped = null;
        bool hasPiped = false;
        foreach (var cmd in p.Commands)
        {
            piped = EvalCommand(cmd, dot, hasPiped, piped);
            hasPiped = true;
        }
        return piped;
    }

    static object? EvalCommand(List<Operand> cmd, object? dot, bool hasPiped, object? piped)
    {
        if (cmd[0] is FuncOperand f)
        {
            var args = cmd.Skip(1).Select(o => EvalOperand(o, dot)).ToList();
            if (hasPiped) args.Add(piped);
            return Call(f.Name, args);
        }
        if (cmd.Count > 1 || hasPiped) throw new TemplateException("template: can't give argument to non-function " + Describe(cmd[0]));
        return EvalOperand(cmd[0], dot);
    }

    static object? EvalOperand(Operand o, object? dot) => o switch
    {
        LiteralOperand l => l.Value,
        FieldOperand f => Field(dot, f.Path),
        ParenOperand p => Field(Eval(p.Pipeline, dot), p.Path),
        FuncOperand f => Call(f.Name, []),
        _ => null,
    };

    static object? Field(object? v, string[] path)
    {
        foreach (string name in path)
        {
            switch (v)
            {
                case JsonObject o:
                    if (o.TryGetPropertyValue(name, out var child)) { v = child; break; }
                    // Docker evaluates typed Go structs first (.ID) and then the raw JSON (.Id): accept either spelling.
                    var match = o.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase));
                    v = match.Key is null ? NoValue.Instance : match.Value;
                    break;
                case null or NoValue:
                    return NoValue.Instance;
                default:
                    throw new TemplateException($"template: can't evaluate field {name} in type {GoType(v)}");
            }
        }
        return v;
    }

    static string GoType(object? v) => v switch
    {
        string => "string",
        JsonValue jv => jv.GetValueKind() switch { JsonValueKind.String => "string", JsonValueKind.Number => "float64", _ => "bool" },
        JsonArray or IEnumerable<object?> => "[]interface {}",
        _ => "interface {}",
    };

    static string Describe(Operand o) => o switch
    {
        FieldOperand f => "." + string.Join(".", f.Path),
        LiteralOperand l => Print(l.Value),
        _ => "value",
    };

    static object? Call(string name, List<object?> args)
    {
        object? Arg(int i) => i < args.Count ? args[i] : throw new TemplateException($"template: wrong number of args for {name}: want {i + 1} got {args.Count}");
        string Str(int i) => AsString(Arg(i)) ?? Print(Arg(i));

        switch (name)
        {
            case "json": return ToJson(Arg(0));
            case "upper": return Str(0).ToUpperInvariant();
            case "lower": return Str(0).ToLowerInvariant();
            case "title":
                return string.Join(" ", Str(0).Split(' ').Select(w => w.Length == 0 ? w : char.ToUpperInvariant(w[0]) + w[1..]));
            case "join":
                return string.Join(Str(1), (AsList(Arg(0)) ?? throw new TemplateException("template: join: not a list")).Select(x => AsString(x) ?? Print(x)));
            case "split": return Str(0).Split(Str(1)).Select(s => (object?)s).ToList();
            case "len":
                return (long)(Arg(0) switch
                {
                    JsonArray a => a.Count,
                    JsonObject o => o.Count,
                    IEnumerable<object?> l => l.Count(),
                    var x => AsString(x)?.Length ?? throw new TemplateException("template: len of " + GoType(x)),
                });
            case "index":
            {
                object? v = Arg(0);
                for (int i = 1; i < args.Count; i++)
                {
                    v = v switch
                    {
                        JsonObject o => o.TryGetPropertyValue(Str(i), out var c) ? c : NoValue.Instance,
                        JsonArray a => int.TryParse(Str(i), out int n) && n >= 0 && n < a.Count ? a[n] : throw new TemplateException($"template: index out of range: {Str(i)}"),
                        _ => throw new TemplateException("template: can't index item of type " + GoType(v)),
                    };
                }
                return v;
            }
            case "truncate":
            {
                string s = Str(0);
                int n = int.TryParse(Str(1), out int k) ? k : 0;
                return s.Length > n ? s[..n] : s;
            }
            case "pad": return new string(' ', int.Parse(Str(1), CultureInfo.InvariantCulture)) + Str(0) + new string(' ', int.Parse(Str(2), CultureInfo.InvariantCulture));
            case "print": return string.Concat(args.Select(Print));
            case "println": return string.Join(" ", args.Select(Print)) + "\n";
            case "printf": return Printf(Str(0), args.Skip(1).ToList());
            case "not": return !Truthy(Arg(0));
            case "and": return args.All(Truthy);
            case "or": return args.Any(Truthy);
            case "eq": return args.Skip(1).Any(a => Print(Arg(0)) == Print(a));
            case "ne": return Print(Arg(0)) != Print(Arg(1));
            default: throw new TemplateException($"template: :1: function \"{name}\" not defined");
        }
    }

    /// <summary>printf with the verbs people use in --format: %s %v %d %q %%.</summary>
    static string Printf(string format, List<object?> args)
    {
        var sb = new StringBuilder();
        int next = 0;
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 == format.Length) { sb.Append(format[i]); continue; }
            char verb = format[++i];
            if (verb == '%') { sb.Append('%'); continue; }
            object? a = next < args.Count ? args[next++] : null;
            sb.Append(verb == 'q' ? GoStrings.Quote(AsString(a) ?? Print(a)) : AsString(a) ?? Print(a));
        }
        return sb.ToString();
    }

    // ───────────── syntax tree ─────────────

    abstract record Node;
    sealed record TextNode(string Text) : Node;
    sealed record ActionNode(Pipeline Pipeline) : Node;
    sealed record IfNode(Pipeline Pipeline, List<Node> Then, List<Node> Else) : Node;
    sealed record WithNode(Pipeline Pipeline, List<Node> Then, List<Node> Else) : Node;
    sealed record RangeNode(Pipeline Pipeline, List<Node> Body, List<Node> Else) : Node;
    sealed record Pipeline(List<List<Operand>> Commands);

    abstract record Operand;
    sealed record FieldOperand(string[] Path) : Operand;
    sealed record LiteralOperand(object? Value) : Operand;
    sealed record FuncOperand(string Name) : Operand;
    sealed record ParenOperand(Pipeline Pipeline, string[] Path) : Operand;

    /// <summary>A piece of the template: literal text, or the inside of one {{ }} action.</summary>
    readonly record struct Piece(bool IsAction, string Text);

    static class Lexer
    {
        public static List<Piece> Split(string text)
        {
            var pieces = new List<Piece>();
            int pos = 0;
            bool trimNextText = false;
            while (pos < text.Length)
            {
                int open = text.IndexOf("{{", pos, StringComparison.Ordinal);
                string literal = open < 0 ? text[pos..] : text[pos..open];
                if (trimNextText) literal = literal.TrimStart();
                trimNextText = false;
                if (open < 0) { pieces.Add(new(false, literal)); break; }

                int start = open + 2;
                if (start + 1 < text.Length && text[start] == '-' && char.IsWhiteSpace(text[start + 1]))
                {
                    literal = literal.TrimEnd();
                    start++;
                }
                pieces.Add(new(false, literal));

                int close = FindClose(text, start);
                if (close < 0) throw new TemplateException("template: :1: unclosed action");
                int end = close;
                if (end - 1 >= start && text[end - 1] == '-' && end - 2 >= start && char.IsWhiteSpace(text[end - 2]))
                {
                    trimNextText = true;
                    end--;
                }
                string inner = text[start..end].Trim();
                if (!(inner.StartsWith("/*", StringComparison.Ordinal) && inner.EndsWith("*/", StringComparison.Ordinal)))
                    pieces.Add(new(true, inner));
                pos = close + 2;
            }
            return pieces;
        }

        static int FindClose(string text, int from)
        {
            char quote = '\0';
            for (int i = from; i < text.Length; i++)
            {
                char c = text[i];
                if (quote != '\0')
                {
                    if (c == '\\' && quote == '"') i++;
                    else if (c == quote) quote = '\0';
                }
                else if (c is '"' or '`') quote = c;
                else if (c == '}' && i + 1 < text.Length && text[i + 1] == '}') return i;
            }
            return -1;
        }
    }

    sealed class Parser(List<Piece> pieces)
    {
        int _pos;

        /// <summary>Parses nodes until end of input or a closing keyword ("end", "else", "else if …"), returned in <paramref name="stop"/>.</summary>
        public List<Node> ParseList(out string? stop)
        {
            var nodes = new List<Node>();
            while (_pos < pieces.Count)
            {
                var piece = pieces[_pos++];
                if (!piece.IsAction) { if (piece.Text.Length > 0) nodes.Add(new TextNode(piece.Text)); continue; }

                string t = piece.Text;
                if (t == "end" || t == "else" || t.StartsWith("else ", StringComparison.Ordinal)) { stop = t; return nodes; }
                if (Keyword(t, "if") is { } ifExpr) nodes.Add(ParseIf(ifExpr));
                else if (Keyword(t, "range") is { } rangeExpr)
                {
                    var body = ParseList(out string? s);
                    var elseNodes = s == "else" ? ParseBlockEnd() : Expect(s, "end");
                    nodes.Add(new RangeNode(ParsePipeline(rangeExpr), body, elseNodes));
                }
                else if (Keyword(t, "with") is { } withExpr)
                {
                    var body = ParseList(out string? s);
                    var elseNodes = s == "else" ? ParseBlockEnd() : Expect(s, "end");
                    nodes.Add(new WithNode(ParsePipeline(withExpr), body, elseNodes));
                }
                else nodes.Add(new ActionNode(ParsePipeline(t)));
            }
            stop = null;
            return nodes;
        }

        IfNode ParseIf(string expr)
        {
            var then = ParseList(out string? s);
            List<Node> elseNodes;
            if (s == "else") elseNodes = ParseBlockEnd();
            else if (s is not null && Keyword(s, "else if") is { } elseIf) elseNodes = [ParseIf(elseIf)];
            else elseNodes = Expect(s, "end");
            return new IfNode(ParsePipeline(expr), then, elseNodes);
        }

        List<Node> ParseBlockEnd()
        {
            var nodes = ParseList(out string? s);
            Expect(s, "end");
            return nodes;
        }

        static List<Node> Expect(string? got, string want)
            => got == want ? [] : throw new TemplateException($"template: :1: unexpected {(got is null ? "EOF" : "{{" + got + "}}")}, expected {{{{{want}}}}}");

        static string? Keyword(string action, string keyword)
            => action.StartsWith(keyword + " ", StringComparison.Ordinal) ? action[(keyword.Length + 1)..].Trim() : null;
    }

    // ───────────── pipelines: `.A.B | upper`, `json .X`, `index .Labels "k"` ─────────────

    static Pipeline ParsePipeline(string text)
    {
        var tokens = Tokenize(text);
        int pos = 0;
        var p = ParsePipelineTokens(tokens, ref pos);
        if (pos != tokens.Count) throw new TemplateException($"template: :1: unexpected \"{tokens[pos]}\" in command");
        return p;
    }

    static Pipeline ParsePipelineTokens(List<string> tokens, ref int pos)
    {
        var commands = new List<List<Operand>>();
        var current = new List<Operand>();
        while (pos < tokens.Count && tokens[pos] != ")")
        {
            string tok = tokens[pos++];
            if (tok == "|")
            {
                if (current.Count == 0) throw new TemplateException("template: :1: missing command before |");
                commands.Add(current);
                current = [];
                continue;
            }
            if (tok == "(")
            {
                var inner = ParsePipelineTokens(tokens, ref pos);
                if (pos >= tokens.Count || tokens[pos] != ")") throw new TemplateException("template: :1: unclosed left paren");
                pos++;
                string[] path = [];
                if (pos < tokens.Count && tokens[pos].StartsWith('.') && tokens[pos].Length > 1) path = FieldPath(tokens[pos++]);
                current.Add(new ParenOperand(inner, path));
                continue;
            }
            current.Add(ParseOperand(tok));
        }
        if (current.Count == 0) throw new TemplateException("template: :1: missing value for command");
        commands.Add(current);
        return new Pipeline(commands);
    }

    static Operand ParseOperand(string tok)
    {
        if (tok == ".") return new FieldOperand([]);
        if (tok[0] == '.') return new FieldOperand(FieldPath(tok));
        if (tok[0] == '"') return new LiteralOperand(Unquote(tok));
        if (tok[0] == '`') return new LiteralOperand(tok[1..^1]);
        if (tok is "true" or "false") return new LiteralOperand(tok == "true");
        if (tok == "nil") return new LiteralOperand(null);
        if (long.TryParse(tok, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)) return new LiteralOperand(l);
        if (double.TryParse(tok, NumberStyles.Float, CultureInfo.InvariantCulture, out double d)) return new LiteralOperand(d);
        if (tok[0] == '$') throw new TemplateException($"template: :1: variables are not supported: {tok}");
        return new FuncOperand(tok);
    }

    static string[] FieldPath(string tok) => tok[1..].Split('.');

    static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c is '|' or '(' or ')') { tokens.Add(c.ToString()); i++; continue; }
            int start = i;
            if (c is '"' or '`')
            {
                i++;
                while (i < text.Length && text[i] != c) { if (c == '"' && text[i] == '\\') i++; i++; }
                if (i >= text.Length) throw new TemplateException("template: :1: unterminated quoted string");
                i++;
            }
            else
            {
                while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not ('|' or '(' or ')')) i++;
            }
            tokens.Add(text[start..i]);
        }
        return tokens;
    }

    static string Unquote(string quoted)
    {
        var sb = new StringBuilder();
        for (int i = 1; i < quoted.Length - 1; i++)
        {
            char c = quoted[i];
            if (c != '\\') { sb.Append(c); continue; }
            char e = quoted[++i];
            sb.Append(e switch { 'n' => '\n', 't' => '\t', 'r' => '\r', '0' => '\0', _ => e });
        }
        return sb.ToString();
    }
}
