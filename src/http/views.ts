// How stored records and assignments look on the wire.
import type { Assignment } from '../grading/assignments.ts';
import type { ListedSubmission, StoredSubmission } from '../store/store.ts';
import type { AssignmentView, Submission, SubmissionSummary } from './schemas.ts';

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
