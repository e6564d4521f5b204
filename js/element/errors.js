// @ts-check
// Turns the client's errors (API.md "Errors") into one sentence a student or
// teacher can act on. The provider's own message is kept as a detail line:
// it is what support will ask for, together with the request id.

/**
 * The fields of an error the element shows (a copy for display: the
 * vr-error event carries the error itself).
 * @typedef {{ name: string, message: string, status?: number, code?: string,
 *   requestId?: string, partial?: object }} ErrorDetail
 */

/**
 * @param {unknown} e
 * @returns {ErrorDetail}
 */
export function errorDetail(e) {
  const err = /** @type {Record<string, unknown>} */ (e && typeof e === "object" ? e : { message: String(e) });
  return {
    name: typeof err.name === "string" ? err.name : "Error",
    message: typeof err.message === "string" ? err.message : String(err),
    status: typeof err.status === "number" ? err.status : undefined,
    code: typeof err.code === "string" ? err.code : undefined,
    requestId: typeof err.requestId === "string" && err.requestId ? err.requestId : undefined,
    partial: err.partial && typeof err.partial === "object" ? err.partial : undefined,
  };
}

/**
 * @param {ErrorDetail} d
 * @param {string} relayUrl
 */
export function plainWords(d, relayUrl) {
  switch (d.name) {
    case "AbortError":
      return "The request was stopped.";
    case "NetworkError":
      return `Could not reach the relay at ${relayUrl}. Check that it is running and that this page's origin is allowed.`;
    case "TimeoutError":
      return "The model took too long to answer. Try again, or ask a shorter question.";
    case "StreamError":
      return "The reply was cut off or arrived garbled, so the answer may be incomplete. Try asking again.";
    case "InvalidRequestError":
      return "This question cannot be sent with the current settings.";
    case "ApiError":
      return apiWords(d);
    default:
      return "Something unexpected went wrong.";
  }
}

/** @param {ErrorDetail} d */
function apiWords(d) {
  const code = d.code || "";
  if (/DataInspection/i.test(code) || /inspection/i.test(d.message)) {
    return "The model service refused this content (its safety check flagged the image, the question or the answer).";
  }
  if (/quota/i.test(d.message) || /Quota/.test(code) && d.status !== 429) {
    return "The relay's Model Studio account has used up its quota. Ask the site owner to top it up.";
  }
  switch (d.status) {
    case 400:
      return "The model service rejected the request as invalid.";
    case 401:
      return "The relay's API key was rejected by Model Studio. The site owner must fix the relay's key.";
    case 403:
      return "The relay's account may not use this model in its region. Choose another model.";
    case 404:
      return "The model service does not know this model. Choose another model.";
    case 413:
      return "The images are too large to send. Use fewer or smaller images.";
    case 429:
      return "Too many requests right now. Wait a moment and ask again.";
    case 500:
    case 502:
    case 503:
    case 504:
      return "The model service is unavailable right now. Try again in a minute.";
    default:
      return d.status ? `The model service answered with an error (HTTP ${d.status}).` : "The model stopped with an error.";
  }
}
