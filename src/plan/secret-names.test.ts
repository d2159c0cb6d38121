// Which variables of a hand-made job are treated as secrets.

import { describe, expect, it } from "vitest";
import { startCpuClock } from "../../test/helpers.js";
import { looksSecret, nameLooksSecret, secretLookingValues } from "./secret-names.js";

describe("secret-looking variables", () => {
  it("match on name parts, in any case or style, and on words inside a part", () => {
    const secret = [
      "API_KEY",
      "apiKey",
      "aws-secret-access-key",
      "GITHUB_TOKEN",
      "DB_PASSWORD",
      "PGPASSWORD",
      "MYSQL_PWD",
      "SENTRY_DSN",
      "TLS_CERT",
      "SESSION_SECRET",
      "auth",
      "OAUTH_CLIENT_ID",
      "PRIVATE_KEY_PATH",
      "COOKIE_SALT",
      "Credentials",
    ];
    const plain = [
      "PATH",
      "HOME",
      "LOG_LEVEL",
      "REGION",
      "KEYBOARD_LAYOUT",
      "PASSENGER_COUNT",
      "AUTHOR",
      "DEPLOY_ENV",
      "TOKENIZERS_PARALLELISM_X",
    ];
    expect(secret.filter((name) => !nameLooksSecret(name))).toEqual([]);
    // TOKENIZERS... holds the word TOKEN: a false alarm, which costs only a variable to set.
    expect(plain.filter((name) => nameLooksSecret(name))).toEqual(["TOKENIZERS_PARALLELISM_X"]);
  });

  it("catch a secret in the value whatever the name: a URL with credentials anywhere in it, a PEM block", () => {
    expect(looksSecret("DATABASE_URL", "postgres://app:pw@db:5432/x")).toBe(true);
    expect(looksSecret("SSH", "-----BEGIN OPENSSH PRIVATE KEY-----")).toBe(true);
    expect(looksSecret("DATABASE_URL", "postgres://db:5432/x")).toBe(false);
    // A token alone reads like a user name (https://ghp_x@github.com): both count, as the
    // printed output hides both. So does a URL inside a longer value.
    expect(looksSecret("MIRROR", "https://mirror-token-55@m.example.com/p")).toBe(true);
    expect(looksSecret("PIP_ARGS", "--index-url https://u:tok@pypi.example.com/simple")).toBe(true);
    expect(looksSecret("CONTACT", "mail ops@example.com")).toBe(false);
  });

  it("catch a secret in a URL's query: a parameter named like one, with a value", () => {
    // Left in a spec by import: a webhook's `?token=` under a name like WEBHOOK went to Git.
    const secret = [
      "https://hooks.example.com/notify?token=abc123",
      "https://api.example.com/v1?page=2&api_key=k-998",
      "https://bucket.s3.amazonaws.com/f?X-Amz-Credential=AKIA%2F&X-Amz-Signature=f00d",
      "https://acct.blob.core.windows.net/c/f?sv=2022-11-02&sig=Zm9v",
      "curl 'https://example.com/x?accessToken=t-1'",
    ];
    const plain = [
      "https://example.com/search?q=tokens&page=2",
      "https://example.com/?token=",
      "https://example.com/?token&page=1",
      "a?b&c=d",
      "key=value",
    ];
    expect(secret.filter((value) => !looksSecret("WEBHOOK", value))).toEqual([]);
    expect(plain.filter((value) => looksSecret("LINK", value))).toEqual([]);
  });

  it("catch a secret in a URL's fragment, or a URL that is itself the secret: a webhook's, a bot's", () => {
    // Found by review: import wrote these into the spec under names like SLACK_WEBHOOK_URL.
    const secret = [
      "https://app.example.com/callback#access_token=ya29.a0Af&token_type=Bearer",
      "https://app.example.com/#token=t-77",
      "https://hooks.slack.com/services/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX",
      "https://discord.com/api/webhooks/1234567890/AbCdEf-token",
      "https://contoso.webhook.office.com/webhookb2/0000@0000/IncomingWebhook/abc/0000",
      "https://chat.example.com/hooks/xwq8aqb4cfbx",
      "https://hooks.zapier.com/hooks/catch/123/abcdef/",
      "https://api.telegram.org/bot123456:ABC-DEF1234ghIkl/sendMessage",
    ];
    const plain = [
      "https://example.com/docs#section=2",
      "#fff",
      "https://example.com/a#b",
      "hooks/pre-commit",
      "notify by webhook",
      "https://example.com/telegram/bot",
    ];
    expect(secret.filter((value) => !looksSecret("NOTIFY_URL", value))).toEqual([]);
    expect(plain.filter((value) => looksSecret("LINK", value))).toEqual([]);
  });

  it("hunt copies of a value only when it has a secret's form: not a word or a name a variable named like a secret holds", () => {
    // Found by review: SORT_KEY=timestamp skipped a job named timestamp-report, SECRET_SCOPE=analytics-prod
    // made the imported spec's team "***", and S3_KEY=s3://acme-raw/events/2024 took the query that read it.
    const environment = {
      AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      API_TOKEN: "S3cr3t-CFG-hhhh8888",
      SESSION_ID: "550e8400-e29b-41d4-a716-446655440000",
      DATABASE_URL: "postgres://app:db-password@db/x",
      HOOK: "https://hooks.slack.com/services/TTTT/BBBB/xxxx",
      SORT_KEY: "timestamp",
      SECRET_SCOPE: "analytics-prod",
      KEY_REGION: "eu-west-1",
      S3_KEY: "s3://acme-raw/events/2024",
      TOKEN_URL: "https://login.example.com/oauth2/v2.0/token",
      PASSPHRASE: "correct horse battery 42",
      PASSWORD: "demo",
      REGION_CODE: "eu2west2x",
      // Found by the second review: names and versions that mix letters and digits once.
      DATASET_KEY: "events2024",
      TOKENIZER_MODEL: "Qwen/Qwen2.5-7B",
      IMAGE_TAG_KEY: "python3.12",
      KEY_ZONE: "us-east-2a",
      SIGNING_KEY: "abcdefghijklmnopq12",
      // Found attacking import: a blank or punctuation between the words kept every copy in clear.
      DB_PASSWORD: "S3cr3t V4lu3",
      API_SECRET: 'Ab1"Cd2\\Ef3$x',
      OAUTH_SECRET: "Zz9 Yy8 Xx7 Ww6",
      MODEL_KEY: "llama 3.1 8b",
      SORT_KEYS: "created at 2024, id",
      // Found hunting secrets: a URL's password of a generated form, copied bare, was written in clear.
      REPLICA_URL: "mysql://app:Pw8%40Xy7Zz6@db/x",
      GIT_REMOTE: "https://ghp0Ab1Cd2Ef3Gh4@github.com/acme/repo",
      MIRROR_URL: "postgres://postgres:postgres@db/x",
    };
    expect(secretLookingValues(environment)).toEqual([
      "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      "S3cr3t-CFG-hhhh8888",
      "550e8400-e29b-41d4-a716-446655440000",
      "https://hooks.slack.com/services/TTTT/BBBB/xxxx",
      "abcdefghijklmnopq12",
      "S3cr3t V4lu3",
      'Ab1"Cd2\\Ef3$x',
      "Zz9 Yy8 Xx7 Ww6",
      "Pw8%40Xy7Zz6",
      "Pw8@Xy7Zz6",
      "ghp0Ab1Cd2Ef3Gh4",
    ]);
  });

  it("take time linear in the value, whatever it holds", () => {
    const cpuMs = startCpuClock();
    const long = ["?a", "&a=", "#a", "://hook", "/hooks", "://a?", "a."].map((unit) => unit.repeat(200_000));
    expect(long.map((value) => looksSecret("LINK", value))).toEqual([false, false, false, false, false, false, false]);
    expect(cpuMs()).toBeLessThan(1000);
  });
});
