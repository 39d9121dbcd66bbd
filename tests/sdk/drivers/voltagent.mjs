// @voltagent/core's VoltOpsClient: a feedback token, ingest through its URL with plain fetch
// (as the docs' browser code does), a direct create, and the key registry.
// argv: baseUrl publicKey secretKey traceId. Prints a JSON report.
import { VoltOpsClient } from "@voltagent/core";

const [baseUrl, publicKey, secretKey, traceId] = process.argv.slice(2);
const client = new VoltOpsClient({ baseUrl, publicKey, secretKey });
const report = {};

const token = await client.createFeedbackToken({
  traceId,
  key: "helpfulness",
  feedbackConfig: { type: "categorical", categories: [{ value: 1, label: "Helpful" }, { value: 0, label: "Not helpful" }] },
  expiresIn: { hours: 6 },
});
report.token = token;
const ingest = await fetch(token.url, {
  method: "POST",
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify({ score: 1, comment: "Helpful response", feedback_source_type: "app" }),
});
report.ingest = { status: ingest.status, body: await ingest.json() };
const again = await fetch(token.url, {
  method: "POST",
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify({ score: 0 }),
});
report.again = { status: again.status };

report.direct = await client.createFeedback({
  traceId, key: "accuracy", score: 4, comment: "Mostly right",
  feedbackConfig: { type: "continuous", min: 0, max: 5 }, feedbackSourceType: "model",
});
// The key exists now: a token asking for another config gets the stored one back.
report.reused = await client.createFeedbackToken({
  traceId, key: "accuracy", feedbackConfig: { type: "continuous", min: 0, max: 100 },
});
try {
  await client.createFeedback({ traceId, key: "accuracy", score: 50 });
  report.outOfRange = null;
} catch (error) {
  report.outOfRange = String(error.message);
}
console.log(JSON.stringify(report));
process.exit(0);
