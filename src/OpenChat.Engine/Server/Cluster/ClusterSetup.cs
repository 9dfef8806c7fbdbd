using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using OpenChat.Engine.Pki;
using OpenChat.Engine.Storage;
using OpenChat.Engine.Storage.Postgres;

namespace OpenChat.Engine.Server.Cluster;

/// <summary>
/// What <see cref="ChatServerOptions.Database"/> and <see cref="ChatServerOptions.Backplane"/>
/// turn a server into: a node whose stores are the shared PostgreSQL database, whose node list is
/// the database's, and whose bus reaches the other nodes (through NATS, or through the database
/// alone). Without a database nothing here applies and the server is the embedded one it always was.
/// </summary>
internal static class ClusterSetup
{
    /// <summary>Where the database records which CA it belongs to: the SHA-256 of the CA certificate.</summary>
    public const string CaFingerprintSetting = "deployment.ca-sha256";

    /// <summary>Checks the settings and points the options' stores at the database (the one
    /// given, else the one the data directory names).</summary>
    public static void Apply(ChatServerOptions options, string dataDirectory)
    {
        options.Database ??= DeploymentDatabase.Read(dataDirectory);
        if (options.Backplane is { } backplane)
        {
            if (options.Database is null)
            {
                throw new OpenChatException(ErrorIds.InvalidClusterSettings, ErrorKind.InvalidArgument,
                    "A backplane (-Backplane) connects nodes that share one database; name the database too (-Database).");
            }

            if (!Uri.TryCreate(backplane, UriKind.Absolute, out var url) || url.Scheme is not ("nats" or "tls"))
            {
                throw new OpenChatException(ErrorIds.InvalidClusterSettings, ErrorKind.InvalidArgument,
                    $"'{TerminalText.Neutralise(backplane)}' is not a NATS URL; give one like nats://127.0.0.1:4222.");
            }
        }

        if (options.Database is not { } database)
        {
            return;
        }

        try
        {
            _ = new Npgsql.NpgsqlConnectionStringBuilder(database);
        }
        catch (ArgumentException e)
        {
            throw new OpenChatException(ErrorIds.InvalidClusterSettings, ErrorKind.InvalidArgument,
                $"The database connection string is not valid: {e.Message}", e);
        }

        var logs = options.LoggerFactory;
        options.CaStoreFactory = new PostgresCaStoreFactory(database, options.Time, logs.CreateLogger<PostgresCaStoreFactory>());
        options.MessageStoreFactory = _ => new PostgresMessageStore(database, options.Time, logs.CreateLogger<PostgresMessageStore>());
        options.FileStoreFactory = _ => new PostgresFileStore(database, options.Time, logs.CreateLogger<PostgresFileStore>());
    }

    /// <summary>The node list of a node with a database (the database's), or of one alone.</summary>
    public static INodeRegistry Registry(ChatServerOptions options) => options.Database is { } database
        ? new PostgresNodeRegistry(database, options.Time, options.LoggerFactory.CreateLogger<PostgresNodeRegistry>())
        : new LocalNodeRegistry();

    /// <summary>Refuses a data directory whose CA is not the database's: a database that has a CA
    /// is never given a second one, and a node started from another CA's directory would issue
    /// certificates nobody else trusts. Records the CA in a database that has none recorded yet.</summary>
    public static void CheckCa(ChatServerOptions options, CaDirectory directory)
    {
        if (options.Database is not { } database)
        {
            return;
        }

        var mine = Convert.ToHexString(directory.Fingerprint);
        var recorded = directory.Store.GetSetting(CaFingerprintSetting);
        if (recorded is null)
        {
            directory.Store.SetSetting(CaFingerprintSetting, mine);
        }
        else if (!string.Equals(recorded, mine, StringComparison.OrdinalIgnoreCase))
        {
            throw new OpenChatException(ErrorIds.CaAlreadyExists, ErrorKind.InvalidOperation,
                $"The database belongs to another CA (SHA-256 {recorded[..16]}…) than the one in '{directory.Path}' ({mine[..16]}…). Start every node from a copy of the first node's data directory.");
        }

        // Only a directory whose CA is the database's names it.
        DeploymentDatabase.Record(directory.Path, database);
    }

    /// <summary>Before a CA is created for a bare data directory: a database that already holds one
    /// means this node was meant to join it, from a copy of the first node's directory.</summary>
    public static void RefuseSecondCa(ChatServerOptions options, CaDirectory directory)
    {
        if (options.Database is null || File.Exists(directory.CertificatePath) || File.Exists(directory.KeyPath))
        {
            return;
        }

        if (directory.StoreFactory.Exists(directory.Path))
        {
            throw new OpenChatException(ErrorIds.CaNotFound, ErrorKind.NotFound,
                $"The database already holds this deployment's CA, but '{directory.Path}' has no copy of it. Start a further node from a copy of the first node's data directory (ca.crt.pem, ca.key.pem, server.crt.pem, server.key.pem).");
        }
    }

    /// <summary>Before a server certificate is made for a node's directory: on a database another
    /// node already serves, a new one would come with a new key, which invites do not pin and from
    /// which no other node derives the bus key (the nodes would refuse each other's bus messages,
    /// and say so only as refused messages).</summary>
    public static void RefuseNewServerKey(ChatServerOptions options, CaDirectory directory)
    {
        if (options.Database is null || !File.Exists(directory.CertificatePath)
            || (File.Exists(directory.ServerCertificatePath) && File.Exists(directory.ServerKeyPath)))
        {
            return;
        }

        // Only for this database's own CA: another CA's directory is refused by CheckCa, by name.
        if (directory.StoreFactory.Exists(directory.Path) && directory.Store.GetSetting(CaFingerprintSetting) is { } recorded
            && string.Equals(recorded, Convert.ToHexString(directory.Fingerprint), StringComparison.OrdinalIgnoreCase))
        {
            throw new OpenChatException(ErrorIds.InvalidClusterSettings, ErrorKind.InvalidOperation,
                $"'{directory.Path}' has the CA but not the server certificate and key that the other nodes of this database use. Copy {CaDirectory.ServerCertificateFile} and {CaDirectory.ServerKeyFile} from another node (or issue one for every node with New-ChatCertificate -Server and copy it to each).");
        }
    }

    /// <summary>The name of the deployment on the bus: two deployments sharing one nats-server never mix.</summary>
    public static string ClusterId(CaDirectory directory) => Convert.ToHexString(directory.Fingerprint)[..16].ToLowerInvariant();

    /// <summary>The bus of a node with a database, or null for the embedded server. Its messages are
    /// authenticated with a key from <paramref name="serverCertificate"/>'s private key, which every
    /// node of the deployment shares.</summary>
    public static ClusterRoomEventBus? Bus(ChatServerOptions options, CaDirectory directory, IMessageStore store, string nodeId,
        System.Security.Cryptography.X509Certificates.X509Certificate2 serverCertificate)
    {
        if (options.Database is null)
        {
            return null;
        }

        using var key = serverCertificate.GetECDsaPrivateKey()
            ?? throw new OpenChatException(ErrorIds.InvalidClusterSettings, ErrorKind.InvalidData,
                "The server certificate has no ECDSA private key, from which the nodes' bus key is derived.");
        var authenticator = BusAuthenticator.FromServerKey(key, ClusterId(directory));
        return new ClusterRoomEventBus(store, options.Backplane, ClusterId(directory), nodeId, authenticator, new ClusterBusOptions(), options.Time, options.LoggerFactory);
    }
}
