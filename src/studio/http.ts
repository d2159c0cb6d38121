// undici, loaded by the parts the client uses. `import "undici"` evaluates all of it: fetch,
// WebSocket, EventSource, caches, mocks and proxies, about 100 ms of CPU on every command
// that talks to Studio. The keep-alive Agent and the request API are a third of that; the
// FormData of uploads is loaded on the first upload only. These are undici's own modules
// (the same classes the package exports, which a test checks), at paths fixed by the exact
// version in package.json.

import { lookup } from "node:dns";
import { createRequire } from "node:module";
import { isIP, type LookupFunction } from "node:net";
import { TUNNEL_CLOSED } from "./retry.js";
import { isLocalhostName } from "./url.js";
import type { Agent as AgentClass, Dispatcher, FormData as FormDataClass, Pool as PoolClass, ProxyAgent as ProxyAgentClass } from "undici";

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
 * How a connection to Studio finds its address: a name under localhost (`studio.localhost`,
 * `localhost.`), which isLoopbackHost takes for this machine and lets plain http:// reach, is
 * resolved as `localhost`, never by DNS, which could answer with another machine's address
 * and have the token cross the network in clear. Any other name as Node resolves it.
 */
export const localhostLookup: LookupFunction = (hostname, options, callback) =>
  lookup(isLocalhostName(hostname) ? "localhost" : hostname, options, callback);

/**
 * undici's ProxyAgent, loaded only when a proxy is in use. It opens each tunnel with the
 * `connect` method that `import "undici"` puts on every dispatcher, as this does here.
 */
function loadProxyAgent(): typeof ProxyAgentClass {
  const dispatcher = (require("undici/lib/dispatcher/dispatcher.js") as { prototype: { connect?: unknown } }).prototype;
  dispatcher.connect ??= require("undici/lib/api/api-connect.js") as unknown;
  return require("undici/lib/dispatcher/proxy-agent.js") as typeof ProxyAgentClass;
}

type Connector = (options: object, callback: (error: Error | null, socket: unknown) => void) => void;

/**
 * A ProxyAgent (a tunnel through the proxy for each connection to Studio) on which a proxy
 * that closes the connection instead of answering the CONNECT fails the requests waiting
 * for that connection. undici takes its "other side closed" there for a passing fault of a
 * connection in use and opens the tunnel again at once, over and over: some 600 CONNECTs a
 * second until the request's deadline. See docs/architecture.md, "Proxies".
 */
export function createProxyAgent(options: ProxyAgentClass.Options): Dispatcher {
  const ProxyAgent = loadProxyAgent();
  const Pool = require("undici/lib/dispatcher/pool.js") as typeof PoolClass;
  return new ProxyAgent({
    ...options,
    factory: (origin, poolOptions) => {
      const { connect } = poolOptions as { connect: Connector };
      const tunnel: Connector = (opts, callback) =>
        connect(opts, (error, socket) => callback(error == null ? null : closedTunnel(error), socket));
      return new Pool(origin, { ...poolOptions, connect: tunnel as PoolClass.Options["connect"] });
    },
    // The connections to the proxy itself. undici names an https:// proxy given by its IP
    // address as the TLS server name, which no server name may be (RFC 6066): Node printed a
    // DeprecationWarning on every command. Without one, the certificate is checked against the address.
    clientFactory: (origin, clientOptions) => {
      const { connect } = clientOptions as { connect: Connector };
      const toProxy: Connector = (opts, callback) => {
        const { servername } = opts as { servername?: unknown };
        connect(typeof servername === "string" && isIP(servername) !== 0 ? { ...opts, servername: undefined } : opts, callback);
      };
      return new Pool(origin, { ...clientOptions, connect: toProxy as PoolClass.Options["connect"] });
    },
  });
}

/** undici's "other side closed" while the tunnel was opened, as an error undici does not try again. */
function closedTunnel(error: Error): Error {
  if ((error as { code?: unknown }).code !== "UND_ERR_SOCKET") return error;
  return Object.assign(new Error("the proxy closed the connection instead of opening a tunnel to Studio", { cause: error }), {
    code: TUNNEL_CLOSED,
  });
}

/** undici's FormData: its multipart encoder accepts only its own class. */
export function loadFormData(): typeof FormDataClass {
  return (require("undici/lib/web/fetch/formdata.js") as { FormData: typeof FormDataClass }).FormData;
}
