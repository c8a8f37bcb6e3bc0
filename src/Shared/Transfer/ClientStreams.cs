using Grpc.Core;

namespace FedRad.Shared.Transfer;

/// <summary>Writing to a client-streaming call whose server may answer before the stream ends.</summary>
public static class ClientStreams
{
    /// <summary>
    /// How long a failed write waits for the server's answer before reporting the broken stream itself. The
    /// answer, when it comes, comes with the reset; sometimes the client loses it altogether (its task never
    /// completes), and then the caller's retry asks again.
    /// </summary>
    private static readonly TimeSpan AnswerGrace = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Writes one message unless the server has already answered the call. A server that refuses an
    /// upload (at its header, or at a message over its size limit) completes the call while the client
    /// may still be sending a message larger than the HTTP/2 flow-control window. That write can then
    /// wait forever for window credit the server never grants, and the call's deadline does not release
    /// it (seen with Grpc.Net.Client 2.85 on .NET 10: it hung the test suite in CI). Or the write fails
    /// with the transport's "stream closed" instead of the server's reason. So each write races the
    /// response, and whatever ends the write early, the caller gets the server's status when there is one.
    /// </summary>
    /// <exception cref="RpcException">The server's refusal; or Unavailable when the stream broke without an answer.</exception>
    public static async Task WriteUnlessAnswered<TRequest, TResponse>(this AsyncClientStreamingCall<TRequest, TResponse> call, TRequest message, CancellationToken ct = default)
    {
        var write = call.RequestStream.WriteAsync(message, ct);
        Exception? broken = null;
        try
        {
            if (await Task.WhenAny(write, call.ResponseAsync) == write)
            {
                await write;
                return;
            }
            // Answered first: the pending write is abandoned (disposing the call cancels it); observe its fault.
            _ = write.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted);
        }
        catch (RpcException) { throw; }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { throw; }
        catch (Exception e) { broken = e; }

        var answer = call.ResponseAsync;
        if (await Task.WhenAny(answer, Task.Delay(AnswerGrace, ct)) == answer)
            await answer; // throws the server's status when it refused the call
        throw new RpcException(new Status(StatusCode.Unavailable,
            broken is null ? "the server answered before the stream was complete" : $"the stream broke while writing: {broken.Message}", broken));
    }
}
