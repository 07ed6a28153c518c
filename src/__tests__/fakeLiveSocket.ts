/**
 * A stand-in for the browser's WebSocket, injected into `LiveClient`: the test
 * plays the server's side of `api/live`.
 */

/**
 * A fake socket; every one created is kept in `FakeWebSocket.instances`.
 */
export class FakeWebSocket {
  /** The sockets created, oldest first. */
  static instances: FakeWebSocket[] = [];

  /** The newest socket. */
  static latest(): FakeWebSocket {
    return FakeWebSocket.instances[FakeWebSocket.instances.length - 1];
  }

  /** Forget the sockets of earlier tests. */
  static reset(): void {
    FakeWebSocket.instances = [];
  }

  constructor(url: string) {
    this.url = url;
    FakeWebSocket.instances.push(this);
  }

  readonly url: string;
  readyState = 0;
  /** The client's messages, parsed. */
  sent: any[] = [];
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  /** The client sends a message. */
  send(data: string): void {
    if (this.readyState !== 1) {
      throw new Error('InvalidStateError: the socket is not open');
    }
    this.sent.push(JSON.parse(data));
  }

  /** The client closes the socket. */
  close(code = 1000, reason = ''): void {
    if (this.readyState === 3) {
      return;
    }
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  /** The server accepts the connection. */
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  /** The server sends a message. */
  receive(message: unknown): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }

  /** The server (or the network) drops the socket. */
  drop(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  /** The targets the client subscribed to and did not unsubscribe from since. */
  subscribed(): { workspace: string; run_id: string | null }[] {
    const held = new Map<
      string,
      { workspace: string; run_id: string | null }
    >();
    for (const message of this.sent) {
      const [verb, target] = Object.entries(message)[0] as [string, any];
      const key = JSON.stringify([target.workspace, target.run_id]);
      if (verb === 'subscribe') {
        held.set(key, target);
      } else {
        held.delete(key);
      }
    }
    return [...held.values()];
  }

  /** Acknowledge every subscribe not acknowledged yet, as the server does. */
  ackAll(): void {
    for (; this._acked < this.sent.length; this._acked++) {
      const [verb, target] = Object.entries(this.sent[this._acked])[0] as [
        string,
        any
      ];
      this.receive({
        type: verb === 'subscribe' ? 'subscribed' : 'unsubscribed',
        workspace: target.workspace,
        run_id: target.run_id ?? null
      });
    }
  }

  private _acked = 0;
}

/**
 * Resolve once `predicate` holds, checking every few milliseconds.
 */
export async function waitFor(
  predicate: () => boolean,
  timeoutMs = 2000
): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) {
      throw new Error(`Condition not met within ${timeoutMs} ms`);
    }
    await new Promise(resolve => setTimeout(resolve, 5));
  }
}
