namespace MiniContainer.Containers;

/// <summary>Random names like Docker's "adjective_surname", from a list of people who shaped computing.</summary>
public static class NameGenerator
{
    private static readonly string[] Adjectives =
    {
        "admiring", "bold", "brave", "busy", "calm", "clever", "cool", "dazzling", "eager", "elegant", "festive",
        "focused", "gallant", "gifted", "happy", "hopeful", "jolly", "keen", "kind", "loving", "lucid", "modest",
        "nifty", "optimistic", "peaceful", "quirky", "relaxed", "serene", "sharp", "stoic", "tender", "trusting",
        "upbeat", "vibrant", "wizardly", "youthful", "zealous",
    };

    private static readonly string[] Surnames =
    {
        "allen", "babbage", "backus", "bartik", "hamilton", "hopper", "kernighan", "knuth", "lamport", "liskov",
        "lovelace", "mccarthy", "ritchie", "shannon", "thompson", "torvalds", "turing", "wilkes", "wozniak",
        "dijkstra", "hoare", "goldberg", "perlman", "sammet", "johnson", "cerf", "kahn", "engelbart", "stallman",
        "tanenbaum", "wirth", "cray", "neumann", "noether", "curie", "lamarr", "meitner",
    };

    public static string Next(Func<string, bool> taken)
    {
        for (int attempt = 0; ; attempt++)
        {
            string name = $"{Adjectives[Random.Shared.Next(Adjectives.Length)]}_{Surnames[Random.Shared.Next(Surnames.Length)]}";
            if (attempt > 10) name += Random.Shared.Next(10, 100);
            if (!taken(name)) return name;
        }
    }
}
