using Azure.Storage.Blobs;

namespace Nango.Core.Functions.Store;

/// <summary>The function-store part of the start-up configuration check, one message per problem with its key.</summary>
internal static class FunctionStoreOptionsCheck
{
    public static IEnumerable<string> Check(FunctionsOptions functions)
    {
        if (functions.Store != "AzureBlob")
        {
            yield break;
        }
        if (string.IsNullOrWhiteSpace(functions.AzureBlobConnectionString))
        {
            yield return "Nango__Functions__AzureBlobConnectionString is required when Nango__Functions__Store is AzureBlob.";
        }
        // Azure's rule for container names: 3-63 lowercase letters, digits and single hyphens, starting with a letter or digit.
        if (string.IsNullOrEmpty(functions.AzureBlobContainer) || functions.AzureBlobContainer.Length is < 3 or > 63
            || !functions.AzureBlobContainer.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
            || functions.AzureBlobContainer.StartsWith('-') || functions.AzureBlobContainer.Contains("--", StringComparison.Ordinal))
        {
            yield return $"Nango__Functions__AzureBlobContainer must be a valid container name (3-63 lowercase letters, digits and hyphens); got '{functions.AzureBlobContainer}'.";
        }
        if (!Enum.TryParse<BlobClientOptions.ServiceVersion>(functions.AzureBlobServiceVersion, ignoreCase: false, out var version) || !Enum.IsDefined(version))
        {
            yield return $"Nango__Functions__AzureBlobServiceVersion must name a Blob service version of the client (for example V2026_06_06); got '{functions.AzureBlobServiceVersion}'.";
        }
    }
}
