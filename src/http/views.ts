// How stored records and assignments look on the wire.
import { DEFAULT_POINTS, type Assignment } from '../grading/index.ts';
import type { GradebookEntry, ListedSubmission, StoredSubmission } from '../store/index.ts';
import type { AssignmentView, Gradebook, Submission, SubmissionSummary } from './schemas.ts';

export const submissionPath = (id: string) => `/v1/submissions/${encodeURIComponent(id)}`;

function common(s: Omit<StoredSubmission, 'result'>) {
  return {
    id: s.id,
    assignment: s.assignment,
    student: s.student,
    status: s.status,
    created_at: s.createdAt,
    started_at: s.startedAt,
    finished_at: s.finishedAt,
    links: { self: submissionPath(s.id), ...(s.status === 'done' ? { report: `${submissionPath(s.id)}/report` } : {}) },
  };
}

export function submissionView(s: StoredSubmission): Submission {
  return { ...common(s), result: s.result };
}

export function summaryView(s: ListedSubmission): SubmissionSummary {
  return { ...common(s), verdict: s.verdict };
}

/** One row per student: who is the `student` the submissions carry, or the client that made them. */
export function gradebookView(assignment: Assignment, entries: GradebookEntry[]): Gradebook {
  const rows = new Map<string, Gradebook['rows'][number]>();
  for (const e of entries) {
    const student = e.student ?? e.client;
    const earlier = rows.get(student);
    const best = [earlier?.best_score ?? null, e.score].filter((s): s is number => s !== null);
    rows.set(student, {
      student,
      submissions: (earlier?.submissions ?? 0) + 1,
      best_score: best.length === 0 ? null : Math.max(...best),
      // Entries come oldest first: the last one seen is the latest.
      latest: {
        id: e.id,
        status: e.status,
        verdict: e.verdict?.status ?? null,
        reason: e.verdict?.reason ?? null,
        score: e.score,
        peak_bytes: e.verdict?.peak_bytes ?? null,
        submitted_at: e.createdAt,
        report: `${submissionPath(e.id)}/report`,
      },
    });
  }
  const points = assignment.manifest.points ?? DEFAULT_POINTS;
  return {
    assignment: assignment.manifest.id,
    max_score: points.correct + points.memory,
    rows: [...rows.values()].sort((a, b) => a.student.localeCompare(b.student)),
  };
}

export function assignmentView(a: Assignment): AssignmentView {
  const { manifest } = a;
  return {
    id: manifest.id,
    title: manifest.title,
    summary: manifest.summary,
    description: a.description,
    starter_code: a.starterCode,
    entry_point: manifest.entry_point,
    steps: manifest.steps,
    limit_bytes: manifest.limits.peak_bytes,
    limits: {
      memory_cap_bytes: manifest.limits.memory_cap_mb * 1024 * 1024,
      timeout_ms: manifest.limits.timeout_ms,
      cpu_time_ms: manifest.limits.cpu_time_ms,
      max_code_bytes: manifest.limits.max_code_bytes,
    },
    links: { self: `/v1/assignments/${manifest.id}` },
  };
}
