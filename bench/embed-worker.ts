/**
 * Worker of `npm run bench:embed`'s "2 workers" mode: one onnxruntime session with one
 * intra-op thread per worker thread, to compare against one session with two threads.
 */
import { parentPort, workerData } from "node:worker_threads";
import { defaultModelDir, type ModelVariant, resolveModel } from "../src/embedding/model-files.js";
import { OnnxEmbedder } from "../src/embedding/onnx-embedder.js";

const { variant, batchSize } = workerData as { variant: ModelVariant; batchSize: number };
const embedder = await OnnxEmbedder.load(resolveModel(defaultModelDir({}), variant), {
  threads: 1,
  batchSize,
  onWarning: () => {},
});
parentPort?.on("message", async (message: { id: number; texts: string[] } | "close") => {
  if (message === "close") {
    await embedder.close();
    parentPort?.close();
    return;
  }
  const vectors = await embedder.embed(message.texts);
  parentPort?.postMessage({ id: message.id, count: vectors.length });
});
parentPort?.postMessage("ready");
