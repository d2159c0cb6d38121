// undici, loaded by the parts the client uses. `import "undici"` evaluates all of it: fetch,
// WebSocket, EventSource, caches, mocks and proxies, about 100 ms of CPU on every command
// that talks to Studio. The keep-alive Agent and the request API are a third of that; the
// FormData of uploads is loaded on the first upload only. These are undici's own modules
// (the same classes the package exports, which a test checks), at paths fixed by the exact
// version in package.json.

import { createRequire } from "node:module";
import type { Agent as AgentClass, Dispatcher, FormData as FormDataClass, ProxyAgent as ProxyAgentClass } from "undici";

const require = createRequire(import.meta.url);

export type { Dispatcher };

export const Agent = require("undici/lib/dispatcher/agent.js") as typeof AgentClass;

type RequestApi = (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;
const requestApi = require("undici/lib/api/api-request.js") as RequestApi;

/** undici's `request`, on the dispatcher given; `path` with its query, already encoded. */
export function request(dispatcher: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
  return requestApi.call(dispatcher, options);
}

/**
 * undici's ProxyAgent, loaded only when a proxy is in use. It opens each tunnel with the
 * `connect` method that `import "undici"` puts on every dispatcher, as this does here.
 */
export function loadProxyAgent(): typeof ProxyAgentClass {
  const dispatcher = (require("undici/lib/dispatcher/dispatcher.js") as { prototype: { connect?: unknown } }).prototype;
  dispatcher.connect ??= require("undici/lib/api/api-connect.js") as unknown;
  return require("undici/lib/dispatcher/proxy-agent.js") as typeof ProxyAgentClass;
}

/** undici's FormData: its multipart encoder accepts only its own class. */
export function loadFormData(): typeof FormDataClass {
  return (require("undici/lib/web/fetch/formdata.js") as { FormData: typeof FormDataClass }).FormData;
}
