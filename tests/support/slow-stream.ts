/**
 * A streamed Responses request whose 20 deltas come `delayMs` apart: resolves once its first
 * bytes have arrived, with the rest of the body to come. Tests use it to hold an answer in
 * flight across a reload or a shutdown.
 */
export async function slowStream(
  url: string,
  options: { delayMs?: number; headers?: Record<string, string> } = {},
): Promise<{ rest: Promise<string> }> {
  const res = await fetch(`${url}/v1/responses`, {
    method: 'POST',
    headers: {
      ...options.headers,
      'content-type': 'application/json',
      'x-sim-delay-ms': String(options.delayMs ?? 50),
      'x-sim-events': '20',
    },
    body: JSON.stringify({ model: 'gpt-5.5', input: 'hi', stream: true }),
  });
  const reader = res.body!.getReader();
  const first = await reader.read();
  const decoder = new TextDecoder();
  const rest = (async () => {
    let text = decoder.decode(first.value, { stream: true });
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text;
      text += decoder.decode(value, { stream: true });
    }
  })();
  return { rest };
}
