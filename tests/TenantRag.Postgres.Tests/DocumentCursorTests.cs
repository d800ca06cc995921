using TenantRag.Postgres.Documents;
using TenantRag.Postgres.Installation;

namespace TenantRag.Postgres.Tests;

/// <summary>The sealed cursor of document lists: only a cursor the installation made opens, and it shows nothing of its position.</summary>
public sealed class DocumentCursorTests
{
    private static readonly Secrets Installation = NewSecrets("one");
    private static readonly DateTimeOffset When = new DateTimeOffset(2026, 5, 20, 12, 34, 56, TimeSpan.Zero).AddTicks(1230);

    [Fact]
    public void Open_ACursorItMade_GivesThePositionBack()
    {
        var id = Guid.NewGuid();
        var cursors = DocumentCursor.For(Installation);

        var cursor = cursors.Seal(When, id);

        Assert.Equal((When, id), cursors.Open(cursor));
        Assert.Equal((When, id), DocumentCursor.For(Installation).Open(cursor));
        Assert.Matches("^[A-Za-z0-9_-]+$", cursor);
        Assert.DoesNotContain(id.ToString("N"), Convert.ToHexStringLower(Convert.FromBase64String(cursor.Replace('-', '+').Replace('_', '/') + "=")), StringComparison.Ordinal);
        Assert.NotEqual(cursor, cursors.Seal(When, id));
    }

    [Fact]
    public void Open_EveryChangeToACursor_IsRefused()
    {
        var cursors = DocumentCursor.For(Installation);
        var cursor = cursors.Seal(When, Guid.NewGuid());
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

        for (var i = 0; i < cursor.Length; i++)
        {
            var other = alphabet[(alphabet.IndexOf(cursor[i], StringComparison.Ordinal) + 1) % alphabet.Length];
            var changed = cursor[..i] + other + cursor[(i + 1)..];
            Assert.Throws<UsageException>(() => cursors.Open(changed));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("AAAA")]
    [InlineData("not a cursor at all")]
    [InlineData("=====")]
    public void Open_TextItDidNotMake_IsRefused(string text)
    {
        var ex = Assert.Throws<UsageException>(() => DocumentCursor.For(Installation).Open(text));

        Assert.Contains("not one this server gave out", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_ACursorOfAnotherInstallation_IsRefused()
    {
        var cursor = DocumentCursor.For(NewSecrets("two")).Seal(When, Guid.NewGuid());

        Assert.Throws<UsageException>(() => DocumentCursor.For(Installation).Open(cursor));
    }

    private static Secrets NewSecrets(string key) => new()
    {
        SuperuserPassword = "s",
        AdminPassword = "a",
        AppPassword = "p",
        TenantRoleKey = "tenant-role-key-" + key,
    };
}
