using System.Text.Json;
using System.Text.Json.Serialization;
using MiniContainer.Containers;

namespace MiniContainer.Api;

/// <summary>
/// Docker's JSON, generated at compile time (the daemon is Native AOT: no reflection-based serializer).
/// PascalCase names exactly as the properties are declared, nulls written (Docker writes "Cmd": null),
/// times in Docker's format. Every type the API writes, and config.v2.json, is listed here; a type that
/// is missing fails to compile where it is written, not at run time.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = false, Converters = [typeof(DockerTimeConverter)])]
[JsonSerializable(typeof(ContainerRecord))]
[JsonSerializable(typeof(ContainerCreateResponse))]
[JsonSerializable(typeof(ContainerUpdateResponse))]
[JsonSerializable(typeof(ContainerStatsSample))]
[JsonSerializable(typeof(IdResponse))]
[JsonSerializable(typeof(List<ContainerSummary>))]
[JsonSerializable(typeof(ContainerTopResponse))]
[JsonSerializable(typeof(ExecInspect))]
[JsonSerializable(typeof(List<ImageSummary>))]
[JsonSerializable(typeof(ImageInspect))]
[JsonSerializable(typeof(VersionResponse))]
[JsonSerializable(typeof(SystemInfo))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(List<Change>))]
[JsonSerializable(typeof(MiniContainer.Volumes.Volume))]
[JsonSerializable(typeof(VolumeListResponse))]
[JsonSerializable(typeof(VolumePruneResponse))]
[JsonSerializable(typeof(ContainerPruneResponse))]
[JsonSerializable(typeof(MiniContainer.Networking.NetworkState))]
[JsonSerializable(typeof(MiniContainer.Networking.NetworkInspect))]
[JsonSerializable(typeof(List<MiniContainer.Networking.NetworkInspect>))]
[JsonSerializable(typeof(MiniContainer.Networking.NetworkCreateResponse))]
[JsonSerializable(typeof(MiniContainer.Networking.NetworkPruneResponse))]
// The object-typed slots (Mounts, Ports, Networks, ExposedPorts, Volumes) stay empty until volumes and
// networks exist; whatever a stored config.v2.json has there is read back, and written again, as JsonElement.
[JsonSerializable(typeof(JsonElement))]
public sealed partial class DaemonJson : JsonSerializerContext;

/// <summary>Times as Docker writes them: RFC 3339 in UTC with nanoseconds, "2026-11-23T12:53:34.107573900Z".</summary>
public sealed class DockerTimeConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type type, JsonSerializerOptions options) =>
        DateTimeOffset.Parse(reader.GetString()!, System.Globalization.CultureInfo.InvariantCulture);
    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(ContainerState.Format(value));
}
