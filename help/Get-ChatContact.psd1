@{
    Synopsis    = 'Lists the people whose keys this device has seen, with the safety number to compare with each of them.'
    Description = @'
End-to-end encryption protects a conversation only if the keys used are really those of the people in it. OpenChat checks that every key is certified by the CA pinned in the profile, and on top of that it pins each contact's keys the first time this device sees them (trust on first use) and shows a safety number that two people can compare to be sure that nobody, not even the server or the CA's administrator, has slipped in a key of their own.

A contact is recorded when this device first sees a signed key package of that user in a room or direct conversation they share. From then on, every device key of the contact that appears is compared with the pinned ones; a key not seen before (a new device, a new certificate after re-enrollment, or a key substituted by someone in the middle) sets Trust to Changed, and Receive-ChatMessage warns about the messages of that sender.

The safety number is 12 groups of 5 digits. It is computed from both users' names and device key fingerprints in a fixed order, so both people see the same number when they look each other up. Compare it out of band: read it aloud in person or on a call you trust, or compare it side by side; never by a chat message, which is what the comparison is meant to check. If it matches, mark the contact verified with Confirm-ChatContact.

Trust is one of:
Unverified: keys pinned on first sight; nobody has compared safety numbers yet.
Verified: the numbers were compared and Confirm-ChatContact was run; nothing has changed since.
Changed: a key of the contact that was not pinned has appeared since (ChangedAt says when). Compare the safety number again before trusting what they send.

A device that renews its certificate with the same key changes nothing here. A device that moves to a new key with a handover signed by its previous key (Update-ChatIdentity -NewKey) keeps its trust: its pinned fingerprint is replaced by the new one, KeyRenewedAt says when, ReplacedFingerprints lists the keys replaced, and rooms you share show the notice "<user> renewed its key". The safety number changes with the key, so compare it again when it matters. A new key without a handover is a change, as above.

The contacts are kept in contacts.json in the profile directory (owner-only); it holds user names and public key fingerprints, no secrets. The command reads them locally and does not contact the server. It uses -Session if given, otherwise the newest open session; with no session it fails with NotConnected.
'@
    Parameters  = @{
        UserName = 'Returns only the contacts whose user names match this pattern. Wildcards are supported; names are compared case-insensitively. A name that matches nobody returns nothing. Alias: Sender, so messages from Receive-ChatMessage can be piped in. Accepts pipeline input by property name.'
        Session  = 'The session whose profile holds the contacts, as returned by Connect-ChatRoom. The default is the newest open session. Accepts pipeline input by property name.'
    }
    Inputs      = @(
        @{ Type = 'OpenChat.ChatMessage'; Description = 'Messages from Receive-ChatMessage; their Sender binds to -UserName.' }
        @{ Type = 'System.Management.Automation.PSObject'; Description = 'Any object with a UserName or Sender property, bound to -UserName by property name.' }
    )
    Outputs     = @(
        @{ Type = 'OpenChat.ChatContact'; Description = 'One object per contact: UserName, Trust (Unverified, Verified or Changed), SafetyNumber, Devices (how many device keys are pinned), Fingerprints (the SHA-256 of each device''s certificate public key, in hexadecimal), FirstSeen, ChangedAt, KeyRenewedAt (when a device last moved to a new key with a handover, its trust kept) and ReplacedFingerprints (the keys such moves replaced).' }
    )
    Notes       = @'
The number covers every device key of both users that has been published in rooms you share (your own devices included), so both sides compute the same number when they have seen the same devices. Keys are never unpinned. When either of you adds a device or re-enrolls, the numbers change: compare again once both sides have seen the new device.

Your own user is not listed.

Error ids: NotConnected.
'@
    Examples    = @(
        @{
            Title   = 'Show the safety number to compare with a colleague'
            Code    = 'Get-ChatContact bob | Format-List UserName, Trust, SafetyNumber'
            Remarks = 'Shows something like "50135 35718 33324 94899 58633 48798 51999 50341 04837 84304 27843 19729". Bob runs Get-ChatContact alice on his machine and sees the same twelve groups; read them to each other on the phone, then run Confirm-ChatContact bob.'
        }
        @{
            Title   = 'Find contacts whose keys changed'
            Code    = 'Get-ChatContact | Where-Object Trust -eq Changed | Format-Table UserName, Devices, ChangedAt'
            Remarks = 'Lists everyone with a key that appeared after their keys were pinned or verified, and when. Ask each of them whether they really enrolled a new device before confirming.'
        }
        @{
            Title   = 'Look up the senders of the messages just read'
            Code    = 'Receive-ChatMessage -Room ops | Select-Object -Unique Sender | Get-ChatContact'
            Remarks = 'Each Sender binds to -UserName through its alias, so this shows the trust and safety number of everyone who wrote in ops.'
        }
    )
    Links       = @('Confirm-ChatContact', 'Receive-ChatMessage', 'about_OpenChat')
}
