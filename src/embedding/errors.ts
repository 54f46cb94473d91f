import { PlanvecError } from "../core/errors.js";

/**
 * Any failure of the embedding layer: missing or corrupt model files, invalid input text,
 * the ONNX runtime failing. Cache faults are not errors (the cache degrades instead).
 *
 * Codes: `model_not_found`, `model_invalid`, `empty_text`, `invalid_input`, `inference_failed`,
 * `closed`, `cache_corrupt`.
 */
export class EmbeddingError extends PlanvecError {}
