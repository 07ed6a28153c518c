import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/**
 * The URL of an endpoint under `{base_url}aml/`.
 *
 * The query is kept out of `URLExt.join`, which normalizes paths like `path.join`.
 */
export function amlUrl(
  endPoint: string,
  settings: ServerConnection.ISettings
): string {
  const queryStart = endPoint.indexOf('?');
  const path = queryStart < 0 ? endPoint : endPoint.slice(0, queryStart);
  const query = queryStart < 0 ? '' : endPoint.slice(queryStart);
  return URLExt.join(settings.baseUrl, 'aml', path) + query;
}

/**
 * Call an `aml/` endpoint and return its raw response.
 *
 * @throws ServerConnection.ResponseError with the server's `{"message"}` text
 * when the status is not 2xx, and ServerConnection.NetworkError when the server
 * cannot be reached.
 */
export async function requestRaw(
  endPoint: string,
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<Response> {
  const response = await ServerConnection.makeRequest(
    amlUrl(endPoint, settings),
    init,
    settings
  );
  if (!response.ok) {
    const message = await Private.errorMessage(response);
    throw new ServerConnection.ResponseError(response, message);
  }
  return response;
}

/**
 * Call an `aml/` endpoint and parse its JSON reply (`undefined` when empty, as for 204).
 *
 * @throws ServerConnection.ResponseError with the server's `{"message"}` text
 * when the status is not 2xx, and ServerConnection.NetworkError when the server
 * cannot be reached.
 */
export async function requestAPI<T>(
  endPoint = '',
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const response = await requestRaw(endPoint, init, settings);
  const text = await response.text();
  if (text.length === 0) {
    return undefined as T;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ServerConnection.ResponseError(
      response,
      `Invalid JSON from ${response.url || endPoint}: ${text.slice(0, 200)}`
    );
  }
}

/**
 * Module private helpers.
 */
namespace Private {
  /**
   * The server's `{"message"}` text, or the status line when the body has none.
   */
  export async function errorMessage(response: Response): Promise<string> {
    const fallback = `${response.status} ${response.statusText}`.trim();
    let text = '';
    try {
      text = await response.text();
    } catch {
      return fallback;
    }
    try {
      const body = JSON.parse(text);
      if (body && typeof body.message === 'string' && body.message) {
        return body.message;
      }
    } catch {
      // Not JSON: plain text is still the best clue, an HTML error page is not.
    }
    const plain = text.trim();
    return plain && !plain.startsWith('<') ? plain.slice(0, 500) : fallback;
  }
}

/**
 * A one-line message for a failed request, with the HTTP status when there is one.
 */
export function failureMessage(error: unknown): string {
  if (error instanceof ServerConnection.ResponseError) {
    return `${error.message} (HTTP ${error.response.status})`;
  }
  return error instanceof Error ? error.message : String(error);
}
