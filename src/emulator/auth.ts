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

export type AuthFailure = { ok: false; status: 401 | 403; message: string };
export type AuthOutcome = { ok: true; grant: TokenGrant } | AuthFailure;

/** Who is calling, from the Authorization header alone: cheap, so it runs before a body is read. */
export function authenticate(grants: readonly TokenGrant[], header: string | undefined): AuthOutcome {
  const token = readToken(header);
  if (token === undefined) return { ok: false, status: 401, message: "Authentication credentials were not provided." };
  const grant = grants.find((g) => g.token === token);
  if (grant === undefined) return { ok: false, status: 401, message: "Invalid token." };
  return { ok: true, grant };
}

/** May this grant use `scope` for `team` (undefined: a call that names no team)? */
export function authorize(grant: TokenGrant, team: string | undefined, scope: Scope): AuthOutcome {
  if (!grant.scopes.includes(scope)) {
    return { ok: false, status: 403, message: `The token lacks the ${scope} scope.` };
  }
  if (team !== undefined && !grant.teams.includes(team)) {
    return { ok: false, status: 403, message: `Not authorized for the team ${team}.` };
  }
  return { ok: true, grant };
}
