// Grading, as the layers above use it: assignments (data folders), the grading of one submission
// into a verdict, the result's schema and score, and the versions a result names.
export { DEFAULT_ASSIGNMENTS_DIR, loadAssignment, loadAssignments, type Assignment, type Manifest } from './assignments.ts';
export { codeBytes, grade, verdict, type SandboxRunner } from './grade.ts';
export { GradeReason, GradeResult, GradeStatus, type Holder, type ScorePart } from './result.ts';
export { DEFAULT_POINTS } from './score.ts';
export { size, sizes } from './format.ts';
export { versions } from './versions.ts';
