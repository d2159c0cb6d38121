// undici, loaded by the parts the client uses. `import "undici"` evaluates all of it: fetch,
// WebSocket, EventSource, caches, mocks and proxies, about 100 ms of CPU on every command
// that talks to Studio. The keep-alive Agent and the request API are a third of that; the
// FormData of uploads is loaded on the first upload only. These are undici's own modules
// (the same classes the package exports, which a test checks), at paths fixed by the exact
// version in package.json.

import { createRequire } from "node:module";
import { setFlagsFromString } from "node:v8";
import type { Agent as AgentClass, Dispatcher, FormData as FormDataClass } from "undici";

const require = createRequire(import.meta.url);

// undici parses HTTP with llhttp compiled to WebAssembly. V8 compiles it at once with its
// baseline compiler, then again in the background with its optimizing one: about 100 ms of
// a core, which a process that is done must still wait out before it can exit (every plan
// ended that much later). The baseline code is fast enough for what is parsed here: headers
// and chunk framing; llhttp does not scan a body byte by byte. Set before undici compiles
// its parser (on the first connection), and only in processes that load undici.
// See docs/architecture.md, "Performance".
setFlagsFromString("--liftoff-only");

export type { Dispatcher };

export const Agent = require("undici/lib/dispatcher/agent.js") as typeof AgentClass;

type RequestApi = (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;
const requestApi = require("undici/lib/api/api-request.js") as RequestApi;

/** undici's `request`, on the dispatcher given; `path` with its query, already encoded. */
export function request(dispatcher: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
  return requestApi.call(dispatcher, options);
}

/** undici's FormData: its multipart encoder accepts only its own class. */
export function loadFormData(): typeof FormDataClass {
  return (require("undici/lib/web/fetch/formdata.js") as { FormData: typeof FormDataClass }).FormData;
}
