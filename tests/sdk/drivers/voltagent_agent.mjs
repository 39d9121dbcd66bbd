// @voltagent/core's Agent with its `feedback` option, as VoltAgent apps mostly use it: the
// Agent asks VoltOps for a feedback token with the run's own fresh trace id, before any hook of
// the host could push the task. The model is a tiny local LanguageModelV2 (the AI SDK allows
// any object with this shape), so nothing leaves the machine.
// argv: baseUrl publicKey secretKey. Prints {text, feedback} as JSON.
import { Agent, VoltOpsClient } from "@voltagent/core";

const [baseUrl, publicKey, secretKey] = process.argv.slice(2);
const ANSWER = "Paris is the capital of France.";
const usage = { inputTokens: 9, outputTokens: 7, totalTokens: 16 };

const model = {
  specificationVersion: "v2",
  provider: "local-test",
  modelId: "capitals-1",
  supportedUrls: {},
  async doGenerate() {
    return { content: [{ type: "text", text: ANSWER }], finishReason: "stop", usage, warnings: [] };
  },
  async doStream() {
    const parts = [
      { type: "stream-start", warnings: [] },
      { type: "text-start", id: "t1" },
      ...ANSWER.split(" ").map((word, n) => ({ type: "text-delta", id: "t1", delta: (n ? " " : "") + word })),
      { type: "text-end", id: "t1" },
      { type: "finish", finishReason: "stop", usage },
    ];
    return { stream: new ReadableStream({ start(c) { parts.forEach((p) => c.enqueue(p)); c.close(); } }) };
  },
};

const voltOpsClient = new VoltOpsClient({ baseUrl, publicKey, secretKey });
const agent = new Agent({ name: "capitals", instructions: "Answer in one sentence.", model, voltOpsClient });
const result = await agent.generateText("What is the capital of France?", {
  feedback: { key: "satisfaction", expiresIn: { hours: 1 } },
});
console.log(JSON.stringify({ text: result.text, feedback: result.feedback }));
process.exit(0);
