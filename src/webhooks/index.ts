// Webhooks, as the layers above use it: the signed submission.done event, its deliverer, and the
// check that refuses a callback_url pointing inside.
export { submissionDoneDelivery, WebhookDeliverer } from './deliverer.ts';
export { refusedTarget } from './targets.ts';
