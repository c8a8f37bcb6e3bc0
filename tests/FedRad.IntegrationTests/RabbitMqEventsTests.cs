using System.Text;
using System.Text.Json;
using FedRad.IntegrationTests.Infrastructure;
using FedRad.Protocol.V1;
using RabbitMQ.Client;

namespace FedRad.IntegrationTests;

/// <summary>
/// Lifecycle events through a real RabbitMQ broker (started by scripts/test.sh, address in
/// FEDRAD_TEST_RABBITMQ_URI): the test binds its own queue to the event exchanges and reads what
/// the coordinator published, and the audit consumer receives them from the broker.
/// </summary>
public sealed class RabbitMqEventsTests
{
    private static string BrokerUri => Environment.GetEnvironmentVariable("FEDRAD_TEST_RABBITMQ_URI")
        ?? throw new InvalidOperationException("FEDRAD_TEST_RABBITMQ_URI is not set: run the suite with scripts/test.sh, which starts RabbitMQ on 127.0.0.1");

    [Fact]
    public async Task Round_and_study_events_are_published_through_rabbitmq_and_audited()
    {
        var uri = BrokerUri;
        await using var cluster = new Cluster();
        await cluster.StartCoordinator("--rabbitmq", uri);

        var factory = new ConnectionFactory { Uri = new Uri(uri) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var queue = (await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true)).QueueName;
        foreach (var evt in new[] { "RoundStarted", "RoundCompleted", "StudyCompleted" })
            await BindWhenDeclared(connection, queue, $"FedRad.Coordinator.Contracts.Events:{evt}");

        await cluster.StartSites(2);
        await cluster.CreateAndStart("rabbit", rounds: 2, minSites: 2, timeoutSeconds: 60);
        var status = await cluster.WaitFor("rabbit", s => s.State is StudyState.Completed or StudyState.Failed, TimeSpan.FromSeconds(120));
        Assert.Equal(StudyState.Completed, status.State);

        // Read what the broker delivered to our queue.
        var received = new List<(string Type, JsonElement Message)>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && !received.Any(r => r.Type == "StudyCompleted"))
        {
            var got = await channel.BasicGetAsync(queue, autoAck: true);
            if (got is null) { await Task.Delay(100); continue; }
            var envelope = JsonDocument.Parse(Encoding.UTF8.GetString(got.Body.Span)).RootElement;
            var type = envelope.GetProperty("messageType")[0].GetString()!.Split(':')[^1];
            received.Add((type, envelope.GetProperty("message").Clone()));
        }
        // Standardisation round 0, training rounds 1-2, evaluation round 3.
        Assert.Equal([0, 1, 2, 3], received.Where(r => r.Type == "RoundCompleted").Select(r => r.Message.GetProperty("round").GetInt32()).Order());
        Assert.Equal([0, 1, 2, 3], received.Where(r => r.Type == "RoundStarted").Select(r => r.Message.GetProperty("round").GetInt32()).Order());
        var done = Assert.Single(received, r => r.Type == "StudyCompleted").Message;
        Assert.Equal("rabbit", done.GetProperty("studyId").GetString());
        Assert.Equal(status.Evaluation.PooledAuc, done.GetProperty("pooledAuc").GetDouble(), 12);

        // The audit consumer got the same events from its durable queue on the broker.
        var audit = await File.ReadAllLinesAsync(cluster.AuditLog);
        Assert.Equal(4, audit.Count(l => l.Contains("\"event\":\"RoundCompleted\"")));
        Assert.Contains(audit, l => l.Contains("\"event\":\"StudyCompleted\"") && l.Contains("\"studyId\":\"rabbit\""));
    }

    /// <summary>MassTransit declares the exchanges while the bus starts; bind as soon as each exists.</summary>
    private static async Task BindWhenDeclared(IConnection connection, string queue, string exchange)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            await using var probe = await connection.CreateChannelAsync();
            try
            {
                await probe.ExchangeDeclarePassiveAsync(exchange);
                await probe.QueueBindAsync(queue, exchange, routingKey: "");
                return;
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }
}
