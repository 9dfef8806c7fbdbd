namespace OpenChat.Engine.Storage;

/// <summary>
/// Where a CA's store lives and how it is made, opened and set aside: the seam through which
/// <see cref="Pki.CaDirectory"/>, <see cref="Pki.CertificateAuthority"/> and the server reach the
/// store without knowing the database behind it. The data directory names the CA; a store that
/// is not a file there (a database server) keys on it instead.
/// </summary>
public interface ICaStoreFactory
{
    /// <summary>What OpenChat uses when nobody names another store: SQLite in the data directory.</summary>
    static ICaStoreFactory Default => SqliteCaStoreFactory.Instance;

    /// <summary>True when the CA of <paramref name="dataDirectory"/> has a store (complete or not).</summary>
    bool Exists(string dataDirectory);

    /// <summary>Creates the empty store of a new CA, at the current schema version.</summary>
    ICaStore Create(string dataDirectory);

    /// <summary>Opens an existing store, bringing an older schema up to the current one; fails with
    /// <see cref="ErrorIds.CaNotFound"/> when there is none.</summary>
    ICaStore Open(string dataDirectory);

    /// <summary>Moves the store out of the way into <paramref name="archiveDirectory"/> (a CA being
    /// replaced is kept, never destroyed), first letting go of anything that holds it open.</summary>
    void Archive(string dataDirectory, string archiveDirectory);
}
