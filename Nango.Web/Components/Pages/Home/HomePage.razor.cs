using System.Globalization;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using Nango.Core.Environments;
using Nango.Core.Logs;
using Nango.Web.Components.Dashboard;

namespace Nango.Web.Components.Pages.Home;

/// <summary>The environment's home: shortcuts and charts of its operations (per type, success vs failure).</summary>
public partial class HomePage : EnvironmentPage
{
    public const string Last24Hours = "24h";
    public const string Last7Days = "7d";

    private static readonly string[] _stateSeries = ["Success", "Failure", "Cancelled", "Running"];

    private string[] _labels = [];
    private List<ChartSeries<double>> _typeSeries = [];
    private List<ChartSeries<double>> _stateSeriesData = [];
    private long _total;
    private long _success;
    private long _failure;

    /// <summary><c>24h</c> (hourly buckets, the default) or <c>7d</c> (daily), kept in the URL.</summary>
    [SupplyParameterFromQuery(Name = "period")]
    public string? Period { get; set; }

    [Inject]
    public required LogQueryService LogQueries { get; init; }

    [Inject]
    public required NavigationManager Navigation { get; init; }

    private bool Daily => Period == Last7Days;

    private string PeriodKey => Daily ? Last7Days : Last24Hours;

    private string PeriodText => Daily ? "last 7 days" : "last 24 hours";

    private readonly StackedBarChartOptions _typeOptions = new()
    {
        ShowLegend = true,
        YAxisTicks = 1,
        MaxNumYAxisTicks = 6,
        YAxisFormat = "0",
        XAxisLines = false,
        ShowZeroValues = false,
        ShowToolTips = true,
    };

    private readonly StackedBarChartOptions _stateOptions = new()
    {
        ShowLegend = true,
        YAxisTicks = 1,
        MaxNumYAxisTicks = 6,
        YAxisFormat = "0",
        XAxisLines = false,
        ShowZeroValues = false,
        ShowToolTips = true,
        ChartPalette = ["#22c55e", "#ef4444", "#94a3b8", "#3b82f6"],
    };

    protected override async Task LoadAsync(EnvironmentContext environment, CancellationToken ct)
    {
        var buckets = await LogQueries.HistogramAsync(environment, Daily ? LogBucketSize.Day : LogBucketSize.Hour, null, ct);
        var starts = buckets.Select(b => b.Start).Distinct().Order().ToList();
        var every = Daily ? 1 : 3;
        _labels = starts.Select((s, i) => i % every == 0 || i == starts.Count - 1 ? Label(s) : "").ToArray();
        var byStart = starts.Select((s, i) => (s, i)).ToDictionary(x => x.s, x => x.i);

        _typeSeries = buckets.GroupBy(b => b.Type)
            .Where(g => g.Sum(b => b.Total) > 0)
            .OrderByDescending(g => g.Sum(b => b.Total))
            .Select(g =>
            {
                var values = new double[starts.Count];
                foreach (var b in g)
                {
                    values[byStart[b.Start]] += b.Total;
                }
                return new ChartSeries<double> { Name = g.Key, Data = new ChartData<double>(values) };
            })
            .ToList();

        var states = new double[_stateSeries.Length][];
        for (var s = 0; s < states.Length; s++)
        {
            states[s] = new double[starts.Count];
        }
        foreach (var b in buckets)
        {
            var i = byStart[b.Start];
            states[0][i] += b.Success;
            states[1][i] += b.Failed + b.Timeout;
            states[2][i] += b.Cancelled;
            states[3][i] += b.Running;
        }
        _stateSeriesData = _stateSeries.Select((name, s) => new ChartSeries<double> { Name = name, Data = new ChartData<double>(states[s]) }).ToList();
        _total = buckets.Sum(b => b.Total);
        _success = buckets.Sum(b => b.Success);
        _failure = buckets.Sum(b => b.Failed + b.Timeout);
    }

    private string Label(DateTimeOffset start) =>
        start.ToUniversalTime().ToString(Daily ? "MMM dd" : "HH:00", CultureInfo.InvariantCulture);

    private void PeriodChanged(string period) =>
        Navigation.NavigateTo(Navigation.GetUriWithQueryParameter("period", period == Last24Hours ? null : period), replace: true);

    private string LogsLink(params string[] states) =>
        DashboardUrls.Logs(Env, states: states, period: PeriodKey);
}
