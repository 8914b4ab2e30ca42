using Nango.Core.Auth.OAuth1;

namespace Nango.Tests.Unit.Auth;

/// <summary>The signing rules checked against the examples printed in RFC 5849.</summary>
public sealed class OAuth1SignatureTests
{
    // §1.2: the printer's client credentials.
    private const string ConsumerKey = "dpf43f3p2l4k3l03";
    private const string ConsumerSecret = "kd94hf93k423kf44";

    [Fact]
    public void Section_1_2_temporary_credentials_request_is_signed_with_plaintext()
    {
        var signed = OAuth1Request.Sign(
            "POST", new Uri("https://photos.example.net/initiate"), new OAuth1Credentials(ConsumerKey, ConsumerSecret),
            OAuth1Signature.PlainText, "137131200", "wIjqoS",
            [new("oauth_callback", "http://printer.example.com/ready")], realm: "Photos", version: null);

        Assert.Equal("kd94hf93k423kf44&", signed.Signature);
        Assert.Contains("oauth_signature=\"kd94hf93k423kf44%26\"", signed.AuthorizationHeader, StringComparison.Ordinal);
        Assert.Contains("oauth_callback=\"http%3A%2F%2Fprinter.example.com%2Fready\"", signed.AuthorizationHeader, StringComparison.Ordinal);
        Assert.StartsWith("OAuth realm=\"Photos\", ", signed.AuthorizationHeader, StringComparison.Ordinal);
    }

    [Fact]
    public void Section_1_2_authorization_redirect_carries_the_temporary_token()
    {
        // The resource owner is sent to the authorization endpoint with the temporary token, and comes back to the
        // callback with it and the verifier; the query is read with the same form rules as everywhere else.
        var back = OAuth1Signature.ParseForm("?oauth_token=hh5s93j4hdidpola&oauth_verifier=hfdp7dh39dks9884");

        Assert.Equal([new("oauth_token", "hh5s93j4hdidpola"), new("oauth_verifier", "hfdp7dh39dks9884")], back);
    }

    [Fact]
    public void Section_1_2_token_request_signature_matches_the_rfc()
    {
        var signed = OAuth1Request.Sign(
            "POST", new Uri("https://photos.example.net/token"),
            new OAuth1Credentials(ConsumerKey, ConsumerSecret, "hh5s93j4hdidpola", "hdhd0244k9j7ao03"),
            OAuth1Signature.HmacSha1, "137131201", "walatlh",
            [new("oauth_verifier", "hfdp7dh39dks9884")], realm: "Photos", version: null);

        Assert.Equal("gKgrFCywp7rO0OXSjdot/IHF7IU=", signed.Signature);
        Assert.Contains("oauth_signature=\"gKgrFCywp7rO0OXSjdot%2FIHF7IU%3D\"", signed.AuthorizationHeader, StringComparison.Ordinal);
    }

    [Fact]
    public void Section_1_2_resource_request_signature_matches_the_rfc()
    {
        var signed = OAuth1Request.Sign(
            "GET", new Uri("http://photos.example.net/photos?file=vacation.jpg&size=original"),
            new OAuth1Credentials(ConsumerKey, ConsumerSecret, "nnch734d00sl2jdk", "pfkkdhi9sl3r4s00"),
            OAuth1Signature.HmacSha1, "137131202", "chapoH", realm: "Photos", version: null);

        Assert.Equal("MdpQcU8iPSUjWoN/UDMsK2sui9I=", signed.Signature);
        Assert.Equal(
            "OAuth realm=\"Photos\", oauth_consumer_key=\"dpf43f3p2l4k3l03\", oauth_token=\"nnch734d00sl2jdk\", "
            + "oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"137131202\", oauth_nonce=\"chapoH\", "
            + "oauth_signature=\"MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D\"",
            signed.AuthorizationHeader);
    }

    [Fact]
    public void Section_3_4_1_base_string_matches_the_rfc_example()
    {
        // POST /request?b5=%3D%253D&a3=a&c%40=&a2=r%20b with body "c2&a3=2+q"; the realm is not signed.
        var uri = new Uri("http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b");
        IEnumerable<KeyValuePair<string, string>> parameters =
        [
            new("oauth_consumer_key", "9djdj82h48djs9d2"),
            new("oauth_token", "kkk9d7dh3k39sjv7"),
            new("oauth_signature_method", "HMAC-SHA1"),
            new("oauth_timestamp", "137131201"),
            new("oauth_nonce", "7d8f3e4a"),
            .. OAuth1Signature.ParseForm(uri.Query),
            .. OAuth1Signature.ParseForm("c2&a3=2+q"),
        ];

        Assert.Equal(
            "a2=r%20b&a3=2%20q&a3=a&b5=%3D%253D&c%40=&c2=&oauth_consumer_key=9djdj82h48djs9d2&oauth_nonce=7d8f3e4a"
            + "&oauth_signature_method=HMAC-SHA1&oauth_timestamp=137131201&oauth_token=kkk9d7dh3k39sjv7",
            OAuth1Signature.NormalizeParameters(parameters));
        Assert.Equal(
            "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26"
            + "c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26"
            + "oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7",
            OAuth1Signature.BaseString("POST", uri, parameters));
    }

    [Fact]
    public void Section_3_4_1_3_1_parameter_sources_are_decoded_as_listed()
    {
        var uri = new Uri("http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b");

        Assert.Equal(
            [new("b5", "=%3D"), new("a3", "a"), new("c@", ""), new("a2", "r b")],
            OAuth1Signature.ParseForm(uri.Query));
        Assert.Equal([new("c2", ""), new("a3", "2 q")], OAuth1Signature.ParseForm("c2&a3=2+q"));
    }

    [Theory]
    [InlineData("HTTP://EXAMPLE.COM:80/r%20v/X?id=123", "http://example.com/r%20v/X")]
    [InlineData("https://www.example.net:8080/?q=1", "https://www.example.net:8080/")]
    [InlineData("https://Photos.Example.net:443/token", "https://photos.example.net/token")]
    public void Section_3_4_1_2_base_string_uri(string uri, string expected) =>
        Assert.Equal(expected, OAuth1Signature.BaseStringUri(new Uri(uri)));

    [Theory]
    [InlineData("abcABC123-._~", "abcABC123-._~")]
    [InlineData("a b+c", "a%20b%2Bc")]
    [InlineData("=%3D", "%3D%253D")]
    [InlineData("c@", "c%40")]
    [InlineData("ü*!'()", "%C3%BC%2A%21%27%28%29")]
    public void Section_3_6_percent_encoding(string value, string expected) =>
        Assert.Equal(expected, OAuth1Signature.PercentEncode(value));

    [Fact]
    public void Hmac_sha256_uses_the_same_key_and_base_string()
    {
        var baseString = "GET&http%3A%2F%2Fexample.com%2F&a%3D1";
        var expected = Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData("cs&ts"u8, System.Text.Encoding.ASCII.GetBytes(baseString)));

        Assert.Equal(expected, OAuth1Signature.Sign(OAuth1Signature.HmacSha256, baseString, "cs", "ts"));
    }

    [Fact]
    public void Plaintext_encodes_both_secrets()
    {
        Assert.Equal("a%26b&c%20d", OAuth1Signature.Sign(OAuth1Signature.PlainText, "ignored", "a&b", "c d"));
        Assert.Equal("secret&", OAuth1Signature.Sign(OAuth1Signature.PlainText, "ignored", "secret", null));
    }
}
