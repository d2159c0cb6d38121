// Reaching Studio through a proxy: the variables curl and datachain's client read, a real
// tunnelling proxy over real HTTP in front of the emulator, its password never shown.

import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { connect, type AddressInfo, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFinished } from "vitest";
// The library's entry: a program using the client reaches Studio through the same proxy the CLI would.
import { createStudioClient, proxyFor, RemoteError, UsageError, type JobInput } from "../src/index.js";
import { runCli, spawnCli } from "./cli-helpers.js";
import { copyExample, useStudio } from "./helpers.js";

const { studio, env } = useStudio();

/** A host only the proxy knows: a request that reaches the emulator by it went through the proxy. */
const STUDIO_HOST = "studio.test";
const PASSWORD = "s3cret-proxy-pass";

interface TestProxy {
  port: number;
  /** What each CONNECT asked for, and its Proxy-Authorization. */
  tunnels: { target: string; authorization: string | undefined }[];
  /** The status to answer every CONNECT with; 200 opens the tunnel, 0 never answers, -1 closes the connection unanswered. */
  answer: number;
  /** Statuses to answer the next CONNECTs with, before `answer`. */
  first: number[];
  server: Server;
}

const proxy = { tunnels: [], answer: 200, first: [] } as unknown as TestProxy;
const sockets = new Set<Socket>();

beforeAll(async () => {
  const server = createServer((_req, res) => res.writeHead(405).end());
  server.on("connect", (req, client: Socket) => {
    sockets.add(client);
    proxy.tunnels.push({ target: req.url ?? "", authorization: req.headers["proxy-authorization"] });
    const answer = proxy.first.shift() ?? proxy.answer;
    if (answer === 0) return;
    if (answer === -1) return void client.destroy();
    if (answer !== 200) {
      client.end(`HTTP/1.1 ${answer} No\r\nProxy-Authenticate: Basic realm="ci"\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    const [host, port] = (req.url ?? "").split(":");
    const upstream = connect(Number(port), host === STUDIO_HOST ? "127.0.0.1" : (host ?? ""), () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  Object.assign(proxy, { server, port: (server.address() as AddressInfo).port });
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => proxy.server.close(resolve));
});

beforeEach(() => {
  proxy.tunnels = [];
  proxy.answer = 200;
  proxy.first = [];
});

/** The emulator's URL by the name only the proxy resolves. */
const studioByName = () => studio.emulator.url.replace("127.0.0.1", STUDIO_HOST);
const emulatorPort = () => new URL(studio.emulator.url).port;

async function planThrough(extra: NodeJS.ProcessEnv) {
  return runCli(["--insecure", "plan", "."], {
    cwd: copyExample("analytics"),
    env: { ...env, DATACHAIN_STUDIO_URL: studioByName(), ...extra },
    random: () => 1,
  });
}

describe("a proxy", () => {
  it("carries every request to Studio, with its credentials sent to it and never shown", async () => {
    // The built CLI, as a user runs it: it loads only the parts of undici it uses.
    const result = await spawnCli(["--insecure", "--verbose", "plan", "."], {
      cwd: copyExample("analytics"),
      env: { ...env, DATACHAIN_STUDIO_URL: studioByName(), http_proxy: `http://ci:${PASSWORD}@127.0.0.1:${proxy.port}` },
    });
    expect([result.code, result.stdout]).toEqual([
      0,
      expect.stringContaining("Plan: 4 to create, 0 to replace, 0 to cancel, 0 unchanged."),
    ]);
    expect(result.stderr).toContain(`proxy: 127.0.0.1:${proxy.port} (from http_proxy)\n`);
    expect(result.stderr + result.stdout).not.toContain(PASSWORD);
    expect(proxy.tunnels.length).toBeGreaterThan(0);
    expect(new Set(proxy.tunnels.map((t) => t.target))).toEqual(new Set([`${STUDIO_HOST}:${emulatorPort()}`]));
    expect(proxy.tunnels[0]?.authorization).toBe(`Basic ${Buffer.from(`ci:${PASSWORD}`).toString("base64")}`);
  });

  it("is not used for a host NO_PROXY names, nor for this machine", async () => {
    const named = await planThrough({ HTTP_PROXY: `127.0.0.1:${proxy.port}`, NO_PROXY: `example.com, .${STUDIO_HOST}` });
    // Not through the proxy, the name resolves nowhere.
    expect(named.code).toBe(1);
    expect(named.stderr).toContain("no reply");
    const local = await runCli(["plan", "."], { cwd: copyExample("analytics"), env: { ...env, http_proxy: `127.0.0.1:${proxy.port}` } });
    expect(local.code).toBe(0);
    expect(proxy.tunnels).toEqual([]);
  });

  it("is sent a password holding a % that starts no escape as written, as curl sends it", async () => {
    // undici read "50%off" as escapes and threw: an internal error with a stack trace.
    const result = await planThrough({ http_proxy: `http://ci:50%off@127.0.0.1:${proxy.port}` });
    // Nothing but the plan's one warning, of a stack new in the team.
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^Warning: Stack analytics has no live jobs in team demo\.[^\n]*\n$/);
    expect(proxy.tunnels[0]?.authorization).toBe(`Basic ${Buffer.from("ci:50%off").toString("base64")}`);
    expect(proxyFor(new URL("https://s.example.com"), { https_proxy: "http://a%zz:b%2%41@p:1" })).toMatchObject({
      url: "http://p:1/",
      authorization: `Basic ${Buffer.from("a%zz:b%2A").toString("base64")}`,
      secrets: ["b%2A"],
    });
  });

  it("is sent a user given alone (a token, often) as curl sends it, and the user is never shown", async () => {
    // undici sends credentials only as a pair: the proxy got none, and turned every request away.
    const user = "proxy-token-0123456789";
    const result = await spawnCli(["--insecure", "--verbose", "plan", "."], {
      cwd: copyExample("analytics"),
      env: { ...env, DATACHAIN_STUDIO_URL: studioByName(), http_proxy: `http://${user}@127.0.0.1:${proxy.port}` },
    });
    expect(result.code).toBe(0);
    expect(proxy.tunnels[0]?.authorization).toBe(`Basic ${Buffer.from(`${user}:`).toString("base64")}`);
    expect(result.stdout + result.stderr).not.toContain(user);
  });

  it("that turns the request away is named in the error, without its password, and nothing is planned", async () => {
    proxy.answer = 407;
    const result = await planThrough({ all_proxy: `http://ci:${PASSWORD}@127.0.0.1:${proxy.port}` });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    // undici's own words were "no reply: UND_ERR_ABORTED Proxy response (407) !== 200 when HTTP Tunneling".
    expect(result.stderr).toMatch(
      new RegExp(
        `^Error: \\[GET\\] /api/datachain/\\S+: the proxy at 127\\.0\\.0\\.1:${proxy.port} \\(from all_proxy\\) refused to open a connection to Studio \\(it answered 407\\)\n`,
      ),
    );
    // A 407 is about the credentials: "check that Studio is reachable" pointed elsewhere.
    expect(result.stderr).toContain(
      "The proxy wants credentials it did not take: check the user and password in all_proxy's URL (percent-encoded).\n",
    );
    expect(result.stderr).not.toContain(PASSWORD);
    // Given none, there are none to check (a review found the hint said to check them).
    const none = await planThrough({ all_proxy: `127.0.0.1:${proxy.port}` });
    expect(none.stderr).toContain(
      "The proxy wants credentials, and all_proxy's URL holds none: give a user and password in it, before the host and an @ (percent-encoded).\n",
    );
  });
});

describe("proxyFor called from JavaScript with arguments of the wrong kind", () => {
  it("says which, rather than finding no proxy for a URL given as a string", () => {
    // Found by calling the library: proxyFor("https://...", { HTTPS_PROXY }) returned undefined (a direct connection).
    const env = { HTTPS_PROXY: "http://proxy.example:3128" };
    const said = (...args: unknown[]) => {
      try {
        return (proxyFor as (...a: unknown[]) => unknown)(...args);
      } catch (error) {
        return `${(error as UsageError).code}: ${(error as Error).message}`;
      }
    };
    expect([said("https://studio.example", env), said(new URL("https://studio.example"))]).toEqual([
      "USAGE: proxyFor: the first argument must be Studio's URL as a URL, such as new URL(url).",
      "USAGE: proxyFor: the second argument must be the environment the proxy is named in, such as process.env.",
    ]);
    expect(proxyFor(new URL("https://studio.example"), env)?.shown).toBe("proxy.example:3128");
  });
});

describe("a tunnel the proxy refuses", () => {
  // The request never reached Studio: a create is as safe to send again as a read, and
  // surely made nothing. Each CONNECT refused was a failure nothing retried, and a create's
  // was reported as one that may have been made.
  const client = () =>
    createStudioClient({
      url: studioByName(),
      token: "dev-token",
      proxy: proxyFor(new URL(studioByName()), { http_proxy: `127.0.0.1:${proxy.port}` }),
      backoff: { baseMs: 1, maxMs: 1 },
      // A client that opens tunnels over and over fails here in seconds, not the default minute.
      timeoutMs: 5_000,
    });
  const job = { team_name: "demo", name: "nightly", query: "print(1)", query_type: "PYTHON" } as unknown as JobInput;
  /** A create whose first two tunnels the proxy turned away: made once, on the third. */
  async function expectMadeOnceInThreeTunnels(): Promise<void> {
    const studioClient = client();
    try {
      const made = await studioClient.createJob(job);
      expect(studio.emulator.store.allJobs().map((j) => j.id)).toEqual([made.id]);
    } finally {
      await studioClient.close();
    }
    expect(proxy.tunnels.length).toBe(3);
  }

  it("with a passing status (503) is tried again, a create included, and the job is made once", async () => {
    proxy.first = [503, 502];
    await expectMadeOnceInThreeTunnels();
  });

  it("by closing the connection unanswered is tried again with backoff, a create included, and the job is made once", async () => {
    // Found by an adversarial tester: undici opened the tunnel again at once, over and over,
    // some 600 CONNECTs a second until the deadline, which then failed the create as one
    // that may have been made.
    proxy.first = [-1, -1];
    await expectMadeOnceInThreeTunnels();
    proxy.answer = -1;
    const refusing = client();
    const failed = await refusing.createJob(job).catch((error: unknown) => error);
    await refusing.close();
    expect(failed).toBeInstanceOf(RemoteError);
    expect([(failed as RemoteError).message, (failed as RemoteError).ambiguous, proxy.tunnels.length]).toEqual([
      expect.stringMatching(
        /^\[POST\] \/api\/datachain\/jobs\/: no reply: PROXY_TUNNEL_CLOSED the proxy closed the connection instead of opening a tunnel to Studio \(tried 6 times over /,
      ),
      false,
      3 + 6,
    ]);
    expect(studio.emulator.store.allJobs()).toHaveLength(1);
  });

  it("for good (407) is not tried again, and a create is known not made", async () => {
    proxy.answer = 407;
    const studioClient = client();
    const failed = await studioClient.createJob(job).catch((error: unknown) => error);
    await studioClient.close();
    expect(failed).toBeInstanceOf(RemoteError);
    expect([(failed as RemoteError).ambiguous, proxy.tunnels.length, studio.emulator.store.allJobs()]).toEqual([false, 1, []]);
  });
});

describe("an https:// proxy with a certificate of the wrong kind", () => {
  // test/fixtures/tls: a self-signed certificate for localhost, test only.
  const certificate = fileURLToPath(new URL("fixtures/tls/cert.pem", import.meta.url));

  /** An https:// proxy with the fixture's certificate, closed after the test, which opens no tunnel: its port. */
  async function tlsProxyPort(): Promise<number> {
    const key = readFileSync(new URL("fixtures/tls/key.pem", import.meta.url));
    const tlsProxy = createHttpsServer({ key, cert: readFileSync(certificate) }, (_req, res) => res.writeHead(405).end());
    await new Promise<void>((resolve) => tlsProxy.listen(0, "127.0.0.1", resolve));
    onTestFinished(() => void tlsProxy.close());
    return (tlsProxy.address() as AddressInfo).port;
  }

  it("untrusted: the proxy is named as the certificate's holder, not Studio", async () => {
    // Found by an adversarial tester: "does not trust the certificate of http://studio.test:PORT",
    // a Studio reached over plain http.
    const port = await tlsProxyPort();
    const studioClient = createStudioClient({
      url: studioByName(),
      token: "dev-token",
      proxy: proxyFor(new URL(studioByName()), { http_proxy: `https://localhost:${port}` }),
    });
    const failed = (await studioClient.listClusters().catch((error: unknown) => error)) as RemoteError;
    await studioClient.close();
    expect([failed.message, failed.hint]).toEqual([
      "[GET] /api/datachain/clusters/: no reply: DEPTH_ZERO_SELF_SIGNED_CERT self-signed certificate",
      `This machine does not trust the certificate of the proxy at localhost:${port} (from http_proxy): if your network, your proxy or your Studio uses a certificate authority of its own, set NODE_EXTRA_CA_CERTS to its certificate (a PEM file).`,
    ]);
  });

  it("untrusted: an https Studio through an https proxy names both; through an http proxy, Studio alone", async () => {
    // tlsProblem in call-errors.ts: whose certificate it may be.
    const port = await tlsProxyPort();
    const untrusted = async (studioUrl: string, proxyUrl: string) => {
      const studioClient = createStudioClient({
        url: studioUrl,
        token: "dev-token",
        proxy: proxyFor(new URL(studioUrl), { https_proxy: proxyUrl }),
      });
      const failed = (await studioClient.listClusters().catch((error: unknown) => error)) as RemoteError;
      await studioClient.close();
      return failed.hint;
    };
    const tail = "uses a certificate authority of its own, set NODE_EXTRA_CA_CERTS to its certificate (a PEM file).";
    expect([
      await untrusted(`https://${STUDIO_HOST}:${port}`, `https://localhost:${port}`),
      await untrusted(`https://${STUDIO_HOST}:${port}`, `http://127.0.0.1:${proxy.port}`),
    ]).toEqual([
      `This machine does not trust the certificate of https://${STUDIO_HOST}:${port} or of the proxy at localhost:${port} (from https_proxy): if your network, your proxy or your Studio ${tail}`,
      `This machine does not trust the certificate of https://${STUDIO_HOST}:${port}: if your network or your Studio ${tail}`,
    ]);
  });

  it("for another host name: said, with the variable to check, in the built CLI trusting it", async () => {
    // Found by an adversarial tester: undici's "UND_ERR_PRX_TLS Secure Proxy Connection failed"
    // came with a hint to check that Studio is reachable through the proxy. The certificate is
    // for localhost; the proxy is named by 127.0.0.1.
    const port = await tlsProxyPort();
    const result = await spawnCli(["--insecure", "clusters"], {
      env: { ...env, DATACHAIN_STUDIO_URL: studioByName(), http_proxy: `https://127.0.0.1:${port}`, NODE_EXTRA_CA_CERTS: certificate },
    });
    // And not Node's DeprecationWarning for a TLS server name that is an IP address, which undici gave the proxy's.
    expect([result.code, result.stderr]).toEqual([
      1,
      "Error: [GET] /api/datachain/clusters/: no reply: UND_ERR_PRX_TLS Secure Proxy Connection failed\n" +
        `The certificate of the proxy at 127.0.0.1:${port} (from http_proxy) is for another host name: check the proxy's host in http_proxy.\n`,
    ]);
  });
});

describe("a proxy that never opens the tunnel", () => {
  // undici hears a request's abort only once the request has a connection: the command
  // waited for the proxy (five minutes, its CONNECT's own timeout), whatever --timeout said.
  it("is given up on at the deadline, and the command ends", async () => {
    proxy.answer = 0;
    const started = Date.now();
    const result = await runCli(["--insecure", "--timeout", "0.5", "plan", "."], {
      cwd: copyExample("analytics"),
      env: { ...env, DATACHAIN_STUDIO_URL: studioByName(), HTTPS_PROXY: "", http_proxy: `127.0.0.1:${proxy.port}` },
    });
    // The hint named Studio alone, as if the proxy could not be what never answered.
    expect([result.code, result.stdout, result.stderr]).toEqual([
      1,
      "",
      "Error: [GET] /api/datachain/clusters/?team_name=demo: no complete reply within 0.5 s\n" +
        "If Studio is only slow, allow more time with --timeout SECONDS (or STUDIO_JOBS_TIMEOUT); the default is 60." +
        ` Check too that the proxy at 127.0.0.1:${proxy.port} (from http_proxy) reaches Studio; NO_PROXY names the hosts reached directly.\n`,
    ]);
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it("is given up on at a stop request, and nothing is created", async () => {
    proxy.answer = 0;
    const stop = new AbortController();
    setTimeout(() => stop.abort("SIGINT"), 300);
    const result = await runCli(["--insecure", "apply", "--yes", "."], {
      cwd: copyExample("analytics"),
      env: { ...env, DATACHAIN_STUDIO_URL: studioByName(), http_proxy: `127.0.0.1:${proxy.port}` },
      signal: stop.signal,
    });
    expect([result.code, result.stderr]).toEqual([1, expect.stringContaining("Interrupted by SIGINT while waiting for Studio's reply")]);
    expect(studio.emulator.store.allJobs()).toEqual([]);
  });
});

describe("closing a client after a stop, with a request left waiting for its tunnel", () => {
  it("waits for the write in flight, and only then cuts off the request left", async () => {
    // Found in review: the create's tunnel was open and the job made; the listing's tunnel
    // never opened. The stop ended the listing's try at once, and a close just after saw a
    // request left behind and destroyed every connection: the create failed with
    // UND_ERR_DESTROYED, its job made, instead of finishing within the writes' grace.
    studio.emulator.faults.configure({ latencyMs: 300 }, []);
    proxy.first = [200];
    proxy.answer = 0;
    const stop = new AbortController();
    const client = createStudioClient({
      url: studioByName(),
      token: "dev-token",
      proxy: proxyFor(new URL(studioByName()), { http_proxy: `127.0.0.1:${proxy.port}` }),
      signal: stop.signal,
      writeGraceMs: 5_000,
    });
    const job: JobInput = { team_name: "demo", query_name: "in-flight", query: "print(1)", query_type: "PYTHON", environment: "" };
    const create = client.createJob(job).then(
      (made) => made.id,
      (e: unknown) => (e as Error).message,
    );
    while (studio.emulator.store.allJobs().length < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    const listing = client.listJobs("demo").catch((e: unknown) => (e as Error).message);
    while (proxy.tunnels.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    stop.abort("SIGINT");
    const closed = client.close();
    expect(await listing).toBe("Interrupted by SIGINT while waiting for Studio's reply to GET /api/datachain/jobs/?team_name=demo.");
    const created = await create;
    await closed;
    expect(studio.emulator.store.allJobs().map((j) => [j.id, j.name])).toEqual([[created, "in-flight"]]);
  });
});

describe("proxyFor", () => {
  const studioAt = new URL("https://studio.example.com");

  it("reads the variable of Studio's scheme, lower case first, then all_proxy; a bare host:port is http://", () => {
    expect(proxyFor(studioAt, { HTTPS_PROXY: "http://upper:3128", https_proxy: "lower:3128", HTTP_PROXY: "http://plain:1" })).toEqual({
      url: "http://lower:3128/",
      secrets: [],
      from: "https_proxy",
      shown: "lower:3128",
    });
    expect(proxyFor(new URL("http://studio.example.com"), { HTTPS_PROXY: "http://s:1", HTTP_PROXY: "http://p:2" })?.from).toBe(
      "HTTP_PROXY",
    );
    expect(proxyFor(studioAt, { https_proxy: "  ", ALL_PROXY: "https://all:8443" })).toMatchObject({
      from: "ALL_PROXY",
      shown: "all:8443",
    });
    expect(proxyFor(studioAt, {})).toBeUndefined();
    // undici refuses a proxy URL with a path ("invalid url", an internal error); curl and requests leave it out.
    expect(proxyFor(studioAt, { https_proxy: "http://u:p%40ss@proxy:3128/some/path?q=1#f" })).toMatchObject({
      url: "http://proxy:3128/",
      authorization: `Basic ${Buffer.from("u:p@ss").toString("base64")}`,
    });
  });

  it("leaves out this machine and the hosts NO_PROXY names: exact, under a domain, on its port, or *", () => {
    const through = { https_proxy: "http://p:3128" };
    const bypassed = (noProxy: string, url = studioAt) => proxyFor(url, { ...through, no_proxy: noProxy }) === undefined;
    expect(proxyFor(new URL("https://127.0.0.1:8443"), through)).toBeUndefined();
    expect(proxyFor(new URL("https://localhost"), through)).toBeUndefined();
    expect([bypassed("studio.example.com"), bypassed("example.com"), bypassed(".example.com"), bypassed("*.example.com")]).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect([bypassed("*"), bypassed("other.com, EXAMPLE.COM"), bypassed("example.com:443"), bypassed("example.com:8443")]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect([bypassed("ample.com"), bypassed("studio.example.com.evil"), bypassed("")]).toEqual([false, false, false]);
  });

  it("compares NO_PROXY's hosts as URL writes Studio's: a Unicode name, an IPv6 address written long, a final dot", () => {
    // Found by an adversarial tester: each of these went through the proxy.
    const bypassed = (url: string, noProxy: string) =>
      proxyFor(new URL(url), { https_proxy: "http://p:3128", no_proxy: noProxy }) === undefined;
    expect([
      bypassed("https://st\u00fcdio.example", "st\u00fcdio.example"),
      bypassed("https://studio.b\u00fccher.example", ".B\u00dcCHER.example"),
      bypassed("https://[fd00::5]:8443", "fd00:0:0::5"),
      bypassed("https://[fd00::5]:8443", "[fd00:0::5]:8443"),
      bypassed("https://studio.example.com.", "example.com"),
      bypassed("https://studio.example.com", "studio.example.com."),
    ]).toEqual([true, true, true, true, true, true]);
    expect([
      bypassed("https://studio.example.com", "other.example.com."),
      bypassed("https://[fd00::5]", "fd00::6"),
      bypassed("https://studio.example.com", "studio.example.com/path"),
      bypassed("https://10.0.0.0", "10.0.0.0/32x"),
      // What URL would read as the end of a host, or as credentials before it, names no host.
      bypassed("https://studio.example.com", "studio.example.com?x"),
      bypassed("https://studio.example.com", "studio.example.com#x"),
      bypassed("https://studio.example.com", "user@studio.example.com"),
      bypassed("https://studio.example.com", "studio.example.com\\x"),
    ]).toEqual([false, false, false, false, false, false, false, false]);
  });

  it("leaves out an IPv6 Studio that NO_PROXY names bare, as curl and requests read it, or in brackets", () => {
    // A bare address (`fd00::5`) matched no entry: Studio was reached through the proxy.
    const at = new URL("https://[fd00::5]:8443");
    const bypassed = (noProxy: string) => proxyFor(at, { https_proxy: "http://p:3128", NO_PROXY: noProxy }) === undefined;
    expect(["fd00::5", "x.com,FD00::5", "[fd00::5]", "[fd00::5]:8443", "[fd00::5]:443", "fd00::6", "::5"].map(bypassed)).toEqual([
      true,
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
  });

  it("leaves out a Studio address in a range NO_PROXY names, as curl and requests (datachain's client) read one", () => {
    // `10.0.0.0/8` was compared as written and matched nothing: a Studio on the private
    // network that datachain reached directly was reached through the proxy.
    const bypassed = (studio: string, noProxy: string) =>
      proxyFor(new URL(studio), { https_proxy: "http://p:3128", no_proxy: noProxy }) === undefined;
    expect(
      [
        ["https://10.1.2.3", "example.com, 10.0.0.0/8"],
        ["https://10.1.2.3:8443", "192.168.0.0/16,10.1.2.0/24"],
        ["https://[fd00::5]", "fd00::/8"],
        ["https://[fd00::5]", "[fd00::]/16"],
        ["https://10.1.2.3", "0.0.0.0/0"],
        ["https://10.1.2.3", "10.1.2.3/32"],
      ].map(([studio = "", noProxy = ""]) => bypassed(studio, noProxy)),
    ).toEqual([true, true, true, true, true, true]);
    expect(
      [
        ["https://11.1.2.3", "10.0.0.0/8"],
        ["https://10.1.2.3", "10.1.3.0/24"],
        ["https://[fd00::5]", "10.0.0.0/8"],
        ["https://10.1.2.3", "fd00::/8"],
        ["https://10.1.2.3", "10.0.0.0/33"],
        ["https://10.1.2.4", "10.1.2.3/32"],
        ["https://[fd00::6]", "fd00::4/127"],
        ["https://studio.example.com", "10.0.0.0/8"],
      ].map(([studio = "", noProxy = ""]) => bypassed(studio, noProxy)),
    ).toEqual([false, false, false, false, false, false, false, false]);
  });

  it("refuses a proxy it cannot use, naming the variable and never its value", () => {
    const refused = (value: string) => {
      try {
        proxyFor(studioAt, { HTTPS_PROXY: value });
      } catch (error) {
        return error instanceof UsageError ? `${error.message} ${error.hint ?? ""}` : "not a UsageError";
      }
      return "accepted";
    };
    expect(refused("socks5://u:hidden-pass@p:1080")).toBe(
      "HTTPS_PROXY names a socks5:// proxy; studio-jobs reaches Studio through http:// and https:// proxies only. Give an http:// proxy in HTTPS_PROXY, or add studio.example.com to NO_PROXY to reach Studio directly.",
    );
    // An escape of no UTF-8 character: undici's decoding threw URIError, an internal error.
    expect(refused("http://u:hidden%FFpass@p:3128")).toBe(
      "HTTPS_PROXY holds a user name or password with a `%` escape that is no UTF-8 character. Percent-encode the credentials as UTF-8, or unset HTTPS_PROXY.",
    );
    expect(refused("http://u:hidden-pass@[bad")).toBe(
      "HTTPS_PROXY is not a proxy URL. Give one such as http://proxy.example.com:3128, or unset HTTPS_PROXY.",
    );
  });
});
