using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using TenantRag.Server.Auth;
using TenantRag.Tenancy;

namespace TenantRag.Cli.Commands;

/// <summary><c>tenantrag token --tenant T --user U [--ttl 1h] [--scope S]...</c>: a JWT from the local development issuer.</summary>
internal static partial class TokenCommand
{
    public static Command Create()
    {
        var tenant = new Option<string>("--tenant") { Description = "Tenant slug", Required = true };
        var user = new Option<string>("--user") { Description = "User id (the sub claim)", Required = true };
        var ttl = new Option<string>("--ttl") { Description = "Lifetime: 30s, 15m, 1h, 7d (at most 30d)", DefaultValueFactory = _ => "1h" };
        var scope = new Option<string[]>("--scope") { Description = "Scopes, e.g. tenantrag:admin", AllowMultipleArgumentsPerToken = true };
        var token = new Command("token", "A JWT signed by the local development issuer (its public keys are served at /.well-known/jwks.json)") { tenant, user, ttl, scope };
        token.SetAction(CliContext.Action(cli =>
        {
            var issuer = DevelopmentTokenIssuer.LoadOrCreate(cli.Home);
            var jwt = issuer.Issue(TenantSlug.Parse(cli.Parse.GetValue(tenant)), UserId.Parse(cli.Parse.GetValue(user)),
                ParseTtl(cli.Parse.GetValue(ttl)), cli.Parse.GetValue(scope) ?? []);
            if (cli.Json)
            {
                CliContext.WriteJson(new { token = jwt });
            }
            else
            {
                Console.WriteLine(jwt);
            }

            return Task.FromResult(0);
        }));
        return token;
    }

    internal static TimeSpan ParseTtl(string? text)
    {
        var match = TtlRegex().Match(text ?? string.Empty);
        if (!match.Success)
        {
            throw new UsageException($"invalid --ttl '{UsageException.Echo(text)}': use a number and a unit, e.g. 30s, 15m, 1h or 7d");
        }

        var value = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var ttl = match.Groups[2].Value switch
        {
            "s" => TimeSpan.FromSeconds(value),
            "m" => TimeSpan.FromMinutes(value),
            "h" => TimeSpan.FromHours(value),
            _ => TimeSpan.FromDays(value),
        };

        // Said in the user's own words: "--ttl 90d", never a TimeSpan's "90.00:00:00".
        return ttl > TimeSpan.Zero && ttl <= DevelopmentTokenIssuer.MaxLifetime
            ? ttl
            : throw new UsageException(string.Create(CultureInfo.InvariantCulture,
                $"--ttl {text} is out of range: use more than 0 and at most {DevelopmentTokenIssuer.MaxLifetime.TotalDays:0} days (e.g. 30s, 15m, 1h or 7d)"));
    }

    [GeneratedRegex(@"\A([0-9]{1,6})([smhd])\z")]
    private static partial Regex TtlRegex();
}
