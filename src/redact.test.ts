import { describe, expect, it } from "vitest";
import { startCpuClock } from "../test/helpers.js";
import { escapeMarkdown } from "./markdown-text.js";
import { jsonForReaders, printable } from "./invisible.js";
import { createRedactor, registerJobSecrets } from "./redact.js";
import { withoutWorkflowCommands } from "./workflow-commands.js";
import type { DesiredJob } from "./desired/types.js";

describe("the redactor", () => {
  it("takes a secret holding a lone surrogate, and hides it", () => {
    // Found by an adversarial tester: encodeURIComponent threw "URI malformed", and plan
    // ended in an internal error (a library caller's environment can hold one).
    const redactor = createRedactor();
    redactor.addSecret("tok-\ud800-secret");
    expect(redactor.redact("a tok-\ud800-secret b, tok-%EF%BF%BD-secret")).toBe("a *** b, ***");
  });

  it("hides a secret as the tool's own JSON and text write it: its invisible and C1 characters escaped, the rest of its non-ASCII not", () => {
    const r = createRedactor();
    const secrets = ["p\u00e4ss\u200bword-0123", "p\u00e4ss\u0085word-4567"];
    for (const secret of secrets) r.addSecret(secret);
    // No sensitive key: the document is redacted as one text, in which neither is spelled as
    // JSON.stringify nor as an all-\uXXXX escape spells it.
    expect(r.redactOutput(jsonForReaders({ detail: `a ${secrets[0]} b ${secrets[1]}` }))).toBe('{\n  "detail": "a *** b ***"\n}\n');
    expect(r.redact(`Studio said: ${printable(secrets[0] ?? "")} / ${printable(secrets[1] ?? "")}`)).toBe("Studio said: *** / ***");
  });

  it("hides a secret as is, JSON-escaped and URL-encoded", () => {
    const r = createRedactor();
    r.addSecret('pa"ss/wo rd');
    expect(r.redact('plain pa"ss/wo rd, json "pa\\"ss/wo rd", url pa%22ss%2Fwo%20rd.')).toBe('plain ***, json "***", url ***.');
    // Found by an adversarial tester: escaped twice (JSON in a JSON string, or Python's repr
    // in a JSON error body), a backslash, quote or tab in the secret was printed.
    const twice = createRedactor();
    for (const secret of ["Zx9\\Kq2Lm", 'Zx9"Kq2Lm', "Zx9\tKq2Lm"]) twice.addSecret(secret);
    const body = JSON.stringify({
      detail: `input_value='${JSON.stringify("Zx9\\Kq2Lm").slice(1, -1)}' and ${JSON.stringify('Zx9"Kq2Lm')} and Zx9\\tKq2Lm`,
    });
    expect(twice.redact(body)).toBe('{"detail":"input_value=\'***\' and \\"***\\" and ***"}');
    // A reviewer: Python's own repr picks its quote and keeps ", and json.dumps writes ä as \u00e4.
    const repr = createRedactor();
    for (const secret of ['p"ss\\w0rd', "it's\"q", 'pä\\ss"word']) repr.addSecret(secret);
    const python = [
      '{"detail": "input_value=\'p\\"ss\\\\\\\\w0rd\'"}',
      '{"detail": "input_value=\'it\\\\\'s\\"q\'"}',
      '{"detail": "input_value=\'p\\u00e4\\\\\\\\ss\\"word\'"}',
    ];
    expect(python.map((text) => repr.redact(text))).toEqual([
      '{"detail": "input_value=\'***\'"}',
      '{"detail": "input_value=\'***\'"}',
      '{"detail": "input_value=\'***\'"}',
    ]);
  });

  it("hides a secret in the repr of a longer string that Python quoted with the other quote, and in other URL and JSON spellings", () => {
    // An adversarial server: pydantic's input_value= quotes the whole environment string the
    // create sent, which holds `"` (the teams marker), so Python quotes it with ' and escapes
    // the secret's apostrophe as \'; only "it" was hidden. Each text below is what Python's
    // repr, json.dumps, urllib's quote and quote_plus wrote.
    const r = createRedactor();
    r.addSecret("it's-a-secret-value");
    r.addSecret('Sup3r sec/ret"x+é!');
    expect(r.redact(`{"detail": "input_value='API_KEY=it\\\\'s-a-secret-value\\nSTUDIO_JOBS_TEAMS=[\\"demo\\"]'"}`)).toBe(
      `{"detail": "input_value='API_KEY=***\\nSTUDIO_JOBS_TEAMS=[\\"demo\\"]'"}`,
    );
    expect(r.redact(`input_value='API_KEY=it\\'s-a-secret-value'`)).toBe(`input_value='API_KEY=***'`);
    for (const spelling of [
      "Sup3r%20sec/ret%22x%2B%C3%A9%21",
      "Sup3r+sec%2Fret%22x%2B%C3%A9%21",
      "Sup3r%20sec%2fret%22x%2b%c3%a9!",
      'Sup3r sec\\/ret\\"x+é!',
    ]) {
      expect(r.redact(`q=${spelling}&`), spelling).toBe("q=***&");
    }
  });

  it("hides a secret in base64 at each byte alignment, in any case, and as each HTML writer spells its quotes", () => {
    // Found by an adversarial tester: a server quoting the Authorization header in base64
    // (or Basic auth), upper-casing its message, or escaping as Java or MarkupSafe does,
    // printed the secret in clear.
    const r = createRedactor();
    r.addSecret("tok-0123456789-hostile", { header: true });
    r.addSecret(`it's "pässwörd" 💥`);
    const b64 = (text: string): string => Buffer.from(text).toString("base64");
    expect([b64("tok-0123456789-hostile"), b64("Bearer tok-0123456789-hostile"), b64("user:tok-0123456789-hostile")].map(r.redact)).toEqual(
      ["***Q==", "QmVhcmVyIH***U=", "dXNlcjp***"],
    );
    // The URL-safe alphabet, for a secret whose base64 holds + and /.
    r.addSecret("ab?>~~xyz?>~~", { header: true });
    expect(r.redact(b64("xab?>~~xyz?>~~").replace(/\+/g, "-").replace(/\//g, "_"))).toBe("eG***4=");
    expect(r.redact("BEARER TOK-0123456789-HOSTILE, Tok-0123456789-Hostile")).toBe("BEARER ***, ***");
    const html = ["it&#39;s &#34;pässwörd&#34; 💥", "it&#039;s &quot;pässwörd&quot; 💥", "it&apos;s &quot;pässwörd&quot; 💥"];
    expect(html.map(r.redact)).toEqual(["***", "***", "***"]);
    expect(r.redact(`IT'S "PÄSSWÖRD" 💥 and it's \\"p\\u00E4ssw\\u00F6rd\\" \\uD83D\\uDCA5`)).toBe("*** and ***");
    // A short value's base64 is a few letters that any text may hold: not hidden.
    const short = createRedactor();
    short.addSecret("abcd", { header: true });
    expect(short.redact(`${b64("abcd")} ${b64("xabcd")} abcd`)).toBe("YWJjZA== eGFiY2Q= ***");
    // Nor is the base64 of a value that travels in a JSON body, not in a header.
    const body = createRedactor();
    body.addSecret("tok-0123456789-hostile");
    expect(body.redact(b64("tok-0123456789-hostile"))).toBe(b64("tok-0123456789-hostile"));
  });

  it("hides a secret escaped by two writers: an HTML escape or Python's json.dumps, then a JSON error body", () => {
    // Found by an adversarial tester, with a backslash and a tab: only one writer's escapes
    // were known, or Python's ensure_ascii in the outer one.
    const twice = createRedactor();
    twice.addSecret('s3"cr\\et\tké-💥');
    const inner = (text: string): string => JSON.stringify(text).slice(1, -1);
    expect(
      twice.redact(
        inner(
          `echo ${JSON.stringify('s3"cr\\et\tké-💥').replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)}`,
        ),
      ),
    ).toBe('echo \\"***\\"');
    expect(twice.redact(inner("echo s3&#34;cr\\et\tké-💥"))).toBe("echo ***");
  });

  it("hides a long enough start or end of a secret next to a cut, and leaves the same characters elsewhere", () => {
    const r = createRedactor();
    r.addSecret("tok-0123456789-hostile");
    r.addSecret("production-db-password-xyz");
    // 10 characters at least (a quarter of a secret past 40), grown over all of it that is there.
    expect(r.redact("a tok-0123456789-hos... b")).toBe("a ***... b");
    expect(r.redact("a tok-0123456789…")).toBe("a ***…");
    expect(r.redact("a tok-01234...")).toBe("a tok-01234...");
    // In what a server says, a line break and the text's end are cuts too.
    expect(r.quoted.redact("split tok-0123456\n789-hostile, and as JSON writes it: tok-0123456\\n789-hostile")).toBe(
      "split ***\n***, and as JSON writes it: ***\\n***",
    );
    expect(r.quoted.redact("bad token tok-0123456789-")).toBe("bad token ***");
    expect(r.quoted.redactHead("bad token tok-0123456789-", 100)).toBe("bad token ***");
    expect(r.redact("...3456789-hostile ...production-db-password...")).toBe("...*** ...***...");
    expect(r.quoted.redact("...3456789-hostile ...production-db-password")).toBe("...*** ...***");
    // Not next to a cut: the words another job's name or value may well hold.
    expect(r.redact("job production-db-etl reads production-db-passwords.csv")).toBe(
      "job production-db-etl reads production-db-passwords.csv",
    );
    expect(r.holds("production-db-pass...")).toBe(true);
    expect(r.holds("production-db-pass.csv")).toBe(false);
    // A secret of 10 characters or fewer is hidden only whole.
    const short = createRedactor();
    short.addSecret("hunter2-pw");
    expect(short.redact("hunter2-p... hunter2-pw")).toBe("hunter2-p... ***");
    // A secret as a JSON body holds it, cut short.
    const quoted = createRedactor();
    quoted.addSecret('say "hello" to the-server');
    expect(quoted.redact('{"detail": "say \\"hello\\" to the-se...')).toBe('{"detail": "***...');
    // An end grown back over the secret's start, before another secret found earlier in the text.
    const both = createRedactor();
    both.addSecret("abcd-efgh");
    both.addSecret("0123456789abcdefghij");
    expect(both.redact("x abcd-efgh ...456789abcdefghij")).toBe("x *** ...***");
  });

  it("replaces the longest secret first, so one inside another leaves nothing behind", () => {
    const r = createRedactor();
    r.addSecret("abcd");
    r.addSecret("abcdefgh");
    expect(r.redact("x abcdefgh y abcd")).toBe("x *** y ***");
  });

  it("does not garble the output for a value under 4 characters, but hides it as a sensitive key's value", () => {
    const r = createRedactor();
    r.addSecret("eu");
    r.addSensitiveKey("REGION");
    expect(r.redact('queue: europe, REGION=eu\\nOTHER=1, {"REGION": "eu"}, XREGION=eu')).toBe(
      'queue: europe, REGION=***\\nOTHER=1, {"REGION": "***"}, XREGION=eu',
    );
  });

  it("hides the lines of a multi-line secret one by one", () => {
    const r = createRedactor();
    r.addSecret("-----BEGIN KEY-----\nAAAABBBBCCCC\n-----END KEY-----", { lines: true });
    expect(r.redact("bad line AAAABBBBCCCC at 2")).toBe("bad line *** at 2");
  });

  it("hides the credentials of any URL", () => {
    const r = createRedactor();
    expect(r.redact("GET https://user:pass@studio.example/api and http://tok@h/")).toBe(
      "GET https://***@studio.example/api and http://***@h/",
    );
    // Found in review: a bounded scheme that had to start after no scheme character missed these.
    for (const before of ["1-", "2024.", "see 3.", "a-very-long-service-name-in-cluster-x.", "a".repeat(40)]) {
      expect(r.redact(`${before}https://user:pass@host/`)).not.toContain("pass");
    }
    expect(r.redact("git+ssh://u:p@h s3://key:secret@bucket (HTTPS://a:b@c)")).toBe("git+ssh://***@h s3://***@bucket (HTTPS://***@c)");
    // A password holding @: URL parsers take the last @ of the authority.
    expect(r.redact("https://u:p@ss@host/x and ftp://a@b")).toBe("https://***@host/x and ftp://***@b");
    // A spec's ${env:NAME} in a URL's place of credentials is a placeholder (import writes
    // them): shown as written. Anything more around it is hidden as before.
    expect(r.redact("https://${env:GH_TOKEN}@github.com/x https://a${env:T}@h/")).toBe(
      "https://${env:GH_TOKEN}@github.com/x https://***@h/",
    );
    expect(r.redactHead("see https://u:p@pw37@h/", 18)).toBe("see https://***");
  });

  it("registers a spec's ${env:...} values and the sensitive keys, not a default written in the spec", () => {
    const r = createRedactor();
    const job = {
      sensitive: ["environment.API_KEY", "credentials", "repository"],
      sensitiveTemplates: {
        "environment.API_KEY": "${env:KEY}",
        credentials: "${env:CREDS:-aws-default-creds}",
        repository: "https://${env:GH}@github.com/x",
      },
    } as unknown as DesiredJob;
    registerJobSecrets(r, [job], { KEY: "key-from-env", GH: "gh-token-1234" });
    // The default is in the repository for anyone to read; hidden wherever it occurred, a
    // default like `demo` garbled every team name in the output.
    expect(r.redact("key-from-env aws-default-creds https://gh-token-1234@github.com/x gh-token-1234 API_KEY=ab REGION=eu")).toBe(
      "*** aws-default-creds https://***@github.com/x *** API_KEY=*** REGION=eu",
    );
  });

  it("registers a multi-line ${env:...} value (a key file) line by line: a server may quote one line of it", () => {
    const r = createRedactor();
    const job = { sensitive: ["credentials"], sensitiveTemplates: { credentials: "${env:KEY_FILE}" } } as unknown as DesiredJob;
    registerJobSecrets(r, [job], { KEY_FILE: "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\n-----END KEY-----\n" });
    expect(r.redact("invalid key: line 2 (MIIEvQIBADANBgkqhkiG9w0B) is not base64")).toBe("invalid key: line 2 (***) is not base64");
  });

  it("hides a JSON word or a short number only where it stands: replaced everywhere, it broke the JSON plan", () => {
    // Found with FEATURE_FLAG: "${env:FEATURE_FLAG:-false}": `plan --format json` printed
    // `"protect": ***`, which no JSON reader takes.
    const r = createRedactor();
    for (const value of ["false", "TRUE", "null", "8080", "3.12"]) r.addSecret(value);
    r.addSensitiveKey("FLAG");
    const json = '{"protect": false, "workers": 8080, "python": "3.12", "x": null, "y": true, "FLAG": "false"}';
    expect(r.redact(json)).toBe('{"protect": false, "workers": 8080, "python": "3.12", "x": null, "y": true, "FLAG": "***"}');
    r.addSecret("808080");
    r.addSecret("!@#$%^&*");
    expect(r.redact("port 808080, password !@#$%^&*")).toBe("port ***, password ***");
  });

  it("hides a token too short or too common to hide everywhere where it stands in the Authorization header a server quotes", () => {
    // Found by a secrets hunt: a server echoing the request printed `authorization: Bearer 12345`
    // for a token 12345 (or abc, or true), which is hidden nowhere else.
    for (const token of ["12345", "abc", "true"]) {
      const r = createRedactor();
      r.addSecret(token, { header: true });
      const header = `Bearer ${token}`;
      expect(r.redact(`authorization: ${header}, {"Authorization": "${header.toUpperCase()}"}`)).toBe(
        'authorization: ***, {"Authorization": "***"}',
      );
      // Of its base64, what no neighbour changes: a last character may hold bits of what follows.
      expect(r.redact(Buffer.from(header).toString("base64"))).toMatch(/^\*\*\*[A-Za-z0-9+/]?=*$/);
      expect(r.redact(`workers: 12345, protect: true, team abc`)).toBe("workers: 12345, protect: true, team abc");
    }
    const blank = createRedactor();
    blank.addSecret(" ", { header: true });
    expect(blank.redact("Bearer x")).toBe("Bearer x");
  });

  it("leaves an ordinary value that a secret starts with as it is, at the end of a line or of the text, outside what a server says", () => {
    // Found by a reviewer: with API_URL=https://api.example.com/v1/hooks?key=... from the
    // environment, a spec's own BASE_URL: https://api.example.com/v1 was shown as *** in the
    // plan (text, JSON and Markdown), and import would have made it a variable to set.
    const r = createRedactor();
    r.addSecret("https://api.example.com/v1/hooks?key=abcdef0123456789");
    expect(r.redact("docs at https://api.example.com/v1")).toBe("docs at https://api.example.com/v1");
    expect(r.redact("  environment.BASE_URL: https://api.example.com/v1\n  workers: 2")).toBe(
      "  environment.BASE_URL: https://api.example.com/v1\n  workers: 2",
    );
    expect(r.holds("https://api.example.com")).toBe(false);
    expect(r.redactHead("docs at https://api.example.com/v1", 100)).toBe("docs at https://api.example.com/v1");
    // A server that cut it there: hidden.
    expect(r.quoted.redact("bad hook https://api.example.com/v1/hooks?k")).toBe("bad hook ***");
  });

  it("cuts a run of overlapping secrets without leaving the start of one", () => {
    // Found by a reviewer: the cut looked back only twice the longest secret's length.
    const r = createRedactor();
    for (const secret of ["abcdefgh", "efghijkl", "ijklmnop", "mnopqrst"]) r.addSecret(secret);
    expect(r.redactHead("abcdefghijklmnopqrst", 18)).toBe("***");
  });

  it("stays linear on a long run of scheme characters before a URL", () => {
    // Found by a reviewer: `a.a.a.…` and one `://` took 0.8 s per 40 KB (every letter was a
    // start scanned to the run's end); a query file with such a line took 9 s to plan.
    const r = createRedactor();
    const text = `${"a.".repeat(200_000)} https://user:pw@example.com`;
    const cpuMs = startCpuClock();
    expect(r.redact(text).endsWith(" https://***@example.com")).toBe(true);
    expect(r.redactHead(text, 64 * 1024)).toBe("a.".repeat(32 * 1024));
    // Many URLs without credentials, as apply prints them (a look back for an @ over the
    // whole text once took 3.9 s for 10,000 lines).
    const urls = "  demo/job  9e66633c  http://127.0.0.1:39903/team/demo/datasets/jobs/9e66633c\n".repeat(20_000);
    expect(r.redact(urls)).toBe(urls);
    expect(cpuMs()).toBeLessThan(1000);
  });

  it("hides secrets that overlap each other whole, and the spellings servers quote them in", () => {
    const r = createRedactor();
    r.addSecret("abcdWXYZ1234");
    r.addSecret("1234wxyzTAIL99");
    expect(r.redact("x abcdWXYZ1234wxyzTAIL99 y")).toBe("x *** y");
    expect(r.redactHead("x abcdWXYZ1234wxyzTAIL99 y", 10)).toBe("x ***");
    r.addSecret("pässwörd-it's");
    // Python's JSON (ensure_ascii) and Django's HTML escaping.
    expect(r.redact('{"detail": "p\\u00e4ssw\\u00f6rd-it\'s"} it&#x27;s p&auml; pässwörd-it&#x27;s')).toBe(
      '{"detail": "***"} it&#x27;s p&auml; ***',
    );
  });

  it("hides a secret as a line escaped for a CI runner writes it, whatever `#` stands before it", () => {
    // Found by a secrets hunt: a Markdown plan's diff escapes `##[` before the output is redacted.
    const r = createRedactor();
    r.addSecret("tok-hunt::##[x\\y");
    r.addSecret("[bracket-hunt");
    r.addSecret("::colon-hunt");
    expect(r.redact(withoutWorkflowCommands("a tok-hunt::##[x\\y b"))).toBe("a *** b");
    expect(withoutWorkflowCommands("##[bracket-hunt")).toBe("##\\u005bbracket-hunt");
    expect(r.redact(withoutWorkflowCommands("x ##[bracket-hunt y ##vso[bracket-hunt"))).toBe("x ##*** y ##vso***");
    expect(r.redact(withoutWorkflowCommands("  ::colon-hunt"))).toBe("  ***");
  });

  it("hides a secret in a plan's Markdown spelling, whose escape of a dot depends on the www before it", () => {
    const r = createRedactor();
    r.addSecret("sk_live:Zx9");
    r.addSecret(".hunter2-dot");
    r.addSecret("w.hunter2-w");
    expect(r.redact(escapeMarkdown("old sk_live:Zx9"))).toBe("old ***");
    // GitHub links www. with no `:` or `@`, so Markdown escapes that dot: here the secret's first.
    expect(escapeMarkdown("www.hunter2-dot")).toBe("www&#46;hunter2-dot");
    expect(r.redact(escapeMarkdown("www.hunter2-dot and www.hunter2-w"))).toBe("www*** and ww***");
    expect(r.redact(escapeMarkdown("a.hunter2-dot and w.hunter2-w"))).toBe("a*** and ***");
    // And the `-` of `gh-`, which GitHub links as an issue: a secret starting `-` or `h-`.
    r.addSecret("-hunter2-minus");
    r.addSecret("h-hunter2-aitch");
    expect(escapeMarkdown("GH-hunter2-minus")).toBe("GH&#45;<!-- -->hunter2-minus");
    expect(r.redact(escapeMarkdown("GH-hunter2-minus and g-hunter2-minus"))).toBe("GH*** and g***");
    expect(r.redact(escapeMarkdown("gh-hunter2-aitch and xh-hunter2-aitch"))).toBe("g*** and x***");
  });

  it("cuts a text without leaving the start of a secret, a sensitive value or URL credentials at the cut", () => {
    const r = createRedactor();
    r.addSecret("tok-SECRET-0123456789");
    r.addSensitiveKey("API_KEY");
    const padding = "x".repeat(20);
    // The cut falls inside the secret: it is hidden whole.
    expect(r.redactHead(`${padding}tok-SECRET-0123456789 after`, 30)).toBe(`${padding}***`);
    expect(r.redactHead(`${padding}tok-SECRET-0123456789 after`, 20)).toBe(padding);
    expect(r.redactHead(`${padding}tok-SECRET-0123456789 after`, 41)).toBe(`${padding}***`);
    expect(r.redactHead(`a tok-SECRET-0123456789 ${padding}`, 30)).toBe(`a *** ${"x".repeat(6)}`);
    // A sensitive key's JSON value and a URL's credentials running into the cut.
    expect(r.redactHead('{"API_KEY": "abcdefgh", "B": 1}', 16)).toBe('{"API_KEY": "***');
    expect(r.redactHead("see https://user:passw@host/x", 20)).toBe("see https://***");
    expect(r.redactHead("short tok-SECRET-0123456789", 100)).toBe("short ***");
  });

  it("redacts a printed JSON document string by string: its own fields stay whole, variables and quotes are hidden", () => {
    const r = createRedactor();
    r.addSensitiveKey("team");
    r.addSecret("tok-SECRET-0123456789");
    const doc = {
      team: "demo",
      environment: { team: "ab", OTHER: "x", MARKED: "(sensitive)" },
      detail: '400: {"team": "ab"} tok-SECRET-0123456789',
    };
    expect(JSON.parse(r.redactOutput(jsonForReaders(doc)))).toEqual({
      team: "demo",
      environment: { team: "***", OTHER: "x", MARKED: "(sensitive)" },
      detail: '400: {"team": "***"} ***',
    });
    // Text, and JSON cut short, are redacted as text.
    expect(r.redactOutput('{"team": "demo"')).toBe('{"team": "***"');
    expect(r.redactOutput("team=ab\n")).toBe("team=***\n");
  });

  it("hides a secret longer than a pattern's group of 1,024 characters whole, its special characters at a group's start matched as themselves", () => {
    // The pattern of a long secret is made of groups (formPattern in redact.ts): each must be
    // searched, in order, and escaped. The "." is the first character of the second group.
    const long = `k3y-${"x7Q".repeat(340)}.(${"Zq9".repeat(400)}+$${"w".repeat(30)}`;
    const r = createRedactor();
    r.addSecret(long);
    expect(r.redact(`a ${long} b`)).toBe("a *** b");
    // Another text, differing only where the secret has its ".", is no secret.
    const near = long.replace(".(", "Z(");
    expect(r.redact(`a ${near} b`)).toBe(`a ${near} b`);
  });
});
