// Following a submission to its end: the stream of its progress (GET
// /v1/submissions/{id}/events, Server-Sent Events read with fetch(), since EventSource cannot
// send the bearer header), and polling of GET /v1/submissions/{id} when the stream cannot be read
// or ends before the grading does.
import type { SubmissionSummary } from '../src/http/schemas.ts';
import { ApiFailure, getJson, request } from './api.ts';

export type Progress = Pick<SubmissionSummary, 'id' | 'status'> & Partial<SubmissionSummary>;

const POLL_MS = 1000;
const POLL_LIMIT_MS = 15 * 60_000;

/** Reads the event stream; answers whether it saw the grading end. */
async function stream(id: string, onProgress: (p: Progress) => void, signal: AbortSignal): Promise<boolean> {
  const response = await request(`/v1/submissions/${encodeURIComponent(id)}/events`, { headers: { accept: 'text/event-stream' }, signal });
  if (response.body === null || !(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) return false;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return false;
    buffer += value.replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length === 0) continue;
      if (event === 'status' || event === 'done') onProgress(JSON.parse(data.join('\n')) as Progress);
      if (event === 'done') {
        await reader.cancel();
        return true;
      }
      if (event === 'end') return false;
    }
  }
}

async function poll(id: string, onProgress: (p: Progress) => void, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + POLL_LIMIT_MS;
  while (!signal.aborted) {
    const now = await getJson<Progress>(`/v1/submissions/${encodeURIComponent(id)}`, { signal });
    onProgress(now);
    if (now.status === 'done') return;
    if (Date.now() > deadline) throw new Error('the grading is taking longer than 15 minutes; reload the page later to see it');
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/**
 * Calls onProgress with each state of the submission until it is done: from the stream, else by
 * polling. `via` says which told the end.
 */
export async function follow(id: string, onProgress: (p: Progress) => void, signal: AbortSignal): Promise<{ via: 'stream' | 'polling' }> {
  try {
    if (await stream(id, onProgress, signal)) return { via: 'stream' };
  } catch (error) {
    // A refusal (the submission gone, the token revoked) is the page's to show; a lost or
    // unreadable stream is not.
    if (error instanceof ApiFailure || signal.aborted) throw error;
  }
  await poll(id, onProgress, signal);
  return { via: 'polling' };
}
