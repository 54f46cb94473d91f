/**
 * Errors of the Qdrant-compatible server and their HTTP statuses, in one place.
 *
 * Messages follow Qdrant's own wording ("Not found: Collection `x` doesn't exist!",
 * "Wrong input: …") so clients and people who know Qdrant recognise them.
 */
import { PlanvecError } from "../../core/errors.js";
import { StoreError } from "../../store/contract.js";

/** A failure with the HTTP status it answers with. */
export class QdrantCompatError extends PlanvecError {
  readonly statusCode: number;

  constructor(
    statusCode: number,
    code: string,
    message: string,
    options?: { cause?: unknown; operation?: string },
  ) {
    super(options?.operation ?? "serve-qdrant", code, message, options);
    this.statusCode = statusCode;
  }
}

/** 400: the request is well-formed JSON but asks for something impossible or unsupported. */
export function badRequest(message: string): QdrantCompatError {
  return new QdrantCompatError(400, "bad_request", `Bad request: ${message}`);
}

/** 400 with Qdrant's "Wrong input" prefix (dimension errors, bad vectors, bad ids). */
export function wrongInput(message: string): QdrantCompatError {
  return new QdrantCompatError(400, "wrong_input", `Wrong input: ${message}`);
}

/** 422: JSON that fails validation against the request schema. */
export function validationError(where: "JSON body" | "query parameters" | "path parameters", detail: string) {
  return new QdrantCompatError(422, "validation", `Validation error in ${where}: [${detail}]`);
}

export function collectionNotFound(name: string): QdrantCompatError {
  return new QdrantCompatError(404, "not_found", `Not found: Collection \`${name}\` doesn't exist!`);
}

export function pointNotFound(id: unknown): QdrantCompatError {
  return new QdrantCompatError(404, "not_found", `Not found: No point with id ${String(id)} found`);
}

/** Refuse a Qdrant feature the embedded store does not have, instead of ignoring it. */
export function unsupported(feature: string): QdrantCompatError {
  return badRequest(
    `${feature} is not supported by planvec serve-qdrant (single unnamed dense vector per collection); ` +
      "use a real Qdrant server for this feature",
  );
}

const STORE_STATUS: Record<string, number> = {
  not_found: 404,
  dimension_mismatch: 400,
  invalid_filter: 400,
  invalid_id: 400,
  invalid_argument: 400,
  conflict: 409,
  rejected: 400,
  unavailable: 503,
  closed: 503,
  timeout: 504,
};

/** Status and Qdrant-style message for any thrown value. Unknown failures are 500. */
export function toHttpError(error: unknown): { statusCode: number; message: string } {
  if (error instanceof QdrantCompatError) return { statusCode: error.statusCode, message: error.message };
  if (error instanceof StoreError) {
    const statusCode = STORE_STATUS[error.code] ?? 500;
    const prefix =
      statusCode === 404
        ? "Not found"
        : statusCode === 409
          ? "Wrong input"
          : statusCode === 400
            ? "Wrong input"
            : statusCode === 503
              ? "Service unavailable"
              : statusCode === 504
                ? "Timeout error"
                : "Service internal error";
    return { statusCode, message: `${prefix}: ${error.message}` };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { statusCode: 500, message: `Service internal error: ${message}` };
}
