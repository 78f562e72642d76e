/**
 * One warm "Lambda execution environment": loads the handler module once (the init phase), then runs invocations
 * sent by the parent over IPC, one at a time, and answers with the result or the error. Started with time-shim.js
 * preloaded, so Date here is emulated time.
 */
const path = require('path');

const handlerFile = process.env.EMULATOR_HANDLER_FILE;
const exportName = process.env.EMULATOR_HANDLER_EXPORT || 'handler';
let handler;
/** Written to stdout and stderr after each invocation, so the host knows it has read every log line of it. */
const END_OF_LOGS = '\u001eEMULATOR-END-OF-LOGS ';

function endOfLogs(requestId) {
  const mark = (stream) => new Promise((resolve) => stream.write(`${END_OF_LOGS}${requestId}\n`, () => resolve()));
  return Promise.all([mark(process.stdout), mark(process.stderr)]);
}

function context(msg) {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: msg.invokedFunctionArn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: msg.requestId,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, msg.deadline - Date.now()),
    done: () => { throw new Error('context.done is not supported by the Node.js runtime'); },
  };
}

function load() {
  if (!handler) {
    handler = require(path.resolve(handlerFile))[exportName];
    if (typeof handler !== 'function') throw new Error(`${handlerFile} does not export a function named ${exportName}`);
  }
}

process.on('message', async (msg) => {
  if (msg.type === 'init') {
    // The init phase ahead of the first invocation (LambdaHost.prewarm); a failure shows again at the invocation.
    try { load(); } catch { /* reported by the first invocation */ }
    process.send({ type: 'initialized' });
    return;
  }
  if (msg.type !== 'invoke') return;
  const started = Date.now(); // emulated clock (time-shim.js)
  let answer;
  try {
    load();
    const result = await handler(msg.event, context(msg));
    answer = { type: 'result', requestId: msg.requestId, ok: true, result: result ?? null, emulatedMs: Date.now() - started };
  } catch (error) {
    answer = { type: 'result', requestId: msg.requestId, ok: false, error: { name: error && error.name, message: error && error.message }, emulatedMs: Date.now() - started };
  }
  await endOfLogs(msg.requestId);
  process.send(answer);
});
process.send({ type: 'ready' });
