/*
 * A small client of the casework API, written against the types that
 * openapi-typescript generates from openapi.yaml (generated/casework.ts, made
 * by scripts/test and never committed). scripts/test type-checks it and never
 * runs it: it shows that a front end built on the generated types can create
 * a case, walk a list page by page, read a report as JSON or CSV and tell a
 * problem from a record, and that the types refuse what the contract refuses
 * (each @ts-expect-error below must be an error, or tsc fails).
 */
import type { components, operations } from './generated/casework';

type Schemas = components['schemas'];
export type Case = Schemas['Case'];
export type CaseCreate = Schemas['CaseCreate'];
export type Visit = Schemas['Visit'];
export type VisitPage = Schemas['VisitPage'];
export type Problem = Schemas['Problem'];
export type ValidationProblem = Schemas['ValidationProblem'];
export type VisitQuery = NonNullable<operations['listVisits']['parameters']['query']>;
export type VisitComplianceQuery = operations['getVisitComplianceReport']['parameters']['query'];
export type VisitCompliance =
  operations['getVisitComplianceReport']['responses'][200]['content']['application/json'];

/** An answer that is a problem (RFC 9457), with what it says. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly problem: Problem | ValidationProblem) {
    super(`${status} ${problem.title}: ${problem.detail}`);
  }

  /** The messages of each bad field of a 422, by field. */
  fieldErrors(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    if (!isValidationProblem(this.problem)) return out;
    for (const e of this.problem.errors ?? []) (out[e.field] ??= []).push(e.message);
    return out;
  }

  /** Seconds to wait before asking again, for a 503. */
  retryAfter?: number;
}

export function isValidationProblem(p: Problem | ValidationProblem): p is ValidationProblem {
  return p.type === 'urn:casework:problem:invalid';
}

type Query = Record<string, string | number | undefined>;

export class CaseworkClient {
  constructor(private readonly base: string, private readonly token: () => string) {}

  private async send(method: string, path: string, init: { query?: Query; body?: unknown;
    headers?: Record<string, string> } = {}): Promise<Response> {
    const url = new URL(path, this.base);
    for (const [k, v] of Object.entries(init.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token()}`, ...init.headers };
    if (init.body !== undefined) headers['Content-Type'] = 'application/json';
    return fetch(url, { method, headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  }

  /** The answer's problem as an ApiError (every 4xx and 5xx is problem+json). */
  private async problem(r: Response): Promise<ApiError> {
    const error = new ApiError(r.status, (await r.json()) as Problem | ValidationProblem);
    const retry = r.headers.get('Retry-After');
    if (retry !== null) error.retryAfter = Number(retry);
    return error;
  }

  /** POST /v1/cases: the new case. With a key, a retry after a lost answer creates nothing more. */
  async createCase(body: CaseCreate, idempotencyKey?: string): Promise<Case> {
    const headers: Record<string, string> = idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {};
    const r = await this.send('POST', '/v1/cases', { body, headers });
    if (r.status !== 201) throw await this.problem(r);
    return (await r.json()) as operations['createCase']['responses'][201]['content']['application/json'];
  }

  /** GET /v1/cases/{id}/visits, every page: each visit of the case, walking next_cursor. */
  async *visitsOfCase(caseId: string, query: VisitQuery = {}): AsyncGenerator<Visit> {
    let cursor: string | null | undefined = query.cursor;
    do {
      const r = await this.send('GET', `/v1/cases/${encodeURIComponent(caseId)}/visits`,
        { query: { ...query, cursor: cursor ?? undefined } });
      if (r.status !== 200) throw await this.problem(r);
      const page = (await r.json()) as
        operations['listCaseVisits']['responses'][200]['content']['application/json'];
      yield* page.items;
      cursor = page.next_cursor;
    } while (cursor !== null);
  }

  /** GET /v1/reports/visit-compliance as JSON. */
  async visitCompliance(query: VisitComplianceQuery): Promise<VisitCompliance> {
    const r = await this.send('GET', '/v1/reports/visit-compliance', { query });
    if (r.status !== 200) throw await this.problem(r);
    return (await r.json()) as VisitCompliance;
  }

  /** The same report as CSV, with the file name a browser would save it under. */
  async visitComplianceCsv(query: VisitComplianceQuery): Promise<{ csv: string; filename?: string }> {
    const r = await this.send('GET', '/v1/reports/visit-compliance', { query, headers: { Accept: 'text/csv' } });
    if (r.status !== 200) throw await this.problem(r);
    const disposition = r.headers.get('Content-Disposition') ?? '';
    const csv: operations['getVisitComplianceReport']['responses'][200]['content']['text/csv'] = await r.text();
    return { csv, filename: /filename="([^"]+)"/.exec(disposition)?.[1] };
  }
}

/** What a front end does with it: each call, its answer and its problems. */
export async function example(client: CaseworkClient): Promise<string[]> {
  const lines: string[] = [];
  try {
    const opened = await client.createCase(
      { case_number: 'CW-2026-004172', family_name: 'Brightwater', case_type: 'out_of_home' },
      crypto.randomUUID());
    const status: 'open' | 'closed' = opened.status;
    lines.push(`${opened.case_number} is ${status}, version ${opened.version}`);
    for await (const visit of client.visitsOfCase(opened.id, { sort: '-visited_at', limit: 100 })) {
      lines.push(`${visit.visited_at} ${visit.visit_type} safety concern: ${visit.safety_concern}`);
    }
    const report = await client.visitCompliance({ from: '2026-01', to: '2026-06' });
    lines.push(`${report.months.length} months`);
    lines.push((await client.visitComplianceCsv({ from: '2026-01', to: '2026-06', unit: 'north-2' })).csv);
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    if (e.status === 422) {
      for (const [field, messages] of Object.entries(e.fieldErrors())) lines.push(`${field}: ${messages.join('; ')}`);
    } else if (e.status === 503) {
      lines.push(`try again in ${e.retryAfter ?? 1} s`);
    } else {
      lines.push(`${e.problem.type} (request ${e.problem.request_id})`);
    }
  }
  return lines;
}

/** What the types refuse, as the contract does. */
export async function refused(client: CaseworkClient): Promise<void> {
  // @ts-expect-error case_type is in_home or out_of_home
  await client.createCase({ case_number: 'CW-1', family_name: 'F', case_type: 'elsewhere' });
  // @ts-expect-error family_name is required
  await client.createCase({ case_number: 'CW-1', case_type: 'in_home' });
  // @ts-expect-error sort is visited_at or -visited_at
  client.visitsOfCase('3f0c9a62-5b7e-4d1a-9c2e-8a41d6f0b7c3', { sort: 'created_at' });
  // @ts-expect-error the visit-compliance report needs from and to
  await client.visitCompliance({ from: '2026-01' });
}
