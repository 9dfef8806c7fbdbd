using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using OpenChat.Engine;
using OpenChat.Engine.Server.Configuration;

namespace OpenChat.Cmdlets.Server;

/// <summary>Reads a configuration file for Start-ChatServer: a PowerShell data file (.psd1) the way
/// Import-PowerShellDataFile does, so no code in it runs, or JSON (the engine parses that). The
/// engine validates the keys either way.</summary>
internal static class ConfigurationFileReader
{
    public static ServerConfiguration Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new OpenChatException(ErrorIds.ConfigurationInvalid, ErrorKind.NotFound, $"The configuration file '{path}' does not exist.");
        }

        return System.IO.Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".json" => ServerConfiguration.FromJsonFile(path),
            ".psd1" => ServerConfiguration.FromValues(ReadDataFile(path), path),
            _ => throw new OpenChatException(ErrorIds.ConfigurationInvalid, ErrorKind.InvalidArgument,
                $"The configuration file '{path}' must be a PowerShell data file (.psd1) or JSON (.json)."),
        };
    }

    private static List<KeyValuePair<string, object?>> ReadDataFile(string path)
    {
        var ast = Parser.ParseFile(path, out _, out var errors);
        if (errors.Length > 0)
        {
            throw Invalid(path, $"is not a valid PowerShell data file: {errors[0].Message} (line {errors[0].Extent.StartLineNumber})");
        }

        // One hashtable and nothing else, as Import-PowerShellDataFile wants.
        if (ast.EndBlock?.Statements is not [PipelineAst { PipelineElements: [CommandExpressionAst { Expression: HashtableAst table }] }]
            || ast.BeginBlock is not null || ast.ProcessBlock is not null || ast.ParamBlock is not null)
        {
            throw Invalid(path, "must hold one hashtable of keys (@{ Port = 7443; ... }) and nothing else");
        }

        object? value;
        try
        {
            // SafeGetValue evaluates constants only (no commands, no variables but $true, $false, $null).
            value = table.SafeGetValue();
        }
        catch (InvalidOperationException e)
        {
            throw Invalid(path, $"holds something other than plain values ({e.Message})");
        }

        var values = new List<KeyValuePair<string, object?>>();
        foreach (DictionaryEntry entry in (Hashtable)value)
        {
            values.Add(KeyValuePair.Create(entry.Key.ToString() ?? "", Plain(entry.Value)));
        }

        return values;
    }

    private static object? Plain(object? value) => value is PSObject wrapped ? wrapped.BaseObject : value;

    private static OpenChatException Invalid(string path, string problem) =>
        new(ErrorIds.ConfigurationInvalid, ErrorKind.InvalidArgument, $"The configuration file '{path}' {problem}.");
}
