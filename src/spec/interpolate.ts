// ${env:NAME}, ${env:NAME:-default} and ${var:name} in spec strings. `$${` is a literal `${`.

export interface InterpolationContext {
  env: NodeJS.ProcessEnv;
  vars: Readonly<Record<string, string>>;
}

export type Interpolated = { ok: true; value: string; sensitive: boolean } | { ok: false; message: string };

const PATTERN = /\$\$\{|\$\{([^}]*)\}/g;

export function interpolate(text: string, ctx: InterpolationContext): Interpolated {
  if (!text.includes("${")) return { ok: true, value: text, sensitive: false };
  let sensitive = false;
  let problem: string | undefined;
  const value = text.replace(PATTERN, (match, body: string | undefined) => {
    if (match === "$${") return "${";
    const expr = body ?? "";
    const env = /^env:([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s.exec(expr);
    if (env !== null) {
      const name = env[1] ?? "";
      sensitive = true;
      const found = ctx.env[name];
      if (found !== undefined) return found;
      if (env[2] !== undefined) return env[2];
      problem ??= `environment variable ${name} is not set; set it, or give a default: \${env:${name}:-value}`;
      return "";
    }
    const variable = /^var:([A-Za-z_][A-Za-z0-9_]*)$/.exec(expr);
    if (variable !== null) {
      const name = variable[1] ?? "";
      const found = ctx.vars[name];
      if (found !== undefined) return found;
      problem ??= `unknown variable "${name}"; define it under vars: or pass --var ${name}=value`;
      return "";
    }
    problem ??= `"\${${expr}}" is not understood; use \${env:NAME}, \${env:NAME:-default} or \${var:name} (write $\${ for a literal \${)`;
    return "";
  });
  return problem === undefined ? { ok: true, value, sensitive } : { ok: false, message: problem };
}
