@{
    Synopsis    = 'Marks a contact verified after comparing safety numbers with them.'
    Description = @'
Records that you have compared the safety number of a contact (see Get-ChatContact) with that person, out of band, and that it matched. The contact's Trust becomes Verified, ChangedAt is cleared, and Receive-ChatMessage shows the contact's messages with SenderTrust Verified.

Verification covers the device keys pinned at this moment. If a key of the contact that was not pinned appears later (a new device, a re-enrollment, or a key substituted by someone in the middle), Trust goes back to Changed, Receive-ChatMessage warns again, and the safety number changes: compare the new number and run Confirm-ChatContact again.

Compare first, then confirm. Running this command without comparing defeats its purpose: it would accept a substituted key. The command's ConfirmImpact is High, so by default it asks, and the question shows the safety number; scripts that have compared by other means pass -Confirm:$false.

The contact must have been seen by this device (they share a room or a direct conversation with you and have published their keys there); otherwise the command fails with UserNotFound. Names are exact (case-insensitive), not wildcards. Each name is handled on its own: a failure is a non-terminating error and the other names are still confirmed.

The change is saved in contacts.json in the profile, so it applies to every later session of this identity on this device (not to the user's other devices, which keep their own contacts). The command uses -Session if given, otherwise the newest open session; with no session it fails with NotConnected.
'@
    Parameters  = @{
        UserName = 'The user name of the contact to mark verified. Exact name, compared case-insensitively. Accepts pipeline input by property name, for example from Get-ChatContact.'
        PassThru = 'Returns the contact after the change. By default the command writes no output.'
        Session  = 'The session whose profile holds the contacts, as returned by Connect-ChatRoom. The default is the newest open session. Accepts pipeline input by property name.'
    }
    Inputs      = @(
        @{ Type = 'OpenChat.ChatContact'; Description = 'Contacts from Get-ChatContact; their UserName binds to -UserName.' }
        @{ Type = 'System.Management.Automation.PSObject'; Description = 'Any object with a UserName property, bound by property name.' }
    )
    Outputs     = @(
        @{ Type = 'None'; Description = 'By default this cmdlet writes no output.' }
        @{ Type = 'OpenChat.ChatContact'; Description = 'With -PassThru, the contact with Trust Verified and its current SafetyNumber.' }
    )
    Notes       = @'
There is no command to mark a contact unverified again; a key change does it by itself.

Error ids: UserNotFound, SafetyNumberChanged (the devices changed after the number was shown: nothing was confirmed), NotConnected.
'@
    Examples    = @(
        @{
            Title   = 'Confirm a colleague after comparing numbers on a call'
            Code    = @'
Get-ChatContact bob | Format-List SafetyNumber
Confirm-ChatContact bob -Confirm
'@
            Remarks = 'Shows the safety number to read out to Bob; once it matches what he sees for you, -Confirm shows the number once more and asks before marking him verified.'
        }
        @{
            Title   = 'Re-verify a contact whose keys changed'
            Code    = @'
Get-ChatContact carol | Format-List Trust, ChangedAt, Devices, SafetyNumber
# Carol confirms on the phone that she enrolled a new laptop and reads her number: it matches.
Confirm-ChatContact carol -PassThru
'@
            Remarks = 'Carol''s Trust was Changed because a new device key appeared. After comparing the new safety number, confirming makes her Verified again; -PassThru shows the result.'
        }
        @{
            Title   = 'Preview which number would be accepted'
            Code    = 'Get-ChatContact | Where-Object Trust -ne Verified | Confirm-ChatContact -WhatIf'
            Remarks = 'Prints a "What if" line with the safety number of each contact not yet verified, and changes nothing. Confirm them one by one, each after comparing.'
        }
    )
    Links       = @('Get-ChatContact', 'Receive-ChatMessage', 'about_OpenChat')
}
