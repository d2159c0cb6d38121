// ${env:NAME}, ${env:NAME:-default} and ${var:name} in spec strings. `$${` is a literal `${`.

import { showKey } from "./yaml-source.js";

export interface InterpolationContext {
  env: NodeJS.ProcessEnv;
  vars: Readonly<Record<string, string>>;
  /**
   * Read an unset ${env:NAME} without default as empty and list it in `unsetEnv`, instead
   * of failing: `validate` is a lint, and a pull request's lint has no production secrets.
   */
  lenientEnv?: boolean;
}

export type Interpolated =
  { ok: true; value: string; sensitive: boolean; unsetEnv: string[] } | { ok: false; message: string; unknownVar?: string };

const PATTERN = /\$\$\{|\$\{([^}]*)\}/g;

/** Own properties only: `${var:constructor}` is not Object.prototype's constructor. */
function lookup(record: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  return Object.hasOwn(record, name) ? record[name] : undefined;
}

export function interpolate(text: string, ctx: InterpolationContext): Interpolated {
  if (!text.includes("${")) return { ok: true, value: text, sensitive: false, unsetEnv: [] };
  let sensitive = false;
  let problem: { message: string; unknownVar?: string } | undefined;
  const unsetEnv: string[] = [];
  const value = text.replace(PATTERN, (match, body: string | undefined) => {
    if (match === "$${") return "${";
    const expr = body ?? "";
    const env = /^env:([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s.exec(expr);
    if (env !== null) {
      const name = env[1] ?? "";
      sensitive = true;
      const found = lookup(ctx.env, name);
      if (found !== undefined) return found;
      if (env[2] !== undefined) return env[2];
      if (ctx.lenientEnv === true) unsetEnv.push(name);
      else
        problem ??= {
          message: `environment variable ${showKey(name)} is not set; set it, or give a default: \${env:${showKey(name)}:-value}`,
        };
      return "";
    }
    const variable = /^var:([A-Za-z_][A-Za-z0-9_]*)$/.exec(expr);
    if (variable !== null) {
      const name = variable[1] ?? "";
      const found = lookup(ctx.vars, name);
      if (found !== undefined) return found;
      problem ??= {
        message: `unknown variable "${showKey(name)}"; define it under vars: or pass --var ${showKey(name)}=value`,
        unknownVar: name,
      };
      return "";
    }
    problem ??= {
      message: `"\${${showKey(expr)}}" is not understood; use \${env:NAME}, \${env:NAME:-default} or \${var:name} (write $\${ for a literal \${)`,
    };
    return "";
  });
  return problem === undefined ? { ok: true, value, sensitive, unsetEnv } : { ok: false, ...problem };
}
