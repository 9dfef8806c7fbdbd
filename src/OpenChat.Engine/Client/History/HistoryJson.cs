using System.Text.Json.Serialization;

namespace OpenChat.Engine.Client.History;

/// <summary>
/// The one serialization of a history record: the whole <see cref="SecureMessage"/> (room and
/// sender included), which is then sealed. Every public property of SecureMessage is written, so a
/// later field (an attachment, say) is stored by adding it to SecureMessage; if its type is
/// polymorphic or not reachable from SecureMessage's own properties, the one line to add is its
/// <c>[JsonSerializable(typeof(...))]</c> here. Readers ignore fields they do not know, so an
/// older version still reads records a newer one wrote.
/// </summary>
[JsonSerializable(typeof(SecureMessage))]
internal sealed partial class HistoryJson : JsonSerializerContext;
