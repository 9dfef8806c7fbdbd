using OpenChat.Engine.Pki;

namespace OpenChat.Tests.Unit.Support;

/// <summary>A throw-away CA in a temporary directory.</summary>
public sealed class Ca : IDisposable
{
    private readonly TempDirectory _temp = new();

    public Ca(TimeProvider? time = null, string password = "", CaKeyAlgorithm algorithm = CaKeyAlgorithm.P256)
    {
        Time = time ?? TimeProvider.System;
        Directory = CertificateAuthority.Create(_temp.Combine("data"), "Test CA", password, algorithm, time: Time);
        Authority = CertificateAuthority.Open(Directory, password, Time);
    }

    public TimeProvider Time { get; }

    public CaDirectory Directory { get; }

    public CertificateAuthority Authority { get; }

    public CertificateRegistry Registry => new(Directory, Time);

    public InviteBook Invites => new(Directory, Time);

    public void Dispose()
    {
        Authority.Dispose();
        _temp.Dispose();
    }
}
