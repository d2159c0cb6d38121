// Who may call the emulator: tokens, their teams and their scopes.

export type Scope = "JOB_READ" | "JOB_WRITE";

export interface TokenGrant {
  token: string;
  /** Shown as `created_by` on the jobs this token creates. */
  user: string;
  teams: string[];
  scopes: Scope[];
}

export const DEFAULT_TOKEN = "dev-token";
export const DEFAULT_TEAM = "demo";

export const DEFAULT_GRANTS: readonly TokenGrant[] = [
  { token: DEFAULT_TOKEN, user: "dev", teams: [DEFAULT_TEAM], scopes: ["JOB_READ", "JOB_WRITE"] },
];

/** Accept `Bearer X` (the API reference) and `token X` (datachain's Python client). */
export function readToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^(bearer|token)\s+(\S+)\s*$/i.exec(header.trim());
  return match?.[2];
}

export type AuthOutcome = { ok: true; grant: TokenGrant } | { ok: false; status: 401 | 403; message: string };

export function authorize(grants: readonly TokenGrant[], header: string | undefined, team: string | undefined, scope: Scope): AuthOutcome {
  const token = readToken(header);
  if (token === undefined) return { ok: false, status: 401, message: "Authentication credentials were not provided." };
  const grant = grants.find((g) => g.token === token);
  if (grant === undefined) return { ok: false, status: 401, message: "Invalid token." };
  if (!grant.scopes.includes(scope)) {
    return { ok: false, status: 403, message: `The token lacks the ${scope} scope.` };
  }
  if (team !== undefined && !grant.teams.includes(team)) {
    return { ok: false, status: 403, message: `Not authorized for the team ${team}.` };
  }
  return { ok: true, grant };
}
