import { describe, expect, it } from "vitest";
import { startCpuClock } from "../test/helpers.js";
import { hasUrlCredentials, urlCredentialsWrittenAt, urlPasswordsIn, urlSecrets } from "./url-credentials.js";

const writesUrlCredentials = (template: string): boolean => urlCredentialsWrittenAt(template).length > 0;

describe("a URL's password as a secret", () => {
  it("is given as decoded and as written, and as written alone when it does not decode", () => {
    expect(urlSecrets("https://user:p%40ss%2Fword@studio.example")).toEqual(["p@ss/word", "p%40ss%2Fword"]);
    // Found reading the diff: a password the URL parser keeps undecodable (`%zz`) made
    // decodeURIComponent throw, and the Studio URL's password was registered as no secret.
    expect(urlSecrets("https://user:ab%zzcd1234@studio.example")).toEqual(["ab%zzcd1234"]);
    expect(urlSecrets("https://user@studio.example")).toEqual([]);
    expect(urlSecrets("not a url")).toEqual([]);
  });

  it("is found in every URL of a text, a userinfo without a colon whole", () => {
    expect(urlPasswordsIn("a postgres://app:Pw8%2FXy@db/x and https://tok3n@h/ and b")).toEqual(["Pw8%2FXy", "Pw8/Xy", "tok3n"]);
    expect(urlPasswordsIn("https://u:ab%zz@h")).toEqual(["ab%zz"]);
  });

  it("is not a login name alone over SSH, which authenticates with a key", () => {
    // Found planning a requirement as pip writes a private repository: `git@` was shown as
    // ***, and `plan --out` refused to save the plan for holding a URL's credentials.
    expect(hasUrlCredentials("mylib @ git+ssh://git@github.com/org/mylib.git")).toBe(false);
    expect(hasUrlCredentials("ssh://deploy@host/repo SFTP://me@files/x hg+SSH://hg@h/r")).toBe(false);
    // Git's other spelling of git+ssh: its login name was shown as *** and plan --out refused it.
    expect(hasUrlCredentials("SSH+Git://git@github.com/o/r.git")).toBe(false);
    // A password over SSH is one; a lone userinfo over any other scheme is a token.
    expect(urlPasswordsIn("git+ssh://git:s3cret@github.com/o/r.git")).toEqual(["s3cret"]);
    expect(urlPasswordsIn("git+https://ghp_tok3n@github.com/o/r.git sshx://tok@h")).toEqual(["ghp_tok3n", "tok"]);
    // The scheme is ssh, ends in +ssh or is sftp: one that only ends in ssh or sftp, or starts with sftp, is another.
    expect(urlPasswordsIn("xssh://tok1@h fsftp://tok2@h sftpx://tok3@h")).toEqual(["tok1", "tok2", "tok3"]);
    // A long scheme is read back 32 characters, which still end in +ssh.
    expect(hasUrlCredentials(`${"a".repeat(40)}+ssh://git@h`)).toBe(false);
  });

  it("is not a database's role nor an Azure container written alone", () => {
    // Found planning the environment a data team writes: `postgres://analytics@db:5432/w` and
    // `abfss://lake@acme.dfs.core.windows.net/bronze` were shown as ***, noted by validate as
    // credentials, and `plan --out` refused to save the plan.
    const names = [
      "postgres://analytics@db.internal:5432/warehouse",
      "jdbc:postgresql://reader@db/x",
      "postgresql+psycopg2://etl@db/x",
      "mysql://app@mysql:3306/app",
      "mongodb+srv://svc@cluster0.abcde.mongodb.net/",
      "snowflake://loader@acme.eu-west-1/db",
      "mssql+pyodbc://etl@dsn",
      "oracle://scott@db:1521/orcl",
      "redshift+psycopg2://analyst@cluster:5439/dev",
      "clickhouse://default@ch:8123/db",
      "trino://svc@trino:8080/hive",
      "abfss://lake@acmestorage.dfs.core.windows.net/bronze",
      "wasbs://raw@acme.blob.core.windows.net/x",
      "az://container@account.blob.core.windows.net/path",
    ];
    expect(names.filter((url) => hasUrlCredentials(url))).toEqual([]);
    // A password is one over these schemes too, and a lone userinfo over others is a token.
    expect(urlPasswordsIn("postgres://app:s3cret@db/x mongodb+srv://u:pw8@c/ redis://tok3n@r/0")).toEqual(["s3cret", "pw8", "tok3n"]);
  });

  it("is a token written where a login name over SSH goes, by its form or its name", () => {
    // Found by a secrets hunt: ssh://TOKEN@host was printed, saved in a plan and imported into a spec as written.
    const token = "ghp_16C7e42F292c6912E7710c838347Ae178B4a";
    const hidden = [
      `ssh://${token}@h`,
      `git+SSH://${token}@h/r`,
      "svn+ssh://deploy-token-abc123@h",
      "sftp://apiKey@h",
      "SSH://a1b2c3@h",
      `postgres://${token}@db/x`,
    ];
    expect(hidden.map((text) => hasUrlCredentials(text))).toEqual(hidden.map(() => true));
    expect(urlPasswordsIn(`x git+ssh://${token}@github.com/o/r.git`)).toEqual([token]);
    const names = ["ssh://git@h", "git+ssh://ec2-user@h", "sftp://user1@h", "ssh://deploy@h", "hg+ssh://hg@h"];
    expect(names.map((text) => hasUrlCredentials(text))).toEqual(names.map(() => false));
  });

  it("is written out in a spec's template unless the environment or a variable gives all of it", () => {
    const written = [
      "https://u:pw@h",
      "https://tok@h",
      "https://${var:u}:pw@h",
      "https://u:pw${env:X}@h",
      "x https://a@h https://u:p@h",
      // The first URL writes its password, the second reads it: the text writes one.
      "https://u:pw@h https://u:${env:PW}@h",
    ];
    const read = [
      "https://u:${env:PW}@h",
      "https://${env:TOKEN}@h",
      "https://${env:U}:${env:P}@h",
      "https://${var:u}:@h",
      // A token's prefix is written, not the token.
      "https://ghp_${env:TOKEN}@h",
      "ssh://git@h",
      "no url",
    ];
    expect(written.map(writesUrlCredentials)).toEqual(written.map(() => true));
    expect(read.map(writesUrlCredentials)).toEqual(read.map(() => false));
    // Where each `://` is of the URLs that write them, past clean ones.
    expect(
      ["https://docs/x postgres://u:pw@db/x", "a://b https://u:pw@h s3://k:s@b", "https://u:${env:P}@h https://t@h"].map(
        urlCredentialsWrittenAt,
      ),
    ).toEqual([[23], [11, 23], [26]]);
  });

  it("is found in a spec's template in time linear in it, whatever its ${ and }", () => {
    // Found by hostile input: the ${...} references were taken away by a pattern tried at every
    // ${ to the end of the text, so validate of a value of 100,000 ${ in a URL took 17 s of CPU.
    const cpuMs = startCpuClock();
    expect(writesUrlCredentials(`https://${"${".repeat(100_000)}@h`)).toBe(false);
    expect(writesUrlCredentials(`https://${"${".repeat(100_000)}:pw@h`)).toBe(true);
    expect(writesUrlCredentials(`https://${"${env:A}".repeat(20_000)}:pw@h`)).toBe(true);
    expect(cpuMs()).toBeLessThan(2000);
    // A reference is taken away up to its first }, and a ${ without one is kept as written.
    expect(["https://${a${b}:c}@h", "https://${a}${:@h", "https://${a:b}${c}@h"].map(writesUrlCredentials)).toEqual([true, false, false]);
  }, 90_000);
});
