using Nango.Bench;

return args.Length > 0 && args[0] == "logs" ? await LogsBenchmark.RunAsync(args[1..])
    : args.Length > 0 && args[0] == "webhooks" ? await WebhooksBenchmark.RunAsync(args[1..])
    : args.Length > 0 && args[0] == "proxy" ? await ProxyBenchmark.RunAsync(args[1..])
    : args.Length > 0 && args[0] == YarpForwarder.Command ? await YarpForwarder.RunAsync()
    : args.Length > 0 && args[0] == "records" ? await RecordsBenchmark.RunAsync(args[1..])
    : args.Length > 0 && args[0] == "scheduler" ? await SchedulerBenchmark.RunAsync(args[1..])
    : args.Length > 0 && args[0] == "actions" ? await ActionsBenchmark.RunAsync(args[1..])
    : Usage();

static int Usage()
{
    Console.Error.WriteLine("usage: dotnet run -c Release --project bench/Nango.Bench -- logs [--messages 1000000] [--operations 50000] [--queries 200] [--keep]");
    Console.Error.WriteLine("       dotnet run -c Release --project bench/Nango.Bench -- webhooks [--events 1000] [--connections 100] [--latency-events 300] [--concurrency 32] [--keep]");
    Console.Error.WriteLine("       dotnet run -c Release --project bench/Nango.Bench -- proxy [--duration 10] [--warmup 2] [--prewarm 30] [--concurrency 1,32] [--no-breakdown] [--keep]");
    Console.Error.WriteLine("       dotnet run -c Release --project bench/Nango.Bench -- records [--records 100000] [--keep]");
    Console.Error.WriteLine("       dotnet run -c Release --project bench/Nango.Bench -- scheduler [--schedules 10000] [--duration 95] [--keep]");
    Console.Error.WriteLine("       dotnet run -c Release --project bench/Nango.Bench -- actions [--duration 10] [--warmup 15] [--concurrency 1,16] [--cold 5] [--runner PATH] [--keep]");
    return 2;
}
