/** The file name a submission carries in stack traces, syntax errors and allocation sites. */
export const SUBMISSION_FILE = 'submission.js';
