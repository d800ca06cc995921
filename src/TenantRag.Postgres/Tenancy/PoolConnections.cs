using System.Diagnostics.Metrics;

namespace TenantRag.Postgres.Tenancy;

/// <summary>
/// How many physical connections each pool of this process holds now, idle or in use, by pool name (the
/// <see cref="DataSourceRegistry"/> key): read from Npgsql's own <c>db.client.connection.count</c> metric, which every
/// pooling data source reports, through one process-wide listener that collects only when asked.
/// </summary>
internal static class PoolConnections
{
    private const string MeterName = "Npgsql";
    private const string InstrumentName = "db.client.connection.count";
    private const string PoolTag = "db.client.connection.pool.name";

    private static readonly Lock Gate = new();
    private static readonly MeterListener Listener = Start();
    private static Dictionary<string, long>? _collecting;

    /// <summary>Physical connections per pool name, only pools holding some.</summary>
    public static IReadOnlyDictionary<string, long> Snapshot()
    {
        lock (Gate)
        {
            _collecting = new Dictionary<string, long>(StringComparer.Ordinal);
            try
            {
                // Runs the observable instruments' callbacks on this thread, each measurement arriving in OnMeasurement.
                Listener.RecordObservableInstruments();
                return _collecting.Where(p => p.Value > 0).ToDictionary(StringComparer.Ordinal);
            }
            finally
            {
                _collecting = null;
            }
        }
    }

    private static MeterListener Start()
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == MeterName && instrument.Name == InstrumentName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<int>((_, value, tags, _) => OnMeasurement(value, tags));
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) => OnMeasurement(value, tags));
        listener.Start();
        return listener;
    }

    // Called under Gate (from RecordObservableInstruments), once per pool and state (idle, used).
    private static void OnMeasurement(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (_collecting is not { } collecting)
        {
            return;
        }

        foreach (var tag in tags)
        {
            if (tag is { Key: PoolTag, Value: string pool })
            {
                collecting[pool] = collecting.GetValueOrDefault(pool) + value;
                return;
            }
        }
    }
}
